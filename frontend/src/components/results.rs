//! The results: the overall score and grade, parse errors, filters, and the findings
//! grouped by object, each with its severity, message, remediation, line and rule docs.
//!
//! The list is keyed by [`GroupView::key`], which changes exactly when what is shown about
//! an object does, line numbers aside: typing re-renders only the objects whose results
//! changed, and a new line that moves findings only updates the numbers of the objects
//! below it. `data-generation` on the results says which check they show (tests and the
//! benchmark wait on it).

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;
use rampart_core::{Finding, Severity};

use crate::analysis::{self, family_label, GroupView, FAMILIES};
use crate::markdown::{self, Inline};
use crate::playground::State;

/// Text with `code` spans, as elements.
pub fn rich_text(text: &str) -> impl IntoView {
    markdown::inline(text)
        .into_iter()
        .map(|run| match run {
            Inline::Text(text) => view! { <span>{text.to_string()}</span> }.into_any(),
            Inline::Code(code) => view! { <code>{code.to_string()}</code> }.into_any(),
        })
        .collect_view()
}

#[component]
pub fn Results() -> impl IntoView {
    let state = expect_context::<State>();
    // Shared, so that handing the list to `For` (which needs only the keys of groups it
    // already shows) copies pointers, not every finding.
    let group_views: Memo<Vec<Arc<GroupView>>> = Memo::new(move |_| {
        let filter = state.filter.get();
        state.checked.with(|checked| {
            checked
                .as_ref()
                .map(|checked| analysis::group_views(&checked.report, &filter).into_iter().map(Arc::new).collect())
                .unwrap_or_default()
        })
    });
    // The lines of each group by key: rows read their line numbers from here, so a moved
    // finding updates a number instead of being rendered anew.
    let lines: Memo<Arc<HashMap<u64, Vec<u32>>>> = Memo::new(move |_| {
        Arc::new(group_views.with(|views| views.iter().map(|view| (view.key, view.lines.clone())).collect()))
    });
    view! {
        <section id="results" class="results-pane" aria-labelledby="results-heading" tabindex="-1">
            <div class="pane-head">
                <h2 id="results-heading">"Results"</h2>
                <span class="pane-meta">
                    {move || {
                        state
                            .checked
                            .with(|checked| {
                                checked
                                    .as_ref()
                                    .map(|checked| {
                                        format!(
                                            "Pod Security Standards {} · checked in {:.1} ms",
                                            checked.report.pss_version,
                                            checked.check_ms,
                                        )
                                    })
                            })
                    }}
                </span>
            </div>
            <Filters/>
            <div
                class="results"
                data-generation=move || state.generation.get()
                data-check-ms=move || {
                    state.checked.with(|checked| checked.as_ref().map(|checked| format!("{:.3}", checked.check_ms)))
                }
            >
                {move || state.checked.get().map(|checked| summary(state, &checked.report))}
                {move || state.checked.get().map(|checked| parse_errors(state, &checked.report))}
                {move || {
                    let empty = group_views.with(Vec::is_empty);
                    empty.then(|| {
                        let message = state.checked.with(|checked| {
                            match checked.as_ref().is_some_and(|checked| !checked.report.objects.is_empty()) {
                                true => "No object here is of a kind the rules check, or no finding passes the filters.",
                                false => "No Kubernetes objects yet: paste manifests, pick an example, or drop files on the editor.",
                            }
                        });
                        view! { <p class="empty">{message}</p> }
                    })
                }}
                <p class="visually-hidden" aria-live="polite">
                    {move || {
                        let shown: usize = group_views.with(|views| views.iter().map(|view| view.findings.len()).sum());
                        format!("{shown} findings shown")
                    }}
                </p>
                <ol class="objects">
                    <For
                        each=move || group_views.get()
                        key=|view| view.key
                        children=move |view| object_view(state, view, lines)
                    />
                </ol>
            </div>
        </section>
    }
}

