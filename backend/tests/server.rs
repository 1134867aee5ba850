//! Black-box tests of `rampart serve`: the real application on 127.0.0.1 port 0, against a
//! fresh SQLite file and a fresh PostgreSQL database (created for the test, dropped after),
//! driven over real HTTP (`support/app.rs`). Every scenario runs on both backends: one
//! store, one behaviour.
//!
//! Expected findings are worked out by the engine itself over the same snapshots, so the
//! assertions are about the lifecycle (new, still open, resolved), not about rule details.

#[macro_use]
#[path = "support/app.rs"]
mod app;
#[path = "support/fake_kube.rs"]
mod fake_kube;

use std::collections::BTreeSet;

use app::{spawn_app, with_database, Backend, TestApp, TestDatabase};
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
    /// Every finding of the cluster, page by page.
    async fn all_findings(&self, token: &str, cluster: i64, query: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/clusters/{cluster}/findings?limit=2{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let (status, body) = self.get(token, &path).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let page = body["items"].as_array().unwrap();
            assert!(page.len() <= 2);
            items.extend(page.iter().cloned());
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return items,
            }
        }
    }
}

/// What the engine finds in a snapshot: (rule, kind, namespace, name, path), exempted
/// findings left out.
fn expected_findings(snapshot: &str) -> BTreeSet<(String, String, String, String, String)> {
    let report = rampart_core::check(
        &[rampart_core::Source::new("snapshot", snapshot)],
        &rampart::scan_runner::cluster_options(),
    );
    report
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

    // First scan: everything is new.
    let scan_1 = app.scan_snapshot(&token, cluster_id, SNAPSHOT_1).await;
    assert_eq!(scan_1["status"], "succeeded", "{scan_1}");
    assert_eq!(scan_1["new"], first.len() as i64);
    assert_eq!(scan_1["resolved"], 0);
    assert_eq!(scan_1["objects"], 2);
    assert!(scan_1["score"].is_number() && scan_1["grade"].is_string(), "{scan_1}");
    let open_1 = app.all_findings(&token, cluster_id, "&status=open").await;
    assert_eq!(open_1.iter().map(key).collect::<BTreeSet<_>>(), first);

    // Second scan: new ones opened, gone ones resolved, kept ones seen again.
    let scan_2 = app.scan_snapshot(&token, cluster_id, SNAPSHOT_2).await;
    assert_eq!(scan_2["status"], "succeeded", "{scan_2}");
    assert_eq!(scan_2["new"], appeared.len() as i64, "{scan_2}");
    assert_eq!(scan_2["resolved"], gone.len() as i64, "{scan_2}");
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
    // Switching to the context whose server does not exist fails the next scan, saying so.
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/clusters/{kc_id}")))
        .bearer_auth(&token)
        .json(&json!({ "context": "other" }))
        .send()
        .await
        .unwrap();
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

on_both_backends!(
    health_and_authentication,
    findings_lifecycle,
    other_teams_see_nothing,
    sessions_with_csrf,
    accounts_teams_and_tokens,
    clusters_scanned_through_their_api,
);

#[test]
fn database_urls_swap_their_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "y"), "postgres://u:p@h/y?sslmode=disable");
}
