//! Black-box tests of `rampart serve`: the real application on 127.0.0.1 port 0, against a
//! fresh SQLite file and a fresh PostgreSQL database (created for the test, dropped after),
//! driven over real HTTP (`support/app.rs`). Every scenario runs on both backends: one
//! store, one behaviour.
//!
//! Expected findings are worked out by the engine itself over the same snapshots, so the
//! assertions are about the lifecycle (new, still open, resolved), not about rule details.

#[macro_use]
#[path = "server/compliance.rs"]
mod compliance;
#[path = "server/contract.rs"]
mod contract;
#[path = "server/finding_counts.rs"]
mod finding_counts;
#[path = "server/findings_page.rs"]
mod findings_page;
#[path = "server/oidc.rs"]
mod oidc;
#[path = "server/references.rs"]
mod references;
#[path = "server/skipping.rs"]
mod skipping;

use crate::support::{app, fake_kube, oidc_provider, smtp};

use std::collections::BTreeSet;

use app::{spawn_app, Backend, TestApp, TestDatabase};
use rampart::store::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Snapshot 1: a privileged Deployment and a plain one.
const SNAPSHOT_1: &str = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: prod
  spec:
    template:
      spec:
        containers:
        - name: app
          image: nginx:1.27
          securityContext:
            privileged: true
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: worker
    namespace: jobs
  spec:
    template:
      spec:
        hostNetwork: true
        containers:
        - name: worker
          image: busybox:1.36
";

/// Snapshot 2: `web` is no longer privileged, `worker` unchanged, a new Pod appears.
const SNAPSHOT_2: &str = "\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: prod
  spec:
    template:
      spec:
        containers:
        - name: app
          image: nginx:1.27
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: worker
    namespace: jobs
  spec:
    template:
      spec:
        hostNetwork: true
        containers:
        - name: worker
          image: busybox:1.36
- apiVersion: v1
  kind: Pod
  metadata:
    name: debug
    namespace: prod
  spec:
    hostPID: true
    containers:
    - name: shell
      image: busybox:latest
";

impl TestApp {
    /// Every finding of the cluster, two per page.
    async fn all_findings(&self, token: &str, cluster: i64, query: &str) -> Vec<Value> {
        self.all_findings_by(token, cluster, query, 2).await
    }

    /// Every finding of the cluster, `page` per page.
    async fn all_findings_by(&self, token: &str, cluster: i64, query: &str, page: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut total = None;
        loop {
            let mut path = format!("/api/v1/clusters/{cluster}/findings?limit={page}{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let (status, body) = self.get(token, &path).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let items_of_page = body["items"].as_array().unwrap();
            assert!(items_of_page.len() <= page);
            items.extend(items_of_page.iter().cloned());
            // Every page states the total matching, the same on each.
            assert_eq!(*total.get_or_insert_with(|| body["total"].clone()), body["total"], "{body}");
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None if body["total_exact"] == json!(false) => {
                    // A text filter's total over many findings: a lower bound.
                    assert!(total.as_ref().and_then(Value::as_i64).unwrap() <= items.len() as i64, "{body}");
                    return items;
                }
                None => {
                    assert_eq!(body["total_exact"], json!(true), "{body}");
                    assert_eq!(total, Some(json!(items.len())), "the total is what the pages hold");
                    return items;
                }
            }
        }
    }
}

/// What the engine finds in a snapshot: (rule, kind, namespace, name, path), exempted
/// findings left out.
fn expected_findings(snapshot: &str) -> BTreeSet<(String, String, String, String, String)> {
    expected_findings_with(snapshot, rampart::scan_runner::cluster_options())
}

/// The engine's report on a snapshot, as a scan with these options makes it.
fn engine_report(snapshot: &str, options: &rampart_core::Options) -> rampart_core::Report {
    rampart_core::check(&[rampart_core::Source::new("snapshot", snapshot)], options)
}

/// [`expected_findings`] with other options (exemptions of a team).
fn expected_findings_with(
    snapshot: &str,
    options: rampart_core::Options,
) -> BTreeSet<(String, String, String, String, String)> {
    engine_report(snapshot, &options)
        .findings
        .iter()
        .filter(|finding| !finding.exempted)
        .map(|finding| {
            (
                finding.rule.to_string(),
                finding.resource.kind.clone(),
                finding.resource.namespace.clone().unwrap_or_default(),
                finding.resource.name.clone(),
                finding.path.clone(),
            )
        })
        .collect()
}

fn key(finding: &Value) -> (String, String, String, String, String) {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    (
        text(&finding["rule"]),
        text(&finding["resource"]["kind"]),
        text(&finding["resource"]["namespace"]),
        text(&finding["resource"]["name"]),
        text(&finding["path"]),
    )
}

/// Each namespace of the scan is scored as the engine scores its objects alone: the
/// overall formula over the objects and open findings the engine gives the same snapshot;
/// and the scan's own score is the engine's overall one.
fn assert_namespace_scores(scan: &Value, snapshot: &str) {
    let report = engine_report(snapshot, &rampart::scan_runner::cluster_options());
    assert_eq!(scan["score"], report.score, "{scan}");
    let namespaces = scan["namespaces"].as_object().unwrap();
    assert!(!namespaces.is_empty(), "{scan}");
    for (namespace, summary) in namespaces {
        let within =
            |resource: &rampart_core::object::Resource| resource.namespace.as_deref() == Some(namespace.as_str());
        let objects =
            report.objects.iter().filter(|object| within(&object.resource)).map(|object| (object.score, object.judged));
        let open = report
            .findings
            .iter()
            .filter(|finding| !finding.exempted && within(&finding.resource))
            .map(|finding| finding.severity);
        let score = rampart_core::score::overall(objects, open);
        assert_eq!(summary["score"], score, "{namespace}: {summary}");
        assert_eq!(summary["grade"], rampart_core::score::grade(score), "{namespace}: {summary}");
    }
}

async fn health_and_authentication(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("content-security-policy"));

    let response = app.client.get(app.url("/api/v1/clusters")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    let (status, _) = app.get("rmp_not-a-token", "/api/v1/clusters").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let (status, body) = app.get(&token, "/api/v1/clusters").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([]));
    let (status, body) = app.get(&token, "/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not found");
    let (status, body) = app.get(&token, "/api/v1/clusters/not-a-number").await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({ "error": "not found" })));
    let (status, body) = app.get(&token, "/api/v1/clusters/1/findings?limit=many").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("limit"), "{body}");

    // The OpenAPI document: every operation it lists is routed (it asks for credentials,
    // or for a body, rather than answering "no such route" or "method not allowed").
    let response = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/clusters/{id}/findings"), "{paths:?}");
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let url = app.url(&path.replace("{id}", "1").replace("{user}", "1"));
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // Public reads (how to sign in, single sign-on's redirects) answer without
            // credentials or a body; the single sign-on test calls them.
            if operation["security"] == json!([]) && method == reqwest::Method::GET {
                continue;
            }
            let response = app.client.request(method.clone(), url).body("{}").send().await.unwrap();
            let expected =
                if operation["security"] == json!([]) { StatusCode::BAD_REQUEST } else { StatusCode::UNAUTHORIZED };
            assert_eq!(response.status(), expected, "{method} {path}");
        }
    }
}

