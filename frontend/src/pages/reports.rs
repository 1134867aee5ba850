//! `/reports`: where the user's clusters stand over a period and where they are heading,
//! from `GET /api/v1/reports`: each cluster's score over time, new and resolved findings
//! per week, the mean time to resolve by severity, the rules failing most and the oldest
//! open critical findings. The period (a preset of 30, 90 or 365 days, or dates) and the
//! clusters (all by default) are the page's query string, so a report is a link; the same
//! query opens the server's print page and the CSV and JSON exports.

use leptos::prelude::*;

use rampart_core::compliance::{Counts, Status};

use crate::api::{self, ClusterSummary, Report, ReportFramework, ReportQuery};
use crate::components::charts::{ReportScoreChart, WeeksChart};
use crate::components::cluster_checkboxes::ClusterCheckboxes;
use crate::components::table::DataTable;
use crate::dashboard::grade_class;
use crate::pages::compliance::{evidence_item, framework_label, status_label, ComplianceTrend};
use crate::session::Auth;
use crate::time::{self, format_utc, parse_rfc3339, DAY_MS};

/// The periods offered in one click, in days up to today.
const PRESETS: [i64; 3] = [30, 90, 365];

/// `2026-01-31`, the UTC date of Unix milliseconds.
fn date_of(millis: i64) -> String {
    time::format_rfc3339(millis)[..10].to_string()
}

/// Unix milliseconds of a date's midnight (UTC).
fn midnight(date: &str) -> Option<i64> {
    parse_rfc3339(&format!("{date}T00:00:00Z"))
}

/// What is wrong with a period, for the form; `None` when it can be asked for.
fn period_problem(from: &str, to: &str) -> Option<&'static str> {
    match (midnight(from), midnight(to)) {
        (None, _) | (_, None) => Some("Choose both dates of the period."),
        (Some(from), Some(to)) if from > to => Some("The period's first day comes after its last."),
        (Some(from), Some(to)) if to - from >= 3660 * DAY_MS => Some("A report covers at most 3660 days."),
        _ => None,
    }
}

/// A mean time to resolve for a person: "under a minute", "40 min", "5.5 hours", "3.2 days".
fn duration_text(seconds: i64) -> String {
    // Tenths in integers: formatting floats to a precision would add to the module.
    let tenths = |unit: i64| {
        let tenths = (seconds * 10 + unit / 2) / unit;
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    match seconds {
        ..60 => "under a minute".to_string(),
        60..3600 => format!("{} min", (seconds + 30) / 60),
        3600..86_400 => format!("{} hours", tenths(3600)),
        _ => format!("{} days", tenths(86_400)),
    }
}

/// Replaces the location's query with the report's, without a new history entry, so a
/// reload or a shared link opens the same report.
fn show_query(query: &ReportQuery) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("/reports{}", query.query())),
        );
    }
}

