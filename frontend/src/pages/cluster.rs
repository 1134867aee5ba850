//! `/clusters/:id`: one cluster. Its score trend (testid `trend-chart`; 7 days to a year,
//! each point opens its scan), findings by severity over time, the namespaces of the latest
//! scan with their scores, the findings table (where editors exempt a finding), the
//! exemptions that apply (revoked by editors), the scan history, and the ways to get a new
//! scan: "Scan now" for a cluster read through its API, an export upload for a snapshot
//! cluster.
//!
//! Live updates: while a scan is queued or running, the page polls `GET /scans/{id}` every
//! 1.5 s, shows its status, and reloads everything when it ends.

use leptos::html::Input;
use leptos::prelude::*;

use crate::api::{self, Cluster, Exemption, Scan, TrendPoint};
use crate::components::charts::{SeverityChart, TrendChart};
use crate::components::exemptions::{next_scan_note, ExemptionList};
use crate::components::findings_table::FindingsTable;
use crate::components::loading::{last_loaded, refetch_while, say_failures};
use crate::components::register_cluster::EXPORT_COMMAND;
use crate::components::scans::{scan_errors, NamespaceTable, ScanDetails, ScanHistory};
use crate::components::scores::severity_counts;
use crate::dashboard::{exemption_matches, grade_class, status_label, Range};
use crate::pages::clusters::kind_label;
use crate::routes::query_value;
use crate::session::Auth;
use crate::time::{self, format_utc, parse_rfc3339};

/// How often a pending scan is asked for its status.
const POLL_MS: u64 = 1500;

/// The trend over a range: from, to (Unix milliseconds) and the points between.
type Trend = (i64, i64, Vec<TrendPoint>);

/// A watched scan's last answer: its id, and the scan or why it could not be read.
type Polled = Option<(i64, Result<Scan, String>)>;

#[derive(Clone, Copy)]
struct Page {
    id: i64,
    cluster: LocalResource<Result<Cluster, String>>,
    scans: LocalResource<Result<Vec<Scan>, String>>,
    /// The scans as last loaded (a failed reload keeps them), newest first.
    scan_list: Memo<Option<Vec<Scan>>>,
    range: RwSignal<Range>,
    trend: LocalResource<Result<Trend, String>>,
    /// The trend over `range` as last loaded.
    shown_trend: Memo<Option<Trend>>,
    /// The scan being watched until it ends.
    watched: RwSignal<Option<i64>>,
    /// What the watched scan last said, while it is queued or running.
    progress: RwSignal<Option<Scan>>,
    /// The scan whose details are open.
    selected: RwSignal<Option<Scan>>,
    notice: RwSignal<String>,
    /// The exemptions that apply to the cluster.
    exemptions: LocalResource<Result<Vec<Exemption>, String>>,
    /// Bumped by each reload, so the findings table reloads too.
    version: RwSignal<u64>,
    auth: Auth,
}

impl Page {
    /// The cluster's data, loaded at once; a pending scan among its scans is watched.
    fn new(id: i64) -> Page {
        let auth = expect_context::<Auth>();
        let explain = move |failure: api::Error| auth.explain(&failure);
        let cluster = LocalResource::new(move || async move {
            api::cluster(id).await.map_err(|failure| {
                if failure.is_not_found() {
                    format!(
                        "There is no cluster {id} in your teams: it was deleted, or it belongs to a team you are not \
                         a member of."
                    )
                } else {
                    explain(failure)
                }
            })
        });
        let scans = LocalResource::new(move || async move { api::scans(id).await.map_err(explain) });
        let range = RwSignal::new(Range::default());
        let trend = LocalResource::new(move || {
            let (from, to) = range.get().span(time::now_ms());
            async move { api::trend(id, from).await.map(|points| (from, to, points)).map_err(explain) }
        });
        let notice =
            RwSignal::new(query_value(&window().location().search().unwrap_or_default(), "notice").unwrap_or_default());
        let page = Page {
            id,
            cluster,
            scans,
            scan_list: last_loaded(scans),
            range,
            trend,
            shown_trend: last_loaded(trend),
            watched: RwSignal::new(None),
            progress: RwSignal::new(None),
            selected: RwSignal::new(None),
            notice,
            exemptions: LocalResource::new(move || async move { api::exemptions(id).await.map_err(explain) }),
            version: RwSignal::new(0),
            auth,
        };
        say_failures(scans, notice);
        say_failures(trend, notice);
        page.reload_after_scans_end();
        Effect::new(move |_| {
            if let Some(Ok(cluster)) = cluster.get() {
                document().set_title(&format!("{} · Clusters · Rampart", cluster.name));
            }
        });
        Effect::new(move |_| {
            let pending = page
                .scan_list
                .with(|scans| scans.as_ref()?.iter().rev().find(|scan| scan.is_pending()).map(|scan| scan.id));
            if let Some(scan) = pending {
                page.watch(scan);
            }
        });
        page.follow_watched();
        page
    }

