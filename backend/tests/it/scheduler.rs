//! Scheduled scans, black-box (and `rampart agent` end to end, in `agents/`): real servers on 127.0.0.1 port 0 with their schedulers
//! running (rounds every few tens of milliseconds), fresh SQLite and PostgreSQL databases
//! (`support/databases.rs`), clusters served by the fake Kubernetes API server
//! (`support/fake_kube.rs`) and scanned through the real `kube` client.
//!
//! "Due" is made by moving a cluster's `next_scan_at` into the past in the database, and a
//! server that died by a stale heartbeat written there, or by stopping a server's runtime
//! abruptly mid-scan (its tasks dropped, nothing handed back), as a killed process would.
//! Waits are for conditions (a scan finished, the scheduler took N more rounds), never for
//! lengths of time.

#[path = "agents/end_to_end.rs"]
mod agents;

use crate::support::{databases, fake_kube};

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use databases::{Backend, TestDatabase};
use fake_kube::{FakeCluster, FakeKube, TOKEN};
use rampart::scheduler::SchedulerSettings;
use rampart::startup::{Application, Settings};
use rampart::store::accounts::Role;
use rampart::store::clusters::{ClusterKind, NewCluster};
use rampart::store::recording::{Batch, Observed, SeenObject};
use rampart::store::scans::Outcome;
use rampart::store::schedule::Abandoned;
use rampart::store::{now_millis, Store};
use rampart_core::Severity;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::{oneshot, watch};

/// One key for every server of a test: replicas open each other's sealed credentials.
const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The collection the fake clusters of the tests that kill a server hold until released.
const PODS: &str = "/api/v1/pods";

fn quick_scheduler() -> SchedulerSettings {
    SchedulerSettings {
        interval: Duration::from_millis(50),
        lease: Duration::from_millis(1000),
        max_concurrent_scans: 4,
    }
}

fn settings(database_url: &str, scheduler: SchedulerSettings) -> Settings {
    Settings {
        secret_key: Some(KEY.to_string()),
        scheduler,
        // The fake API servers listen on 127.0.0.1, over plain HTTP.
        outbound: rampart::outbound::OutboundPolicy::lab(),
        ..Settings::local(database_url, std::env::temp_dir().join("rampart-test-unused.key"))
    }
}

/// A server running on the test's runtime, stopped (gracefully) when dropped.
struct Server {
    base: String,
    rounds: watch::Receiver<u64>,
    shutdown: Option<oneshot::Sender<()>>,
}