#[component]
pub fn ReportsPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let initial = ReportQuery::parse(&window().location().search().unwrap_or_default());
    let today = date_of(time::now_ms());
    let from = RwSignal::new(if initial.from.is_empty() {
        date_of(time::now_ms() - PRESETS[0] * DAY_MS)
    } else {
        initial.from.clone()
    });
    let to = RwSignal::new(if initial.to.is_empty() { today.clone() } else { initial.to.clone() });
    let chosen = RwSignal::new(initial.clusters.clone());
    let clusters =
        LocalResource::new(move || async move { api::clusters().await.map_err(|failure| auth.explain(&failure)) });

    let query = Memo::new(move |_| ReportQuery { from: from.get(), to: to.get(), clusters: chosen.get() });
    let problem = Memo::new(move |_| period_problem(&from.get(), &to.get()));
    // Asked again whenever the query changes; each answer carries its query, and one for an
    // older query (while the new one is computed) is not shown.
    let answered = LocalResource::new(move || {
        let (query, problem) = (query.get(), problem.get());
        async move {
            problem.is_none().then_some(())?;
            show_query(&query);
            let answer = api::report(&query).await.map_err(|failure| auth.explain(&failure));
            Some((query, answer))
        }
    });
    let report = Signal::derive(move || {
        answered.get().flatten().filter(|(asked, _)| *asked == query.get()).map(|(_, answer)| answer)
    });

    let body = move || match report.get() {
        _ if problem.get().is_some() => None::<AnyView>,
        None => Some(view! { <p class="loading" role="status">"Computing the report…"</p> }.into_any()),
        Some(Err(message)) => Some(view! { <p class="form-error" role="alert">{message}</p> }.into_any()),
        Some(Ok(report)) => Some(view! { <ReportView report=report/> }.into_any()),
    };

    view! {
        <main id="main" class="page">
            <div class="page-head">
                <h1>"Reports"</h1>
                <ReportExports query=query/>
            </div>
            <section class="card report-query" aria-labelledby="period-title">
                <h2 id="period-title">"Period and clusters"</h2>
                <div class="field-row">
                    <div class="page-actions" role="group" aria-label="Period">
                        <PeriodPresets today=today.clone() from=from to=to/>
                    </div>
                    <label class="field">
                        <span>"From"</span>
                        <input
                            type="date"
                            max=today.clone()
                            prop:value=move || from.get()
                            on:change=move |event| from.set(event_target_value(&event))
                        />
                    </label>
                    <label class="field">
                        <span>"To"</span>
                        <input
                            type="date"
                            prop:value=move || to.get()
                            on:change=move |event| to.set(event_target_value(&event))
                        />
                    </label>
                </div>
                <p class="hint">"Whole days in UTC, the last one included."</p>
                <p class="form-error" role="alert">{move || problem.get()}</p>
                <ClusterPicker clusters=clusters chosen=chosen/>
            </section>
            {body}
        </main>
    }
}

/// The periods offered in one click, up to today; the one shown is pressed.
#[component]
fn PeriodPresets(today: String, from: RwSignal<String>, to: RwSignal<String>) -> impl IntoView {
    PRESETS
        .into_iter()
        .map(|days| {
            let start = date_of(time::now_ms() - days * DAY_MS);
            let (start_for_check, today_for_check) = (start.clone(), today.clone());
            let today = today.clone();
            view! {
                <button
                    type="button"
                    class="button"
                    aria-pressed=move || {
                        (from.get() == start_for_check && to.get() == today_for_check).to_string()
                    }
                    on:click=move |_| {
                        from.set(start.clone());
                        to.set(today.clone());
                    }
                >{format!("{days} days")}</button>
            }
        })
        .collect_view()
}

/// The clusters reported on: all, or those ticked.
#[component]
fn ClusterPicker(
    clusters: LocalResource<Result<Vec<ClusterSummary>, String>>,
    chosen: RwSignal<Vec<i64>>,
) -> impl IntoView {
    move || match clusters.get() {
        None => view! { <p class="loading-inline">"Loading clusters…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Some(Ok(list)) => {
            view! {
                <fieldset class="report-clusters">
                    <legend>"Clusters"</legend>
                    <label class="checkbox">
                        <input
                            type="checkbox"
                            prop:checked=move || chosen.with(Vec::is_empty)
                            on:change=move |event| {
                                // "All" is undone by choosing clusters, not by unticking it.
                                let all = event_target_checked(&event) || chosen.with_untracked(Vec::is_empty);
                                if all {
                                    event_target::<web_sys::HtmlInputElement>(&event).set_checked(true);
                                    chosen.set(Vec::new());
                                }
                            }
                        />
                        "All clusters"
                    </label>
                    <ClusterCheckboxes clusters=list chosen=chosen/>
                </fieldset>
            }
            .into_any()
        }
    }
}

