//! The fixed manifest: the editor's text with every available fix applied, shown as a diff
//! (what a reviewer reads) and in full, with copy, download, and "use it" to check it.

use std::sync::Arc;

use leptos::html::Dialog;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser;
use crate::fixes::{fixed_manifest, FixedManifest};
use crate::playground::State;
use rampart_core::diff::{self, Change};

/// Unchanged lines shown around each change.
const CONTEXT_LINES: usize = 3;

#[component]
pub fn FixedManifestDialog() -> impl IntoView {
    let state = expect_context::<State>();
    let dialog = NodeRef::<Dialog>::new();
    let include_unsafe = RwSignal::new(false);
    let fixed: RwSignal<Option<Arc<FixedManifest>>> = RwSignal::new(None);
    Effect::new(move |_| {
        let open = state.fixed_open.get();
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    // Fixing re-checks several times: done only while the view is open.
    Effect::new(move |_| {
        if !state.fixed_open.get() {
            fixed.set(None);
            return;
        }
        let include_unsafe = include_unsafe.get();
        let options = state.settings.with(|settings| settings.options());
        let result = state.checked.with(|checked| {
            checked.as_ref().map(|checked| {
                let text = checked.sources.first().map(|source| source.text.as_str()).unwrap_or_default();
                Arc::new(fixed_manifest(text, &options, include_unsafe, checked.report.score))
            })
        });
        fixed.set(result);
    });

    let copy = move |_| {
        let Some(text) = fixed.with_untracked(|fixed| fixed.as_ref().map(|fixed| fixed.text.clone())) else { return };
        spawn_local(async move {
            let copied = browser::copy_to_clipboard(&text).await;
            state.say(if copied { "Fixed manifest copied." } else { "The browser refused the clipboard." });
        });
    };
    let download = move |_| {
        if let Some(text) = fixed.with_untracked(|fixed| fixed.as_ref().map(|fixed| fixed.text.clone())) {
            match browser::download("fixed.yaml", "application/yaml", &text) {
                Ok(()) => state.say("Saved fixed.yaml."),
                Err(error) => state.say(format!("Could not save fixed.yaml: {error}.")),
            }
        }
    };
    let use_it = move |_| {
        if let Some(text) = fixed.with_untracked(|fixed| fixed.as_ref().map(|fixed| fixed.text.clone())) {
            state.fixed_open.set(false);
            state.replace_text(text);
            state.say("The editor now holds the fixed manifest (undo with your browser's undo, or the share link).");
        }
    };

    let body = move || {
        let fixed = fixed.get()?;
        let summary = if fixed.fixes == 0 {
            "No fix applies: nothing here has an automatic fix of this safety.".to_string()
        } else {
            format!(
                "{} {} applied: score {} → {} ({}).",
                fixed.fixes,
                if fixed.fixes == 1 { "fix" } else { "fixes" },
                fixed.score_before,
                fixed.score_after,
                fixed.grade_after
            )
        };
        let hunks = diff::hunks(&fixed.diff, CONTEXT_LINES)
            .into_iter()
            .map(|hunk| {
                let rows = hunk
                    .into_iter()
                    .map(|line| {
                        let (class, sign) = match line.change {
                            Change::Same => ("same", " "),
                            Change::Removed => ("removed", "−"),
                            Change::Added => ("added", "+"),
                        };
                        let number =
                            |number: Option<usize>| number.map(|number| number.to_string()).unwrap_or_default();
                        view! {
                            <tr class=class>
                                <td class="diff-number">{number(line.old_line)}</td>
                                <td class="diff-number">{number(line.new_line)}</td>
                                <td class="diff-sign" aria-label=class>{sign}</td>
                                <td class="diff-text">{line.text}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! { <table class="diff-hunk"><tbody>{rows}</tbody></table> }
            })
            .collect_view();
        Some(view! {
            <p class="fix-summary">{summary}</p>
            <div class="fix-actions">
                <button type="button" on:click=copy>"Copy"</button>
                <button type="button" on:click=download>"Download fixed.yaml"</button>
                <button type="button" class="primary" on:click=use_it>"Check the fixed manifest"</button>
            </div>
            <h3>"Changes"</h3>
            <div class="diff" aria-label="Changes the fixes make">{hunks}</div>
            <details class="fixed-full">
                <summary>"The whole fixed manifest"</summary>
                <pre data-testid="fixed-manifest" class="code-block">{fixed.text.clone()}</pre>
            </details>
        })
    };

    view! {
        <dialog
            node_ref=dialog
            class="dialog fixed"
            aria-labelledby="fixed-title"
            on:close=move |_| state.fixed_open.set(false)
        >
            <button
                type="button"
                class="close"
                aria-label="Close the fixed manifest"
                on:click=move |_| state.fixed_open.set(false)
            >"×"</button>
            <header class="dialog-head">
                <h2 id="fixed-title">"Fixed manifest"</h2>
                <span class="pane-meta">"Minimal edits: every other line stays byte for byte."</span>
            </header>
            <label class="field checkbox">
                <input
                    type="checkbox"
                    prop:checked=move || include_unsafe.get()
                    on:change=move |event| include_unsafe.set(event_target_checked(&event))
                />
                <span>"Include unsafe fixes (they may change what a workload does, such as runAsNonRoot)"</span>
            </label>
            {body}
        </dialog>
    }
}
