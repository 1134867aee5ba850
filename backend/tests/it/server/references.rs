//! The rules that follow references (a Service's pods, an Ingress's Services, a binding's
//! role) judge a streamed scan as the command line judges the same objects: a cluster
//! scanned through its API and the same objects uploaded as a snapshot give exactly the
//! findings and the score of `rampart check --complete`. A kind of workload that cannot be
//! listed leaves the rules judging by pods unjudged: nothing opened, nothing resolved.

use std::collections::BTreeSet;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::app::{spawn_app, Backend, TestApp};
use super::fake_kube::{FakeCluster, FakeKube, TOKEN};
use super::key;
use rampart::store::accounts::Role;

/// The rules this fixture must trigger: every rule that follows references.
const REFERENCE_RULES: [&str; 9] = [
    "readiness-probe-missing",
    "service-selects-nothing",
    "ingress-backend-missing",
    "network-policy-selects-nothing",
    "pdb-selects-nothing",
    "rbac-subject-can-exec",
    "rbac-subject-can-read-secrets",
    "rbac-subject-can-escalate",
    "rbac-binding-to-missing-role",
];

fn labelled_pod(name: &str, labels: Value, kind: &str) -> Value {
    let containers = json!([{ "name": "app", "image": "registry.example.com/app:1.0.0" }]);
    match kind {
        "Pod" => json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": name, "namespace": "shop", "uid": name, "labels": labels },
            "spec": { "containers": containers }
        }),
        _ => json!({
            "apiVersion": "apps/v1", "kind": kind,
            "metadata": { "name": name, "namespace": "shop", "uid": name },
            "spec": { "selector": { "matchLabels": labels }, "template": {
                "metadata": { "labels": labels }, "spec": { "containers": containers } } }
        }),
    }
}

/// A namespace whose Services, Ingress, NetworkPolicy, PodDisruptionBudget and bindings
/// point both at what exists and at what does not. The objects with pod templates come
/// after those that select them, so a check that did not see every pod first would differ.
fn objects() -> Vec<Value> {
    let service = |name: &str, selector: Value, port: i64| {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": { "name": name, "namespace": "shop", "uid": format!("svc-{name}") },
            "spec": { "selector": selector, "ports": [{ "name": "http", "port": port }] }
        })
    };
    let binding = |kind: &str, name: &str, role_kind: &str, role: &str| {
        let mut metadata = json!({ "name": name, "uid": format!("binding-{name}") });
        if kind == "RoleBinding" {
            metadata["namespace"] = json!("shop");
        }
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": metadata,
            "subjects": [{ "kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "dev@example.com" }],
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role }
        })
    };
    vec![
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "shop", "uid": "ns-shop" } }),
        // Selects the Deployment's pods; routes the Ingress's first path to a port it has.
        service("web", json!({ "app": "web" }), 80),
        // Selects the bare Pod: it must have a readiness probe.
        service("api", json!({ "app": "api" }), 8080),
        // Selects nothing.
        service("ghost", json!({ "app": "ghost" }), 80),
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": { "name": "shop", "namespace": "shop", "uid": "ing-shop" },
            "spec": { "rules": [{ "host": "shop.example.com", "http": { "paths": [
                { "path": "/", "pathType": "Prefix", "backend": { "service": { "name": "web", "port": { "number": 80 } } } },
                { "path": "/api", "pathType": "Prefix", "backend": { "service": { "name": "api", "port": { "number": 9999 } } } },
                { "path": "/shop", "pathType": "Prefix", "backend": { "service": { "name": "storefront", "port": { "number": 80 } } } }
            ] } }] }
        }),
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": { "name": "web-only", "namespace": "shop", "uid": "np-web" },
            "spec": { "podSelector": { "matchLabels": { "app": "web" } }, "policyTypes": ["Ingress"] }
        }),
        json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": { "name": "db-only", "namespace": "shop", "uid": "np-db" },
            "spec": { "podSelector": { "matchExpressions": [{ "key": "app", "operator": "In", "values": ["postgres"] }] },
                      "policyTypes": ["Ingress"] }
        }),
        json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": { "name": "web", "namespace": "shop", "uid": "pdb-web" },
            "spec": { "minAvailable": 1, "selector": { "matchLabels": { "app": "web" } } }
        }),
        json!({
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": { "name": "checkout", "namespace": "shop", "uid": "pdb-checkout" },
            "spec": { "minAvailable": 1, "selector": { "matchLabels": { "app": "check-out" } } }
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": { "name": "operator", "namespace": "shop", "uid": "role-operator" },
            "rules": [
                { "apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"] },
                { "apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"] },
                { "apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["escalate", "bind"] }
            ]
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": { "name": "reader", "namespace": "shop", "uid": "role-reader" },
            "rules": [{ "apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"] }]
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": { "name": "secret-reader", "uid": "clusterrole-secret-reader" },
            "rules": [{ "apiGroups": [""], "resources": ["secrets"], "verbs": ["get"] }]
        }),
        binding("ClusterRoleBinding", "secret-readers", "ClusterRole", "secret-reader"),
        binding("RoleBinding", "operator", "Role", "operator"),
        binding("RoleBinding", "reader", "Role", "reader"),
        binding("RoleBinding", "stale", "Role", "deployer-v1"),
        binding("ClusterRoleBinding", "stale-cluster", "ClusterRole", "removed-role"),
        binding("ClusterRoleBinding", "viewers", "ClusterRole", "view"),
        labelled_pod("web", json!({ "app": "web", "tier": "front" }), "Deployment"),
        labelled_pod("worker", json!({ "app": "worker" }), "StatefulSet"),
        labelled_pod("api", json!({ "app": "api" }), "Pod"),
    ]
}

