//! `rampart agent` at scale: what one delivery of a large cluster costs the agent, the
//! network and the server.
//!
//! `cargo xtask bench agent` (or `cargo bench -p rampart --bench agent`). The cluster is a
//! `gen_corpus.py` export (`AGENT_BENCH_CORPUS`, a JSON `kind: List`; `cargo xtask bench
//! agent` generates the 50,000-object one, `--count 50000 --seed 11`, ~11 findings per
//! object), or without one the generated cluster of `AGENT_BENCH_NAMESPACES` × 100 objects.
//! It is served over TLS by the tests' fake API server (`tests/it/support/fake_kube.rs`) as the
//! in-cluster endpoint, with a ServiceAccount directory laid out as a Pod sees it. The
//! server is the real `rampart serve` (SQLite in a scratch directory, or with
//! `AGENT_BENCH_BACKEND=postgresql` a scratch database created on the PostgreSQL server of
//! `RAMPART_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/postgres, and
//! dropped at the end), behind a TCP relay
//! that counts the bytes the agent sends; the agent is the real `rampart agent`. Each runs
//! in its own process, so their peak RSS (VmHWM, read from `/proc` just before they are
//! stopped) and CPU time are their own. `AGENT_BENCH_WRAPPER` runs it under a profiler
//! (`AGENT_BENCH_WRAPPER="heaptrack -o /tmp/agent"`), and `AGENT_BENCH_BINARY` names
//! another build of `rampart` to run as the agent (to compare with an earlier commit's).
//!
//! Printed: objects, findings per object, the time from the agent's start to the scan's
//! end (listing, compressing, sending and the server's ingestion overlap: the delivery is
//! one stream), the server's ingestion (the scan's start to its end, as the server recorded
//! them: the delivery is read as it arrives, so this includes waiting for the agent's
//! listing), the agent's and the server's peak RSS and CPU time (and PostgreSQL's, for the
//! connections to the scratch database), the compressed body
//! the agent reports and the bytes the relay saw (headers, chunk framing and the
//! instruction polls included), the load average. BENCHMARKS.md has the figures.

#[path = "../tests/it/support/fake_kube.rs"]
mod fake_kube;
#[path = "support/measure.rs"]
mod measure;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_kube::{FakeCluster, FakeKube, CA_PEM, TOKEN};
use rampart::store::accounts::Role;
use rampart::store::Store;
use serde_json::{json, Value};