async fn start(database_url: &str, scheduler: SchedulerSettings) -> Server {
    rampart::telemetry::init_for_tests();
    let app = Application::build(&settings(database_url, scheduler)).await.expect("the application starts");
    let base = format!("http://{}", app.address());
    let rounds = app.scheduler_rounds();
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    Server { base, rounds, shutdown: Some(shutdown) }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A server on a runtime of its own, which [`Doomed::kill`] stops abruptly: its tasks are
/// dropped wherever they are, its connections closed, nothing is written on the way out.
struct Doomed {
    base: String,
    runtime: Option<tokio::runtime::Runtime>,
}

async fn start_doomed(database_url: &str, scheduler: SchedulerSettings) -> Doomed {
    rampart::telemetry::init_for_tests();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (ready, address) = oneshot::channel();
    let settings = settings(database_url, scheduler);
    runtime.spawn(async move {
        let app = Application::build(&settings).await.expect("the application starts");
        let _ = ready.send(app.address());
        let _ = app.run_until(std::future::pending()).await;
    });
    let address = address.await.expect("the doomed server starts");
    Doomed { base: format!("http://{address}"), runtime: Some(runtime) }
}

impl Doomed {
    fn kill(mut self) {
        self.runtime.take().unwrap().shutdown_background();
    }
}

impl Drop for Doomed {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A user's view of the API of one server.
struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    fn on(&self, server_base: &str) -> Api {
        Api { base: server_base.to_string(), token: self.token.clone(), client: self.client.clone() }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.bearer_auth(&self.token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(format!("{}/api/v1{path}", self.base))).await
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.client.post(format!("{}/api/v1{path}", self.base)).json(body)).await
    }

    async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.client.patch(format!("{}/api/v1{path}", self.base)).json(body)).await
    }

    /// Registers a cluster reached through the fake API server; its JSON.
    async fn register(&self, name: &str, fake: &FakeKube, extra: Value) -> Value {
        let mut body = json!({ "name": name, "server": fake.url, "token": TOKEN });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let (status, cluster) = self.post("/clusters", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{cluster}");
        cluster
    }

    async fn scans(&self, cluster: i64) -> Vec<Value> {
        let (status, body) = self.get(&format!("/clusters/{cluster}/scans")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().unwrap().clone()
    }

    async fn scan(&self, scan: i64) -> Value {
        let (status, body) = self.get(&format!("/scans/{scan}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

/// A user (editor of team `red`) and their token, written straight into the store.
async fn api(store: &Store, server: &str) -> Api {
    let user_id = store.create_user("ana@example.com", None, false).await.unwrap();
    let team_id = store.ensure_team("red").await.unwrap();
    store.set_membership(team_id, user_id, Role::Editor).await.unwrap();
    let token = store.create_token(user_id, "test").await.unwrap().1;
    Api { base: server.to_string(), token, client: reqwest::Client::new() }
}

/// Runs a statement on whichever database the store holds.
async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// Rows of two integers and a text.
async fn rows(store: &Store, sql: &str) -> Vec<(i64, i64, String)> {
    match store {
        Store::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// Waits until `check` gives a value (at most a minute, so that a broken scheduler fails the
/// test instead of hanging it).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: still not so after 60 s");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the server's scheduler has taken `count` more rounds.
async fn rounds_pass(server: &mut Server, count: u64) {
    let start = *server.rounds.borrow_and_update();
    tokio::time::timeout(Duration::from_secs(60), async {
        while *server.rounds.borrow_and_update() < start + count {
            server.rounds.changed().await.expect("the scheduler runs");
        }
    })
    .await
    .expect("the scheduler takes rounds");
}

/// Whether a scan's JSON says it is over.
fn finished(scan: &Value) -> bool {
    !matches!(scan["status"].as_str(), Some("queued" | "running"))
}

fn millis(rfc3339: &Value) -> i64 {
    let text = rfc3339.as_str().unwrap_or_else(|| panic!("a time, not {rfc3339}"));
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap();
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The next 00:00, 06:00, 12:00 or 18:00 UTC strictly after `after`.
fn next_six_hours(after: i64) -> i64 {
    const SIX_HOURS: i64 = 6 * 3600 * 1000;
    (after.div_euclid(SIX_HOURS) + 1) * SIX_HOURS
}

fn deployment(name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": "prod", "uid": format!("uid-{name}") },
        "spec": { "template": { "spec": { "containers": [
            { "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": true } }
        ] } } }
    })
}

async fn due_cluster_is_scanned_on_schedule(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let mut server = start(&database.url(), quick_scheduler()).await;
    let store = Store::open(&database.url()).await.unwrap();
    let api = api(&store, &server.base).await;
    let fake = FakeKube::start(FakeCluster::new().with(deployment("web"))).await;

    // Registered without a schedule: every 6 hours on the hour, next at the next one.
    let before = now_millis();
    let cluster = api.register("live", &fake, json!({})).await;
    let after = now_millis();
    assert_eq!(cluster["schedule"], "0 */6 * * *", "{cluster}");
    let next = millis(&cluster["next_scan_at"]);
    assert!((next_six_hours(before)..=next_six_hours(after)).contains(&next), "{cluster}");
    let id = cluster["id"].as_i64().unwrap();
    let (_, listed) = api.get("/clusters").await;
    assert_eq!(listed[0]["next_scan_at"], cluster["next_scan_at"], "{listed}");

    // Not due: rounds pass and nothing is scanned.
    rounds_pass(&mut server, 3).await;
    assert!(api.scans(id).await.is_empty());
    assert!(fake.requests_to(PODS).is_empty());

    // Due: scanned without being asked, once, and the next scan moves on.
    execute(&store, &format!("UPDATE clusters SET next_scan_at = {} WHERE id = {id}", now_millis() - 1000)).await;
    let scan = eventually("the scheduled scan finishes", || async {
        api.scans(id).await.first().filter(|scan| finished(scan)).cloned()
    })
    .await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    assert_eq!(scan["source"], "schedule", "{scan}");
    assert_eq!(scan["counts"]["critical"], 1, "the privileged Deployment: {scan}");
    let (_, cluster) = api.get(&format!("/clusters/{id}")).await;
    let next = millis(&cluster["next_scan_at"]);
    assert!(next > now_millis() && next == next_six_hours(next - 1), "{cluster}");
    let (_, listed) = api.get("/clusters").await;
    assert_eq!(listed[0]["last_scan"]["id"], scan["id"], "{listed}");
    assert_eq!(listed[0]["next_scan_at"], cluster["next_scan_at"], "{listed}");
    rounds_pass(&mut server, 3).await;
    assert_eq!(api.scans(id).await.len(), 1, "scanned once");
    assert_eq!(fake.requests_to(PODS).len(), 1, "pods listed once");

    // An interval instead: the next scan an hour from the change.
    let before = now_millis();
    let (status, cluster) = api.patch(&format!("/clusters/{id}"), &json!({ "schedule": "@every 1h" })).await;
    let after = now_millis();
    assert_eq!(status, StatusCode::OK, "{cluster}");
    assert_eq!(cluster["schedule"], "@every 1h");
    assert!((before + 3_600_000..=after + 3_600_000).contains(&millis(&cluster["next_scan_at"])), "{cluster}");

    // "Scan now" still works beside the schedule.
    let (status, body) = api.post(&format!("/clusters/{id}/scans"), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let scan_id = body["id"].as_i64().unwrap();
    let scan =
        eventually("the manual scan finishes", || async { Some(api.scan(scan_id).await).filter(finished) }).await;
    assert_eq!((scan["status"].as_str(), scan["source"].as_str()), (Some("succeeded"), Some("manual")), "{scan}");

    // No schedule: only scanned when asked, even once the old time has passed.
    let (status, cluster) = api.patch(&format!("/clusters/{id}"), &json!({ "schedule": null })).await;
    assert_eq!(status, StatusCode::OK, "{cluster}");
    assert_eq!((&cluster["schedule"], &cluster["next_scan_at"]), (&Value::Null, &Value::Null), "{cluster}");
    execute(&store, &format!("UPDATE clusters SET next_scan_at = {} WHERE id = {id}", now_millis() - 1000)).await;
    rounds_pass(&mut server, 3).await;
    assert_eq!(api.scans(id).await.len(), 2);

    // A cluster registered with no schedule, and a snapshot cluster, have none.
    let (_, manual) =
        api.post("/clusters", &json!({ "name": "manual", "server": fake.url, "token": TOKEN, "schedule": null })).await;
    assert_eq!((&manual["schedule"], &manual["next_scan_at"]), (&Value::Null, &Value::Null), "{manual}");
    let (_, snapshot) = api.post("/clusters", &json!({ "name": "exports", "snapshot": true })).await;
    assert_eq!((&snapshot["schedule"], &snapshot["next_scan_at"]), (&Value::Null, &Value::Null), "{snapshot}");
    store.close().await;
}

async fn bad_schedules_are_refused(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let server = start(&database.url(), quick_scheduler()).await;
    let store = Store::open(&database.url()).await.unwrap();
    let api = api(&store, &server.base).await;
    let fake = FakeKube::start(FakeCluster::new()).await;

    let register = |name: &str, schedule: Value| {
        let body = json!({ "name": name, "server": fake.url, "token": TOKEN, "schedule": schedule });
        let api = &api;
        async move { api.post("/clusters", &body).await }
    };
    for (schedule, says) in [
        (json!("61 * * * *"), "minute field '61': 61 is out of range 0–59"),
        (json!("0 */6 * *"), "has 4 fields; a cron expression has 5"),
        (json!("0 0 30 2 *"), "never comes"),
        (json!("@reboot"), "unknown shorthand"),
        (json!("@every 10s"), "the shortest interval is 1m"),
    ] {
        let (status, body) = register("bad", schedule.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{schedule}: {body}");
        let error = body["error"].as_str().unwrap_or_else(|| panic!("a JSON error: {body}"));
        assert!(error.starts_with("schedule: "), "names the field: {error}");
        assert!(error.contains(says), "{schedule}: {error}");
        assert!(error.contains("such as \"0 */6 * * *\""), "says what to write: {error}");
    }
    let (status, body) = register("bad", json!(6)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("schedule"), "{body}");
    let (_, listed) = api.get("/clusters").await;
    assert_eq!(listed, json!([]), "nothing registered");

    let (status, cluster) = register("nightly", json!("30 2 * * mon-fri")).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    let id = cluster["id"].as_i64().unwrap();
    let (status, body) = api.patch(&format!("/clusters/{id}"), &json!({ "schedule": "0 25 * * *" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("schedule: hour field '25'"), "{body}");
    let (_, unchanged) = api.get(&format!("/clusters/{id}")).await;
    assert_eq!(unchanged["schedule"], "30 2 * * mon-fri");
    assert_eq!(unchanged["next_scan_at"], cluster["next_scan_at"]);

    let (status, body) =
        api.post("/clusters", &json!({ "name": "exports", "snapshot": true, "schedule": "@daily" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("snapshot cluster"), "{body}");
    store.close().await;
}

/// A scan of a server that died (a stale heartbeat in the database) is interrupted and
/// retried to success; one whose server is alive is left alone; a snapshot's is not
/// retried (its text is gone), nor a scan already tried as often as allowed.
async fn abandoned_scans_are_interrupted_and_retried(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let mut server = start(&database.url(), quick_scheduler()).await;
    let store = Store::open(&database.url()).await.unwrap();
    let api = api(&store, &server.base).await;
    let fake = FakeKube::start(FakeCluster::new().with(deployment("web"))).await;
    let orphaned = api.register("orphaned", &fake, json!({})).await["id"].as_i64().unwrap();
    let alive = api.register("alive", &fake, json!({})).await["id"].as_i64().unwrap();
    let worn = api.register("worn", &fake, json!({})).await["id"].as_i64().unwrap();
    let (_, exports) = api.post("/clusters", &json!({ "name": "exports", "snapshot": true })).await;
    let exports = exports["id"].as_i64().unwrap();

    let hour_ago = now_millis() - 3_600_000;
    let in_an_hour = now_millis() + 3_600_000;
    for (cluster, heartbeat, attempt) in
        [(orphaned, hour_ago, 1), (alive, in_an_hour, 1), (worn, hour_ago, 3), (exports, hour_ago, 1)]
    {
        execute(
            &store,
            &format!(
                "INSERT INTO scans (cluster_id, status, source, queued_at, started_at, runner, heartbeat_at, attempt) \
                 VALUES ({cluster}, 'running', 'schedule', {hour_ago}, {hour_ago}, 'replica-{cluster}', {heartbeat}, \
                 {attempt})"
            ),
        )
        .await;
    }

    let retried = eventually("the orphaned scan's retry finishes", || async {
        let scans = api.scans(orphaned).await;
        (scans.len() == 2 && finished(&scans[0])).then_some(scans)
    })
    .await;
    let (retry, original) = (&retried[0], &retried[1]);
    assert_eq!(original["status"], "interrupted", "{original}");
    let message = original["message"].as_str().unwrap();
    assert!(message.contains(&format!("retried as scan {}", retry["id"])), "{message}");
    assert_eq!((retry["status"].as_str(), retry["source"].as_str()), (Some("succeeded"), Some("retry")), "{retry}");
    assert_eq!(retry["counts"]["critical"], 1, "{retry}");

    rounds_pass(&mut server, 3).await;
    let alive_scans = api.scans(alive).await;
    assert_eq!(alive_scans.len(), 1, "{alive_scans:?}");
    assert_eq!(alive_scans[0]["status"], "running", "a live server's scan is its own");
    let worn_scans = api.scans(worn).await;
    assert_eq!(worn_scans.len(), 1, "not retried a fourth time: {worn_scans:?}");
    assert_eq!(worn_scans[0]["status"], "interrupted");
    assert!(worn_scans[0]["message"].as_str().unwrap().contains("3 times in a row; not retried again"));
    let export_scans = api.scans(exports).await;
    assert_eq!(export_scans.len(), 1, "{export_scans:?}");
    assert_eq!(export_scans[0]["status"], "interrupted");
    assert!(export_scans[0]["message"].as_str().unwrap().contains("upload the export again"));
    assert_eq!(fake.requests_to(PODS).len(), 1, "only the retry listed the cluster");
    store.close().await;
}

/// Registers the fake cluster and starts a scan of it ("scan now"); once the scan is
/// listing pods (which the fake holds), the cluster's id and the scan's.
async fn scan_caught_listing(api: &Api, fake: &FakeKube) -> (i64, i64) {
    let cluster = api.register("live", fake, json!({})).await["id"].as_i64().unwrap();
    let (status, body) = api.post(&format!("/clusters/{cluster}/scans"), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let scan = body["id"].as_i64().unwrap();
    eventually("the scan lists pods", || async { (!fake.requests_to(PODS).is_empty()).then_some(()) }).await;
    assert_eq!(api.scan(scan).await["status"], "running");
    (cluster, scan)
}

/// Waits for the retry of `first`, the cluster's only other scan, and checks that it
/// succeeded where `first` was interrupted.
async fn assert_retried(api: &Api, fake: &FakeKube, cluster: i64, first: i64) {
    let scans = eventually("the retry finishes", || async {
        let scans = api.scans(cluster).await;
        (scans.len() == 2 && finished(&scans[0])).then_some(scans)
    })
    .await;
    let (retry, original) = (&scans[0], &scans[1]);
    assert_eq!(
        (original["id"].as_i64(), original["status"].as_str()),
        (Some(first), Some("interrupted")),
        "{original}"
    );
    let message = original["message"].as_str().unwrap();
    assert!(message.contains(&format!("stopped before it finished; retried as scan {}", retry["id"])), "{message}");
    assert_eq!((retry["status"].as_str(), retry["source"].as_str()), (Some("succeeded"), Some("retry")), "{retry}");
    assert_eq!(fake.requests_to(PODS).len(), 2, "listed by the first try and by the retry");
}

/// SQLite: the process owning the file is killed mid-scan; the next start marks the scan
/// interrupted at once (nothing else could be running it) and runs its retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_restart_retries_the_scan_a_killed_server_left() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    let fake = FakeKube::start(FakeCluster::new().with(deployment("web")).held(PODS)).await;
    let doomed = start_doomed(&database.url(), quick_scheduler()).await;
    let store = Store::open(&database.url()).await.unwrap();
    let api = api(&store, &doomed.base).await;
    let (cluster, first) = scan_caught_listing(&api, &fake).await;
    doomed.kill();
    fake.release();

    let server = start(&database.url(), quick_scheduler()).await;
    assert_retried(&api.on(&server.base), &fake, cluster, first).await;
    store.close().await;
}

/// PostgreSQL: two replicas; the one running a scan keeps it while its heartbeat beats,
/// for longer than the lease; killed, its scan is interrupted and the other one retries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_replica_retries_the_scan_of_one_that_died() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let fake = FakeKube::start(FakeCluster::new().with(deployment("web")).held(PODS)).await;
    // A lease of 40 rounds: a heartbeat is not missed by a busy machine.
    let scheduler = SchedulerSettings { lease: Duration::from_secs(2), ..quick_scheduler() };
    let doomed = start_doomed(&database.url(), scheduler).await;
    let mut survivor = start(&database.url(), scheduler).await;
    let store = Store::open(&database.url()).await.unwrap();
    let api = api(&store, &doomed.base).await;
    let (cluster, first) = scan_caught_listing(&api, &fake).await;

    // 50 rounds of the survivor are at least 49 intervals: longer than the lease. The
    // doomed replica's heartbeat kept its scan.
    rounds_pass(&mut survivor, 50).await;
    assert_eq!(api.scan(first).await["status"], "running", "a live replica's scan is not taken over");
    assert_eq!(fake.requests_to(PODS).len(), 1);
    doomed.kill();
    fake.release();

    assert_retried(&api.on(&survivor.base), &fake, cluster, first).await;
    store.close().await;
}

/// PostgreSQL: two replicas share the database and 30 clusters fall due at once. Each
/// due scan runs exactly once: one scan row per cluster, one listing at each fake cluster,
/// and both replicas took part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_replicas_run_each_due_scan_once() {
    const CLUSTERS: usize = 30;
    let database = TestDatabase::create(Backend::Postgres).await;
    let mut first = start(&database.url(), quick_scheduler()).await;
    let mut second = start(&database.url(), quick_scheduler()).await;
    let store = Store::open(&database.url()).await.unwrap();
    let api = api(&store, &first.base).await;
    let mut fakes = BTreeMap::new();
    for index in 0..CLUSTERS {
        let fake = FakeKube::start(FakeCluster::new().with(deployment(&format!("web-{index}")))).await;
        let id = api.register(&format!("cluster-{index:02}"), &fake, json!({})).await["id"].as_i64().unwrap();
        fakes.insert(id, fake);
    }

    // All due at once, in one statement: both replicas race for them.
    execute(&store, &format!("UPDATE clusters SET next_scan_at = {}", now_millis() - 1000)).await;
    eventually("every cluster's scan finishes", || async {
        let (_, clusters) = api.get("/clusters").await;
        let clusters = clusters.as_array().unwrap().clone();
        clusters
            .iter()
            .all(|cluster| cluster["last_scan"]["finished_at"].is_string())
            .then_some(())
            .filter(|_| clusters.len() == CLUSTERS)
    })
    .await;
    // Any second claim of the same occurrence would have happened by now: both replicas
    // took more rounds since every scan finished.
    rounds_pass(&mut first, 5).await;
    rounds_pass(&mut second, 5).await;

    let scans = rows(&store, "SELECT cluster_id, COUNT(*), MIN(status) FROM scans GROUP BY cluster_id").await;
    let per_cluster: BTreeMap<i64, (i64, String)> =
        scans.into_iter().map(|(cluster, count, status)| (cluster, (count, status))).collect();
    let expected: BTreeMap<i64, (i64, String)> = fakes.keys().map(|id| (*id, (1, "succeeded".to_string()))).collect();
    assert_eq!(per_cluster, expected, "one scan per cluster, succeeded");
    for (id, fake) in &fakes {
        assert_eq!(fake.requests_to(PODS).len(), 1, "cluster {id} listed once");
    }
    let runners: BTreeSet<String> =
        rows(&store, "SELECT COUNT(*), COUNT(DISTINCT cluster_id), runner FROM scans GROUP BY runner")
            .await
            .into_iter()
            .map(|(_, _, runner)| runner)
            .collect();
    assert_eq!(runners.len(), 2, "both replicas claimed scans: {runners:?}");
    let (_, clusters) = api.get("/clusters").await;
    for cluster in clusters.as_array().unwrap() {
        assert!(millis(&cluster["next_scan_at"]) > now_millis(), "{cluster}");
        assert_eq!(cluster["last_scan"]["status"], "succeeded", "{cluster}");
    }
    store.close().await;
}

/// What a scan of the cluster saw: two pods, those of `names` running privileged.
fn outcome(names: &[&str]) -> Outcome {
    let pod =
        |name: &str| SeenObject { kind: "Pod".into(), namespace: "prod".into(), name: name.into(), score: Some(50) };
    let mut batch = Batch { objects: names.iter().map(|name| pod(name)).collect(), findings: Vec::new() };
    for object in 0..names.len() {
        batch.findings.push(Observed {
            object,
            rule: "pod-privileged".into(),
            severity: Severity::Critical,
            path: "spec.containers[0].securityContext.privileged".into(),
            message: "runs privileged".into(),
            exempted: false,
            exemption_reason: None,
        });
    }
    batch.objects.push(pod("quiet"));
    Outcome { batch, ..Outcome::default() }
}

/// A replica that stalled mid-scan past its lease wakes after its scan was marked
/// interrupted and retried by another: its result, its failure and its heartbeat are all
/// refused, so the interrupted scan keeps its status and message and no finding is
/// opened or resolved on its stale evidence. A scan running under another runner is
/// refused to it too; its owner records it.
async fn a_stalled_replica_cannot_record_over_its_interrupted_scan(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let store = Store::open(&database.url()).await.unwrap();
    let team_id = store.ensure_team("red").await.unwrap();
    let cluster = store
        .create_cluster(&NewCluster {
            team_id,
            name: "live".into(),
            kind: ClusterKind::Api,
            server: Some("https://127.0.0.1:6443".into()),
            context: None,
            schedule: None,
            next_scan_at: None,
            credentials: None,
        })
        .await
        .unwrap();
    let (stalled, healthy) = ("replica-a", "replica-b");
    let run = |runner: &'static str| {
        let store = store.clone();
        async move {
            let scan = store.create_owned_scan(cluster, "manual", runner).await.unwrap();
            assert!(store.begin_owned_scan(scan, runner).await.unwrap());
            scan
        }
    };
    let first = run(healthy).await;
    assert!(store.record_scan(first, cluster, healthy, &outcome(&["old"])).await.unwrap());

    let late = run(stalled).await;
    execute(&store, &format!("UPDATE scans SET heartbeat_at = {} WHERE id = {late}", now_millis() - 3_600_000)).await;
    let interrupted = store.interrupt_abandoned_scans(Abandoned::SilentBefore(now_millis() - 60_000)).await.unwrap();
    assert_eq!(interrupted.len(), 1, "{interrupted:?}");
    let retry = interrupted[0].retry.expect("a retry is queued");
    let claimed = store.claim_queued_scans(healthy, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|claimed| claimed.scan_id).collect::<Vec<_>>(), [retry]);
    assert!(store.begin_owned_scan(retry, healthy).await.unwrap());

    // The stalled replica wakes: everything it saw (`old` gone, `stale` new) is refused.
    let stale = outcome(&["stale"]);
    assert!(!store.record_scan(late, cluster, stalled, &stale).await.unwrap(), "a stale result is refused");
    assert!(!store.fail_scan(late, stalled, "cannot reach the cluster").await.unwrap(), "a stale failure is refused");
    assert_eq!(store.heartbeat(stalled, &[late]).await.unwrap(), 0, "an interrupted scan has no heartbeat");
    // Nor may it write over the retry, which another runner owns.
    assert!(!store.record_scan(retry, cluster, stalled, &stale).await.unwrap(), "another runner's scan is refused");
    assert!(!store.fail_scan(retry, stalled, "cannot reach the cluster").await.unwrap());

    let scans =
        rows(&store, &format!("SELECT id, objects, status FROM scans WHERE cluster_id = {cluster} ORDER BY id")).await;
    assert_eq!(
        scans,
        [(first, 2, "succeeded".into()), (late, 0, "interrupted".into()), (retry, 0, "running".into())],
        "the interrupted scan and the retry are as they were"
    );
    let message = rows(&store, &format!("SELECT id, cluster_id, message FROM scans WHERE id = {late}")).await;
    assert!(message[0].2.contains(&format!("retried as scan {retry}")), "{message:?}");
    let findings_sql =
        format!("SELECT first_scan_id, cluster_id, name || ' ' || status FROM findings WHERE cluster_id = {cluster}");
    assert_eq!(
        rows(&store, &findings_sql).await,
        [(first, cluster, "old open".into())],
        "no finding opened or resolved"
    );

    // The retry's owner records it: `old` is resolved and `fresh` opened, as they should be.
    assert!(store.record_scan(retry, cluster, healthy, &outcome(&["fresh"])).await.unwrap());
    let mut findings = rows(&store, &findings_sql).await;
    findings.sort();
    assert_eq!(findings, [(first, cluster, "old resolved".into()), (retry, cluster, "fresh open".into())]);
    assert!(!store.fail_scan(retry, healthy, "late").await.unwrap(), "a finished scan is not failed afterwards");
    store.close().await;
}

use agents::{a_server_killed_during_a_delivery_loses_and_duplicates_nothing, an_agent_delivers_what_a_snapshot_gives};

on_both_backends!(
    an_agent_delivers_what_a_snapshot_gives,
    a_server_killed_during_a_delivery_loses_and_duplicates_nothing,
    due_cluster_is_scanned_on_schedule,
    bad_schedules_are_refused,
    abandoned_scans_are_interrupted_and_retried,
    a_stalled_replica_cannot_record_over_its_interrupted_scan
);
