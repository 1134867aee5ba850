//! The scheduler's queries: scans owned by a runner (one per server process) that keeps
//! their heartbeat; claiming due clusters and queued retries so that, with several replicas
//! on one PostgreSQL database, each is taken by exactly one of them; and interrupting the
//! scans of a runner that stopped, with a retry in their place.
//!
//! Claims run in a transaction. On PostgreSQL the candidates are selected `FOR UPDATE SKIP
//! LOCKED`: a row another replica is claiming is locked, so it is skipped rather than
//! waited for, and by the time the lock is released the claim has moved it out of the
//! selection (the next scan time advanced, the scan owned). On SQLite the transaction
//! begins `IMMEDIATE`, taking the database's write lock before it reads: claims follow one
//! another, each seeing what the previous one wrote. Besides, a due cluster's next scan
//! time only advances while it is still due, and a cluster with a scan under way gets no
//! second one: each would keep a double claim out on its own.

use super::{now_millis, on_pool, Store};
use crate::cron::Schedule;

/// How many times a scan of a cluster is tried when its runner keeps stopping (a cluster
/// whose scan runs the server out of memory is not retried forever).
pub const MAX_ATTEMPTS: i64 = 3;

/// A scan a runner claimed and is to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimedScan {
    pub scan_id: i64,
    pub cluster_id: i64,
}

/// A scan marked interrupted, and the retry queued in its place when there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterruptedScan {
    pub scan_id: i64,
    pub cluster_id: i64,
    pub retry: Option<i64>,
}

/// Whose unfinished scans to interrupt.
#[derive(Clone, Copy, Debug)]
pub enum Abandoned<'a> {
    /// Scans whose heartbeat is older than `before` (Unix milliseconds): their runner
    /// stopped without saying so, or lost track of them.
    SilentBefore(i64),
    /// This runner's own, as it shuts down.
    OwnedBy(&'a str),
}

const INSERT_OWNED_SCAN: &str = "INSERT INTO scans (cluster_id, status, source, queued_at, runner, heartbeat_at) \
     VALUES ($1, 'queued', $2, $3, $4, $3) RETURNING id";

impl Store {
    /// How a claim begins its transaction, and the locking clause of its selection.
    fn claim_sql(&self, table: &str) -> (&'static str, String) {
        match self {
            Store::Sqlite(_) => ("BEGIN IMMEDIATE", String::new()),
            Store::Postgres(_) => ("BEGIN", format!(" FOR UPDATE OF {table} SKIP LOCKED")),
        }
    }

