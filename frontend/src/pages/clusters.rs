//! `/clusters`: the team dashboard. One row per cluster (testid `cluster-row`, with
//! `data-cluster` its name): score and grade (`cluster-score`), a 30-day sparkline, open
//! findings by severity, new and resolved findings of the last scan, the last scan's status
//! and time, the next scheduled scan and "Scan now". Filtered by name and grade, sorted
//! five ways; the register form below; and, with no cluster yet, how to get a first one.
//!
//! While a cluster's last scan is queued or running the list reloads every two seconds, so
//! a scan started here or elsewhere shows its result when it ends.

use leptos::prelude::*;

use crate::api::{self, ClusterSummary};
use crate::components::charts::Sparkline;
use crate::components::loading::refetch_while;
use crate::components::register_cluster::{RegisterCluster, EXPORT_COMMAND};
use crate::components::scores::{score_and_grade, severity_counts};
use crate::components::table::DataTable;
use crate::dashboard::{self, ClusterQuery, ClusterSort, GRADES};
use crate::session::Auth;
use crate::time::{self, format_utc, parse_rfc3339, DAY_MS};

/// How often the list reloads while a scan is pending.
const POLL_MS: u64 = 2000;

/// What the list shows.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ListState {
    Loading,
    Failed(String),
    Empty,
    Shown,
}

#[derive(Clone, Copy)]
struct Page {
    clusters: LocalResource<Result<Vec<ClusterSummary>, String>>,
    query: RwSignal<ClusterQuery>,
    notice: RwSignal<String>,
    /// "Scan now" of a cluster's row.
    scan_now: Action<ClusterSummary, ()>,
}

impl Page {
    fn new() -> Page {
        let auth = expect_context::<Auth>();
        let clusters =
            LocalResource::new(move || async move { api::clusters().await.map_err(|failure| auth.explain(&failure)) });
        // A scan started here or elsewhere shows its result when it ends.
        refetch_while(clusters, POLL_MS, |answer| {
            answer.as_ref().is_ok_and(|clusters| {
                clusters
                    .iter()
                    .any(|cluster| cluster.last_scan.as_ref().is_some_and(|scan| api::is_pending(&scan.status)))
            })
        });
        let notice = RwSignal::new(String::new());
        let scan_now = Action::new_local(move |cluster: &ClusterSummary| {
            let cluster = cluster.clone();
            notice.set(format!("Starting a scan of {}…", cluster.name));
            async move {
                match api::start_scan(cluster.id).await {
                    Ok(scan) => {
                        notice.set(format!("Scan {} of {} queued.", scan.id, cluster.name));
                        clusters.refetch();
                    }
                    Err(failure) => {
                        let message = auth.explain(&failure);
                        notice.set(format!("Could not scan {}: {message}", cluster.name));
                    }
                }
            }
        });
        Page { clusters, query: RwSignal::new(ClusterQuery::default()), notice, scan_now }
    }
}

#[component]
pub fn ClustersPage() -> impl IntoView {
    let page = Page::new();
    let register_open = RwSignal::new(false);

    // What the page shows only changes with the state of the list, not with each reload:
    // the filters keep their focus and the rows update in place.
    let state = Memo::new(move |_| {
        page.clusters.with(|clusters| match clusters {
            None => ListState::Loading,
            Some(Err(message)) => ListState::Failed(message.clone()),
            Some(Ok(list)) if list.is_empty() => ListState::Empty,
            Some(Ok(_)) => ListState::Shown,
        })
    });
    let shown = Memo::new(move |_| {
        page.clusters.with(|clusters| match clusters {
            Some(Ok(clusters)) => page.query.with(|query| dashboard::visible_clusters(clusters, query)),
            _ => Vec::new(),
        })
    });
    let total = move || {
        page.clusters.with(|clusters| clusters.as_ref().and_then(|list| list.as_ref().ok()).map_or(0, Vec::len))
    };
    let body = move || match state.get() {
        ListState::Loading => view! { <p class="loading-inline" role="status">"Loading clusters…"</p> }.into_any(),
        ListState::Failed(message) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        ListState::Empty => empty_state().into_any(),
        ListState::Shown => view! {
            <Filters page=page/>
            <p class="pane-meta" role="status">
                {move || {
                    let (shown, total) = (shown.with(Vec::len), total());
                    let noun = if total == 1 { "cluster" } else { "clusters" };
                    if shown == total {
                        format!("{total} {noun}")
                    } else {
                        format!("{shown} of {total} {noun} match")
                    }
                }}
            </p>
            <DataTable
                class="clusters"
                columns=&["Cluster", "Score", "30 days", "Open findings", "Last scan", "Next scan", ""]
            >
                <For
                    each=move || shown.get()
                    key=|cluster| format!("{cluster:?}")
                    children=move |cluster| view! { <ClusterRow page=page cluster=cluster/> }
                />
            </DataTable>
        }
        .into_any(),
    };

    // With no cluster, the form is open: it is the next step.
    let form_open = move || register_open.get() || state.get() == ListState::Empty;

    view! {
        <main id="main" class="page">
            <div class="page-head">
                <h1>"Clusters"</h1>
                <button
                    type="button"
                    class="primary"
                    aria-expanded=move || form_open().to_string()
                    aria-controls="register"
                    on:click=move |_| register_open.update(|open| *open = !*open)
                >"Register a cluster"</button>
            </div>
            <p class="notice" role="status" aria-live="polite">{move || page.notice.get()}</p>
            {body}
            <section id="register" class="card" hidden=move || !form_open()>
                // Kept open once a cluster is registered, though the list is no longer empty:
                // an agent cluster's form shows the command to run next, and waits.
                <RegisterCluster on_registered=move |()| {
                    register_open.set(true);
                    page.clusters.refetch();
                }/>
            </section>
        </main>
    }
}

