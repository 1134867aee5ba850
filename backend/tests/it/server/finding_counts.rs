//! The findings list's total is summed from the counts each scan keeps, and is right at
//! every moment: each step of a scan moves the counts by what it wrote, in its own
//! transaction, so they hold while a scan is writing and after one stopped part-way; counts
//! marked stale are counted from the findings themselves until a scan counts them again.

use rampart::store::recording::{Batch, Observed, SeenObject};
use rampart::store::Store;
use rampart_core::Severity;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::app::{spawn_app, Backend, TestApp};
use super::{snapshot_cluster, Role, SNAPSHOT_2};

/// The total the first page states, for each filter, and the findings of every page.
async fn totals(app: &TestApp, token: &str, cluster: i64) -> Vec<(String, i64, usize)> {
    let mut totals = Vec::new();
    for query in ["", "&status=open", "&status=resolved", "&severity=critical", "&rule=zz-stray", "&namespace=prod"] {
        let (status, body) = app.get(token, &format!("/api/v1/clusters/{cluster}/findings?limit=1{query}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let listed = app.all_findings_by(token, cluster, query, 1000).await.len();
        totals.push((query.to_string(), body["total"].as_i64().unwrap(), listed));
    }
    totals
}

fn assert_totals_hold(totals: &[(String, i64, usize)]) {
    for (query, total, listed) in totals {
        assert_eq!(*total, *listed as i64, "{query}: the total states what the pages hold");
    }
}

async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// A scan of the cluster, running under `runner`, as a runner that started it leaves it.
async fn running_scan(store: &Store, id: i64, cluster: i64, runner: &str) {
    execute(
        store,
        &format!(
            "INSERT INTO scans (id, cluster_id, status, source, queued_at, started_at, runner) \
             VALUES ({id}, {cluster}, 'running', 'snapshot', 1, 1, '{runner}')"
        ),
    )
    .await;
}

async fn totals_follow_every_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster = snapshot_cluster(&app, &token, "prod").await;
    let scan = app.scan_snapshot(&token, cluster, SNAPSHOT_2).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    let before = totals(&app, &token, cluster).await;
    assert_totals_hold(&before);
    assert!(before[0].1 > 2, "{before:?}");

    // A scan that writes one batch and goes no further (its runner stopped): the finding it
    // stored counts at once.
    running_scan(&app.store, 9000, cluster, "stopped-runner").await;
    let batch = Batch {
        objects: vec![SeenObject {
            kind: "Pod".into(),
            namespace: "prod".into(),
            name: "stray".into(),
            score: Some(40),
        }],
        findings: vec![Observed {
            object: 0,
            rule: "zz-stray".into(),
            severity: Severity::Critical,
            path: "spec".into(),
            message: "a stray finding".into(),
            exempted: false,
            exemption_reason: None,
        }],
    };
    let mut recording = app.store.begin_recording(9000, cluster, "stopped-runner", &[], true).await.unwrap();
    assert!(app.store.record_batch(&mut recording, &batch).await.unwrap());
    let during = totals(&app, &token, cluster).await;
    assert_totals_hold(&during);
    assert_eq!(during[0].1, before[0].1 + 1, "{during:?}");
    assert_eq!(during[4].1, 1, "{during:?}");

    // The scan finishes: it resolves what it did not see; the totals are the counts' again.
    assert!(app.store.finish_recording(&mut recording, &[]).await.unwrap());
    let after = totals(&app, &token, cluster).await;
    assert_totals_hold(&after);
    assert_eq!(after[0].1, during[0].1, "{after:?}");
    assert_eq!(after[1].1, 1, "only the stray finding is still open: {after:?}");
}

/// A snapshot in JSON: `count` Deployments over four namespaces, those for which
/// `privileged` holds running a privileged container, every fifth on the host's network.
fn deployments(count: usize, privileged: impl Fn(usize) -> bool) -> String {
    let items: Vec<Value> = (0..count)
        .map(|index| {
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": { "name": format!("app-{index}"), "namespace": format!("ns-{}", index % 4) },
                "spec": { "template": { "spec": {
                    "hostNetwork": index % 5 == 0,
                    "containers": [{
                        "name": "app", "image": format!("registry.example/app:{index}"),
                        "securityContext": { "privileged": privileged(index) }
                    }]
                } } }
            })
        })
        .collect();
    serde_json::to_string(&json!({ "apiVersion": "v1", "kind": "List", "items": items })).unwrap()
}

type CountRow = (String, String, String, String, i64);