fn summary(state: State, report: &rampart_core::Report) -> impl IntoView {
    let fixes_of = |safety: rampart_core::fix::Safety| {
        report
            .findings
            .iter()
            .filter(|finding| !finding.exempted && finding.fix.as_ref().is_some_and(|fix| fix.safety == safety))
            .count()
    };
    let (safe, unsafe_) = (fixes_of(rampart_core::fix::Safety::Safe), fixes_of(rampart_core::fix::Safety::Unsafe));
    let fix_button = (safe + unsafe_ > 0).then(|| {
        let label = match (safe, unsafe_) {
            (safe, 0) => format!("Fixed manifest ({safe} safe fixes)"),
            (0, unsafe_) => format!("Fixed manifest ({unsafe_} unsafe fixes)"),
            (safe, unsafe_) => format!("Fixed manifest ({safe} safe, {unsafe_} unsafe fixes)"),
        };
        view! {
            <button
                type="button"
                class="primary fix-all"
                aria-haspopup="dialog"
                on:click=move |_| state.fixed_open.set(true)
            >
                {label}
            </button>
        }
    });
    let grade_class = format!("grade grade-{}", report.grade.to_ascii_lowercase());
    let counts = Severity::ALL
        .iter()
        .map(|&severity| {
            let count = report.summary.count(severity);
            view! {
                <li class=format!("count level-{}", severity.as_str())>
                    <span class="count-number">{count}</span>
                    " "
                    {severity.as_str()}
                </li>
            }
        })
        .collect_view();
    let checked_objects = report.summary.objects - report.summary.not_checked;
    let objects = match (checked_objects, report.summary.not_checked) {
        (1, 0) => "1 object checked".to_string(),
        (count, 0) => format!("{count} objects checked"),
        (count, skipped) => format!("{count} objects checked, {skipped} of kinds no rule covers"),
    };
    view! {
        <div class="summary">
            <div class="score-box" aria-label=format!("Score {} of 100, grade {}", report.score, report.grade)>
                <span class=grade_class data-testid="grade">{report.grade}</span>
                <span class="score-text">
                    <span class="score" data-testid="score">{report.score}</span>
                    <span class="score-of">" / 100"</span>
                </span>
            </div>
            <div class="summary-detail">
                <ul class="counts" aria-label="Findings by severity">{counts}</ul>
                <p class="objects-line">
                    {objects}
                    {(report.summary.exempted > 0)
                        .then(|| format!(", {} findings exempted", report.summary.exempted))}
                </p>
            </div>
            {fix_button}
        </div>
    }
}

