//! Fresh databases for the server's black-box tests: a SQLite file in a new temporary
//! directory, or a new PostgreSQL database on the server `RAMPART_TEST_POSTGRES_URL` names
//! (a server where the user may create databases), which `cargo xtask test` sets after
//! making sure a server runs. Without it the PostgreSQL tests fail, saying so: a skipped
//! backend would hide a broken store. A database is removed when its value is dropped.

#![allow(dead_code)] // Each test binary uses the part it needs.

use std::path::PathBuf;

use rampart::store::Store;

pub const POSTGRES_VARIABLE: &str = "RAMPART_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database made for one test.
pub enum TestDatabase {
    /// The directory holding `rampart.db`.
    Sqlite(PathBuf),
    Postgres {
        admin_url: String,
        name: String,
    },
}

pub fn random_suffix() -> String {
    rampart::secrets::random_hex(6)
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

impl TestDatabase {
    /// A new, empty database of the backend (migrated by whoever opens it first).
    pub async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                TestDatabase::Sqlite(std::env::temp_dir().join(format!("rampart-test-{}", random_suffix())))
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
                TestDatabase::Postgres { admin_url, name }
            }
        }
    }

    /// The URL `rampart serve` takes (`RAMPART_DATABASE_URL`).
    pub fn url(&self) -> String {
        match self {
            TestDatabase::Sqlite(directory) => format!("sqlite://{}/rampart.db", directory.display()),
            TestDatabase::Postgres { admin_url, name } => with_database(admin_url, name),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite(directory) => {
                let _ = std::fs::remove_dir_all(directory);
            }
            TestDatabase::Postgres { admin_url, name } => {
                // Dropping needs async and this is a destructor: a thread with its own
                // runtime. FORCE ends the sessions of servers still connected.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    runtime.block_on(async {
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

/// Runs each scenario (an `async fn(Backend)` of the test file) as two tests,
/// `sqlite::NAME` and `postgres::NAME`.
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

#[test]
fn database_urls_swap_their_database() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "y"), "postgres://u:p@h/y?sslmode=disable");
}
