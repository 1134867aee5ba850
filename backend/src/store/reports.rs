//! What reports read: finished scans of a period (scores, new and resolved counts), the
//! scan each cluster stood at when the period began, and findings by how long they took to
//! resolve, by rule and by age. Every query joins the user's memberships besides taking
//! the clusters by id, so a report never reaches another team's data.
//!
//! "Open at a time" is read from the findings' `first_seen`, `status` and `resolved_at`:
//! a finding is open at `at` when it was first seen by then and is open now or was
//! resolved after `at`. Exempted findings are not open. A finding that was resolved and
//! then seen again keeps no record of the gap, so it counts as open since its first sighting.

use super::scans::{TrendPoint, TrendPointRow};
use super::{on_pool, Store};

/// A finished scan (succeeded or partial) of a cluster, as its trend shows it.
#[derive(Clone, Debug)]
pub struct ReportScan {
    pub cluster_id: i64,
    pub point: TrendPoint,
}

/// Findings of one severity resolved within a period, and the time they took in total
/// (`resolved_at − first_seen`, milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedBySeverity {
    pub severity: String,
    pub resolved: i64,
    pub total_millis: i64,
}

/// A cluster's netted changes within one bucket of a period (the whole period, or a week):
/// findings first seen in it and still open at its end (`new`), first seen and resolved
/// in it (`churned`: not news), and resolved in it (`resolved`, churned ones included).
/// Exempted findings count in none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub cluster_id: i64,
    /// The bucket's number from the origin (`(time − origin) / width`).
    pub bucket: i64,
    pub new: i64,
    pub churned: i64,
    pub resolved: i64,
}

/// A rule with the findings it has open at a time, over how many clusters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: String,
    /// The highest severity among those findings.
    pub severity: String,
    pub findings: i64,
    pub clusters: i64,
}

/// A finding open at a time, with its cluster's name.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenFinding {
    pub id: i64,
    pub cluster_id: i64,
    pub cluster: String,
    pub rule: String,
    pub kind: String,
    /// `""` for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    pub path: String,
    pub message: String,
    pub first_seen: i64,
}

/// A row of [`Store::report_top_rules`]'s query: the severity as its rank.
#[derive(sqlx::FromRow)]
struct RuleCountRow {
    rule: String,
    findings: i64,
    clusters: i64,
    severity_rank: i64,
}

/// The condition "open at `$2`" on findings `f`.
const OPEN_AT: &str = "f.first_seen <= $2 AND (f.status = 'open' OR (f.status = 'resolved' AND f.resolved_at > $2))";

/// Keeps the clusters `c` of the user `$1`'s teams.
const MEMBER_OF: &str = "JOIN memberships m ON m.team_id = c.team_id AND m.user_id = $1";

const SEVERITY_RANK: &str = "CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 \
     WHEN 'low' THEN 3 ELSE 4 END";

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// `$first, $first+1, …` for `count` ids.
pub(super) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// The entry of a cluster's bucket, added when missing.
fn changes_entry(changes: &mut Vec<Changes>, cluster_id: i64, bucket: i64) -> &mut Changes {
    let position = match changes.iter().position(|change| change.cluster_id == cluster_id && change.bucket == bucket) {
        Some(position) => position,
        None => {
            changes.push(Changes { cluster_id, bucket, ..Changes::default() });
            changes.len() - 1
        }
    };
    &mut changes[position]
}

const REPORT_SCAN_COLUMNS: &str = "s.id, s.cluster_id, s.finished_at, s.score, s.grade, s.critical, s.high, \
     s.medium, s.low, s.info, s.new_findings, s.resolved_findings, s.formula_version";

/// A row of [`REPORT_SCAN_COLUMNS`].
#[derive(sqlx::FromRow)]
struct ReportScanRow {
    cluster_id: i64,
    #[sqlx(flatten)]
    point: TrendPointRow,
}

impl Store {
    /// The clusters' scans that finished with results within `[from, to]`, by cluster, then
    /// oldest first.
    pub async fn report_scans(
        &self,
        user_id: i64,
        clusters: &[i64],
        from: i64,
        to: i64,
    ) -> Result<Vec<ReportScan>, sqlx::Error> {
        let sql = format!(
            "SELECT {REPORT_SCAN_COLUMNS} FROM scans s JOIN clusters c ON c.id = s.cluster_id {MEMBER_OF} \
             WHERE s.status IN ('succeeded', 'partial') AND s.finished_at >= $2 AND s.finished_at <= $3 \
             AND s.cluster_id IN ({}) ORDER BY s.cluster_id, s.finished_at, s.id",
            placeholders(4, clusters.len())
        );
        self.scans_of(&sql, user_id, &[from, to], clusters).await
    }

