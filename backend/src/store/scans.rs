//! Scans, and reading findings.
//!
//! A finding is identified by its fingerprint (cluster, rule, object kind, namespace and
//! name, field path). How a scan's findings are written, batch by batch and by difference,
//! is [`super::recording`]'s business; [`Store::record_scan`] records a whole scan held in
//! memory through the same path. Storage grows with distinct findings, not with scans; each
//! scan row keeps its summary for the trend.

use std::collections::BTreeMap;

use serde::Serialize;

use super::recording::Batch;
use super::{now_millis, on_pool, Store};

/// Counts per severity, in the order critical, high, medium, low, info.
pub type Counts = [i64; 5];

/// Something the scan could not read, and a namespace's part of a scan's summary (its
/// objects, open findings by severity, and the engine's score of its objects alone): stored
/// as the API shows them. Scans stored before namespaces had scores read back `None`.
pub use rampart_api::{NamespaceSummary, ScanError};

/// A whole scan's results held at once (a small input, a test): recorded as one batch.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub batch: Batch,
    /// What the scan could not read: a kind (its findings are not resolved), or input it
    /// could not attribute to a kind (nothing is resolved).
    pub errors: Vec<ScanError>,
    /// Rules the scan could not judge (they conclude from the absence of a kind it could
    /// not list, and were not run): their findings are neither opened nor resolved.
    pub unjudged_rules: Vec<String>,
}

/// The severity of `findings.severity` as a rank, most severe first: the expression of the
/// index `findings_open_by_severity` (open findings of a cluster by severity, then id),
/// which a query ordering by it must repeat exactly.
pub const SEVERITY_RANK: &str =
    "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END";

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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
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

/// How a findings list is ordered; every order ends with the finding's id, so that pages
/// follow each other without gaps or repeats (keyset pagination).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingOrder {
    /// Most severe first ([`SEVERITY_RANK`]), then by id.
    #[default]
    Severity,
    /// By rule id.
    Rule,
    /// By namespace, kind and name.
    Object,
    /// Newest first (by id, descending: ids grow as findings are first stored).
    Newest,
}

impl FindingOrder {
    pub const ALL: [FindingOrder; 4] =
        [FindingOrder::Severity, FindingOrder::Rule, FindingOrder::Object, FindingOrder::Newest];

    pub fn key(self) -> &'static str {
        match self {
            FindingOrder::Severity => "severity",
            FindingOrder::Rule => "rule",
            FindingOrder::Object => "object",
            FindingOrder::Newest => "newest",
        }
    }

    pub fn parse(key: &str) -> Option<FindingOrder> {
        FindingOrder::ALL.into_iter().find(|order| order.key() == key)
    }
}

/// Where the next page of a findings list starts: the sort keys of the previous page's
/// last row. Opaque to clients (hex of its JSON); it belongs to one order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Cursor {
    Severity(i64, i64),
    Rule(String, i64),
    Object(String, String, String, i64),
    Newest(i64),
}

impl Cursor {
    /// The cursor after `finding` in `order`.
    pub fn after(order: FindingOrder, finding: &StoredFinding) -> Cursor {
        match order {
            FindingOrder::Severity => Cursor::Severity(severity_rank(&finding.severity), finding.id),
            FindingOrder::Rule => Cursor::Rule(finding.rule.clone(), finding.id),
            FindingOrder::Object => {
                Cursor::Object(finding.namespace.clone(), finding.kind.clone(), finding.name.clone(), finding.id)
            }
            FindingOrder::Newest => Cursor::Newest(finding.id),
        }
    }

    pub fn order(&self) -> FindingOrder {
        match self {
            Cursor::Severity(..) => FindingOrder::Severity,
            Cursor::Rule(..) => FindingOrder::Rule,
            Cursor::Object(..) => FindingOrder::Object,
            Cursor::Newest(..) => FindingOrder::Newest,
        }
    }

    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        json.bytes().map(|byte| format!("{byte:02x}")).collect()
    }

    /// `None` for anything [`Cursor::encode`] did not make.
    pub fn decode(text: &str) -> Option<Cursor> {
        if text.len() % 2 != 0 || text.len() > 4096 {
            return None;
        }
        let bytes: Option<Vec<u8>> =
            (0..text.len()).step_by(2).map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok()).collect();
        serde_json::from_slice(&bytes?).ok()
    }
}

/// A severity's rank as [`SEVERITY_RANK`] computes it.
fn severity_rank(severity: &str) -> i64 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    }
}

/// Filters and order of the findings list; `after` is where the page starts.
#[derive(Clone, Debug, Default)]
pub struct FindingFilter {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub rule: Option<String>,
    pub namespace: Option<String>,
    /// Words that must all occur (case-insensitively) in the finding's object name,
    /// namespace, kind, rule, path or message.
    pub text: Option<String>,
    pub order: FindingOrder,
    pub after: Option<Cursor>,
    pub limit: i64,
    /// Only findings open at this time, as reports read it (first seen by then, and open
    /// now or resolved after it; exempted ones are not open); leaves `status` unset.
    pub open_at: Option<i64>,
}

/// A value bound to a findings query.
enum Bound {
    Int(i64),
    Text(String),
}

/// The statuses a finding can have: the findings list says a known one literally, as the
/// index `findings_by_severity` (cluster, status, severity rank, id) is read best with it.
const STATUSES: [&str; 3] = ["open", "resolved", "exempted"];

/// The severities, most severe first: a severity's rank is its position.
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// How many findings a text filter examines at most per query (rows read in the list's
/// order, matching or not), whether it finds a page's worth or none: a page stops there and
/// says where the next one starts, a total counts the matches among that many and says it is
/// a lower bound. Without an index over the findings' text (which would cost every scan's
/// inserts more than all other indexes together) a word found in few findings otherwise reads
/// every finding of the cluster, 1–2 s at 500,000.
pub const TEXT_WINDOW: i64 = 2_000;

impl FindingFilter {
    /// The conditions on findings `f` of cluster `$1` (without the cursor), text included, and
    /// the values they bind from `$2` on. `sqlite` says which backend's text match to write.
    fn conditions(&self, cluster_id: i64, sqlite: bool) -> (String, Vec<Bound>) {
        let (mut sql, mut bound) = self.conditions_without_text(cluster_id);
        self.push_text_conditions(&mut sql, &mut bound, sqlite);
        (sql, bound)
    }

