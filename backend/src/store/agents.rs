//! Agent clusters: the token of each cluster's agent (stored as its SHA-256, shown once),
//! what the agent last reported, and the scans waiting for its delivery.
//!
//! An agent cluster's scans are queued like any other (by its schedule, "scan now", or a
//! retry of an interrupted scan) but with no runner: no replica lists such a cluster
//! itself. The agent asks for its instructions ([`Store::agent_pending_scan`]) and delivers
//! a scan; the replica that receives the delivery claims the scan for its runner with one
//! conditional update ([`Store::claim_agent_scan`]), so a scan is taken once whichever
//! replica the agent reaches and however often it retries. From then on the scan is the
//! runner's like any other: heartbeats, interruption and retry when the replica stops.

use super::accounts::secret_hash;
use super::{now_millis, on_pool, Store};
use crate::secrets::random_hex;

/// What every agent token starts with: a token of another kind is told apart at a glance
/// (and an agent token sent to another endpoint is answered 403, not 401).
pub const AGENT_TOKEN_PREFIX: &str = "rmpa_";

/// An agent's last contact with the server and the version it reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentContact {
    pub last_contact_at: Option<i64>,
    pub version: Option<String>,
}

/// What an agent token opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentToken {
    /// A token in force: the one cluster it delivers for.
    Cluster(i64),
    /// A token that was revoked (or replaced).
    Revoked,
    /// No agent token has that hash.
    Unknown,
}

/// Whether a scan could be claimed for a delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentClaim {
    /// Claimed for the runner: deliver.
    Claimed,
    /// The scan is another cluster's (or no scan has that id).
    NotThisCluster,
    /// The scan is not waiting for a delivery: delivered, under way, or given up.
    NotWaiting,
}