/// The report's query as the print page, the CSV and the JSON.
#[component]
fn ReportExports(query: Memo<ReportQuery>) -> impl IntoView {
    move || {
        let query = query.get().query();
        view! {
            <div class="page-actions">
                <a class="button" href=format!("/reports/print{query}") target="_blank" rel="noopener">"Print"</a>
                <a class="button" href=format!("/api/v1/reports.csv{query}") download="">"CSV"</a>
                <a class="button" href=format!("/api/v1/reports{query}") target="_blank" rel="noopener">"JSON"</a>
            </div>
        }
    }
}

/// A report once computed.
#[component]
fn ReportView(report: Report) -> impl IntoView {
    let from = parse_rfc3339(&report.from).unwrap_or_default();
    let to = parse_rfc3339(&report.to).unwrap_or_default();
    let period = format!(
        "{} to {} · {} cluster{} · generated {}",
        date_of(from),
        date_of(to),
        report.clusters.len(),
        if report.clusters.len() == 1 { "" } else { "s" },
        parse_rfc3339(&report.generated_at).map(format_utc).unwrap_or_default()
    );
    if report.clusters.is_empty() {
        return view! {
            <p class="empty-state" data-testid="report-empty">
                "No cluster to report on. " <a href="/clusters">"Register a cluster"</a> " first."
            </p>
        }
        .into_any();
    }

    let (cluster_rows, resolve_rows) = (cluster_rows(&report), resolve_rows(&report));
    let (rules, critical) = (top_rules(&report), oldest_critical(&report));

    view! {
        <p class="muted" data-testid="report-period">{period}</p>
        <section class="card" aria-labelledby="scores-title">
            <h2 id="scores-title">"Scores"</h2>
            <ReportScoreChart clusters=report.clusters.clone() from=from to=to/>
            <DataTable
                class="report-table"
                columns=&["Cluster", "Score", "Change", "Scans", "New", "Opened and resolved", "Resolved"]
            >
                {cluster_rows}
            </DataTable>
            <p class="hint" data-testid="report-definitions">
                "New: first seen in the period and still open at its end. Opened and resolved: first seen and \
                 resolved within the period (churn, not news). Resolved: resolved within the period, churn included."
            </p>
        </section>
        {report
            .clusters
            .iter()
            .map(|cluster| {
                view! {
                    <ReportCompliance cluster=cluster.id name=cluster.name.clone() frameworks=cluster.compliance.clone()/>
                }
            })
            .collect_view()}
        <div class="report-grid">
            <section class="card" aria-labelledby="weeks-title">
                <h2 id="weeks-title">"New and resolved per week"</h2>
                <WeeksChart weeks=report.weeks.clone()/>
            </section>
            <section class="card" aria-labelledby="resolve-title">
                <h2 id="resolve-title">"Mean time to resolve"</h2>
                <DataTable class="report-table" columns=&["Severity", "Resolved", "Mean time to resolve"]>
                    {resolve_rows}
                </DataTable>
            </section>
            <section class="card" aria-labelledby="rules-title">
                <h2 id="rules-title">"Rules failing most"</h2>
                {rules}
            </section>
            <section class="card" aria-labelledby="critical-title">
                <h2 id="critical-title">"Oldest open critical findings"</h2>
                {critical}
            </section>
        </div>
    }
    .into_any()
}

