//! Rescans that skip the engine for unchanged objects record exactly what rescans that check
//! every object record: two servers, one skipping (the default) and one not
//! (`skip_unchanged_objects: false`), scan the same cluster step by step, and after each
//! step their databases hold the same findings (fingerprints, statuses, messages, exemption
//! reasons, and first seen, last seen and resolved at the same scans; the same ids for
//! snapshots, whose order is the text's, and ids that never change for either), the same
//! scans (status, objects, score, grade, counts, new and resolved, errors, namespace
//! summaries, rule results, rows written) and the same finding counts.
//!
//! Through the API the kinds of a wave are listed at once, so objects come in an order that
//! varies: there every namespace has its Namespace object (which then anchors the
//! namespace's findings whatever the order). Snapshots, read in their text's order, cover
//! anchors on a namespace's first object.

use rampart::mail::MailSettings;
use rampart::store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use super::app::{spawn_app, spawn_app_configured, Backend, TestApp};
use super::fake_kube::{path_of, FakeCluster, FakeKube, TOKEN};
use super::Role;

/// Every column as text (NULL as `None`), rows in order.
async fn rows(store: &Store, sql: &str) -> Vec<Vec<Option<String>>> {
    fn texts<R: Row>(rows: Vec<R>) -> Vec<Vec<Option<String>>>
    where
        usize: sqlx::ColumnIndex<R>,
        for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        rows.iter().map(|row| (0..row.len()).map(|column| row.try_get(column).unwrap()).collect()).collect()
    }
    match store {
        Store::Sqlite(pool) => texts(sqlx::query(sql).fetch_all(pool).await.unwrap()),
        Store::Postgres(pool) => texts(sqlx::query(sql).fetch_all(pool).await.unwrap()),
    }
}

/// What a server recorded of its cluster, with times as the number of scans finished by
/// then (a finding first seen by the third scan says 2, one last seen by it 3).
async fn recorded(app: &TestApp) -> (Vec<Vec<Option<String>>>, Vec<Vec<Option<String>>>, Vec<Vec<Option<String>>>) {
    let finished: Vec<i64> = rows(&app.store, "SELECT CAST(finished_at AS TEXT) FROM scans ORDER BY id")
        .await
        .into_iter()
        .filter_map(|row| row[0].as_ref().map(|time| time.parse().unwrap()))
        .collect();
    let ordinal = |time: &Option<String>| {
        time.as_ref().map(|time| {
            let time: i64 = time.parse().unwrap();
            format!("after scan {}", finished.iter().filter(|finished| **finished <= time).count())
        })
    };
    let mut findings = rows(
        &app.store,
        "SELECT CAST(id AS TEXT), CAST(fingerprint AS TEXT), rule, kind, namespace, name, path, severity, status, \
         message, exemption_reason, CAST(first_scan_id AS TEXT), CAST(digest AS TEXT), CAST(first_seen AS TEXT), \
         CAST(last_seen AS TEXT), CAST(resolved_at AS TEXT) FROM findings ORDER BY id",
    )
    .await;
    for finding in &mut findings {
        for time in &mut finding[13..] {
            *time = ordinal(time);
        }
    }
    let scans = rows(
        &app.store,
        "SELECT CAST(id AS TEXT), status, CAST(objects AS TEXT), CAST(score AS TEXT), grade, CAST(critical AS TEXT), \
         CAST(high AS TEXT), CAST(medium AS TEXT), CAST(low AS TEXT), CAST(info AS TEXT), \
         CAST(new_findings AS TEXT), CAST(resolved_findings AS TEXT), errors, \
         COALESCE((SELECT shared.namespaces FROM scans shared WHERE shared.id = scans.namespaces_of), namespaces), \
         CAST(findings_written AS TEXT), \
         COALESCE((SELECT shared.rule_results FROM scans shared WHERE shared.id = scans.rule_results_of), rule_results), \
         CAST(formula_version AS TEXT), message FROM scans ORDER BY id",
    )
    .await;
    let counts = rows(
        &app.store,
        "SELECT status, severity, rule, namespace, CAST(findings AS TEXT) FROM finding_counts \
         ORDER BY status, severity, rule, namespace",
    )
    .await;
    (findings, scans, counts)
}