    /// The conditions on findings `f` of cluster `$1` but the text (and the cursor).
    fn conditions_without_text(&self, cluster_id: i64) -> (String, Vec<Bound>) {
        let mut bound = vec![Bound::Int(cluster_id)];
        let mut sql = String::from("f.cluster_id = $1");
        // A known status is said literally, and with a severity its rank is fixed too, so
        // the index `findings_by_severity` reads exactly those findings, in order of id.
        let status = self.literal_status();
        let fixed_rank = self.fixed_rank();
        if let Some(status) = status {
            // With a namespace, or in the object order, the status is said so that no index
            // on it is used: `findings_namespace` reads that namespace's findings alone, or
            // walks in the object order and stops after a page, where SQLite's planner would
            // rather read every finding of the status (500,000: seconds).
            let column = if self.order == FindingOrder::Object || self.namespace.is_some() {
                "f.status || ''"
            } else {
                "f.status"
            };
            sql.push_str(&format!(" AND {column} = '{status}'"));
        }
        if let Some(rank) = fixed_rank {
            sql.push_str(&format!(" AND {SEVERITY_RANK} = {rank}"));
        }
        if let Some(at) = self.open_at {
            bound.push(Bound::Int(at));
            let at = bound.len();
            sql.push_str(&format!(
                " AND f.first_seen <= ${at} AND (f.status = 'open' OR (f.status = 'resolved' AND f.resolved_at > ${at}))"
            ));
        }
        for (column, value) in [
            ("status", if status.is_some() { &None } else { &self.status }),
            ("severity", if fixed_rank.is_some() { &None } else { &self.severity }),
            ("rule", &self.rule),
            ("namespace", &self.namespace),
        ] {
            if let Some(value) = value {
                bound.push(Bound::Text(value.clone()));
                sql.push_str(&format!(" AND f.{column} = ${}", bound.len()));
            }
        }
        (sql, bound)
    }

    /// The words of the text filter (at most 8).
    fn words(&self) -> impl Iterator<Item = &str> {
        self.text.as_deref().unwrap_or_default().split_whitespace().take(8)
    }

    fn has_text(&self) -> bool {
        self.words().next().is_some()
    }

    /// Each word anywhere in the row's object name, namespace or kind, rule, path or
    /// message, ignoring ASCII case on both backends. A word holds no whitespace, so it
    /// occurs in one of them or in none: on SQLite, whose `LIKE` ignores ASCII case, each
    /// column is matched on its own (half the time of lower-casing their concatenation); on
    /// PostgreSQL, whose `LIKE` is case-sensitive, their concatenation is lower-cased in the
    /// "C" collation (ASCII letters only, as SQLite does: half the time of the database's
    /// collation) and matched (faster there than a match per column or `ILIKE`).
    fn push_text_conditions(&self, sql: &mut String, bound: &mut Vec<Bound>, sqlite: bool) {
        for word in self.words() {
            bound.push(Bound::Text(contains_pattern(word)));
            let n = bound.len();
            if sqlite {
                let columns = ["name", "namespace", "kind", "rule", "path", "message"];
                let any: Vec<String> =
                    columns.iter().map(|column| format!("f.{column} LIKE ${n} ESCAPE '\\'")).collect();
                sql.push_str(&format!(" AND ({})", any.join(" OR ")));
            } else {
                sql.push_str(&format!(
                    " AND LOWER((f.name || ' ' || f.namespace || ' ' || f.kind || ' ' || f.rule || ' ' || f.path || ' ' \
                     || f.message) COLLATE \"C\") LIKE ${n} ESCAPE '\\'"
                ));
            }
        }
    }

    /// The status, when it is one a finding can have.
    fn literal_status(&self) -> Option<&'static str> {
        let status = self.status.as_deref()?;
        STATUSES.into_iter().find(|known| *known == status)
    }

    /// The severity rank when the filter fixes both a known status and a known severity.
    fn fixed_rank(&self) -> Option<i64> {
        self.literal_status()?;
        let severity = self.severity.as_deref()?;
        SEVERITIES.contains(&severity).then(|| severity_rank(severity))
    }

    /// The condition that keeps rows after `cursor` in the filter's order (or, `upto`, rows up
    /// to and including it), appending its values to `bound`. The severity order repeats
    /// [`SEVERITY_RANK`] exactly, so the index `findings_by_severity` serves it; with the rank
    /// fixed ([`FindingFilter::fixed_rank`]) it is the order of ids.
    fn cursor_condition(&self, cursor: &Cursor, upto: bool, bound: &mut Vec<Bound>) -> String {
        let mut next = |value: Bound| {
            bound.push(value);
            format!("${}", bound.len())
        };
        let (op, lead_op, newest_op) = if upto { ("<=", "<=", ">=") } else { (">", ">=", "<") };
        match cursor.clone() {
            Cursor::Severity(rank, id) if self.fixed_rank().is_some() => {
                let fixed = self.fixed_rank().unwrap_or(rank);
                match (fixed.cmp(&rank), upto) {
                    (std::cmp::Ordering::Equal, _) => format!(" AND f.id {op} {}", next(Bound::Int(id))),
                    (std::cmp::Ordering::Greater, false) | (std::cmp::Ordering::Less, true) => String::new(),
                    _ => " AND 1 = 0".to_string(),
                }
            }
            // The leading key is also bounded on its own (`>=` after, `<=` up to): SQLite seeks
            // an index by a row value's first column only when it is compared alone, and
            // otherwise reads the index from the start of the range (a page deep in the list
            // read every finding before it: 0.7 s at 500,000).
            Cursor::Severity(rank, id) => {
                let (rank, id) = (next(Bound::Int(rank)), next(Bound::Int(id)));
                format!(" AND {SEVERITY_RANK} {lead_op} {rank} AND ({SEVERITY_RANK}, f.id) {op} ({rank}, {id})")
            }
            Cursor::Rule(rule, id) if self.rule.as_ref() == Some(&rule) => {
                format!(" AND f.id {op} {}", next(Bound::Int(id)))
            }
            Cursor::Rule(rule, id) => {
                format!(" AND (f.rule, f.id) {op} ({}, {})", next(Bound::Text(rule)), next(Bound::Int(id)))
            }
            Cursor::Object(namespace, kind, name, id) => {
                let namespace = next(Bound::Text(namespace));
                format!(
                    " AND f.namespace {lead_op} {namespace} AND (f.namespace, f.kind, f.name, f.id) {op} ({namespace}, {}, {}, {})",
                    next(Bound::Text(kind)),
                    next(Bound::Text(name)),
                    next(Bound::Int(id))
                )
            }
            Cursor::Newest(id) => format!(" AND f.id {newest_op} {}", next(Bound::Int(id))),
        }
    }

    /// The `ORDER BY` of the filter's order.
    fn order_by(&self) -> String {
        match self.order {
            FindingOrder::Severity if self.fixed_rank().is_some() => "f.id".to_string(),
            FindingOrder::Severity => format!("{SEVERITY_RANK}, f.id"),
            // One rule's findings (a filter, or one of [`Store::walk_rules`]'s walks): by id.
            FindingOrder::Rule if self.rule.is_some() => "f.id".to_string(),
            FindingOrder::Rule => "f.rule, f.id".to_string(),
            FindingOrder::Object => "f.namespace, f.kind, f.name, f.id".to_string(),
            FindingOrder::Newest => "f.id DESC".to_string(),
        }
    }
}