    /// Queues a scan of the cluster owned by `runner`, which starts it; `source` says what
    /// asked for it (`manual`, `snapshot`, `schedule`).
    pub async fn create_owned_scan(&self, cluster_id: i64, source: &str, runner: &str) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(INSERT_OWNED_SCAN)
                .bind(cluster_id)
                .bind(source)
                .bind(now)
                .bind(runner)
                .fetch_one(pool)
                .await
        })
    }

    /// Marks a queued scan of `runner` running; false when it is no longer that runner's
    /// to start (interrupted meanwhile, because the runner looked stopped).
    pub async fn begin_owned_scan(&self, scan_id: i64, runner: &str) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE scans SET status = 'running', started_at = $1, heartbeat_at = $1 \
                 WHERE id = $2 AND runner = $3 AND status = 'queued'",
            )
            .bind(now)
            .bind(scan_id)
            .bind(runner)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
        })
    }

    /// Says that `runner` is alive and still running these scans: their heartbeat is now.
    /// A scan the runner lost track of (its task ended without finishing it) is left out,
    /// goes stale and is retried.
    pub async fn heartbeat(&self, runner: &str, scan_ids: &[i64]) -> Result<u64, sqlx::Error> {
        if scan_ids.is_empty() {
            return Ok(0);
        }
        let now = now_millis();
        let ids: Vec<String> = scan_ids.iter().map(i64::to_string).collect();
        let sql = format!(
            "UPDATE scans SET heartbeat_at = $1 WHERE runner = $2 AND status IN ('queued', 'running') AND id IN ({})",
            ids.join(", ")
        );
        on_pool!(self, |pool| {
            sqlx::query(&sql).bind(now).bind(runner).execute(pool).await.map(|done| done.rows_affected())
        })
    }

    /// Sets a cluster's schedule (`None`: scanned only when asked) and its next scan time.
    pub async fn set_schedule(
        &self,
        cluster_id: i64,
        schedule: Option<&str>,
        next_scan_at: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE clusters SET schedule = $1, next_scan_at = $2 WHERE id = $3")
                .bind(schedule)
                .bind(next_scan_at)
                .bind(cluster_id)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// Claims up to `limit` clusters whose scan is due at `now`: advances each one's next
    /// scan time by its schedule and queues its scan, owned by `runner`. A cluster with a
    /// scan still queued or running is not scanned twice at once: that occurrence is
    /// skipped. A schedule that cannot be read (stored before schedules were checked)
    /// stops the cluster's scheduled scans until it is replaced.
    pub async fn claim_due_clusters(
        &self,
        runner: &str,
        now: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedScan>, sqlx::Error> {
        let (begin, lock) = self.claim_sql("clusters");
        let select = format!(
            "SELECT id, schedule, kind FROM clusters WHERE schedule IS NOT NULL AND kind <> 'snapshot' \
             AND next_scan_at <= $1 ORDER BY next_scan_at, id LIMIT $2{lock}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let due =
                sqlx::query_as::<_, (i64, String, String)>(&select).bind(now).bind(limit).fetch_all(&mut *tx).await?;
            let mut claimed = Vec::with_capacity(due.len());
            for (cluster_id, schedule, kind) in due {
                let next = match Schedule::parse(&schedule) {
                    Ok(schedule) => schedule.next_after(now),
                    Err(error) => {
                        tracing::warn!(
                            cluster = cluster_id,
                            schedule = %schedule,
                            error = %error,
                            "the cluster's schedule cannot be read: it is not scanned on schedule until \
                             PATCH /api/v1/clusters/{{id}} gives it another"
                        );
                        None
                    }
                };
                // Only while still due: whatever the locks, an occurrence is claimed once.
                let advanced =
                    sqlx::query("UPDATE clusters SET next_scan_at = $1 WHERE id = $2 AND next_scan_at <= $3")
                        .bind(next)
                        .bind(cluster_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                if advanced == 0 || next.is_none() {
                    continue;
                }
                let unfinished = sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM scans WHERE cluster_id = $1 AND status IN ('queued', 'running')",
                )
                .bind(cluster_id)
                .fetch_one(&mut *tx)
                .await?;
                if unfinished > 0 {
                    tracing::info!(
                        cluster = cluster_id,
                        "a scan of the cluster is under way: the scheduled one is skipped"
                    );
                    continue;
                }
                // An agent cluster's scan waits, owned by no runner, for its agent's delivery
                // (see `store::agents`); any other is this runner's to run.
                let agent = kind == "agent";
                let scan_id = sqlx::query_scalar::<_, i64>(INSERT_OWNED_SCAN)
                    .bind(cluster_id)
                    .bind("schedule")
                    .bind(now)
                    .bind((!agent).then_some(runner))
                    .fetch_one(&mut *tx)
                    .await?;
                if !agent {
                    claimed.push(ClaimedScan { scan_id, cluster_id });
                }
            }
            tx.commit().await?;
            Ok(claimed)
        })
    }

    /// Claims up to `limit` queued scans that no runner owns (retries of interrupted
    /// scans) for `runner`, oldest first. An agent cluster's wait for its agent instead.
    pub async fn claim_queued_scans(&self, runner: &str, limit: i64) -> Result<Vec<ClaimedScan>, sqlx::Error> {
        let now = now_millis();
        let (begin, lock) = self.claim_sql("s");
        let select = format!(
            "SELECT s.id, s.cluster_id FROM scans s JOIN clusters c ON c.id = s.cluster_id \
             WHERE s.status = 'queued' AND s.runner IS NULL AND c.kind NOT IN ('snapshot', 'agent') \
             ORDER BY s.id LIMIT $1{lock}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let queued = sqlx::query_as::<_, (i64, i64)>(&select).bind(limit).fetch_all(&mut *tx).await?;
            for (scan_id, _) in &queued {
                sqlx::query("UPDATE scans SET runner = $1, heartbeat_at = $2 WHERE id = $3")
                    .bind(runner)
                    .bind(now)
                    .bind(scan_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(queued.into_iter().map(|(scan_id, cluster_id)| ClaimedScan { scan_id, cluster_id }).collect())
        })
    }

    /// Marks the abandoned scans interrupted (at most 100 a call) and queues a retry of
    /// each, for any runner to claim: unless it was a snapshot's (its text is gone), it has
    /// been tried [`MAX_ATTEMPTS`] times, or another scan of its cluster is under way.
    pub async fn interrupt_abandoned_scans(
        &self,
        abandoned: Abandoned<'_>,
    ) -> Result<Vec<InterruptedScan>, sqlx::Error> {
        let now = now_millis();
        let (owner, before, stopped) = match abandoned {
            Abandoned::SilentBefore(before) => (None, before, "stopped"),
            Abandoned::OwnedBy(runner) => (Some(runner), i64::MAX, "was shut down"),
        };
        let (begin, lock) = self.claim_sql("s");
        // `runner IS NOT NULL`: a queued retry waits for a claim, not for a heartbeat.
        let select = format!(
            "SELECT s.id, s.cluster_id, s.attempt, c.kind FROM scans s JOIN clusters c ON c.id = s.cluster_id \
             WHERE s.status IN ('queued', 'running') AND s.runner IS NOT NULL AND ($1 IS NULL OR s.runner = $1) \
             AND COALESCE(s.heartbeat_at, s.queued_at) < $2 ORDER BY s.id LIMIT 100{lock}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin_with(begin).await?;
            let abandoned = sqlx::query_as::<_, (i64, i64, i64, String)>(&select)
                .bind(owner)
                .bind(before)
                .fetch_all(&mut *tx)
                .await?;
            let mut interrupted = Vec::with_capacity(abandoned.len());
            for (scan_id, cluster_id, attempt, kind) in abandoned {
                let retry = if kind != "snapshot" && attempt < MAX_ATTEMPTS {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO scans (cluster_id, status, source, queued_at, attempt, retry_of) \
                         SELECT $1, 'queued', 'retry', $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM scans \
                         WHERE cluster_id = $1 AND status IN ('queued', 'running') AND id <> $4) RETURNING id",
                    )
                    .bind(cluster_id)
                    .bind(now)
                    .bind(attempt + 1)
                    .bind(scan_id)
                    .fetch_optional(&mut *tx)
                    .await?
                } else {
                    None
                };
                let message = match retry {
                    Some(retry) => {
                        format!("the server running this scan {stopped} before it finished; retried as scan {retry}")
                    }
                    None if kind == "snapshot" => {
                        format!(
                            "the server checking this snapshot {stopped} before it finished; upload the export again"
                        )
                    }
                    None if attempt >= MAX_ATTEMPTS => format!(
                        "the server running this scan {stopped} before it finished, {attempt} times in a row; not \
                         retried again: look for what stops the server (its memory, its log), then start a scan with \
                         POST /api/v1/clusters/{cluster_id}/scans"
                    ),
                    None => format!(
                        "the server running this scan {stopped} before it finished; another scan of the cluster is \
                         under way"
                    ),
                };
                sqlx::query("UPDATE scans SET status = 'interrupted', finished_at = $1, message = $2 WHERE id = $3")
                    .bind(now)
                    .bind(&message)
                    .bind(scan_id)
                    .execute(&mut *tx)
                    .await?;
                interrupted.push(InterruptedScan { scan_id, cluster_id, retry });
            }
            tx.commit().await?;
            Ok(interrupted)
        })
    }
}
