//! The server as black-box tests run it: the real application on 127.0.0.1 port 0, against
//! a fresh SQLite file or a fresh PostgreSQL database (created for the test, dropped after),
//! driven over real HTTP, with helpers for users, requests and snapshot scans.
//!
//! The databases come from `databases.rs` (PostgreSQL from `RAMPART_TEST_POSTGRES_URL`).

#![allow(dead_code)] // Each test binary uses the part it needs.

pub use super::databases;

pub use databases::{Backend, TestDatabase};

use std::time::{Duration, Instant};

use rampart::mail::{MailSettings, Mailer};
use rampart::outbound::OutboundPolicy;
use rampart::startup::{Application, Settings};
use rampart::store::accounts::Role;
use rampart::store::Store;
use reqwest::StatusCode;
use serde_json::Value;

/// A running server with its own database, removed when the value is dropped.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub setup_token: Option<String>,
    pub database: TestDatabase,
    /// The mailer the server runs (a clone: rounds of it can be driven by the test too).
    pub mailer: Mailer,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// The server as a lab runs it (`outbound-lab`): the fake API servers the tests start
/// listen on 127.0.0.1, over plain HTTP.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with_mail(backend, &MailSettings::default()).await
}

/// The server with mail settings of the test's own (an SMTP server, short intervals).
pub async fn spawn_app_with_mail(backend: Backend, mail: &MailSettings) -> TestApp {
    spawn_app_configured(backend, mail, |_| {}).await
}

/// The server with an outbound policy of the test's own (the default one to test it).
pub async fn spawn_app_with_outbound(backend: Backend, outbound: OutboundPolicy) -> TestApp {
    spawn_app_configured(backend, &MailSettings::default(), move |settings| settings.outbound = outbound).await
}

/// The server with settings of the test's own (single sign-on, an outbound policy, …) over
/// the local ones, whose outbound policy lets tests reach their fakes on loopback.
pub async fn spawn_app_configured(
    backend: Backend,
    mail: &MailSettings,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    rampart::telemetry::init_for_tests();
    let database = TestDatabase::create(backend).await;
    let database_url = database.url();
    let key_directory = std::env::temp_dir().join(format!("rampart-test-key-{}", databases::random_suffix()));
    let mut settings =
        Settings { outbound: OutboundPolicy::lab(), ..Settings::local(database_url, key_directory.join("secret.key")) };
    configure(&mut settings);
    let app = Application::build_with_mail(&settings, mail).await.expect("the application starts");
    if settings.secret_key.is_none() {
        assert!(key_directory.join("secret.key").exists(), "the key file is created at start");
    }
    let _ = std::fs::remove_dir_all(&key_directory);
    let base = format!("http://{}", app.address());
    let store = app.store().clone();
    let setup_token = app.setup_token().map(str::to_string);
    let mailer = app.mailer().clone();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp { base, client: reqwest::Client::new(), store, setup_token, database, mailer, shutdown: Some(shutdown) }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl TestApp {
    /// A user in a team with a role, and a token for them.
    pub async fn user(&self, email: &str, team: &str, role: Role) -> String {
        let user_id = self.store.create_user(email, None, false).await.unwrap();
        let team_id = self.store.ensure_team(team).await.unwrap();
        self.store.set_membership(team_id, user_id, role).await.unwrap();
        self.store.create_token(user_id, "test").await.unwrap().1
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self.client.put(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn patch(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self.client.patch(self.url(path)).bearer_auth(token).json(body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn delete(&self, token: &str, path: &str) -> StatusCode {
        self.client.delete(self.url(path)).bearer_auth(token).send().await.unwrap().status()
    }

    /// Registers a snapshot cluster named `name`: its id.
    pub async fn snapshot_cluster(&self, token: &str, name: &str) -> i64 {
        let (status, cluster) =
            self.post(token, "/api/v1/clusters", &serde_json::json!({ "name": name, "snapshot": true })).await;
        assert_eq!(status, StatusCode::CREATED, "{cluster}");
        cluster["id"].as_i64().unwrap()
    }

    pub async fn upload(&self, token: &str, cluster: i64, snapshot: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(&format!("/api/v1/clusters/{cluster}/snapshots")))
            .bearer_auth(token)
            .header("content-type", "application/yaml")
            .body(snapshot.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Uploads a snapshot and waits for its scan to finish.
    pub async fn scan_snapshot(&self, token: &str, cluster: i64, snapshot: &str) -> Value {
        let (status, body) = self.upload(token, cluster, snapshot).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        self.wait_for_scan(token, body["id"].as_i64().expect("the scan's id")).await
    }

    /// Polls a scan until it is neither queued nor running.
    /// Scans a cluster through its API now and waits for the scan to finish.
    pub async fn scan_now(&self, token: &str, cluster: i64) -> Value {
        let (status, body) =
            self.post(token, &format!("/api/v1/clusters/{cluster}/scans"), &serde_json::json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        self.wait_for_scan(token, body["id"].as_i64().expect("the scan's id")).await
    }

    pub async fn wait_for_scan(&self, token: &str, scan: i64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.get(token, &format!("/api/v1/scans/{scan}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            if !matches!(body["status"].as_str(), Some("queued" | "running")) {
                return body;
            }
            assert!(Instant::now() < deadline, "scan {scan} did not finish: {body}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// What the engine reports for a snapshot, run as a scan of a snapshot runs it.
pub fn check_snapshot(snapshot: &str) -> rampart_core::Report {
    rampart_core::check(&[rampart_core::Source::new("snapshot", snapshot)], &rampart::scan_runner::cluster_options())
}