/// Objects the scan with this id skipped (`None`: it kept no object states).
async fn skipped(app: &TestApp, scan: &Value) -> Option<i64> {
    let sql = format!("SELECT CAST(objects_skipped AS TEXT) FROM scans WHERE id = {}", scan["id"]);
    rows(&app.store, &sql).await[0][0].as_ref().map(|count| count.parse().unwrap())
}

fn deployment(namespace: &str, name: &str, app: &str, privileged: bool) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": name, "namespace": namespace, "uid": format!("{namespace}-{name}") },
        "spec": {
            "selector": { "matchLabels": { "app": app } },
            "template": {
                "metadata": { "labels": { "app": app } },
                "spec": { "containers": [{
                    "name": "main", "image": format!("registry.example.com/{name}:1.0"),
                    "securityContext": { "privileged": privileged }
                }] }
            }
        }
    })
}

fn service(namespace: &str, name: &str, app: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": { "name": name, "namespace": namespace },
        "spec": { "selector": { "app": app }, "ports": [{ "port": 80 }] }
    })
}

/// About sixty objects in three namespaces (one without its Namespace object): workloads,
/// some privileged and one exempted by annotation, Services and a PodDisruptionBudget
/// selecting their pods and one selecting nothing, a default-deny NetworkPolicy,
/// ConfigMaps, a Role and its binding, a ServiceAccount, a Pod.
fn objects() -> Vec<Value> {
    let mut objects = vec![
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "shop",
            "labels": { "pod-security.kubernetes.io/enforce": "baseline" } } }),
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "tools" } }),
        json!({ "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": { "name": "default", "namespace": "tools" }, "automountServiceAccountToken": false }),
        json!({ "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": { "name": "deny", "namespace": "shop" },
            "spec": { "podSelector": {}, "policyTypes": ["Ingress", "Egress"] } }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": { "name": "everything", "namespace": "shop" },
            "rules": [{ "apiGroups": ["*"], "resources": ["*"], "verbs": ["*"] }] }),
        json!({ "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": { "name": "everything", "namespace": "shop" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "everything" },
            "subjects": [{ "kind": "ServiceAccount", "name": "default", "namespace": "shop" }] }),
        json!({ "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": { "name": "app-0", "namespace": "shop" },
            "spec": { "minAvailable": 1, "selector": { "matchLabels": { "app": "app-0" } } } }),
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "debug", "namespace": "legacy" },
            "spec": { "hostPID": true, "containers": [{ "name": "shell", "image": "busybox:latest" }] } }),
    ];
    for namespace in ["shop", "legacy", "tools"] {
        for i in 0..6 {
            let name = format!("app-{i}");
            objects.push(deployment(namespace, &name, &name, i % 3 == 0));
        }
        for i in 0..4 {
            objects.push(service(namespace, &format!("svc-{i}"), &format!("app-{i}")));
        }
        objects.push(service(namespace, "orphan", "renamed"));
        for i in 0..4 {
            objects.push(json!({ "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": { "name": format!("cm-{i}"), "namespace": namespace }, "data": { "key": "value" } }));
        }
    }
    let mut exempted = deployment("tools", "exempted", "exempted", true);
    exempted["metadata"]["annotations"] = json!({ "rampart.dev/ignore": "pss-privileged" });
    objects.push(exempted);
    objects
}

fn find<'a>(objects: &'a mut [Value], kind: &str, namespace: &str, name: &str) -> &'a mut Value {
    objects
        .iter_mut()
        .find(|object| {
            object["kind"] == kind && object["metadata"]["namespace"] == namespace && object["metadata"]["name"] == name
        })
        .unwrap_or_else(|| panic!("{kind} {namespace}/{name}"))
}