    /// Polls the watched scan until it ends, then reloads the page's data.
    fn follow_watched(self) {
        let auth = self.auth;
        let watched = self.watched;
        let polled: LocalResource<Polled> = LocalResource::new(move || {
            let scan = watched.get();
            async move { Some((scan?, api::scan(scan?).await.map_err(|failure| auth.explain(&failure)))) }
        });
        refetch_while(polled, POLL_MS, |answer| matches!(answer, Some((_, Ok(scan))) if scan.is_pending()));
        Effect::new(move |_| {
            let Some(Some((scan_id, answer))) = polled.get() else { return };
            // An answer about a scan no longer watched is old news.
            if watched.get_untracked() != Some(scan_id) {
                return;
            }
            match answer {
                Ok(scan) if scan.is_pending() => self.progress.set(Some(scan)),
                Ok(scan) => {
                    watched.set(None);
                    self.progress.set(None);
                    self.notice.set(ended(&scan));
                    self.reload();
                }
                Err(message) => {
                    watched.set(None);
                    self.notice.set(message);
                }
            }
        });
    }

    /// Loads the trend and the findings again whenever the newest finished scan changes: they
    /// are requested with the page, beside its scans, so they can predate a scan that ended
    /// while the page opened, which then is not pending in the scans and never watched.
    fn reload_after_scans_end(self) {
        let newest_finished = Memo::new(move |_| {
            self.scan_list.with(|scans| {
                scans.as_ref().map(|scans| scans.iter().filter(|scan| !scan.is_pending()).map(|scan| scan.id).max())
            })
        });
        Effect::new(move |previous: Option<Option<Option<i64>>>| {
            let newest = newest_finished.get();
            if previous.is_some_and(|previous| previous != newest) && newest.flatten().is_some() {
                self.trend.refetch();
                self.version.update(|version| *version += 1);
            }
            newest
        });
    }

    /// Watches a scan until it ends (once, however many ask).
    fn watch(self, scan_id: i64) {
        if self.watched.get_untracked() != Some(scan_id) {
            self.watched.set(Some(scan_id));
        }
    }

    /// Shows a scan just started as queued at once, then watches it.
    fn watch_new(self, scan_id: i64) {
        self.progress.set(Some(Scan { id: scan_id, status: "queued".to_string(), ..Scan::default() }));
        self.watch(scan_id);
    }

    /// Loads everything again: the cluster, its scans, trend, exemptions and findings.
    fn reload(self) {
        self.cluster.refetch();
        self.scans.refetch();
        self.trend.refetch();
        self.exemptions.refetch();
        self.version.update(|version| *version += 1);
    }

    fn fail(&self, failure: &api::Error) {
        self.notice.set(self.auth.explain(failure));
    }

    /// An exemption was granted from a finding: say when it shows, list it.
    fn exempted(self, exemption: Exemption, snapshot: bool) {
        let (rule, objects) = exemption_matches(&exemption);
        self.notice.set(format!("Exempted {rule} for {objects}. {}", next_scan_note(snapshot)));
        self.exemptions.refetch();
    }

    fn revoked(self, exemption: Exemption, snapshot: bool) {
        let (rule, objects) = exemption_matches(&exemption);
        self.notice.set(format!(
            "Revoked the exemption of {rule} for {objects}: its findings open again at the next scan. {}",
            next_scan_note(snapshot)
        ));
        self.exemptions.refetch();
    }

    /// Whether the user may change the cluster's team's exemptions (an editor or admin).
    fn can_edit(self, team: i64) -> bool {
        self.auth.me.with(|me| {
            me.as_ref().is_some_and(|me| {
                me.teams
                    .iter()
                    .any(|membership| membership.id == team && matches!(membership.role.as_str(), "editor" | "admin"))
            })
        })
    }

