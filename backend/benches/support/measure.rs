//! What more than one benchmark measures with: a process's CPU time from `/proc`, the CPU
//! of the PostgreSQL backends serving a store, and scratch databases made and dropped.

use rampart::store::Store;

/// A process's CPU time so far (user + system), in seconds: `/proc/PID/stat` in clock ticks
/// of 1/100 s (Linux's `USER_HZ`); 0 for a process that is gone. `pid` may be `self`.
pub fn process_cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |field: usize| fields.get(field).and_then(|value| value.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The CPU time so far of the PostgreSQL server processes serving the store's database
/// (its backends, one per connection: where PostgreSQL's share of a scan is spent), when
/// the store is PostgreSQL on this machine; `None` otherwise.
pub async fn database_cpu(store: &Store) -> Option<f64> {
    let Store::Postgres(pool) = store else { return None };
    let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        .fetch_all(pool)
        .await
        .ok()?;
    Some(pids.iter().map(|pid| process_cpu_seconds(&pid.to_string())).sum())
}

/// Runs one statement on the PostgreSQL server of `url` (creating or dropping a scratch
/// database).
pub async fn admin(url: &str, sql: &str) {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await.expect("PostgreSQL answers");
    sqlx::query(sql).execute(&pool).await.unwrap_or_else(|error| panic!("{sql}: {error}"));
    pool.close().await;
}
