//! A cluster's findings: filters (status, severity, rule, namespace, free text) and the
//! order (most severe first unless chosen) applied by the server, which says how many
//! match; a page at a time (`next_cursor`, "Load more"), each page rendered once and kept
//! (a click adds its rows and touches none already shown), the rows laid out as a grid's
//! rather than a table's so that adding a page costs the same at 5,000 rows as at 100;
//! and a finding's details in a dialog: the object, the field path, when it was first and
//! last seen, why it is exempted, its rule's documentation and remediation (the
//! playground's rule docs), and, for editors, the form that exempts it.

use std::sync::Arc;

use leptos::html::Dialog;
use leptos::prelude::*;
use rampart_core::RULES;

use crate::api::{self, Exemption, Finding, FindingFilter, FindingsPage};
use crate::components::exemptions::ExemptForm;
use crate::components::rule_docs::rule_documentation;
use crate::dashboard::{FindingSort, SEVERITIES};
use crate::session::Auth;
use crate::time::{format_utc, parse_rfc3339};

/// What is loaded: how many rows, how many match, and where the next page starts. The
/// rows themselves are in the pages, apart, so that a page arriving changes only this.
#[derive(Clone, Debug, Default, PartialEq)]
struct Loaded {
    count: usize,
    total: Option<i64>,
    /// Whether `total` is exact (else a lower bound: a text filter over many findings).
    exact: bool,
    next_cursor: Option<String>,
}

/// Findings gathered per load: the server's page unless it stops short (a text filter stops
/// after examining a bounded number of findings); then the next page is asked for at once,
/// until this many more are shown or none is left.
const GATHER: usize = 100;

/// The table's columns.
const COLUMNS: [&str; 6] = ["Severity", "Finding", "Object", "Status", "First seen", "Last seen"];

/// One page of rows, numbered in the order loaded (the key that keeps it rendered), each
/// a `tbody` of its own.
type Page = (usize, Arc<Vec<Finding>>);

/// What the table area shows; it is rebuilt only when this changes, not per page.
#[derive(Clone, Debug, PartialEq)]
enum Shown {
    Loading,
    Failed(String),
    Empty,
    Rows,
}

/// The answer to one request for findings: its number, whether it asked for the next page
/// (else the first), and the page or why it failed.
#[derive(Clone)]
struct Answer {
    number: u64,
    more: bool,
    page: Result<FindingsPage, String>,
}

/// Adds an answer's rows to those shown (a first page replaces them), and what it says of
/// the findings that match to `loaded`.
fn add_page(answer: Answer, loaded: RwSignal<Option<Result<Loaded, String>>>, pages: RwSignal<Vec<Page>>) {
    let more = answer.more;
    match answer.page {
        Ok(page) => {
            let count = page.items.len();
            let exact = page.total_exact;
            let rows = Arc::new(page.items);
            if !more {
                pages.set(vec![(0, rows)]);
            } else if count > 0 {
                pages.update(|pages| pages.push((pages.len(), rows)));
            }
            loaded.update(|loaded| match loaded {
                Some(Ok(existing)) if more => {
                    existing.count += count;
                    existing.total = Some(page.total);
                    existing.exact = exact;
                    existing.next_cursor = page.next_cursor;
                }
                _ => {
                    *loaded = Some(Ok(Loaded { count, total: Some(page.total), exact, next_cursor: page.next_cursor }))
                }
            });
        }
        Err(message) => {
            pages.set(Vec::new());
            loaded.set(Some(Err(message)));
        }
    }
}

fn when(text: &str) -> String {
    parse_rfc3339(text).map(format_utc).unwrap_or_else(|| text.to_string())
}

fn object_label(finding: &Finding) -> String {
    match &finding.resource.namespace {
        Some(namespace) => format!("{} {}/{}", finding.resource.kind, namespace, finding.resource.name),
        None => format!("{} {}", finding.resource.kind, finding.resource.name),
    }
}

