//! Scans and the findings lifecycle.
//!
//! A finding is identified by its fingerprint (cluster, rule, object kind, namespace and
//! name, field path). Recording a scan, in one transaction: findings seen again get their
//! `last_seen` (and reopen if they had been resolved), unseen fingerprints are inserted as
//! new, and open findings the scan did not see are resolved — unless the scan could not
//! read their kind (a kind it could not list, or an input error it cannot attribute to a
//! kind) or could not judge their rule (one that concludes from the absence of a kind it
//! could not list), in which case absence proves nothing. Storage grows with distinct findings, not
//! with scans; each scan row keeps its summary for the trend.

use std::collections::{BTreeMap, HashSet};

use rampart_core::{Report, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::accounts::hex;
use super::{now_millis, on_pool, Store};

/// Counts per severity, in the order critical, high, medium, low, info.
pub type Counts = [i64; 5];

/// Something the scan could not read: a kind it could not list, or (kind `None`) input it
/// could not parse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScanError {
    pub kind: Option<String>,
    pub message: String,
}

/// The per-namespace part of a scan's summary: its objects, its open findings by severity
/// and its score, which is the engine's overall score of the namespace's objects alone
/// (`rampart_core::score`). Scans stored before namespaces had scores read back `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NamespaceSummary {
    pub objects: i64,
    #[serde(default)]
    pub score: Option<i64>,
    #[serde(default)]
    pub grade: Option<String>,
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub info: i64,
}

/// One finding as a scan observed it.
#[derive(Clone, Debug)]
pub struct Observed {
    pub fingerprint: String,
    pub rule: String,
    pub severity: Severity,
    pub kind: String,
    /// `""` for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    pub path: String,
    pub message: String,
    pub exempted: bool,
    /// Why it is exempted, when it is.
    pub exemption_reason: Option<String>,
}

/// What a finished scan found: the engine's report, reduced to what is stored.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub objects: i64,
    pub score: i64,
    pub grade: String,
    pub counts: Counts,
    pub findings: Vec<Observed>,
    pub errors: Vec<ScanError>,
    pub namespaces: BTreeMap<String, NamespaceSummary>,
    /// Rules the scan could not judge (they conclude from the absence of a kind it could
    /// not list, and were not run): their findings are neither opened nor resolved.
    pub unjudged_rules: Vec<String>,
}

impl Outcome {
    /// Reduces a report of the engine for a cluster; `errors` are what the scan could not
    /// read besides the report's own parse errors.
    pub fn from_report(cluster_id: i64, report: &Report, mut errors: Vec<ScanError>) -> Outcome {
        errors.extend(report.errors.iter().map(|error| ScanError {
            kind: None,
            message: format!("{}:{}:{}: {}", error.source_name, error.line, error.column, error.message),
        }));
        // A team's policy that no longer compiles (an engine that changed) is not applied:
        // an error of the scan under the policies' kind, which resolves nothing else.
        errors.extend(report.policies.errors.iter().map(|error| ScanError {
            kind: Some("ValidatingAdmissionPolicy".to_string()),
            message: format!("{}:{}:{}: {}", error.source_name, error.line, error.column, error.message),
        }));
        let mut namespaces: BTreeMap<String, NamespaceSummary> = BTreeMap::new();
        let mut object_scores: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for object in &report.objects {
            if let Some(namespace) = &object.resource.namespace {
                namespaces.entry(namespace.clone()).or_default().objects += 1;
                let scores = object_scores.entry(namespace.as_str()).or_default();
                scores.extend(object.score);
            }
        }
        // The engine's overall formula over the namespace's own objects: a namespace reads
        // like a small cluster.
        for (namespace, scores) in object_scores {
            let score = rampart_core::score::overall(scores);
            if let Some(summary) = namespaces.get_mut(namespace) {
                summary.score = Some(i64::from(score));
                summary.grade = Some(rampart_core::score::grade(score).to_string());
            }
        }
        let mut seen = HashSet::new();
        let mut findings = Vec::with_capacity(report.findings.len());
        for finding in &report.findings {
            let namespace = finding.resource.namespace.clone().unwrap_or_default();
            let fingerprint = fingerprint(
                cluster_id,
                &finding.rule,
                &finding.resource.kind,
                &namespace,
                &finding.resource.name,
                &finding.path,
            );
            // The same object twice in one input (two uploads concatenated) is one finding.
            if !seen.insert(fingerprint.clone()) {
                continue;
            }
            if !finding.exempted && !namespace.is_empty() {
                let summary = namespaces.entry(namespace.clone()).or_default();
                match finding.severity {
                    Severity::Critical => summary.critical += 1,
                    Severity::High => summary.high += 1,
                    Severity::Medium => summary.medium += 1,
                    Severity::Low => summary.low += 1,
                    Severity::Info => summary.info += 1,
                }
            }
            findings.push(Observed {
                fingerprint,
                rule: finding.rule.to_string(),
                severity: finding.severity,
                kind: finding.resource.kind.clone(),
                namespace,
                name: finding.resource.name.clone(),
                path: finding.path.clone(),
                message: finding.message.clone(),
                exempted: finding.exempted,
                exemption_reason: finding.exemption_reason.clone(),
            });
        }
        let summary = &report.summary;
        Outcome {
            objects: report.objects.len() as i64,
            score: i64::from(report.score),
            grade: report.grade.to_string(),
            counts: [summary.critical, summary.high, summary.medium, summary.low, summary.info].map(|n| n as i64),
            findings,
            errors,
            namespaces,
            unjudged_rules: Vec::new(),
        }
    }
}