type Key = (String, String, String, String, String);

/// The objects as one file, the Namespace first (as a scan lists it first).
fn as_text(objects: &[Value]) -> String {
    objects.iter().map(|object| format!("---\n{object}\n")).collect()
}

/// What `rampart check --complete` says of the objects: its findings and score.
fn command_line(objects: &[Value]) -> (BTreeSet<Key>, i64) {
    let directory = std::env::temp_dir().join(format!("rampart-references-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let file = directory.join(format!("cluster-{}.yaml", objects.len()));
    std::fs::write(&file, as_text(objects)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["check", "--complete", "-o", "json"])
        .arg(&file)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&directory);
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)));
    let findings =
        report["findings"].as_array().unwrap().iter().filter(|finding| finding["exempted"] != true).map(key).collect();
    (findings, report["score"].as_i64().unwrap())
}

/// The open findings of a cluster.
async fn open_findings(app: &TestApp, token: &str, cluster: i64) -> BTreeSet<Key> {
    app.all_findings_by(token, cluster, "&status=open", 200).await.iter().map(key).collect()
}

fn rules_of(findings: &BTreeSet<Key>) -> BTreeSet<&str> {
    findings.iter().map(|(rule, ..)| rule.as_str()).collect()
}

async fn streamed_scans_follow_references_as_the_command_line(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let objects = objects();
    let (expected, expected_score) = command_line(&objects);
    let rules = rules_of(&expected);
    for rule in REFERENCE_RULES {
        assert!(rules.contains(rule), "the fixture must trigger {rule}: {expected:#?}");
    }
    // What exists passes: the Service selecting the Deployment, the Ingress path to it, the
    // binding to a role that exists and grants nothing of note.
    let about = |name: &str, rule: &str| expected.iter().filter(|key| key.0 == rule && key.3 == name).count();
    assert_eq!(about("web", "service-selects-nothing"), 0);
    assert_eq!(about("ghost", "service-selects-nothing"), 1);
    assert_eq!(about("web-only", "network-policy-selects-nothing"), 0);
    assert_eq!(about("web", "pdb-selects-nothing"), 0);
    assert_eq!(about("reader", "rbac-binding-to-missing-role"), 0);
    assert_eq!(about("api", "readiness-probe-missing"), 1, "the Pod a Service selects");

    // Through the cluster's API (the kinds judged by their pods listed last).
    let mut cluster = FakeCluster::new();
    for object in &objects {
        cluster = cluster.with(object.clone());
    }
    let fake = FakeKube::start(cluster).await;
    let (status, registered) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "live", "server": fake.url, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let live = registered["id"].as_i64().unwrap();
    let scan = app.scan_now(&token, live).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    assert_eq!(open_findings(&app, &token, live).await, expected, "API scan and rampart check --complete");
    assert_eq!(scan["score"], expected_score, "{scan}");

    // The same objects as a snapshot (read in the file's order).
    let (status, registered) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "upload", "snapshot": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let upload = registered["id"].as_i64().unwrap();
    let scan = app.scan_snapshot(&token, upload, &as_text(&objects)).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    assert_eq!(open_findings(&app, &token, upload).await, expected, "snapshot and rampart check --complete");
    assert_eq!(scan["score"], expected_score, "{scan}");

    // Deployments cannot be listed: the Service and the budget selecting web's pods are
    // not reported as selecting nothing, and what was open stays open, not seen again.
    fake.forbid_now("/apis/apps/v1/deployments");
    let before = app.scan_now(&token, live).await;
    let findings = app.all_findings_by(&token, live, "", 200).await;
    let partial = app.get(&token, &format!("/api/v1/clusters/{live}/scans")).await.1;
    assert!(partial.to_string().contains("partial"), "{partial}");
    for finding in &findings {
        let rule = finding["rule"].as_str().unwrap();
        if ["service-selects-nothing", "network-policy-selects-nothing", "pdb-selects-nothing"].contains(&rule) {
            assert_eq!(finding["status"], "open", "unjudged, not resolved: {finding}");
            assert_ne!(finding["resource"]["name"], "web", "web's pods were not listed, not absent: {finding}");
            assert_ne!(finding["resource"]["name"], "web-only", "{finding}");
            assert_ne!(finding["last_seen"], before["finished_at"], "not seen again: {finding}");
        }
    }
    let by_pods = findings.iter().filter(|finding| finding["rule"].as_str().unwrap().ends_with("-selects-nothing"));
    assert_eq!(by_pods.count(), 3, "ghost, db-only and checkout stay as they were: {findings:#?}");
}

on_both_backends!(streamed_scans_follow_references_as_the_command_line);