/// A page of a findings list and where the next one starts.
#[derive(Clone, Debug, Default)]
pub struct FindingsPage {
    /// At most the filter's limit, in its order.
    pub findings: Vec<StoredFinding>,
    /// `None` when no finding after these matches. With a text filter a page may hold fewer
    /// findings than its limit (even none) and still have a next one: it examined
    /// [`TEXT_WINDOW`] findings and stopped.
    pub next: Option<Cursor>,
}

/// How many findings a filter matches: exactly, or (`exact` false, a text filter over more
/// than [`TEXT_WINDOW`] findings) at least `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FindingsTotal {
    pub count: i64,
    pub exact: bool,
}

/// Rows read in a list's order, and how far they are known: `None` when the rows are every
/// match to the end, else the key up to which they are (rows after it were not examined).
type Walked = (Vec<StoredFinding>, Option<Cursor>);

/// How many findings a cluster has of a status and severity, from its counts.
type Held = (String, String, i64);

/// Every (status, severity) a cluster has findings of.
type Present = Vec<Held>;

/// A finding's place in the severity order.
fn severity_key(finding: &StoredFinding) -> (i64, i64) {
    (severity_rank(&finding.severity), finding.id)
}

fn cursor_key(cursor: &Cursor) -> (i64, i64) {
    match cursor {
        Cursor::Severity(rank, id) => (*rank, *id),
        _ => (i64::MAX, i64::MAX),
    }
}

