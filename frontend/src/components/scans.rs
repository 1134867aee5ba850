//! A cluster's scans: the history table (status, times, score, new and resolved, and the
//! per-kind errors of partial scans), the details of one scan (opened from the history or
//! from a point of the trend chart), and the namespaces of a scan with their scores.

use leptos::prelude::*;

use crate::api::{NamespaceSummary, Scan};
use crate::components::scores::{score_and_grade, severity_counts};
use crate::components::table::DataTable;
use crate::dashboard::{grade_class, sort_namespaces, status_label, NamespaceSort};
use crate::time::{format_utc, parse_rfc3339};

fn when(text: Option<&str>) -> String {
    text.and_then(parse_rfc3339).map(format_utc).unwrap_or_else(|| "—".to_string())
}

/// What a scan could not read, one line per kind.
pub fn scan_errors(scan: &Scan) -> impl IntoView {
    (!scan.errors.is_empty()).then(|| {
        let items = scan
            .errors
            .iter()
            .map(|error| {
                let kind = error.kind.clone().unwrap_or_else(|| "input".to_string());
                view! {
                    <li>
                        <strong>{kind}</strong>
                        ": "
                        {error.message.clone()}
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="scan-errors" data-testid="scan-errors">{items}</ul> }
    })
}

fn score_of(scan: &Scan) -> impl IntoView {
    match (scan.score, scan.grade.clone()) {
        (Some(score), Some(grade)) => view! {
            <span class="score-number">{score}</span>
            " "
            <span class=grade_class(&grade)>{grade.clone()}</span>
        }
        .into_any(),
        _ => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// The scan history, newest first; "Details" opens a scan with `on_select`.
#[component]
pub fn ScanHistory(scans: Vec<Scan>, on_select: Callback<i64>) -> impl IntoView {
    if scans.is_empty() {
        return view! { <p class="muted">"No scan yet."</p> }.into_any();
    }
    let rows = scans
        .into_iter()
        .map(|scan| {
            let id = scan.id;
            let pending = scan.is_pending();
            view! {
                <tr data-testid="scan-row" data-scan=id data-status=scan.status.clone()>
                    <th scope="row" data-label="Scan">{format!("#{id}")}</th>
                    <td data-label="Source">{scan.source.clone()}</td>
                    <td data-label="Status">
                        <span class=format!("status status-{}", scan.status)>
                            {if pending { format!("{}…", scan.status) } else { status_label(&scan.status).to_string() }}
                        </span>
                        {scan.message.clone().map(|message| view! { <p class="hint">{message}</p> })}
                        {scan_errors(&scan)}
                    </td>
                    <td data-label="Queued">{when(Some(&scan.queued_at))}</td>
                    <td data-label="Finished">{when(scan.finished_at.as_deref())}</td>
                    <td data-label="Objects">{scan.objects}</td>
                    <td data-label="Score">{score_of(&scan)}</td>
                    <td data-label="New">{scan.new}</td>
                    <td data-label="Resolved">{scan.resolved}</td>
                    <td class="actions">
                        <button
                            type="button"
                            class="link"
                            aria-label=format!("Details of scan {id}")
                            on:click=move |_| on_select.run(id)
                        >"Details"</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable
            class="scans"
            columns=&["Scan", "Source", "Status", "Queued", "Finished", "Objects", "Score", "New", "Resolved", ""]
        >
            {rows}
        </DataTable>
    }
    .into_any()
}

/// One scan in full: status, times, score, counts, new and resolved, errors, namespaces.
#[component]
pub fn ScanDetails(scan: Scan, on_close: Callback<()>) -> impl IntoView {
    let facts = vec![
        ("Status", status_label(&scan.status).to_string()),
        ("Source", scan.source.clone()),
        ("Queued", when(Some(&scan.queued_at))),
        ("Started", when(scan.started_at.as_deref())),
        ("Finished", when(scan.finished_at.as_deref())),
        ("Objects", scan.objects.to_string()),
        ("New findings", scan.new.to_string()),
        ("Resolved findings", scan.resolved.to_string()),
    ]
    .into_iter()
    .map(|(term, value)| view! { <dt>{term}</dt> <dd>{value}</dd> })
    .collect_view();
    view! {
        <section class="card scan-details" aria-labelledby="scan-details-title" data-testid="scan-details">
            <div class="section-head">
                <h2 id="scan-details-title">{format!("Scan #{}", scan.id)}</h2>
                <span class="score-box">{score_of(&scan)}</span>
                <button type="button" class="button close-section" on:click=move |_| on_close.run(())>
                    "Close"
                </button>
            </div>
            <dl class="facts">{facts}</dl>
            {severity_counts(scan.counts)}
            {scan.message.clone().map(|message| view! { <p class="hint">{message}</p> })}
            {(!scan.errors.is_empty()).then(|| view! { <h3>"Could not read"</h3> })}
            {scan_errors(&scan)}
            {(!scan.namespaces.is_empty())
                .then(|| {
                    view! {
                        <h3>"Findings per namespace"</h3>
                        <NamespaceTable namespaces=scan.namespaces.clone().into_iter().collect()/>
                    }
                })}
        </section>
    }
}

/// The namespaces of a scan: objects, score and grade (the engine's, of the namespace's
/// objects alone) and open findings by severity; worst score first, and sorted by any
/// other column from its header.
#[component]
pub fn NamespaceTable(namespaces: Vec<(String, NamespaceSummary)>) -> impl IntoView {
    let sort = RwSignal::new(NamespaceSort::default());
    let max = namespaces.iter().map(|(_, summary)| summary.counts().total()).max().unwrap_or(0).max(1);
    let head = NamespaceSort::ALL
        .into_iter()
        .map(|column| {
            view! {
                <th scope="col" aria-sort=move || if sort.get() == column { column.aria() } else { "none" }>
                    <button
                        type="button"
                        class="link sort-button"
                        title=format!("Sort: {}", column.description())
                        on:click=move |_| sort.set(column)
                    >
                        {column.column()}
                        {move || (sort.get() == column).then_some(" ▾")}
                    </button>
                </th>
            }
        })
        .collect_view();
    let rows = move || {
        let mut namespaces = namespaces.clone();
        sort_namespaces(&mut namespaces, sort.get());
        namespaces.into_iter().map(|(name, summary)| namespace_row(name, summary, max)).collect_view()
    };
    view! {
        <div class="table-wrap">
            <table class="namespaces">
                <thead>
                    <tr>
                        {head}
                        <th scope="col">"By severity"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

fn namespace_row(name: String, summary: NamespaceSummary, max: i64) -> impl IntoView {
    let counts = summary.counts();
    let segments = counts
        .by_severity()
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| {
            let share = count as f64 * 100.0 / max as f64;
            view! { <span class=format!("meter-part level-{severity}") style=format!("width: {share:.1}%")></span> }
        })
        .collect_view();
    let label = if name.is_empty() { "(cluster-scoped)".to_string() } else { name.clone() };
    let score = score_and_grade(summary.score, summary.grade.clone(), "namespace-score", "—");
    view! {
        <tr data-testid="namespace-row" data-namespace=name>
            <th scope="row" data-label="Namespace">{label}</th>
            <td data-label="Objects">{summary.objects}</td>
            <td data-label="Score" class="score-cell">{score}</td>
            <td data-label="Findings">{counts.total()}</td>
            <td data-label="By severity">
                <span class="meter" aria-hidden="true">{segments}</span>
                {severity_counts(counts)}
            </td>
        </tr>
    }
}