/// SHA-256 over the identifying parts, separated by a byte no Kubernetes name contains.
pub fn fingerprint(cluster_id: i64, rule: &str, kind: &str, namespace: &str, name: &str, path: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [cluster_id.to_string().as_str(), rule, kind, namespace, name, path] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hex(&hasher.finalize())
}

/// A scan as the API shows it.
#[derive(Clone, Debug)]
pub struct Scan {
    pub id: i64,
    pub cluster_id: i64,
    pub status: String,
    pub source: String,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub objects: i64,
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub counts: Counts,
    pub new_findings: i64,
    pub resolved_findings: i64,
    pub errors: Vec<ScanError>,
    pub namespaces: BTreeMap<String, NamespaceSummary>,
    pub message: Option<String>,
}

/// A stored finding.
#[derive(Clone, Debug)]
pub struct StoredFinding {
    pub id: i64,
    pub rule: String,
    pub severity: String,
    pub status: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub path: String,
    pub message: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub resolved_at: Option<i64>,
    pub exemption_reason: Option<String>,
}

/// Filters of the findings list; `after` is the cursor (the last id of the previous page).
#[derive(Clone, Debug, Default)]
pub struct FindingFilter {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub rule: Option<String>,
    pub namespace: Option<String>,
    /// Words that must all occur (case-insensitively) in the finding's object name,
    /// namespace, kind, rule, path or message.
    pub text: Option<String>,
    pub after: Option<i64>,
    pub limit: i64,
}

/// A `LIKE` pattern matching `word` anywhere, lower-cased, with `%`, `_` and `\` taken
/// literally (the queries say `ESCAPE '\'`).
fn contains_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for character in word.to_lowercase().chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

/// One point of a cluster's trend.
#[derive(Clone, Debug)]
pub struct TrendPoint {
    pub scan: i64,
    pub at: i64,
    pub score: Option<i64>,
    pub grade: Option<String>,
    pub counts: Counts,
    pub new_findings: i64,
    pub resolved_findings: i64,
}

/// The five counts by severity of a row with the scans' columns `critical` … `info`.
macro_rules! counts_from_row {
    ($row:expr) => {
        [
            $row.try_get("critical")?,
            $row.try_get("high")?,
            $row.try_get("medium")?,
            $row.try_get("low")?,
            $row.try_get("info")?,
        ]
    };
}
pub(super) use counts_from_row;

/// A [`TrendPoint`] from a row with the columns `id`, `finished_at`, `score`, `grade`,
/// the five counts, `new_findings` and `resolved_findings` (the trend's and reports').
macro_rules! trend_point_from_row {
    ($row:expr) => {{
        let row = $row;
        TrendPoint {
            scan: row.try_get("id")?,
            at: row.try_get("finished_at")?,
            score: row.try_get("score")?,
            grade: row.try_get("grade")?,
            counts: $crate::store::scans::counts_from_row!(row),
            new_findings: row.try_get("new_findings")?,
            resolved_findings: row.try_get("resolved_findings")?,
        }
    }};
}
pub(super) use trend_point_from_row;

