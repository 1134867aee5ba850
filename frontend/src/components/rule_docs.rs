//! A rule's documentation in a dialog: what it checks, why it matters, the failing example
//! and its fix, references, and the rule's metadata. Opened from any finding of the
//! playground; [`rule_documentation`] is the same content for the dashboard's finding
//! details, which show a stored finding of the same rule.

use leptos::html::Dialog;
use leptos::prelude::*;
use rampart_core::rules;

use crate::analysis::family_label;
use crate::components::results::rich_text;
use crate::markdown::{self, Block};
use crate::playground::State;

/// The documentation dialog of the rule in `rule` (closed while `None`); by default, the
/// playground's [`State::docs_rule`].
#[component]
pub fn RuleDocs(#[prop(optional)] rule: Option<RwSignal<Option<&'static str>>>) -> impl IntoView {
    let docs_rule = rule.unwrap_or_else(|| expect_context::<State>().docs_rule);
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        let open = docs_rule.get().is_some();
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    let body = move || docs_rule.get().and_then(rules::find).map(rule_documentation);
    view! {
        <dialog
            node_ref=dialog
            class="dialog rule-docs"
            aria-labelledby="rule-docs-title"
            on:close=move |_| docs_rule.set(None)
        >
            <button
                type="button"
                class="close"
                aria-label="Close the documentation"
                on:click=move |_| docs_rule.set(None)
            >"×"</button>
            {body}
        </dialog>
    }
}

/// A rule's title and id, its metadata, its remediation and its documentation (the
/// failing example and the fixed one among it).
pub fn rule_documentation(rule: &'static rules::Rule) -> impl IntoView {
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
    view! {
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
    }
}