/// A row per cluster: its score at the period's end, the change, the scans and the findings.
fn cluster_rows(report: &Report) -> impl IntoView {
    report
        .clusters
        .iter()
        .map(|cluster| {
            let grade = cluster.grade.clone().unwrap_or_default();
            let change = match cluster.change {
                Some(change) if change > 0 => format!("+{change}"),
                Some(change) => change.to_string(),
                None => "–".to_string(),
            };
            view! {
                <tr data-testid="report-cluster" data-cluster=cluster.name.clone()>
                    <th scope="row" data-label="Cluster">
                        <a href=format!("/clusters/{}", cluster.id)>{cluster.name.clone()}</a>
                        <span class="muted">{format!(" · {}", cluster.team)}</span>
                    </th>
                    <td data-label="Score" data-testid="report-score">
                        {match cluster.score {
                            Some(score) => view! {
                                {score} " " <span class=grade_class(&grade)>{grade.clone()}</span>
                            }
                            .into_any(),
                            None => view! { <span class="muted">"not scanned"</span> }.into_any(),
                        }}
                    </td>
                    <td data-label="Change" data-testid="report-change">{change}</td>
                    <td data-label="Scans" data-testid="report-scans">{cluster.scans}</td>
                    <td data-label="New" data-testid="report-new">{cluster.new}</td>
                    <td data-label="Opened and resolved" data-testid="report-churned">{cluster.opened_and_resolved}</td>
                    <td data-label="Resolved" data-testid="report-resolved">{cluster.resolved}</td>
                </tr>
            }
        })
        .collect_view()
}

/// A row per severity: how many were resolved, and how fast on average.
fn resolve_rows(report: &Report) -> impl IntoView {
    report
        .time_to_resolve
        .iter()
        .map(|time| {
            let mean = time.mean_seconds.map(duration_text).unwrap_or_else(|| "–".to_string());
            view! {
                <tr data-testid="resolve-time" data-severity=time.severity.clone()>
                    <th scope="row" data-label="Severity">
                        <span class=format!("count level-{}", time.severity)>{time.severity.clone()}</span>
                    </th>
                    <td data-label="Resolved">{time.resolved}</td>
                    <td data-label="Mean time to resolve">{mean}</td>
                </tr>
            }
        })
        .collect_view()
}

/// The rules with the most open findings at the period's end.
fn top_rules(report: &Report) -> AnyView {
    if report.top_rules.is_empty() {
        view! { <p class="muted">"No open finding at the period's end."</p> }.into_any()
    } else {
        let rows = report
            .top_rules
            .iter()
            .map(|rule| {
                view! {
                    <tr data-testid="top-rule" data-rule=rule.rule.clone()>
                        <th scope="row" data-label="Rule"><code>{rule.rule.clone()}</code></th>
                        <td data-label="Severity">
                            <span class=format!("count level-{}", rule.severity)>{rule.severity.clone()}</span>
                        </td>
                        <td data-label="Open">{rule.open}</td>
                        <td data-label="Clusters">{rule.clusters}</td>
                    </tr>
                }
            })
            .collect_view();
        view! { <DataTable class="report-table" columns=&["Rule", "Severity", "Open", "Clusters"]>{rows}</DataTable> }
            .into_any()
    }
}

