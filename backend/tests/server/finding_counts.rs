//! The findings list's total is summed from the counts each scan keeps, and is right at
//! every moment: while a scan is writing (or after one stopped part-way) it is counted from
//! the findings themselves, and once a scan has finished it is the counts' again.

use rampart::store::recording::{Batch, Observed, SeenObject};
use rampart::store::Store;
use rampart_core::Severity;
use reqwest::StatusCode;

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
    execute(
        &app.store,
        &format!(
            "INSERT INTO scans (id, cluster_id, status, source, queued_at, started_at, runner) \
             VALUES (9000, {cluster}, 'running', 'snapshot', 1, 1, 'stopped-runner')"
        ),
    )
    .await;
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

on_both_backends!(totals_follow_every_write);
