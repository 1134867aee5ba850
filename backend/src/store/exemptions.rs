//! What exempts findings from counting: central exemptions (granted by a team's editors,
//! with a reason, for one cluster or all of the team's, and any rule, namespace, kind and
//! name — each may be "all") and the team setting that says whether `rampart.dev/ignore`
//! annotations are honoured at all.
//!
//! Reads are scoped to the user's teams like clusters: another team's exemption is not
//! found. At each scan the runner reads the cluster's [`ExemptionPolicy`]: the exemptions
//! that apply to it and have not expired, so an expired one stops applying at the next
//! scan and its findings reopen.

use super::accounts::Role;
use super::{now_millis, on_pool, Store};

/// What an exemption matches; `None` is "all".
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Matcher {
    pub rule: Option<String>,
    pub namespace: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
}

/// An exemption as a member of its team sees it.
#[derive(Clone, Debug)]
pub struct Exemption {
    pub id: i64,
    pub team_id: i64,
    pub team: String,
    /// `None`: every cluster of the team.
    pub cluster: Option<(i64, String)>,
    pub matcher: Matcher,
    pub reason: String,
    /// `(id, email)` of who granted it, while that user exists.
    pub author: Option<(i64, String)>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// The requesting user's role in the team.
    pub role: Role,
}

impl Exemption {
    /// Whether it still applies at `now`.
    pub fn active_at(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|expires_at| expires_at > now)
    }
}

/// An exemption to grant.
#[derive(Clone, Debug)]
pub struct NewExemption {
    pub team_id: i64,
    pub cluster_id: Option<i64>,
    pub matcher: Matcher,
    pub reason: String,
    pub author_id: i64,
    pub expires_at: Option<i64>,
}

/// What a scan of one cluster is to exempt.
#[derive(Clone, Debug)]
pub struct ExemptionPolicy {
    /// The team's `honor_annotation_exemptions`.
    pub honor_annotations: bool,
    /// The exemptions in force, as the engine takes them; each reason names its exemption.
    pub exemptions: Vec<rampart_core::Exemption>,
}

const EXEMPTION_COLUMNS: &str = "e.id, e.team_id, t.name AS team, e.cluster_id, c.name AS cluster, e.rule, \
     e.namespace, e.kind, e.name, e.reason, e.author_id, u.email AS author, e.created_at, e.expires_at, m.role";

/// The joins behind [`EXEMPTION_COLUMNS`], scoped to the user bound as `$1`.
const EXEMPTION_JOINS: &str = "FROM exemptions e JOIN teams t ON t.id = e.team_id \
     JOIN memberships m ON m.team_id = e.team_id AND m.user_id = $1 \
     LEFT JOIN clusters c ON c.id = e.cluster_id LEFT JOIN users u ON u.id = e.author_id";

/// A row of [`EXEMPTION_COLUMNS`].
#[derive(sqlx::FromRow)]
struct ExemptionRow {
    id: i64,
    team_id: i64,
    team: String,
    cluster_id: Option<i64>,
    cluster: Option<String>,
    #[sqlx(flatten)]
    matcher: Matcher,
    reason: String,
    author_id: Option<i64>,
    author: Option<String>,
    created_at: i64,
    expires_at: Option<i64>,
    role: String,
}

impl From<ExemptionRow> for Exemption {
    fn from(row: ExemptionRow) -> Exemption {
        Exemption {
            id: row.id,
            team_id: row.team_id,
            team: row.team,
            cluster: row.cluster_id.zip(row.cluster),
            matcher: row.matcher,
            reason: row.reason,
            author: row.author_id.zip(row.author),
            created_at: row.created_at,
            expires_at: row.expires_at,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
        }
    }
}

/// An exemption in force, as a scan reads it.
#[derive(sqlx::FromRow)]
struct InForceRow {
    id: i64,
    #[sqlx(flatten)]
    matcher: Matcher,
    reason: String,
}

