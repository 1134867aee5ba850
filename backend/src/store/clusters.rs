//! Clusters: registered by a team, scanned from a snapshot upload, a kubeconfig or an API
//! URL. Every read here is scoped to a user's teams: a cluster of another team is simply
//! not found, which the API answers with 404.

use super::accounts::Role;
use super::{now_millis, on_pool, Store};

/// How a cluster's objects reach the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterKind {
    /// Uploads of `kubectl get … -o yaml` (or JSON) output.
    Snapshot,
    /// An API URL with a bearer token and a CA certificate.
    Api,
    /// A kubeconfig and the context to use.
    Kubeconfig,
    /// `rampart agent` inside the cluster delivers its objects (see [`super::agents`]).
    Agent,
}

impl ClusterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Snapshot => "snapshot",
            ClusterKind::Api => "api",
            ClusterKind::Kubeconfig => "kubeconfig",
            ClusterKind::Agent => "agent",
        }
    }

    pub fn parse(text: &str) -> Option<ClusterKind> {
        match text {
            "snapshot" => Some(ClusterKind::Snapshot),
            "api" => Some(ClusterKind::Api),
            "kubeconfig" => Some(ClusterKind::Kubeconfig),
            "agent" => Some(ClusterKind::Agent),
            _ => None,
        }
    }
}

/// A cluster as its team sees it (credentials are never read back out).
#[derive(Clone, Debug)]
pub struct Cluster {
    pub id: i64,
    pub team_id: i64,
    pub team: String,
    pub name: String,
    pub kind: ClusterKind,
    pub server: Option<String>,
    pub context: Option<String>,
    pub schedule: Option<String>,
    pub next_scan_at: Option<i64>,
    pub created_at: i64,
    /// The requesting user's role in the cluster's team.
    pub role: Role,
}

/// A cluster to register.
#[derive(Clone, Debug)]
pub struct NewCluster {
    pub team_id: i64,
    pub name: String,
    pub kind: ClusterKind,
    pub server: Option<String>,
    pub context: Option<String>,
    pub schedule: Option<String>,
    /// When the schedule next comes (Unix milliseconds).
    pub next_scan_at: Option<i64>,
    /// Already encrypted by the caller; stored as is.
    pub credentials: Option<Vec<u8>>,
}

/// Changes to a cluster: `None` leaves a field as it is. (A schedule changes with its next
/// scan time: [`Store::set_schedule`].)
#[derive(Clone, Debug, Default)]
pub struct ClusterChanges {
    pub name: Option<String>,
    pub server: Option<String>,
    pub context: Option<String>,
    pub credentials: Option<Vec<u8>>,
}

/// One line of the dashboard: a cluster with its latest results.
#[derive(Clone, Debug)]
pub struct ClusterOverview {
    pub id: i64,
    pub name: String,
    pub team: String,
    pub kind: ClusterKind,
    pub next_scan_at: Option<i64>,
    /// From the latest scan that finished with results (succeeded or partial).
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub counts: [i64; 5],
    /// Findings that scan opened and resolved, against the scans before it: `(new,
    /// resolved)`, `None` before the first such scan.
    pub changes: Option<(i64, i64)>,
    /// The latest scan, whatever its status.
    pub last_scan: Option<LastScan>,
    /// An agent cluster's agent: when it last asked for instructions or delivered, and
    /// its version.
    pub agent: Option<super::agents::AgentContact>,
}

/// A cluster's latest scan on the dashboard: a failed or partial one says why on its row.
#[derive(Clone, Debug)]
pub struct LastScan {
    pub id: i64,
    pub status: String,
    pub finished_at: Option<i64>,
    pub message: Option<String>,
    pub errors: Vec<super::scans::ScanError>,
}

const CLUSTER_COLUMNS: &str = "c.id, c.team_id, t.name AS team, c.name, c.kind, c.server, c.context, c.schedule, \
     c.next_scan_at, c.created_at, m.role";

/// A row of [`CLUSTER_COLUMNS`].
#[derive(sqlx::FromRow)]
struct ClusterRow {
    id: i64,
    team_id: i64,
    team: String,
    name: String,
    kind: String,
    server: Option<String>,
    context: Option<String>,
    schedule: Option<String>,
    next_scan_at: Option<i64>,
    created_at: i64,
    role: String,
}

impl From<ClusterRow> for Cluster {
    fn from(row: ClusterRow) -> Cluster {
        Cluster {
            id: row.id,
            team_id: row.team_id,
            team: row.team,
            name: row.name,
            kind: ClusterKind::parse(&row.kind).unwrap_or(ClusterKind::Snapshot),
            server: row.server,
            context: row.context,
            schedule: row.schedule,
            next_scan_at: row.next_scan_at,
            created_at: row.created_at,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
        }
    }
}

/// A row of [`Store::list_clusters`]'s query: the cluster, its latest scan with results
/// (`r`), its latest scan (`l`) and its agent (`a`), each `NULL` when there is none.
#[derive(sqlx::FromRow)]
struct OverviewRow {
    id: i64,
    name: String,
    team: String,
    kind: String,
    next_scan_at: Option<i64>,
    score: Option<i64>,
    grade: Option<String>,
    critical: Option<i64>,
    high: Option<i64>,
    medium: Option<i64>,
    low: Option<i64>,
    info: Option<i64>,
    new_findings: Option<i64>,
    resolved_findings: Option<i64>,
    last_id: Option<i64>,
    last_status: Option<String>,
    last_finished_at: Option<i64>,
    last_message: Option<String>,
    last_errors: Option<String>,
    agent_contact: Option<i64>,
    agent_version: Option<String>,
}