impl Store {
    /// Issues a new token for the cluster's agent, replacing (and so revoking) any former
    /// one; the token itself, which is not stored.
    pub async fn issue_agent_token(&self, cluster_id: i64) -> Result<String, sqlx::Error> {
        let token = format!("{AGENT_TOKEN_PREFIX}{}", random_hex(32));
        let hash = secret_hash(&token);
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO agents (cluster_id, token_hash, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (cluster_id) DO UPDATE SET token_hash = excluded.token_hash, \
                 created_at = excluded.created_at, revoked_at = NULL",
            )
            .bind(cluster_id)
            .bind(&hash)
            .bind(now)
            .execute(pool)
            .await
            .map(drop)
        })?;
        Ok(token)
    }

    /// Revokes the cluster's agent token: the agent is refused (401) from now on.
    pub async fn revoke_agent_token(&self, cluster_id: i64) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query("UPDATE agents SET revoked_at = $1 WHERE cluster_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(cluster_id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected() == 1)
        })
    }

    /// The cluster an agent token delivers for.
    pub async fn agent_token(&self, token: &str) -> Result<AgentToken, sqlx::Error> {
        if !token.starts_with(AGENT_TOKEN_PREFIX) {
            return Ok(AgentToken::Unknown);
        }
        let hash = secret_hash(token);
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, Option<i64>)>("SELECT cluster_id, revoked_at FROM agents WHERE token_hash = $1")
                .bind(&hash)
                .fetch_optional(pool)
                .await
        })?;
        Ok(match row {
            Some((cluster_id, None)) => AgentToken::Cluster(cluster_id),
            Some((_, Some(_))) => AgentToken::Revoked,
            None => AgentToken::Unknown,
        })
    }

    /// Records that the cluster's agent was in contact now, running `version`.
    pub async fn agent_contact(&self, cluster_id: i64, version: Option<&str>) -> Result<(), sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query("UPDATE agents SET last_contact_at = $1, version = COALESCE($2, version) WHERE cluster_id = $3")
                .bind(now)
                .bind(version)
                .bind(cluster_id)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// The agent's last contact and version.
    pub async fn agent_of(&self, cluster_id: i64) -> Result<Option<AgentContact>, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query_as::<_, (Option<i64>, Option<String>)>(
                "SELECT last_contact_at, version FROM agents WHERE cluster_id = $1",
            )
            .bind(cluster_id)
            .fetch_optional(pool)
            .await
            .map(|row| row.map(|(last_contact_at, version)| AgentContact { last_contact_at, version }))
        })
    }

    /// Queues a scan of an agent cluster for its agent to deliver (`source`: `manual`,
    /// `schedule`); the scan's id, or `None` when one is already queued or under way.
    pub async fn queue_agent_scan(&self, cluster_id: i64, source: &str) -> Result<Option<i64>, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO scans (cluster_id, status, source, queued_at) SELECT $1, 'queued', $2, $3 \
                 WHERE NOT EXISTS (SELECT 1 FROM scans WHERE cluster_id = $1 AND status IN ('queued', 'running')) \
                 RETURNING id",
            )
            .bind(cluster_id)
            .bind(source)
            .bind(now)
            .fetch_optional(pool)
            .await
        })
    }

    /// The oldest scan of the cluster waiting for its agent's delivery.
    pub async fn agent_pending_scan(&self, cluster_id: i64) -> Result<Option<i64>, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM scans WHERE cluster_id = $1 AND status = 'queued' AND runner IS NULL \
                 ORDER BY id LIMIT 1",
            )
            .bind(cluster_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// Claims a queued scan of the cluster for `runner`, which then runs it from the
    /// agent's delivery. One conditional update: of two deliveries of one scan (two
    /// replicas, or an agent retrying), exactly one claims it.
    pub async fn claim_agent_scan(
        &self,
        cluster_id: i64,
        scan_id: i64,
        runner: &str,
    ) -> Result<AgentClaim, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let claimed = sqlx::query(
                "UPDATE scans SET runner = $1, heartbeat_at = $2 \
                 WHERE id = $3 AND cluster_id = $4 AND status = 'queued' AND runner IS NULL",
            )
            .bind(runner)
            .bind(now)
            .bind(scan_id)
            .bind(cluster_id)
            .execute(pool)
            .await?
            .rows_affected();
            if claimed == 1 {
                return Ok(AgentClaim::Claimed);
            }
            let owner = sqlx::query_scalar::<_, i64>("SELECT cluster_id FROM scans WHERE id = $1")
                .bind(scan_id)
                .fetch_optional(pool)
                .await?;
            Ok(if owner == Some(cluster_id) { AgentClaim::NotWaiting } else { AgentClaim::NotThisCluster })
        })
    }
}

#[cfg(test)]
mod tests {
    use sqlx::migrate::Migrator;

    use super::*;

