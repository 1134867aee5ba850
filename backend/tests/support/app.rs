//! The server as black-box tests run it: the real application on 127.0.0.1 port 0, against
//! a fresh SQLite file or a fresh PostgreSQL database (created for the test, dropped after),
//! driven over real HTTP, with helpers for users, requests and snapshot scans.
//!
//! PostgreSQL comes from `RAMPART_TEST_POSTGRES_URL` (a server where the user may create
//! databases), which `cargo xtask test` sets after making sure a server runs. Without it the
//! PostgreSQL tests fail, saying so: a skipped backend would hide a broken store.

#![allow(dead_code)] // Each test binary uses the part it needs.

use std::time::{Duration, Instant};

use rampart::startup::{Application, Settings};
use rampart::store::accounts::Role;
use rampart::store::Store;
use reqwest::StatusCode;
use serde_json::Value;

pub const POSTGRES_VARIABLE: &str = "RAMPART_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server with its own database, removed when the value is dropped.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub setup_token: Option<String>,
    pub database: TestDatabase,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

pub enum TestDatabase {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

pub fn random_suffix() -> String {
    rampart::store::accounts::random_hex(6)
}

/// The URL with its database (the last path segment) replaced.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (server, _) = base.rsplit_once('/').expect("a postgres:// URL has a path");
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    rampart::telemetry::init_for_tests();
    let (database_url, database) = match backend {
        Backend::Sqlite => {
            let directory = std::env::temp_dir().join(format!("rampart-test-{}", random_suffix()));
            let url = format!("sqlite://{}/rampart.db", directory.display());
            (url, TestDatabase::Sqlite(directory))
        }
        Backend::Postgres => {
            let admin_url = std::env::var(POSTGRES_VARIABLE).unwrap_or_else(|_| {
                panic!(
                    "{POSTGRES_VARIABLE} is not set: the PostgreSQL store tests need a server. Run them with \
                     `cargo xtask test`, which starts one and sets it, or set it yourself, e.g. \
                     {POSTGRES_VARIABLE}=postgres://postgres@127.0.0.1:5432/postgres"
                )
            });
            let name = format!("rampart_test_{}", random_suffix());
            let admin = Store::open_unmigrated_postgres(&admin_url).await;
            admin.execute_admin(&format!("CREATE DATABASE {name}")).await;
            admin.close().await;
            (with_database(&admin_url, &name), TestDatabase::Postgres { admin_url, name })
        }
    };
    let key_directory = std::env::temp_dir().join(format!("rampart-test-key-{}", random_suffix()));
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url,
        web_root: None,
        secret_key: None,
        key_file: key_directory.join("secret.key"),
    };
    let app = Application::build(&settings).await.expect("the application starts");
    assert!(key_directory.join("secret.key").exists(), "the key file is created at start");
    let _ = std::fs::remove_dir_all(&key_directory);
    let base = format!("http://{}", app.address());
    let store = app.store().clone();
    let setup_token = app.setup_token().map(str::to_string);
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp { base, client: reqwest::Client::new(), store, setup_token, database, shutdown: Some(shutdown) }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match &self.database {
            TestDatabase::Sqlite(directory) => {
                let _ = std::fs::remove_dir_all(directory);
            }
            TestDatabase::Postgres { admin_url, name } => {
                // Dropping needs async and this is a destructor: a thread with its own runtime.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let store = self.store.clone();
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(async {
                        store.close().await;
                        let admin = Store::open_unmigrated_postgres(&admin_url).await;
                        admin.execute_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                        admin.close().await;
                    });
                })
                .join()
                .expect("the test database is dropped");
            }
        }
    }
}

/// Test-only helpers on the store: a connection to the server's maintenance database.
pub trait AdminStore {
    async fn open_unmigrated_postgres(url: &str) -> Store;
    async fn execute_admin(&self, sql: &str);
}

impl AdminStore for Store {
    async fn open_unmigrated_postgres(url: &str) -> Store {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await
            .unwrap_or_else(|error| panic!("cannot connect to PostgreSQL at {url}: {error}"));
        Store::Postgres(pool)
    }

    async fn execute_admin(&self, sql: &str) {
        let Store::Postgres(pool) = self else { unreachable!() };
        sqlx::query(sql).execute(pool).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
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

/// Runs each scenario (an `async fn(Backend)` in scope) as a test on SQLite and as one on
/// PostgreSQL, in modules `sqlite` and `postgres`.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::Postgres).await;
                }
            )*
        }
    };
}