/// The critical findings open longest at the period's end.
fn oldest_critical(report: &Report) -> AnyView {
    if report.oldest_critical.is_empty() {
        view! { <p class="muted">"No critical finding open at the period's end."</p> }.into_any()
    } else {
        let rows = report
            .oldest_critical
            .iter()
            .map(|finding| {
                let resource = match &finding.resource.namespace {
                    Some(namespace) => {
                        format!("{} {}/{}", finding.resource.kind, namespace, finding.resource.name)
                    }
                    None => format!("{} {}", finding.resource.kind, finding.resource.name),
                };
                view! {
                    <tr data-testid="old-critical" data-rule=finding.rule.clone()>
                        <th scope="row" data-label="Cluster">
                            <a href=format!("/clusters/{}", finding.cluster.id)>{finding.cluster.name.clone()}</a>
                        </th>
                        <td data-label="Rule"><code>{finding.rule.clone()}</code></td>
                        <td data-label="Object" class="mono">{resource}</td>
                        <td data-label="Open for">{format!("{} days", finding.age_days)}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <DataTable class="report-table" columns=&["Cluster", "Rule", "Object", "Open for"]>{rows}</DataTable>
        }
        .into_any()
    }
}

/// "3 pass · 1 fail · 2 not assessed", or a dash when there was no scan to read.
fn counts_text(counts: Option<Counts>) -> String {
    counts.map_or_else(
        || "–".to_string(),
        |counts| format!("{} pass · {} fail · {} not assessed", counts.pass, counts.fail, counts.not_assessed),
    )
}

/// A cluster's compliance over the period, per framework: the controls' counts at the end
/// and at the start, the counts at each point of the score series, and the failing controls
/// with their evidence; a rule with more open findings than shown links to the cluster's
/// findings of that rule.
#[component]
fn ReportCompliance(cluster: i64, name: String, frameworks: Vec<ReportFramework>) -> impl IntoView {
    let (title_id, labelled_by) = (format!("compliance-title-{cluster}"), format!("compliance-title-{cluster}"));
    let frameworks = frameworks
        .into_iter()
        .map(|framework| {
            let failing = framework
                .controls
                .iter()
                .filter(|control| control.status == Status::Fail)
                .map(|control| {
                    let before = control.status_at_start.map_or("not scanned", status_label);
                    let more = control
                        .evidence_rules
                        .iter()
                        .filter(|rule| rule.open > rule.shown)
                        .map(|rule| {
                            view! {
                                <li data-testid="evidence-more" data-rule=rule.rule.clone()>
                                    <a href=format!("/clusters/{cluster}?rule={}#findings-title", rule.rule)>
                                        {format!("and {} more of {}", rule.open - rule.shown, rule.rule)}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view();
                    view! {
                        <li data-testid="report-failing-control" data-control=control.id.clone()>
                            <strong>{control.id.clone()}</strong>
                            {format!(" {} · {} open findings · at the start: {before}", control.title, control.evidence_open)}
                            <ul class="evidence">{control.evidence.iter().map(evidence_item).collect_view()} {more}</ul>
                        </li>
                    }
                })
                .collect_view();
            let counts = framework.counts;
            view! {
                <div
                    class="report-framework"
                    data-testid="report-framework"
                    data-framework=framework.framework.as_str()
                    data-pass=counts.pass
                    data-fail=counts.fail
                    data-not-assessed=counts.not_assessed
                >
                    <h3>{framework_label(framework.framework)}</h3>
                    <p data-testid="report-compliance-end">{format!("At the end: {}", counts_text(Some(counts)))}</p>
                    <p class="muted" data-testid="report-compliance-start">
                        {format!("At the start: {}", counts_text(framework.counts_at_start))}
                    </p>
                    <ComplianceTrend points=framework.trend/>
                    <details class="report-failing" data-testid="report-failing">
                        <summary>{format!("Failing controls and their evidence ({})", counts.fail)}</summary>
                        <ul>{failing}</ul>
                    </details>
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="report-compliance" data-cluster=name.clone() aria-labelledby=labelled_by>
            <div class="page-head">
                <h2 id=title_id>{format!("Compliance · {name}")}</h2>
                <a class="button" href=format!("/clusters/{cluster}/compliance")>"Compliance page"</a>
            </div>
            {frameworks}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_checked_before_they_are_asked_for() {
        assert_eq!(period_problem("2026-01-01", "2026-01-31"), None);
        assert_eq!(period_problem("2026-01-31", "2026-01-31"), None, "one day");
        assert!(period_problem("2026-02-01", "2026-01-31").unwrap().contains("after"));
        assert!(period_problem("", "2026-01-31").is_some());
        assert!(period_problem("2000-01-01", "2026-01-31").unwrap().contains("3660"));
        assert_eq!(date_of(midnight("2026-03-01").unwrap() - 1), "2026-02-28");
    }

    #[test]
    fn mean_times_read_in_a_fitting_unit() {
        assert_eq!(duration_text(5), "under a minute");
        assert_eq!(duration_text(2_400), "40 min");
        assert_eq!(duration_text(19_800), "5.5 hours");
        assert_eq!(duration_text(129_600), "1.5 days");
        assert_eq!(duration_text(86_400 * 12 + 86_400 / 20), "12.1 days");
    }
}