async fn findings_lifecycle(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;

    let (status, cluster) = app.post(&token, "/api/v1/clusters", &json!({ "name": "prod", "snapshot": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    let cluster_id = cluster["id"].as_i64().unwrap();
    assert_eq!(cluster["kind"], "snapshot");
    assert_eq!(cluster["team"]["name"], "red");
    let (status, body) = app.post(&token, "/api/v1/clusters", &json!({ "name": "prod", "snapshot": true })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let first = expected_findings(SNAPSHOT_1);
    let second = expected_findings(SNAPSHOT_2);
    let appeared: BTreeSet<_> = second.difference(&first).cloned().collect();
    let gone: BTreeSet<_> = first.difference(&second).cloned().collect();
    let kept: BTreeSet<_> = first.intersection(&second).cloned().collect();
    assert!(!appeared.is_empty() && !gone.is_empty() && !kept.is_empty(), "the snapshots must differ both ways");
    assert!(gone.iter().any(|finding| finding.0 == "pss-privileged"), "{gone:?}");

    // Before any scan the list has no changes to show.
    let (_, clusters) = app.get(&token, "/api/v1/clusters").await;
    assert!(clusters[0]["new"].is_null() && clusters[0]["resolved"].is_null(), "{clusters}");

    // First scan: everything is new.
    let scan_1 = app.scan_snapshot(&token, cluster_id, SNAPSHOT_1).await;
    assert_eq!(scan_1["status"], "succeeded", "{scan_1}");
    assert_eq!(scan_1["new"], first.len() as i64);
    assert_eq!(scan_1["resolved"], 0);
    assert_eq!(scan_1["objects"], 2);
    assert!(scan_1["score"].is_number() && scan_1["grade"].is_string(), "{scan_1}");
    assert_namespace_scores(&scan_1, SNAPSHOT_1);
    let (_, clusters) = app.get(&token, "/api/v1/clusters").await;
    assert_eq!((&clusters[0]["new"], &clusters[0]["resolved"]), (&json!(first.len()), &json!(0)), "{clusters}");
    let open_1 = app.all_findings(&token, cluster_id, "&status=open").await;
    assert_eq!(open_1.iter().map(key).collect::<BTreeSet<_>>(), first);

    // Second scan: new ones opened, gone ones resolved, kept ones seen again.
    let scan_2 = app.scan_snapshot(&token, cluster_id, SNAPSHOT_2).await;
    assert_eq!(scan_2["status"], "succeeded", "{scan_2}");
    assert_eq!(scan_2["new"], appeared.len() as i64, "{scan_2}");
    assert_eq!(scan_2["resolved"], gone.len() as i64, "{scan_2}");
    assert_namespace_scores(&scan_2, SNAPSHOT_2);
    let (_, clusters) = app.get(&token, "/api/v1/clusters").await;
    assert_eq!(clusters[0]["new"], appeared.len() as i64, "{clusters}");
    assert_eq!(clusters[0]["resolved"], gone.len() as i64, "{clusters}");
    let all = app.all_findings(&token, cluster_id, "").await;
    // One row per distinct finding, however many scans saw it.
    assert_eq!(all.len(), first.union(&second).count());
    for finding in &all {
        let key = key(finding);
        let status = finding["status"].as_str().unwrap();
        if gone.contains(&key) {
            assert_eq!(status, "resolved", "{finding}");
            assert!(finding["resolved_at"].is_string(), "{finding}");
        } else {
            assert_eq!(status, "open", "{finding}");
            assert!(finding["resolved_at"].is_null(), "{finding}");
        }
        if kept.contains(&key) {
            assert_eq!(finding["first_seen"], scan_1["finished_at"], "{finding}");
            assert_eq!(finding["last_seen"], scan_2["finished_at"], "{finding}");
        }
    }
    let privileged = app.all_findings(&token, cluster_id, "&rule=pss-privileged").await;
    assert_eq!(privileged.len(), 1);
    assert_eq!(privileged[0]["status"], "resolved");
    let in_jobs = app.all_findings(&token, cluster_id, "&namespace=jobs&status=open").await;
    assert!(!in_jobs.is_empty() && in_jobs.iter().all(|finding| finding["resource"]["namespace"] == "jobs"));
    // Open findings of one severity (read through the index by severity rank), page by page:
    // exactly those the unfiltered list holds, in id order.
    let everything = app.all_findings(&token, cluster_id, "").await;
    for severity in ["critical", "high", "medium", "low", "info"] {
        let paged = app.all_findings_by(&token, cluster_id, &format!("&status=open&severity={severity}"), 1).await;
        let expected: Vec<&Value> = everything
            .iter()
            .filter(|finding| finding["status"] == "open" && finding["severity"] == severity)
            .collect();
        assert_eq!(paged.iter().collect::<Vec<_>>(), expected, "{severity}");
        let resolved = app.all_findings(&token, cluster_id, &format!("&status=resolved&severity={severity}")).await;
        assert!(resolved.iter().all(|finding| finding["status"] == "resolved" && finding["severity"] == severity));
    }

    // Free text: every word, case-insensitively, anywhere in the object, rule, path or
    // message; the answer is exactly the findings a reader would pick by hand.
    let haystack = |finding: &Value| {
        format!(
            "{} {} {} {} {} {}",
            finding["resource"]["name"].as_str().unwrap(),
            finding["resource"]["namespace"].as_str().unwrap_or_default(),
            finding["resource"]["kind"].as_str().unwrap(),
            finding["rule"].as_str().unwrap(),
            finding["path"].as_str().unwrap(),
            finding["message"].as_str().unwrap(),
        )
        .to_lowercase()
    };
    for text in ["PRIVILEGED", "jobs securityContext", "runAsNonRoot containers[0]"] {
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        let expected: BTreeSet<i64> = all
            .iter()
            .filter(|finding| words.iter().all(|word| haystack(finding).contains(word.as_str())))
            .map(|finding| finding["id"].as_i64().unwrap())
            .collect();
        let query = format!("&text={}", text.replace(' ', "%20").replace('[', "%5B").replace(']', "%5D"));
        let found: BTreeSet<i64> = app
            .all_findings(&token, cluster_id, &query)
            .await
            .iter()
            .map(|finding| finding["id"].as_i64().unwrap())
            .collect();
        assert!(!expected.is_empty(), "'{text}' should match some finding");
        assert_eq!(found, expected, "text={text}");
    }
    assert!(app.all_findings(&token, cluster_id, "&text=%25_nothing_matches").await.is_empty(), "% and _ are literal");

    // Third scan: a document that does not parse may hide any object, so nothing is
    // resolved on its evidence, and the scan is partial.
    let broken = format!("{SNAPSHOT_1}---\nkind: [unclosed\n");
    let scan_3 = app.scan_snapshot(&token, cluster_id, &broken).await;
    assert_eq!(scan_3["status"], "partial", "{scan_3}");
    assert_eq!(scan_3["resolved"], 0, "{scan_3}");
    assert!(!scan_3["errors"].as_array().unwrap().is_empty(), "{scan_3}");
    let privileged = app.all_findings(&token, cluster_id, "&rule=pss-privileged").await;
    assert_eq!(privileged[0]["status"], "open", "a reappearing finding reopens");

    let (status, trend) = app.get(&token, &format!("/api/v1/clusters/{cluster_id}/trend")).await;
    assert_eq!(status, StatusCode::OK);
    let trend = trend.as_array().unwrap();
    assert_eq!(trend.len(), 3);
    assert_eq!(trend[1]["scan"], scan_2["id"]);
    assert_eq!(trend[1]["new"], scan_2["new"]);
    assert_eq!(trend[1]["counts"], scan_2["counts"]);

    let (status, clusters) = app.get(&token, "/api/v1/clusters").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clusters[0]["id"], cluster_id);
    assert_eq!(clusters[0]["score"], scan_3["score"]);
    assert_eq!(clusters[0]["last_scan"]["id"], scan_3["id"]);
    assert_eq!(clusters[0]["last_scan"]["status"], "partial");
    assert_eq!((&clusters[0]["new"], &clusters[0]["resolved"]), (&scan_3["new"], &json!(0)), "{clusters}");

    // Metrics, from the stored scans and findings, for global admins only.
    let admin_id = app.store.create_user("root@example.com", None, true).await.unwrap();
    let admin = app.store.create_token(admin_id, "prometheus").await.unwrap().1;
    let response = app.client.get(app.url("/metrics")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let metrics = response.text().await.unwrap();
    assert!(metrics.contains("rampart_scans{status=\"succeeded\"} 2\n"), "{metrics}");
    assert!(metrics.contains("rampart_scans{status=\"partial\"} 1\n"), "{metrics}");
    assert!(metrics.contains("rampart_scan_duration_seconds_count 3\n"), "{metrics}");
    assert!(metrics.contains("rampart_findings_open{team=\"red\",cluster=\"prod\",severity=\"high\"}"), "{metrics}");
    let response = app.client.get(app.url("/metrics")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let (status, body) = app.get(&token, &format!("/api/v1/clusters/{cluster_id}/findings?severity=urgent")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("critical"), "{body}");
}

async fn other_teams_see_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let bo = app.user("bo@example.com", "blue", Role::Admin).await;
    let viewer = app.user("vi@example.com", "red", Role::Viewer).await;

    let (_, cluster) = app.post(&ana, "/api/v1/clusters", &json!({ "name": "prod", "snapshot": true })).await;
    let cluster_id = cluster["id"].as_i64().unwrap();
    let scan = app.scan_snapshot(&ana, cluster_id, SNAPSHOT_1).await;
    let scan_id = scan["id"].as_i64().unwrap();

    let (status, body) = app.get(&bo, "/api/v1/clusters").await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    for path in [
        format!("/api/v1/clusters/{cluster_id}"),
        format!("/api/v1/clusters/{cluster_id}/findings"),
        format!("/api/v1/clusters/{cluster_id}/trend"),
        format!("/api/v1/clusters/{cluster_id}/scans"),
        format!("/api/v1/scans/{scan_id}"),
    ] {
        let (status, body) = app.get(&bo, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, _) = app.upload(&bo, cluster_id, SNAPSHOT_2).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/clusters/{cluster_id}")))
        .bearer_auth(&bo)
        .json(&json!({ "name": "mine" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response =
        app.client.delete(app.url(&format!("/api/v1/clusters/{cluster_id}"))).bearer_auth(&bo).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A viewer of the team reads but does not change.
    let (status, _) = app.get(&viewer, &format!("/api/v1/scans/{scan_id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.upload(&viewer, cluster_id, SNAPSHOT_2).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The owner renames; an editor may not delete (team admins do).
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/clusters/{cluster_id}")))
        .bearer_auth(&ana)
        .json(&json!({ "name": "production" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "production");
    let response =
        app.client.delete(app.url(&format!("/api/v1/clusters/{cluster_id}"))).bearer_auth(&ana).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn sessions_with_csrf(backend: Backend) {
    let app = spawn_app(backend).await;
    let user_id = app.store.create_user("ana@example.com", Some("correct horse battery"), false).await.unwrap();
    let team_id = app.store.ensure_team("red").await.unwrap();
    app.store.set_membership(team_id, user_id, Role::Editor).await.unwrap();
    let login = |password: &str| {
        app.client
            .post(app.url("/api/v1/session"))
            .json(&json!({ "email": "ana@example.com", "password": password }))
            .send()
    };

    // The page's probe: whether someone is logged in, answered without an error status.
    let probe = |cookie: Option<String>| {
        let mut request = app.client.get(app.url("/api/v1/session"));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(probe(None).await, json!({ "authenticated": false }));
    assert_eq!(probe(Some("rampart_session=not-a-session".into())).await, json!({ "authenticated": false }));

    let response = login("wrong").await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "wrong email or password");

    let response = login("correct horse battery").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();

    let response = app.client.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["email"], "ana@example.com");
    assert_eq!(me["teams"][0]["name"], "red");
    assert_eq!(me["teams"][0]["role"], "editor");
    assert_eq!(me["csrf_token"], csrf.as_str());
    let mut session = probe(Some(cookie.clone())).await;
    assert_eq!(session["authenticated"], true);
    session.as_object_mut().unwrap().remove("authenticated");
    assert_eq!(session, me);

    // A write by cookie needs the CSRF token; the same write with it succeeds.
    let create = |csrf: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/api/v1/clusters"))
            .header("cookie", &cookie)
            .json(&json!({ "name": "prod", "snapshot": true }));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request.send()
    };
    assert_eq!(create(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(create(Some("0123")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(create(Some(&csrf)).await.unwrap().status(), StatusCode::CREATED);

    let response = app
        .client
        .delete(app.url("/api/v1/session"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app.client.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(probe(Some(cookie.clone())).await, json!({ "authenticated": false }));

    // Failed logins are limited per account, even for a correct password after the limit.
    for _ in 0..rampart::http::sessions::LOGIN_ATTEMPTS {
        assert_eq!(login("guess").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("correct horse battery").await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn accounts_teams_and_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    // First run: the one-time setup token makes the first admin, once.
    let setup_token = app.setup_token.clone().expect("no users yet, so a setup token");
    let setup = |token: &str| {
        app.client
            .post(app.url("/api/v1/setup"))
            .json(&json!({ "token": token, "email": "root@example.com", "password": "a long password" }))
            .send()
    };
    assert_eq!(setup("not-it").await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(setup(&setup_token).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(setup(&setup_token).await.unwrap().status(), StatusCode::FORBIDDEN);

    // The admin logs in and makes an API token with the session.
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "email": "root@example.com", "password": "a long password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = response.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let response = app
        .client
        .post(app.url("/api/v1/tokens"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({ "name": "ci" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let root = created["token"].as_str().unwrap().to_string();
    assert!(root.starts_with("rmp_"));

    // Teams and members.
    let (status, team) = app.post(&root, "/api/v1/teams", &json!({ "name": "blue" })).await;
    assert_eq!(status, StatusCode::CREATED, "{team}");
    let blue = team["id"].as_i64().unwrap();
    let (status, body) = app.post(&root, "/api/v1/teams", &json!({ "name": "blue" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) =
        app.post(&root, "/api/v1/users", &json!({ "email": "bo@example.com", "password": "another password" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let response = app
        .client
        .put(app.url(&format!("/api/v1/teams/{blue}/members")))
        .bearer_auth(&root)
        .json(&json!({ "email": "bo@example.com", "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, members) = app.get(&root, &format!("/api/v1/teams/{blue}/members")).await;
    assert_eq!(status, StatusCode::OK);

    // Global admins list users with their teams; nobody else may.
    let (status, users) = app.get(&root, "/api/v1/users").await;
    assert_eq!(status, StatusCode::OK, "{users}");
    let emails: Vec<&str> = users.as_array().unwrap().iter().map(|user| user["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["bo@example.com", "root@example.com"]);
    assert_eq!(users[0]["admin"], false);
    assert_eq!(users[0]["teams"], json!([{ "id": blue, "name": "blue", "role": "viewer" }]));
    assert_eq!(users[1]["admin"], true);
    assert!(!users.to_string().contains("password"), "{users}");
    let emails: Vec<&str> =
        members.as_array().unwrap().iter().map(|member| member["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["bo@example.com", "root@example.com"]);

    let bo_id = app.store.user_by_email("bo@example.com").await.unwrap().unwrap().id;
    let bo = app.store.create_token(bo_id, "laptop").await.unwrap().1;
    assert_eq!(app.get(&bo, "/api/v1/users").await.0, StatusCode::FORBIDDEN);
    let (status, teams) = app.get(&bo, "/api/v1/teams").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(teams, json!([{ "id": blue, "name": "blue", "role": "viewer" }]));
    let (_, root_teams) = app.get(&root, "/api/v1/teams").await;
    let default_team =
        root_teams.as_array().unwrap().iter().find(|team| team["name"] == "default").unwrap()["id"].clone();
    let (status, _) = app.get(&bo, &format!("/api/v1/teams/{default_team}/members")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .client
        .put(app.url(&format!("/api/v1/teams/{blue}/members")))
        .bearer_auth(&bo)
        .json(&json!({ "email": "bo@example.com", "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (status, _) = app.post(&bo, "/api/v1/users", &json!({ "email": "eve@example.com" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Tokens: listed without their secret, with their last use; revoked ones stop working.
    let (status, tokens) = app.get(&root, "/api/v1/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tokens[0]["name"], "ci");
    assert!(tokens[0]["last_used_at"].is_string() && tokens[0].get("token").is_none(), "{tokens}");
    let (_, bo_tokens) = app.get(&bo, "/api/v1/tokens").await;
    let bo_token_id = bo_tokens[0]["id"].as_i64().unwrap();
    let response =
        app.client.delete(app.url(&format!("/api/v1/tokens/{bo_token_id}"))).bearer_auth(&root).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "another user's token is not found");
    let response =
        app.client.delete(app.url(&format!("/api/v1/tokens/{bo_token_id}"))).bearer_auth(&bo).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get(&bo, "/api/v1/teams").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn clusters_scanned_through_their_api(backend: Backend) {
    use fake_kube::{closed_port_url, kubeconfig, FakeCluster, FakeKube, TOKEN};
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "web", "namespace": "prod" },
        "spec": { "template": { "spec": { "containers": [
            { "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": true } }
        ] } } }
    });
    let fake = FakeKube::start(FakeCluster::new().with(deployment)).await;

    let (status, body) = app.post(&token, "/api/v1/clusters", &json!({ "name": "live", "server": fake.url })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a URL without a token: {body}");
    let (status, cluster) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "live", "server": fake.url, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    assert_eq!(cluster["kind"], "api");
    assert!(!cluster.to_string().contains(TOKEN), "credentials are never returned: {cluster}");
    let cluster_id = cluster["id"].as_i64().unwrap();

    // The token is stored sealed: not in the row, not in the SQLite file.
    let sealed = app.store.cluster_credentials(cluster_id).await.unwrap().expect("credentials are kept");
    assert!(!sealed.windows(TOKEN.len()).any(|window| window == TOKEN.as_bytes()));
    if let TestDatabase::Sqlite(directory) = &app.database {
        for entry in std::fs::read_dir(directory).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!bytes.windows(TOKEN.len()).any(|window| window == TOKEN.as_bytes()), "token bytes on disk");
        }
    }

    let (status, body) = app.post(&token, &format!("/api/v1/clusters/{cluster_id}/scans"), &json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let scan = app.wait_for_scan(&token, body["id"].as_i64().unwrap()).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    assert_eq!(scan["source"], "manual");
    let privileged = app.all_findings(&token, cluster_id, "&rule=pss-privileged").await;
    assert_eq!(privileged.len(), 1, "{privileged:?}");
    assert_eq!(privileged[0]["resource"]["name"], "web");

    // Credentials change through PATCH: a wrong token fails the scan, the right one again
    // succeeds; they are still never shown.
    let patch = |body: Value| {
        app.client.patch(app.url(&format!("/api/v1/clusters/{cluster_id}"))).bearer_auth(&token).json(&body).send()
    };
    let response = patch(json!({ "token": "not-the-token" })).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.text().await.unwrap().contains("not-the-token"));
    let (_, body) = app.post(&token, &format!("/api/v1/clusters/{cluster_id}/scans"), &json!({})).await;
    let scan = app.wait_for_scan(&token, body["id"].as_i64().unwrap()).await;
    assert_eq!(scan["status"], "failed", "{scan}");
    assert_eq!(patch(json!({ "token": TOKEN })).await.unwrap().status(), StatusCode::OK);
    assert_eq!(patch(json!({ "kubeconfig": "apiVersion: v1" })).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let (_, body) = app.post(&token, &format!("/api/v1/clusters/{cluster_id}/scans"), &json!({})).await;
    let scan = app.wait_for_scan(&token, body["id"].as_i64().unwrap()).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");

    // A cluster that cannot be reached: the scan fails with what to check.
    let (_, unreachable) = app
        .post(&token, "/api/v1/clusters", &json!({ "name": "gone", "server": closed_port_url(), "token": TOKEN }))
        .await;
    let unreachable_id = unreachable["id"].as_i64().unwrap();
    let (_, body) = app.post(&token, &format!("/api/v1/clusters/{unreachable_id}/scans"), &json!({})).await;
    let scan = app.wait_for_scan(&token, body["id"].as_i64().unwrap()).await;
    assert_eq!(scan["status"], "failed", "{scan}");
    assert!(scan["message"].as_str().is_some_and(|message| !message.is_empty()), "{scan}");

    let (status, _) = app.upload(&token, cluster_id, SNAPSHOT_1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "snapshots are for snapshot clusters");

    // A kubeconfig cluster: the context is chosen among the file's; an unknown context or
    // a kubeconfig that would run a program is refused before anything is saved.
    let config = kubeconfig(&fake.url, &format!("    token: {TOKEN}"));
    let (status, body) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "kc", "kubeconfig": config, "context": "prod" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "the kubeconfig has no context 'prod' — choose one of: fake, other");
    let exec = kubeconfig(&fake.url, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: id");
    let (status, body) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "kc", "kubeconfig": exec, "context": "fake" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("exec"), "{body}");

    // "Test connection" tells a working context from a broken one, and lists the contexts.
    let (status, tested) =
        app.post(&token, "/api/v1/clusters/test", &json!({ "kubeconfig": config, "context": "fake" })).await;
    assert_eq!(status, StatusCode::OK, "{tested}");
    assert_eq!(tested["ok"], true, "{tested}");
    assert_eq!(tested["contexts"], json!(["fake", "other"]));
    let (_, tested) =
        app.post(&token, "/api/v1/clusters/test", &json!({ "server": closed_port_url(), "token": TOKEN })).await;
    assert_eq!(tested["ok"], false, "{tested}");
    assert!(tested["message"].as_str().unwrap().starts_with("cannot reach the cluster API at"), "{tested}");
    let (_, tested) = app.post(&token, "/api/v1/clusters/test", &json!({ "server": fake.url, "token": "wrong" })).await;
    assert_eq!(tested["ok"], false, "{tested}");
    assert!(tested["message"].as_str().unwrap().contains("401"), "{tested}");

    let (status, registered) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "kc", "kubeconfig": config, "context": "fake" })).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["kind"], "kubeconfig");
    assert_eq!(registered["context"], "fake");
    assert!(!registered.to_string().contains(TOKEN), "{registered}");
    let kc_id = registered["id"].as_i64().unwrap();
    let (_, body) = app.post(&token, &format!("/api/v1/clusters/{kc_id}/scans"), &json!({})).await;
    let scan = app.wait_for_scan(&token, body["id"].as_i64().unwrap()).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    let privileged = app.all_findings(&token, kc_id, "&rule=pss-privileged").await;
    assert_eq!(privileged.len(), 1, "{privileged:?}");
    // Another context points at another server: switching to it takes the kubeconfig again
    // (the stored credentials go only where they were entered for). With it, the next scan
    // fails, saying what to check.
    let switch = |body: Value| {
        app.client.patch(app.url(&format!("/api/v1/clusters/{kc_id}"))).bearer_auth(&token).json(&body).send()
    };
    let response = switch(json!({ "context": "other" })).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("give the kubeconfig again"), "{body}");
    let response = switch(json!({ "context": "other", "kubeconfig": config })).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, body) = app.post(&token, &format!("/api/v1/clusters/{kc_id}/scans"), &json!({})).await;
    let scan = app.wait_for_scan(&token, body["id"].as_i64().unwrap()).await;
    assert_eq!(scan["status"], "failed", "{scan}");
    assert!(scan["message"].as_str().unwrap().contains("kubeconfig context 'other'"), "{scan}");

    // Viewers cannot make the server connect anywhere.
    let viewer = app.user("vic@example.com", "red", Role::Viewer).await;
    let (status, _) = app.post(&viewer, "/api/v1/clusters/test", &json!({ "server": fake.url, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A snapshot cluster of the user's, by name.
async fn snapshot_cluster(app: &TestApp, token: &str, name: &str) -> i64 {
    let (status, cluster) = app.post(token, "/api/v1/clusters", &json!({ "name": name, "snapshot": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    cluster["id"].as_i64().unwrap()
}

/// The id of a team the user belongs to, by name.
async fn team_id(app: &TestApp, token: &str, name: &str) -> i64 {
    let (_, teams) = app.get(token, "/api/v1/teams").await;
    teams.as_array().unwrap().iter().find(|team| team["name"] == name).expect("a team of the user")["id"]
        .as_i64()
        .unwrap()
}

async fn exemptions_managed_per_team(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let viewer = app.user("vi@example.com", "red", Role::Viewer).await;
    let bo = app.user("bo@example.com", "blue", Role::Admin).await;
    let cluster_id = snapshot_cluster(&app, &ana, "prod").await;
    let blue_cluster = snapshot_cluster(&app, &bo, "blue-prod").await;
    let red = team_id(&app, &ana, "red").await;
    let collection = format!("/api/v1/clusters/{cluster_id}/exemptions");

    let grant = json!({
        "rule": "pss-privileged", "namespace": "prod", "kind": "Deployment", "name": "web",
        "reason": "GPU driver installer, reviewed in SEC-42", "expires_at": "2999-01-01T00:00:00Z",
    });
    let (status, exemption) = app.post(&ana, &collection, &grant).await;
    assert_eq!(status, StatusCode::CREATED, "{exemption}");
    let id = exemption["id"].as_i64().unwrap();
    assert_eq!(exemption["cluster"], json!({ "id": cluster_id, "name": "prod" }));
    assert_eq!(exemption["team"]["name"], "red");
    assert_eq!(exemption["author"]["email"], "ana@example.com");
    assert_eq!(exemption["expires_at"], "2999-01-01T00:00:00Z");
    assert_eq!((exemption["rule"].clone(), exemption["active"].clone()), (json!("pss-privileged"), json!(true)));

    // Bad grants are 400s that say what to send.
    for (body, says) in [
        (json!({ "rule": "pss-privileged" }), "reason"),
        (json!({ "rule": "privileged", "reason": "x" }), "did you mean"),
        (json!({ "reason": "everything" }), "name a"),
        (json!({ "rule": "pss-privileged", "reason": "x", "expires_at": "2001-01-01T00:00:00Z" }), "past"),
        (json!({ "rule": "pss-privileged", "reason": "x", "expires_at": "soon" }), "RFC 3339"),
        (json!({ "rule": "pss-privileged", "reason": "x", "namespace": "" }), "namespace"),
        (json!({ "rule": "pss-privileged", "reason": "x", "colour": "red" }), "colour"),
    ] {
        let (status, answer) = app.post(&ana, &collection, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{body}: {answer}");
    }

    // A team-wide exemption (every cluster of the team) shows in each cluster's list.
    let team_collection = format!("/api/v1/teams/{red}/exemptions");
    let (status, team_wide) =
        app.post(&ana, &team_collection, &json!({ "namespace": "kube-system", "reason": "the provider's" })).await;
    assert_eq!(status, StatusCode::CREATED, "{team_wide}");
    assert!(team_wide["cluster"].is_null() && team_wide["rule"].is_null(), "{team_wide}");
    let (status, body) = app
        .post(&ana, &team_collection, &json!({ "cluster": blue_cluster, "rule": "pss-privileged", "reason": "x" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "another team's cluster: {body}");
    let (status, listed) = app.get(&viewer, &collection).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = listed.as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [id, team_wide["id"].as_i64().unwrap()]);
    let (status, listed) = app.get(&viewer, &team_collection).await;
    assert_eq!((status, listed.as_array().unwrap().len()), (StatusCode::OK, 2));

    // Viewers read but do not write.
    let one = format!("/api/v1/exemptions/{id}");
    assert_eq!(app.get(&viewer, &one).await.0, StatusCode::OK);
    assert_eq!(app.post(&viewer, &collection, &grant).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.patch(&viewer, &one, &json!({ "reason": "mine" })).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.delete(&viewer, &one).await, StatusCode::FORBIDDEN);

    // Another team finds nothing at all.
    for path in [one.clone(), collection.clone(), team_collection.clone()] {
        let (status, body) = app.get(&bo, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    assert_eq!(app.post(&bo, &collection, &grant).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.post(&bo, &team_collection, &grant).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.patch(&bo, &one, &json!({ "reason": "mine" })).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&bo, &one).await, StatusCode::NOT_FOUND);
    let (_, unchanged) = app.get(&ana, &one).await;
    assert_eq!(unchanged["reason"], "GPU driver installer, reviewed in SEC-42");

    // Changes: absent fields stay, null means "all" (or "never" for the expiry).
    let (status, changed) =
        app.patch(&ana, &one, &json!({ "name": null, "reason": "all GPU installers", "expires_at": null })).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], Value::Null);
    assert_eq!(changed["kind"], "Deployment");
    assert_eq!(changed["reason"], "all GPU installers");
    assert_eq!(changed["expires_at"], Value::Null);
    let (status, body) = app.patch(&ana, &one, &json!({ "rule": null, "namespace": null, "kind": null })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "nothing left to match: {body}");
    let (status, body) = app.patch(&ana, &one, &json!({ "cluster": blue_cluster })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    assert_eq!(app.delete(&ana, &one).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&ana, &one).await.0, StatusCode::NOT_FOUND);
    let (_, listed) = app.get(&ana, &collection).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

/// The findings of one rule on one object, as the API lists them.
async fn findings_of(app: &TestApp, token: &str, cluster: i64, rule: &str, name: &str) -> Vec<Value> {
    let findings = app.all_findings(token, cluster, &format!("&rule={rule}")).await;
    findings.into_iter().filter(|finding| finding["resource"]["name"] == name).collect()
}

/// The scan's summary agrees with the engine's report with the same options.
fn assert_summary_matches(scan: &Value, report: &rampart_core::Report) {
    let summary = &report.summary;
    assert_eq!(scan["score"], report.score, "{scan}");
    assert_eq!(
        scan["counts"],
        json!({ "critical": summary.critical, "high": summary.high, "medium": summary.medium,
                "low": summary.low, "info": summary.info }),
        "{scan}"
    );
}

async fn exemptions_apply_at_scans_until_they_expire(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster_id = snapshot_cluster(&app, &ana, "prod").await;
    let (status, exemption) = app
        .post(
            &ana,
            &format!("/api/v1/clusters/{cluster_id}/exemptions"),
            &json!({ "rule": "pss-privileged", "kind": "Deployment", "name": "web", "reason": "reviewed in SEC-42" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{exemption}");
    let id = exemption["id"].as_i64().unwrap();
    let central = rampart_core::Exemption {
        rule: Some("pss-privileged".into()),
        kind: Some("Deployment".into()),
        name: Some("web".into()),
        reason: "reviewed".into(),
        ..Default::default()
    };
    let exempted_options =
        rampart_core::Options { exemptions: vec![central], ..rampart::scan_runner::cluster_options() };
    let with_exemption = engine_report(SNAPSHOT_1, &exempted_options);
    let without = engine_report(SNAPSHOT_1, &rampart::scan_runner::cluster_options());
    assert!(with_exemption.score > without.score, "the exemption must change the score to be seen");

    // In force: the finding is stored exempted, with the exemption's reason, and the
    // scan counts and scores it as exempted.
    let scan = app.scan_snapshot(&ana, cluster_id, SNAPSHOT_1).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    assert_summary_matches(&scan, &with_exemption);
    assert_eq!(scan["new"], expected_findings_with(SNAPSHOT_1, exempted_options).len() as i64);
    let privileged = findings_of(&app, &ana, cluster_id, "pss-privileged", "web").await;
    assert_eq!(privileged.len(), 1);
    assert_eq!(privileged[0]["status"], "exempted", "{privileged:?}");
    assert_eq!(privileged[0]["exemption_reason"], format!("reviewed in SEC-42 (exemption {id})"));
    let open = app.all_findings(&ana, cluster_id, "&status=open").await;
    assert!(open.iter().all(|finding| finding["rule"] != "pss-privileged" || finding["resource"]["name"] != "web"));

    // Expired: it no longer applies at the next scan, and the finding reopens.
    let (status, expired) =
        app.patch(&ana, &format!("/api/v1/exemptions/{id}"), &json!({ "expires_at": "2001-01-01T00:00:00Z" })).await;
    assert_eq!(status, StatusCode::OK, "{expired}");
    assert_eq!(expired["active"], false);
    let scan = app.scan_snapshot(&ana, cluster_id, SNAPSHOT_1).await;
    assert_summary_matches(&scan, &without);
    let privileged = findings_of(&app, &ana, cluster_id, "pss-privileged", "web").await;
    assert_eq!(privileged[0]["status"], "open", "{privileged:?}");
    assert_eq!(privileged[0]["exemption_reason"], Value::Null);

    // A team-wide exemption applies to the cluster too.
    let red = team_id(&app, &ana, "red").await;
    let (status, _) = app
        .post(&ana, &format!("/api/v1/teams/{red}/exemptions"), &json!({ "namespace": "prod", "reason": "sandbox" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    app.scan_snapshot(&ana, cluster_id, SNAPSHOT_1).await;
    let in_prod = app.all_findings_by(&ana, cluster_id, "&namespace=prod", 100).await;
    assert!(!in_prod.is_empty());
    assert!(in_prod.iter().all(|finding| finding["status"] == "exempted"), "{in_prod:?}");
    let elsewhere = app.all_findings_by(&ana, cluster_id, "&namespace=jobs", 100).await;
    assert!(!elsewhere.is_empty() && elsewhere.iter().all(|finding| finding["status"] == "open"), "{elsewhere:?}");
}

/// SNAPSHOT_1 with `web` exempted from pss-privileged by its own annotation.
fn annotated_snapshot() -> String {
    SNAPSHOT_1.replacen(
        "    name: web\n    namespace: prod\n",
        "    name: web\n    namespace: prod\n    annotations:\n      rampart.dev/ignore: pss-privileged\n",
        1,
    )
}

async fn teams_may_ignore_annotation_exemptions(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let root = app.user("root@example.com", "red", Role::Admin).await;
    let bo = app.user("bo@example.com", "blue", Role::Admin).await;
    let cluster_id = snapshot_cluster(&app, &ana, "prod").await;
    let red = team_id(&app, &ana, "red").await;
    let snapshot = annotated_snapshot();
    assert_ne!(snapshot, SNAPSHOT_1);

    let (status, team) = app.get(&ana, &format!("/api/v1/teams/{red}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(team["honor_annotation_exemptions"], true, "honoured by default");
    let scan = app.scan_snapshot(&ana, cluster_id, &snapshot).await;
    assert_summary_matches(&scan, &engine_report(&snapshot, &rampart::scan_runner::cluster_options()));
    let privileged = findings_of(&app, &ana, cluster_id, "pss-privileged", "web").await;
    assert_eq!(privileged[0]["status"], "exempted");
    assert!(privileged[0]["exemption_reason"].as_str().unwrap().contains("rampart.dev/ignore"), "{privileged:?}");

    // Only the team's admins change the setting; another team does not see it.
    let off = json!({ "honor_annotation_exemptions": false });
    let (status, body) = app.patch(&ana, &format!("/api/v1/teams/{red}"), &off).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(app.patch(&bo, &format!("/api/v1/teams/{red}"), &off).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&bo, &format!("/api/v1/teams/{red}")).await.0, StatusCode::NOT_FOUND);
    let (status, body) = app.patch(&root, &format!("/api/v1/teams/{red}"), &json!({ "honour": false })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, team) = app.patch(&root, &format!("/api/v1/teams/{red}"), &off).await;
    assert_eq!(status, StatusCode::OK, "{team}");
    assert_eq!(team["honor_annotation_exemptions"], false);

    // Off: the annotation exempts nothing and the finding counts as open.
    let scan = app.scan_snapshot(&ana, cluster_id, &snapshot).await;
    let ignoring = rampart_core::Options { annotation_exemptions: false, ..rampart::scan_runner::cluster_options() };
    let report = engine_report(&snapshot, &ignoring);
    assert!(report.summary.critical > 0 && report.summary.exempted == 0);
    assert_summary_matches(&scan, &report);
    let privileged = findings_of(&app, &ana, cluster_id, "pss-privileged", "web").await;
    assert_eq!(privileged[0]["status"], "open", "{privileged:?}");
    assert_eq!(privileged[0]["exemption_reason"], Value::Null);
}

/// A snapshot of `count` Deployments in namespace `apps`; those for which `privileged`
/// holds run a privileged container.
fn many_deployments(count: usize, privileged: impl Fn(usize) -> bool) -> String {
    let mut text = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for index in 0..count {
        let security =
            if privileged(index) { "\n          securityContext:\n            privileged: true" } else { "" };
        text.push_str(&format!(
            "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: app-{index}\n    namespace: apps\n  \
             spec:\n    template:\n      spec:\n        containers:\n        - name: app\n          image: \
             registry.example/app:{index}{security}\n"
        ));
    }
    text
}

async fn findings_written_in_batches(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster_id = snapshot_cluster(&app, &ana, "big").await;
    let batch = rampart::ingest::BATCH_OBJECTS;
    let count = 2 * batch + 250;
    let first_snapshot = many_deployments(count, |_| true);
    // The even ones stop being privileged, the last ten go away, ten new ones come.
    let second_snapshot = many_deployments(count, |index| index % 2 == 1)
        .replace("name: app-24", "name: gone-24")
        .replace("registry.example/app:24", "registry.example/app:other");
    let first = expected_findings(&first_snapshot);
    let second = expected_findings(&second_snapshot);
    assert!(count > 2 * batch, "{count} objects: more than two batches wanted");
    let appeared: BTreeSet<_> = second.difference(&first).cloned().collect();
    let gone: BTreeSet<_> = first.difference(&second).cloned().collect();
    assert!(!appeared.is_empty() && gone.len() > batch / 10, "{} appeared, {} gone", appeared.len(), gone.len());

    let scan_1 = app.scan_snapshot(&ana, cluster_id, &first_snapshot).await;
    assert_eq!(scan_1["new"], first.len() as i64, "{scan_1}");
    let stored = app.all_findings_by(&ana, cluster_id, "", 1000).await;
    assert_eq!(stored.iter().map(key).collect::<BTreeSet<_>>(), first);

    let scan_2 = app.scan_snapshot(&ana, cluster_id, &second_snapshot).await;
    assert_eq!(scan_2["new"], appeared.len() as i64, "{scan_2}");
    assert_eq!(scan_2["resolved"], gone.len() as i64, "{scan_2}");
    let scan_3 = app.scan_snapshot(&ana, cluster_id, &second_snapshot).await;
    assert_eq!((scan_3["new"].clone(), scan_3["resolved"].clone()), (json!(0), json!(0)), "{scan_3}");

    let stored = app.all_findings_by(&ana, cluster_id, "", 1000).await;
    assert_eq!(stored.len(), first.union(&second).count(), "one row per distinct finding");
    for finding in &stored {
        let key = key(finding);
        if gone.contains(&key) {
            assert_eq!(finding["status"], "resolved", "{finding}");
            assert_eq!(finding["last_seen"], scan_1["finished_at"], "{finding}");
        } else {
            assert_eq!(finding["status"], "open", "{finding}");
            assert_eq!(finding["last_seen"], scan_3["finished_at"], "every batch is written: {finding}");
            let first_seen = if appeared.contains(&key) { &scan_2["finished_at"] } else { &scan_1["finished_at"] };
            assert_eq!(&finding["first_seen"], first_seen, "{finding}");
        }
    }
}

/// A snapshot in JSON (`kubectl get -o json`): `count` Deployments in namespace `apps`,
/// those for which `privileged` holds running a privileged container.
fn json_deployments(count: usize, privileged: impl Fn(usize) -> bool) -> String {
    let items: Vec<Value> = (0..count)
        .map(|index| {
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": { "name": format!("app-{index}"), "namespace": "apps" },
                "spec": { "template": { "spec": { "containers": [{
                    "name": "app", "image": format!("registry.example/app:{index}"),
                    "securityContext": { "privileged": privileged(index) }
                }] } } }
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({ "apiVersion": "v1", "kind": "List", "items": items })).unwrap()
}

/// The findings rows a scan wrote, as it recorded them.
async fn findings_written(app: &TestApp, scan: &Value) -> i64 {
    number_of(app, &format!("SELECT findings_written FROM scans WHERE id = {}", scan["id"])).await
}

/// A number the database answers.
async fn number_of(app: &TestApp, sql: &str) -> i64 {
    match &app.store {
        rampart::store::Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        rampart::store::Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// A scan that concludes what the cluster's previous scan concluded keeps no copy of its
/// per-namespace summaries and rule results (migration 0026): it refers to the scan that
/// holds them, and every read answers as if it held its own.
async fn unchanged_scans_share_their_summaries(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Admin).await;
    let cluster = app.snapshot_cluster(&token, "prod").await;
    let mut scans = Vec::new();
    for snapshot in [SNAPSHOT_1, SNAPSHOT_1, SNAPSHOT_2, SNAPSHOT_2, SNAPSHOT_1] {
        let scan = app.scan_snapshot(&token, cluster, snapshot).await;
        assert_eq!(scan["status"], "succeeded", "{scan}");
        scans.push(scan);
    }
    let ids: Vec<i64> = scans.iter().map(|scan| scan["id"].as_i64().unwrap()).collect();
    // What each scan refers to: the second and fourth to the scan before them; the fifth,
    // the same as the first but not as the fourth, keeps its own.
    for (at, expected) in [(0, 0), (1, ids[0]), (2, 0), (3, ids[2]), (4, 0)] {
        for column in ["namespaces_of", "rule_results_of"] {
            let sql = format!("SELECT COALESCE({column}, 0) FROM scans WHERE id = {}", ids[at]);
            assert_eq!(number_of(&app, &sql).await, expected, "scan {}: {column}", at + 1);
        }
    }
    let sql =
        format!("SELECT COUNT(*) FROM scans WHERE id = {} AND namespaces = '{{}}' AND rule_results IS NULL", ids[1]);
    assert_eq!(number_of(&app, &sql).await, 1, "the second scan keeps no copy");

    // The API answers every scan with its own summaries, in the list and one by one.
    let (status, listed) = app.get(&token, &format!("/api/v1/clusters/{cluster}/scans")).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed: Vec<&Value> =
        ids.iter().map(|id| listed.as_array().unwrap().iter().find(|scan| scan["id"] == *id).unwrap()).collect();
    for (at, scan) in scans.iter().enumerate() {
        let (status, one) = app.get(&token, &format!("/api/v1/scans/{}", ids[at])).await;
        assert_eq!(status, StatusCode::OK, "{one}");
        assert_eq!(one["namespaces"], scan["namespaces"], "scan {}", at + 1);
        assert_eq!(listed[at]["namespaces"], scan["namespaces"], "scan {}", at + 1);
        assert!(scan["namespaces"].as_object().is_some_and(|namespaces| !namespaces.is_empty()), "{scan}");
    }
    assert_eq!(scans[1]["namespaces"], scans[0]["namespaces"]);
    assert_ne!(scans[2]["namespaces"], scans[0]["namespaces"]);
    assert_eq!(scans[4]["namespaces"], scans[0]["namespaces"]);

    // Rule results read the same through each of the store's reads.
    let trend = app.store.scans_rule_results(cluster, 10).await.unwrap();
    assert_eq!(trend.iter().map(|point| point.scan).collect::<Vec<_>>(), ids);
    let results: Vec<_> = trend.iter().map(|point| point.results.clone().expect("rule results")).collect();
    assert_eq!(results[1], results[0]);
    assert_ne!(results[2], results[0], "a privileged container fails a rule the second snapshot passes");
    assert_eq!((&results[3], &results[4]), (&results[2], &results[0]));
    let points = app.store.rule_results_of_scans(cluster, &ids).await.unwrap();
    assert_eq!(points.iter().map(|point| point.results.clone().unwrap()).collect::<Vec<_>>(), results);
    for (at, point) in trend.iter().enumerate() {
        let latest = app.store.rule_results_at(cluster, point.at).await.unwrap().expect("a scan at that time");
        // Scans may finish within the same second: the latest of them answers.
        let last = trend.iter().rposition(|other| other.at == point.at).unwrap();
        assert_eq!((latest.scan, latest.results), (ids[last], Some(results[last].clone())), "scan {}", at + 1);
    }
}

/// The labels of a cluster's namespaces, which label selectors of routes match, are written
/// when they change: an unchanged rescan leaves the stored row as it was.
async fn namespace_labels_are_written_when_they_change(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Admin).await;
    let cluster = app.snapshot_cluster(&token, "prod").await;
    let snapshot = |team: &str| {
        format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n    \
             labels:\n      team: {team}\n{}",
            SNAPSHOT_1.split_once("items:\n").unwrap().1
        )
    };
    let mut ids = Vec::new();
    for team in ["a", "a", "b"] {
        let scan = app.scan_snapshot(&token, cluster, &snapshot(team)).await;
        assert_eq!(scan["status"], "succeeded", "{scan}");
        ids.push(scan["id"].as_i64().unwrap());
    }
    let stored = |column: &str| {
        format!("SELECT {column} FROM namespace_labels WHERE cluster_id = {cluster} AND namespace = 'shop'")
    };
    let labels: String = match &app.store {
        rampart::store::Store::Sqlite(pool) => sqlx::query_scalar(&stored("labels")).fetch_one(pool).await.unwrap(),
        rampart::store::Store::Postgres(pool) => sqlx::query_scalar(&stored("labels")).fetch_one(pool).await.unwrap(),
    };
    assert_eq!(serde_json::from_str::<Value>(&labels).unwrap(), json!({ "team": "b" }));
    assert_eq!(number_of(&app, &stored("scan_id")).await, ids[2], "the scan that changed them");

    app.scan_snapshot(&token, cluster, &snapshot("b")).await;
    assert_eq!(number_of(&app, &stored("scan_id")).await, ids[2], "an unchanged rescan writes nothing");
}

/// The lifecycle by difference: an unchanged rescan writes no findings row, and a rescan
/// with a few objects changed writes only their findings' rows; the API still answers when
/// each finding was first and last seen. The snapshot is JSON, read item by item.
async fn rescans_write_only_what_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster_id = snapshot_cluster(&app, &ana, "big").await;
    let count = 2 * rampart::ingest::BATCH_OBJECTS + 100;
    let before = json_deployments(count, |index| index % 3 == 0);
    // 1 % of the objects change: twelve privileged ones are fixed, and that is all.
    let after = json_deployments(count, |index| index % 3 == 0 && index % 100 != 0);
    let first = expected_findings(&before);
    let second = expected_findings(&after);
    let gone: BTreeSet<_> = first.difference(&second).cloned().collect();
    assert!(!gone.is_empty() && second.is_subset(&first), "{} gone", gone.len());

    let scan_1 = app.scan_snapshot(&ana, cluster_id, &before).await;
    assert_eq!(scan_1["status"], "succeeded", "{scan_1}");
    assert_eq!(scan_1["objects"], count as i64, "{scan_1}");
    assert_eq!(scan_1["new"], first.len() as i64, "{scan_1}");
    assert_eq!(findings_written(&app, &scan_1).await, first.len() as i64, "every finding inserted once");
    let stored = app.all_findings_by(&ana, cluster_id, "", 1000).await;
    assert_eq!(stored.iter().map(key).collect::<BTreeSet<_>>(), first, "the JSON export read item by item");

    let scan_2 = app.scan_snapshot(&ana, cluster_id, &before).await;
    assert_eq!((&scan_2["new"], &scan_2["resolved"]), (&json!(0), &json!(0)), "{scan_2}");
    assert_eq!(scan_2["counts"], scan_1["counts"], "{scan_2}");
    assert_eq!(findings_written(&app, &scan_2).await, 0, "an unchanged rescan writes no findings row");

    let scan_3 = app.scan_snapshot(&ana, cluster_id, &after).await;
    assert_eq!((&scan_3["new"], &scan_3["resolved"]), (&json!(0), &json!(gone.len())), "{scan_3}");
    assert_eq!(findings_written(&app, &scan_3).await, gone.len() as i64, "only the changed objects' rows");

    for finding in app.all_findings_by(&ana, cluster_id, "", 1000).await {
        assert_eq!(finding["first_seen"], scan_1["finished_at"], "{finding}");
        if gone.contains(&key(&finding)) {
            assert_eq!(finding["status"], "resolved", "{finding}");
            assert_eq!(finding["last_seen"], scan_2["finished_at"], "{finding}");
        } else {
            assert_eq!(finding["status"], "open", "{finding}");
            assert_eq!(finding["last_seen"], scan_3["finished_at"], "{finding}");
        }
    }
}

/// The findings rows of a cluster, whatever their status, read from the database.
async fn stored_findings(app: &TestApp, cluster_id: i64) -> i64 {
    number_of(app, &format!("SELECT COUNT(*) FROM findings WHERE cluster_id = {cluster_id}")).await
}

/// Objects that are gone are resolved by a scan that writes nothing else (so the unresolved
/// findings it compares with are summed from the cluster's counts, fresh since the last
/// scan), and a deleted cluster takes its findings with it.
async fn gone_objects_resolve_after_an_unchanged_rescan(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Admin).await;
    let cluster_id = snapshot_cluster(&app, &ana, "shrinking").await;
    let other_id = snapshot_cluster(&app, &ana, "other").await;
    let first = expected_findings(SNAPSHOT_2);
    let scan_1 = app.scan_snapshot(&ana, cluster_id, SNAPSHOT_2).await;
    assert_eq!(scan_1["new"], first.len() as i64, "{scan_1}");
    let scan_2 = app.scan_snapshot(&ana, cluster_id, SNAPSHOT_2).await;
    assert_eq!(findings_written(&app, &scan_2).await, 0, "unchanged: {scan_2}");

    // Only `worker` is left: the findings of `web` and of the Pod are resolved.
    let worker_only =
        SNAPSHOT_2.split("\n- ").filter(|item| !item.contains("name: web") && !item.contains("name: debug"));
    let worker_only = worker_only.collect::<Vec<_>>().join("\n- ");
    let left = expected_findings(&worker_only);
    let gone = first.difference(&left).count();
    assert!(!left.is_empty() && gone > 0, "{worker_only}");
    let scan_3 = app.scan_snapshot(&ana, cluster_id, &worker_only).await;
    assert_eq!(scan_3["status"], "succeeded", "{scan_3}");
    let appeared = left.difference(&first).count();
    assert_eq!((&scan_3["new"], &scan_3["resolved"]), (&json!(appeared), &json!(gone)), "{scan_3}");
    let open = app.all_findings_by(&ana, cluster_id, "&status=open", 1000).await;
    assert_eq!(open.iter().map(key).collect::<BTreeSet<_>>(), left);
    let (_, page) = app.get(&ana, &format!("/api/v1/clusters/{cluster_id}/findings?limit=1&status=open")).await;
    assert_eq!(page["total"], left.len() as i64, "{page}");

    let other = app.scan_snapshot(&ana, other_id, SNAPSHOT_1).await;
    assert_eq!(other["status"], "succeeded", "{other}");
    let others = stored_findings(&app, other_id).await;
    assert!(others > 0);
    assert_eq!(stored_findings(&app, cluster_id).await, first.union(&left).count() as i64);
    assert_eq!(app.delete(&ana, &format!("/api/v1/clusters/{cluster_id}")).await, StatusCode::NO_CONTENT);
    assert_eq!(stored_findings(&app, cluster_id).await, 0, "a deleted cluster's findings go with it");
    assert_eq!(stored_findings(&app, other_id).await, others, "another cluster's stay");
}

async fn unlisted_kinds_resolve_nothing_of_theirs(backend: Backend) {
    use fake_kube::{FakeCluster, FakeKube, TOKEN};
    let app = spawn_app(backend).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let web = |privileged: bool| {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": { "name": "web", "namespace": "prod", "uid": "web" },
            "spec": { "template": { "spec": { "containers": [
                { "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": privileged } }
            ] } } }
        })
    };
    let debug = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "debug", "namespace": "prod", "uid": "debug" },
        "spec": { "hostPID": true, "containers": [{ "name": "shell", "image": "busybox:latest" }] }
    });
    let before = FakeKube::start(FakeCluster::new().with(web(true)).with(debug.clone())).await;
    let (status, cluster) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "live", "server": before.url, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    let cluster_id = cluster["id"].as_i64().unwrap();
    let scan_1 = app.scan_now(&token, cluster_id).await;
    assert_eq!(scan_1["status"], "succeeded", "{scan_1}");
    let first = app.all_findings_by(&token, cluster_id, "", 100).await;
    let unjudged = ["namespace-without-default-deny", "pod-not-selected-by-network-policy"];
    assert!(first.iter().any(|finding| finding["rule"] == "pod-not-selected-by-network-policy"), "{first:?}");
    assert!(first.iter().any(|finding| finding["resource"]["kind"] == "Pod"), "{first:?}");

    // Now web is fixed, but Pods and NetworkPolicies cannot be listed: the Pod's findings
    // and those of rules judging from NetworkPolicies stay open; web's fixed one resolves.
    let after = FakeKube::start(
        FakeCluster::new()
            .with(web(false))
            .with(debug)
            .forbid("/api/v1/pods")
            .forbid("/apis/networking.k8s.io/v1/networkpolicies"),
    )
    .await;
    let (status, _) = app
        .patch(&token, &format!("/api/v1/clusters/{cluster_id}"), &json!({ "server": after.url, "token": TOKEN }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let scan_2 = app.scan_now(&token, cluster_id).await;
    assert_eq!(scan_2["status"], "partial", "{scan_2}");
    let second = app.all_findings_by(&token, cluster_id, "", 100).await;
    let mut resolved = 0;
    for finding in &second {
        let kept = finding["resource"]["kind"] == "Pod" || unjudged.iter().any(|rule| finding["rule"] == *rule);
        if kept {
            assert_eq!(finding["status"], "open", "{finding}");
            assert_eq!(finding["last_seen"], scan_1["finished_at"], "not seen again: {finding}");
        }
        if finding["rule"] == "pss-privileged" {
            assert_eq!(finding["status"], "resolved", "{finding}");
        }
        resolved += i64::from(finding["status"] == "resolved");
    }
    assert_eq!(scan_2["resolved"], resolved, "{scan_2}");
}

/// Sends a snapshot upload's headers declaring `length` bytes, and not one byte of the
/// body; the status and body of the answer, which must come without the body.
async fn upload_without_body(app: &TestApp, token: &str, cluster: i64, length: u64) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/clusters/{cluster}/snapshots HTTP/1.1\r\nHost: rampart\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/yaml\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(60), socket.read_to_end(&mut answer))
        .await
        .expect("the answer comes before the body is sent")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, answer)
}

/// Uploads are authorised before their body is read: an unknown or another team's cluster
/// is 404 and a viewer 403 before a byte of a 200 MB body is sent; an export larger than
/// the engine's 64 MiB limit is 413 naming the limit, whether its length is declared or it
/// streams past the limit chunk by chunk. API answers are never cached.
async fn uploads_are_authorised_before_their_body_is_read(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(backend).await;
    let editor = app.user("ed@example.com", "red", Role::Editor).await;
    let viewer = app.user("vi@example.com", "red", Role::Viewer).await;
    let outsider = app.user("out@example.com", "blue", Role::Admin).await;
    let cluster = snapshot_cluster(&app, &editor, "uploads").await;
    let huge = 200 * 1024 * 1024;
    assert_eq!(upload_without_body(&app, &editor, 999_999, huge).await.0, 404);
    assert_eq!(upload_without_body(&app, &outsider, cluster, huge).await.0, 404);
    let (status, answer) = upload_without_body(&app, &viewer, cluster, huge).await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = upload_without_body(&app, &editor, cluster, huge).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("larger than 64 MiB"), "{answer}");

    // A chunked body with no declared length is cut off at the limit.
    let address = app.base.trim_start_matches("http://");
    let socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reading, mut writing) = socket.into_split();
    let reader = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = reading.read_to_end(&mut answer).await;
        String::from_utf8_lossy(&answer).to_string()
    });
    let head = format!(
        "POST /api/v1/clusters/{cluster}/snapshots HTTP/1.1\r\nHost: rampart\r\nAuthorization: Bearer {editor}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    writing.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 1024 * 1024, "#".repeat(1024 * 1024));
    for _ in 0..80 {
        if writing.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = writing.write_all(b"0\r\n\r\n").await;
    let answer = tokio::time::timeout(std::time::Duration::from_secs(60), reader).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larger than 64 MiB"), "{answer}");

    // A snapshot within the limits is still scanned; API answers say not to cache them.
    let (status, scan) = app.upload(&editor, cluster, SNAPSHOT_1).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{scan}");
    let response = app.client.get(app.url("/api/v1/clusters")).bearer_auth(&editor).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
}

/// A fake API server that records what it is sent, on 127.0.0.1, reachable in a lab.
async fn thief() -> fake_kube::FakeKube {
    fake_kube::FakeKube::start(fake_kube::FakeCluster::new()).await
}

async fn credentials_stay_with_their_server(backend: Backend) {
    use fake_kube::{FakeCluster, FakeKube, TOKEN};
    let app = spawn_app(backend).await;
    let admin = app.user("root@example.com", "red", Role::Admin).await;
    let editor = app.user("eve@example.com", "red", Role::Editor).await;
    let pod = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "web", "namespace": "prod" } });
    let fake = FakeKube::start(FakeCluster::new().with(pod)).await;
    let (status, cluster) =
        app.post(&admin, "/api/v1/clusters", &json!({ "name": "prod", "server": fake.url, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    let id = cluster["id"].as_i64().unwrap();

    // An editor points the cluster at a server of his and asks for a scan: the change is
    // refused, and the scan goes where the token was entered for.
    let thief = thief().await;
    let (status, body) = app.patch(&editor, &format!("/api/v1/clusters/{id}"), &json!({ "server": thief.url })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("changing the server needs the token again"), "{body}");
    let (_, cluster) = app.get(&editor, &format!("/api/v1/clusters/{id}")).await;
    assert_eq!(cluster["server"], fake.url.as_str());
    let scan = app.scan_now(&editor, id).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    assert!(thief.requests().is_empty(), "the thief got {:?}", thief.requests());
    assert!(fake.requests().iter().all(|request| request.authorization == format!("Bearer {TOKEN}")));

    // With a token of his own he may move it; the stored token still goes nowhere else.
    let (status, body) = app
        .patch(&editor, &format!("/api/v1/clusters/{id}"), &json!({ "server": thief.url, "token": "his-own" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.scan_now(&editor, id).await;
    let authorizations: BTreeSet<String> = thief.requests().into_iter().map(|request| request.authorization).collect();
    assert_eq!(authorizations, BTreeSet::from(["Bearer his-own".to_string()]));

    // No password in a server URL: refused at registration, change and test, never stored
    // nor shown.
    let with_password = "https://scanner:hunter2@kube.example.com:6443";
    let (status, answer) =
        app.post(&admin, "/api/v1/clusters", &json!({ "name": "pw", "server": with_password, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("user name or password"), "{answer}");
    let (_, tested) =
        app.post(&admin, "/api/v1/clusters/test", &json!({ "server": with_password, "token": TOKEN })).await;
    assert_eq!(tested["ok"], false, "{tested}");
    assert!(tested["message"].as_str().unwrap().contains("user name or password"), "{tested}");
    assert!(!format!("{answer}{tested}").contains("hunter2"), "{answer}{tested}");
    let (status, answer) =
        app.patch(&admin, &format!("/api/v1/clusters/{id}"), &json!({ "server": with_password, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (_, clusters) = app.get(&admin, "/api/v1/clusters").await;
    let (_, cluster) = app.get(&admin, &format!("/api/v1/clusters/{id}")).await;
    assert!(!format!("{clusters}{cluster}").contains("hunter2"), "{clusters}{cluster}");
}

async fn the_outbound_policy_guards_every_connection(backend: Backend) {
    use fake_kube::{kubeconfig, FakeCluster, FakeKube, CA_PEM, TOKEN};
    use rampart::outbound::OutboundPolicy;
    let app = app::spawn_app_with_outbound(backend, OutboundPolicy::default()).await;
    let token = app.user("ana@example.com", "red", Role::Editor).await;
    let fake = FakeKube::start_tls(FakeCluster::new()).await;
    let port = fake.url.rsplit(':').next().unwrap().to_string();
    let refused = "its address is not one this server may connect to";

    // A token never goes over plain http:// (a lab may allow it).
    // (The test answers what registering would refuse as a failed test, like any other.)
    let plain = json!({ "name": "plain", "server": "http://kube.example.com:6443", "token": TOKEN });
    let (status, body) = app.post(&token, "/api/v1/clusters", &plain).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("plain http://"), "{body}");
    let (_, tested) = app.post(&token, "/api/v1/clusters/test", &plain).await;
    assert_eq!(tested["ok"], false, "{tested}");
    assert!(tested["message"].as_str().unwrap().contains("plain http://"), "{tested}");
    let config = kubeconfig("http://kube.example.com:6443", &format!("    token: {TOKEN}"));
    let (status, body) =
        app.post(&token, "/api/v1/clusters", &json!({ "name": "kc", "kubeconfig": config, "context": "fake" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Loopback (by address and by a name resolving to it), the metadata address and a
    // private address are refused; the test says so, and nothing reaches the fake.
    for server in [
        fake.url.clone(),
        format!("https://localhost:{port}"),
        format!("https://[::1]:{port}"),
        format!("https://[::ffff:127.0.0.1]:{port}"),
        "https://169.254.169.254".to_string(),
        "https://10.0.0.1:6443".to_string(),
    ] {
        let (status, tested) = app
            .post(&token, "/api/v1/clusters/test", &json!({ "server": server, "token": TOKEN, "ca_pem": CA_PEM }))
            .await;
        assert_eq!(status, StatusCode::OK, "{tested}");
        assert_eq!(tested["ok"], false, "{server}: {tested}");
        assert!(tested["message"].as_str().unwrap().contains(refused), "{server}: {tested}");
    }
    // A scan of a cluster registered there fails the same way.
    let (status, cluster) = app
        .post(
            &token,
            "/api/v1/clusters",
            &json!({ "name": "local", "server": format!("https://localhost:{port}"), "token": TOKEN, "ca_pem": CA_PEM }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    let scan = app.scan_now(&token, cluster["id"].as_i64().unwrap()).await;
    assert_eq!(scan["status"], "failed", "{scan}");
    assert!(scan["message"].as_str().unwrap().contains(refused), "{scan}");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());

    // In a lab, the same connections are made.
    let lab = app::spawn_app_with_outbound(backend, OutboundPolicy::lab()).await;
    let token = lab.user("ana@example.com", "red", Role::Editor).await;
    for server in [fake.url.clone(), format!("https://localhost:{port}")] {
        let (_, tested) = lab
            .post(&token, "/api/v1/clusters/test", &json!({ "server": server, "token": TOKEN, "ca_pem": CA_PEM }))
            .await;
        assert_eq!(tested["ok"], true, "{server}: {tested}");
    }
    assert!(!fake.requests().is_empty());
}

async fn text_postgresql_cannot_store(backend: Backend) {
    use fake_kube::{FakeCluster, FakeKube, TOKEN};
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Admin).await;
    let nul = "\u{0}";

    // Typed into the API: a clear 400, whatever the field.
    let cluster_id = snapshot_cluster(&app, &ana, "prod").await;
    for (path, body) in [
        ("/api/v1/clusters".to_string(), json!({ "name": format!("a{nul}b"), "snapshot": true })),
        ("/api/v1/tokens".to_string(), json!({ "name": format!("ci{nul}") })),
        (
            format!("/api/v1/clusters/{cluster_id}/exemptions"),
            json!({ "rule": "pss-privileged", "reason": format!("ticket{nul}1") }),
        ),
        ("/api/v1/teams".to_string(), json!({ "name": format!("blue{nul}") })),
    ] {
        let (status, answer) = app.post(&ana, &path, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains("NUL"), "{answer}");
    }
    let (status, answer) = app.get(&ana, &format!("/api/v1/clusters/{cluster_id}/findings?namespace=a%00b")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    // The setup page's form too.
    let setup_token = app.setup_token.clone().expect("the database had no user at start");
    let response = app
        .client
        .post(app.url("/setup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={setup_token}&email=a%00b%40example.com&password=a+long+password"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("NUL"));
    // The text `\u0000` (a backslash, not a NUL) is ordinary text.
    let (status, answer) =
        app.post(&ana, "/api/v1/clusters", &json!({ "name": "literally \\u0000", "snapshot": true })).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // In a cluster's objects: stored with U+FFFD, and the scan succeeds, snapshot and live.
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": format!("web{nul}x"),
            "namespace": format!("prod{nul}"),
            "annotations": {
                "rampart.dev/ignore": "pss-host-namespaces",
                "rampart.dev/ignore-reason": format!("break{nul}glass"),
            },
        },
        "spec": {
            "hostNetwork": true,
            "containers": [{ "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": true } }],
        },
    });
    let snapshot = serde_json::to_string(&json!({ "apiVersion": "v1", "kind": "List", "items": [pod] })).unwrap();
    assert!(snapshot.contains("\\u0000"));
    let scan = app.scan_snapshot(&ana, cluster_id, &snapshot).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    let fake = FakeKube::start(FakeCluster::new().with(pod)).await;
    let (status, live) =
        app.post(&ana, "/api/v1/clusters", &json!({ "name": "live", "server": fake.url, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::CREATED, "{live}");
    let live_id = live["id"].as_i64().unwrap();
    let scan = app.scan_now(&ana, live_id).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    for cluster in [cluster_id, live_id] {
        let findings = app.all_findings_by(&ana, cluster, "", 100).await;
        let privileged: Vec<&Value> = findings.iter().filter(|finding| finding["rule"] == "pss-privileged").collect();
        assert_eq!(privileged.len(), 1, "{findings:?}");
        assert_eq!(privileged[0]["resource"]["name"], "web\u{FFFD}x", "{findings:?}");
        assert_eq!(privileged[0]["resource"]["namespace"], "prod\u{FFFD}", "{findings:?}");
        let exempted: Vec<&Value> = findings.iter().filter(|finding| finding["status"] == "exempted").collect();
        assert_eq!(exempted.len(), 1, "{findings:?}");
        assert!(exempted[0]["exemption_reason"].as_str().unwrap().contains("break\u{FFFD}glass"), "{exempted:?}");
        assert!(!serde_json::to_string(&findings).unwrap().contains("\\u0000"));
    }
    // A rescan sees the same findings again rather than new ones.
    let scan = app.scan_now(&ana, live_id).await;
    assert_eq!((scan["status"].as_str(), scan["new"].as_i64()), (Some("succeeded"), Some(0)), "{scan}");
}

/// Text that PostgreSQL's COPY format writes as escapes (a backslash, a tab, a newline, a
/// carriage return, and the letters `\N` that stand for NULL) is stored as it came, and a
/// rescan sees the same findings again.
async fn findings_keep_text_with_escapes(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Admin).await;
    let cluster_id = snapshot_cluster(&app, &ana, "prod").await;
    let name = "web\\N\\x\tend\r\nmore\\";
    let namespace = "prod\\N";
    let reason = "\\N";
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {
                "rampart.dev/ignore": "pss-host-namespaces",
                "rampart.dev/ignore-reason": reason,
            },
        },
        "spec": {
            "hostNetwork": true,
            "containers": [{ "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": true } }],
        },
    });
    let snapshot = serde_json::to_string(&json!({ "apiVersion": "v1", "kind": "List", "items": [pod] })).unwrap();
    for round in 0..2 {
        let scan = app.scan_snapshot(&ana, cluster_id, &snapshot).await;
        assert_eq!(scan["status"], "succeeded", "{scan}");
        if round == 1 {
            assert_eq!(scan["new"], 0, "a rescan sees the same findings: {scan}");
        }
        let findings = app.all_findings_by(&ana, cluster_id, "", 100).await;
        let privileged: Vec<&Value> = findings.iter().filter(|finding| finding["rule"] == "pss-privileged").collect();
        assert_eq!(privileged.len(), 1, "{findings:?}");
        assert_eq!(privileged[0]["resource"]["name"], name, "{findings:?}");
        assert_eq!(privileged[0]["resource"]["namespace"], namespace, "{findings:?}");
        assert_eq!(privileged[0]["status"], "open", "{findings:?}");
        let exempted: Vec<&Value> = findings.iter().filter(|finding| finding["status"] == "exempted").collect();
        assert_eq!(exempted.len(), 1, "{findings:?}");
        assert!(exempted[0]["exemption_reason"].as_str().unwrap().contains(reason), "{exempted:?}");
        assert!(exempted[0]["exemption_reason"].as_str().is_some(), "{exempted:?}");
    }
}

async fn team_admins_manage_their_own_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let bo = app.user("bo@example.com", "blue", Role::Admin).await;
    app.user("ana@example.com", "red", Role::Editor).await;
    app.user("cy@example.com", "blue", Role::Viewer).await;
    let blue = team_id(&app, &bo, "blue").await;
    let members = format!("/api/v1/teams/{blue}/members");

    // Another team's user and an email nobody has: the same refusal, and nobody is added.
    let (existing_status, existing) =
        app.put(&bo, &members, &json!({ "email": "ana@example.com", "role": "viewer" })).await;
    let (missing_status, missing) =
        app.put(&bo, &members, &json!({ "email": "zed@example.com", "role": "viewer" })).await;
    assert_eq!(
        (existing_status, missing_status),
        (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        "{existing} {missing}"
    );
    assert_eq!(existing.to_string().replace("ana@", "zed@"), missing.to_string());
    assert!(existing["error"].as_str().unwrap().contains("takes a global admin"), "{existing}");
    let (_, listed) = app.get(&bo, &members).await;
    let emails: Vec<&str> = listed.as_array().unwrap().iter().map(|member| member["email"].as_str().unwrap()).collect();
    assert_eq!(emails, ["bo@example.com", "cy@example.com"]);
    // The team's own members' roles are still his to change.
    let (status, body) = app.put(&bo, &members, &json!({ "email": "cy@example.com", "role": "editor" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "editor");
}

async fn schedules_that_never_come_are_refused(backend: Backend) {
    use fake_kube::{FakeCluster, FakeKube, TOKEN};
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let fake = FakeKube::start(FakeCluster::new()).await;
    let never = "@every 18446744073709551615";
    let (status, body) = app
        .post(&ana, "/api/v1/clusters", &json!({ "name": "c", "server": fake.url, "token": TOKEN, "schedule": never }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("the longest interval is 366d"), "{body}");
    let (status, cluster) =
        app.post(&ana, "/api/v1/clusters", &json!({ "name": "c", "server": fake.url, "token": TOKEN })).await;
    assert_eq!(status, StatusCode::CREATED, "{cluster}");
    let id = cluster["id"].as_i64().unwrap();
    let (status, body) = app.patch(&ana, &format!("/api/v1/clusters/{id}"), &json!({ "schedule": never })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, after) = app.get(&ana, &format!("/api/v1/clusters/{id}")).await;
    assert_eq!(after["schedule"], cluster["schedule"]);
}

/// The rank of a finding's severity, most severe first.
fn rank(finding: &Value) -> usize {
    ["critical", "high", "medium", "low", "info"].iter().position(|severity| finding["severity"] == *severity).unwrap()
}

async fn findings_sorted_and_paged_by_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster_id = snapshot_cluster(&app, &ana, "sorted").await;
    // Three privileged Deployments among sixty: their critical findings have ids in the
    // middle, not at the start.
    let snapshot = many_deployments(60, |index| index % 20 == 13);
    let expected = expected_findings(&snapshot);
    app.scan_snapshot(&ana, cluster_id, &snapshot).await;

    // The first page of the default order holds the most severe findings, and says how
    // many match in all.
    let (status, page) = app.get(&ana, &format!("/api/v1/clusters/{cluster_id}/findings?status=open&limit=5")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], expected.len() as i64, "{page}");
    let first: Vec<&Value> = page["items"].as_array().unwrap().iter().collect();
    assert_eq!(first.len(), 5);
    let criticals = expected.iter().filter(|finding| finding.0 == "pss-privileged").count();
    assert_eq!(criticals, 3);
    assert!(first[..criticals].iter().all(|finding| finding["severity"] == "critical"), "{page}");
    let (_, filtered) =
        app.get(&ana, &format!("/api/v1/clusters/{cluster_id}/findings?severity=critical&limit=1")).await;
    assert_eq!((filtered["total"].clone(), filtered["items"].as_array().unwrap().len()), (json!(3), 1), "{filtered}");

    // Every order, walked page by page, gives each finding once, in order.
    for (sort, page) in [("", 7), ("severity", 1), ("rule", 9), ("object", 4), ("newest", 11)] {
        let all = app.all_findings_by(&ana, cluster_id, &format!("&sort={sort}"), page).await;
        assert_eq!(all.iter().map(key).collect::<BTreeSet<_>>(), expected, "sort {sort}");
        assert_eq!(all.len(), expected.len(), "sort {sort}: no repeats");
        let id = |finding: &Value| finding["id"].as_i64().unwrap();
        let text = |finding: &Value, field: &str| finding["resource"][field].as_str().unwrap_or_default().to_string();
        for pair in all.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let in_order = match sort {
                "" | "severity" => (rank(a), id(a)) < (rank(b), id(b)),
                "rule" => (a["rule"].as_str(), id(a)) < (b["rule"].as_str(), id(b)),
                "object" => {
                    (text(a, "namespace"), text(a, "kind"), text(a, "name"), id(a))
                        < (text(b, "namespace"), text(b, "kind"), text(b, "name"), id(b))
                }
                _ => id(a) > id(b),
            };
            assert!(in_order, "sort {sort}: {a} before {b}");
        }
    }

    // A cursor belongs to its order; anything else is refused plainly.
    let (_, page) = app.get(&ana, &format!("/api/v1/clusters/{cluster_id}/findings?sort=rule&limit=1")).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    for query in [format!("sort=severity&cursor={cursor}"), "cursor=12".to_string(), "sort=age".to_string()] {
        let (status, body) = app.get(&ana, &format!("/api/v1/clusters/{cluster_id}/findings?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(body["error"].as_str().is_some_and(|error| !error.is_empty()), "{body}");
    }
}

/// Uploads with nothing to check: a README, YAML with no Kubernetes object, an empty file.
async fn uploads_with_nothing_to_check_are_no_score(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster_id = snapshot_cluster(&app, &ana, "prod").await;
    let readme = "# Our cluster\n\nExport it with: kubectl get all -A -o yaml\n";
    let broken = "Our cluster\n  - notes: [unclosed\n";

    // Before any results: the scan fails, says why, and gives no score.
    let scan = app.scan_snapshot(&ana, cluster_id, readme).await;
    assert_eq!((scan["status"].as_str(), &scan["score"], &scan["grade"]), (Some("failed"), &Value::Null, &Value::Null));
    assert!(scan["message"].as_str().unwrap().starts_with("Nothing to check"), "{scan}");
    let (_, clusters) = app.get(&ana, "/api/v1/clusters").await;
    assert_eq!(clusters[0]["score"], Value::Null, "{clusters}");
    assert_eq!(clusters[0]["last_scan"]["status"], "failed", "{clusters}");

    // After real results, each of them leaves the score, the trend and the findings alone,
    // and the cluster's row says what went wrong.
    let good = app.scan_snapshot(&ana, cluster_id, SNAPSHOT_1).await;
    assert_eq!(good["status"], "succeeded", "{good}");
    let open = app.all_findings_by(&ana, cluster_id, "&status=open", 1000).await;
    assert!(!open.is_empty());
    for text in [readme, broken, "apiVersion: v1\nkind: List\nitems: []\n", "notes: none\n", "---\n"] {
        let (status, body) = app.upload(&ana, cluster_id, text).await;
        if status == StatusCode::BAD_REQUEST {
            assert!(body["error"].is_string(), "{text:?}: {body}");
            continue;
        }
        assert_eq!(status, StatusCode::ACCEPTED, "{text:?}: {body}");
        let scan = app.wait_for_scan(&ana, body["id"].as_i64().unwrap()).await;
        assert_eq!(scan["status"], "failed", "{text:?}: {scan}");
        assert_eq!((scan["score"].clone(), scan["resolved"].clone()), (Value::Null, json!(0)), "{text:?}: {scan}");
        assert!(scan["message"].as_str().unwrap().starts_with("Nothing to check"), "{scan}");
        let (_, clusters) = app.get(&ana, "/api/v1/clusters").await;
        let row = &clusters[0];
        assert_eq!((&row["score"], &row["grade"]), (&good["score"], &good["grade"]), "{text:?}: {row}");
        assert_eq!(row["last_scan"]["id"], scan["id"], "{row}");
        assert_eq!(row["last_scan"]["status"], "failed", "{row}");
        assert!(row["last_scan"]["message"].as_str().unwrap().starts_with("Nothing to check"), "{row}");
        if text == broken {
            assert!(row["last_scan"]["error_count"].as_i64().unwrap() > 0, "parse errors in plain view: {row}");
            assert!(row["last_scan"]["errors"][0]["message"].as_str().unwrap().contains(':'), "{row}");
        }
        let still_open = app.all_findings_by(&ana, cluster_id, "&status=open", 1000).await;
        assert_eq!(still_open.len(), open.len(), "{text:?} resolved nothing");
    }
    let (_, trend) = app.get(&ana, &format!("/api/v1/clusters/{cluster_id}/trend")).await;
    let trend = trend.as_array().unwrap();
    assert_eq!(trend.len(), 1, "only the scan with results is a point: {trend:?}");
    assert_eq!(trend[0]["formula_version"], rampart_core::score::FORMULA_VERSION, "{trend:?}");
    assert_eq!(trend[0]["formula_change"], false);
}

/// A cluster's score cannot hide its critical findings among clean objects.
async fn cluster_scores_are_capped_by_their_worst_finding(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app.user("ana@example.com", "red", Role::Editor).await;
    let cluster_id = snapshot_cluster(&app, &ana, "prod").await;
    // One privileged Deployment among many, and Secrets and ConfigMaps no rule can fail.
    let mut snapshot = many_deployments(40, |index| index == 7);
    for index in 0..40 {
        snapshot.push_str(&format!(
            "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s-{index}\n    namespace: apps\n\
             - apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c-{index}\n    namespace: apps\n"
        ));
    }
    let scan = app.scan_snapshot(&ana, cluster_id, &snapshot).await;
    assert_eq!(scan["status"], "succeeded", "{scan}");
    assert!(scan["counts"]["critical"].as_i64().unwrap() > 0, "{scan}");
    let score = scan["score"].as_i64().unwrap();
    assert!(score <= 59 && scan["grade"] == "F", "a critical finding caps the cluster's score: {scan}");
    assert_eq!(scan["namespaces"]["apps"]["score"], score, "{scan}");
    assert_namespace_scores(&scan, &snapshot);
    let (_, clusters) = app.get(&ana, "/api/v1/clusters").await;
    assert_eq!((&clusters[0]["score"], &clusters[0]["grade"]), (&json!(score), &json!("F")), "{clusters}");
}

on_both_backends!(
    uploads_are_authorised_before_their_body_is_read,
    health_and_authentication,
    uploads_with_nothing_to_check_are_no_score,
    cluster_scores_are_capped_by_their_worst_finding,
    findings_sorted_and_paged_by_the_server,
    findings_lifecycle,
    other_teams_see_nothing,
    sessions_with_csrf,
    accounts_teams_and_tokens,
    clusters_scanned_through_their_api,
    exemptions_managed_per_team,
    exemptions_apply_at_scans_until_they_expire,
    teams_may_ignore_annotation_exemptions,
    findings_written_in_batches,
    rescans_write_only_what_changed,
    unchanged_scans_share_their_summaries,
    namespace_labels_are_written_when_they_change,
    gone_objects_resolve_after_an_unchanged_rescan,
    unlisted_kinds_resolve_nothing_of_theirs,
    credentials_stay_with_their_server,
    the_outbound_policy_guards_every_connection,
    text_postgresql_cannot_store,
    findings_keep_text_with_escapes,
    team_admins_manage_their_own_members,
    schedules_that_never_come_are_refused,
);