/// How the step's cluster reaches the servers.
#[derive(Clone, Copy, PartialEq)]
enum Through {
    Api,
    Snapshot,
}

/// The two servers and their clusters, scanning the same cluster.
struct Pair {
    on: TestApp,
    off: TestApp,
    through: Through,
    token: [String; 2],
    cluster: [i64; 2],
    team: [i64; 2],
    /// The fake API server of the step (a new one each step: the clusters follow).
    fake: Option<FakeKube>,
    scans: usize,
    /// Each finding's id by fingerprint, per server: a finding keeps its row.
    ids: [std::collections::HashMap<String, String>; 2],
}

impl Pair {
    async fn start(backend: Backend, through: Through) -> Pair {
        let on = spawn_app(backend).await;
        let off = spawn_app_configured(backend, &MailSettings::default(), |settings| {
            settings.skip_unchanged_objects = false;
        })
        .await;
        let mut token = [String::new(), String::new()];
        let (mut cluster, mut team) = ([0; 2], [0; 2]);
        for (at, app) in [&on, &off].into_iter().enumerate() {
            token[at] = app.user("ana@example.com", "red", Role::Admin).await;
            team[at] = app.store.ensure_team("red").await.unwrap();
            cluster[at] = match through {
                Through::Snapshot => app.snapshot_cluster(&token[at], "live").await,
                Through::Api => {
                    let body = json!({ "name": "live", "server": "http://127.0.0.1:9", "token": TOKEN });
                    let (status, created) = app.post(&token[at], "/api/v1/clusters", &body).await;
                    assert_eq!(status, StatusCode::CREATED, "{created}");
                    created["id"].as_i64().unwrap()
                }
            };
        }
        Pair { on, off, through, token, cluster, team, fake: None, scans: 0, ids: Default::default() }
    }

    fn apps(&self) -> [&TestApp; 2] {
        [&self.on, &self.off]
    }