/// The findings section of a cluster page. `namespaces` feed the namespace filter;
/// `version` changes when the page reloads its data (a scan ended), which reloads the
/// findings with the current filters. With `can_exempt` (the team's editors and admins) a
/// finding's details offer to exempt it; `on_exempted` receives each exemption granted.
#[component]
pub fn FindingsTable(
    cluster: i64,
    #[prop(into)] namespaces: Signal<Vec<String>>,
    #[prop(into)] version: Signal<u64>,
    #[prop(into)] can_exempt: Signal<bool>,
    on_exempted: Callback<Exemption>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    // A link may name the rule to filter by (`?rule=`), as a report's evidence does.
    let linked_rule = crate::routes::query_value(&window().location().search().unwrap_or_default(), "rule")
        .filter(|rule| RULES.iter().any(|known| known.id == rule));
    let filter = RwSignal::new(FindingFilter {
        status: "open".to_string(),
        rule: linked_rule.unwrap_or_default(),
        ..FindingFilter::default()
    });
    let loaded = RwSignal::new(None::<Result<Loaded, String>>);
    let pages = RwSignal::new(Vec::<Page>::new());
    let detail = RwSignal::new(None::<Finding>);
    // Answers to an older filter are dropped when a newer request was made since.
    let request = StoredValue::new(0u64);
    // How many rows to gather before waiting for "Load more".
    let wanted = StoredValue::new(GATHER);

    let load = Action::new_local(move |(number, more, cursor): &(u64, bool, Option<String>)| {
        let (number, more, cursor) = (*number, *more, cursor.clone());
        let current = filter.get_untracked();
        async move {
            let answer = api::findings(cluster, &current, cursor.as_deref()).await;
            Answer { number, more, page: answer.map_err(|failure| auth.explain(&failure)) }
        }
    });
    let loading = load.pending();
    let fetch = move |more: bool| {
        let cursor = if more {
            loaded.with_untracked(|loaded| loaded.as_ref().and_then(|l| l.as_ref().ok()?.next_cursor.clone()))
        } else {
            None
        };
        if more && cursor.is_none() {
            return;
        }
        let number = request.get_value() + 1;
        request.set_value(number);
        load.dispatch_local((number, more, cursor));
    };
    // Loads at first, then again whenever the filter changes or the page's data does.
    Effect::new(move |_| {
        filter.track();
        version.track();
        wanted.set_value(GATHER);
        fetch(false);
    });
    // Each answer to the latest request adds its rows (or replaces them, for a first page).
    Effect::new(move |_| {
        let Some(answer) = load.value().get() else { return };
        if answer.number != request.get_value() {
            return;
        }
        add_page(answer, loaded, pages);
        // A page that stopped short (a text filter examines a bounded number of findings
        // per request) is followed at once by the next, until enough rows are shown or
        // none is left.
        let short = loaded.with_untracked(|loaded| match loaded {
            Some(Ok(loaded)) => loaded.next_cursor.is_some() && loaded.count < wanted.get_value(),
            _ => false,
        });
        if short {
            fetch(true);
        }
    });

    let shown = Memo::new(move |_| {
        loaded.with(|loaded| match loaded {
            None => Shown::Loading,
            Some(Err(message)) => Shown::Failed(message.clone()),
            // Still searching: a text filter's first pages may hold none yet.
            Some(Ok(loaded)) if loaded.count == 0 && loaded.next_cursor.is_some() => Shown::Loading,
            Some(Ok(loaded)) if loaded.count == 0 => Shown::Empty,
            Some(Ok(_)) => Shown::Rows,
        })
    });

    let state = loaded;
    let more = move || {
        loaded.with(|loaded| {
            let loaded = loaded.as_ref()?.as_ref().ok()?;
            loaded.next_cursor.as_ref()?;
            Some(view! {
                <button
                    type="button"
                    class="button"
                    data-testid="load-more"
                    disabled=move || loading.get()
                    on:click=move |_| {
                        wanted.set_value(state.with_untracked(|loaded| match loaded {
                            Some(Ok(loaded)) => loaded.count,
                            _ => 0,
                        }) + GATHER);
                        fetch(true)
                    }
                >
                    {move || if loading.get() { "Loading…" } else { "Load more" }}
                </button>
            })
        })
    };

    view! {
        <FindingFilters filter=filter namespaces=namespaces/>
        <p class="pane-meta" role="status" data-testid="findings-count">
            {move || loaded.with(|loaded| Some(count_text(loaded.as_ref()?.as_ref().ok()?)))}
        </p>
        <FindingRows shown=shown filter=filter pages=pages detail=detail/>
        {more}
        <FindingDetails cluster=cluster detail=detail can_exempt=can_exempt on_exempted=on_exempted/>
    }
}