use measure::{admin, database_cpu};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    println!("load average at the start: {}", load_average());
    let objects = match std::env::var("AGENT_BENCH_CORPUS") {
        Ok(path) => {
            let file = std::fs::File::open(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
            let mut list: Value = serde_json::from_reader(std::io::BufReader::new(file)).expect("a JSON List");
            let Some(Value::Array(items)) = list.get_mut("items").map(Value::take) else {
                panic!("{path}: not a kind: List with items")
            };
            println!("cluster: {path}");
            items
        }
        Err(_) => {
            let namespaces = std::env::var("AGENT_BENCH_NAMESPACES").ok().and_then(|n| n.parse().ok()).unwrap_or(500);
            println!("cluster: generated, {namespaces} namespaces × 100 objects (AGENT_BENCH_CORPUS names none)");
            generated(namespaces)
        }
    };
    let listed: std::collections::HashSet<String> =
        rampart::scanner::catalog().into_iter().map(|kind| kind.path()).collect();
    let mut cluster = FakeCluster::new();
    let mut served = 0usize;
    for object in objects {
        if listed.contains(&fake_kube::path_of(&object)) {
            served += 1;
            cluster = cluster.with(object);
        }
    }
    println!("objects served of the kinds a scan lists: {served}");
    let fake = FakeKube::start_tls(cluster).await;

    let scratch = std::env::temp_dir().join(format!("rampart-bench-agent-{}", std::process::id()));
    std::fs::create_dir_all(scratch.join("serviceaccount")).expect("a scratch directory");
    std::fs::write(scratch.join("serviceaccount/token"), TOKEN).unwrap();
    std::fs::write(scratch.join("serviceaccount/ca.crt"), CA_PEM).unwrap();
    let postgres = std::env::var("AGENT_BENCH_BACKEND").is_ok_and(|backend| backend.eq_ignore_ascii_case("postgresql"));
    let scratch_database = format!("rampart_bench_agent_{}", std::process::id());
    let admin_url = std::env::var("RAMPART_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    let database = if postgres {
        admin(&admin_url, &format!("CREATE DATABASE {scratch_database}")).await;
        let (server, _) = admin_url.rsplit_once('/').expect("a postgres:// URL has a path");
        format!("{server}/{scratch_database}")
    } else {
        format!("sqlite://{}/rampart.db", scratch.display())
    };
    println!("server's database: {}", if postgres { "PostgreSQL" } else { "SQLite" });
    // The server is `rampart serve` in its own process, so its peak RSS is its own.
    let server: std::net::SocketAddr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        probe.local_addr().unwrap()
    };
    let server_log = scratch.join("serve.log");
    let mut serve = logged(&mut Command::new(env!("CARGO_BIN_EXE_rampart")), &server_log)
        .arg("serve")
        .env_remove("RAMPART_SETTINGS")
        .env("RAMPART_LISTEN", server.to_string())
        .env("RAMPART_DATABASE_URL", &database)
        .env("RAMPART_SECRET_KEY", "00".repeat(32))
        .env("RAMPART_PUBLIC_URL", format!("http://{server}"))
        .spawn()
        .expect("rampart serve starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !reqwest::get(format!("http://{server}/readyz")).await.is_ok_and(|answer| answer.status().is_success()) {
        assert!(
            Instant::now() < deadline && serve.try_wait().unwrap().is_none(),
            "rampart serve did not get ready: {}",
            std::fs::read_to_string(&server_log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let store = Store::open(&database).await.expect("the server's database");
    let user = store.create_user("bench@example.com", None, false).await.unwrap();
    let team = store.ensure_team("bench").await.unwrap();
    store.set_membership(team, user, Role::Editor).await.unwrap();
    let api_token = store.create_token(user, "bench").await.unwrap().1;
    let (relay, sent) = relay(server).await;

    let client = reqwest::Client::new();
    let base = format!("http://{server}/api/v1");
    let registered: Value = client
        .post(format!("{base}/clusters"))
        .bearer_auth(&api_token)
        .json(&json!({ "name": "bench", "agent": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cluster_id = registered["id"].as_i64().expect("the cluster's id");
    let agent_token = registered["agent_setup"]["token"].as_str().expect("the agent's token").to_string();

    let log = scratch.join("agent.log");
    let port = fake.url.rsplit(':').next().unwrap().to_string();
    let started = Instant::now();
    let database_cpu_before = database_cpu(&store).await;
    // `AGENT_BENCH_WRAPPER` runs the agent under a profiler (`heaptrack -o FILE`): the peak
    // RSS printed is then the wrapper's, not the agent's.
    let wrapper: Vec<String> = std::env::var("AGENT_BENCH_WRAPPER")
        .map(|wrapper| wrapper.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    // `AGENT_BENCH_BINARY` runs another build of `rampart` as the agent (an earlier commit's).
    let binary = std::env::var("AGENT_BENCH_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_rampart").to_string());
    let mut agent = match wrapper.split_first() {
        Some((program, arguments)) => {
            let mut command = Command::new(program);
            command.args(arguments).arg(&binary);
            command
        }
        None => Command::new(&binary),
    };
    let mut agent = logged(&mut agent, &log)
        .args(["agent", "--server", &format!("http://{relay}")])
        .env("RAMPART_AGENT_TOKEN", &agent_token)
        .env("RAMPART_SERVICE_ACCOUNT_DIR", scratch.join("serviceaccount"))
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port)
        .env("RAMPART_POLL_INTERVAL", "200ms")
        .spawn()
        .expect("rampart agent starts");
    let pid = agent.id();
    let scan = loop {
        let scans: Value = client
            .get(format!("{base}/clusters/{cluster_id}/scans"))
            .bearer_auth(&api_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(scan) = scans.get(0).filter(|scan| !matches!(scan["status"].as_str(), Some("queued" | "running"))) {
            break scan.clone();
        }
        assert!(agent.try_wait().unwrap().is_none(), "the agent stopped: {}", std::fs::read_to_string(&log).unwrap());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let elapsed = started.elapsed();
    let database_cpu = match (database_cpu_before, database_cpu(&store).await) {
        (Some(before), Some(after)) => format!(", PostgreSQL CPU {:.1} s", after - before),
        _ => String::new(),
    };
    let ingestion: Option<(i64, i64)> = match &store {
        Store::Sqlite(pool) => sqlx::query_as("SELECT started_at, finished_at FROM scans WHERE id = ?")
            .bind(scan["id"].as_i64())
            .fetch_optional(pool)
            .await
            .unwrap(),
        Store::Postgres(pool) => sqlx::query_as("SELECT started_at, finished_at FROM scans WHERE id = $1")
            .bind(scan["id"].as_i64())
            .fetch_optional(pool)
            .await
            .unwrap(),
    };
    // The agent logs its delivery after the server's answer: wait for that line.
    let deadline = Instant::now() + Duration::from_secs(30);
    let reported = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let bytes = text
            .lines()
            .find(|line| line.contains("delivered"))
            .and_then(|line| line.split("compressed_bytes=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|bytes| bytes.parse::<f64>().ok());
        if bytes.is_some() || Instant::now() > deadline {
            break bytes.unwrap_or(f64::NAN);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Under a wrapper, the agent is the wrapper's child: it is measured, then stopped with
    // SIGTERM so that the profiler writes out what it recorded.
    let measured = if wrapper.is_empty() { Some(pid) } else { child_of(pid, &binary) };
    let peak = measured.map_or(0, |pid| status_kib(pid, "VmHWM")) as f64 / 1024.0;
    let cpu = measured.map_or(0.0, |pid| measure::process_cpu_seconds(&pid.to_string()));
    match measured.filter(|_| !wrapper.is_empty()) {
        Some(child) => {
            let _ = Command::new("kill").args(["-TERM", &child.to_string()]).status();
        }
        None => {
            let _ = agent.kill();
        }
    }
    let _ = agent.wait();
    let on_wire = sent.load(Ordering::Relaxed) as f64;
    let findings: i64 = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|severity| scan["counts"][severity].as_i64().unwrap_or(0))
        .sum();
    let objects = scan["objects"].as_f64().unwrap_or(0.0);
    println!(
        "agent: {} objects checked, {findings} open findings ({:.1} per object), scan {}, {:.1} s from the agent's \
         start to the scan's end",
        scan["objects"],
        findings as f64 / objects.max(1.0),
        scan["status"],
        elapsed.as_secs_f64()
    );
    println!("agent: peak RSS {peak:.1} MB, CPU {cpu:.1} s");
    println!(
        "agent: sent {:.2} MB compressed (the body, as the agent reports it); {:.2} MB through the relay (everything \
         the agent sent the server)",
        reported / 1e6,
        on_wire / 1e6
    );
    let server_peak = status_kib(serve.id(), "VmHWM") as f64 / 1024.0;
    let server_cpu = measure::process_cpu_seconds(&serve.id().to_string());
    let ingestion = ingestion.map_or(f64::NAN, |(started, finished)| (finished - started) as f64 / 1000.0);
    println!(
        "server (rampart serve, its own process): scan started to finished {ingestion:.2} s, peak RSS \
         {server_peak:.1} MB, CPU {server_cpu:.1} s{database_cpu}"
    );
    // The server's own account of the scan: where its time went (checking, recording, waiting).
    let server_text = std::fs::read_to_string(&server_log).unwrap_or_default();
    if let Some(line) = server_text.lines().find(|line| line.contains("scan recorded")) {
        println!("server's log: {}", line.split_once("scan recorded").map_or(line, |(_, fields)| fields).trim());
    }
    println!("load average at the end: {}", load_average());
    let _ = serve.kill();
    let _ = serve.wait();
    store.close().await;
    if postgres {
        admin(&admin_url, &format!("DROP DATABASE IF EXISTS {scratch_database} WITH (FORCE)")).await;
    }
    drop(fake);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// `command` logging at info level, without colours, into the file `log`.
fn logged<'a>(command: &'a mut Command, log: &std::path::Path) -> &'a mut Command {
    command
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("a log file"))
}

/// A TCP relay to `target` on a loopback port: its address, and the bytes clients sent.
async fn relay(target: std::net::SocketAddr) -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let address = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else { return };
                let (mut in_read, mut in_write) = inbound.split();
                let (mut out_read, mut out_write) = outbound.split();
                let upstream = async {
                    let copied = tokio::io::copy(&mut in_read, &mut out_write).await.unwrap_or(0);
                    counter.fetch_add(copied, Ordering::Relaxed);
                    let _ = tokio::io::AsyncWriteExt::shutdown(&mut out_write).await;
                };
                let downstream = tokio::io::copy(&mut out_read, &mut in_write);
                let _ = tokio::join!(upstream, downstream);
            });
        }
    });
    (address, sent)
}