#[component]
fn Filters(page: Page) -> impl IntoView {
    let grade_options = GRADES
        .into_iter()
        .map(|grade| view! { <option value=grade>{format!("Grade {grade}")}</option> })
        .collect_view();
    let sort_options = ClusterSort::ALL
        .into_iter()
        .map(|sort| view! { <option value=sort.key()>{sort.label()}</option> })
        .collect_view();
    view! {
        <div class="filters" role="search">
            <label class="field">
                <span>"Filter"</span>
                <input
                    type="search"
                    placeholder="name or team"
                    prop:value=move || page.query.with(|query| query.text.clone())
                    on:input=move |event| page.query.update(|query| query.text = event_target_value(&event))
                />
            </label>
            <label class="field">
                <span>"Grade"</span>
                <select
                    prop:value=move || page.query.with(|query| query.grade.clone())
                    on:change=move |event| page.query.update(|query| query.grade = event_target_value(&event))
                >
                    <option value="">"All grades"</option>
                    {grade_options}
                    <option value="none">"Not scanned yet"</option>
                </select>
            </label>
            <label class="field">
                <span>"Sort by"</span>
                <select
                    prop:value=move || page.query.with(|query| query.sort.key())
                    on:change=move |event| {
                        page.query.update(|query| query.sort = ClusterSort::from_key(&event_target_value(&event)))
                    }
                >{sort_options}</select>
            </label>
        </div>
    }
}