fn parse_errors(state: State, report: &rampart_core::Report) -> impl IntoView {
    (!report.errors.is_empty()).then(|| {
        let items = report
            .errors
            .iter()
            .map(|error| {
                let line = error.line;
                view! {
                    <li data-testid="parse-error" data-line=line>
                        <button type="button" class="link" on:click=move |_| state.go_to_line(line)>
                            {format!("Line {}, column {}", error.line, error.column)}
                        </button>
                        ": "
                        {error.message.clone()}
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="parse-errors" role="alert">
                <h3>"Could not read part of the input"</h3>
                <p class="hint">"The other documents are still checked."</p>
                <ul>{items}</ul>
            </div>
        }
    })
}

#[component]
fn Filters() -> impl IntoView {
    let state = expect_context::<State>();
    let count = move |severity: Severity| {
        state.checked.with(|checked| checked.as_ref().map_or(0, |checked| checked.report.summary.count(severity)))
    };
    let severity_buttons = Severity::ALL
        .iter()
        .map(|&severity| {
            let pressed = move || state.filter.with(|filter| filter.shows_severity(severity));
            view! {
                <button
                    type="button"
                    class=format!("chip level-{}", severity.as_str())
                    aria-pressed=move || pressed().to_string()
                    on:click=move |_| state.filter.update(|filter| filter.toggle_severity(severity))
                >
                    {severity.as_str()}
                    " "
                    <span class="chip-count">{move || count(severity)}</span>
                </button>
            }
        })
        .collect_view();
    let on_family = move |event: leptos::ev::Event| {
        let value = event_target_value(&event);
        let family = FAMILIES.iter().copied().find(|family| family.as_str() == value);
        state.filter.update(|filter| filter.family = family);
    };
    view! {
        <div class="filters" role="group" aria-label="Filter findings">
            <div class="chips" role="group" aria-label="Severities shown">{severity_buttons}</div>
            <label class="field">
                <span>"Family"</span>
                <select on:change=on_family>
                    <option value="">"All families"</option>
                    {FAMILIES
                        .iter()
                        .map(|family| view! { <option value=family.as_str()>{family_label(*family)}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="field checkbox">
                <input
                    type="checkbox"
                    prop:checked=move || state.filter.with(|filter| filter.exempted)
                    on:change=move |event| {
                        let checked = event_target_checked(&event);
                        state.filter.update(|filter| filter.exempted = checked);
                    }
                />
                <span>"Show exempted"</span>
            </label>
        </div>
    }
}

/// Line `position` of a group (0: the object, then its findings), as of the latest check;
/// `fallback` until the group is gone.
fn line_of(lines: Memo<Option<Vec<u32>>>, position: usize, fallback: u32) -> impl Fn() -> u32 + Copy {
    move || lines.with(|lines| lines.as_ref().and_then(|lines| lines.get(position)).copied().unwrap_or(fallback))
}

fn object_view(state: State, group: Arc<GroupView>, lines: Memo<Arc<HashMap<u64, Vec<u32>>>>) -> impl IntoView {
    let GroupView { key, ref object, ref findings, .. } = *group;
    // This group's lines: its rows are told only when these change, so a new line makes
    // only the objects below it update their numbers.
    let lines = Memo::new(move |_| lines.with(|lines| lines.get(&key).cloned()));
    let resource = &object.resource;
    let line = line_of(lines, 0, object.line);
    let namespace = resource.namespace.clone().map(|namespace| view! { <span class="namespace">{namespace}</span> });
    let grade = object.grade.map(|grade| {
        view! {
            <span class=format!("grade small grade-{}", grade.to_ascii_lowercase()) title="Object grade">
                {grade}
            </span>
            <span class="object-score">{object.score.map(|score| format!("{score}/100"))}</span>
        }
    });
    let pss = object.pss.map(|level| {
        view! {
            <span class=format!("pss pss-{}", level.as_str()) title="Highest Pod Security Standards level met">
                "PSS "
                {level.as_str()}
            </span>
        }
    });
    let list = if findings.is_empty() {
        view! { <p class="clean">"No findings: every rule that applies passed."</p> }.into_any()
    } else {
        let rows = findings
            .iter()
            .enumerate()
            .map(|(position, finding)| finding_view(state, finding, line_of(lines, position + 1, finding.line)))
            .collect_view();
        view! { <ul class="findings">{rows}</ul> }.into_any()
    };
    view! {
        <li class="object">
            <div class="object-head">
                <button
                    type="button"
                    class="object-name link"
                    on:click=move |_| state.go_to_line(line())
                    title="Go to the object in the editor"
                >
                    <span class="kind">{resource.kind.clone()}</span>
                    " "
                    <span class="name">{resource.name.clone()}</span>
                </button>
                {namespace}
                <span class="object-badges">{pss} {grade}</span>
            </div>
            {list}
        </li>
    }
}

fn finding_view(
    state: State,
    finding: &Finding,
    line: impl Fn() -> u32 + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let rule = finding.rule.to_string();
    // Built-in rules open their documentation; a custom policy's rule has none here.
    let documented: Option<&'static str> = rampart_core::rules::find(&finding.rule).map(|rule| rule.id);
    let severity = finding.severity.as_str();
    let exemption = finding.exempted.then(|| {
        let reason = finding.exemption_reason.clone().unwrap_or_else(|| "no reason given".to_string());
        view! { <p class="exemption">"Exempted: " {reason}</p> }
    });
    let fix = finding.fix.as_ref().map(|fix| fix.safety.as_str());
    let fix_tag = fix.map(|safety| {
        let title = if safety == "safe" {
            "An automatic fix exists (see Fixed manifest)"
        } else {
            "An automatic fix exists, but it may change what the workload does"
        };
        view! { <span class=format!("fix-tag fix-{safety}") title=title>{format!("{safety} fix")}</span> }
    });
    view! {
        <li
            class=format!("finding level-{severity}")
            class:exempted=finding.exempted
            data-testid="finding"
            data-rule=rule.clone()
            data-severity=severity
            data-line=line
            data-fix=fix
        >
            <button
                type="button"
                class="finding-main"
                on:click=move |_| state.go_to_line(line())
                title="Go to this line in the editor"
            >
                <span class=format!("badge level-{severity}")>{severity}</span>
                <span class="message">{finding.message.clone()}</span>
                <span class="line-ref">{move || format!("line {}", line())}</span>
            </button>
            <p class="remediation">{rich_text(&finding.remediation)}</p>
            {exemption}
            <p class="finding-meta">
                {match documented {
                    Some(id) => view! {
                        <button
                            type="button"
                            class="link rule-link"
                            on:click=move |_| state.docs_rule.set(Some(id))
                            aria-haspopup="dialog"
                            aria-label=format!("Documentation of rule {id}")
                        >
                            {id}
                        </button>
                    }.into_any(),
                    None => view! { <span class="rule-link policy-rule">{rule.clone()}</span> }.into_any(),
                }}
                <span class="path" title="Field path">{finding.path.clone()}</span>
                {fix_tag}
            </p>
        </li>
    }
}