const SCAN_COLUMNS: &str = "s.id, s.cluster_id, s.status, s.source, s.queued_at, s.started_at, s.finished_at, \
     s.objects, s.score, s.grade, s.critical, s.high, s.medium, s.low, s.info, s.new_findings, \
     s.resolved_findings, s.errors, s.namespaces, s.message";

macro_rules! scan_from_row {
    ($row:expr) => {{
        let row = $row;
        let errors: String = row.try_get("errors")?;
        let namespaces: String = row.try_get("namespaces")?;
        Scan {
            id: row.try_get("id")?,
            cluster_id: row.try_get("cluster_id")?,
            status: row.try_get("status")?,
            source: row.try_get("source")?,
            queued_at: row.try_get("queued_at")?,
            started_at: row.try_get("started_at")?,
            finished_at: row.try_get("finished_at")?,
            objects: row.try_get("objects")?,
            score: row.try_get("score")?,
            grade: row.try_get("grade")?,
            counts: $crate::store::scans::counts_from_row!(row),
            new_findings: row.try_get("new_findings")?,
            resolved_findings: row.try_get("resolved_findings")?,
            errors: serde_json::from_str(&errors).unwrap_or_default(),
            namespaces: serde_json::from_str(&namespaces).unwrap_or_default(),
            message: row.try_get("message")?,
        }
    }};
}

/// Findings per multi-row upsert: [`UPSERT_PARAMETERS`] parameters each, so a full batch
/// (10,003 parameters) stays well under SQLite's limit of 32,766 per statement and
/// PostgreSQL's of 65,535. Every full batch has the same text, so each connection prepares
/// it once.
pub const BATCH_ROWS: usize = 1000;

/// Parameters of one finding in [`upsert_sql`]; `$1` (cluster), `$2` (now) and `$3`
/// (scan) are shared by every row.
const UPSERT_PARAMETERS: usize = 10;

/// The upsert of `rows` observed findings: new fingerprints are inserted, first seen now;
/// known ones (open, exempted or resolved) take this scan's status, severity, message and
/// exemption reason, are seen now and are no longer resolved.
fn upsert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(300 + rows * 80);
    sql.push_str(
        "INSERT INTO findings (cluster_id, fingerprint, rule, severity, kind, namespace, name, path, message, \
         status, exemption_reason, first_seen, last_seen, first_scan_id, last_scan_id) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str("($1");
        let first = 4 + row * UPSERT_PARAMETERS;
        for parameter in first..first + UPSERT_PARAMETERS {
            sql.push_str(", $");
            sql.push_str(&parameter.to_string());
        }
        sql.push_str(", $2, $2, $3, $3)");
    }
    sql.push_str(
        " ON CONFLICT (cluster_id, fingerprint) DO UPDATE SET status = excluded.status, \
         severity = excluded.severity, message = excluded.message, exemption_reason = excluded.exemption_reason, \
         last_seen = excluded.last_seen, last_scan_id = excluded.last_scan_id, resolved_at = NULL",
    );
    sql
}

/// Resolves, at `$1`, the findings of cluster `$2` that scan `$3` did not observe and that
/// are not resolved yet, except those of the `unreadable` kinds and then the `unjudged`
/// rules bound after (`$4`…): the scan could not see those, so their absence proves nothing.
fn resolve_sql(unreadable: usize, unjudged: usize) -> String {
    let mut sql = String::from(
        "UPDATE findings SET status = 'resolved', resolved_at = $1 \
         WHERE cluster_id = $2 AND last_scan_id <> $3 AND status <> 'resolved'",
    );
    let mut next = 4;
    for (column, count) in [("kind", unreadable), ("rule", unjudged)] {
        if count > 0 {
            let parameters: Vec<String> = (next..next + count).map(|parameter| format!("${parameter}")).collect();
            sql.push_str(&format!(" AND {column} NOT IN ({})", parameters.join(", ")));
            next += count;
        }
    }
    sql
}