#[component]
fn ClusterRow(page: Page, cluster: ClusterSummary) -> impl IntoView {
    let now = time::now_ms();
    let id = cluster.id;
    let href = format!("/clusters/{id}");
    let scanned = cluster.score.is_some();
    // A scan with nothing to check is no score: the previous one stays, and a cluster that
    // never had one says what went wrong instead of "not scanned".
    let failed = cluster.last_scan.as_ref().filter(|scan| scan.status == "failed" || scan.error_count > 0);
    let nothing_to_check = failed
        .is_some_and(|scan| scan.message.as_deref().is_some_and(|message| message.starts_with("Nothing to check")));
    let placeholder = if nothing_to_check && cluster.score.is_none() { "nothing to check" } else { "not scanned" };
    let score = score_and_grade(cluster.score, cluster.grade.clone(), "cluster-score", placeholder);
    let problem = failed.map(|scan| {
        let first = scan.errors.first().map(|error| match &error.kind {
            Some(kind) => format!("{kind}: {}", error.message),
            None => error.message.clone(),
        });
        let more = (scan.error_count > 1).then(|| format!(" (and {} more)", scan.error_count - 1));
        let text = [scan.message.clone(), first.map(|first| format!("{first}{}", more.unwrap_or_default()))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        view! { <span class="scan-problem" data-testid="cluster-scan-problem">{text}</span> }
    });
    // Each row's sparkline loads on its own (the browser runs the requests side by side)
    // and is drawn when its answer comes.
    let from = now - 30 * DAY_MS;
    let trend = LocalResource::new(move || async move { api::trend(id, from).await.ok() });
    let sparkline = move || trend.get().flatten().map(|points| view! { <Sparkline points=points from=from to=now/> });
    // New and resolved of the last scan with results, against the scans before it.
    let changes = cluster.new.zip(cluster.resolved).map(|(new, resolved)| {
        view! {
            <span class="changes" title="findings the last scan opened and resolved">
                <span class="new" data-testid="cluster-new">{format!("+{new} new")}</span>
                " · "
                <span class="resolved" data-testid="cluster-resolved">{format!("{resolved} resolved")}</span>
            </span>
        }
    });
    let last_scan = cluster.last_scan.clone().map(|scan| {
        let when = scan.finished_at.as_deref().and_then(parse_rfc3339);
        let pending = api::is_pending(&scan.status);
        view! {
            <span class=format!("status status-{}", scan.status) data-testid="cluster-status">
                {if pending { format!("{}…", scan.status) } else { scan.status.clone() }}
            </span>
            {when.map(|at| view! { <time title=format_utc(at)>{" "}{time::relative(at, now)}</time> })}
        }
        .into_any()
    });
    let next_scan = match cluster.next_scan_at.as_deref().and_then(parse_rfc3339) {
        Some(at) => view! { <time title=format_utc(at)>{time::relative(at, now)}</time> }.into_any(),
        None => view! { <span class="muted">"not scheduled"</span> }.into_any(),
    };
    let action = if cluster.kind == "snapshot" {
        view! { <a class="button" href=format!("/clusters/{id}#upload")>"Upload export"</a> }.into_any()
    } else {
        let pending = cluster.last_scan.as_ref().is_some_and(|scan| api::is_pending(&scan.status));
        let cluster = cluster.clone();
        view! {
            <button type="button" class="button" disabled=pending on:click=move |_| {
                page.scan_now.dispatch_local(cluster.clone());
            }>
                "Scan now"
            </button>
        }
        .into_any()
    };
    let open_findings = if scanned {
        if cluster.counts.total() == 0 {
            view! { <span class="muted">"none"</span> }.into_any()
        } else {
            severity_counts(cluster.counts).into_any()
        }
    } else {
        view! { <span class="muted">"—"</span> }.into_any()
    };
    view! {
        <tr data-testid="cluster-row" data-cluster=cluster.name.clone()>
            <th scope="row" data-label="Cluster">
                <a class="cluster-name" href=href>{cluster.name.clone()}</a>
                <span class="cluster-meta">{format!("{} · {}", cluster.team, kind_label(&cluster.kind))}</span>
                {cluster.agent.as_ref().map(|agent| agent_state(agent, now))}
            </th>
            <td data-label="Score" class="score-cell">{score}</td>
            <td data-label="30 days">{sparkline}</td>
            <td data-label="Open findings">{open_findings}</td>
            <td data-label="Last scan">
                {last_scan.unwrap_or_else(|| view! { <span class="muted">"never"</span> }.into_any())}
                <br/>
                {problem}
                {changes}
            </td>
            <td data-label="Next scan">{next_scan}</td>
            <td class="actions">{action}</td>
        </tr>
    }
}

/// An agent cluster's agent, for its row: no contact yet, silent, or its last contact.
fn agent_state(agent: &api::AgentContact, now: i64) -> impl IntoView {
    let contact = agent.last_contact_at.as_deref().and_then(parse_rfc3339);
    let (state, text) = match contact {
        None => ("waiting", "agent: no contact yet".to_string()),
        Some(at) if agent.silent => ("silent", format!("agent silent since {}", time::relative(at, now))),
        Some(at) => {
            let version = agent.version.as_deref().map(|version| format!(" ({version})")).unwrap_or_default();
            ("live", format!("agent{version} seen {}", time::relative(at, now)))
        }
    };
    view! { <span class=format!("agent-state agent-{state}") data-testid="cluster-agent" data-state=state>{text}</span> }
}

/// How a cluster is read, for a person.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "snapshot" => "snapshot uploads",
        "kubeconfig" => "kubeconfig",
        "api" => "API",
        "agent" => "agent",
        other => other,
    }
}

fn empty_state() -> impl IntoView {
    let origin = window().location().origin().unwrap_or_default();
    let curl = format!(
        "TOKEN=rmp_…   # Settings → API tokens\n\
         curl -s -H \"Authorization: Bearer $TOKEN\" -H 'content-type: application/json' \\\n  \
         -d '{{\"name\": \"prod\", \"snapshot\": true}}' {origin}/api/v1/clusters\n\
         {EXPORT_COMMAND}\n\
         curl -s -H \"Authorization: Bearer $TOKEN\" --data-binary @export.yaml {origin}/api/v1/clusters/ID/snapshots"
    );
    view! {
        <section class="card empty-state" aria-labelledby="empty-title">
            <h2 id="empty-title">"No clusters yet"</h2>
            <p>
                "Rampart scores every cluster your team registers and keeps its history: what is new, what was fixed, whether it is getting better. Register one below, in one of four ways:"
            </p>
            <ul>
                <li>
                    <strong>"Agent in the cluster"</strong>
                    " (recommended): register, then run the one "
                    <code>"kubectl apply"</code>
                    " command the form shows. The agent only calls out, so managed and private clusters work, and no cluster credential is kept here."
                </li>
                <li>
                    <strong>"Snapshot uploads"</strong>
                    ": give it a name, then upload an export of the cluster made with "
                    <code>"kubectl get … -A -o yaml"</code>
                    ". Nothing connects to the cluster; upload a new export whenever you want a new scan."
                </li>
                <li>
                    <strong>"Kubeconfig"</strong>
                    ": paste one (or load the file) and pick a context; Rampart reads the cluster through its API."
                </li>
                <li>
                    <strong>"API URL and token"</strong>
                    ": a service account's bearer token with read access, and the CA of a private cluster."
                </li>
            </ul>
            <p>"From a terminal or a CI job, the same with an API token:"</p>
            <pre class="code-block"><code>{curl}</code></pre>
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_read_as_words() {
        assert_eq!(super::kind_label("snapshot"), "snapshot uploads");
        assert_eq!(super::kind_label("api"), "API");
    }
}
