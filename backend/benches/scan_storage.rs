//! The server's scan, end to end, and what repeated scans cost in storage.
//!
//! `cargo xtask bench server` (or `cargo bench -p rampart --bench scan_storage`), with
//! PostgreSQL from `RAMPART_TEST_POSTGRES_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres; scratch databases are created and dropped).
//!
//! A fake Kubernetes API server runs in a child process (this same binary, started with
//! `RAMPART_BENCH_FAKE_KUBE` set) on 127.0.0.1: real HTTP, the API's list shapes, `limit` /
//! `continue` paging and `PartialObjectMetadataList` answers for metadata-only lists. Every
//! item is serialised once, up front, so a page is a concatenation: the fake server is not
//! what is measured, and its memory is not in this process's peak. This process runs the
//! real server (`Application`: HTTP API, scan runner, store); a cluster is registered through
//! `POST /api/v1/clusters`, and each scan is started with `POST /api/v1/clusters/{id}/scans`
//! and timed until `GET /api/v1/scans/{id}` says it finished. The scan lists the cluster
//! through the real `kube` client, runs the engine and records the findings.
//!
//! Parts (`SCAN_BENCH_PARTS`, a comma-separated list; all by default; `SCAN_BENCH_BACKENDS`
//! `postgresql` or `sqlite` runs the shapes on one backend only):
//! - `sparse`: the generated cluster of 50,000 objects (10,000 pods' worth of workloads,
//!   ~24,000 findings; `SCAN_BENCH_OBJECTS` scales it);
//! - `dense`: a `gen_corpus.py` export (`SCAN_BENCH_CORPUS`, a JSON List; `cargo xtask
//!   bench server` generates the 50,000-object one of ~549,000 findings), served the same
//!   way;
//!
//!   each on PostgreSQL and SQLite: a first scan, an unchanged rescan and a rescan with 1 %
//!   of the objects changed (the fake server changes them on request: a workload's first
//!   container turns privileged or back, anything else gets a new label), with wall time,
//!   the process's CPU time, its peak RSS (VmHWM, reset through `/proc/self/clear_refs`
//!   before each scan), the findings rows the scan wrote and the database's size;
//! - `repeat`: a cluster of 10,000 objects scanned 101 times unchanged, on both backends:
//!   the database's size after the first scan and after the 100 others
//!   (`SCAN_BENCH_UNCHANGED`);
//! - `dense-repeat` (not run by default): the same with the `dense` corpus;
//! - `soak`: 200 rescans (`SCAN_BENCH_SOAK`) of that cluster with 1 % of its objects
//!   changed before each: RSS and database size every 20 scans.
//!
//! Database size: PostgreSQL `pg_database_size` after a plain `VACUUM` (which makes dead
//! rows reusable but returns no space, so growth that happened stays visible); SQLite
//! `page_count * page_size` after a `wal_checkpoint(TRUNCATE)` (the file itself, the WAL
//! folded in). BENCHMARKS.md has the figures and how they were taken.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rampart::startup::{Application, Settings};
use rampart::store::accounts::Role;
use rampart::store::Store;
use serde_json::{json, Value};

#[path = "support/measure.rs"]
mod measure;
use measure::{admin, database_cpu, process_cpu_seconds};

/// The allocator the `rampart` binary uses (backend/src/main.rs), so that the server measured
/// here allocates as the one that ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The child process's switch: the number of namespaces of the fake cluster it serves.
const FAKE_KUBE_VARIABLE: &str = "RAMPART_BENCH_FAKE_KUBE";
/// Objects per namespace of the generated cluster, and cluster-scoped objects per namespace.
const PER_NAMESPACE: usize = 240;
const CLUSTER_SCOPED_PER_NAMESPACE: usize = 10;
const UNCHANGED_SCANS: usize = 100;

