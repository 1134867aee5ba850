//! What each scan's rules concluded (`scans.rule_results`), from which the compliance
//! views read each framework's controls, now and over time, and the findings that are a
//! failing control's evidence.

use std::collections::BTreeMap;

use rampart_core::compliance::RuleResults;

use super::scans::{FindingFilter, StoredFinding};
use super::{on_pool, Store};

/// The rule results of one finished scan.
#[derive(Clone, Debug)]
pub struct ScanRuleResults {
    pub scan: i64,
    pub at: i64,
    /// `None` for a scan recorded before rule results were kept.
    pub results: Option<RuleResults>,
}

impl Store {
    /// Records what a scan's rules concluded.
    pub async fn set_scan_rule_results(&self, scan_id: i64, results: &RuleResults) -> Result<(), sqlx::Error> {
        let json = serde_json::to_string(results).map_err(|error| sqlx::Error::Encode(Box::new(error)))?;
        let earlier = super::scans::earlier_text("rule_results");
        on_pool!(self, |pool| {
            let earlier: Option<(i64, Option<String>)> =
                sqlx::query_as(&earlier).bind(scan_id).fetch_optional(pool).await?;
            // The same results as the cluster's latest earlier scan: a reference to the scan
            // that holds them (migration 0026).
            let (json, of) = super::scans::shared(earlier, json);
            sqlx::query("UPDATE scans SET rule_results = $2, rule_results_of = $3 WHERE id = $1")
                .bind(scan_id)
                .bind(json)
                .bind(of)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The rule results of the cluster's finished scans (succeeded or partial), oldest
    /// first, at most the `limit` latest.
    pub async fn scans_rule_results(&self, cluster_id: i64, limit: i64) -> Result<Vec<ScanRuleResults>, sqlx::Error> {
        const SQL: &str = "SELECT s.id, s.finished_at, COALESCE(shared.rule_results, s.rule_results) FROM scans s \
             LEFT JOIN scans shared ON shared.id = s.rule_results_of \
             WHERE s.cluster_id = $1 AND s.status IN ('succeeded', 'partial') AND s.finished_at IS NOT NULL \
             ORDER BY s.finished_at DESC, s.id DESC LIMIT $2";
        let rows: Vec<(i64, i64, Option<String>)> =
            on_pool!(self, |pool| sqlx::query_as(SQL).bind(cluster_id).bind(limit).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .rev()
            .map(|(scan, at, json)| ScanRuleResults {
                scan,
                at,
                results: json.and_then(|json| serde_json::from_str(&json).ok()),
            })
            .collect())
    }

    /// The rule results of the cluster's latest finished scan (succeeded or partial) that
    /// recorded them and finished at or before `at`.
    pub async fn rule_results_at(&self, cluster_id: i64, at: i64) -> Result<Option<ScanRuleResults>, sqlx::Error> {
        const SQL: &str = "SELECT s.id, s.finished_at, COALESCE(shared.rule_results, s.rule_results) FROM scans s \
             LEFT JOIN scans shared ON shared.id = s.rule_results_of \
             WHERE s.cluster_id = $1 AND s.status IN ('succeeded', 'partial') AND s.finished_at IS NOT NULL \
             AND s.finished_at <= $2 AND (s.rule_results IS NOT NULL OR s.rule_results_of IS NOT NULL) \
             ORDER BY s.finished_at DESC, s.id DESC LIMIT 1";
        let row: Option<(i64, i64, Option<String>)> =
            on_pool!(self, |pool| sqlx::query_as(SQL).bind(cluster_id).bind(at).fetch_optional(pool).await)?;
        Ok(row.map(|(scan, at, json)| ScanRuleResults {
            scan,
            at,
            results: json.and_then(|json| serde_json::from_str(&json).ok()),
        }))
    }
}

impl Store {
    /// The rule results of the cluster's scans among `scans` that recorded them, oldest
    /// first (a report's compliance trend at its score series' points).
    pub async fn rule_results_of_scans(
        &self,
        cluster_id: i64,
        scans: &[i64],
    ) -> Result<Vec<ScanRuleResults>, sqlx::Error> {
        let mut points = Vec::new();
        for chunk in scans.chunks(500) {
            let sql = format!(
                "SELECT s.id, s.finished_at, COALESCE(shared.rule_results, s.rule_results) FROM scans s \
                 LEFT JOIN scans shared ON shared.id = s.rule_results_of WHERE s.cluster_id = $1 \
                 AND s.finished_at IS NOT NULL AND (s.rule_results IS NOT NULL OR s.rule_results_of IS NOT NULL) \
                 AND s.id IN ({})",
                super::reports::placeholders(2, chunk.len())
            );
            let rows: Vec<(i64, i64, Option<String>)> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql).bind(cluster_id);
                for id in chunk {
                    query = query.bind(id);
                }
                query.fetch_all(pool).await
            })?;
            points.extend(rows.into_iter().filter_map(|(scan, at, json)| {
                let results = serde_json::from_str(&json?).ok()?;
                Some(ScanRuleResults { scan, at, results: Some(results) })
            }));
        }
        points.sort_by_key(|point| (point.at, point.scan));
        Ok(points)
    }
}

/// A failing rule's evidence: its first open findings (most severe first, then by id, as
/// the findings list orders them) and how many it has open in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleEvidence {
    pub findings: Vec<StoredFinding>,
    pub open: i64,
}

impl Store {
    /// The evidence of each of `rules` in the cluster (the caller has checked access): at
    /// most `per_rule` findings each, open now (`at` `None`) or open at `at`, as a report's
    /// period end reads them. The same findings list the API serves, filtered by rule; the
    /// counts of findings open now are the list's own, those open at a time are counted for
    /// every rule in one pass.
    pub async fn compliance_evidence(
        &self,
        cluster_id: i64,
        rules: &[String],
        at: Option<i64>,
        per_rule: i64,
    ) -> Result<BTreeMap<String, RuleEvidence>, sqlx::Error> {
        let mut rules = rules.to_vec();
        rules.sort();
        rules.dedup();
        let filter = FindingFilter {
            status: at.is_none().then(|| "open".to_string()),
            limit: per_rule,
            open_at: at,
            ..FindingFilter::default()
        };
        let counted = match at {
            Some(_) => Some(self.count_findings_by_rule(cluster_id, &filter, &rules).await?),
            None => None,
        };
        let mut evidence = BTreeMap::new();
        for rule in rules {
            let filter = FindingFilter { rule: Some(rule.clone()), ..filter.clone() };
            let findings = self.list_findings(cluster_id, &filter).await?;
            let open = match &counted {
                Some(counted) => counted.get(&rule).copied().unwrap_or(0),
                None => self.count_findings(cluster_id, &filter).await?,
            };
            evidence.insert(rule, RuleEvidence { findings, open });
        }
        Ok(evidence)
    }
}
