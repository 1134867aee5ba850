//! Latency of the dashboard's busiest reads, `GET /api/v1/clusters`,
//! `GET /api/v1/clusters/{id}/trend` and the first page of a cluster's findings with
//! filters, with 100 clusters and a year of daily scans each (36,500 scans) and 500,000
//! open findings in one cluster (`API_BENCH_FINDINGS` to change), over real HTTP against
//! the real server, on SQLite and on PostgreSQL.
//!
//! `cargo bench -p rampart --bench api_latency` (PostgreSQL from
//! `RAMPART_TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/postgres; a
//! scratch database is created and dropped). Each endpoint gets sequential requests until
//! `API_BENCH_REQUESTS` (default 2,000) were sent or `API_BENCH_SECONDS` (default 12) have
//! passed, whichever comes first, after a warm-up of up to 100 requests or 2 seconds; so a
//! slow endpoint costs seconds, not the 2,000 × its latency. Prints how many requests were
//! timed, p50, p99 and the slowest of each; BENCHMARKS.md has the figures.

use std::time::{Duration, Instant};

use rampart::startup::{Application, Settings};
use rampart::store::accounts::Role;
use rampart::store::Store;

const CLUSTERS: i64 = 100;
const DAYS: i64 = 365;
const REQUESTS: usize = 2000;
const SECONDS: f64 = 12.0;
const WARM_UP: usize = 100;
const WARM_UP_TIME: Duration = Duration::from_secs(2);
const DAY_MS: i64 = 86_400_000;
/// Open findings of cluster 1 (the one whose trend and findings are read first).
const FINDINGS: i64 = 500_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let postgres = std::env::var("RAMPART_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let scratch = std::env::temp_dir().join(format!("rampart-bench-api-{}", std::process::id()));
        bench("SQLite", &format!("sqlite://{}/rampart.db", scratch.display()), &scratch).await;
        let name = format!("rampart_bench_{}", std::process::id());
        admin(&postgres, &format!("CREATE DATABASE {name}")).await;
        let (server, _) = postgres.rsplit_once('/').expect("a postgres:// URL has a path");
        bench("PostgreSQL", &format!("{server}/{name}"), &scratch).await;
        admin(&postgres, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        let _ = std::fs::remove_dir_all(&scratch);
    });
}

async fn admin(url: &str, sql: &str) {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await.expect("PostgreSQL answers");
    sqlx::query(sql).execute(&pool).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
    pool.close().await;
}

async fn bench(backend: &str, database_url: &str, scratch: &std::path::Path) {
    let settings =
        Settings { secret_key: Some("00".repeat(32)), ..Settings::local(database_url, scratch.join("secret.key")) };
    let app = Application::build(&settings).await.expect("the server starts");
    let base = format!("http://{}", app.address());
    let store = app.store().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));

    let seeding = Instant::now();
    let token = seed(&store).await;
    let findings =
        std::env::var("API_BENCH_FINDINGS").ok().and_then(|n| n.replace('_', "").parse().ok()).unwrap_or(FINDINGS);
    seed_findings(&store, findings).await;
    eprintln!(
        "{backend}: seeded {CLUSTERS} clusters × {DAYS} daily scans and {findings} open findings in cluster 1 in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::new();
    let budget = Budget::from_env();
    let mut results = vec![
        ("GET /clusters".to_string(), measure(&client, &token, budget, |_| format!("{base}/api/v1/clusters")).await),
        (
            "GET /clusters/{id}/trend (365 points)".to_string(),
            measure(&client, &token, budget, |index| {
                format!("{base}/api/v1/clusters/{}/trend", 1 + (index as i64 % CLUSTERS))
            })
            .await,
        ),
        (
            "… ?from=&to= (30 points)".to_string(),
            measure(&client, &token, budget, |index| {
                format!(
                    "{base}/api/v1/clusters/{}/trend?from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z",
                    1 + (index as i64 % CLUSTERS)
                )
            })
            .await,
        ),
    ];
    // The first page (50) of cluster 1's findings with each filter the dashboard offers, and
    // the combinations it sends (it always sends a status, `open` unless chosen otherwise).
    // `app-47` is in about 2 % of the findings, `app-4711` in 11, `does` in every message.
    for filters in [
        "",
        "status=open",
        "status=open&severity=critical",
        "status=open&severity=high",
        "status=open&namespace=ns-0421",
        "status=open&rule=host-path-volume",
        "status=open&severity=critical&namespace=ns-0421",
        "status=open&severity=high&rule=host-path-volume",
        "status=open&rule=host-path-volume&namespace=ns-0421",
        "severity=critical",
        "namespace=ns-0421",
        "status=resolved",
        "status=open&sort=newest",
        "status=open&sort=rule",
        "status=open&sort=object",
        "status=open&text=does",
        "status=open&text=app-47",
        "status=open&text=app-4711",
        "status=open&severity=critical&text=app-47",
        "status=open&namespace=ns-0421&text=app-1",
        "text=app-4711",
    ] {
        let url = format!("{base}/api/v1/clusters/1/findings?limit=50&{filters}");
        let times = measure(&client, &token, budget, |_| url.clone()).await;
        let name = if filters.is_empty() { "findings, first page of 50".to_string() } else { format!("… {filters}") };
        results.push((name, times));
    }
    for (name, times) in results {
        println!(
            "{backend:10} {name:52} n {:5}   p50 {:8.2} ms   p99 {:8.2} ms   max {:8.2} ms",
            times.len(),
            millis(percentile(&times, 0.50)),
            millis(percentile(&times, 0.99)),
            millis(*times.last().unwrap())
        );
    }
    let _ = stop.send(());
    let _ = server.await;
}

