//! The API answers what its OpenAPI document declares. One scenario calls every operation
//! of `GET /api/openapi.json` over real HTTP with realistic data (a setup, logins, teams,
//! clusters of each kind scanned, exemptions, policies, webhooks, subscriptions, an email
//! that failed, an agent's delivery, single sign-on's redirects), then hands the document
//! and every answer to `playwright/contract/validate-openapi.mjs`, which validates the
//! document with an OpenAPI validator and each answer against its operation's declared
//! status and schema, strictly (no property the schema does not list; `required` enforced),
//! and fails for an operation never answered.
//!
//! The bodies of representative answers are also compared byte for byte with the files of
//! `backend/tests/snapshots/api/` (times, dates, ports and secrets replaced by placeholders):
//! the JSON contract, key order included, cannot change unnoticed. After an intended change,
//! `RAMPART_UPDATE_SNAPSHOTS=1` rewrites them (then review the diff).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rampart::mail::{MailSettings, RetryPolicy};
use rampart::oidc::{parse_group_map, OidcSettings};
use reqwest::{header, Method};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::support::{playwright_dir, require_npm_package};

use super::app::{spawn_app_configured, Backend, TestApp};
use super::fake_kube::{FakeCluster, FakeKube, TOKEN};
use super::oidc_provider::{Provider, CLIENT_ID, CLIENT_SECRET};
use super::smtp::SmtpServer;
use super::{StatusCode, SNAPSHOT_1, SNAPSHOT_2};

/// How a request authenticates.
#[derive(Clone)]
enum Auth {
    None,
    Bearer(String),
    /// The session cookie, with its CSRF token on writes.
    Session {
        cookie: String,
        csrf: String,
    },
}

enum Body {
    None,
    Json(Value),
    Text(&'static str, Vec<u8>, Option<&'static str>),
}

struct Answer {
    method: String,
    path: String,
    status: u16,
    content_type: String,
    body: String,
}

struct Contract<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    answers: Vec<Answer>,
    /// Text that differs run by run (tokens, ports), replaced in snapshots.
    secrets: Vec<(String, &'static str)>,
}

impl Contract<'_> {
    /// Calls `method template` with the template's `{…}` parameters replaced by `ids` in
    /// order, and `query` appended; records the answer under the template.
    async fn call(
        &mut self,
        auth: &Auth,
        method: &str,
        template: &str,
        ids: &[i64],
        query: &str,
        body: Body,
    ) -> (StatusCode, Value) {
        let mut path = String::new();
        let mut ids = ids.iter();
        for (index, segment) in template.split('/').enumerate() {
            if index > 0 {
                path.push('/');
            }
            if segment.starts_with('{') {
                path.push_str(&ids.next().expect("an id per parameter").to_string());
            } else {
                path.push_str(segment);
            }
        }
        assert!(ids.next().is_none(), "more ids than parameters in {template}");
        let url = self.app.url(&format!("/api/v1{path}{query}"));
        let mut request = self.client.request(method.to_uppercase().parse::<Method>().unwrap(), url);
        request = match auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Session { cookie, csrf } => request.header(header::COOKIE, cookie).header("x-csrf-token", csrf),
        };
        request = match body {
            Body::None => request,
            Body::Json(value) => request.json(&value),
            Body::Text(content_type, bytes, encoding) => {
                let request = request.header(header::CONTENT_TYPE, content_type).body(bytes);
                match encoding {
                    Some(encoding) => request.header(header::CONTENT_ENCODING, encoding),
                    None => request,
                }
            }
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        self.answers.push(Answer {
            method: method.to_string(),
            path: format!("/api/v1{template}"),
            status: status.as_u16(),
            content_type,
            body: text,
        });
        (status, value)
    }

    /// Like [`Contract::call`], asserting the status; answers the JSON.
    async fn expect(
        &mut self,
        expected: StatusCode,
        auth: &Auth,
        method: &str,
        template: &str,
        ids: &[i64],
        body: Body,
    ) -> Value {
        let (status, value) = self.call(auth, method, template, ids, "", body).await;
        assert_eq!(status, expected, "{method} {template} {ids:?}: {value}");
        value
    }

    fn secret(&mut self, text: &str, placeholder: &'static str) {
        if !text.is_empty() {
            self.secrets.push((text.to_string(), placeholder));
        }
    }
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("an id in {value}"))
}

