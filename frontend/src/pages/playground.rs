//! The playground (`/`): the editor on one side, the results on the other, checked as the
//! person types. Its state and check loop are [`crate::playground`].

use leptos::prelude::*;

use crate::components::editor::Editor;
use crate::components::fixed_manifest::FixedManifestDialog;
use crate::components::policies::PoliciesPanel;
use crate::components::results::Results;
use crate::components::rule_docs::RuleDocs;
use crate::components::settings_dialog::SettingsDialog;
use crate::components::toolbar::Toolbar;
use crate::playground::{initial_text, State};

#[component]
pub fn Playground() -> impl IntoView {
    let state = State::load();
    provide_context(state);
    let text = initial_text(&state);
    state.text.set(text);
    // Once the textarea exists: give it the text and run the first check.
    Effect::new(move |_| {
        if let Some(textarea) = state.textarea.get() {
            textarea.set_value(&state.text.get_untracked());
            state.check_now();
        }
    });
    view! {
        <a class="skip-link" href="#results">"Skip to results"</a>
        <header class="top">
            <h1 class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Rampart "
                <span class="brand-sub">"playground"</span>
            </h1>
            <Toolbar/>
        </header>
        <p class="privacy">
            "Manifests are checked in this page, by Rampart's engine compiled to WebAssembly: they never leave your machine."
        </p>
        <main class="workspace">
            <Editor/>
            <Results/>
        </main>
        <PoliciesPanel/>
        <p class="notice" role="status" aria-live="polite">{move || state.notice.get()}</p>
        <RuleDocs/>
        <SettingsDialog/>
        <FixedManifestDialog/>
    }
}