/// Binds `bound` in order to a query.
macro_rules! bind_all {
    ($query:expr, $bound:expr) => {{
        let mut query = $query;
        for value in $bound {
            query = match value {
                Bound::Int(value) => query.bind(*value),
                Bound::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }};
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
    /// The score formula's version the score was computed with.
    pub formula_version: i64,
}

/// The five counts by severity of a row with the scans' columns `critical` … `info`.
#[derive(sqlx::FromRow)]
struct CountsRow {
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    info: i64,
}

impl From<CountsRow> for Counts {
    fn from(row: CountsRow) -> Counts {
        [row.critical, row.high, row.medium, row.low, row.info]
    }
}

/// A scan's results: the columns `score`, `grade`, the five counts, `new_findings` and
/// `resolved_findings`.
#[derive(sqlx::FromRow)]
struct ResultsRow {
    score: Option<i64>,
    grade: Option<String>,
    #[sqlx(flatten)]
    counts: CountsRow,
    new_findings: i64,
    resolved_findings: i64,
}

/// A [`TrendPoint`]'s row: the columns `id`, `finished_at`, `score`, `grade`, the five
/// counts, `new_findings`, `resolved_findings` and `formula_version` (the trend's and
/// reports').
#[derive(sqlx::FromRow)]
pub(super) struct TrendPointRow {
    id: i64,
    finished_at: i64,
    #[sqlx(flatten)]
    results: ResultsRow,
    formula_version: i64,
}

impl From<TrendPointRow> for TrendPoint {
    fn from(row: TrendPointRow) -> TrendPoint {
        TrendPoint {
            scan: row.id,
            at: row.finished_at,
            score: row.results.score,
            grade: row.results.grade,
            counts: row.results.counts.into(),
            new_findings: row.results.new_findings,
            resolved_findings: row.results.resolved_findings,
            formula_version: row.formula_version,
        }
    }
}

const SCAN_COLUMNS: &str = "s.id, s.cluster_id, s.status, s.source, s.queued_at, s.started_at, s.finished_at, \
     s.objects, s.score, s.grade, s.critical, s.high, s.medium, s.low, s.info, s.new_findings, \
     s.resolved_findings, s.errors, COALESCE(shared.namespaces, s.namespaces) AS namespaces, s.message";
/// The scan whose summaries a scan of [`SCAN_COLUMNS`] refers to ([`earlier_text`]).
const SCAN_SHARED: &str = "LEFT JOIN scans shared ON shared.id = s.namespaces_of";

/// The query for the text of `column` (`namespaces` or `rule_results`, JSON) that the latest
/// earlier finished scan of a scan's cluster concluded, and the scan that holds it: itself,
/// or the scan it refers to in `<column>_of` (migration 0026). A scan that concludes the
/// same text refers to that scan instead of keeping a copy; binds the scan's id as `$1`.
pub(super) fn earlier_text(column: &str) -> String {
    format!(
        "SELECT COALESCE(s.{column}_of, s.id), COALESCE(shared.{column}, s.{column}) FROM scans s \
         LEFT JOIN scans shared ON shared.id = s.{column}_of \
         WHERE s.cluster_id = (SELECT cluster_id FROM scans WHERE id = $1) AND s.id < $1 \
         AND s.finished_at IS NOT NULL AND (s.{column} IS NOT NULL OR s.{column}_of IS NOT NULL) \
         ORDER BY s.id DESC LIMIT 1"
    )
}

/// What a scan stores of `text` given [`earlier_text`]'s row: nothing and the scan holding
/// the same text, or the text itself.
pub(super) fn shared(earlier: Option<(i64, Option<String>)>, text: String) -> (Option<String>, Option<i64>) {
    match earlier {
        Some((of, Some(earlier))) if earlier == text => (None, Some(of)),
        _ => (Some(text), None),
    }
}

/// A row of [`SCAN_COLUMNS`]; `errors` and `namespaces` are JSON.
#[derive(sqlx::FromRow)]
struct ScanRow {
    id: i64,
    cluster_id: i64,
    status: String,
    source: String,
    queued_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    objects: i64,
    #[sqlx(flatten)]
    results: ResultsRow,
    errors: String,
    namespaces: String,
    message: Option<String>,
}

impl From<ScanRow> for Scan {
    fn from(row: ScanRow) -> Scan {
        Scan {
            id: row.id,
            cluster_id: row.cluster_id,
            status: row.status,
            source: row.source,
            queued_at: row.queued_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            objects: row.objects,
            score: row.results.score,
            grade: row.results.grade,
            counts: row.results.counts.into(),
            new_findings: row.results.new_findings,
            resolved_findings: row.results.resolved_findings,
            errors: serde_json::from_str(&row.errors).unwrap_or_default(),
            namespaces: serde_json::from_str(&row.namespaces).unwrap_or_default(),
            message: row.message,
        }
    }
}

/// A row of [`Store::walk`]'s query: a finding, `first_seen` already the finishing time of
/// the scan that first stored it where there is one, and `last_seen` as stored.
#[derive(sqlx::FromRow)]
struct FindingRow {
    id: i64,
    rule: String,
    severity: String,
    status: String,
    kind: String,
    namespace: String,
    name: String,
    path: String,
    message: String,
    first_seen: i64,
    last_seen: Option<i64>,
    resolved_at: Option<i64>,
    exemption_reason: Option<String>,
}

impl FindingRow {
    /// The finding; `latest` is the finishing time of the cluster's latest finished scan,
    /// which a finding without a stored `last_seen` was last seen by.
    fn finding(self, latest: Option<i64>) -> StoredFinding {
        let first_seen = self.first_seen;
        StoredFinding {
            id: self.id,
            rule: self.rule,
            severity: self.severity,
            status: self.status,
            kind: self.kind,
            namespace: self.namespace,
            name: self.name,
            path: self.path,
            message: self.message,
            first_seen,
            last_seen: self.last_seen.unwrap_or_else(|| latest.unwrap_or(first_seen).max(first_seen)),
            resolved_at: self.resolved_at,
            exemption_reason: self.exemption_reason,
        }
    }
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
            .bind(super::storable(message).as_ref())
            .bind(scan_id)
            .bind(runner)
            .execute(pool)
            .await
            .map(|done| done.rows_affected() == 1)
        })
    }

    /// Records a finished scan held in memory, as one batch (see [`super::recording`]).
    /// Only a scan still `running` under `runner` is recorded; otherwise nothing is written
    /// and the answer is false: a runner that stalled past its lease finds its scan marked
    /// interrupted (and maybe retried by another replica), and its results are stale.
    pub async fn record_scan(
        &self,
        scan_id: i64,
        cluster_id: i64,
        runner: &str,
        outcome: &Outcome,
    ) -> Result<bool, sqlx::Error> {
        let may_resolve = outcome.errors.iter().all(|error| error.kind.is_some());
        let mut recording =
            self.begin_recording(scan_id, cluster_id, runner, &outcome.unjudged_rules, may_resolve).await?;
        Ok(self.record_batch(&mut recording, &outcome.batch).await?
            && self.finish_recording(&mut recording, &outcome.errors).await?)
    }

    /// The scan, if its cluster belongs to one of the user's teams.
    pub async fn scan_for_user(&self, user_id: i64, scan_id: i64) -> Result<Option<Scan>, sqlx::Error> {
        let sql = format!(
            "SELECT {SCAN_COLUMNS} FROM scans s {SCAN_SHARED} JOIN clusters c ON c.id = s.cluster_id \
             JOIN memberships m ON m.team_id = c.team_id AND m.user_id = $1 WHERE s.id = $2"
        );
        on_pool!(self, |pool| {
            let row = sqlx::query_as::<_, ScanRow>(&sql).bind(user_id).bind(scan_id).fetch_optional(pool);
            Ok(row.await?.map(Scan::from))
        })
    }

    /// The scans of a cluster (the caller has checked access), newest first.
    pub async fn list_scans(&self, cluster_id: i64, limit: i64) -> Result<Vec<Scan>, sqlx::Error> {
        let sql = format!(
            "SELECT {SCAN_COLUMNS} FROM scans s {SCAN_SHARED} WHERE s.cluster_id = $1 ORDER BY s.id DESC LIMIT $2"
        );
        on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, ScanRow>(&sql).bind(cluster_id).bind(limit).fetch_all(pool).await?;
            Ok(rows.into_iter().map(Scan::from).collect())
        })
    }

    /// Up to the filter's limit of a cluster's findings (the caller has checked access), in
    /// the filter's order, from its cursor on: [`Store::findings_page`]'s findings.
    pub async fn list_findings(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
    ) -> Result<Vec<StoredFinding>, sqlx::Error> {
        Ok(self.findings_page(cluster_id, filter).await?.findings)
    }

    /// A page of a cluster's findings (the caller has checked access), in the filter's
    /// order, from its cursor on, and where the next one starts.
    ///
    /// The default order (most severe first) reads the index `findings_by_severity`: with a
    /// status, in one walk; without, one walk per status the cluster's counts hold, merged;
    /// with a rule, one walk per severity the rule has findings of (there is no index by
    /// rule), so that a rule without critical findings does not read every critical one.
    /// The rule order reads one rule at a time ([`Store::walk_rules`]). A text filter
    /// examines at most [`TEXT_WINDOW`] findings per walk.
    ///
    /// `first_seen` is the finishing time of the scan that first stored the finding (the
    /// time it was stored while that scan runs); `last_seen` is the stored one when a scan
    /// resolved the finding or could not look at it, and otherwise (every later scan saw
    /// it) the finishing time of the cluster's latest finished scan.
    pub async fn findings_page(&self, cluster_id: i64, filter: &FindingFilter) -> Result<FindingsPage, sqlx::Error> {
        Ok(self.read_page(cluster_id, filter).await?.0)
    }

    /// [`Store::findings_page`] and [`Store::total_findings`] in one: the total is taken from
    /// the counts the page's reads summed when they did (no text filter), and read otherwise.
    pub async fn findings_page_and_total(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
    ) -> Result<(FindingsPage, FindingsTotal), sqlx::Error> {
        if filter.has_text() {
            // The total reads its own window of findings: on a second connection, while the
            // page is read.
            let ((page, _), total) =
                tokio::try_join!(self.read_page(cluster_id, filter), self.total_findings(cluster_id, filter))?;
            return Ok((page, total));
        }
        let (page, counted) = self.read_page(cluster_id, filter).await?;
        let total = match counted {
            Some(count) if !filter.has_text() && filter.open_at.is_none() => FindingsTotal { count, exact: true },
            _ => self.total_findings(cluster_id, filter).await?,
        };
        Ok((page, total))
    }

    /// [`Store::findings_page`], and how many findings the filter (but its text) matches when
    /// the reads summed it from the cluster's counts on their way.
    async fn read_page(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
    ) -> Result<(FindingsPage, Option<i64>), sqlx::Error> {
        const LATEST: &str =
            "SELECT MAX(finished_at) FROM scans WHERE cluster_id = $1 AND status IN ('succeeded', 'partial')";
        let latest: Option<i64> =
            on_pool!(self, |pool| sqlx::query_scalar(LATEST).bind(cluster_id).fetch_one(pool).await)?;
        let limit = filter.limit.max(1);
        // One more than the page: whether there is a next page.
        let ((mut findings, known_to), counted) = if filter.order == FindingOrder::Severity
            && filter.open_at.is_none()
            && filter.namespace.is_none()
            && filter.status.is_none()
        {
            self.walk_statuses(cluster_id, filter, limit + 1, latest).await?
        } else if filter.order == FindingOrder::Rule && filter.open_at.is_none() && filter.rule.is_none() {
            self.walk_rules(cluster_id, filter, limit + 1, latest).await?
        } else {
            self.walk_status(cluster_id, filter, limit + 1, latest, None).await?
        };
        let next = if findings.len() as i64 > limit {
            findings.truncate(limit as usize);
            findings.last().map(|finding| Cursor::after(filter.order, finding))
        } else {
            known_to
        };
        Ok((FindingsPage { findings, next }, counted))
    }

    /// Which (status, severity) pairs the cluster has findings of, with the filter's status,
    /// severity, rule and namespace, and how many, from its counts (`finding_counts`); `None`
    /// while they are stale.
    async fn present(&self, cluster_id: i64, filter: &FindingFilter) -> Result<Option<Present>, sqlx::Error> {
        self.counted(cluster_id, filter, "status", None).await
    }

    /// Which (rule, severity) pairs the cluster has findings of, with the filter's status,
    /// severity, rule and namespace, from `from` on (rules compared as the database compares
    /// them), and how many, from its counts, in the database's order of rules; `None` while
    /// they are stale.
    async fn rules_present(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        from: Option<&str>,
    ) -> Result<Option<Present>, sqlx::Error> {
        self.counted(cluster_id, filter, "rule", from).await
    }

    /// The cluster's counts matching the filter's status, severity, rule and namespace, summed
    /// by `column` (`status` or `rule`) and severity, in the database's order of `column`;
    /// with `from`, only the `column` values from it on. `None` while the counts are stale.
    async fn counted(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        column: &str,
        from: Option<&str>,
    ) -> Result<Option<Present>, sqlx::Error> {
        let mut bound = vec![Bound::Int(cluster_id)];
        let mut conditions = String::from("n.cluster_id = $1 AND n.findings > 0");
        for (of, value) in [
            ("status", &filter.status),
            ("severity", &filter.severity),
            ("rule", &filter.rule),
            ("namespace", &filter.namespace),
        ] {
            if let Some(value) = value {
                bound.push(Bound::Text(value.clone()));
                conditions.push_str(&format!(" AND n.{of} = ${}", bound.len()));
            }
        }
        if let Some(from) = from {
            bound.push(Bound::Text(from.to_string()));
            conditions.push_str(&format!(" AND n.{column} >= ${}", bound.len()));
        }
        // One query: a row of status `stale` says the counts are.
        let sql = format!(
            "SELECT n.{column}, n.severity, CAST(SUM(n.findings) AS BIGINT) FROM finding_counts n WHERE {conditions} \
             GROUP BY n.{column}, n.severity \
             UNION ALL SELECT 'stale', 'stale', 0 FROM finding_counts_stale WHERE cluster_id = $1 ORDER BY 1"
        );
        let present: Present = on_pool!(self, |pool| bind_all!(sqlx::query_as(&sql), &bound).fetch_all(pool).await)?;
        Ok((!present.iter().any(|(_, severity, _)| severity == "stale")).then_some(present))
    }

    /// The rule order (no rule filter): one walk per rule the cluster's counts hold with the
    /// filter, in the database's order of rule ids, each by id within its rule: a first page
    /// reads a page of its first rule instead of sorting every finding of the cluster (1.1 s
    /// on SQLite at 500,000 findings). A rule found in one severity alone is read with its
    /// rank fixed, from `findings_by_severity` (with a status): the rows read then are its
    /// share of that severity's. Walks with a text filter share one window of [`TEXT_WINDOW`]
    /// findings, a rule walked to its end counting as all its findings. With stale counts,
    /// one walk sorting every match. The second value is how many findings the filter (but
    /// its text) matches, from the counts.
    async fn walk_rules(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        want: i64,
        latest: Option<i64>,
    ) -> Result<(Walked, Option<i64>), sqlx::Error> {
        let after = match &filter.after {
            Some(Cursor::Rule(rule, id)) => Some((rule.as_str(), *id)),
            _ => None,
        };
        let Some(present) = self.rules_present(cluster_id, filter, after.map(|(rule, _)| rule)).await? else {
            return Ok((self.walk(cluster_id, filter, want, latest, TEXT_WINDOW).await?, None));
        };
        // Each rule, in the counts' order, with its severities and how many it holds.
        let mut rules: Vec<(&str, Vec<&str>, i64)> = Vec::new();
        for (rule, severity, count) in &present {
            match rules.last_mut() {
                Some((last, severities, held)) if last == rule => {
                    severities.push(severity);
                    *held += count;
                }
                _ => rules.push((rule, vec![severity], *count)),
            }
        }
        let total = (filter.after.is_none()).then(|| rules.iter().map(|(_, _, held)| held).sum());
        let parts = rules.into_iter().map(|(rule, severities, held)| {
            let severity = match severities[..] {
                [only] if filter.literal_status().is_some() && filter.severity.is_none() => Some(only.to_string()),
                _ => filter.severity.clone(),
            };
            let part = FindingFilter {
                rule: Some(rule.to_string()),
                severity,
                after: after.filter(|(from, _)| *from == rule).map(|(_, id)| Cursor::Rule(rule.to_string(), id)),
                ..filter.clone()
            };
            // The rule's first finding is after this (ids start at 1).
            (part, held, Cursor::Rule(rule.to_string(), 0))
        });
        Ok((self.walk_parts(cluster_id, parts, want, latest).await?, total))
    }

    /// Walks `parts` of a list in their order: each a filter narrowing the list to one part
    /// (one severity, one rule), how many findings it holds, and the cursor before its first.
    /// The walks share one window of [`TEXT_WINDOW`] findings (a text filter's), a part walked
    /// to its end counting as all it holds; when it is spent, the rows are known up to the
    /// start of the next part.
    async fn walk_parts(
        &self,
        cluster_id: i64,
        parts: impl Iterator<Item = (FindingFilter, i64, Cursor)>,
        want: i64,
        latest: Option<i64>,
    ) -> Result<Walked, sqlx::Error> {
        let mut rows = Vec::new();
        let mut window = TEXT_WINDOW;
        for (part, held, start) in parts {
            if window <= 0 {
                return Ok((rows, Some(start)));
            }
            let (walked, to) = self.walk(cluster_id, &part, want - rows.len() as i64, latest, window).await?;
            rows.extend(walked);
            if to.is_some() {
                return Ok((rows, to));
            }
            window -= held;
        }
        Ok((rows, None))
    }

    /// The severity order without a status: one walk per status that has findings, merged.
    /// The merged rows are known as far as the least far of the walks.
    async fn walk_statuses(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        want: i64,
        latest: Option<i64>,
    ) -> Result<(Walked, Option<i64>), sqlx::Error> {
        // A text filter without a rule needs no counts (its total is read from the findings,
        // and each status's walk finds its severities itself): every status is walked, one
        // without findings at the cost of an index probe, rather than the counts summed.
        let counted = !filter.has_text() || filter.rule.is_some();
        let present = if counted { Some(self.present(cluster_id, filter).await?) } else { None };
        let total = present
            .as_ref()
            .and_then(|present| present.as_ref())
            .map(|present| present.iter().map(|(_, _, count)| count).sum());
        let mut rows = Vec::new();
        let mut known_to: Option<Cursor> = None;
        let statuses = present.as_ref().map(|present| present.as_deref());
        for status in STATUSES {
            if let Some(Some(present)) = &present {
                if !present.iter().any(|(held, _, _)| held == status) {
                    continue;
                }
            }
            let filter = FindingFilter { status: Some(status.to_string()), ..filter.clone() };
            let ((walked, to), _) = self.walk_status(cluster_id, &filter, want, latest, statuses).await?;
            rows.extend(walked);
            if let Some(to) = to {
                if known_to.as_ref().is_none_or(|known| cursor_key(&to) < cursor_key(known)) {
                    known_to = Some(to);
                }
            }
        }
        if let Some(known) = &known_to {
            rows.retain(|finding| severity_key(finding) <= cursor_key(known));
        }
        rows.sort_by_key(severity_key);
        if rows.len() as i64 > want {
            rows.truncate(want as usize);
            known_to = rows.last().map(|finding| Cursor::after(FindingOrder::Severity, finding));
        }
        Ok(((rows, known_to), total))
    }

    /// One status (or none, or another order): with a rule filter in the severity order (or
    /// a text filter, on SQLite), one walk per severity that has findings, from the cursor's
    /// on (each reads one range of `findings_by_severity`, from its cursor to its window's
    /// end, with the rank fixed); otherwise one walk. Walks with a text filter share one
    /// window of [`TEXT_WINDOW`] findings, a severity walked to its end counting as all its
    /// findings. `present` is [`Store::present`]'s answer when the caller has it
    /// (`Some(None)`: the counts are stale). The second value is how many findings the filter
    /// (but its text) matches when this read it from the counts.
    ///
    /// PostgreSQL bounds a walk of the whole status by the severity rank and id of its
    /// cursor and its window's end, one range of `findings_by_severity` (its row comparison
    /// is an index condition), so a text filter needs no counts there; SQLite bounds it by
    /// the ranks only, and a window ending in a large severity would read all of it.
    async fn walk_status(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        want: i64,
        latest: Option<i64>,
        present: Option<Option<&[Held]>>,
    ) -> Result<(Walked, Option<i64>), sqlx::Error> {
        let sqlite = matches!(self, Store::Sqlite(_));
        let ranked = filter.order == FindingOrder::Severity
            && filter.open_at.is_none()
            && filter.namespace.is_none()
            && filter.severity.is_none()
            && filter.literal_status().is_some();
        let by_rank = ranked && (filter.rule.is_some() || (sqlite && filter.has_text()));
        if !by_rank {
            if let (true, true, Some(Cursor::Severity(from, _))) = (ranked, sqlite, &filter.after) {
                // A later page on SQLite: one walk per severity from the cursor's, each a
                // range of `findings_by_severity` from its exact start, where one walk would
                // read the cursor's severity from its first finding (no counts needed: there
                // is no text window to share).
                let from = (*from).clamp(0, SEVERITIES.len() as i64 - 1);
                let parts = (from..SEVERITIES.len() as i64).map(|rank| {
                    let part = FindingFilter {
                        severity: Some(SEVERITIES[rank as usize].to_string()),
                        after: filter.after.clone().filter(|_| rank == from),
                        ..filter.clone()
                    };
                    (part, 0, Cursor::Severity(rank, 0))
                });
                return Ok((self.walk_parts(cluster_id, parts, want, latest).await?, None));
            }
            return Ok((self.walk(cluster_id, filter, want, latest, TEXT_WINDOW).await?, None));
        }
        let queried;
        let (present, total) = match present {
            Some(present) => (present, None),
            // A text filter without a rule (SQLite): the severities' findings are found and
            // sized from the index as the walk needs them, when the counts are fresh (held as
            // a window each when they are stale, as below).
            None if filter.rule.is_none() && filter.has_text() => {
                if !self.counts_stale(cluster_id).await? {
                    return Ok((self.walk_ranks(cluster_id, filter, want, latest).await?, None));
                }
                (None, None)
            }
            None => {
                queried = self.present(cluster_id, filter).await?;
                let total = queried.as_ref().map(|present| present.iter().map(|(_, _, count)| count).sum());
                (queried.as_deref(), total)
            }
        };
        let status = filter.literal_status().unwrap_or_default();
        let from = match filter.after {
            Some(Cursor::Severity(rank, _)) => rank,
            _ => 0,
        };
        let parts = SEVERITIES.iter().enumerate().filter_map(|(rank, severity)| {
            let rank = rank as i64;
            let held = match present {
                Some(present) => {
                    present.iter().find(|(of, held, _)| of == status && held == severity).map(|(_, _, count)| *count)
                }
                None => Some(TEXT_WINDOW),
            };
            let held = held.filter(|_| rank >= from)?;
            let part = FindingFilter {
                severity: Some(severity.to_string()),
                after: filter.after.clone().filter(|_| rank == from),
                ..filter.clone()
            };
            // The severity's first finding is after this (ids start at 1).
            Some((part, held, Cursor::Severity(rank, 0)))
        });
        Ok((self.walk_parts(cluster_id, parts, want, latest).await?, total))
    }

    /// [`Store::walk_status`]'s walk of one status by severity (a literal status, no rule,
    /// namespace or severity, fresh counts) without the counts: one walk per severity that has
    /// findings, from the cursor's on, sharing one window of [`TEXT_WINDOW`] findings, a
    /// severity walked to its end counting as all its findings. Which severity has findings
    /// is probed in `findings_by_severity`, and how many a walked one holds is counted there,
    /// up to what is left of the window (all that the window's arithmetic needs): a first
    /// page whose window ends in its first severity reads no more than its walk, where the
    /// counts would be summed over every rule and namespace (18,600 rows at 500,000 findings).
    async fn walk_ranks(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        want: i64,
        latest: Option<i64>,
    ) -> Result<Walked, sqlx::Error> {
        let from = match filter.after {
            Some(Cursor::Severity(rank, _)) => rank,
            _ => 0,
        };
        let mut rows = Vec::new();
        let mut window = TEXT_WINDOW;
        let mut rank = from;
        while let Some(next) = self.next_rank(cluster_id, filter, rank).await? {
            if window <= 0 {
                return Ok((rows, Some(Cursor::Severity(next, 0))));
            }
            let part = FindingFilter {
                severity: Some(SEVERITIES[next as usize].to_string()),
                after: filter.after.clone().filter(|_| next == from),
                ..filter.clone()
            };
            let (walked, to) = self.walk(cluster_id, &part, want - rows.len() as i64, latest, window).await?;
            rows.extend(walked);
            if to.is_some() {
                return Ok((rows, to));
            }
            window -= self.count_up_to(cluster_id, &FindingFilter { after: None, ..part }, window).await?;
            rank = next + 1;
        }
        Ok((rows, None))
    }

    /// The rank of the first severity from `rank` on that has findings matching the filter's
    /// status and cluster (the filter has no severity, rule or namespace).
    async fn next_rank(&self, cluster_id: i64, filter: &FindingFilter, rank: i64) -> Result<Option<i64>, sqlx::Error> {
        let (conditions, mut bound) =
            FindingFilter { after: None, ..filter.clone() }.conditions_without_text(cluster_id);
        bound.push(Bound::Int(rank));
        let sql = format!(
            "SELECT {SEVERITY_RANK} FROM findings f WHERE {conditions} AND {SEVERITY_RANK} >= ${} \
             ORDER BY {SEVERITY_RANK}, f.id LIMIT 1",
            bound.len()
        );
        on_pool!(self, |pool| bind_all!(sqlx::query_scalar(&sql), &bound).fetch_optional(pool).await)
    }

    /// How many findings the filter matches but its text (and cursor), counted up to `limit`.
    async fn count_up_to(&self, cluster_id: i64, filter: &FindingFilter, limit: i64) -> Result<i64, sqlx::Error> {
        let (conditions, bound) = filter.conditions_without_text(cluster_id);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM findings f WHERE {conditions} LIMIT {}) examined",
            limit.max(0)
        );
        on_pool!(self, |pool| bind_all!(sqlx::query_scalar(&sql), &bound).fetch_one(pool).await)
    }

    /// Whether the cluster's `finding_counts` are marked stale (a scan's writes went other
    /// than planned, and its last step counts them again).
    async fn counts_stale(&self, cluster_id: i64) -> Result<bool, sqlx::Error> {
        const STALE: &str = "SELECT COUNT(*) FROM finding_counts_stale WHERE cluster_id = $1";
        let marks: i64 = on_pool!(self, |pool| sqlx::query_scalar(STALE).bind(cluster_id).fetch_one(pool).await)?;
        Ok(marks > 0)
    }

    /// One query: up to `want` findings in the filter's order from its cursor on. With a
    /// text filter, only the next `window` findings without it are examined: the last of
    /// them is found first, and bounds the walk.
    async fn walk(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        want: i64,
        latest: Option<i64>,
        window: i64,
    ) -> Result<Walked, sqlx::Error> {
        let sqlite = matches!(self, Store::Sqlite(_));
        let (mut conditions, mut bound) = filter.conditions_without_text(cluster_id);
        if let Some(after) = &filter.after {
            conditions.push_str(&filter.cursor_condition(after, false, &mut bound));
        }
        let order = filter.order_by();
        let mut window_end = None;
        if filter.has_text() {
            let sql = format!(
                "SELECT f.id, f.severity, f.rule, f.namespace, f.kind, f.name FROM findings f WHERE {conditions} \
                 ORDER BY {order} LIMIT 1 OFFSET {}",
                window.max(1) - 1
            );
            let end: Option<(i64, String, String, String, String, String)> =
                on_pool!(self, |pool| bind_all!(sqlx::query_as(&sql), &bound).fetch_optional(pool).await)?;
            if let Some((id, severity, rule, namespace, kind, name)) = end {
                let last = StoredFinding { id, severity, rule, namespace, kind, name, ..StoredFinding::default() };
                let end = Cursor::after(filter.order, &last);
                conditions.push_str(&filter.cursor_condition(&end, true, &mut bound));
                window_end = Some(end);
            }
            filter.push_text_conditions(&mut conditions, &mut bound, sqlite);
        }
        bound.push(Bound::Int(want));
        let sql = format!(
            "SELECT f.id, f.rule, f.severity, f.status, f.kind, f.namespace, f.name, f.path, f.message, \
             COALESCE(s.finished_at, f.first_seen) AS first_seen, f.last_seen, f.resolved_at, f.exemption_reason \
             FROM findings f LEFT JOIN scans s ON s.id = f.first_scan_id AND s.status IN ('succeeded', 'partial') \
             WHERE {conditions} ORDER BY {order} LIMIT ${}",
            bound.len()
        );
        let rows: Vec<FindingRow> =
            on_pool!(self, |pool| bind_all!(sqlx::query_as(&sql), &bound).fetch_all(pool).await)?;
        let findings: Vec<StoredFinding> = rows.into_iter().map(|row| row.finding(latest)).collect();
        let known_to = if findings.len() as i64 >= want {
            findings.last().map(|finding| Cursor::after(filter.order, finding))
        } else {
            window_end
        };
        Ok((findings, known_to))
    }

    /// How many of the cluster's findings the filter matches (its cursor and limit aside):
    /// summed from the cluster's `finding_counts` (one row per status, severity, rule and
    /// namespace, moved by each step of a scan that writes findings) when they are fresh and
    /// the filter has no text and no `open_at`; counted from the findings otherwise. With a
    /// text filter, see [`Store::total_findings`].
    pub async fn count_findings(&self, cluster_id: i64, filter: &FindingFilter) -> Result<i64, sqlx::Error> {
        if !filter.has_text() && filter.open_at.is_none() {
            let mut bound = vec![Bound::Int(cluster_id)];
            let mut conditions = String::from("n.cluster_id = $1");
            for (column, value) in [
                ("status", &filter.status),
                ("severity", &filter.severity),
                ("rule", &filter.rule),
                ("namespace", &filter.namespace),
            ] {
                if let Some(value) = value {
                    bound.push(Bound::Text(value.clone()));
                    conditions.push_str(&format!(" AND n.{column} = ${}", bound.len()));
                }
            }
            // The sum as text: SQLite's SUM is an integer, PostgreSQL's a numeric.
            let sql = format!(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM finding_counts_stale WHERE cluster_id = $1) THEN NULL \
                 ELSE CAST(COALESCE((SELECT SUM(n.findings) FROM finding_counts n WHERE {conditions}), 0) AS TEXT) END"
            );
            let summed: Option<String> =
                on_pool!(self, |pool| bind_all!(sqlx::query_scalar::<_, Option<String>>(&sql), &bound)
                    .fetch_one(pool)
                    .await)?;
            if let Some(total) = summed.and_then(|total| total.parse().ok()) {
                return Ok(total);
            }
        }
        let (conditions, bound) = filter.conditions(cluster_id, matches!(self, Store::Sqlite(_)));
        let sql = format!("SELECT COUNT(*) FROM findings f WHERE {conditions}");
        on_pool!(self, |pool| bind_all!(sqlx::query_scalar::<_, i64>(&sql), &bound).fetch_one(pool).await)
    }

    /// The findings list's total: [`Store::count_findings`] without a text filter; with one,
    /// the matches among the first [`TEXT_WINDOW`] findings the filter's other conditions
    /// match (in the order of an index), exact when there are no more than that.
    pub async fn total_findings(&self, cluster_id: i64, filter: &FindingFilter) -> Result<FindingsTotal, sqlx::Error> {
        if !filter.has_text() {
            return Ok(FindingsTotal { count: self.count_findings(cluster_id, filter).await?, exact: true });
        }
        let sqlite = matches!(self, Store::Sqlite(_));
        let (conditions, mut bound) = filter.conditions_without_text(cluster_id);
        let mut text = String::from("1 = 1");
        filter.push_text_conditions(&mut text, &mut bound, sqlite);
        // An order an index serves, so the window is the index's first rows: by id within a
        // status (`findings_cluster_status`) or a namespace (`findings_namespace`).
        let order = if filter.status.is_some() || filter.namespace.is_some() { "f.id" } else { "f.status, f.id" };
        let sql = format!(
            "SELECT COUNT(*), COALESCE(SUM(hit), 0) FROM (SELECT CASE WHEN {text} THEN 1 ELSE 0 END AS hit \
             FROM findings f WHERE {conditions} ORDER BY {order} LIMIT {TEXT_WINDOW}) examined"
        );
        let (examined, count): (i64, i64) =
            on_pool!(self, |pool| bind_all!(sqlx::query_as(&sql), &bound).fetch_one(pool).await)?;
        Ok(FindingsTotal { count, exact: examined < TEXT_WINDOW })
    }

    /// How many of the cluster's findings the filter matches per rule of `rules` (the
    /// filter's own rule, cursor and limit aside), counted from the findings in one pass
    /// whatever the number of rules; a rule without any is left out.
    pub async fn count_findings_by_rule(
        &self,
        cluster_id: i64,
        filter: &FindingFilter,
        rules: &[String],
    ) -> Result<BTreeMap<String, i64>, sqlx::Error> {
        if rules.is_empty() {
            return Ok(BTreeMap::new());
        }
        let (conditions, mut bound) =
            FindingFilter { rule: None, ..filter.clone() }.conditions(cluster_id, matches!(self, Store::Sqlite(_)));
        let first = bound.len() + 1;
        bound.extend(rules.iter().map(|rule| Bound::Text(rule.clone())));
        let list = (first..first + rules.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT f.rule, COUNT(*) FROM findings f WHERE {conditions} AND f.rule IN ({list}) GROUP BY f.rule"
        );
        let rows: Vec<(String, i64)> =
            on_pool!(self, |pool| bind_all!(sqlx::query_as(&sql), &bound).fetch_all(pool).await)?;
        Ok(rows.into_iter().collect())
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
             medium, low, info, new_findings, resolved_findings, formula_version) ORDER BY finished_at, id) FROM scans \
             WHERE cluster_id = $1 AND status IN ('succeeded', 'partial') AND finished_at >= $2 AND finished_at <= $3";
        const POSTGRES: &str = "SELECT json_agg(json_build_array(id, finished_at, score, grade, critical, high, \
             medium, low, info, new_findings, resolved_findings, formula_version) ORDER BY finished_at, id)::text FROM scans \
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
        type Point = (i64, i64, Option<i64>, Option<String>, i64, i64, i64, i64, i64, i64, i64, i64);
        let rows: Vec<Point> = match json {
            Some(json) => serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
            None => Vec::new(),
        };
        Ok(rows
            .into_iter()
            .map(
                |(
                    scan,
                    at,
                    score,
                    grade,
                    critical,
                    high,
                    medium,
                    low,
                    info,
                    new_findings,
                    resolved_findings,
                    formula_version,
                )| {
                    TrendPoint {
                        scan,
                        at,
                        score,
                        grade,
                        counts: [critical, high, medium, low, info],
                        new_findings,
                        resolved_findings,
                        formula_version,
                    }
                },
            )
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_anything_else() {
        for cursor in [
            Cursor::Severity(0, 12),
            Cursor::Rule("vap/no-latest".into(), 3),
            Cursor::Object("prod".into(), "Pod".into(), "web \"1\"".into(), 9),
            Cursor::Newest(40),
        ] {
            let text = cursor.encode();
            assert!(text.bytes().all(|byte| byte.is_ascii_hexdigit()), "{text}");
            assert_eq!(Cursor::decode(&text), Some(cursor));
        }
        for text in ["", "12", "zz", "7b7d", "abc", "1é"] {
            assert_eq!(Cursor::decode(text), None, "{text}");
        }
        assert_eq!(FindingOrder::parse("rule"), Some(FindingOrder::Rule));
        assert_eq!(FindingOrder::parse("id"), None);
    }

    #[test]
    fn text_patterns_take_wildcards_literally() {
        assert_eq!(contains_pattern("Web"), "%web%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }

    #[test]
    fn namespace_summaries_stored_before_scores_read_without_one() {
        let stored = r#"{"prod": {"objects": 2, "critical": 1, "high": 0, "medium": 3, "low": 0, "info": 0}}"#;
        let namespaces: BTreeMap<String, NamespaceSummary> = serde_json::from_str(stored).unwrap();
        assert_eq!(namespaces["prod"], NamespaceSummary { objects: 2, critical: 1, medium: 3, ..Default::default() });
    }
}