impl From<OverviewRow> for ClusterOverview {
    fn from(row: OverviewRow) -> ClusterOverview {
        let agent = (row.kind == "agent")
            .then_some(super::agents::AgentContact { last_contact_at: row.agent_contact, version: row.agent_version });
        ClusterOverview {
            id: row.id,
            name: row.name,
            team: row.team,
            kind: ClusterKind::parse(&row.kind).unwrap_or(ClusterKind::Snapshot),
            next_scan_at: row.next_scan_at,
            score: row.score,
            grade: row.grade,
            counts: [row.critical, row.high, row.medium, row.low, row.info].map(|count| count.unwrap_or(0)),
            changes: row.new_findings.zip(row.resolved_findings),
            last_scan: match (row.last_id, row.last_status) {
                (Some(id), Some(status)) => Some(LastScan {
                    id,
                    status,
                    finished_at: row.last_finished_at,
                    message: row.last_message,
                    errors: row.last_errors.and_then(|errors| serde_json::from_str(&errors).ok()).unwrap_or_default(),
                }),
                _ => None,
            },
            agent,
        }
    }
}

impl Store {
    /// Registers a cluster; a name taken in the team is a unique violation.
    pub async fn create_cluster(&self, cluster: &NewCluster) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO clusters (team_id, name, kind, server, context, schedule, next_scan_at, credentials, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(cluster.team_id)
            .bind(&cluster.name)
            .bind(cluster.kind.as_str())
            .bind(&cluster.server)
            .bind(&cluster.context)
            .bind(&cluster.schedule)
            .bind(cluster.next_scan_at)
            .bind(&cluster.credentials)
            .bind(now)
            .fetch_one(pool)
            .await
        })
    }

    /// The cluster, if it belongs to one of the user's teams.
    pub async fn cluster_for_user(&self, user_id: i64, cluster_id: i64) -> Result<Option<Cluster>, sqlx::Error> {
        let sql = format!(
            "SELECT {CLUSTER_COLUMNS} FROM clusters c JOIN teams t ON t.id = c.team_id \
             JOIN memberships m ON m.team_id = c.team_id AND m.user_id = $1 WHERE c.id = $2"
        );
        on_pool!(self, |pool| {
            let row = sqlx::query_as::<_, ClusterRow>(&sql).bind(user_id).bind(cluster_id).fetch_optional(pool);
            Ok(row.await?.map(Cluster::from))
        })
    }

    /// Applies the changes to a cluster (the caller has checked the user may).
    pub async fn update_cluster(&self, cluster_id: i64, changes: &ClusterChanges) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE clusters SET name = COALESCE($1, name), server = COALESCE($2, server), \
                 context = COALESCE($3, context), credentials = COALESCE($4, credentials) WHERE id = $5",
            )
            .bind(&changes.name)
            .bind(&changes.server)
            .bind(&changes.context)
            .bind(&changes.credentials)
            .bind(cluster_id)
            .execute(pool)
            .await
            .map(drop)
        })
    }

    /// The sealed credentials of a cluster (the caller has checked access).
    pub async fn cluster_credentials(&self, cluster_id: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, Option<Vec<u8>>>("SELECT credentials FROM clusters WHERE id = $1")
                .bind(cluster_id)
                .fetch_optional(pool)
                .await
                .map(Option::flatten)
        })
    }

    /// Stores a cluster's sealed credentials.
    pub async fn set_cluster_credentials(&self, cluster_id: i64, credentials: &[u8]) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE clusters SET credentials = $1 WHERE id = $2")
                .bind(credentials)
                .bind(cluster_id)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// Deletes a cluster with its scans and findings.
    pub async fn delete_cluster(&self, cluster_id: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM clusters WHERE id = $1").bind(cluster_id).execute(pool).await.map(drop)
        })
    }

    /// The clusters of the user's teams, by name, with their latest results. One row per
    /// cluster, each joined to two scans found through the `(cluster_id, id)` index: the
    /// page stays as fast with a year of scans as with one.
    pub async fn list_clusters(&self, user_id: i64) -> Result<Vec<ClusterOverview>, sqlx::Error> {
        const SQL: &str = "SELECT c.id, c.name, t.name AS team, c.kind, c.next_scan_at, \
             r.score, r.grade, r.critical, r.high, r.medium, r.low, r.info, \
             r.new_findings, r.resolved_findings, \
             l.id AS last_id, l.status AS last_status, l.finished_at AS last_finished_at, \
             l.message AS last_message, l.errors AS last_errors, \
             a.last_contact_at AS agent_contact, a.version AS agent_version \
             FROM clusters c JOIN teams t ON t.id = c.team_id \
             LEFT JOIN agents a ON a.cluster_id = c.id \
             JOIN memberships m ON m.team_id = c.team_id AND m.user_id = $1 \
             LEFT JOIN scans r ON r.id = (SELECT MAX(id) FROM scans \
                 WHERE cluster_id = c.id AND status IN ('succeeded', 'partial')) \
             LEFT JOIN scans l ON l.id = (SELECT MAX(id) FROM scans WHERE cluster_id = c.id) \
             ORDER BY c.name, c.id";
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, OverviewRow>(SQL).bind(user_id).fetch_all(pool).await?;
            Ok(rows.into_iter().map(ClusterOverview::from).collect())
        })
    }
}