/// A field of `/proc/PID/status`, in KiB (`VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The process running `binary` among the children of `parent` (a profiler may start
/// helpers of its own beside it).
fn child_of(parent: u32, binary: &str) -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
        // The parent's pid is the second field after the command's closing parenthesis.
        let parent_of: u32 = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
        let command = std::fs::read(entry.path().join("cmdline")).ok()?;
        let program = command.split(|&byte| byte == 0).next()?;
        (parent_of == parent && program == binary.as_bytes()).then_some(pid)
    })
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// 100 objects per namespace, mostly unhardened workloads.
fn generated(namespaces: usize) -> Vec<Value> {
    let mut objects = Vec::with_capacity(namespaces * 100);
    for n in 0..namespaces {
        let namespace = format!("team-{n}");
        objects.push(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "uid": format!("ns-{n}")}}),
        );
        for i in 0..60 {
            let app = format!("app-{i}");
            objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": app, "namespace": namespace, "uid": format!("d-{n}-{i}"), "labels": {"app": app}},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": app}},
                    "template": {"metadata": {"labels": {"app": app}},
                        "spec": {"containers": [{"name": "app", "image": format!("registry.example/{app}:latest"),
                            "ports": [{"containerPort": 8080}], "env": [{"name": "MODE", "value": "production"}]}]}}}}));
        }
        for i in 0..20 {
            objects.push(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("svc-{i}"), "namespace": namespace, "uid": format!("s-{n}-{i}")},
                "spec": {"type": "ClusterIP", "selector": {"app": format!("app-{i}")}, "ports": [{"port": 80, "targetPort": 8080}]}}));
        }
        for i in 0..10 {
            objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("config-{i}"), "namespace": namespace, "uid": format!("c-{n}-{i}")},
                "data": {"settings.yaml": "log: info\nfeature: on\n"}}));
        }
        for i in 0..9 {
            objects.push(json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": format!("sa-{i}"), "namespace": namespace, "uid": format!("sa-{n}-{i}")}}));
        }
    }
    objects
}
