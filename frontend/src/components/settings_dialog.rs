//! Settings: the Pod Security Standards version, rules on and off, required labels and the
//! registry allow-list. Every change is saved to local storage and checked at once.

use leptos::html::Dialog;
use leptos::prelude::*;
use rampart_core::RULES;

use crate::analysis::{family_label, FAMILIES};
use crate::playground::State;
use crate::settings::{parse_list, pss_versions, Settings};

#[component]
pub fn SettingsDialog() -> impl IntoView {
    let state = expect_context::<State>();
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        let open = state.settings_open.get();
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    let settings = state.settings;
    let version_options = pss_versions()
        .into_iter()
        .map(|version| {
            let selected = {
                let version = version.clone();
                move || settings.with(|settings| settings.pss_version == version)
            };
            view! { <option value=version.clone() selected=selected>{version.clone()}</option> }
        })
        .collect_view();
    let rule_groups = FAMILIES
        .iter()
        .map(|&family| {
            let rules = RULES
                .iter()
                .filter(|rule| rule.family == family)
                .map(|rule| {
                    let id = rule.id;
                    view! {
                        <li>
                            <label class="checkbox">
                                <input
                                    type="checkbox"
                                    prop:checked=move || settings.with(|settings| settings.is_enabled(id))
                                    on:change=move |event| {
                                        let enabled = event_target_checked(&event);
                                        state.update_settings(|settings| settings.set_enabled(id, enabled));
                                    }
                                />
                                <code>{id}</code>
                                <span class="rule-title">{rule.title}</span>
                            </label>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="rule-family">
                    <legend>{family_label(family)}</legend>
                    <ul>{rules}</ul>
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <dialog
            node_ref=dialog
            class="dialog settings"
            aria-labelledby="settings-title"
            on:close=move |_| state.settings_open.set(false)
        >
            <button
                type="button"
                class="close"
                aria-label="Close settings"
                on:click=move |_| state.settings_open.set(false)
            >"×"</button>
            <header class="dialog-head">
                <h2 id="settings-title">"Settings"</h2>
                <span class="pane-meta">"Saved in this browser only."</span>
            </header>
            <div class="settings-grid">
                <label class="field stacked">
                    <span>"Pod Security Standards version"</span>
                    <select on:change=move |event| {
                        let version = event_target_value(&event);
                        state.update_settings(|settings| settings.pss_version = version);
                    }>{version_options}</select>
                </label>
                <label class="field stacked">
                    <span>"Required labels"</span>
                    <input
                        type="text"
                        prop:value=move || settings.with(|settings| settings.required_labels.join(", "))
                        on:change=move |event| {
                            let labels = parse_list(&event_target_value(&event));
                            state.update_settings(|settings| settings.required_labels = labels);
                        }
                    />
                    <small>"Comma-separated; checked by required-labels-missing."</small>
                </label>
                <label class="field stacked">
                    <span>"Allowed image registries"</span>
                    <input
                        type="text"
                        placeholder="registry.company.com, ghcr.io/company"
                        prop:value=move || settings.with(|settings| settings.allowed_registries.join(", "))
                        on:change=move |event| {
                            let registries = parse_list(&event_target_value(&event));
                            state.update_settings(|settings| settings.allowed_registries = registries);
                        }
                    />
                    <small>"Empty: no allow-list (image-registry-not-allowed does not run)."</small>
                </label>
                <label class="field checkbox">
                    <input
                        type="checkbox"
                        prop:checked=move || settings.with(|settings| settings.complete)
                        on:change=move |event| {
                            let complete = event_target_checked(&event);
                            state.update_settings(|settings| settings.complete = complete);
                        }
                    />
                    <span>"The input is complete (rules may conclude that related objects are missing)"</span>
                </label>
            </div>
            <div class="rules-head">
                <h3>"Rules"</h3>
                <button
                    type="button"
                    on:click=move |_| state.update_settings(|settings| settings.disabled_rules.clear())
                >"Enable all"</button>
                <button type="button" on:click=move |_| state.update_settings(|settings| *settings = Settings::default())>
                    "Reset all settings"
                </button>
            </div>
            <div class="rule-families">{rule_groups}</div>
        </dialog>
    }
}