impl Store {
    /// Grants an exemption (the caller has checked the user may, and that the cluster is
    /// the team's).
    pub async fn create_exemption(&self, exemption: &NewExemption) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO exemptions (team_id, cluster_id, rule, namespace, kind, name, reason, author_id, \
                 created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(exemption.team_id)
            .bind(exemption.cluster_id)
            .bind(&exemption.matcher.rule)
            .bind(&exemption.matcher.namespace)
            .bind(&exemption.matcher.kind)
            .bind(&exemption.matcher.name)
            .bind(&exemption.reason)
            .bind(exemption.author_id)
            .bind(now)
            .bind(exemption.expires_at)
            .fetch_one(pool)
            .await
        })
    }

    /// The exemption, if it belongs to one of the user's teams.
    pub async fn exemption_for_user(&self, user_id: i64, exemption_id: i64) -> Result<Option<Exemption>, sqlx::Error> {
        let sql = format!("SELECT {EXEMPTION_COLUMNS} {EXEMPTION_JOINS} WHERE e.id = $2");
        on_pool!(self, |pool| {
            let row = sqlx::query_as::<_, ExemptionRow>(&sql).bind(user_id).bind(exemption_id).fetch_optional(pool);
            Ok(row.await?.map(Exemption::from))
        })
    }

    /// A team's exemptions (the user's membership is joined), oldest first: all of them,
    /// or with `cluster` those that apply to that cluster (its own and the team-wide ones).
    pub async fn list_exemptions(
        &self,
        user_id: i64,
        team_id: i64,
        cluster: Option<i64>,
    ) -> Result<Vec<Exemption>, sqlx::Error> {
        let mut sql = format!("SELECT {EXEMPTION_COLUMNS} {EXEMPTION_JOINS} WHERE e.team_id = $2");
        if cluster.is_some() {
            sql.push_str(" AND (e.cluster_id = $3 OR e.cluster_id IS NULL)");
        }
        sql.push_str(" ORDER BY e.id");
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, ExemptionRow>(&sql).bind(user_id).bind(team_id);
            if let Some(cluster) = cluster {
                query = query.bind(cluster);
            }
            Ok(query.fetch_all(pool).await?.into_iter().map(Exemption::from).collect())
        })
    }

    /// Replaces what an exemption matches, its reason and its expiry (the caller has
    /// checked the user may).
    pub async fn update_exemption(
        &self,
        exemption_id: i64,
        matcher: &Matcher,
        reason: &str,
        expires_at: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE exemptions SET rule = $1, namespace = $2, kind = $3, name = $4, reason = $5, \
                 expires_at = $6 WHERE id = $7",
            )
            .bind(&matcher.rule)
            .bind(&matcher.namespace)
            .bind(&matcher.kind)
            .bind(&matcher.name)
            .bind(reason)
            .bind(expires_at)
            .bind(exemption_id)
            .execute(pool)
            .await
            .map(drop)
        })
    }

    pub async fn delete_exemption(&self, exemption_id: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM exemptions WHERE id = $1").bind(exemption_id).execute(pool).await.map(drop)
        })
    }

    /// Whether the team honours `rampart.dev/ignore` annotations.
    pub async fn team_honors_annotations(&self, team_id: i64) -> Result<bool, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query_scalar::<_, bool>("SELECT honor_annotation_exemptions FROM teams WHERE id = $1")
                .bind(team_id)
                .fetch_one(pool)
                .await
        })
    }

    pub async fn set_team_honors_annotations(&self, team_id: i64, honor: bool) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE teams SET honor_annotation_exemptions = $1 WHERE id = $2")
                .bind(honor)
                .bind(team_id)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// What a scan of the cluster starting at `now` exempts: the team's setting and the
    /// exemptions of the cluster and of all the team's clusters that have not expired.
    pub async fn exemption_policy(&self, cluster_id: i64, now: i64) -> Result<ExemptionPolicy, sqlx::Error> {
        on_pool!(self, |pool| {
            let honor_annotations = sqlx::query_scalar::<_, bool>(
                "SELECT t.honor_annotation_exemptions FROM clusters c JOIN teams t ON t.id = c.team_id \
                 WHERE c.id = $1",
            )
            .bind(cluster_id)
            .fetch_one(pool)
            .await?;
            let rows = sqlx::query_as::<_, InForceRow>(
                "SELECT e.id, e.rule, e.namespace, e.kind, e.name, e.reason FROM exemptions e \
                 JOIN clusters c ON c.team_id = e.team_id AND c.id = $1 \
                 WHERE (e.cluster_id = $1 OR e.cluster_id IS NULL) AND (e.expires_at IS NULL OR e.expires_at > $2) \
                 ORDER BY e.id",
            )
            .bind(cluster_id)
            .bind(now)
            .fetch_all(pool)
            .await?;
            let exemptions = rows
                .into_iter()
                .map(|row| rampart_core::Exemption {
                    rule: row.matcher.rule,
                    namespace: row.matcher.namespace,
                    kind: row.matcher.kind,
                    name: row.matcher.name,
                    reason: format!("{} (exemption {})", row.reason, row.id),
                })
                .collect();
            Ok(ExemptionPolicy { honor_annotations, exemptions })
        })
    }
}