impl Store {
    /// Ends a scan that produced no results, with a message saying what to check; false
    /// (and nothing written) when the scan is no longer `running` under `runner`: the
    /// runner stalled, its scan was marked interrupted and handed on, and what it has to
    /// say now is stale.
    pub async fn fail_scan(&self, scan_id: i64, runner: &str, message: &str) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE scans SET status = 'failed', finished_at = $1, message = $2 \
                 WHERE id = $3 AND runner = $4 AND status = 'running'",
            )
            .bind(now)
            .bind(message)
            .bind(scan_id)
            .bind(runner)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
        })
    }

    /// Records a finished scan: its summary and the findings lifecycle, in one
    /// transaction. The scan ends `partial` when anything could not be read.
    ///
    /// Findings are written in batches: every finding the scan observed goes into
    /// multi-row upserts of [`BATCH_ROWS`] rows (new fingerprints inserted, known ones
    /// updated in place), then one statement resolves the open findings the scan did not
    /// observe (those it did now carry its id in `last_scan_id`).
    ///
    /// Only a scan still `running` under `runner` is recorded; otherwise nothing is written
    /// and the answer is false. A runner that stalled past its lease finds its scan marked
    /// interrupted (and maybe retried by another replica): its results are stale, and
    /// recording them would overwrite the interrupted scan and resolve findings on old
    /// evidence.
    pub async fn record_scan(
        &self,
        scan_id: i64,
        cluster_id: i64,
        runner: &str,
        outcome: &Outcome,
    ) -> Result<bool, sqlx::Error> {
        let now = now_millis();
        let mut unreadable_kinds: Vec<&str> = outcome.errors.iter().filter_map(|error| error.kind.as_deref()).collect();
        unreadable_kinds.sort_unstable();
        unreadable_kinds.dedup();
        // An error not tied to a kind (a document that did not parse) may have hidden any
        // object: nothing can be resolved on that evidence.
        let may_resolve = outcome.errors.iter().all(|error| error.kind.is_some());
        let status = if outcome.errors.is_empty() { "succeeded" } else { "partial" };
        let errors = serde_json::to_string(&outcome.errors).unwrap_or_else(|_| "[]".to_string());
        let namespaces = serde_json::to_string(&outcome.namespaces).unwrap_or_else(|_| "{}".to_string());
        let resolve_sql = resolve_sql(unreadable_kinds.len(), outcome.unjudged_rules.len());
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // Write first: on SQLite this takes the write lock now (a read transaction
            // upgraded later fails with "database is locked" if another connection wrote
            // meanwhile); on PostgreSQL it locks the cluster's row, so two scans of one
            // cluster record one after the other instead of racing on fingerprints.
            sqlx::query("UPDATE clusters SET id = id WHERE id = $1").bind(cluster_id).execute(&mut *tx).await?;
            // Still this runner's running scan? The row stays locked until the commit, so
            // it cannot be marked interrupted between this check and the writes below.
            let still_ours =
                sqlx::query("UPDATE scans SET heartbeat_at = $1 WHERE id = $2 AND runner = $3 AND status = 'running'")
                    .bind(now)
                    .bind(scan_id)
                    .bind(runner)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
            if !still_ours {
                tx.rollback().await?;
                return Ok(false);
            }
            // A finding is new to this scan unless it was open or exempted before (a
            // resolved one that reappears counts as new again); exempted ones are not new.
            let unresolved: HashSet<String> = sqlx::query_scalar::<_, String>(
                "SELECT fingerprint FROM findings WHERE cluster_id = $1 AND status <> 'resolved'",
            )
            .bind(cluster_id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
            let new_findings = outcome
                .findings
                .iter()
                .filter(|finding| !finding.exempted && !unresolved.contains(&finding.fingerprint))
                .count() as i64;
            drop(unresolved);
            for batch in outcome.findings.chunks(BATCH_ROWS) {
                let sql = upsert_sql(batch.len());
                let mut query = sqlx::query(&sql).bind(cluster_id).bind(now).bind(scan_id);
                for finding in batch {
                    query = query
                        .bind(&finding.fingerprint)
                        .bind(&finding.rule)
                        .bind(finding.severity.as_str())
                        .bind(&finding.kind)
                        .bind(&finding.namespace)
                        .bind(&finding.name)
                        .bind(&finding.path)
                        .bind(&finding.message)
                        .bind(if finding.exempted { "exempted" } else { "open" })
                        .bind(&finding.exemption_reason);
                }
                query.execute(&mut *tx).await?;
            }
            let mut resolved_findings = 0i64;
            if may_resolve {
                let mut query = sqlx::query(&resolve_sql).bind(now).bind(cluster_id).bind(scan_id);
                for kind in &unreadable_kinds {
                    query = query.bind(*kind);
                }
                for rule in &outcome.unjudged_rules {
                    query = query.bind(rule);
                }
                resolved_findings = query.execute(&mut *tx).await?.rows_affected() as i64;
            }
            sqlx::query(
                "UPDATE scans SET status = $1, finished_at = $2, objects = $3, score = $4, grade = $5, \
                 critical = $6, high = $7, medium = $8, low = $9, info = $10, new_findings = $11, \
                 resolved_findings = $12, errors = $13, namespaces = $14 WHERE id = $15",
            )
            .bind(status)
            .bind(now)
            .bind(outcome.objects)
            .bind(outcome.score)
            .bind(&outcome.grade)
            .bind(outcome.counts[0])
            .bind(outcome.counts[1])
            .bind(outcome.counts[2])
            .bind(outcome.counts[3])
            .bind(outcome.counts[4])
            .bind(new_findings)
            .bind(resolved_findings)
            .bind(&errors)
            .bind(&namespaces)
            .bind(scan_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The scan, if its cluster belongs to one of the user's teams.
    pub async fn scan_for_user(&self, user_id: i64, scan_id: i64) -> Result<Option<Scan>, sqlx::Error> {
        let sql = format!(
            "SELECT {SCAN_COLUMNS} FROM scans s JOIN clusters c ON c.id = s.cluster_id \
             JOIN memberships m ON m.team_id = c.team_id AND m.user_id = $1 WHERE s.id = $2"
        );
        on_pool!(self, |pool| {
            match sqlx::query(&sql).bind(user_id).bind(scan_id).fetch_optional(pool).await? {
                Some(row) => Ok(Some(scan_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// The scans of a cluster (the caller has checked access), newest first.
    pub async fn list_scans(&self, cluster_id: i64, limit: i64) -> Result<Vec<Scan>, sqlx::Error> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans s WHERE s.cluster_id = $1 ORDER BY s.id DESC LIMIT $2");
        on_pool!(self, |pool| {
            let rows = sqlx::query(&sql).bind(cluster_id).bind(limit).fetch_all(pool).await?;
            let mut scans = Vec::with_capacity(rows.len());
            for row in rows {
                scans.push(scan_from_row!(row));
            }
            Ok(scans)
        })
    }

    /// A page of a cluster's findings (the caller has checked access), by id.
    pub async fn list_findings(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
    ) -> Result<Vec<StoredFinding>, sqlx::Error> {
        let mut sql = String::from(
            "SELECT id, rule, severity, status, kind, namespace, name, path, message, first_seen, last_seen, \
             resolved_at, exemption_reason FROM findings WHERE cluster_id = $1 AND id > $2",
        );
        let mut texts: Vec<String> = Vec::new();
        for (column, value) in [
            ("status", &filter.status),
            ("severity", &filter.severity),
            ("rule", &filter.rule),
            ("namespace", &filter.namespace),
        ] {
            if let Some(value) = value {
                texts.push(value.clone());
                sql.push_str(&format!(" AND {column} = ${}", texts.len() + 2));
            }
        }
        // Each word anywhere in the row's text; LOWER on both sides, as PostgreSQL's LIKE
        // is case-sensitive and SQLite's is not.
        for word in filter.text.as_deref().unwrap_or_default().split_whitespace().take(8) {
            texts.push(contains_pattern(word));
            sql.push_str(&format!(
                " AND LOWER(name || ' ' || namespace || ' ' || kind || ' ' || rule || ' ' || path || ' ' || message) \
                 LIKE ${} ESCAPE '\\'",
                texts.len() + 2
            ));
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${}", texts.len() + 3));
        on_pool!(self, |pool| {
            let mut query = sqlx::query(&sql).bind(cluster_id).bind(filter.after.unwrap_or(0));
            for text in &texts {
                query = query.bind(text.as_str());
            }
            let rows = query.bind(filter.limit).fetch_all(pool).await?;
            let mut findings = Vec::with_capacity(rows.len());
            for row in rows {
                findings.push(StoredFinding {
                    id: row.try_get("id")?,
                    rule: row.try_get("rule")?,
                    severity: row.try_get("severity")?,
                    status: row.try_get("status")?,
                    kind: row.try_get("kind")?,
                    namespace: row.try_get("namespace")?,
                    name: row.try_get("name")?,
                    path: row.try_get("path")?,
                    message: row.try_get("message")?,
                    first_seen: row.try_get("first_seen")?,
                    last_seen: row.try_get("last_seen")?,
                    resolved_at: row.try_get("resolved_at")?,
                    exemption_reason: row.try_get("exemption_reason")?,
                });
            }
            Ok(findings)
        })
    }

    /// One point per finished scan (succeeded or partial) of the cluster, oldest first,
    /// between the two times when given.
    pub async fn trend(
        &self,
        cluster_id: i64,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<Vec<TrendPoint>, sqlx::Error> {
        // The points come back as one JSON array in one row: SQLite's driver hands each row
        // over from its worker thread on its own, which made a year of daily scans (365 rows)
        // most of the request's time.
        const SQLITE: &str = "SELECT json_group_array(json_array(id, finished_at, score, grade, critical, high, \
             medium, low, info, new_findings, resolved_findings) ORDER BY finished_at, id) FROM scans \
             WHERE cluster_id = $1 AND status IN ('succeeded', 'partial') AND finished_at >= $2 AND finished_at <= $3";
        const POSTGRES: &str = "SELECT json_agg(json_build_array(id, finished_at, score, grade, critical, high, \
             medium, low, info, new_findings, resolved_findings) ORDER BY finished_at, id)::text FROM scans \
             WHERE cluster_id = $1 AND status IN ('succeeded', 'partial') AND finished_at >= $2 AND finished_at <= $3";
        let from = from.unwrap_or(i64::MIN);
        let to = to.unwrap_or(i64::MAX);
        let json: Option<String> = match self {
            Store::Sqlite(pool) => {
                sqlx::query_scalar(SQLITE).bind(cluster_id).bind(from).bind(to).fetch_one(pool).await?
            }
            Store::Postgres(pool) => {
                sqlx::query_scalar(POSTGRES).bind(cluster_id).bind(from).bind(to).fetch_one(pool).await?
            }
        };
        type Point = (i64, i64, Option<i64>, Option<String>, i64, i64, i64, i64, i64, i64, i64);
        let rows: Vec<Point> = match json {
            Some(json) => serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
            None => Vec::new(),
        };
        Ok(rows
            .into_iter()
            .map(|(scan, at, score, grade, critical, high, medium, low, info, new_findings, resolved_findings)| {
                TrendPoint {
                    scan,
                    at,
                    score,
                    grade,
                    counts: [critical, high, medium, low, info],
                    new_findings,
                    resolved_findings,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("Web"), "%web%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }

    #[test]
    fn batches_number_their_parameters_after_the_shared_ones() {
        let sql = upsert_sql(2);
        assert!(sql.contains("VALUES ($1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $2, $2, $3, $3), ($1, $14,"));
        assert!(sql.contains("$23, $2, $2, $3, $3) ON CONFLICT"), "{sql}");
        const { assert!(3 + BATCH_ROWS * UPSERT_PARAMETERS < 32_766) };
        assert_eq!(
            resolve_sql(2, 1),
            "UPDATE findings SET status = 'resolved', resolved_at = $1 WHERE cluster_id = $2 AND last_scan_id <> $3 \
             AND status <> 'resolved' AND kind NOT IN ($4, $5) AND rule NOT IN ($6)"
        );
        assert!(!resolve_sql(0, 0).contains("NOT IN"));
    }

    #[test]
    fn namespace_summaries_stored_before_scores_read_without_one() {
        let stored = r#"{"prod": {"objects": 2, "critical": 1, "high": 0, "medium": 3, "low": 0, "info": 0}}"#;
        let namespaces: BTreeMap<String, NamespaceSummary> = serde_json::from_str(stored).unwrap();
        assert_eq!(namespaces["prod"], NamespaceSummary { objects: 2, critical: 1, medium: 3, ..Default::default() });
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        let a = fingerprint(1, "rule", "Pod", "ns", "ab", "spec");
        assert_eq!(a, fingerprint(1, "rule", "Pod", "ns", "ab", "spec"));
        assert_ne!(a, fingerprint(1, "rule", "Pod", "nsa", "b", "spec"));
        assert_ne!(a, fingerprint(2, "rule", "Pod", "ns", "ab", "spec"));
        assert_eq!(a.len(), 64);
    }
}
