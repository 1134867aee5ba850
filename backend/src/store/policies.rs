//! A team's custom policies (ValidatingAdmissionPolicy YAML), their versions, and the
//! versions each scan applied.
//!
//! Every read of a policy joins the user's memberships, so another team's policy is not
//! found. A change of a policy's source bumps its version and keeps the new source in
//! `policy_versions`; enabling or disabling does not change the version (the scans record
//! which policies were applied at all).

use super::accounts::Role;
use super::{now_millis, on_pool, Store};
use serde::{Deserialize, Serialize};

/// A policy as the API shows it.
#[derive(Clone, Debug)]
pub struct Policy {
    pub id: i64,
    pub team_id: i64,
    pub name: String,
    pub source: String,
    pub enabled: bool,
    pub version: i64,
    pub author: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The reading user's role in the policy's team.
    pub role: Role,
}

/// A policy a scan applied: what `scans.policies` records, one per policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AppliedPolicy {
    pub id: i64,
    pub name: String,
    pub version: i64,
}

/// The enabled policies of a cluster's team, with their sources, for a scan.
#[derive(Clone, Debug, Default)]
pub struct PoliciesInForce {
    pub applied: Vec<AppliedPolicy>,
    pub sources: Vec<String>,
}

const COLUMNS: &str = "p.id, p.team_id, p.name, p.source, p.enabled, p.version, u.email AS author, p.created_at, \
     p.updated_at, m.role";
const JOINS: &str = "FROM policies p JOIN memberships m ON m.team_id = p.team_id AND m.user_id = $1 \
     LEFT JOIN users u ON u.id = p.author_id";

/// A row of [`COLUMNS`].
#[derive(sqlx::FromRow)]
struct PolicyRow {
    id: i64,
    team_id: i64,
    name: String,
    source: String,
    enabled: bool,
    version: i64,
    author: Option<String>,
    created_at: i64,
    updated_at: i64,
    role: String,
}

impl From<PolicyRow> for Policy {
    fn from(row: PolicyRow) -> Policy {
        Policy {
            id: row.id,
            team_id: row.team_id,
            name: row.name,
            source: row.source,
            enabled: row.enabled,
            version: row.version,
            author: row.author,
            created_at: row.created_at,
            updated_at: row.updated_at,
            role: Role::parse(&row.role).unwrap_or(Role::Viewer),
        }
    }
}

/// An enabled policy with its source, as a scan applies it.
#[derive(sqlx::FromRow)]
struct InForceRow {
    #[sqlx(flatten)]
    applied: AppliedPolicy,
    source: String,
}