    /// Serves `objects` (forbidding `forbidden`) and points both clusters at it.
    async fn serve(&mut self, objects: &[Value], forbidden: &[&str]) {
        let mut fake = FakeCluster::new();
        for object in objects {
            fake = fake.with(object.clone());
        }
        for path in forbidden {
            fake = fake.forbid(path);
        }
        let fake = FakeKube::start(fake).await;
        for (app, (token, cluster)) in self.apps().into_iter().zip(self.token.iter().zip(self.cluster)) {
            let body = json!({ "server": fake.url, "token": TOKEN });
            let (status, body) = app.patch(token, &format!("/api/v1/clusters/{cluster}"), &body).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        self.fake = Some(fake);
    }

    /// Scans both clusters and compares what they recorded; the skipping server's scan and
    /// the objects it skipped.
    async fn scan(&mut self, step: &str, objects: &[Value], forbidden: &[&str]) -> (Value, Option<i64>) {
        let text = json!({ "apiVersion": "v1", "kind": "List", "items": objects }).to_string();
        if self.through == Through::Api {
            self.serve(objects, forbidden).await;
        }
        let mut scans = Vec::new();
        for (app, (token, cluster)) in self.apps().into_iter().zip(self.token.iter().zip(self.cluster)) {
            scans.push(match self.through {
                Through::Api => app.scan_now(token, cluster).await,
                Through::Snapshot => app.scan_snapshot(token, cluster, &text).await,
            });
        }
        self.scans += 1;
        let expected = if forbidden.is_empty() { "succeeded" } else { "partial" };
        assert_eq!(scans[0]["status"], expected, "{step}: {}", scans[0]);
        assert_eq!(skipped(&self.off, &scans[1]).await, None, "{step}: the other server keeps no states");
        let (mut on, mut off) = (recorded(&self.on).await, recorded(&self.off).await);
        for (at, recorded) in [&mut on, &mut off].into_iter().enumerate() {
            for finding in &mut recorded.0 {
                let (id, fingerprint) = (finding[0].clone().unwrap(), finding[1].clone().unwrap());
                let kept = self.ids[at].entry(fingerprint).or_insert_with(|| id.clone());
                assert_eq!(*kept, id, "{step}: a finding keeps its row");
                if self.through == Through::Api {
                    finding[0] = None;
                }
            }
            recorded.0.sort();
        }
        assert_eq!(on.1.len(), self.scans, "{step}");
        for (what, on, off) in [("findings", &on.0, &off.0), ("scans", &on.1, &off.1), ("counts", &on.2, &off.2)] {
            let differ = on.iter().zip(off).find(|(on, off)| on != off);
            assert_eq!(differ, None, "{step}: the same {what}");
            assert_eq!(on.len(), off.len(), "{step}: as many {what}");
        }
        let skipped = skipped(&self.on, &scans[0]).await;
        (scans.swap_remove(0), skipped)
    }

    /// Asserts that a scan skipped `expected` objects (through the API too, where the first
    /// object of a namespace changes with the order of the listing: with the namespace's
    /// Namespace object there, that changes no finding, and does not stop skipping).
    fn assert_skipped(&self, step: &str, skipped: Option<i64>, expected: i64) {
        assert_eq!(skipped, Some(expected), "{step}");
    }

    /// Changes the team's settings or exemptions on both servers, then scans: every object
    /// is checked.
    async fn everything_checked(&mut self, step: &str, objects: &[Value]) {
        let (_, skipped) = self.scan(step, objects, &[]).await;
        assert_eq!(skipped, Some(0), "{step}");
    }
}

/// The objects judged by the pods they select: never skipped.
fn by_pods(objects: &[Value]) -> i64 {
    let kinds = ["Service", "NetworkPolicy", "PodDisruptionBudget"];
    objects.iter().filter(|object| kinds.iter().any(|kind| object["kind"] == *kind)).count() as i64
}

/// The steps both sources take: unchanged, two objects changed, one deleted, one added to
/// a new namespace, a central exemption added and removed, the team's setting on annotation
/// exemptions off and on, a pod template's labels changed so that a Service stops selecting
/// and another starts.
async fn common_steps(pair: &mut Pair, objects: &mut Vec<Value>, new_namespace: &[Value]) {
    let (first, skipped) = pair.scan("first scan", objects, &[]).await;
    assert_eq!(skipped, Some(0), "nothing to skip on a first scan");
    assert!(first["new"].as_i64().unwrap() > 20, "{first}");

    let (_, skipped) = pair.scan("unchanged", objects, &[]).await;
    pair.assert_skipped("unchanged", skipped, objects.len() as i64 - by_pods(objects));

    find(objects, "Deployment", "legacy", "app-1")["spec"]["template"]["spec"]["containers"][0]["securityContext"]
        ["privileged"] = json!(true);
    find(objects, "ConfigMap", "tools", "cm-0")["metadata"]["labels"] = json!({ "changed": "yes" });
    let (_, skipped) = pair.scan("two objects changed", objects, &[]).await;
    pair.assert_skipped("two objects changed", skipped, objects.len() as i64 - by_pods(objects) - 2);

    objects.retain(|object| {
        !(object["kind"] == "Deployment"
            && object["metadata"]["namespace"] == "shop"
            && object["metadata"]["name"] == "app-0")
    });
    let (deleted, _) = pair.scan("an object deleted", objects, &[]).await;
    assert!(deleted["resolved"].as_i64().unwrap() > 0, "{deleted}");

    objects.extend(new_namespace.iter().cloned());
    let (added, _) = pair.scan("objects added to a new namespace", objects, &[]).await;
    assert!(added["new"].as_i64().unwrap() > 0, "{added}");

    let mut exemptions = Vec::new();
    for (app, (token, cluster)) in pair.apps().into_iter().zip(pair.token.iter().zip(pair.cluster)) {
        let body = json!({ "rule": "pss-privileged", "kind": "Deployment", "name": "app-3", "reason": "reviewed" });
        let (status, exemption) = app.post(token, &format!("/api/v1/clusters/{cluster}/exemptions"), &body).await;
        assert_eq!(status, StatusCode::CREATED, "{exemption}");
        exemptions.push(exemption["id"].as_i64().unwrap());
    }
    pair.everything_checked("an exemption added", objects).await;
    for (app, (token, id)) in pair.apps().into_iter().zip(pair.token.iter().zip(&exemptions)) {
        assert_eq!(app.delete(token, &format!("/api/v1/exemptions/{id}")).await, StatusCode::NO_CONTENT);
    }
    pair.everything_checked("the exemption removed", objects).await;

    for honour in [false, true] {
        for (app, (token, team)) in pair.apps().into_iter().zip(pair.token.iter().zip(pair.team)) {
            let body = json!({ "honor_annotation_exemptions": honour });
            let (status, body) = app.patch(token, &format!("/api/v1/teams/{team}"), &body).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        pair.everything_checked("the team's setting on annotations changed", objects).await;
    }

    find(objects, "Deployment", "shop", "app-2")["spec"]["template"]["metadata"]["labels"] =
        json!({ "app": "renamed" });
    let step = "a pod template's labels changed";
    let (_, skipped) = pair.scan(step, objects, &[]).await;
    pair.assert_skipped(step, skipped, objects.len() as i64 - by_pods(objects) - 1);
}

/// Through the API, with a Namespace object for every namespace; then a kind that cannot be
/// listed (its findings stay open, not resolved), and a kind with pod templates that cannot
/// (the rules judging by pods are not judged).
async fn skipping_matches_checking_through_the_api(backend: Backend) {
    let mut pair = Pair::start(backend, Through::Api).await;
    let mut objects = objects();
    objects.insert(0, json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "legacy" } }));
    let new_namespace = [
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "fresh" } }),
        deployment("fresh", "newcomer", "newcomer", true),
    ];
    common_steps(&mut pair, &mut objects, &new_namespace).await;

    find(&mut objects, "ConfigMap", "shop", "cm-1")["metadata"]["labels"] = json!({ "changed": "yes" });
    let configmaps = path_of(&json!({ "apiVersion": "v1", "kind": "ConfigMap" }));
    let (partial, _) = pair.scan("a kind forbidden", &objects, &[&configmaps]).await;
    assert_eq!(partial["resolved"], 0, "{partial}");
    pair.scan("the kind listed again", &objects, &[]).await;
    let step = "unchanged after a partial scan";
    let (_, skipped) = pair.scan(step, &objects, &[]).await;
    pair.assert_skipped(step, skipped, objects.len() as i64 - by_pods(&objects));

    let deployments = path_of(&deployment("shop", "x", "x", false));
    pair.scan("a kind with pod templates forbidden", &objects, &[&deployments]).await;
    pair.scan("the kind with pod templates listed again", &objects, &[]).await;
}

/// Snapshots, in their text's order: a namespace without its Namespace object has its
/// findings anchored on its first object, and a new first object takes them over.
async fn skipping_matches_checking_snapshots(backend: Backend) {
    let mut pair = Pair::start(backend, Through::Snapshot).await;
    let mut objects = objects();
    let new_namespace = [
        deployment("fresh", "newcomer", "newcomer", true),
        json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "settings", "namespace": "fresh" } }),
    ];
    common_steps(&mut pair, &mut objects, &new_namespace).await;
    let at = objects.iter().position(|object| object["metadata"]["namespace"] == "legacy").unwrap();
    objects.insert(
        at,
        json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "first", "namespace": "legacy" } }),
    );
    let (moved, skipped) = pair.scan("a new first object of a namespace", &objects, &[]).await;
    assert!(moved["resolved"].as_i64().unwrap() > 0, "the namespace's findings move: {moved}");
    assert!(skipped.unwrap() > objects.len() as i64 / 2, "{skipped:?}");
}

on_both_backends!(skipping_matches_checking_through_the_api, skipping_matches_checking_snapshots);
