//! The toolbar: examples, opening files, the share link, exports and settings.

use leptos::ev;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rampart_core::report;

use crate::browser;
use crate::examples::{self, EXAMPLES};
use crate::playground::State;
use crate::share;

/// Reads picked or dropped files into the editor. Several files are joined into one YAML
/// stream, each after a `# file:` comment, so findings still say where they came from.
pub fn load_files(state: State, files: Vec<web_sys::File>) {
    spawn_local(async move {
        let (read, failed) = browser::read_files(files).await;
        if !failed.is_empty() {
            state.say(format!("Could not read {}.", failed.join(", ")));
        }
        if read.is_empty() {
            return;
        }
        let names: Vec<String> = read.iter().map(|(name, _)| name.clone()).collect();
        let text = if read.len() == 1 {
            read.into_iter().next().map(|(_, text)| text).unwrap_or_default()
        } else {
            let mut joined = String::new();
            for (name, text) in read {
                joined.push_str(&format!("---\n# file: {name}\n"));
                joined.push_str(&text);
                if !text.ends_with('\n') {
                    joined.push('\n');
                }
            }
            joined
        };
        state.replace_text(text);
        if failed.is_empty() {
            state.say(format!("Opened {}.", names.join(", ")));
        }
    });
}

#[component]
pub fn Toolbar() -> impl IntoView {
    let state = expect_context::<State>();
    let file_input = NodeRef::<Input>::new();

    let on_example = move |event: ev::Event| {
        let key = event_target_value(&event);
        if let Some(example) = examples::find(&key) {
            state.replace_text(example.text.to_string());
            state.say(format!("Loaded the example: {}.", example.label));
        }
    };
    let on_files = move |_| {
        if let Some(input) = file_input.get_untracked() {
            if let Some(list) = input.files() {
                load_files(state, browser::files_of(&list));
            }
            // Picking the same file again should load it again.
            input.set_value("");
        }
    };
    let share = move |_| {
        let text = state.text.get_untracked();
        let policies = state.policies.with_untracked(|draft| draft.text.clone());
        let url = browser::replace_hash(&share::fragment_with_policies(&text, &policies));
        state.share_link.set(Some(url.clone()));
        spawn_local(async move {
            let copied = browser::copy_to_clipboard(&url).await;
            state.say(if copied {
                "Share link copied. It carries the manifests (and policies) in its #fragment, which browsers never send to a server."
            } else {
                "Share link made (below the toolbar); copy it from there."
            });
        });
    };
    let export = move |format: &'static str| {
        let Some(checked) = state.checked.get_untracked() else { return };
        let (name, mime, text) = match format {
            "sarif" => {
                ("rampart.sarif", "application/sarif+json", report::sarif::render(&checked.report, &checked.sources))
            }
            _ => ("rampart-report.json", "application/json", report::json(&checked.report)),
        };
        match browser::download(name, mime, &text) {
            Ok(()) => state.say(format!("Saved {name}.")),
            Err(error) => state.say(format!("Could not save {name}: {error}.")),
        }
    };

    view! {
        <nav class="toolbar" aria-label="Playground actions">
            <label class="field">
                <span class="visually-hidden">"Load an example"</span>
                <select on:change=on_example aria-label="Load an example">
                    <option value="" selected=true disabled=true>"Examples…"</option>
                    {EXAMPLES
                        .iter()
                        .map(|example| view! { <option value=example.key>{example.label}</option> })
                        .collect_view()}
                </select>
            </label>
            <button type="button" on:click=move |_| {
                if let Some(input) = file_input.get_untracked() {
                    input.click();
                }
            }>"Open files…"</button>
            <input
                type="file"
                multiple=true
                accept=".yaml,.yml,.json,application/json,text/yaml"
                class="visually-hidden"
                tabindex="-1"
                aria-hidden="true"
                data-testid="file-input"
                node_ref=file_input
                on:change=on_files
            />
            <button type="button" on:click=share aria-describedby="share-hint">"Share link"</button>
            <button type="button" on:click=move |_| export("json")>"Export JSON"</button>
            <button type="button" on:click=move |_| export("sarif")>"Export SARIF"</button>
            <button
                type="button"
                on:click=move |_| state.settings_open.set(true)
                aria-haspopup="dialog"
            >"Settings"</button>
        </nav>
        <span id="share-hint" class="visually-hidden">
            "Makes a link that carries the manifests in its fragment; nothing is uploaded."
        </span>
        {move || {
            state
                .share_link
                .get()
                .map(|link| {
                    view! {
                        <label class="share-link">
                            <span>"Share link"</span>
                            <input
                                type="text"
                                readonly=true
                                prop:value=link
                                data-testid="share-link"
                                on:focus=move |event: ev::FocusEvent| {
                                    use wasm_bindgen::JsCast;
                                    if let Some(input) = event
                                        .target()
                                        .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
                                    {
                                        input.select();
                                    }
                                }
                            />
                        </label>
                    }
                })
        }}
    }
}