    /// A SQLite database made before agents existed keeps its clusters and scans (and so
    /// their findings) when the clusters table is rebuilt with 'agent' among its kinds, and takes agent
    /// clusters afterwards.
    #[tokio::test]
    async fn sqlite_clusters_are_rebuilt_for_agents_without_losing_anything() {
        let directory = std::env::temp_dir().join(format!("rampart-agents-{}", random_hex(4)));
        std::fs::create_dir_all(&directory).unwrap();
        let url = format!("sqlite://{}/old.db", directory.display());
        {
            let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
                .unwrap()
                .create_if_missing(true)
                .foreign_keys(true);
            let pool = sqlx::sqlite::SqlitePoolOptions::new().connect_with(options).await.unwrap();
            let before: Vec<_> = super::super::SQLITE_MIGRATIONS.iter().copied().filter(|m| m.0 < 12).collect();
            let migrations: &'static [(i64, &'static str, &'static str)] = Box::leak(before.into_boxed_slice());
            Migrator::new(super::super::Embedded(migrations)).await.unwrap().run(&pool).await.unwrap();
            for sql in [
                "INSERT INTO teams (id, name, created_at) VALUES (1, 'red', 0)",
                "INSERT INTO clusters (id, team_id, name, kind, schedule, next_scan_at, created_at) \
                 VALUES (1, 1, 'prod', 'api', '@every 1h', 5, 0)",
                "INSERT INTO scans (id, cluster_id, status, source, queued_at, finished_at) \
                 VALUES (1, 1, 'succeeded', 'manual', 0, 1000)",
            ] {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            assert!(
                sqlx::query("INSERT INTO clusters (team_id, name, kind, created_at) VALUES (1, 'x', 'agent', 0)")
                    .execute(&pool)
                    .await
                    .is_err(),
                "the old CHECK refuses agent clusters"
            );
            pool.close().await;
        }
        let store = Store::open(&url).await.unwrap();
        let Store::Sqlite(pool) = &store else { panic!() };
        let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap() };
        assert_eq!(count("SELECT COUNT(*) FROM clusters").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM scans").await, 1);
        assert_eq!(count("SELECT next_scan_at FROM clusters WHERE id = 1").await, 5);
        sqlx::query("INSERT INTO clusters (team_id, name, kind, created_at) VALUES (1, 'edge', 'agent', 0)")
            .execute(pool)
            .await
            .unwrap();
        // Foreign keys still hold: deleting the cluster deletes its scans.
        sqlx::query("DELETE FROM clusters WHERE id = 1").execute(pool).await.unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM scans").await, 0);
        // Opening again changes nothing.
        store.close().await;
        let store = Store::open(&url).await.unwrap();
        store.close().await;
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[tokio::test]
    async fn agent_tokens_are_stored_hashed_open_one_cluster_and_stop_when_revoked() {
        let directory = std::env::temp_dir().join(format!("rampart-agent-tokens-{}", random_hex(4)));
        let store = Store::open(&format!("sqlite://{}/a.db", directory.display())).await.unwrap();
        let team = store.ensure_team("red").await.unwrap();
        let cluster = |name: &str| super::super::clusters::NewCluster {
            team_id: team,
            name: name.into(),
            kind: super::super::clusters::ClusterKind::Agent,
            server: None,
            context: None,
            schedule: None,
            next_scan_at: None,
            credentials: None,
        };
        let (one, two) = (
            store.create_cluster(&cluster("one")).await.unwrap(),
            store.create_cluster(&cluster("two")).await.unwrap(),
        );
        let token = store.issue_agent_token(one).await.unwrap();
        let Store::Sqlite(pool) = &store else { panic!() };
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM agents").fetch_one(pool).await.unwrap();
        assert!(!stored.contains(&token) && stored == secret_hash(&token));
        assert_eq!(store.agent_token(&token).await.unwrap(), AgentToken::Cluster(one));
        assert_eq!(store.agent_token("rmp_user-token").await.unwrap(), AgentToken::Unknown);

        let scan = store.queue_agent_scan(one, "manual").await.unwrap().unwrap();
        assert_eq!(store.queue_agent_scan(one, "manual").await.unwrap(), None, "one at a time");
        assert_eq!(store.agent_pending_scan(one).await.unwrap(), Some(scan));
        assert_eq!(store.claim_agent_scan(two, scan, "r1").await.unwrap(), AgentClaim::NotThisCluster);
        assert_eq!(store.claim_agent_scan(one, scan, "r1").await.unwrap(), AgentClaim::Claimed);
        assert_eq!(store.claim_agent_scan(one, scan, "r2").await.unwrap(), AgentClaim::NotWaiting, "claimed once");
        assert_eq!(store.agent_pending_scan(one).await.unwrap(), None);

        assert!(store.revoke_agent_token(one).await.unwrap());
        assert_eq!(store.agent_token(&token).await.unwrap(), AgentToken::Revoked);
        let fresh = store.issue_agent_token(one).await.unwrap();
        assert_eq!(store.agent_token(&fresh).await.unwrap(), AgentToken::Cluster(one));
        assert_eq!(store.agent_token(&token).await.unwrap(), AgentToken::Unknown, "the old token is gone");
        store.close().await;
        let _ = std::fs::remove_dir_all(&directory);
    }
}