/// How many requests and how long each endpoint is measured for: `API_BENCH_REQUESTS` and
/// `API_BENCH_SECONDS`, else the defaults.
#[derive(Clone, Copy)]
struct Budget {
    requests: usize,
    time: Duration,
}

impl Budget {
    fn from_env() -> Budget {
        let requests = std::env::var("API_BENCH_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(REQUESTS);
        let seconds = std::env::var("API_BENCH_SECONDS").ok().and_then(|n| n.parse().ok()).unwrap_or(SECONDS);
        Budget { requests: requests.max(1), time: Duration::from_secs_f64(seconds) }
    }
}

/// Sequential requests after a warm-up (up to `WARM_UP` requests or `WARM_UP_TIME`), until
/// the budget's requests were sent or its time has passed (at least one is timed); the
/// durations, sorted.
async fn measure(
    client: &reqwest::Client,
    token: &str,
    budget: Budget,
    url: impl Fn(usize) -> String,
) -> Vec<Duration> {
    let get = |index: usize| {
        let started = Instant::now();
        let request = client.get(url(index)).bearer_auth(token);
        async move {
            let response = request.send().await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            let body = response.bytes().await.unwrap();
            assert!(body.len() > 2);
            started.elapsed()
        }
    };
    let warming = Instant::now();
    let mut index = 0;
    while index < WARM_UP && warming.elapsed() < WARM_UP_TIME {
        get(index).await;
        index += 1;
    }
    let mut times = Vec::with_capacity(budget.requests.min(100_000));
    let measuring = Instant::now();
    while times.is_empty() || (times.len() < budget.requests && measuring.elapsed() < budget.time) {
        times.push(get(index).await);
        index += 1;
    }
    times.sort();
    times
}

fn percentile(sorted: &[Duration], quantile: f64) -> Duration {
    sorted[((sorted.len() as f64 * quantile).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A user in a team owning 100 snapshot clusters, each with a scan a day for a year
/// (written directly, a thousand rows a statement); the user's API token.
async fn seed(store: &Store) -> String {
    let user = store.create_user("bench@example.com", None, false).await.unwrap();
    let team = store.ensure_team("bench").await.unwrap();
    store.set_membership(team, user, Role::Viewer).await.unwrap();
    let start = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let mut clusters = String::from("INSERT INTO clusters (id, team_id, name, kind, created_at) VALUES ");
    for cluster in 1..=CLUSTERS {
        if cluster > 1 {
            clusters.push(',');
        }
        clusters.push_str(&format!("({cluster}, {team}, 'cluster-{cluster:03}', 'snapshot', {start})"));
    }
    execute(store, &clusters).await;
    let mut rows = Vec::new();
    for cluster in 1..=CLUSTERS {
        for day in 0..DAYS {
            let at = start + day * DAY_MS;
            let score = 60 + (cluster * 7 + day) % 40;
            let grade = match score {
                90.. => "A",
                80..=89 => "B",
                70..=79 => "C",
                _ => "D",
            };
            rows.push(format!(
                "({cluster}, 'succeeded', 'schedule', {at}, {at}, {finished}, 1200, {score}, '{grade}', {c}, {h}, 40, 12, 3, \
                 {new}, {resolved}, '[]', '{{}}')",
                finished = at + 4_000,
                c = day % 5,
                h = 20 + day % 9,
                new = day % 4,
                resolved = day % 3,
            ));
        }
    }
    for chunk in rows.chunks(1000) {
        execute(
            store,
            &format!(
                "INSERT INTO scans (cluster_id, status, source, queued_at, started_at, finished_at, objects, score, \
                 grade, critical, high, medium, low, info, new_findings, resolved_findings, errors, namespaces) VALUES {}",
                chunk.join(",")
            ),
        )
        .await;
    }
    if let Store::Postgres(_) = store {
        // Explicit ids above: move the identity past them, then refresh the statistics.
        execute(store, "SELECT setval(pg_get_serial_sequence('clusters', 'id'), 1000)").await;
        execute(store, "ANALYZE").await;
    } else {
        execute(store, "ANALYZE").await;
    }
    store.create_token(user, "bench").await.unwrap().1
}

/// `count` open findings in cluster 1, as a dense cluster has them: ~11 per object, 12
/// rules, every severity (2 % critical), 1,000 namespaces; written by one statement.
async fn seed_findings(store: &Store, count: i64) {
    let columns =
        "INSERT INTO findings (cluster_id, fingerprint, rule, severity, kind, namespace, name, path, message, \
         status, first_seen, first_scan_id)";
    let select = "SELECT 1, i, \
         CASE i % 12 WHEN 0 THEN 'run-as-root' WHEN 1 THEN 'host-path-volume' WHEN 2 THEN 'image-tag-latest' \
         WHEN 3 THEN 'missing-resource-limits' WHEN 4 THEN 'privilege-escalation-allowed' WHEN 5 THEN 'pss-capabilities' \
         WHEN 6 THEN 'readonly-root-filesystem' WHEN 7 THEN 'seccomp-profile-missing' WHEN 8 THEN 'liveness-probe-missing' \
         WHEN 9 THEN 'service-account-token-automount' WHEN 10 THEN 'pod-not-selected-by-network-policy' \
         ELSE 'pss-privileged' END, \
         CASE WHEN i % 50 = 0 THEN 'critical' WHEN i % 5 = 0 THEN 'high' WHEN i % 3 = 0 THEN 'medium' \
         WHEN i % 2 = 0 THEN 'low' ELSE 'info' END, 'Deployment', 'ns-' || substr('000' || (i / 11 % 1000), -4, 4), \
         'app-' || (i / 11), 'spec.template.spec.containers[0].securityContext', \
         'container app of Deployment app-' || (i / 11) || ' does something a hardened workload does not', \
         'open', 1767225600000 + i, 1";
    let sql = match store {
        Store::Postgres(_) => format!(
            "{columns} {} FROM generate_series(1, {count}) AS i",
            select.replace("substr('000' || (i / 11 % 1000), -4, 4)", "lpad((i / 11 % 1000)::text, 4, '0')")
        ),
        Store::Sqlite(_) => format!(
            "WITH RECURSIVE series(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < {count}) {columns} \
             {select} FROM series"
        ),
    };
    execute(store, &sql).await;
    // What a scan that wrote findings does last: count them by status, severity, rule and
    // namespace, for the list's totals.
    execute(
        store,
        "INSERT INTO finding_counts (cluster_id, status, severity, rule, namespace, findings) \
         SELECT cluster_id, status, severity, rule, namespace, COUNT(*) FROM findings WHERE cluster_id = 1 \
         GROUP BY cluster_id, status, severity, rule, namespace",
    )
    .await;
    execute(store, "ANALYZE").await;
}

async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap_or_else(|error| panic!("seeding failed: {error}"));
}
