//! A rule's documentation in a dialog: what it checks, why it matters, the failing example
//! and its fix, references, and the rule's metadata. Opened from any finding.

use leptos::html::Dialog;
use leptos::prelude::*;
use rampart_core::rules;

use crate::analysis::family_label;
use crate::components::results::rich_text;
use crate::markdown::{self, Block};
use crate::pages::playground::State;

#[component]
pub fn RuleDocs() -> impl IntoView {
    let state = expect_context::<State>();
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        let open = state.docs_rule.get().is_some();
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    let body = move || {
        let rule = state.docs_rule.get().and_then(rules::find)?;
        let mut facts =
            vec![("Severity", rule.severity.as_str().to_string()), ("Family", family_label(rule.family).to_string())];
        if let Some(check) = rule.pss {
            facts.push((
                "Pod Security Standards",
                format!("{} level, check {} (since v1.{})", check.level.as_str(), check.check, check.since),
            ));
        }
        if let Some(layer) = rule.guide_layer {
            facts.push(("Hardening guide", format!("layer {layer}")));
        }
        if let Some(cis) = rule.cis {
            facts.push(("CIS Kubernetes Benchmark", cis.to_string()));
        }
        let facts = facts.into_iter().map(|(term, value)| view! { <dt>{term}</dt> <dd>{value}</dd> }).collect_view();
        let blocks = markdown::blocks(&rule.documentation())
            .into_iter()
            .map(|block| match block {
                Block::Heading(text) => view! { <h3>{text}</h3> }.into_any(),
                Block::Paragraph(text) => view! { <p>{rich_text(&text)}</p> }.into_any(),
                Block::List(items) => {
                    view! { <ul>{items.iter().map(|item| view! { <li>{rich_text(item)}</li> }).collect_view()}</ul> }
                        .into_any()
                }
                Block::Code { language, text } => view! {
                    <pre class="code-block" data-language=language><code>{text}</code></pre>
                }
                .into_any(),
            })
            .collect_view();
        Some(view! {
            <header class="dialog-head">
                <h2 id="rule-docs-title">{rule.title}</h2>
                <code class="rule-id">{rule.id}</code>
            </header>
            <dl class="facts">{facts}</dl>
            <p class="remediation">
                <strong>"Fix: "</strong>
                {rich_text(rule.remediation)}
            </p>
            <div class="docs">{blocks}</div>
        })
    };
    view! {
        <dialog
            node_ref=dialog
            class="dialog rule-docs"
            aria-labelledby="rule-docs-title"
            on:close=move |_| state.docs_rule.set(None)
        >
            <button
                type="button"
                class="close"
                aria-label="Close the documentation"
                on:click=move |_| state.docs_rule.set(None)
            >"×"</button>
            {body}
        </dialog>
    }
}
