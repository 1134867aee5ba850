//! The store: everything the server keeps, in SQLite (the default, one file) or PostgreSQL
//! (for teams and several replicas), behind one [`Store`].
//!
//! A `Store` holds a typed pool per backend rather than sqlx's `Any` driver: each backend
//! keeps its own types (BOOLEAN, BYTEA, identity columns) and its own migrations, and the
//! queries, written once with `$N` placeholders that both understand, run through the
//! [`on_pool!`] macro, which expands the same code for each pool. Queries are bound at run
//! time (no `query!` macros), so building needs no database. Times are Unix milliseconds.
//!
//! Submodules group the queries by what they are about: [`accounts`] (users, teams,
//! tokens, sessions), [`clusters`], [`scans`] (scans and the findings lifecycle),
//! [`schedule`] (claiming due scans exactly once across replicas, heartbeats, interrupted
//! scans and their retries), [`exemptions`] (central exemptions and the team setting on
//! annotations), [`metrics`] (what `/metrics` reports), [`mail`] (subscriptions and the
//! outbox).

pub mod accounts;
pub mod agents;
pub mod clusters;
pub mod compliance;
pub mod exemptions;
pub mod mail;
pub mod metrics;
pub mod object_states;
pub mod oidc;
pub mod policies;
pub mod recording;
pub mod reports;
pub mod routing;
pub mod scans;
pub mod schedule;
pub mod webhooks;

use std::borrow::Cow;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Text as both backends store it: PostgreSQL cannot hold the NUL character, so it is
/// replaced with U+FFFD (�), on either backend, so a scan records the same thing on both.
/// For what comes from clusters and uploads (object names, annotations); what users type
/// into the API is refused instead.
pub fn storable(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Runs the same code on whichever pool the store holds: `on_pool!(store, |pool| …)`.
/// Inside, `pool` is a `&SqlitePool` or a `&PgPool`, and `sqlx::query_as::<_, T>` infers
/// the database from it.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The database: one pool of the backend `RAMPART_DATABASE_URL` names.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is neither `sqlite://…` nor `postgres://…`.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),
    /// The SQLite file could not be created.
    #[error("cannot create the SQLite database file {path}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The SQLite file's directory could not be created.
    #[error("cannot create the directory {path} for the SQLite database")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The database refused or could not be reached.
    #[error("cannot open the database {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed (or the database has migrations this build does not know).
    #[error("cannot migrate the database")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// Creates an empty file readable by its owner only (mode 0600), unless it exists: the
/// database holds password hashes and sealed credentials, and SQLite gives its -wal and
/// -shm files the database file's mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

impl Store {
    /// Opens the database the URL names, creating a SQLite file (and its directory) when
    /// it is missing, then runs the migrations.
    pub async fn open(url: &str) -> Result<Store, OpenError> {
        let store = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|source| OpenError::Connect { url: redact_url(url), source })?
                .create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                // With the WAL, NORMAL syncs at checkpoints rather than at every commit: a
                // crash of the process loses nothing, a power cut at most the last commits,
                // and a scan's many small transactions (one per batch) stay cheap.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10));
            let filename = options.get_filename();
            if let Some(directory) = filename.parent().filter(|parent| !parent.as_os_str().is_empty()) {
                if filename != Path::new(":memory:") {
                    std::fs::create_dir_all(directory)
                        .map_err(|source| OpenError::Directory { path: directory.display().to_string(), source })?;
                }
            }
            if filename != Path::new(":memory:") {
                create_private(filename)
                    .map_err(|source| OpenError::File { path: filename.display().to_string(), source })?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(|source| OpenError::Connect { url: redact_url(url), source })?;
            Store::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(|source| OpenError::Connect { url: redact_url(url), source })?;
            Store::Postgres(pool)
        } else {
            return Err(OpenError::UnsupportedUrl(redact_url(url)));
        };
        store.migrate().await?;
        store.rekey_findings().await.map_err(|source| OpenError::Connect { url: redact_url(url), source })?;
        Ok(store)
    }

    /// Applies the migrations this build embeds that the database lacks. On PostgreSQL
    /// sqlx takes an advisory lock, so replicas starting together migrate once.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        match self {
            Store::Sqlite(pool) => {
                match Migrator::new(Embedded(SQLITE_MIGRATIONS)).await.map_err(OpenError::Migrate)?.run(pool).await {
                    Ok(()) => widen_sqlite_cluster_kinds(pool)
                        .await
                        .map_err(|error| sqlx::migrate::MigrateError::ExecuteMigration(error, 12)),
                    failed => failed,
                }
            }
            Store::Postgres(pool) => {
                Migrator::new(Embedded(POSTGRES_MIGRATIONS)).await.map_err(OpenError::Migrate)?.run(pool).await
            }
        }
        .map_err(OpenError::Migrate)
    }

    /// `sqlite` or `postgres`, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Whether the database answers a trivial query (`/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(drop))
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