    /// "Scan now": starts a scan and watches it.
    fn scan_now(self) -> Action<(), ()> {
        Action::new_local(move |_: &()| {
            self.notice.set("Starting a scan…".to_string());
            async move {
                match api::start_scan(self.id).await {
                    Ok(created) => {
                        self.notice.set(format!("Scan {} queued.", created.id));
                        self.watch_new(created.id);
                    }
                    Err(failure) => self.fail(&failure),
                }
            }
        })
    }

    /// Opens a scan's details, read anew.
    fn open_scan(self) -> Action<i64, ()> {
        Action::new_local(move |scan_id: &i64| {
            let scan_id = *scan_id;
            async move {
                match api::scan(scan_id).await {
                    Ok(scan) => {
                        self.selected.set(Some(scan));
                        if let Some(element) = document().get_element_by_id("scan-details-title") {
                            element.scroll_into_view();
                        }
                    }
                    Err(failure) => self.fail(&failure),
                }
            }
        })
    }
}

/// What the page says of a scan that ended.
fn ended(scan: &Scan) -> String {
    match (&scan.score, &scan.grade) {
        (Some(score), Some(grade)) => format!(
            "Scan {} {}: score {score} ({grade}), {} new, {} resolved.",
            scan.id, scan.status, scan.new, scan.resolved
        ),
        _ => format!(
            "Scan {} {}{}",
            scan.id,
            scan.status,
            scan.message.as_deref().map(|message| format!(": {message}")).unwrap_or_default()
        ),
    }
}

#[component]
pub fn ClusterPage(id: i64) -> impl IntoView {
    let page = Page::new(id);
    move || match page.cluster.get() {
        None => view! { <main id="main" class="page"><p class="loading-inline" role="status">"Loading…"</p></main> }
            .into_any(),
        Some(Err(message)) => view! {
            <main id="main" class="page">
                <p class="form-error" role="alert">{message}</p>
                <p><a href="/clusters">"Back to the clusters"</a></p>
            </main>
        }
        .into_any(),
        Some(Ok(cluster)) => cluster_view(page, cluster).into_any(),
    }
}

fn cluster_view(page: Page, cluster: Cluster) -> impl IntoView {
    let snapshot = cluster.is_snapshot();
    let team = cluster.team.id;
    let open_scan = page.open_scan();
    let on_select = Callback::new(move |scan: i64| {
        open_scan.dispatch_local(scan);
    });
    let can_edit = Signal::derive(move || page.can_edit(team));
    // The latest scan with results: the headline, and the namespaces.
    let latest = Memo::new(move |_| {
        page.scan_list.with(|scans| scans.iter().flatten().find(|scan| scan.has_results()).cloned())
    });
    let namespaces = Signal::derive(move || {
        latest.with(|latest| latest.as_ref().map(|scan| scan.namespaces.keys().cloned().collect()).unwrap_or_default())
    });
    // The newest ended scan, when it failed or could not read everything: said up front,
    // with its errors (a scan with nothing to check has no score; the headline keeps the
    // last one with results).
    let problem = Memo::new(move |_| {
        page.scan_list.with(|scans| {
            scans
                .iter()
                .flatten()
                .find(|scan| !scan.is_pending())
                .filter(|scan| scan.status == "failed" || !scan.errors.is_empty())
                .cloned()
        })
    });

    view! {
        <main id="main" class="page cluster-page">
            <ClusterHead page=page cluster=cluster/>
            <ScanProgress page=page/>
            <p class="notice" role="status" aria-live="polite" data-testid="cluster-notice">
                {move || page.notice.get()}
            </p>
            <ScanProblem problem=problem latest=latest/>
            <Headline latest=latest/>
            {move || {
                (latest.with(Option::is_none) && page.progress.with(Option::is_none) && problem.with(Option::is_none))
                    .then(|| {
                        view! {
                            <p class="card empty-state">
                                {if snapshot {
                                    "No scan yet: upload an export of the cluster above to see where it stands."
                                } else {
                                    "No scan yet: press \"Scan now\" to read the cluster through its API."
                                }}
                            </p>
                        }
                    })
            }}
            <TrendSection page=page on_select=on_select/>
            {move || {
                page.selected
                    .get()
                    .map(|scan| {
                        view! { <ScanDetails scan=scan on_close=Callback::new(move |_| page.selected.set(None))/> }
                    })
            }}
            <Namespaces latest=latest/>
            <section class="card" aria-labelledby="findings-title">
                <h2 id="findings-title">"Findings"</h2>
                <FindingsTable
                    cluster=page.id
                    namespaces=namespaces
                    version=page.version
                    can_exempt=can_edit
                    on_exempted=Callback::new(move |exemption| page.exempted(exemption, snapshot))
                />
            </section>
            <section class="card" aria-labelledby="exemptions-title" data-testid="exemptions">
                <h2 id="exemptions-title">"Exemptions"</h2>
                <p class="pane-meta">{next_scan_note(snapshot)}</p>
                <ExemptionList
                    exemptions=Signal::derive(move || page.exemptions.get())
                    can_edit=can_edit
                    on_revoked=Callback::new(move |exemption| page.revoked(exemption, snapshot))
                />
            </section>
            <section class="card" aria-labelledby="history-title">
                <h2 id="history-title">"Scan history"</h2>
                {move || {
                    view! {
                        <ScanHistory
                            scans=page.scan_list.get().unwrap_or_default()
                            on_select=on_select
                        />
                    }
                }}
            </section>
        </main>
    }
}