/// The filters and the order, each applied by the server as soon as it changes. The text
/// filter applies on Enter or when the field is left, not on each key: one request per
/// search.
#[component]
fn FindingFilters(filter: RwSignal<FindingFilter>, namespaces: Signal<Vec<String>>) -> impl IntoView {
    let select =
        move |label: &'static str, options: Vec<(String, String)>, field: fn(&mut FindingFilter) -> &mut String| {
            let current = field(&mut filter.get_untracked()).clone();
            let options = options
                .into_iter()
                .map(|(value, text)| view! { <option selected=value == current value=value>{text}</option> })
                .collect_view();
            view! {
                <label class="field">
                    <span>{label}</span>
                    <select on:change=move |event| filter.update(|filter| *field(filter) = event_target_value(&event))>
                        {options}
                    </select>
                </label>
            }
        };
    let statuses = vec![
        ("open".to_string(), "Open".to_string()),
        ("resolved".to_string(), "Resolved".to_string()),
        ("exempted".to_string(), "Exempted".to_string()),
        (String::new(), "Any status".to_string()),
    ];
    let severities = std::iter::once((String::new(), "Any severity".to_string()))
        .chain(SEVERITIES.iter().map(|severity| (severity.to_string(), severity.to_string())))
        .collect();
    let mut rule_ids: Vec<&str> = RULES.iter().map(|rule| rule.id).collect();
    rule_ids.sort_unstable();
    let rules = std::iter::once((String::new(), "Any rule".to_string()))
        .chain(rule_ids.into_iter().map(|id| (id.to_string(), id.to_string())))
        .collect();
    let namespace_select = move || {
        let options = namespaces
            .get()
            .into_iter()
            .map(|namespace| {
                let label = if namespace.is_empty() { "(cluster-scoped)".to_string() } else { namespace.clone() };
                view! { <option value=namespace>{label}</option> }
            })
            .collect_view();
        view! {
            <label class="field">
                <span>"Namespace"</span>
                <select on:change=move |event| filter.update(|filter| filter.namespace = event_target_value(&event))>
                    <option value="">"Any namespace"</option>
                    {options}
                </select>
            </label>
        }
    };
    let sort_options = FindingSort::ALL
        .into_iter()
        .map(|choice| view! { <option value=choice.key()>{choice.label()}</option> })
        .collect_view();

    view! {
        <div class="filters" role="search" aria-label="Filter findings">
            {select("Status", statuses, |filter| &mut filter.status)}
            {select("Severity", severities, |filter| &mut filter.severity)}
            {select("Rule", rules, |filter| &mut filter.rule)}
            {namespace_select}
            <label class="field">
                <span>"Text"</span>
                <input
                    type="search"
                    placeholder="object, rule, path or message"
                    on:change=move |event| filter.update(|filter| filter.text = event_target_value(&event))
                />
            </label>
            <label class="field">
                <span>"Sort"</span>
                <select
                    data-testid="findings-sort"
                    on:change=move |event| {
                        let sort = FindingSort::from_key(&event_target_value(&event));
                        filter.update(|filter| filter.sort = sort.key().to_string())
                    }
                >
                    {sort_options}
                </select>
            </label>
        </div>
    }
}