/// The clusters table as migration 0012 wants it on SQLite: `'agent'` among its kinds.
const SQLITE_CLUSTERS_WITH_AGENTS: &str = "
CREATE TABLE clusters_rebuilt (
    id INTEGER PRIMARY KEY,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'api', 'kubeconfig', 'agent')),
    server TEXT,
    context TEXT,
    -- Cron expression or interval; NULL: only scanned on demand (snapshot clusters).
    schedule TEXT,
    -- Encrypted credentials (kubeconfig, or token and CA); never returned by the API.
    credentials BLOB,
    next_scan_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (team_id, name)
);
INSERT INTO clusters_rebuilt (id, team_id, name, kind, server, context, schedule, credentials, next_scan_at, created_at)
    SELECT id, team_id, name, kind, server, context, schedule, credentials, next_scan_at, created_at FROM clusters;
DROP TABLE clusters;
ALTER TABLE clusters_rebuilt RENAME TO clusters;
CREATE INDEX clusters_next_scan ON clusters (next_scan_at);
";

/// Rebuilds SQLite's clusters table with `'agent'` among the kinds its CHECK allows, once
/// (see migrations/sqlite/0012_agents.sql): on a connection of its own with foreign keys
/// off, so that dropping the old table deletes nothing through ON DELETE CASCADE, in one
/// `IMMEDIATE` transaction, so that two processes opening the database do it once.
async fn widen_sqlite_cluster_kinds(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    const SCHEMA: &str = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'clusters'";
    let widened = |sql: String| sql.contains("'agent'");
    if widened(sqlx::query_scalar::<_, String>(SCHEMA).fetch_one(pool).await?) {
        return Ok(());
    }
    let mut connection = pool.acquire().await?;
    connection.execute("PRAGMA foreign_keys = OFF").await?;
    let rebuilt = async {
        connection.execute("BEGIN IMMEDIATE").await?;
        if !widened(sqlx::query_scalar::<_, String>(SCHEMA).fetch_one(&mut *connection).await?) {
            connection.execute(SQLITE_CLUSTERS_WITH_AGENTS).await?;
        }
        connection.execute("COMMIT").await.map(drop)
    }
    .await;
    if rebuilt.is_err() {
        let _ = connection.execute("ROLLBACK").await;
    }
    connection.execute("PRAGMA foreign_keys = ON").await?;
    rebuilt
}

/// The URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((credentials, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => format!("{scheme}://{credentials}@{host}"),
    }
}

/// Whether an error is a violated unique constraint (the HTTP layer answers 409).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database) if database.is_unique_violation())
}

/// The current time in Unix milliseconds, as every time column stores it.
pub fn now_millis() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}

/// `(version, description, SQL)` of each migration, embedded at build time so the binary
/// migrates without its source tree.
type EmbeddedMigrations = &'static [(i64, &'static str, &'static str)];

// `SQLITE_MIGRATIONS` and `POSTGRES_MIGRATIONS`: every `migrations/<backend>/NNNN_*.sql`,
// in version order (listed by the build script).
include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The embedded migrations as sqlx's migrator reads them (it records versions and
/// checksums in `_sqlx_migrations`, so a changed migration is refused, not re-run).
#[derive(Debug)]
struct Embedded(EmbeddedMigrations);

impl<'s> MigrationSource<'s> for Embedded {
    #[allow(clippy::type_complexity)]
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 's>> {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(*version, Cow::Borrowed(*description), MigrationType::Simple, Cow::Borrowed(*sql), false)
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_every_migration_the_other_has() {
        let versions = |migrations: EmbeddedMigrations| migrations.iter().map(|m| m.0).collect::<Vec<_>>();
        let sqlite = versions(SQLITE_MIGRATIONS);
        // PostgreSQL alone has 5: a fill factor SQLite has no equivalent of.
        let postgres: Vec<_> = versions(POSTGRES_MIGRATIONS).into_iter().filter(|&v| v != 5).collect();
        assert_eq!(sqlite, postgres);
        assert!(sqlite.windows(2).all(|pair| pair[0] < pair[1]) && sqlite.first() == Some(&1));
        assert!(SQLITE_MIGRATIONS.iter().any(|m| m.1 == "findings by difference" && m.2.contains("CREATE")));
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact_url("postgres://app:secret@db:5432/rampart"), "postgres://app:***@db:5432/rampart");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
        assert_eq!(redact_url("sqlite://rampart-data/rampart.db"), "sqlite://rampart-data/rampart.db");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_new_sqlite_database_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let directory = std::env::temp_dir().join(format!("rampart-mode-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let file = directory.join("data/rampart.db");
        let store = Store::open(&format!("sqlite://{}", file.display())).await.unwrap();
        store.create_user("ana@example.com", None, false).await.unwrap();
        for name in ["rampart.db", "rampart.db-wal", "rampart.db-shm"] {
            let mode = std::fs::metadata(directory.join("data").join(name)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{name} is {:o}", mode & 0o777);
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(&directory);
    }
}
