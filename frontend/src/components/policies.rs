//! The Policies panel: write or paste custom policies (ValidatingAdmissionPolicy objects
//! with their bindings and params), see their errors at line and column as you type, and
//! their findings among the others. Evaluated in the page like everything else (by the
//! policy module, fetched from the page's own files when a policy first appears): nothing
//! leaves it.

use leptos::ev;
use leptos::prelude::*;

use crate::lines;
use crate::playground::State;
use crate::policies::{self, POLICY_EXAMPLES};

#[component]
pub fn PoliciesPanel() -> impl IntoView {
    let state = expect_context::<State>();

    // The textarea is uncontrolled: it gets its text once it exists, then reports input.
    Effect::new(move |_| {
        if let Some(textarea) = state.policy_textarea.get() {
            textarea.set_value(&state.policies.with_untracked(|draft| draft.text.clone()));
        }
    });
    let on_input = move |event: ev::Event| {
        let text = event_target_value(&event);
        state.update_policies(|draft| draft.text = text);
    };
    let on_example = move |event: ev::Event| {
        if let Some(example) = policies::find_example(&event_target_value(&event)) {
            state.replace_policies(example.text().to_string());
            state.say(format!("Loaded the policy example: {}.", example.label));
        }
    };
    let on_assume = move |event: ev::Event| {
        let checked = event_target_checked(&event);
        state.update_policies(|draft| draft.assume_unbound = checked);
    };
    let go_to = move |line: u32| {
        let Some(textarea) = state.policy_textarea.get_untracked() else { return };
        let (start, end) = lines::utf16_range(&textarea.value(), line);
        let _ = textarea.focus();
        let _ = textarea.set_selection_range(start, end);
    };

    let policy_report =
        move || state.checked.with(|checked| checked.as_ref().map(|checked| checked.report.policies.clone()));
    let errors = move || {
        policy_report()
            .map(|report| report.errors)
            .unwrap_or_default()
            .into_iter()
            .filter(|error| error.source_name == policies::SOURCE_NAME)
            .map(|error| {
                let (line, column) = (error.line, error.column);
                view! {
                    <li data-testid="policy-error" data-line=line data-column=column>
                        <button type="button" class="link" on:click=move |_| go_to(line)>
                            {format!("line {line}, column {column}")}
                        </button>
                        ": "
                        {error.message}
                    </li>
                }
            })
            .collect_view()
    };
    let notices = move || {
        policy_report()
            .map(|report| report.notices)
            .unwrap_or_default()
            .into_iter()
            .map(|notice| view! { <li data-testid="policy-notice">{notice.message}</li> })
            .collect_view()
    };
    let summary = move || {
        policy_report()
            .map(|report| report.policies)
            .unwrap_or_default()
            .into_iter()
            .map(|policy| {
                let how = if policy.assumed_binding {
                    "evaluated as if bound with Deny".to_string()
                } else if policy.bindings.is_empty() {
                    "not evaluated: no binding".to_string()
                } else {
                    format!("bound by {}", policy.bindings.join(", "))
                };
                let rule = policy.rule.clone();
                view! {
                    <li data-testid="policy-summary" data-rule=rule>
                        <code>{policy.rule}</code>
                        " — "
                        {how}
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="policies-panel" aria-labelledby="policies-heading">
            <div class="policies-head">
                <h2 id="policies-heading">"Policies"</h2>
                <p class="hint">
                    "Your own rules, as Kubernetes ValidatingAdmissionPolicy objects (CEL) with their bindings and params. Their findings appear with the others as "
                    <code>"vap/<policy name>"</code>
                    ". Evaluated in this page: nothing leaves it."
                </p>
                <label class="field">
                    <span class="visually-hidden">"Load a policy example"</span>
                    <select on:change=on_example aria-label="Load a policy example" data-testid="policy-example">
                        <option value="" selected=true disabled=true>"Policy examples…"</option>
                        {POLICY_EXAMPLES
                            .iter()
                            .map(|example| view! { <option value=example.key>{example.label}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label class="checkbox">
                    <input
                        type="checkbox"
                        data-testid="policy-assume-unbound"
                        prop:checked=move || state.policies.with(|draft| draft.assume_unbound)
                        on:change=on_assume
                    />
                    " Evaluate policies without a binding as if bound with Deny"
                </label>
            </div>
            <textarea
                class="policy-input"
                data-testid="policy-input"
                node_ref=state.policy_textarea
                on:input=on_input
                spellcheck="false"
                autocomplete="off"
                aria-label="Policies (YAML)"
                placeholder="apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n…"
            ></textarea>
            <Show when=move || state.policies_loading.get()>
                <p class="hint" role="status" data-testid="policy-loading">"Loading the policy engine…"</p>
            </Show>
            <ul class="policy-errors" aria-live="polite">{errors}</ul>
            <ul class="policy-notices">{notices}</ul>
            <ul class="policy-summaries">{summary}</ul>
        </section>
    }
}