/// A number from the environment, or the default.
fn setting(variable: &str, default: usize) -> usize {
    std::env::var(variable).ok().and_then(|value| value.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() {
    if let Ok(spec) = std::env::var(FAKE_KUBE_VARIABLE) {
        fake_kube::serve(&spec);
        return;
    }
    // The server's log (each scan's line says where its time went), when `RUST_LOG` asks.
    if std::env::var_os("RUST_LOG").is_some() {
        rampart::telemetry::init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let postgres = std::env::var("RAMPART_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let parts = std::env::var("SCAN_BENCH_PARTS").unwrap_or_else(|_| "sparse,dense,repeat,soak".into());
        let part = |name: &str| parts.split(',').any(|part| part.trim() == name);
        println!("load average at the start: {}", load_average());
        println!(
            "allocator: mimalloc, as the rampart binary's; MALLOC_ARENA_MAX={} (SQLite's own allocations)",
            std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "(unset: glibc's default)".into())
        );
        let scratch = std::env::temp_dir().join(format!("rampart-bench-scan-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).expect("a scratch directory");

        if part("sparse") {
            let big = setting("SCAN_BENCH_OBJECTS", 50_000);
            let namespaces = big.div_ceil(PER_NAMESPACE + CLUSTER_SCOPED_PER_NAMESPACE);
            let fake = FakeKube::start(&format!("gen:{namespaces}"));
            println!("sparse cluster: {} objects, {} pods, {namespaces} namespaces", fake.objects, fake.pods);
            shape_scans("sparse", &fake, &postgres, &scratch).await;
        }
        if part("dense") {
            match std::env::var("SCAN_BENCH_CORPUS") {
                Ok(path) => {
                    let fake = FakeKube::start(&format!("file:{path}"));
                    println!("dense cluster ({path}): {} objects, {} pods", fake.objects, fake.pods);
                    shape_scans("dense", &fake, &postgres, &scratch).await;
                }
                Err(_) => println!("dense cluster: skipped (SCAN_BENCH_CORPUS names no corpus)"),
            }
        }
        if part("repeat") {
            let fake = FakeKube::start(&format!("gen:{}", 10_000 / (PER_NAMESPACE + CLUSTER_SCOPED_PER_NAMESPACE)));
            println!("fake cluster: {} objects, {} pods", fake.objects, fake.pods);
            let database = ScratchPostgres::create(&postgres, "repeat").await;
            repeated_scans("PostgreSQL", &database.url, &fake, &scratch).await;
            database.drop_database().await;
            let sqlite = format!("sqlite://{}/repeat.db", scratch.display());
            repeated_scans("SQLite", &sqlite, &fake, &scratch).await;
        }
        if part("dense-repeat") {
            match std::env::var("SCAN_BENCH_CORPUS") {
                Ok(path) => {
                    let fake = FakeKube::start(&format!("file:{path}"));
                    println!("dense cluster ({path}): {} objects, {} pods", fake.objects, fake.pods);
                    let database = ScratchPostgres::create(&postgres, "dense_repeat").await;
                    repeated_scans("PostgreSQL", &database.url, &fake, &scratch).await;
                    database.drop_database().await;
                    let sqlite = format!("sqlite://{}/dense-repeat.db", scratch.display());
                    repeated_scans("SQLite", &sqlite, &fake, &scratch).await;
                }
                Err(_) => println!("dense-repeat: skipped (SCAN_BENCH_CORPUS names no corpus)"),
            }
        }
        if part("soak") {
            let fake = FakeKube::start(&format!("gen:{}", 10_000 / (PER_NAMESPACE + CLUSTER_SCOPED_PER_NAMESPACE)));
            println!("soak cluster: {} objects, {} pods", fake.objects, fake.pods);
            let database = ScratchPostgres::create(&postgres, "soak").await;
            soak("PostgreSQL", &database.url, &fake, &scratch).await;
            database.drop_database().await;
            let sqlite = format!("sqlite://{}/soak.db", scratch.display());
            soak("SQLite", &sqlite, &fake, &scratch).await;
        }
        let _ = std::fs::remove_dir_all(&scratch);
        println!("load average at the end: {}", load_average());
    });
}

/// One cluster shape on both backends: a first scan, an unchanged rescan and a rescan with
/// 1 % of the objects changed; time, CPU time, peak RSS, findings rows written, size.
async fn shape_scans(shape: &str, fake: &FakeKube, postgres: &str, scratch: &std::path::Path) {
    let database = ScratchPostgres::create(postgres, shape).await;
    let sqlite = format!("sqlite://{}/{shape}.db", scratch.display());
    for (backend, url) in [("PostgreSQL", database.url.as_str()), ("SQLite", sqlite.as_str())] {
        if !backend_chosen(backend) {
            continue;
        }
        let server = Server::start(url, scratch).await;
        let cluster = server.register(shape, &fake.url).await;
        for label in ["first scan", "unchanged rescan", "1% changed rescan"] {
            if label.starts_with("1%") {
                fake.change(fake.objects / 100).await;
            }
            let rss_before = status_kib("VmRSS");
            reset_peak_rss();
            let cpu_before = cpu_seconds();
            let database_cpu_before = database_cpu(&server.store).await;
            let (elapsed, scan) = server.scan(cluster).await;
            let cpu = cpu_seconds() - cpu_before;
            let database_cpu = match (database_cpu_before, database_cpu(&server.store).await) {
                (Some(before), Some(after)) => format!(" + {:.2} s PostgreSQL", after - before),
                _ => String::new(),
            };
            let peak = status_kib("VmHWM");
            let (size, _) = database_size(&server.store).await;
            println!(
                "{shape} {backend:10} {label:18} {:>6} objects, {:>7} findings open: {:6.2} s ({:6.2} s CPU{database_cpu}), \
                 peak RSS {:6.1} MB (before {:5.1} MB), findings rows written {}, database {:7.1} MB; load {}",
                scan["objects"],
                server.open_findings(cluster).await,
                elapsed.as_secs_f64(),
                cpu,
                peak as f64 / 1024.0,
                rss_before as f64 / 1024.0,
                server.findings_written(scan["id"].as_i64().unwrap_or(0)).await,
                size as f64 / 1e6,
                load_average(),
            );
        }
        server.stop().await;
    }
    database.drop_database().await;
    let _ = std::fs::remove_file(scratch.join(format!("{shape}.db")));
}

/// Whether `SCAN_BENCH_BACKENDS` (a comma-separated list of `postgresql` and `sqlite`, both
/// by default) names the backend: run alone, a backend's peak memory does not start from
/// what the other's scans left.
fn backend_chosen(backend: &str) -> bool {
    std::env::var("SCAN_BENCH_BACKENDS")
        .map(|chosen| chosen.split(',').any(|name| name.trim().eq_ignore_ascii_case(backend)))
        .unwrap_or(true)
}

/// `SCAN_BENCH_SOAK` (200) rescans of a cluster with 1 % of its objects changed before
/// each: memory and the database's size every 20 scans, which should stay flat.
async fn soak(backend: &str, database_url: &str, fake: &FakeKube, scratch: &std::path::Path) {
    let server = Server::start(database_url, scratch).await;
    let cluster = server.register("soak", &fake.url).await;
    let (first, _) = server.scan(cluster).await;
    let (size, _) = database_size(&server.store).await;
    println!(
        "{backend:10} soak: first scan {:5.2} s, RSS {:6.1} MB, database {:8.3} MB",
        first.as_secs_f64(),
        status_kib("VmRSS") as f64 / 1024.0,
        size as f64 / 1e6
    );
    let rounds = setting("SCAN_BENCH_SOAK", 200);
    let (mut written, mut slowest, mut started) = (0i64, Duration::ZERO, Instant::now());
    for round in 1..=rounds {
        fake.change(fake.objects / 100).await;
        let (elapsed, scan) = server.scan(cluster).await;
        slowest = slowest.max(elapsed);
        written += server.findings_written(scan["id"].as_i64().unwrap_or(0)).await.parse::<i64>().unwrap_or(0);
        if round % 20 == 0 || round == rounds {
            let (size, detail) = database_size(&server.store).await;
            println!(
                "{backend:10} soak: after {round:3} scans: RSS {:6.1} MB, database {:8.3} MB ({detail}); \
                 last 20: {:5.2} s each (slowest {:5.2} s), {} findings rows written each; {} open; load {}",
                status_kib("VmRSS") as f64 / 1024.0,
                size as f64 / 1e6,
                started.elapsed().as_secs_f64() / 20f64.min(round as f64),
                slowest.as_secs_f64(),
                written / 20,
                server.open_findings(cluster).await,
                load_average(),
            );
            (written, slowest, started) = (0, Duration::ZERO, Instant::now());
        }
    }
    server.stop().await;
}

/// The process's CPU time so far (user + system), in seconds.
fn cpu_seconds() -> f64 {
    process_cpu_seconds("self")
}

/// One scan, then [`UNCHANGED_SCANS`] more of the same cluster; the database's growth.
async fn repeated_scans(backend: &str, database_url: &str, fake: &FakeKube, scratch: &std::path::Path) {
    let server = Server::start(database_url, scratch).await;
    let cluster = server.register("repeat", &fake.url).await;
    let (first, _) = server.scan(cluster).await;
    let (before, detail_before) = database_size(&server.store).await;
    let unchanged = setting("SCAN_BENCH_UNCHANGED", UNCHANGED_SCANS).max(1);
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for _ in 0..unchanged {
        let (elapsed, scan) = server.scan(cluster).await;
        assert_eq!(scan["status"], "succeeded", "{scan}");
        slowest = slowest.max(elapsed);
    }
    let each = started.elapsed() / unchanged as u32;
    let (after, detail_after) = database_size(&server.store).await;
    println!(
        "{backend:10} first scan {:5.2} s; {unchanged} unchanged scans {:5.2} s each (slowest {:5.2} s), \
         {} findings open",
        first.as_secs_f64(),
        each.as_secs_f64(),
        slowest.as_secs_f64(),
        server.open_findings(cluster).await,
    );
    println!(
        "{backend:10} database {:8.3} MB after the first scan, {:8.3} MB after {unchanged} more: {:+.3} MB",
        before as f64 / 1e6,
        after as f64 / 1e6,
        (after as f64 - before as f64) / 1e6
    );
    println!("{backend:10}   before: {detail_before}");
    println!("{backend:10}   after:  {detail_after}");
    server.stop().await;
}

/// The database's size in bytes, measured as the module documentation says, and a detail
/// line (the findings and scans tables, free pages).
async fn database_size(store: &Store) -> (i64, String) {
    match store {
        Store::Postgres(pool) => {
            sqlx::query("VACUUM").execute(pool).await.expect("VACUUM");
            let (database, findings, scans): (i64, i64, i64) = sqlx::query_as(
                "SELECT pg_database_size(current_database()), pg_total_relation_size('findings'), \
                 pg_total_relation_size('scans')",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            (database, format!("findings {:.3} MB, scans {:.3} MB (with indexes and TOAST)", mb(findings), mb(scans)))
        }
        Store::Sqlite(pool) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.expect("checkpoint");
            let (pages, page_size, free): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT page_count FROM pragma_page_count()), (SELECT page_size FROM pragma_page_size()), \
                 (SELECT freelist_count FROM pragma_freelist_count())",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            (pages * page_size, format!("{pages} pages of {page_size} bytes, {free} of them free"))
        }
    }
}

fn mb(bytes: i64) -> f64 {
    bytes as f64 / 1e6
}

/// The real server, in this process, with a user who may register clusters.
struct Server {
    base: String,
    store: Store,
    token: String,
    client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(database_url: &str, scratch: &std::path::Path) -> Server {
        let settings = Settings {
            secret_key: Some("00".repeat(32)),
            // The fake API server listens on 127.0.0.1, over plain HTTP.
            outbound: rampart::outbound::OutboundPolicy::lab(),
            ..Settings::local(database_url, scratch.join("secret.key"))
        };
        let app = Application::build(&settings).await.expect("the server starts");
        let base = format!("http://{}/api/v1", app.address());
        let store = app.store().clone();
        let user = store.create_user("bench@example.com", None, false).await.unwrap();
        let team = store.ensure_team("bench").await.unwrap();
        store.set_membership(team, user, Role::Editor).await.unwrap();
        let token = store.create_token(user, "bench").await.unwrap().1;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Server { base, store, token, client: reqwest::Client::new(), stop, running }
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Value {
        let response = request.bearer_auth(&self.token).send().await.expect("the server answers");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{status}: {body}");
        body
    }

    /// Registers the fake cluster (no schedule: scanned when asked); its id.
    async fn register(&self, name: &str, url: &str) -> i64 {
        let body = json!({ "name": name, "server": url, "token": "bench-token", "schedule": null });
        let cluster = self.call(self.client.post(format!("{}/clusters", self.base)).json(&body)).await;
        cluster["id"].as_i64().expect("the cluster's id")
    }

    /// Starts a scan and waits for it to finish; how long that took, and the scan.
    async fn scan(&self, cluster: i64) -> (Duration, Value) {
        let started = Instant::now();
        let scan =
            self.call(self.client.post(format!("{}/clusters/{cluster}/scans", self.base)).json(&json!({}))).await;
        let id = scan["id"].as_i64().expect("the scan's id");
        loop {
            let scan = self.call(self.client.get(format!("{}/scans/{id}", self.base))).await;
            if !matches!(scan["status"].as_str(), Some("queued" | "running")) {
                let elapsed = started.elapsed();
                assert_eq!(scan["status"], "succeeded", "{scan}");
                return (elapsed, scan);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The findings rows a scan wrote (inserted, changed, reopened or resolved), as the
    /// scan recorded it; "-" when the store does not count them.
    async fn findings_written(&self, scan: i64) -> String {
        let sql = format!("SELECT findings_written FROM scans WHERE id = {scan}");
        let written: Result<i64, sqlx::Error> = match &self.store {
            Store::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
            Store::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        };
        written.map_or_else(|_| "-".to_string(), |written| written.to_string())
    }

    async fn open_findings(&self, cluster: i64) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM findings WHERE cluster_id = {cluster} AND status = 'open'");
        match &self.store {
            Store::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
            Store::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        }
        .unwrap()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.running.await;
        self.store.close().await;
    }
}

/// A PostgreSQL database made for one part of the benchmark.
struct ScratchPostgres {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchPostgres {
    async fn create(admin_url: &str, part: &str) -> ScratchPostgres {
        let name = format!("rampart_bench_scan_{part}_{}", std::process::id());
        admin(admin_url, &format!("CREATE DATABASE {name}")).await;
        let (server, _) = admin_url.rsplit_once('/').expect("a postgres:// URL has a path");
        ScratchPostgres { admin_url: admin_url.to_string(), url: format!("{server}/{name}"), name }
    }

    async fn drop_database(self) {
        admin(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await;
    }
}

/// A field of `/proc/self/status`, in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets the process's peak RSS (VmHWM) to its current RSS.
fn reset_peak_rss() {
    if let Err(error) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("warning: cannot reset the peak RSS ({error}): the figure is the process's peak so far");
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The fake API server's child process; killed when dropped (its stdin closes too).
struct FakeKube {
    url: String,
    objects: usize,
    pods: usize,
    child: Child,
}

impl FakeKube {
    fn start(spec: &str) -> FakeKube {
        let mut child = Command::new(std::env::current_exe().expect("this binary's path"))
            .env(FAKE_KUBE_VARIABLE, spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the fake API server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("the fake API server's address");
        let mut parts = line.split_whitespace();
        let url = parts.next().expect("a URL").to_string();
        let objects = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        let pods = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        FakeKube { url, objects, pods, child }
    }
}

impl FakeKube {
    /// Changes `count` more objects of the cluster (see `fake_kube::change`).
    async fn change(&self, count: usize) {
        let response = reqwest::Client::new()
            .post(format!("{}/bench/change?count={count}", self.url))
            .bearer_auth("bench-token")
            .send()
            .await
            .expect("the fake API server answers");
        assert!(response.status().is_success());
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

mod fake_kube {
    //! The child process: generates the cluster, serialises every item once, and serves
    //! list requests by concatenating them, until its stdin closes.

    use std::collections::HashMap;
    use std::io::Read;
    use std::sync::{Arc, RwLock};

    use axum::extract::State;
    use axum::http::{header, HeaderMap, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};

    use super::*;

    /// One collection: each item serialised as a typed list's item (no `apiVersion` or
    /// `kind`) and as a `PartialObjectMetadata`.
    struct Collection {
        api_version: String,
        kind: String,
        full: Vec<Vec<u8>>,
        metadata: Vec<Vec<u8>>,
    }

    /// The served objects: `gen:N` (the generated cluster of N namespaces) or `file:PATH`
    /// (a `kind: List` export in JSON, as `gen_corpus.py --layout list --list-format json`
    /// writes it; items of kinds a scan does not list are left out).
    fn objects(spec: &str) -> Vec<Value> {
        if let Some(namespaces) = spec.strip_prefix("gen:") {
            return super::generate::cluster(namespaces.parse().expect("a number of namespaces"));
        }
        let path = spec.strip_prefix("file:").expect("gen:N or file:PATH");
        let file = std::fs::File::open(path).unwrap_or_else(|error| panic!("{path}: {error}"));
        let mut list: Value = serde_json::from_reader(std::io::BufReader::new(file)).expect("a JSON List");
        match list.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => panic!("{path}: not a kind: List with items"),
        }
    }

    /// The served state: collections by path, and how many changes were made so far.
    struct Served {
        collections: HashMap<String, Collection>,
        /// Every item as (path, position), in a fixed order: what `/bench/change` walks.
        order: Vec<(String, usize)>,
        changes: usize,
    }

    pub fn serve(spec: &str) {
        let objects = objects(spec);
        let mut collections: HashMap<String, Collection> = rampart::scanner::catalog()
            .into_iter()
            .filter(|kind| !kind.optional)
            .map(|kind| {
                let collection = Collection {
                    api_version: kind.api_version(),
                    kind: kind.kind.clone(),
                    full: Vec::new(),
                    metadata: Vec::new(),
                };
                (kind.path(), collection)
            })
            .collect();
        let paths: HashMap<String, String> = collections
            .iter()
            .map(|(path, collection)| (format!("{}/{}", collection.api_version, collection.kind), path.clone()))
            .collect();
        let (mut total, mut pods) = (0, 0);
        let mut order = Vec::new();
        for mut object in objects {
            let key =
                format!("{}/{}", object["apiVersion"].as_str().unwrap_or(""), object["kind"].as_str().unwrap_or(""));
            let Some(path) = paths.get(&key) else { continue };
            let collection = collections.get_mut(path).expect("a served kind");
            total += 1;
            pods += usize::from(object["kind"] == "Pod");
            order.push((path.clone(), collection.full.len()));
            let metadata = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"]});
            collection.metadata.push(serde_json::to_vec(&metadata).unwrap());
            let fields = object.as_object_mut().unwrap();
            fields.remove("apiVersion");
            fields.remove("kind");
            collection.full.push(serde_json::to_vec(&object).unwrap());
        }
        // A fixed shuffle, so that changes spread over kinds and namespaces.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for position in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(position, (state % (position as u64 + 1)) as usize);
        }
        let served = Arc::new(RwLock::new(Served { collections, order, changes: 0 }));

        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
            let address = listener.local_addr().unwrap();
            println!("http://{address} {total} {pods}");
            std::io::stdout().flush().unwrap();
            // The parent closes stdin (or dies): stop.
            std::thread::spawn(|| {
                let _ = std::io::stdin().read_to_end(&mut Vec::new());
                std::process::exit(0);
            });
            let app = axum::Router::new().fallback(answer).with_state(served);
            axum::serve(listener, app).await.unwrap();
        });
    }

    /// Changes one object as a deployment would: a workload's first container turns
    /// privileged (or back), anything else gets a new label value.
    fn change(item: &[u8], round: usize) -> Vec<u8> {
        let mut object: Value = serde_json::from_slice(item).expect("a served item");
        let pod_spec = ["/spec/template/spec", "/spec/jobTemplate/spec/template/spec", "/spec"]
            .into_iter()
            .find(|pointer| object.pointer(&format!("{pointer}/containers/0")).is_some());
        match pod_spec {
            Some(pointer) => {
                let container = object.pointer_mut(&format!("{pointer}/containers/0")).unwrap();
                let context = container.as_object_mut().unwrap().entry("securityContext").or_insert_with(|| json!({}));
                if !context.is_object() {
                    *context = json!({});
                }
                let fields = context.as_object_mut().unwrap();
                if fields.get("privileged") == Some(&json!(true)) {
                    fields.remove("privileged");
                } else {
                    fields.insert("privileged".into(), json!(true));
                }
            }
            None => {
                let metadata = object.as_object_mut().unwrap().entry("metadata").or_insert_with(|| json!({}));
                let labels = metadata.as_object_mut().unwrap().entry("labels").or_insert_with(|| json!({}));
                if let Some(labels) = labels.as_object_mut() {
                    labels.insert("bench.rampart.dev/round".into(), json!(round.to_string()));
                }
            }
        }
        serde_json::to_vec(&object).unwrap()
    }

    fn status(code: StatusCode, reason: &str) -> Response {
        let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": reason, "reason": reason, "code": code.as_u16()});
        (code, axum::Json(body)).into_response()
    }

    async fn answer(State(served): State<Arc<RwLock<Served>>>, uri: Uri, headers: HeaderMap) -> Response {
        if !headers.get(header::AUTHORIZATION).is_some_and(|value| value.as_bytes().starts_with(b"Bearer ")) {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized");
        }
        // The bench's own control: change the next `count` objects of the fixed shuffle.
        if uri.path() == "/bench/change" {
            let count: usize = uri.query().and_then(|query| query.strip_prefix("count=")?.parse().ok()).unwrap_or(0);
            let mut served = served.write().unwrap();
            let served = &mut *served;
            for _ in 0..count {
                let (path, position) = served.order[served.changes % served.order.len()].clone();
                let round = served.changes / served.order.len();
                let collection = served.collections.get_mut(&path).unwrap();
                collection.full[position] = change(&collection.full[position], round);
                served.changes += 1;
            }
            return axum::Json(json!({"changed": count})).into_response();
        }
        let served = served.read().unwrap();
        let collections = &served.collections;
        if uri.path() == "/version" {
            return axum::Json(json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0"})).into_response();
        }
        let Some(collection) = collections.get(uri.path()) else {
            return status(StatusCode::NOT_FOUND, "NotFound");
        };
        let query: HashMap<&str, &str> =
            uri.query().unwrap_or_default().split('&').filter_map(|pair| pair.split_once('=')).collect();
        let offset: usize = query.get("continue").and_then(|token| token.parse().ok()).unwrap_or(0);
        let limit: usize =
            query.get("limit").and_then(|limit| limit.parse().ok()).filter(|&n| n > 0).unwrap_or(usize::MAX);
        let metadata_only = headers
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("as=PartialObjectMetadataList"));
        let items = if metadata_only { &collection.metadata } else { &collection.full };
        let end = offset.saturating_add(limit).min(items.len());
        let page = &items[offset.min(end)..end];
        let (api_version, list_kind) = if metadata_only {
            ("meta.k8s.io/v1".to_string(), "PartialObjectMetadataList".to_string())
        } else {
            (collection.api_version.clone(), format!("{}List", collection.kind))
        };
        let metadata = if end < items.len() {
            json!({"resourceVersion": "1000", "continue": end.to_string(), "remainingItemCount": items.len() - end})
        } else {
            json!({"resourceVersion": "1000"})
        };
        let mut body = Vec::with_capacity(page.iter().map(Vec::len).sum::<usize>() + page.len() + 200);
        body.extend_from_slice(
            format!("{{\"kind\":\"{list_kind}\",\"apiVersion\":\"{api_version}\",\"metadata\":{metadata},\"items\":[")
                .as_bytes(),
        );
        for (position, item) in page.iter().enumerate() {
            if position > 0 {
                body.push(b',');
            }
            body.extend_from_slice(item);
        }
        body.extend_from_slice(b"]}");
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

mod generate {
    //! A cluster as a platform team runs it: per namespace, Deployments with their current
    //! and previous ReplicaSets and the current one's Pods, Services, many ConfigMaps and
    //! Secrets (Helm keeps releases in Secrets), ServiceAccounts, RBAC, NetworkPolicies and
    //! Ingresses; cluster-wide, ClusterRoles and their bindings. Objects carry what a real
    //! API server returns: uids, owner references, `managedFields`, status. Half the
    //! workloads are hardened, half are not, so findings are of every kind.

    use serde_json::{json, Value};

    const DEPLOYMENTS: usize = 10;
    const PODS_PER_DEPLOYMENT: usize = 5;
    const SERVICES: usize = 10;
    const CONFIG_MAPS: usize = 60;
    const SECRETS: usize = 60;
    const SERVICE_ACCOUNTS: usize = 12;
    const ROLES: usize = 6;
    const NETWORK_POLICIES: usize = 3;
    const INGRESSES: usize = 2;
    const TIME: &str = "2026-10-01T08:00:00Z";

    fn uid(kind: &str, index: usize) -> String {
        let tag: u32 = kind.bytes().fold(7u32, |hash, byte| hash.wrapping_mul(31).wrapping_add(byte as u32));
        format!("{tag:08x}-{:04x}-4{:03x}-8000-{index:012x}", index % 0xffff, index % 0xfff)
    }

    fn managed_fields(manager: &str, fields: Value) -> Value {
        json!([{"manager": manager, "operation": "Update", "apiVersion": "v1", "time": TIME,
                "fieldsType": "FieldsV1", "fieldsV1": fields}])
    }

    fn metadata(kind: &str, index: usize, namespace: &str, name: &str, app: &str) -> Value {
        json!({
            "name": name, "namespace": namespace, "uid": uid(kind, index),
            "resourceVersion": (1_000_000 + index).to_string(), "creationTimestamp": TIME,
            "labels": {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": namespace,
                       "app.kubernetes.io/managed-by": "Helm", "team": format!("team-{}", index % 17)},
            "annotations": {"meta.helm.sh/release-name": app, "meta.helm.sh/release-namespace": namespace},
        })
    }

    fn pod_spec(app: &str, hardened: bool, index: usize) -> Value {
        let security = if hardened {
            json!({"runAsNonRoot": true, "runAsUser": 10001, "allowPrivilegeEscalation": false,
                   "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]},
                   "seccompProfile": {"type": "RuntimeDefault"}})
        } else if index % 3 == 0 {
            json!({"privileged": true})
        } else {
            json!({})
        };
        let env: Vec<Value> = (0..6)
            .map(|n| json!({"name": format!("SETTING_{n}"), "value": format!("value-{app}-{n}")}))
            .chain([json!({"name": "DATABASE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": format!("{app}-db"), "key": "password"}}})])
            .collect();
        json!({
            "serviceAccountName": app,
            "automountServiceAccountToken": hardened,
            "hostNetwork": !hardened && index % 7 == 0,
            "containers": [{
                "name": app,
                "image": if hardened { format!("registry.example.com/{app}@sha256:{:064x}", index) } else { format!("registry.example.com/{app}:latest") },
                "imagePullPolicy": "IfNotPresent",
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "env": env,
                "resources": if hardened { json!({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}) } else { json!({}) },
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
                "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "tmp", "mountPath": "/tmp"}],
                "securityContext": security,
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            }],
            "volumes": [{"name": "config", "configMap": {"name": format!("{app}-config"), "defaultMode": 420}},
                        {"name": "tmp", "emptyDir": {}}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler", "securityContext": {},
        })
    }

    fn spec_fields() -> Value {
        json!({"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:env": {}, "f:image": {}, "f:imagePullPolicy": {},
            "f:livenessProbe": {"f:httpGet": {"f:path": {}, "f:port": {}}}, "f:ports": {}, "f:resources": {},
            "f:securityContext": {}, "f:volumeMounts": {}}}, "f:dnsPolicy": {}, "f:restartPolicy": {},
            "f:schedulerName": {}, "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}, "f:volumes": {}},
            "f:metadata": {"f:labels": {".": {}, "f:app.kubernetes.io/name": {}, "f:team": {}}, "f:annotations": {}}})
    }

    fn owner(kind: &str, name: &str, uid: &str) -> Value {
        json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}])
    }

    /// Every object of a cluster of `namespaces` namespaces.
    pub fn cluster(namespaces: usize) -> Vec<Value> {
        let mut objects = Vec::new();
        let mut index = 0usize;
        let mut next = || {
            index += 1;
            index
        };
        for ns in 0..namespaces {
            let namespace = format!("team-{ns:03}");
            let restricted = ns % 2 == 0;
            let mut labels = json!({"kubernetes.io/metadata.name": namespace});
            if restricted {
                labels["pod-security.kubernetes.io/enforce"] = json!("restricted");
            }
            objects.push(json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": namespace, "uid": uid("Namespace", next()), "labels": labels, "creationTimestamp": TIME},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}));
            for d in 0..DEPLOYMENTS {
                let app = format!("svc-{d:02}");
                let hardened = (ns + d) % 2 == 0;
                let spec = pod_spec(&app, hardened, ns * DEPLOYMENTS + d);
                let deployment_meta = metadata("Deployment", next(), &namespace, &app, &app);
                let deployment_uid = deployment_meta["uid"].as_str().unwrap().to_string();
                let mut deployment_meta = deployment_meta;
                deployment_meta["generation"] = json!(4);
                deployment_meta["managedFields"] = managed_fields("helm", spec_fields());
                let template = json!({"metadata": {"labels": {"app.kubernetes.io/name": app}}, "spec": spec});
                objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": deployment_meta,
                    "spec": {"replicas": PODS_PER_DEPLOYMENT, "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                             "template": template, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                             "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
                    "status": {"observedGeneration": 4, "replicas": PODS_PER_DEPLOYMENT, "updatedReplicas": PODS_PER_DEPLOYMENT,
                               "readyReplicas": PODS_PER_DEPLOYMENT, "availableReplicas": PODS_PER_DEPLOYMENT,
                               "conditions": [{"type": "Available", "status": "True", "lastUpdateTime": TIME, "lastTransitionTime": TIME, "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                                              {"type": "Progressing", "status": "True", "lastUpdateTime": TIME, "lastTransitionTime": TIME, "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{app}-7d4b9c8f6\" has successfully progressed.")}]}}));
                for (revision, replicas) in [("5f6c7d8e9", 0), ("7d4b9c8f6", PODS_PER_DEPLOYMENT)] {
                    let rs_name = format!("{app}-{revision}");
                    let mut rs_meta = metadata("ReplicaSet", next(), &namespace, &rs_name, &app);
                    let rs_uid = rs_meta["uid"].as_str().unwrap().to_string();
                    rs_meta["ownerReferences"] = owner("Deployment", &app, &deployment_uid);
                    rs_meta["managedFields"] = managed_fields("kube-controller-manager", spec_fields());
                    objects.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": rs_meta,
                        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app.kubernetes.io/name": app, "pod-template-hash": revision}}, "template": template},
                        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas, "observedGeneration": 2}}));
                    for p in 0..replicas {
                        let pod_name = format!("{rs_name}-{:05x}", (ns * 1000 + d * 10 + p) * 7919 % 0xfffff);
                        let mut pod_meta = metadata("Pod", next(), &namespace, &pod_name, &app);
                        pod_meta["generateName"] = json!(format!("{rs_name}-"));
                        pod_meta["ownerReferences"] = owner("ReplicaSet", &rs_name, &rs_uid);
                        pod_meta["managedFields"] = managed_fields("kube-controller-manager", spec_fields());
                        let mut pod_spec = spec.clone();
                        pod_spec["nodeName"] = json!(format!("node-{:03}", (ns + p) % 120));
                        pod_spec["volumes"].as_array_mut().unwrap().push(json!({"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}));
                        objects.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": pod_spec,
                            "status": {"phase": "Running", "hostIP": "10.0.0.12", "podIP": format!("10.244.{}.{}", ns % 250, p + d * 10), "startTime": TIME, "qosClass": "Burstable",
                                "conditions": (["Initialized", "Ready", "ContainersReady", "PodScheduled"].map(|kind| json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": TIME}))),
                                "containerStatuses": [{"name": app, "ready": true, "started": true, "restartCount": p % 3, "image": format!("registry.example.com/{app}:latest"),
                                    "imageID": format!("registry.example.com/{app}@sha256:{:064x}", d), "containerID": format!("containerd://{:064x}", ns * 100 + p),
                                    "state": {"running": {"startedAt": TIME}}, "lastState": {}}]}}));
                    }
                }
            }
            for s in 0..SERVICES {
                let app = format!("svc-{s:02}");
                objects.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata("Service", next(), &namespace, &app, &app),
                    "spec": {"type": if s == 0 && !restricted { "LoadBalancer" } else { "ClusterIP" }, "selector": {"app.kubernetes.io/name": app},
                             "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                             "clusterIP": format!("10.96.{}.{}", ns % 250, s), "clusterIPs": [format!("10.96.{}.{}", ns % 250, s)],
                             "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster"},
                    "status": {"loadBalancer": {}}}));
            }
            for c in 0..CONFIG_MAPS {
                let name = format!("svc-{:02}-config-{c}", c % DEPLOYMENTS);
                let data: serde_json::Map<String, Value> = (0..4)
                    .map(|k| (format!("setting-{k}.yaml"), json!(format!("# settings {k} of {name}\nlevel: info\nreplicas: 3\nendpoint: http://svc-{k:02}.{namespace}.svc:80\nfeature_flags: [a, b, c]\n"))))
                    .collect();
                objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata("ConfigMap", next(), &namespace, &name, "config"), "data": data}));
            }
            for s in 0..SECRETS {
                let name = if s < SECRETS / 2 {
                    format!("sh.helm.release.v1.svc-{:02}.v{}", s % DEPLOYMENTS, 1 + s / DEPLOYMENTS)
                } else {
                    format!("svc-{:02}-db-{s}", s % DEPLOYMENTS)
                };
                let mut meta = metadata("Secret", next(), &namespace, &name, "secret");
                meta["managedFields"] =
                    managed_fields("helm", json!({"f:data": {".": {}, "f:release": {}}, "f:type": {}}));
                objects.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": {"release": "SDRzSUFBQUFBQUFDLyt4YmUzUGJPSmIvK3ZNcA=="}}));
            }
            for a in 0..SERVICE_ACCOUNTS {
                let name = if a == 0 { "default".to_string() } else { format!("svc-{:02}", a - 1) };
                objects.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata("ServiceAccount", next(), &namespace, &name, "sa")}));
            }
            for r in 0..ROLES {
                let name = format!("svc-{r:02}-role");
                let verbs = if !restricted && r == 0 { json!(["*"]) } else { json!(["get", "list", "watch"]) };
                objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": metadata("Role", next(), &namespace, &name, "rbac"),
                    "rules": [{"apiGroups": [""], "resources": ["configmaps", "pods"], "verbs": verbs}, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]}));
                objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": metadata("RoleBinding", next(), &namespace, &name, "rbac"),
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                    "subjects": [{"kind": "ServiceAccount", "name": format!("svc-{r:02}"), "namespace": namespace}]}));
            }
            for n in 0..NETWORK_POLICIES {
                let spec = if n == 0 && restricted {
                    json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
                } else {
                    json!({"podSelector": {"matchLabels": {"app.kubernetes.io/name": format!("svc-{n:02}")}}, "policyTypes": ["Ingress"],
                           "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}], "ports": [{"port": 8080, "protocol": "TCP"}]}]})
                };
                objects.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata("NetworkPolicy", next(), &namespace, &format!("policy-{n}"), "netpol"), "spec": spec}));
            }
            for i in 0..INGRESSES {
                let app = format!("svc-{i:02}");
                let tls = if restricted {
                    json!([{"hosts": [format!("{app}.{namespace}.example.com")], "secretName": format!("{app}-tls")}])
                } else {
                    json!([])
                };
                objects.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata("Ingress", next(), &namespace, &app, &app),
                    "spec": {"ingressClassName": "nginx", "tls": tls, "rules": [{"host": format!("{app}.{namespace}.example.com"), "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": app, "port": {"number": 80}}}}]}}]}}));
            }
        }
        for c in 0..namespaces * super::CLUSTER_SCOPED_PER_NAMESPACE / 2 {
            let name = format!("platform:role-{c:04}");
            let rules = if c % 50 == 0 {
                json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
            } else {
                json!([{"apiGroups": ["", "apps"], "resources": ["pods", "deployments", "services"], "verbs": ["get", "list", "watch"]}])
            };
            let meta = json!({"name": name, "uid": uid("ClusterRole", next()), "resourceVersion": "1", "creationTimestamp": TIME, "labels": {"rbac.example.com/aggregate": "true"}});
            objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": meta, "rules": rules}));
            let meta = json!({"name": name, "uid": uid("ClusterRoleBinding", next()), "resourceVersion": "1", "creationTimestamp": TIME});
            objects.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": meta,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [{"kind": "Group", "name": format!("team-{:03}", c % namespaces.max(1)), "apiGroup": "rbac.authorization.k8s.io"}]}));
        }
        objects
    }
}