const PASSWORD: &str = "correct horse battery staple";

const POLICY: &str = include_str!("../../../../examples/policies/required-labels.yaml");

async fn wait_for_scan(contract: &mut Contract<'_>, auth: &Auth, scan: i64) -> Value {
    for _ in 0..2400 {
        let (status, body) = contract.call(auth, "get", "/scans/{id}", &[scan], "", Body::None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if !matches!(body["status"].as_str(), Some("queued" | "running")) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("scan {scan} did not finish");
}

/// The agent's delivery of one Deployment, as `agent::wire` writes it, gzip-compressed.
fn agent_delivery() -> Vec<u8> {
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "agent-web", "namespace": "prod", "uid": "agent-web" },
        "spec": { "template": { "spec": { "containers": [
            { "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": true } }
        ] } } }
    });
    let lines = [
        json!({ "context": [] }),
        json!({ "context_done": { "errors": [], "unjudged_rules": [] } }),
        json!({ "batch": [deployment] }),
        json!({ "end": { "objects": 1 } }),
    ];
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for line in lines {
        writeln!(encoder, "{line}").unwrap();
    }
    encoder.finish().unwrap()
}

async fn every_operation_answers_what_it_declares(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let provider = Provider::start().await;
    let issuer = provider.issuer.clone();
    let mail = MailSettings {
        smtp_url: Some(smtp.url()),
        from: "Rampart <rampart@example.test>".to_string(),
        public_url: Some("https://rampart.example.test".to_string()),
        interval: Duration::from_millis(50),
        retry: RetryPolicy {
            first_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(400),
            max_attempts: 10,
        },
    };
    let app = spawn_app_configured(backend, &mail, move |settings| {
        settings.oidc = Some(OidcSettings {
            issuer,
            client_id: CLIENT_ID.to_string(),
            client_secret: Some(SecretString::from(CLIENT_SECRET)),
            scopes: vec!["openid".into(), "email".into()],
            groups_claim: "groups".into(),
            group_map: parse_group_map("k8s-admins=red:admin").unwrap(),
            redirect_uri: "http://rampart.test/api/v1/oidc/callback".into(),
            clock_skew: Duration::from_secs(60),
            jwks_refresh: Duration::ZERO,
        });
    })
    .await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut c = Contract { app: &app, client, answers: Vec::new(), secrets: Vec::new() };
    let port = app.base.rsplit(':').next().unwrap().to_string();
    c.secret(&format!("127.0.0.1:{port}"), "127.0.0.1:<server>");
    let none = Auth::None;

    // Accounts: the first admin through the setup token, a session, the password changed.
    c.expect(StatusCode::OK, &none, "get", "/auth/methods", &[], Body::None).await;
    let setup_token = app.setup_token.clone().expect("a fresh server has a setup token");
    let setup = json!({ "token": setup_token, "email": "root@example.test", "password": PASSWORD });
    c.expect(StatusCode::CREATED, &none, "post", "/setup", &[], Body::Json(setup)).await;
    let login = json!({ "email": "root@example.test", "password": PASSWORD });
    let (status, session) = c.call(&none, "post", "/session", &[], "", Body::Json(login)).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "email": "root@example.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let csrf = response.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    c.secret(session["csrf_token"].as_str().unwrap(), "<csrf>");
    c.secret(&csrf, "<csrf>");
    let root = Auth::Session { cookie, csrf };
    c.expect(StatusCode::OK, &none, "get", "/session", &[], Body::None).await;
    c.expect(StatusCode::OK, &root, "get", "/session", &[], Body::None).await;
    c.expect(StatusCode::OK, &root, "get", "/me", &[], Body::None).await;
    let change = json!({ "current_password": PASSWORD, "new_password": "a longer passphrase than before" });
    c.expect(StatusCode::NO_CONTENT, &root, "post", "/me/password", &[], Body::Json(change)).await;
    let token = c.expect(StatusCode::CREATED, &root, "post", "/tokens", &[], Body::Json(json!({ "name": "ci" }))).await;
    c.secret(token["token"].as_str().unwrap(), "<token>");
    let admin = Auth::Bearer(token["token"].as_str().unwrap().to_string());
    let spare =
        c.expect(StatusCode::CREATED, &admin, "post", "/tokens", &[], Body::Json(json!({ "name": "old" }))).await;
    c.secret(spare["token"].as_str().unwrap(), "<token>");
    c.expect(StatusCode::NO_CONTENT, &admin, "delete", "/tokens/{id}", &[id(&spare)], Body::None).await;
    c.expect(StatusCode::OK, &admin, "get", "/tokens", &[], Body::None).await;

    // Teams and users.
    let red =
        id(&c.expect(StatusCode::CREATED, &admin, "post", "/teams", &[], Body::Json(json!({ "name": "red" }))).await);
    let new_user = json!({ "email": "ana@example.test", "password": PASSWORD, "team": "red", "role": "admin" });
    let ana_user = c.expect(StatusCode::CREATED, &admin, "post", "/users", &[], Body::Json(new_user)).await;
    let bo = json!({ "email": "bo@example.test", "password": PASSWORD, "admin": false });
    let bo = c.expect(StatusCode::CREATED, &admin, "post", "/users", &[], Body::Json(bo)).await;
    c.expect(StatusCode::OK, &admin, "get", "/users", &[], Body::None).await;
    let ana_token = app.store.create_token(id(&ana_user), "test").await.unwrap().1;
    c.secret(&ana_token, "<token>");
    let ana = Auth::Bearer(ana_token);
    c.expect(StatusCode::OK, &ana, "get", "/teams", &[], Body::None).await;
    c.expect(StatusCode::OK, &ana, "get", "/teams/{id}", &[red], Body::None).await;
    let settings = json!({ "honor_annotation_exemptions": true });
    c.expect(StatusCode::OK, &ana, "patch", "/teams/{id}", &[red], Body::Json(settings)).await;
    let member = json!({ "email": "bo@example.test", "role": "viewer" });
    c.expect(StatusCode::OK, &admin, "put", "/teams/{id}/members", &[red], Body::Json(member)).await;
    c.expect(StatusCode::OK, &ana, "get", "/teams/{id}/members", &[red], Body::None).await;
    c.expect(StatusCode::NO_CONTENT, &ana, "delete", "/teams/{id}/members/{user}", &[red, id(&bo)], Body::None).await;

    // Clusters of each kind.
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": { "name": "web", "namespace": "prod" },
        "spec": { "template": { "spec": { "containers": [
            { "name": "app", "image": "nginx:1.27", "securityContext": { "privileged": true } }
        ] } } }
    });
    let fake = FakeKube::start(FakeCluster::new().with(deployment)).await;
    let fake_port = fake.url.rsplit(':').next().unwrap().trim_end_matches('/').to_string();
    c.secret(&format!("127.0.0.1:{fake_port}"), "127.0.0.1:<kube>");
    let api = json!({ "name": "live", "server": fake.url, "token": TOKEN, "schedule": "0 */6 * * *" });
    c.expect(StatusCode::OK, &ana, "post", "/clusters/test", &[], Body::Json(api.clone())).await;
    let live = id(&c.expect(StatusCode::CREATED, &ana, "post", "/clusters", &[], Body::Json(api)).await);
    let snapshot = json!({ "name": "prod", "snapshot": true, "team": red });
    let prod = id(&c.expect(StatusCode::CREATED, &ana, "post", "/clusters", &[], Body::Json(snapshot)).await);
    let agent_cluster = json!({ "name": "edge", "agent": true });
    let edge = c.expect(StatusCode::CREATED, &ana, "post", "/clusters", &[], Body::Json(agent_cluster)).await;
    c.secret(edge["agent_setup"]["token"].as_str().unwrap(), "<agent token>");
    let edge = id(&edge);
    let doomed = json!({ "name": "doomed", "snapshot": true });
    let doomed = id(&c.expect(StatusCode::CREATED, &ana, "post", "/clusters", &[], Body::Json(doomed)).await);
    c.expect(StatusCode::NO_CONTENT, &ana, "delete", "/clusters/{id}", &[doomed], Body::None).await;
    c.expect(StatusCode::OK, &ana, "patch", "/clusters/{id}", &[live], Body::Json(json!({ "name": "live-eu" }))).await;

    // Central exemptions and custom policies, before the scans that apply them.
    let exemption = json!({ "rule": "pss-host-namespaces", "namespace": "jobs", "reason": "node agent" });
    let exemption =
        c.expect(StatusCode::CREATED, &ana, "post", "/clusters/{id}/exemptions", &[prod], Body::Json(exemption)).await;
    let team_wide = json!({ "cluster": null, "rule": "image-tag-latest", "reason": "legacy images", "expires_at": "2099-01-01T00:00:00Z" });
    let team_wide =
        c.expect(StatusCode::CREATED, &ana, "post", "/teams/{id}/exemptions", &[red], Body::Json(team_wide)).await;
    let changed = json!({ "reason": "node agent, reviewed" });
    c.expect(StatusCode::OK, &ana, "patch", "/exemptions/{id}", &[id(&exemption)], Body::Json(changed)).await;
    c.expect(StatusCode::OK, &ana, "get", "/exemptions/{id}", &[id(&exemption)], Body::None).await;
    c.expect(StatusCode::OK, &ana, "get", "/teams/{id}/exemptions", &[red], Body::None).await;
    let policy = json!({ "name": "required-labels", "source": POLICY });
    let policy =
        id(&c.expect(StatusCode::CREATED, &ana, "post", "/teams/{id}/policies", &[red], Body::Json(policy)).await);
    let changed = json!({ "source": POLICY.replace("severity: medium", "severity: high") });
    c.expect(StatusCode::OK, &ana, "patch", "/policies/{id}", &[policy], Body::Json(changed)).await;
    c.expect(StatusCode::OK, &ana, "get", "/policies/{id}", &[policy], Body::None).await;
    c.expect(StatusCode::OK, &ana, "get", "/policies/{id}/versions", &[policy], Body::None).await;
    c.expect(StatusCode::OK, &ana, "get", "/teams/{id}/policies", &[red], Body::None).await;
    let spare = json!({ "name": "spare", "source": POLICY.replace("name: required-labels", "name: spare").replace("policyName: required-labels", "policyName: spare"), "enabled": false });
    let spare =
        id(&c.expect(StatusCode::CREATED, &ana, "post", "/teams/{id}/policies", &[red], Body::Json(spare)).await);
    c.expect(StatusCode::NO_CONTENT, &ana, "delete", "/policies/{id}", &[spare], Body::None).await;

    // Scans: two snapshots, one through the API, one delivered by the agent.
    for text in [SNAPSHOT_1, SNAPSHOT_2] {
        let upload = Body::Text("application/yaml", text.as_bytes().to_vec(), None);
        let scan = c.expect(StatusCode::ACCEPTED, &ana, "post", "/clusters/{id}/snapshots", &[prod], upload).await;
        wait_for_scan(&mut c, &ana, id(&scan)).await;
    }
    let scan =
        c.expect(StatusCode::ACCEPTED, &ana, "post", "/clusters/{id}/scans", &[live], Body::Json(json!({}))).await;
    wait_for_scan(&mut c, &ana, id(&scan)).await;
    let agent_setup =
        c.expect(StatusCode::CREATED, &ana, "post", "/clusters/{id}/agent-token", &[edge], Body::None).await;
    c.secret(agent_setup["token"].as_str().unwrap(), "<agent token>");
    let agent = Auth::Bearer(agent_setup["token"].as_str().unwrap().to_string());
    // Its registration queued a first scan, waiting for the agent.
    let instructions = c.expect(StatusCode::OK, &agent, "get", "/agent/instructions", &[], Body::None).await;
    let delivered = instructions["scan"]["id"].as_i64().expect("a scan to deliver");
    let delivery = Body::Text("application/x-ndjson", agent_delivery(), Some("gzip"));
    c.expect(StatusCode::OK, &agent, "post", "/agent/scans/{id}", &[delivered], delivery).await;
    wait_for_scan(&mut c, &ana, delivered).await;
    c.expect(StatusCode::OK, &agent, "get", "/agent/instructions", &[], Body::None).await;
    c.expect(StatusCode::NO_CONTENT, &ana, "delete", "/clusters/{id}/agent-token", &[edge], Body::None).await;

    // What the scans found.
    c.expect(StatusCode::OK, &ana, "get", "/clusters", &[], Body::None).await;
    for cluster in [prod, live, edge] {
        c.expect(StatusCode::OK, &ana, "get", "/clusters/{id}", &[cluster], Body::None).await;
        c.expect(StatusCode::OK, &ana, "get", "/clusters/{id}/scans", &[cluster], Body::None).await;
        c.expect(StatusCode::OK, &ana, "get", "/clusters/{id}/exemptions", &[cluster], Body::None).await;
    }
    let (status, page) = c.call(&ana, "get", "/clusters/{id}/findings", &[prod], "?limit=2", Body::None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let cursor = page["next_cursor"].as_str().expect("a second page").to_string();
    let query = format!("?limit=2&cursor={cursor}");
    assert_eq!(c.call(&ana, "get", "/clusters/{id}/findings", &[prod], &query, Body::None).await.0, StatusCode::OK);
    let query = "?status=resolved&sort=newest";
    assert_eq!(c.call(&ana, "get", "/clusters/{id}/findings", &[prod], query, Body::None).await.0, StatusCode::OK);
    let query = "?status=exempted";
    assert_eq!(c.call(&ana, "get", "/clusters/{id}/findings", &[prod], query, Body::None).await.0, StatusCode::OK);
    c.expect(StatusCode::OK, &ana, "get", "/clusters/{id}/trend", &[prod], Body::None).await;
    for framework in ["cis", "nsa", "pss", "layers"] {
        let query = format!("?framework={framework}");
        assert_eq!(
            c.call(&ana, "get", "/clusters/{id}/compliance", &[prod], &query, Body::None).await.0,
            StatusCode::OK
        );
    }
    c.expect(StatusCode::OK, &ana, "get", "/clusters/{id}/compliance.csv", &[prod], Body::None).await;
    c.expect(StatusCode::OK, &ana, "get", "/reports", &[], Body::None).await;
    let query = "?points=scan&table=top_rules";
    assert_eq!(c.call(&ana, "get", "/reports.csv", &[], query, Body::None).await.0, StatusCode::OK);
    c.expect(StatusCode::NO_CONTENT, &ana, "delete", "/exemptions/{id}", &[id(&team_wide)], Body::None).await;

    // Notifications: a webhook (its receiver is not listening: the test says so), email
    // subscriptions, a digest the SMTP server refuses, retried by an admin.
    let webhook = json!({ "name": "ops", "format": "generic", "url": "http://127.0.0.1:9/hooks/rampart",
                          "events": ["digest", "critical"], "frequency": "daily", "hour": 7,
                          "namespaces": ["prod"] });
    let webhook =
        c.expect(StatusCode::CREATED, &ana, "post", "/teams/{id}/webhooks", &[red], Body::Json(webhook)).await;
    if let Some(secret) = webhook["secret"].as_str() {
        c.secret(secret, "<webhook secret>");
    }
    c.expect(StatusCode::OK, &ana, "get", "/teams/{id}/webhooks", &[red], Body::None).await;
    c.expect(StatusCode::OK, &ana, "post", "/teams/{id}/webhooks/{webhook}/test", &[red, id(&webhook)], Body::None)
        .await;
    c.expect(
        StatusCode::NO_CONTENT,
        &ana,
        "delete",
        "/teams/{id}/webhooks/{webhook}",
        &[red, id(&webhook)],
        Body::None,
    )
    .await;
    let digest = json!({ "team": "red", "frequency": "weekly", "weekday": "friday", "hour": 8 });
    let digest = id(&c.expect(StatusCode::CREATED, &ana, "post", "/subscriptions", &[], Body::Json(digest)).await);
    let alerts = json!({ "clusters": [prod], "frequency": "immediate", "namespace_selector": "team=payments" });
    let alerts = id(&c.expect(StatusCode::CREATED, &ana, "post", "/subscriptions", &[], Body::Json(alerts)).await);
    c.expect(StatusCode::OK, &ana, "get", "/subscriptions", &[], Body::None).await;
    c.expect(StatusCode::OK, &ana, "get", "/subscriptions/{id}", &[digest], Body::None).await;
    c.expect(StatusCode::NO_CONTENT, &ana, "delete", "/subscriptions/{id}", &[alerts], Body::None).await;
    smtp.answer_next_data_with(&[550]);
    let email =
        id(&c.expect(StatusCode::ACCEPTED, &ana, "post", "/subscriptions/{id}/send", &[digest], Body::None).await);
    for _ in 0..2400 {
        let (_, preview) = app
            .get(
                match &admin {
                    Auth::Bearer(token) => token,
                    _ => unreachable!(),
                },
                &format!("/api/v1/outbox/{email}"),
            )
            .await;
        if preview["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    c.expect(StatusCode::OK, &admin, "get", "/outbox/{id}", &[email], Body::None).await;
    assert_eq!(c.call(&admin, "get", "/outbox", &[], "?status=failed", Body::None).await.0, StatusCode::OK);
    c.expect(StatusCode::ACCEPTED, &admin, "post", "/outbox/{id}/retry", &[email], Body::None).await;
    c.expect(StatusCode::OK, &admin, "get", "/outbox", &[], Body::None).await;

    // Single sign-on's redirects, and errors (answered with the Error schema).
    let (status, _) = c.call(&none, "get", "/oidc/login", &[], "?next=/clusters", Body::None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = c.call(&none, "get", "/oidc/callback", &[], "?code=x&state=unknown", Body::None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    c.expect(StatusCode::NOT_FOUND, &ana, "get", "/clusters/{id}", &[999_999], Body::None).await;
    c.expect(StatusCode::UNAUTHORIZED, &none, "get", "/clusters", &[], Body::None).await;
    c.expect(StatusCode::BAD_REQUEST, &ana, "post", "/clusters", &[], Body::Json(json!({ "name": "" }))).await;
    c.expect(StatusCode::NO_CONTENT, &root, "delete", "/session", &[], Body::None).await;

    let response = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.unwrap();
    validate(backend, &document, &c.answers);
    compare_snapshots(&c);
}

/// Runs the validator over the document and the answers; fails with what it reports.
fn validate(backend: Backend, document: &Value, answers: &[Answer]) {
    require_npm_package("@seriousme/openapi-schema-validator", "the OpenAPI validator");
    let answers: Vec<Value> = answers
        .iter()
        .map(|answer| {
            json!({ "method": answer.method, "path": answer.path, "status": answer.status,
                    "content_type": answer.content_type, "body": answer.body })
        })
        .collect();
    let file = std::env::temp_dir().join(format!("rampart-contract-{}-{backend:?}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&json!({ "document": document, "answers": answers })).unwrap()).unwrap();
    let output = Command::new("node")
        .arg("contract/validate-openapi.mjs")
        .arg(&file)
        .current_dir(playwright_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run node ({error}); install Node.js, then run `cargo xtask test`"));
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(stdout.contains("openapi contract: "), "the validator did not run:\n{stdout}\n{stderr}");
    assert!(output.status.success(), "the API does not answer what its document declares:\n{stdout}\n{stderr}");
}

/// The operations whose first success answer is kept as a snapshot.
const SNAPSHOTS: &[(&str, &str)] = &[
    ("get", "/api/v1/auth/methods"),
    ("post", "/api/v1/setup"),
    ("post", "/api/v1/session"),
    ("get", "/api/v1/session"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/users"),
    ("get", "/api/v1/teams"),
    ("get", "/api/v1/teams/{id}"),
    ("get", "/api/v1/teams/{id}/members"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("get", "/api/v1/clusters"),
    ("post", "/api/v1/clusters"),
    ("post", "/api/v1/clusters/test"),
    ("get", "/api/v1/clusters/{id}"),
    ("get", "/api/v1/clusters/{id}/scans"),
    ("get", "/api/v1/scans/{id}"),
    ("get", "/api/v1/clusters/{id}/findings"),
    ("get", "/api/v1/clusters/{id}/trend"),
    ("get", "/api/v1/clusters/{id}/compliance"),
    ("get", "/api/v1/clusters/{id}/compliance.csv"),
    ("get", "/api/v1/exemptions/{id}"),
    ("get", "/api/v1/teams/{id}/exemptions"),
    ("get", "/api/v1/policies/{id}"),
    ("get", "/api/v1/policies/{id}/versions"),
    ("post", "/api/v1/clusters/{id}/agent-token"),
    ("get", "/api/v1/agent/instructions"),
    ("get", "/api/v1/teams/{id}/webhooks"),
    ("post", "/api/v1/teams/{id}/webhooks/{webhook}/test"),
    ("get", "/api/v1/subscriptions"),
    ("get", "/api/v1/outbox"),
];

fn snapshot_name(method: &str, path: &str) -> String {
    let path = path.trim_start_matches("/api/v1/").replace(['{', '}'], "").replace(['/', '.'], "_");
    format!("{method}_{path}.txt")
}

/// Each snapshot's answer, with what differs run by run replaced.
fn compare_snapshots(contract: &Contract) {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/api");
    let update = std::env::var_os("RAMPART_UPDATE_SNAPSHOTS").is_some();
    let mut mismatches = Vec::new();
    for (method, path) in SNAPSHOTS {
        let mut answers = contract
            .answers
            .iter()
            .filter(|answer| answer.method == *method && answer.path == *path && answer.status < 300);
        // A scan is polled until it ends: its last answer is the one that does not depend
        // on when the poll came.
        let answer = if *path == "/api/v1/scans/{id}" { answers.next_back() } else { answers.next() };
        let answer = answer.unwrap_or_else(|| panic!("no answer of {method} {path}"));
        let mut text = normalize(&answer.body);
        for (secret, placeholder) in &contract.secrets {
            text = text.replace(secret.as_str(), placeholder);
        }
        let file = directory.join(snapshot_name(method, path));
        if update {
            std::fs::create_dir_all(&directory).unwrap();
            std::fs::write(&file, format!("{text}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("{}: {error}; run with RAMPART_UPDATE_SNAPSHOTS=1", file.display()));
        if expected.strip_suffix('\n') != Some(text.as_str()) {
            mismatches.push(format!("{}:\n  expected {}\n  answered {text}", file.display(), expected.trim_end()));
        }
    }
    assert!(mismatches.is_empty(), "answers differ from their snapshots:\n{}", mismatches.join("\n"));
}

/// The answer with RFC 3339 times, dates, ISO weeks and durations replaced by placeholders,
/// everything else (key order, spacing, numbers) byte for byte.
fn normalize(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut out = String::with_capacity(body.len());
    let mut index = 0;
    let mut last_key = String::new();
    while index < bytes.len() {
        if bytes[index] == b'"' {
            let start = index;
            index += 1;
            while index < bytes.len() && bytes[index] != b'"' {
                index += if bytes[index] == b'\\' { 2 } else { 1 };
            }
            index = (index + 1).min(bytes.len());
            let token = &body[start..index];
            if token.len() < 2 {
                out.push_str(token);
                continue;
            }
            let inner = &token[1..token.len() - 1];
            let rest = body[index..].trim_start();
            if rest.starts_with(':') {
                last_key = inner.to_string();
                out.push_str(token);
            } else {
                out.push_str(&placeholder(inner).map(|p| format!("\"{p}\"")).unwrap_or_else(|| token.to_string()));
            }
        } else if bytes[index].is_ascii_digit() || bytes[index] == b'-' {
            let start = index;
            while index < bytes.len() && matches!(bytes[index], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                index += 1;
            }
            if VOLATILE_NUMBERS.contains(&last_key.as_str()) {
                out.push('0');
            } else {
                out.push_str(&body[start..index]);
            }
        } else {
            out.push(bytes[index] as char);
            index += 1;
        }
    }
    out
}

/// Numbers measured in time: how long findings took to resolve, how old they are.
const VOLATILE_NUMBERS: &[&str] = &["mean_seconds", "mean_days", "age_days", "duration_ms"];

fn placeholder(text: &str) -> Option<&'static str> {
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    let date = |part: &str| {
        let fields: Vec<&str> = part.split('-').collect();
        fields.len() == 3 && fields[0].len() == 4 && fields.iter().all(|field| digits(field))
    };
    if let Some((day, time)) = text.split_once('T') {
        if date(day) && time.ends_with('Z') && time.len() >= 9 && digits(&time[0..2]) {
            return Some("<time>");
        }
    }
    if date(text) {
        return Some("<date>");
    }
    if let Some((year, week)) = text.split_once("-W") {
        if digits(year) && year.len() == 4 && digits(week) {
            return Some("<week>");
        }
    }
    None
}

on_both_backends!(every_operation_answers_what_it_declares);