async fn rows(store: &Store, sql: &str) -> Vec<CountRow> {
    match store {
        Store::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
    }
    .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// The cluster's `finding_counts` as kept, and as a count of its findings gives them.
async fn counts_and_recount(store: &Store, cluster: i64) -> (Vec<CountRow>, Vec<CountRow>) {
    let kept = rows(
        store,
        &format!(
            "SELECT status, severity, rule, namespace, findings FROM finding_counts WHERE cluster_id = {cluster} \
             ORDER BY status, severity, rule, namespace"
        ),
    )
    .await;
    let counted = rows(
        store,
        &format!(
            "SELECT status, severity, rule, namespace, COUNT(*) FROM findings WHERE cluster_id = {cluster} \
             GROUP BY status, severity, rule, namespace ORDER BY status, severity, rule, namespace"
        ),
    )
    .await;
    (kept, counted)
}

async fn stale_marks(store: &Store) -> i64 {
    let sql = "SELECT COUNT(*) FROM finding_counts_stale";
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// Scans keep the counts step by step, never counting the cluster's findings again: after
/// a first scan, an unchanged rescan, changed objects (new, resolved and
/// reopened findings), an exemption in force and then expired, and deleted objects, the
/// counts are what a count of the findings gives, and nothing marks them stale. Counts
/// marked stale are counted again by the next scan.
async fn counts_are_kept_by_every_scan(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster = snapshot_cluster(&app, &token, "kept").await;
    let other = snapshot_cluster(&app, &token, "other").await;
    let count = 400;
    let first = deployments(count, |index| index % 3 == 0);
    // 1 % of the objects change: some privileged ones are fixed, others turn privileged.
    let changed = deployments(count, |index| (index % 3 == 0) != (index % 100 == 0));
    let fewer = deployments(count / 2, |index| index % 3 == 0);
    let team = {
        let (_, teams) = app.get(&token, "/api/v1/teams").await;
        teams[0]["id"].as_i64().unwrap()
    };

    let assert_kept = |step: &'static str| {
        let app = &app;
        async move {
            let (kept, counted) = counts_and_recount(&app.store, cluster).await;
            assert!(!counted.is_empty(), "{step}");
            assert_eq!(kept, counted, "{step}: the counts kept are a count of the findings");
            assert_eq!(stale_marks(&app.store).await, 0, "{step}");
        }
    };
    let scan = |snapshot: String| {
        let (app, token) = (&app, &token);
        async move {
            let scan = app.scan_snapshot(token, cluster, &snapshot).await;
            assert_eq!(scan["status"], "succeeded", "{scan}");
            scan
        }
    };
    scan(first.clone()).await;
    assert_kept("first scan").await;
    let unchanged = scan(first.clone()).await;
    assert_eq!((&unchanged["new"], &unchanged["resolved"]), (&json!(0), &json!(0)), "{unchanged}");
    assert_kept("unchanged rescan").await;
    let rescan = scan(changed.clone()).await;
    assert!(rescan["new"].as_i64().unwrap() > 0 && rescan["resolved"].as_i64().unwrap() > 0, "{rescan}");
    assert_kept("1 % changed").await;
    let reopened = scan(first.clone()).await;
    assert!(reopened["new"].as_i64().unwrap() > 0, "reopened: {reopened}");
    assert_kept("changed back: reopened").await;

    let (status, exemption) = app
        .post(&token, &format!("/api/v1/teams/{team}/exemptions"), &json!({ "namespace": "ns-1", "reason": "sandbox" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{exemption}");
    scan(first.clone()).await;
    let (exempted, _) = counts_and_recount(&app.store, cluster).await;
    assert!(exempted.iter().any(|row| row.0 == "exempted" && row.3 == "ns-1"), "{exempted:?}");
    assert_kept("exemption in force").await;
    let (status, _) = app
        .patch(
            &token,
            &format!("/api/v1/exemptions/{}", exemption["id"]),
            &json!({ "expires_at": "2001-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    scan(first.clone()).await;
    assert_kept("exemption expired").await;

    let shrunk = scan(fewer).await;
    assert!(shrunk["resolved"].as_i64().unwrap() > 0, "{shrunk}");
    assert_kept("half the objects deleted").await;
    let grown = scan(changed.clone()).await;
    assert!(grown["new"].as_i64().unwrap() > 0, "{grown}");
    assert_kept("back again").await;
    let other_scan = app.scan_snapshot(&token, other, &first).await;
    assert_eq!(other_scan["status"], "succeeded", "{other_scan}");
    assert_kept("another cluster scanned").await;

    // The counts are moved, not counted again: a row no finding has stays through a scan
    // that writes findings…
    execute(
        &app.store,
        &format!(
            "INSERT INTO finding_counts (cluster_id, status, severity, rule, namespace, findings) \
             VALUES ({cluster}, 'open', 'low', 'zz-nothing', 'ns-0', 7)"
        ),
    )
    .await;
    let rescan = scan(first.clone()).await;
    assert!(rescan["new"].as_i64().unwrap() > 0, "{rescan}");
    let (kept, _) = counts_and_recount(&app.store, cluster).await;
    assert!(kept.iter().any(|row| row.2 == "zz-nothing"), "{kept:?}");
    // …until they are marked stale: the next scan counts them again.
    execute(&app.store, &format!("INSERT INTO finding_counts_stale (cluster_id) VALUES ({cluster})")).await;
    scan(first).await;
    assert_kept("counted again once stale").await;
}

/// One finding of a Pod named `name` in `namespace`, by rule `rule`.
fn one_finding(namespace: &str, name: &str, rule: &'static str) -> Batch {
    Batch {
        objects: vec![SeenObject {
            kind: "Pod".into(),
            namespace: namespace.into(),
            name: name.into(),
            score: Some(40),
        }],
        findings: vec![Observed {
            object: 0,
            rule: rule.into(),
            severity: Severity::High,
            path: "spec".into(),
            message: format!("{name} is stray"),
            exempted: false,
            exemption_reason: None,
        }],
    }
}

async fn kept_rows(store: &Store, cluster: i64) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM finding_counts WHERE cluster_id = {cluster}");
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        Store::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// A cluster's first scan sums its counts in memory: its first step marks them stale (the
/// totals are counted from the rows meanwhile, and hold), and its last step writes them,
/// fresh. When another scan of the cluster ran meanwhile, the last step counts them again
/// from the rows instead.
async fn first_scans_write_their_counts_at_the_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster = snapshot_cluster(&app, &token, "first").await;
    running_scan(&app.store, 9100, cluster, "runner").await;
    let mut recording = app.store.begin_recording(9100, cluster, "runner", &[], true).await.unwrap();
    assert!(app.store.record_batch(&mut recording, &one_finding("prod", "a", "zz-one")).await.unwrap());
    assert_eq!(kept_rows(&app.store, cluster).await, 0, "no counts are written step by step");
    assert_eq!(stale_marks(&app.store).await, 1, "the counts are stale while the first scan writes");
    let during = totals(&app, &token, cluster).await;
    assert_totals_hold(&during);
    assert_eq!(during[0].1, 1, "{during:?}");
    assert!(app.store.record_batch(&mut recording, &one_finding("prod", "b", "zz-stray")).await.unwrap());
    assert!(app.store.record_batch(&mut recording, &one_finding("dev", "c", "zz-stray")).await.unwrap());
    assert!(app.store.finish_recording(&mut recording, &[]).await.unwrap());
    let (kept, counted) = counts_and_recount(&app.store, cluster).await;
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert_eq!(kept, counted, "the counts written are a count of the findings");
    assert_eq!(stale_marks(&app.store).await, 0);
    let after = totals(&app, &token, cluster).await;
    assert_totals_hold(&after);
    assert_eq!((after[0].1, after[4].1, after[5].1), (3, 2, 2), "{after:?}");

    // Two first scans of one cluster at once: the one that finishes second counts again.
    let other = snapshot_cluster(&app, &token, "twice").await;
    running_scan(&app.store, 9200, other, "one").await;
    running_scan(&app.store, 9201, other, "two").await;
    let mut one = app.store.begin_recording(9200, other, "one", &[], true).await.unwrap();
    let mut two = app.store.begin_recording(9201, other, "two", &[], true).await.unwrap();
    assert!(app.store.record_batch(&mut one, &one_finding("prod", "a", "zz-one")).await.unwrap());
    assert!(app.store.record_batch(&mut two, &one_finding("prod", "a", "zz-one")).await.unwrap());
    assert!(app.store.record_batch(&mut two, &one_finding("dev", "b", "zz-two")).await.unwrap());
    assert!(app.store.finish_recording(&mut one, &[]).await.unwrap());
    assert!(app.store.finish_recording(&mut two, &[]).await.unwrap());
    let (kept, counted) = counts_and_recount(&app.store, other).await;
    assert_eq!(kept, counted, "the counts of two first scans at once are a count of the findings");
    assert_eq!(stale_marks(&app.store).await, 0);
}

async fn rows_of(store: &Store, table: &str, cluster: i64) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE cluster_id = {cluster}");
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        Store::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// Deleting a cluster deletes its findings, counts and object states (on PostgreSQL a
/// trigger does, these tables having no foreign key: migrations 0021 and 0027); another
/// cluster's stay.
async fn deleting_a_cluster_deletes_its_counts_and_states(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Admin).await;
    let doomed = snapshot_cluster(&app, &token, "doomed").await;
    let kept = snapshot_cluster(&app, &token, "kept").await;
    for cluster in [doomed, kept] {
        let scan = app.scan_snapshot(&token, cluster, &deployments(40, |index| index % 3 == 0)).await;
        assert_eq!(scan["status"], "succeeded", "{scan}");
    }
    let tables = ["findings", "finding_counts", "object_states"];
    for table in tables {
        assert!(rows_of(&app.store, table, doomed).await > 0, "{table} has rows of the cluster");
    }
    assert_eq!(app.delete(&token, &format!("/api/v1/clusters/{doomed}")).await, StatusCode::NO_CONTENT);
    for table in tables {
        assert_eq!(rows_of(&app.store, table, doomed).await, 0, "{table} keeps no row of a deleted cluster");
        assert!(rows_of(&app.store, table, kept).await > 0, "{table} keeps the other cluster's rows");
    }
}

on_both_backends!(
    totals_follow_every_write,
    counts_are_kept_by_every_scan,
    first_scans_write_their_counts_at_the_end,
    deleting_a_cluster_deletes_its_counts_and_states
);