    /// For each of the clusters, the last scan that finished with results before `before`
    /// (where the cluster stood when a period began), if any.
    pub async fn report_scans_before(
        &self,
        user_id: i64,
        clusters: &[i64],
        before: i64,
    ) -> Result<Vec<ReportScan>, sqlx::Error> {
        let sql = format!(
            "SELECT {REPORT_SCAN_COLUMNS} FROM clusters c {MEMBER_OF} \
             JOIN scans s ON s.id = (SELECT s2.id FROM scans s2 WHERE s2.cluster_id = c.id \
                 AND s2.status IN ('succeeded', 'partial') AND s2.finished_at < $2 \
                 ORDER BY s2.finished_at DESC, s2.id DESC LIMIT 1) \
             WHERE c.id IN ({}) ORDER BY c.id",
            placeholders(3, clusters.len())
        );
        self.scans_of(&sql, user_id, &[before], clusters).await
    }

    /// Runs a query of scans bound as `$1` the user, then `times`, then the clusters' ids.
    async fn scans_of(
        &self,
        sql: &str,
        user_id: i64,
        times: &[i64],
        clusters: &[i64],
    ) -> Result<Vec<ReportScan>, sqlx::Error> {
        if clusters.is_empty() {
            return Ok(Vec::new());
        }
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, ReportScanRow>(sql).bind(user_id);
            for value in times.iter().chain(clusters) {
                query = query.bind(value);
            }
            let rows = query.fetch_all(pool).await?;
            Ok(rows.into_iter().map(|row| ReportScan { cluster_id: row.cluster_id, point: row.point.into() }).collect())
        })
    }

    /// Findings resolved within `[from, to]` per severity, with the time they took in
    /// total; every severity is answered, in order, with zeros where none was resolved.
    pub async fn report_resolved(
        &self,
        user_id: i64,
        clusters: &[i64],
        from: i64,
        to: i64,
    ) -> Result<Vec<ResolvedBySeverity>, sqlx::Error> {
        let mut by_severity: Vec<ResolvedBySeverity> = SEVERITIES
            .iter()
            .map(|severity| ResolvedBySeverity { severity: severity.to_string(), resolved: 0, total_millis: 0 })
            .collect();
        if clusters.is_empty() {
            return Ok(by_severity);
        }
        let sql = format!(
            "SELECT f.severity, COUNT(*) AS resolved, CAST(SUM(f.resolved_at - f.first_seen) AS BIGINT) AS total \
             FROM findings f JOIN clusters c ON c.id = f.cluster_id {MEMBER_OF} \
             WHERE f.status = 'resolved' AND f.resolved_at >= $2 AND f.resolved_at <= $3 \
             AND f.cluster_id IN ({}) GROUP BY f.severity",
            placeholders(4, clusters.len())
        );
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, (String, i64, Option<i64>)>(&sql).bind(user_id).bind(from).bind(to);
            for id in clusters {
                query = query.bind(id);
            }
            for (severity, resolved, total) in query.fetch_all(pool).await? {
                if let Some(entry) = by_severity.iter_mut().find(|entry| entry.severity == severity) {
                    entry.resolved = resolved;
                    entry.total_millis = total.unwrap_or(0);
                }
            }
            Ok(by_severity)
        })
    }

    /// Each cluster's [`Changes`] per bucket of `width` milliseconds from `origin`, within
    /// `[from, to]` (a bucket ends at its end or at `to`, whichever is first). Buckets
    /// with no change are left out.
    pub async fn report_changes(
        &self,
        user_id: i64,
        clusters: &[i64],
        (from, to): (i64, i64),
        origin: i64,
        width: i64,
    ) -> Result<Vec<Changes>, sqlx::Error> {
        if clusters.is_empty() || width <= 0 {
            return Ok(Vec::new());
        }
        // `$2` from, `$3` the first instant after the period, `$4` origin, `$5` width.
        let bucket_end = "CASE WHEN $4 + ((f.first_seen - $4) / $5 + 1) * $5 < $3 \
             THEN $4 + ((f.first_seen - $4) / $5 + 1) * $5 ELSE $3 END";
        let ids = placeholders(6, clusters.len());
        let opened = format!(
            "SELECT f.cluster_id, CAST((f.first_seen - $4) / $5 AS BIGINT) AS bucket, \
             CAST(COUNT(*) AS BIGINT) AS opened, \
             CAST(SUM(CASE WHEN f.status = 'resolved' AND f.resolved_at < {bucket_end} THEN 1 ELSE 0 END) AS BIGINT) \
             AS churned FROM findings f JOIN clusters c ON c.id = f.cluster_id {MEMBER_OF} \
             WHERE f.first_seen >= $2 AND f.first_seen < $3 AND f.status <> 'exempted' AND f.cluster_id IN ({ids}) \
             GROUP BY f.cluster_id, CAST((f.first_seen - $4) / $5 AS BIGINT)"
        );
        let resolved = format!(
            "SELECT f.cluster_id, CAST((f.resolved_at - $4) / $5 AS BIGINT) AS bucket, \
             CAST(COUNT(*) AS BIGINT) AS resolved FROM findings f JOIN clusters c ON c.id = f.cluster_id {MEMBER_OF} \
             WHERE f.status = 'resolved' AND f.resolved_at >= $2 AND f.resolved_at < $3 AND f.cluster_id IN ({ids}) \
             GROUP BY f.cluster_id, CAST((f.resolved_at - $4) / $5 AS BIGINT)"
        );
        let after = to.saturating_add(1);
        let mut changes: Vec<Changes> = Vec::new();
        // Both queries bind the same values: the user, the four times, the clusters.
        let values: Vec<i64> =
            [user_id, from, after, origin, width].into_iter().chain(clusters.iter().copied()).collect();
        let (opened_rows, resolved_rows) = on_pool!(self, |pool| {
            let mut opened_query = sqlx::query_as::<_, (i64, i64, i64, Option<i64>)>(&opened);
            let mut resolved_query = sqlx::query_as::<_, (i64, i64, i64)>(&resolved);
            for value in &values {
                opened_query = opened_query.bind(*value);
                resolved_query = resolved_query.bind(*value);
            }
            Ok::<_, sqlx::Error>((opened_query.fetch_all(pool).await?, resolved_query.fetch_all(pool).await?))
        })?;
        for (cluster_id, bucket, opened, churned) in opened_rows {
            let entry = changes_entry(&mut changes, cluster_id, bucket);
            let churned = churned.unwrap_or(0);
            entry.new += opened - churned;
            entry.churned += churned;
        }
        for (cluster_id, bucket, resolved) in resolved_rows {
            changes_entry(&mut changes, cluster_id, bucket).resolved += resolved;
        }
        Ok(changes)
    }

    /// The rules with the most findings open at `at`, most first (ties by rule id).
    pub async fn report_top_rules(
        &self,
        user_id: i64,
        clusters: &[i64],
        at: i64,
        limit: i64,
    ) -> Result<Vec<RuleCount>, sqlx::Error> {
        if clusters.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT f.rule, COUNT(*) AS findings, COUNT(DISTINCT f.cluster_id) AS clusters, \
             CAST(MIN({SEVERITY_RANK}) AS BIGINT) AS severity_rank \
             FROM findings f JOIN clusters c ON c.id = f.cluster_id {MEMBER_OF} \
             WHERE {OPEN_AT} AND f.cluster_id IN ({}) \
             GROUP BY f.rule ORDER BY findings DESC, f.rule LIMIT $3",
            placeholders(4, clusters.len())
        );
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, RuleCountRow>(&sql).bind(user_id).bind(at).bind(limit);
            for id in clusters {
                query = query.bind(id);
            }
            let rows = query.fetch_all(pool).await?;
            Ok(rows
                .into_iter()
                .map(|row| RuleCount {
                    rule: row.rule,
                    severity: SEVERITIES[row.severity_rank.clamp(0, 4) as usize].to_string(),
                    findings: row.findings,
                    clusters: row.clusters,
                })
                .collect())
        })
    }

    /// Findings of a severity open at `at`, oldest first (by first sighting, then id).
    pub async fn report_oldest_open(
        &self,
        user_id: i64,
        clusters: &[i64],
        severity: &str,
        at: i64,
        limit: i64,
    ) -> Result<Vec<OpenFinding>, sqlx::Error> {
        if clusters.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT f.id, f.cluster_id, c.name AS cluster, f.rule, f.kind, f.namespace, f.name, f.path, \
             f.message, f.first_seen \
             FROM findings f JOIN clusters c ON c.id = f.cluster_id {MEMBER_OF} \
             WHERE f.severity = $3 AND {OPEN_AT} AND f.cluster_id IN ({}) \
             ORDER BY f.first_seen, f.id LIMIT $4",
            placeholders(5, clusters.len())
        );
        on_pool!(self, |pool| {
            let mut query = sqlx::query_as::<_, OpenFinding>(&sql).bind(user_id).bind(at).bind(severity).bind(limit);
            for id in clusters {
                query = query.bind(id);
            }
            query.fetch_all(pool).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_from_the_first() {
        assert_eq!(placeholders(4, 3), "$4, $5, $6");
        assert_eq!(placeholders(2, 1), "$2");
    }
}