/// The rows loaded so far, a `tbody` per page, or what stands in for them.
#[component]
fn FindingRows(
    shown: Memo<Shown>,
    filter: RwSignal<FindingFilter>,
    pages: RwSignal<Vec<Page>>,
    detail: RwSignal<Option<Finding>>,
) -> impl IntoView {
    move || match shown.get() {
        Shown::Loading => view! { <p class="loading-inline" role="status">"Loading findings…"</p> }.into_any(),
        Shown::Failed(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Shown::Empty => {
            let unfiltered = FindingFilter { status: "open".into(), ..FindingFilter::default() };
            let text = if filter
                .with_untracked(|filter| FindingFilter { sort: String::new(), ..filter.clone() } == unfiltered)
            {
                "No open findings. Upload an export or scan the cluster to see where it stands."
            } else {
                "No finding matches these filters."
            };
            view! { <p class="muted" data-testid="findings-empty">{text}</p> }.into_any()
        }
        Shown::Rows => {
            let head = COLUMNS.map(|column| view! { <th scope="col" role="columnheader">{column}</th> });
            view! {
                <div class="table-wrap">
                    <table class="findings-table" role="table" aria-label="Findings">
                        <thead role="rowgroup">
                            <tr role="row">{head}</tr>
                        </thead>
                        <For
                            each=move || pages.get()
                            key=|(number, rows)| (*number, Arc::as_ptr(rows) as usize)
                            children=move |(_, rows)| {
                                let rows = rows.iter().cloned().map(|finding| finding_row(finding, detail)).collect_view();
                                view! { <tbody class="findings-page" role="rowgroup">{rows}</tbody> }
                            }
                        />
                    </table>
                </div>
            }
            .into_any()
        }
    }
}

/// "100 of 3,000 findings shown" while more match, else "3,000 findings". A total that is
/// a lower bound says so: "100 of at least 340 findings shown", or, when no more are known
/// than are shown, "100 findings shown, more may match"; once every page is loaded the
/// rows shown are the count.
fn count_text(loaded: &Loaded) -> String {
    let count = loaded.count as i64;
    if !loaded.exact {
        let total = loaded.total.unwrap_or(0);
        let noun = |n: i64| if n == 1 { "finding" } else { "findings" };
        return match &loaded.next_cursor {
            None => format!("{} {}", group(count), noun(count)),
            Some(_) if total > count => format!("{} of at least {} {} shown", group(count), group(total), noun(total)),
            Some(_) => format!("{} {} shown, more may match", group(count), noun(count)),
        };
    }
    let total = loaded.total.unwrap_or(count);
    let noun = if total == 1 { "finding" } else { "findings" };
    if loaded.next_cursor.is_some() || count < total {
        format!("{} of {} {noun} shown", group(loaded.count as i64), group(total))
    } else {
        format!("{} {noun}", group(total))
    }
}

/// A count with thousands separated: `3,000`.
fn group(count: i64) -> String {
    let digits = count.unsigned_abs().to_string();
    let mut text = String::new();
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    if count < 0 {
        text.insert(0, '-');
    }
    text
}

fn finding_row(finding: Finding, detail: RwSignal<Option<Finding>>) -> impl IntoView {
    let object = object_label(&finding);
    let severity = finding.severity.clone();
    let opened = finding.clone();
    view! {
        <tr
            role="row"
            class=format!("level-{severity}")
            data-testid="cluster-finding"
            data-rule=finding.rule.clone()
            data-severity=severity.clone()
            data-status=finding.status.clone()
        >
            <td role="cell" data-label="Severity"><span class="badge">{severity.clone()}</span></td>
            <td role="cell" data-label="Finding">
                <button
                    type="button"
                    class="link finding-open"
                    aria-haspopup="dialog"
                    on:click=move |_| detail.set(Some(opened.clone()))
                >{finding.message.clone()}</button>
                <code class="rule-id">{finding.rule.clone()}</code>
            </td>
            <td role="cell" data-label="Object">{object}</td>
            <td role="cell" data-label="Status">{finding.status.clone()}</td>
            <td role="cell" data-label="First seen">{when(&finding.first_seen)}</td>
            <td role="cell" data-label="Last seen">{when(&finding.last_seen)}</td>
        </tr>
    }
}

/// "Exempt…" and, once pressed, the form; for editors, on findings not yet exempted.
fn exempt_action(
    cluster: i64,
    finding: Finding,
    exempting: RwSignal<bool>,
    can_exempt: Signal<bool>,
    detail: RwSignal<Option<Finding>>,
    on_exempted: Callback<Exemption>,
) -> impl IntoView {
    let exempted = finding.status == "exempted";
    move || {
        if !can_exempt.get() || exempted {
            return None;
        }
        Some(if exempting.get() {
            let on_granted = Callback::new(move |exemption: Exemption| {
                detail.set(None);
                on_exempted.run(exemption);
            });
            view! {
                <ExemptForm
                    cluster=cluster
                    finding=finding.clone()
                    on_granted=on_granted
                    on_cancel=Callback::new(move |_| exempting.set(false))
                />
            }
            .into_any()
        } else {
            view! {
                <button type="button" class="button" on:click=move |_| exempting.set(true)>"Exempt…"</button>
            }
            .into_any()
        })
    }
}

/// The dialog of one finding; an open finding offers "Exempt…" to editors.
#[component]
fn FindingDetails(
    cluster: i64,
    detail: RwSignal<Option<Finding>>,
    can_exempt: Signal<bool>,
    on_exempted: Callback<Exemption>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let exempting = RwSignal::new(false);
    Effect::new(move |_| {
        let open = detail.with(Option::is_some);
        exempting.set(false);
        if let Some(dialog) = dialog.get() {
            if open && !dialog.open() {
                let _ = dialog.show_modal();
            } else if !open && dialog.open() {
                dialog.close();
            }
        }
    });
    let body = move || {
        detail.get().map(|finding| {
            let facts = [
                ("Severity", finding.severity.clone()),
                ("Status", finding.status.clone()),
                ("Object", object_label(&finding)),
                ("First seen", when(&finding.first_seen)),
                ("Last seen", when(&finding.last_seen)),
            ]
            .into_iter()
            .chain(finding.resolved_at.as_deref().map(|at| ("Resolved", when(at))))
            .chain(finding.exemption_reason.clone().map(|reason| ("Exempted because", reason)))
            .map(|(term, value)| view! { <dt>{term}</dt> <dd>{value}</dd> })
            .collect_view();
            let rule = rampart_core::rules::find(&finding.rule);
            view! {
                <header class="dialog-head">
                    <h2 id="finding-title">{finding.message.clone()}</h2>
                </header>
                <dl class="facts">
                    {facts}
                    <dt>"Field"</dt>
                    <dd>
                        <code class="path" data-testid="finding-path">
                            {if finding.path.is_empty() { "(the object)".to_string() } else { finding.path.clone() }}
                        </code>
                    </dd>
                </dl>
                {exempt_action(cluster, finding.clone(), exempting, can_exempt, detail, on_exempted)}
                <hr/>
                {match rule {
                    Some(rule) => rule_documentation(rule).into_any(),
                    None => view! {
                        <p class="hint">
                            {format!(
                                "Rule {} is not known to this version of the web app; `rampart explain {}` documents it.",
                                finding.rule,
                                finding.rule,
                            )}
                        </p>
                    }
                    .into_any(),
                }}
            }
        })
    };
    view! {
        <dialog
            node_ref=dialog
            class="dialog finding-details"
            aria-labelledby="finding-title"
            data-testid="finding-details"
            on:close=move |_| detail.set(None)
        >
            <button type="button" class="close" aria-label="Close the finding" on:click=move |_| detail.set(None)>
                "×"
            </button>
            {body}
        </dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_say_how_many_match_in_all() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(3000), "3,000");
        assert_eq!(group(1_234_567), "1,234,567");
        let loaded =
            |count, total, more: bool| Loaded { count, total, exact: true, next_cursor: more.then(|| "c".to_string()) };
        assert_eq!(count_text(&loaded(100, Some(3000), true)), "100 of 3,000 findings shown");
        assert_eq!(count_text(&loaded(3000, Some(3000), false)), "3,000 findings");
        assert_eq!(count_text(&loaded(1, Some(1), false)), "1 finding");
        assert_eq!(count_text(&loaded(2, None, false)), "2 findings");
        // A lower bound (a text filter over many findings) is said to be one.
        let bounded = |count, total, more: bool| Loaded { exact: false, ..loaded(count, Some(total), more) };
        assert_eq!(count_text(&bounded(100, 340, true)), "100 of at least 340 findings shown");
        assert_eq!(count_text(&bounded(3, 0, true)), "3 findings shown, more may match");
        assert_eq!(count_text(&bounded(1, 0, true)), "1 finding shown, more may match");
        assert_eq!(count_text(&bounded(12, 0, false)), "12 findings");
    }
}