/// The breadcrumbs, the cluster's name, team and kind, and the way to a new scan.
#[component]
fn ClusterHead(page: Page, cluster: Cluster) -> impl IntoView {
    let where_from = match (&cluster.server, &cluster.context) {
        (_, Some(context)) => format!(" · context {context}"),
        (Some(server), None) => format!(" · {server}"),
        _ => String::new(),
    };
    let next_scan = cluster.next_scan_at.as_deref().and_then(parse_rfc3339).map(|at| {
        view! {
            <span>" · next scan "<time title=format_utc(at)>{time::relative(at, time::now_ms())}</time></span>
        }
    });
    let action = if cluster.is_snapshot() {
        view! { <UploadForm page=page/> }.into_any()
    } else {
        let scan_now = page.scan_now();
        view! {
            <button
                type="button"
                class="primary"
                disabled=move || page.progress.with(Option::is_some)
                on:click=move |_| {
                    scan_now.dispatch_local(());
                }
            >"Scan now"</button>
        }
        .into_any()
    };
    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumbs">
            <a href="/clusters">"Clusters"</a>
            " / "
            <span aria-current="page">{cluster.name.clone()}</span>
        </nav>
        <div class="page-head">
            <div>
                <h1>{cluster.name.clone()}</h1>
                <p class="cluster-meta">
                    {format!("{} · {}{where_from}", cluster.team.name, kind_label(&cluster.kind))}
                    {next_scan}
                </p>
            </div>
            <div class="page-actions">
                <a class="button" data-testid="compliance-link" href=format!("/clusters/{}/compliance", page.id)>
                    "Compliance"
                </a>
                {action}
            </div>
        </div>
    }
}