impl Store {
    /// Adds a policy to a team (the caller has checked the user may) at version 1.
    pub async fn create_policy(
        &self,
        team_id: i64,
        name: &str,
        source: &str,
        enabled: bool,
        author_id: i64,
    ) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO policies (team_id, name, source, enabled, version, author_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $6) RETURNING id",
            )
            .bind(team_id)
            .bind(name)
            .bind(source)
            .bind(enabled)
            .bind(author_id)
            .bind(now)
            .fetch_one(&mut *transaction)
            .await?;
            sqlx::query("INSERT INTO policy_versions (policy_id, version, source, author_id, created_at) VALUES ($1, 1, $2, $3, $4)")
                .bind(id)
                .bind(source)
                .bind(author_id)
                .bind(now)
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await?;
            Ok(id)
        })
    }

    /// The policy, if it belongs to one of the user's teams.
    pub async fn policy_for_user(&self, user_id: i64, policy_id: i64) -> Result<Option<Policy>, sqlx::Error> {
        let sql = format!("SELECT {COLUMNS} {JOINS} WHERE p.id = $2");
        on_pool!(self, |pool| {
            let row = sqlx::query_as::<_, PolicyRow>(&sql).bind(user_id).bind(policy_id).fetch_optional(pool);
            Ok(row.await?.map(Policy::from))
        })
    }

    /// A team's policies (the caller has checked the user is a member), by name.
    pub async fn list_policies(&self, user_id: i64, team_id: i64) -> Result<Vec<Policy>, sqlx::Error> {
        let sql = format!("SELECT {COLUMNS} {JOINS} WHERE p.team_id = $2 ORDER BY p.name, p.id");
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, PolicyRow>(&sql).bind(user_id).bind(team_id).fetch_all(pool).await?;
            Ok(rows.into_iter().map(Policy::from).collect())
        })
    }

    /// Changes a policy: a new source (a new version, kept in `policy_versions`), a new
    /// name, enabled or not. Returns the version it is at.
    pub async fn update_policy(
        &self,
        policy_id: i64,
        name: Option<&str>,
        source: Option<&str>,
        enabled: Option<bool>,
        author_id: i64,
    ) -> Result<i64, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let (current_source, version): (String, i64) =
                sqlx::query_as("SELECT source, version FROM policies WHERE id = $1")
                    .bind(policy_id)
                    .fetch_one(&mut *transaction)
                    .await?;
            let new_version = match source {
                Some(source) if source != current_source => {
                    sqlx::query(
                        "INSERT INTO policy_versions (policy_id, version, source, author_id, created_at) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(policy_id)
                    .bind(version + 1)
                    .bind(source)
                    .bind(author_id)
                    .bind(now)
                    .execute(&mut *transaction)
                    .await?;
                    version + 1
                }
                _ => version,
            };
            sqlx::query(
                "UPDATE policies SET name = COALESCE($2, name), source = COALESCE($3, source), \
                 enabled = COALESCE($4, enabled), version = $5, author_id = $6, updated_at = $7 WHERE id = $1",
            )
            .bind(policy_id)
            .bind(name)
            .bind(source)
            .bind(enabled)
            .bind(new_version)
            .bind(author_id)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
            transaction.commit().await?;
            Ok(new_version)
        })
    }

    pub async fn delete_policy(&self, policy_id: i64) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM policies WHERE id = $1").bind(policy_id).execute(pool).await?;
            Ok(())
        })
    }

    /// The versions of a policy, newest first: `(version, source, author, created_at)`.
    pub async fn policy_versions(
        &self,
        policy_id: i64,
    ) -> Result<Vec<(i64, String, Option<String>, i64)>, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, String, Option<String>, i64)>(
                "SELECT v.version, v.source, u.email AS author, v.created_at FROM policy_versions v \
                 LEFT JOIN users u ON u.id = v.author_id WHERE v.policy_id = $1 ORDER BY v.version DESC",
            )
            .bind(policy_id)
            .fetch_all(pool)
            .await
        })
    }

    /// The enabled policies of the cluster's team, as a scan applies them.
    pub async fn policies_in_force(&self, cluster_id: i64) -> Result<PoliciesInForce, sqlx::Error> {
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, InForceRow>(
                "SELECT p.id, p.name, p.version, p.source FROM policies p JOIN clusters c ON c.team_id = p.team_id \
                 WHERE c.id = $1 AND p.enabled ORDER BY p.id",
            )
            .bind(cluster_id)
            .fetch_all(pool)
            .await?;
            let (applied, sources) = rows.into_iter().map(|row| (row.applied, row.source)).unzip();
            Ok(PoliciesInForce { applied, sources })
        })
    }

    /// Records on a scan the policies (and versions) it applies.
    pub async fn set_scan_policies(&self, scan_id: i64, applied: &[AppliedPolicy]) -> Result<(), sqlx::Error> {
        let json = serde_json::to_string(applied).unwrap_or_else(|_| "[]".to_string());
        on_pool!(self, |pool| {
            sqlx::query("UPDATE scans SET policies = $2 WHERE id = $1").bind(scan_id).bind(&json).execute(pool).await?;
            Ok(())
        })
    }

    /// The policies each finished scan of a cluster applied, by scan id (for the trend).
    pub async fn scans_policies(&self, cluster_id: i64) -> Result<Vec<(i64, Option<Vec<AppliedPolicy>>)>, sqlx::Error> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
                "SELECT id, policies FROM scans WHERE cluster_id = $1 AND status IN ('succeeded', 'partial') ORDER BY id",
            )
            .bind(cluster_id)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, json)| (id, json.and_then(|json| serde_json::from_str(&json).ok())))
                .collect())
        })
    }
}

/// How the policies applied changed between two scans: `None` when they did not.
pub fn policy_change(before: &[AppliedPolicy], after: &[AppliedPolicy]) -> Option<rampart_api::PolicyChange> {
    let added: Vec<String> = after
        .iter()
        .filter(|policy| !before.iter().any(|old| old.id == policy.id))
        .map(|policy| policy.name.clone())
        .collect();
    let removed: Vec<String> = before
        .iter()
        .filter(|policy| !after.iter().any(|new| new.id == policy.id))
        .map(|policy| policy.name.clone())
        .collect();
    let changed: Vec<rampart_api::PolicyVersionChange> = after
        .iter()
        .filter_map(|policy| {
            let old = before.iter().find(|old| old.id == policy.id && old.version != policy.version)?;
            Some(rampart_api::PolicyVersionChange { name: policy.name.clone(), from: old.version, to: policy.version })
        })
        .collect();
    if added.is_empty() && removed.is_empty() && changed.is_empty() {
        return None;
    }
    Some(rampart_api::PolicyChange { added, removed, changed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(id: i64, version: i64) -> AppliedPolicy {
        AppliedPolicy { id, name: format!("p{id}"), version }
    }

    #[test]
    fn changes_name_what_was_added_removed_and_edited() {
        assert_eq!(policy_change(&[applied(1, 1)], &[applied(1, 1)]), None);
        assert_eq!(policy_change(&[], &[]), None);
        let change = policy_change(&[applied(1, 1), applied(2, 1)], &[applied(1, 2), applied(3, 1)]).unwrap();
        let change = serde_json::to_value(change).unwrap();
        assert_eq!(change["added"], serde_json::json!(["p3"]));
        assert_eq!(change["removed"], serde_json::json!(["p2"]));
        assert_eq!(change["changed"], serde_json::json!([{ "name": "p1", "from": 1, "to": 2 }]));
    }
}