/// A snapshot cluster's new export.
#[component]
fn UploadForm(page: Page) -> impl IntoView {
    let upload_input = NodeRef::<Input>::new();
    // The list's "Upload export" links here with #upload: go to the file picker.
    Effect::new(move |_| {
        if let Some(input) = upload_input.get() {
            if window().location().hash().unwrap_or_default() == "#upload" {
                input.scroll_into_view();
                let _ = input.focus();
            }
        }
    });
    let upload = Action::new_local(move |file: &web_sys::File| {
        let (file, name) = (file.clone(), file.name());
        page.notice.set(format!("Uploading {name}…"));
        async move {
            match api::upload_snapshot(page.id, file).await {
                Ok(created) => {
                    if let Some(element) = upload_input.get_untracked() {
                        element.set_value("");
                    }
                    page.notice.set(format!("Uploaded {name}: scan {} queued.", created.id));
                    page.watch_new(created.id);
                }
                Err(failure) => {
                    let message = page.auth.explain(&failure);
                    page.notice.set(format!("Could not upload {name}: {message}"));
                }
            }
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(element) = upload_input.get_untracked() else { return };
        match element.files().and_then(|files| files.get(0)) {
            Some(file) => {
                upload.dispatch_local(file);
            }
            None => page.notice.set("Choose an export file first.".to_string()),
        }
    };
    view! {
        <form id="upload" class="upload" on:submit=submit>
            <label class="field">
                <span>"New export"</span>
                <input
                    type="file"
                    accept=".yaml,.yml,.json,application/json,text/yaml"
                    node_ref=upload_input
                    data-testid="snapshot-input"
                />
            </label>
            <button type="submit" class="primary" disabled=move || page.progress.with(Option::is_some)>
                "Upload and scan"
            </button>
            <details class="hint">
                <summary>"How to make an export"</summary>
                <pre class="code-block"><code>{EXPORT_COMMAND}</code></pre>
            </details>
        </form>
    }
}

/// The scan being watched, while it is queued or running.
#[component]
fn ScanProgress(page: Page) -> impl IntoView {
    move || {
        page.progress.get().map(|scan| {
            view! {
                <div class="progress" data-testid="scan-progress" data-status=scan.status.clone()>
                    <progress aria-label=format!("Scan {} {}", scan.id, scan.status)></progress>
                    <span>{format!("Scan {} {}…", scan.id, scan.status)}</span>
                </div>
            }
        })
    }
}

/// The newest ended scan when it failed or could not read everything, with its errors.
#[component]
fn ScanProblem(problem: Memo<Option<Scan>>, latest: Memo<Option<Scan>>) -> impl IntoView {
    move || {
        problem.get().map(|scan| {
            let kept = latest.with(|latest| {
                latest
                    .as_ref()
                    .filter(|latest| latest.id != scan.id)
                    .map(|latest| format!("The score shown is from scan {}, the last one with results.", latest.id))
            });
            view! {
                <div class="card scan-problem" role="alert" data-testid="scan-problem" data-status=scan.status.clone()>
                    <strong>{format!("Scan {} {}", scan.id, status_label(&scan.status))}</strong>
                    {scan.message.clone().map(|message| view! { <p>{message}</p> })}
                    {scan_errors(&scan)}
                    {kept.map(|kept| view! { <p class="hint">{kept}</p> })}
                </div>
            }
        })
    }
}

/// The latest scan with results: score, grade, counts by severity, what changed, when.
#[component]
fn Headline(latest: Memo<Option<Scan>>) -> impl IntoView {
    move || {
        latest.get().map(|scan| {
            let finished = scan.finished_at.as_deref().and_then(parse_rfc3339);
            view! {
                <div class="headline">
                    <span class="score-box">
                        <span class="score" data-testid="cluster-score">{scan.score}</span>
                        {scan.grade.clone().map(|grade| view! { <span class=grade_class(&grade)>{grade.clone()}</span> })}
                    </span>
                    {severity_counts(scan.counts)}
                    <span class="changes">
                        <span class="new" data-testid="cluster-new">{format!("+{} new", scan.new)}</span>
                        " · "
                        <span class="resolved" data-testid="cluster-resolved">{format!("{} resolved", scan.resolved)}</span>
                        {finished.map(|at| {
                            view! {
                                " · last scan "
                                <time title=format_utc(at)>{time::relative(at, time::now_ms())}</time>
                            }
                        })}
                    </span>
                </div>
            }
        })
    }
}

/// The score over time and findings by severity, over a chosen range.
#[component]
fn TrendSection(page: Page, on_select: Callback<i64>) -> impl IntoView {
    let range_buttons = Range::ALL
        .into_iter()
        .map(|range| {
            view! {
                <button
                    type="button"
                    class="chip range"
                    aria-pressed=move || (page.range.get() == range).to_string()
                    aria-label=range.description()
                    on:click=move |_| page.range.set(range)
                >{range.label()}</button>
            }
        })
        .collect_view();
    let charts = move || {
        page.shown_trend.get().map(|(from, to, points)| {
            let selected = Signal::derive(move || page.selected.with(|scan| scan.as_ref().map(|scan| scan.id)));
            view! {
                <TrendChart points=points.clone() from=from to=to selected=selected on_select=on_select/>
                <h3>"Findings by severity"</h3>
                <SeverityChart points=points from=from to=to/>
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="trend-title">
            <div class="section-head">
                <h2 id="trend-title">"Score over time"</h2>
                <div class="chips" role="group" aria-label="Range">{range_buttons}</div>
            </div>
            {charts}
        </section>
    }
}

/// The latest scan's namespaces with their scores.
#[component]
fn Namespaces(latest: Memo<Option<Scan>>) -> impl IntoView {
    move || {
        latest.get().filter(|scan| !scan.namespaces.is_empty()).map(|scan| {
            view! {
                <section class="card" aria-labelledby="namespaces-title">
                    <h2 id="namespaces-title">"Namespaces"</h2>
                    <p class="pane-meta">
                        {format!(
                            "Scan #{}: each namespace scored by the cluster's formula over its own objects.",
                            scan.id,
                        )}
                    </p>
                    <NamespaceTable namespaces=scan.namespaces.into_iter().collect()/>
                </section>
            }
        })
    }
}
