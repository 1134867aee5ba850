//! Recording a scan batch by batch, and the findings lifecycle as a difference.
//!
//! A scan's objects arrive in batches (see [`crate::ingest`]). Each batch is recorded in
//! its own transaction: the stored findings of the batch's objects are read (by the ids
//! `finding_objects` gives the objects' hashes, which lead the findings' index), compared
//! with what the scan observed, and only the difference is written:
//!
//! - a finding not stored yet is inserted (new);
//! - a stored one seen again is not written at all, unless its status, severity, message
//!   or exemption reason changed, it had been resolved (it reopens, and is new again), or
//!   an earlier scan could not look at it (its `last_seen` was set; it is cleared);
//! - a stored open finding of an object in the batch that the scan did not observe is
//!   resolved, unless its rule was not judged (or nothing may be resolved, see below): then
//!   it stays open and its `last_seen` is set to the last time a scan saw it.
//!
//! When the last batch is in, [`Store::finish_recording`] deals with the objects the scan
//! did not see at all (deleted, or of a kind it could not list): their open findings are
//! resolved, except those of kinds the scan could not read and of rules it could not judge,
//! which keep their status with `last_seen` set. It then writes the scan's summary.
//!
//! Each step moves the cluster's `finding_counts` (one row per status, severity, rule and
//! namespace, what the findings list's totals sum) by what it wrote, in its own
//! transaction: +1 for an inserted finding, −1/+1 between rows for a finding whose status
//! changed, and the resolved ones as read just before they are resolved. So the counts
//! are right after every step, and a scan never counts the cluster's findings again
//! (a `GROUP BY` over every finding, seconds at 500,000). A step whose writes went other
//! than planned marks the counts stale instead, and the last step counts them again.
//!
//! So an unchanged rescan writes no findings row, and storage grows with distinct findings.
//! `last_seen` is NULL while the cluster's latest finished scan saw a finding: the API
//! answers with that scan's time ([`Store::list_findings`]).
//!
//! What a recording holds in memory besides the batch: the hash of every object seen (8
//! bytes each, to skip an object seen twice and to find the objects not seen), never the
//! findings. Every transaction first checks that the scan is still `running` under its
//! runner; a runner that stalled and had its scan handed on writes nothing more.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_core::score::Mean;
use rampart_core::Severity;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};

use super::object_states::{ObjectState, PreviousStates};
use super::scans::{Counts, NamespaceSummary, ScanError};
use super::{now_millis, Store};

/// Why a scan that saw no object with a kind has no score.
pub const NOTHING_TO_CHECK: &str = "Nothing to check: the input holds no Kubernetes object (a document with \
     apiVersion and kind), so this scan has no score and the cluster keeps its previous one.";

/// A recording's transaction, on either backend: the hot statements differ (PostgreSQL
/// takes arrays, SQLite multi-row lists of fixed sizes).
enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

/// The one connection a recording writes through, from its first batch to its end.
///
/// On SQLite a connection's page cache outlives its transactions only while no other
/// connection writes, and must hold the pages that a batch's inserts land on (the index of
/// `finding_objects` takes them in hash order, all over it; before migration 0024 the
/// findings' own fingerprint index did, at eleven times the size). With the pool's
/// connections taken in turn and SQLite's default cache (2 MB), every batch read the index
/// back from the file and wrote most of its pages again. The recording's connection gets
/// [`SQLITE_RECORDING_CACHE_KIB`] of cache, and is closed, not pooled, when the recording
/// ends, so no idle connection keeps that memory.
#[derive(Debug)]
enum Connection {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

/// Checkpoints of a recording's SQLite WAL, run on another connection of the pool.
///
/// SQLite's default (`wal_autocheckpoint`, 1,000 pages) runs the checkpoint on the
/// connection that commits, at the end of its commit: a recording's batch (tens of MB of
/// WAL each) then waited for its pages to be copied into the database file, and synced,
/// before the next batch could start, on the thread that is a first scan's critical path.
/// The recording's connection turns that off, and after each commit a PASSIVE checkpoint
/// runs on another connection (another thread) while the recording goes on: it copies what
/// the WAL holds without blocking the writer, and once it has copied everything the next
/// batch starts the WAL again from its beginning. One checkpoint at a time: a commit while
/// one runs leaves its frames to the next; after [`CHECKPOINTS_BEHIND`] such commits the
/// recording waits until the WAL is copied whole, which bounds it to a few batches.
#[derive(Debug, Default)]
struct Checkpoints {
    running: Option<tokio::task::JoinHandle<()>>,
    /// Commits made while a checkpoint ran, since the last one started.
    behind: usize,
}

/// Commits a recording makes while checkpoints run before it waits for them (see
/// [`Checkpoints`]).
const CHECKPOINTS_BEHIND: usize = 3;

impl Checkpoints {
    /// After a commit of the recording: starts a checkpoint unless one is running, and
    /// waits for the WAL to be copied whole when commits piled up behind running ones.
    async fn committed(&mut self, pool: &sqlx::SqlitePool) {
        if self.running.as_ref().is_some_and(|running| !running.is_finished()) {
            self.behind += 1;
            if self.behind < CHECKPOINTS_BEHIND {
                return;
            }
            self.whole(pool).await;
            return;
        }
        self.start(pool);
    }

    /// Waits until the WAL is copied whole: the checkpoint running, if any, then one of
    /// what it holds now.
    async fn whole(&mut self, pool: &sqlx::SqlitePool) {
        self.wait().await;
        self.start(pool);
        self.wait().await;
    }

    /// Starts a checkpoint of what the WAL holds now.
    fn start(&mut self, pool: &sqlx::SqlitePool) {
        self.behind = 0;
        let pool = pool.clone();
        self.running = Some(tokio::spawn(async move {
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                tracing::debug!(%error, "a checkpoint of the recording's WAL failed");
            }
        }));
    }

    /// Waits for the checkpoint running, if any.
    async fn wait(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.await;
        }
    }
}

/// The page cache of a recording's SQLite connection: enough for the pages of a cluster of
/// about a million findings that a batch's inserts touch (the findings' indexes by status,
/// namespace and severity where they end, the objects' index by hash), beyond which batches
/// still work, with more reads.
const SQLITE_RECORDING_CACHE_KIB: i64 = 32 * 1024;

/// A query built once, run on whichever transaction.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            Tx::Sqlite($conn) => $body,
            Tx::Postgres($conn) => $body,
        }
    };
}

/// One object a batch checked.
#[derive(Clone, Debug)]
pub struct SeenObject {
    pub kind: String,
    /// `""` for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    /// The object's score, when it counts in overall scores (a rule of medium severity or
    /// higher judged it: [`rampart_core::score::Tally::judged`]).
    pub score: Option<u32>,
}

/// One finding as a scan observed it; `object` is its object's position in the batch.
#[derive(Clone, Debug)]
pub struct Observed {
    pub object: usize,
    /// The engine's rule id, borrowed from its catalog (no copy per finding), or a custom
    /// policy's `vap/<name>`.
    pub rule: Cow<'static, str>,
    pub severity: Severity,
    pub path: String,
    pub message: String,
    pub exempted: bool,
    /// Why it is exempted, when it is.
    pub exemption_reason: Option<String>,
}

/// What a batch of a scan checked.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub objects: Vec<SeenObject>,
    pub findings: Vec<Observed>,
}

impl Batch {
    /// Appends another batch's objects and findings (one transaction then records both).
    pub fn absorb(&mut self, other: Batch) {
        let offset = self.objects.len();
        self.objects.extend(other.objects);
        self.findings
            .extend(other.findings.into_iter().map(|finding| Observed { object: finding.object + offset, ..finding }));
    }

    /// The batch with the NUL characters of its text replaced ([`super::storable`]); `None`
    /// when it has none (nearly always).
    fn storable(&self) -> Option<Batch> {
        let has_nul = |text: &str| text.contains('\0');
        let dirty = self
            .objects
            .iter()
            .any(|object| has_nul(&object.kind) || has_nul(&object.namespace) || has_nul(&object.name))
            || self.findings.iter().any(|finding| {
                has_nul(&finding.rule)
                    || has_nul(&finding.path)
                    || has_nul(&finding.message)
                    || finding.exemption_reason.as_deref().is_some_and(has_nul)
            });
        if !dirty {
            return None;
        }
        let clean = |text: &str| super::storable(text).into_owned();
        Some(Batch {
            objects: self
                .objects
                .iter()
                .map(|object| SeenObject {
                    kind: clean(&object.kind),
                    namespace: clean(&object.namespace),
                    name: clean(&object.name),
                    score: object.score,
                })
                .collect(),
            findings: self
                .findings
                .iter()
                .map(|finding| Observed {
                    rule: Cow::Owned(clean(&finding.rule)),
                    path: clean(&finding.path),
                    message: clean(&finding.message),
                    exemption_reason: finding.exemption_reason.as_deref().map(clean),
                    ..finding.clone()
                })
                .collect(),
        })
    }
}

/// What a scan keeps of one object of a batch for the next to skip it, or replays of one it
/// skipped ([`super::object_states`]).
#[derive(Clone, Debug)]
pub struct Kept {
    /// For an object checked, its `findings` and `counts` are the recorder's to fill in.
    pub state: ObjectState,
    /// The object was not checked: its state is the previous scan's, replayed, and its
    /// stored findings stay as they are.
    pub skipped: bool,
}

/// What a recording keeps of objects for the next scan.
#[derive(Debug)]
struct Keeping {
    previous: Arc<PreviousStates>,
    /// The digest of the scan's other inputs; `None` when no later scan may skip on them.
    inputs_digest: Option<i64>,
}

/// An object's hash: SHA-256 of its kind, namespace and name, first 8 bytes. Its high 32
/// bits are the high 32 bits of every fingerprint of the object's findings.
pub fn object_hash(kind: &str, namespace: &str, name: &str) -> u64 {
    hash8(&[kind, namespace, name])
}

/// A finding's fingerprint: its object's 32-bit prefix, then 32 bits of SHA-256 of the
/// cluster, rule, object and field path. Two findings share one only if their objects'
/// prefixes and their own hashes both collide; recording checks identities and never
/// mixes two findings up (the later one is skipped with a warning).
pub fn fingerprint(cluster_id: i64, rule: &str, kind: &str, namespace: &str, name: &str, path: &str) -> i64 {
    let object = object_hash(kind, namespace, name);
    fingerprint_of(object, &cluster_id.to_string(), rule, [kind, namespace, name], path)
}

/// [`fingerprint`] with the object's hash and the cluster's id (as text) already worked out.
fn fingerprint_of(object: u64, cluster: &str, rule: &str, [kind, namespace, name]: [&str; 3], path: &str) -> i64 {
    let finding = hash8(&[cluster, rule, kind, namespace, name, path]);
    ((object & 0xFFFF_FFFF_0000_0000) | (finding >> 32)) as i64
}

/// A digest of what a finding says: its identity (rule, object, path) and what a scan
/// may change (severity, message, exemption reason). Stored with the row, so that a scan
/// tells a finding seen again unchanged from the digest alone, without reading its text.
fn digest(object: &SeenObject, finding: &Observed) -> i64 {
    let identity = [finding.rule.as_ref(), &object.kind, &object.namespace, &object.name, &finding.path];
    digest_of(identity, finding.severity.as_str(), &finding.message, finding.exemption_reason.as_deref())
}

/// [`digest`] of the stored columns: `[rule, kind, namespace, name, path]`, severity,
/// message, exemption reason.
fn digest_of(identity: [&str; 5], severity: &str, message: &str, reason: Option<&str>) -> i64 {
    let [rule, kind, namespace, name, path] = identity;
    let has_reason = if reason.is_some() { "1" } else { "0" };
    hash8(&[rule, kind, namespace, name, path, severity, message, has_reason, reason.unwrap_or_default()]) as i64
}

fn hash8(parts: &[&str]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The scan's summary, accumulated batch by batch.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub objects: i64,
    /// Objects with a kind: a scan with none had nothing to check.
    pub identified: i64,
    pub counts: Counts,
    pub score: Mean,
    pub namespaces: BTreeMap<String, (NamespaceSummary, Mean)>,
    /// Findings observed (after duplicates), exempted ones included.
    pub findings: i64,
}

/// Where a recording's time went (summed over its steps), for the scan's log line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Hashing the batches' objects and findings, and their tallies.
    pub prepare: Duration,
    /// Reading the stored findings of the batches' objects.
    pub read: Duration,
    /// Comparing them with what the scan observed.
    pub compare: Duration,
    /// Writing the difference.
    pub write: Duration,
    /// Committing the batches' transactions.
    pub commit: Duration,
    /// The last step: objects not seen, the counts, the scan's summary.
    pub finish: Duration,
}

/// A scan being recorded: what the batches need to know and what they found so far.
#[derive(Debug)]
pub struct Recording {
    connection: Connection,
    pub scan_id: i64,
    pub cluster_id: i64,
    runner: String,
    /// When a finished scan of the cluster last saw its current findings (the latest one's
    /// `finished_at`), written into `last_seen` of findings this scan resolves or cannot see.
    previous_seen: i64,
    unjudged_rules: HashSet<String>,
    /// False when the scan met input it could not attribute to a kind: then nothing is
    /// resolved, since any object may have been in it.
    may_resolve: bool,
    seen: FxHashSet<u64>,
    /// Stored rows found by the id of an object of a batch but of another object (their
    /// objects' hashes collided): `(id, object hash, kind, rule)`, judged at the end.
    strangers: Vec<(i64, u64, String, String)>,
    /// Findings rows not resolved after this scan's writes, of the objects it saw.
    accounted: i64,
    pub tally: Tally,
    pub new_findings: i64,
    pub resolved_findings: i64,
    pub findings_written: i64,
    /// Whether a step of this scan could not tell how its writes moved the cluster's
    /// `finding_counts` (rows written other than planned), and so marked them stale: the
    /// last step counts them again.
    counts_stale: bool,
    /// A first scan's moves of the counts, summed here instead of written step by step
    /// ([`DeferredCounts`]); `None` for any other scan.
    deferred_counts: Option<DeferredCounts>,
    pub timings: Timings,
    /// Object states kept for the next scan, when they are ([`Recording::keep_object_states`]).
    keeping: Option<Keeping>,
    /// Objects not checked, their state replayed.
    pub objects_skipped: i64,
    /// `object_states` rows written or removed.
    pub states_written: i64,
    /// On SQLite, the checkpoints of the WAL the batches write.
    checkpoints: Checkpoints,
}

/// What a batch first reads of each stored finding of its objects: enough to see that one
/// it observed again is unchanged. The others (changed, or not observed) are then read
/// whole ([`Stored`]).
#[derive(Debug, serde::Deserialize)]
struct Brief {
    id: i64,
    fingerprint: i64,
    digest: Option<i64>,
    status: String,
    /// `last_seen IS NULL`.
    current: bool,
}

/// A stored finding of an object of the batch.
#[derive(Debug, serde::Deserialize, sqlx::FromRow)]
struct Stored {
    id: i64,
    fingerprint: i64,
    /// NULL for rows stored before digests were, until a scan sees them again.
    digest: Option<i64>,
    rule: String,
    kind: String,
    namespace: String,
    name: String,
    path: String,
    severity: String,
    status: String,
    message: String,
    exemption_reason: Option<String>,
    /// `last_seen IS NULL`: the latest finished scan saw it.
    current: bool,
}

/// A row to insert.
struct Insert<'a> {
    /// Its object's hash ([`object_hash`]).
    hash: u64,
    fingerprint: i64,
    digest: i64,
    object: &'a SeenObject,
    finding: &'a Observed,
}

/// A row to change in place (a changed or reopened finding): `(id, status, severity,
/// message, exemption_reason, digest)`.
type Change<'a> = (i64, &'static str, &'static str, &'a str, Option<&'a str>, i64);

/// A row of `finding_counts`: `(status, severity, rule, namespace)`.
type CountKey<'a> = (&'a str, &'a str, &'a str, &'a str);

/// How a step's writes move the cluster's `finding_counts`, by row; entries that cancel out
/// are left out when applied ([`Tx::add_counts`]).
#[derive(Debug, Default)]
struct CountMoves<'a> {
    rows: HashMap<CountKey<'a>, i64>,
    /// Rows were resolved other than counted (none should be: a step's transaction reads
    /// and writes alone); the counts are then counted again instead.
    unplanned: bool,
}

impl<'a> CountMoves<'a> {
    fn add(&mut self, key: CountKey<'a>, findings: i64) {
        *self.rows.entry(key).or_default() += findings;
    }

    /// A finding moved from one row of the counts to another.
    fn moved(&mut self, from: CountKey<'a>, to: CountKey<'a>) {
        if from != to {
            self.add(from, -1);
            self.add(to, 1);
        }
    }

    /// `resolved` findings resolved, counted as `rows` (`(status, severity, rule,
    /// namespace, findings)` as they were).
    fn resolved(&mut self, resolved: i64, rows: &'a [Resolved]) {
        self.unplanned |= rows.iter().map(|row| row.4).sum::<i64>() != resolved;
        for (status, severity, rule, namespace, findings) in rows {
            self.add((status, severity, rule, namespace), -findings);
            self.add(("resolved", severity, rule, namespace), *findings);
        }
    }
}

/// Findings a step resolved, grouped as `finding_counts` counts them, with their status
/// before: `(status, severity, rule, namespace, findings)`.
type Resolved = (String, String, String, String, i64);

/// The counts of a cluster's first scan (one that began with no finding of the cluster
/// stored), kept in memory and written once by the last step.
///
/// A first scan inserts every finding of the cluster, and its steps' moves of the counts
/// hardly add up: each batch holds other namespaces, so each step inserted or updated
/// thousands of `finding_counts` rows (118,694 upserts for the 39,325 rows of a cluster of
/// 614,445 findings, a seventh of PostgreSQL's time on the scan's statements). Instead
/// the first step marks the counts stale (the findings list's totals are then counted from
/// the rows, which the scan is adding anyway), each step adds its moves here, and the last
/// step writes the sums and removes the mark, unless another scan of the cluster ran
/// meanwhile ([`Tx::alone_since`]): the counts are then counted again from the rows.
#[derive(Debug)]
struct DeferredCounts {
    rows: HashMap<(String, String, String, String), i64>,
    /// When the recording began (Unix milliseconds), before it found the cluster empty.
    began: i64,
    /// Whether a step marked the counts stale.
    marked: bool,
}

impl DeferredCounts {
    fn add(&mut self, moves: &CountMoves<'_>) {
        for ((status, severity, rule, namespace), findings) in &moves.rows {
            let key = (status.to_string(), severity.to_string(), rule.to_string(), namespace.to_string());
            *self.rows.entry(key).or_default() += findings;
        }
    }

    /// The findings not resolved that the sums count.
    fn unresolved(&self) -> i64 {
        self.rows.iter().filter(|((status, ..), _)| status != "resolved").map(|(_, findings)| findings).sum()
    }

    fn moves(&self) -> CountMoves<'_> {
        let rows = self
            .rows
            .iter()
            .map(|((status, severity, rule, namespace), findings)| {
                ((status.as_str(), severity.as_str(), rule.as_str(), namespace.as_str()), *findings)
            })
            .collect();
        CountMoves { rows, unplanned: false }
    }
}

/// Rows per multi-row statement on SQLite, largest first: every statement has one of these
/// sizes (the last chunk is padded), so each connection prepares a handful of texts.
const SQLITE_CHUNKS: [usize; 3] = [200, 20, 1];
/// Bound parameters of one inserted row, and the rows of one SQLite insert.
const INSERT_PARAMETERS: usize = 11;

/// Applies a step's moves to the cluster's `finding_counts`, in the step's transaction,
/// when its writes went as planned (`as_planned`, and every resolve it counted); marks the
/// counts stale otherwise (`stale`, the recording's), for the last step to count them again.
/// A first scan's moves are summed in `deferred` instead, the counts marked stale by its
/// first step ([`DeferredCounts`]).
async fn move_counts(
    tx: &mut Tx<'_>,
    (stale, deferred): (&mut bool, &mut Option<DeferredCounts>),
    cluster_id: i64,
    moves: CountMoves<'_>,
    as_planned: bool,
) -> Result<(), sqlx::Error> {
    if *stale {
        return Ok(());
    }
    if !as_planned || moves.unplanned {
        *stale = true;
        *deferred = None;
        return tx.mark_counts_stale(cluster_id).await;
    }
    match deferred {
        Some(deferred) => {
            if !deferred.marked {
                tx.mark_counts_stale(cluster_id).await?;
                deferred.marked = true;
            }
            deferred.add(&moves);
            Ok(())
        }
        None => tx.add_counts(cluster_id, &moves).await,
    }
}

impl Recording {
    /// From now on the scan resolves nothing: what is left to record may lack findings it
    /// could not judge (the custom policies stopped by their cost budget).
    pub fn stop_resolving(&mut self) {
        self.may_resolve = false;
    }

    /// From now on these rules' findings are neither opened nor resolved (the checker
    /// stopped running them: something they conclude from could not all be read).
    pub fn stop_judging(&mut self, rules: Vec<String>) {
        self.unjudged_rules.extend(rules);
    }

    /// Keeps each object's state for the next scan ([`Store::record_checked`] writes those
    /// that changed from `previous`, [`Store::finish_recording`] removes those of objects not
    /// seen), and, when the scan ends complete, `inputs_digest` as what they were made under.
    pub fn keep_object_states(&mut self, previous: Arc<PreviousStates>, inputs_digest: Option<i64>) {
        self.keeping = Some(Keeping { previous, inputs_digest });
    }
}

impl Store {
    /// Starts recording a scan: `unjudged_rules` are rules it could not run (their findings
    /// are neither opened nor resolved), `may_resolve` false when it met input it cannot
    /// attribute to a kind.
    pub async fn begin_recording(
        &self,
        scan_id: i64,
        cluster_id: i64,
        runner: &str,
        unjudged_rules: &[String],
        may_resolve: bool,
    ) -> Result<Recording, sqlx::Error> {
        let began = now_millis();
        let previous_seen: Option<i64> = super::on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT MAX(finished_at) FROM scans WHERE cluster_id = $1 AND status IN ('succeeded', 'partial')",
            )
            .bind(cluster_id)
            .fetch_one(pool)
            .await
        })?;
        // From now until this scan ends complete, the cluster's findings may differ from what
        // its object states say: no scan skips an object on them.
        super::on_pool!(self, |pool| {
            sqlx::query("DELETE FROM object_states_inputs WHERE cluster_id = $1")
                .bind(cluster_id)
                .execute(pool)
                .await
                .map(drop)
        })?;
        // A cluster with no finding stored: this scan's counts are kept in memory.
        let stored: i64 = super::on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM findings WHERE cluster_id = $1 LIMIT 1) stored")
                .bind(cluster_id)
                .fetch_one(pool)
                .await
        })?;
        let deferred_counts = (stored == 0).then(|| DeferredCounts { rows: HashMap::new(), began, marked: false });
        let connection = match self {
            Store::Sqlite(pool) => {
                let mut connection = pool.acquire().await?;
                connection.close_on_drop();
                sqlx::query(&format!("PRAGMA cache_size = -{SQLITE_RECORDING_CACHE_KIB}"))
                    .execute(&mut *connection)
                    .await?;
                // Checkpoints run on another connection (see [`Checkpoints`]); this
                // connection is closed when the recording ends, so the pool's keep
                // SQLite's default.
                sqlx::query("PRAGMA wal_autocheckpoint = 0").execute(&mut *connection).await?;
                Connection::Sqlite(connection)
            }
            Store::Postgres(pool) => Connection::Postgres(pool.acquire().await?),
        };
        Ok(Recording {
            connection,
            scan_id,
            cluster_id,
            runner: runner.to_string(),
            previous_seen: previous_seen.unwrap_or(0),
            unjudged_rules: unjudged_rules.iter().cloned().collect(),
            may_resolve,
            seen: FxHashSet::default(),
            strangers: Vec::new(),
            accounted: 0,
            tally: Tally::default(),
            new_findings: 0,
            resolved_findings: 0,
            findings_written: 0,
            counts_stale: false,
            deferred_counts,
            timings: Timings::default(),
            keeping: None,
            objects_skipped: 0,
            states_written: 0,
            checkpoints: Checkpoints::default(),
        })
    }

    /// Records one batch in one transaction; false (and nothing written) when the scan is
    /// no longer this runner's. An object already seen by this scan (twice in one input)
    /// counts once: its later copies are skipped.
    pub async fn record_batch(&self, recording: &mut Recording, batch: &Batch) -> Result<bool, sqlx::Error> {
        self.record_checked(recording, batch, &[]).await
    }

    /// [`Store::record_batch`] with what is kept of each object (`kept`, by position; none
    /// for objects beyond it): an object skipped adds its state to the scan's summaries and
    /// its stored findings stay as they are, unread; an object checked whose state differs
    /// from its previous one has it written, in the batch's transaction.
    pub async fn record_checked(
        &self,
        recording: &mut Recording,
        batch: &Batch,
        kept: &[Option<Kept>],
    ) -> Result<bool, sqlx::Error> {
        let started = Instant::now();
        let storable;
        let batch = match batch.storable() {
            Some(changed) => {
                storable = changed;
                &storable
            }
            None => batch,
        };
        let cluster_id = recording.cluster_id;
        // The batch's objects new to this scan, by position, with their hashes.
        let mut fresh: FxHashMap<usize, u64> = FxHashMap::default();
        let mut fresh_hashes: FxHashSet<u64> = FxHashSet::default();
        // Objects skipped, by hash: seen, and their findings left as they are.
        let mut skipped: FxHashSet<u64> = FxHashSet::default();
        let mut tally = Tally::default();
        let kept_of = |position: usize| kept.get(position).and_then(Option::as_ref);
        for (position, object) in batch.objects.iter().enumerate() {
            tally.objects += 1;
            // A document that is no object (no kind) has no findings and no identity.
            if !object.kind.is_empty() {
                let hash = object_hash(&object.kind, &object.namespace, &object.name);
                if recording.seen.contains(&hash) || fresh_hashes.contains(&hash) || !skipped.insert(hash) {
                    tally.objects -= 1;
                    continue;
                }
                match kept_of(position) {
                    Some(Kept { state, skipped: true }) => {
                        tally.replay(&object.namespace, state);
                        recording.accounted += state.findings;
                    }
                    _ => {
                        skipped.remove(&hash);
                        fresh_hashes.insert(hash);
                        fresh.insert(position, hash);
                    }
                }
                tally.identified += 1;
            }
            if let Some(score) = object.score {
                tally.score.add(score);
            }
            if !object.namespace.is_empty() {
                let (summary, mean) = namespace_tally(&mut tally.namespaces, &object.namespace);
                summary.objects += 1;
                if let Some(score) = object.score {
                    mean.add(score);
                }
            }
        }
        // Observed findings of those objects, once each, by fingerprint.
        let mut observed: FxHashMap<i64, Insert<'_>> =
            FxHashMap::with_capacity_and_hasher(batch.findings.len(), Default::default());
        let mut order: Vec<i64> = Vec::with_capacity(batch.findings.len());
        let cluster = cluster_id.to_string();
        // What each object checked recorded: (findings, findings not exempted by severity).
        let mut recorded: FxHashMap<usize, (i64, [i64; 5])> = FxHashMap::default();
        for finding in &batch.findings {
            let Some(&hash) = fresh.get(&finding.object) else { continue };
            let object = &batch.objects[finding.object];
            // The checker does not run unjudged rules; a finding of one (from another
            // checker) is neither opened nor counted.
            if recording.unjudged_rules.contains(finding.rule.as_ref()) {
                continue;
            }
            let identity = [object.kind.as_str(), &object.namespace, &object.name];
            let fingerprint = fingerprint_of(hash, &cluster, &finding.rule, identity, &finding.path);
            if let Some(known) = observed.get(&fingerprint) {
                if known.finding.rule != finding.rule || known.finding.path != finding.path {
                    tracing::warn!(rule = %finding.rule, path = %finding.path, "two findings share a fingerprint: the second is not stored");
                }
                continue;
            }
            tally.findings += 1;
            let object_recorded = recorded.entry(finding.object).or_default();
            object_recorded.0 += 1;
            if !finding.exempted {
                object_recorded.1[severity_position(finding.severity)] += 1;
                tally.counts[severity_position(finding.severity)] += 1;
                tally.score.open(finding.severity);
                if !object.namespace.is_empty() {
                    let (summary, mean) = namespace_tally(&mut tally.namespaces, &object.namespace);
                    mean.open(finding.severity);
                    match finding.severity {
                        Severity::Critical => summary.critical += 1,
                        Severity::High => summary.high += 1,
                        Severity::Medium => summary.medium += 1,
                        Severity::Low => summary.low += 1,
                        Severity::Info => summary.info += 1,
                    }
                }
            }
            order.push(fingerprint);
            let digest = digest(object, finding);
            observed.insert(fingerprint, Insert { hash, fingerprint, digest, object, finding });
        }
        let hashes: Vec<i64> = {
            let mut hashes: Vec<i64> = fresh.values().map(|hash| *hash as i64).collect();
            hashes.sort_unstable();
            hashes
        };

        // The states of the objects checked that differ from those kept before.
        let mut states: Vec<(i64, ObjectState)> = Vec::new();
        if let Some(keeping) = &recording.keeping {
            for (position, hash) in &fresh {
                let Some(Kept { state, skipped: false }) = kept_of(*position) else { continue };
                let (findings, counts) = recorded.get(position).copied().unwrap_or_default();
                let state = ObjectState { findings, counts, ..state.clone() };
                if keeping.previous.states.get(hash) != Some(&state) {
                    states.push((*hash as i64, state));
                }
            }
        }

        let now = now_millis();
        let mut timings = Timings { prepare: started.elapsed(), ..Timings::default() };
        let started = Instant::now();
        let mut transaction =
            begin_batch(&mut recording.connection, (recording.scan_id, recording.cluster_id), &recording.runner, false)
                .await?;
        let Some(tx) = transaction.as_mut() else { return Ok(false) };
        // The ids of the objects that have findings stored, by hash.
        let mut object_ids = tx.object_ids(cluster_id, &hashes).await?;
        // Stored findings observed again with the same digest are unchanged but for their
        // status; the others are read whole.
        let ids: Vec<i64> = object_ids.values().copied().collect();
        let briefs = tx.briefs_of(&ids).await?;
        timings.read = started.elapsed();
        let started = Instant::now();
        let mut unchanged: FxHashMap<i64, &Brief> = FxHashMap::default();
        let mut to_read: Vec<i64> = Vec::new();
        for brief in &briefs {
            match observed.get(&brief.fingerprint) {
                Some(insert) if brief.digest == Some(insert.digest) => {
                    unchanged.insert(brief.fingerprint, brief);
                }
                None if brief.status == "resolved" => {}
                _ => to_read.push(brief.id),
            }
        }
        timings.compare = started.elapsed();
        let started = Instant::now();
        let stored = tx.stored_by_id(&to_read).await?;
        timings.read += started.elapsed();
        let started = Instant::now();

        let mut inserts: Vec<&Insert<'_>> = Vec::new();
        let mut changes: Vec<Change<'_>> = Vec::new();
        let mut resolve: Vec<i64> = Vec::new();
        let mut unseen: Vec<i64> = Vec::new();
        let mut matched: FxHashSet<i64> = FxHashSet::default();
        let mut moves = CountMoves::default();
        let (mut new_findings, mut accounted) = (0i64, 0i64);
        let stored_by_fingerprint: FxHashMap<i64, &Stored> = stored.iter().map(|row| (row.fingerprint, row)).collect();
        for fingerprint in &order {
            let insert = &observed[fingerprint];
            let (object, finding) = (insert.object, insert.finding);
            let status = if finding.exempted { "exempted" } else { "open" };
            if let Some(brief) = unchanged.get(fingerprint) {
                matched.insert(brief.id);
                accounted += 1;
                let reopened = brief.status == "resolved";
                if reopened {
                    new_findings += i64::from(!finding.exempted);
                }
                if reopened || !brief.current || brief.status != status {
                    // Same digest: same severity, rule and namespace.
                    let severity = finding.severity.as_str();
                    moves.moved(
                        (&brief.status, severity, finding.rule.as_ref(), &object.namespace),
                        (status, severity, finding.rule.as_ref(), &object.namespace),
                    );
                    changes.push((
                        brief.id,
                        status,
                        finding.severity.as_str(),
                        &finding.message,
                        finding.exemption_reason.as_deref(),
                        insert.digest,
                    ));
                }
                continue;
            }
            match stored_by_fingerprint.get(fingerprint) {
                None => {
                    new_findings += i64::from(!finding.exempted);
                    accounted += 1;
                    moves.add((status, finding.severity.as_str(), finding.rule.as_ref(), &object.namespace), 1);
                    inserts.push(insert);
                }
                Some(row)
                    if row.rule != finding.rule
                        || row.kind != object.kind
                        || row.namespace != object.namespace
                        || row.name != object.name
                        || row.path != finding.path =>
                {
                    tracing::warn!(rule = %finding.rule, path = %finding.path, "two findings share a fingerprint: the second is not stored");
                }
                Some(row) => {
                    matched.insert(row.id);
                    accounted += 1;
                    let reopened = row.status == "resolved";
                    if reopened {
                        new_findings += i64::from(!finding.exempted);
                    }
                    let changed = reopened
                        || !row.current
                        || row.status != status
                        || row.severity != finding.severity.as_str()
                        || row.message != finding.message
                        || row.exemption_reason != finding.exemption_reason
                        || row.digest != Some(insert.digest);
                    if changed {
                        moves.moved(
                            (&row.status, &row.severity, &row.rule, &row.namespace),
                            (status, finding.severity.as_str(), finding.rule.as_ref(), &object.namespace),
                        );
                        changes.push((
                            row.id,
                            status,
                            finding.severity.as_str(),
                            &finding.message,
                            finding.exemption_reason.as_deref(),
                            insert.digest,
                        ));
                    }
                }
            }
        }
        for row in &stored {
            if matched.contains(&row.id) || row.status == "resolved" {
                continue;
            }
            let hash = object_hash(&row.kind, &row.namespace, &row.name);
            if !fresh_hashes.contains(&hash) {
                recording.strangers.push((row.id, hash, row.kind.clone(), row.rule.clone()));
                continue;
            }
            if recording.may_resolve && !recording.unjudged_rules.contains(&row.rule) {
                resolve.push(row.id);
            } else {
                accounted += 1;
                if row.current {
                    unseen.push(row.id);
                }
            }
        }
        timings.compare += started.elapsed();
        let started = Instant::now();
        // Objects whose first findings these are get their ids, in the batch's order.
        let mut new_objects: Vec<i64> = Vec::new();
        for insert in &inserts {
            if let std::collections::hash_map::Entry::Vacant(entry) = object_ids.entry(insert.hash) {
                entry.insert(0);
                new_objects.push(insert.hash as i64);
            }
        }
        object_ids.extend(tx.add_objects(cluster_id, &new_objects).await?);
        let inserted = tx.insert((cluster_id, recording.scan_id), now, &inserts, &object_ids).await?;
        let changed = tx.change(&changes).await?;
        let (resolved, resolved_rows) = tx.resolve(&resolve, now, recording.previous_seen).await?;
        let written = inserted + changed + resolved + tx.mark_unseen(&unseen, recording.previous_seen).await?;
        moves.resolved(resolved, &resolved_rows);
        let as_planned = inserted == inserts.len() as i64 && changed == changes.len() as i64;
        let counts = (&mut recording.counts_stale, &mut recording.deferred_counts);
        move_counts(tx, counts, cluster_id, moves, as_planned).await?;
        let states_written = tx.write_object_states(cluster_id, &states).await?;
        timings.write = started.elapsed();
        let started = Instant::now();
        transaction.take().expect("a transaction").commit().await?;
        if let Store::Sqlite(pool) = self {
            recording.checkpoints.committed(pool).await;
        }
        timings.commit = started.elapsed();
        let sum = &mut recording.timings;
        sum.prepare += timings.prepare;
        sum.read += timings.read;
        sum.compare += timings.compare;
        sum.write += timings.write;
        sum.commit += timings.commit;

        recording.seen.extend(fresh.values());
        recording.seen.extend(&skipped);
        recording.objects_skipped += skipped.len() as i64;
        recording.states_written += states_written;
        recording.accounted += accounted;
        recording.new_findings += new_findings;
        recording.resolved_findings += resolved;
        recording.findings_written += written;
        let total = &mut recording.tally;
        total.objects += tally.objects;
        total.identified += tally.identified;
        total.findings += tally.findings;
        for (sum, add) in total.counts.iter_mut().zip(tally.counts) {
            *sum += add;
        }
        total.score.merge(&tally.score);
        for (namespace, (summary, mean)) in tally.namespaces {
            let (into, into_mean) = total.namespaces.entry(namespace).or_default();
            into.objects += summary.objects;
            into.critical += summary.critical;
            into.high += summary.high;
            into.medium += summary.medium;
            into.low += summary.low;
            into.info += summary.info;
            into_mean.merge(&mean);
        }
        Ok(true)
    }

    /// Ends the recording: resolves the open findings of objects the scan did not see (but
    /// of kinds it could read and rules it judged), marks the others unseen, and writes the
    /// scan's summary. False (and nothing written) when the scan is no longer this
    /// runner's. The scan ends `partial` when `errors` is not empty, and `failed` (with no
    /// score, resolving nothing, its errors kept) when it saw no object with a kind: a
    /// scan with nothing to check is no score, and the cluster's stays the previous one.
    pub async fn finish_recording(&self, recording: &mut Recording, errors: &[ScanError]) -> Result<bool, sqlx::Error> {
        let started = Instant::now();
        let now = now_millis();
        let nothing_to_check = recording.tally.identified == 0;
        let mut unreadable: HashSet<&str> = errors.iter().filter_map(|error| error.kind.as_deref()).collect();
        let may_resolve = recording.may_resolve && errors.iter().all(|error| error.kind.is_some());
        if !may_resolve {
            unreadable.clear();
        }
        let resolvable = |kind: &str, rule: &str| {
            may_resolve && !unreadable.contains(kind) && !recording.unjudged_rules.contains(rule)
        };
        let cluster_id = recording.cluster_id;
        if let Store::Sqlite(pool) = self {
            // The batches' writes are copied into the database file before the last step:
            // the scan ends with its findings there, as after commits with SQLite's
            // automatic checkpoints.
            recording.checkpoints.whole(pool).await;
        }
        let mut transaction =
            begin_batch(&mut recording.connection, (recording.scan_id, recording.cluster_id), &recording.runner, true)
                .await?;
        let Some(tx) = transaction.as_mut() else { return Ok(false) };
        let (mut resolved, mut written) = (0i64, 0i64);
        // Objects whose findings this step settled without the scan seeing them (by hash):
        // whatever state another scan of the cluster kept of them no longer says what their
        // findings are.
        let mut settled_objects: Vec<i64> = Vec::new();
        // A first scan's counts, summed in memory, are exact while no other scan of the
        // cluster ran meanwhile.
        let deferred_exact = match &recording.deferred_counts {
            Some(deferred) if deferred.marked && !recording.counts_stale => {
                tx.alone_since(cluster_id, recording.scan_id, deferred.began).await?
            }
            _ => false,
        };
        let unresolved = match &recording.deferred_counts {
            _ if nothing_to_check => recording.accounted,
            Some(deferred) if deferred_exact => deferred.unresolved(),
            _ => tx.count_unresolved(cluster_id).await?,
        };
        if !nothing_to_check && (unresolved != recording.accounted || !recording.strangers.is_empty()) {
            let mut missing = tx.unresolved_objects(cluster_id).await?;
            missing.retain(|(_, hash)| !recording.seen.contains(&(*hash as u64)));
            let ids: Vec<i64> = missing.iter().map(|(id, _)| *id).collect();
            let (stored_resolved, stored_written, resolved_rows) =
                tx.settle_objects(&ids, &resolvable, now, recording.previous_seen).await?;
            settled_objects.extend(missing.iter().map(|(_, hash)| *hash));
            resolved += stored_resolved;
            written += stored_written;
            let mut moves = CountMoves::default();
            moves.resolved(stored_resolved, &resolved_rows);
            let counts = (&mut recording.counts_stale, &mut recording.deferred_counts);
            move_counts(tx, counts, cluster_id, moves, true).await?;
            let strangers = std::mem::take(&mut recording.strangers);
            let (mut resolve, mut unseen) = (Vec::new(), Vec::new());
            for (id, hash, kind, rule) in strangers {
                if recording.seen.contains(&hash) {
                    continue;
                }
                settled_objects.push(hash as i64);
                if resolvable(&kind, &rule) {
                    resolve.push(id);
                } else {
                    unseen.push(id);
                }
            }
            let (stranger_resolved, resolved_rows) = tx.resolve(&resolve, now, recording.previous_seen).await?;
            resolved += stranger_resolved;
            written += stranger_resolved + tx.mark_unseen(&unseen, recording.previous_seen).await?;
            let mut moves = CountMoves::default();
            moves.resolved(stranger_resolved, &resolved_rows);
            let counts = (&mut recording.counts_stale, &mut recording.deferred_counts);
            move_counts(tx, counts, cluster_id, moves, true).await?;
        }
        recording.resolved_findings += resolved;
        recording.findings_written += written;
        if let Some(keeping) = &recording.keeping {
            let gone: Vec<i64> = keeping
                .previous
                .states
                .keys()
                .filter(|hash| !recording.seen.contains(hash))
                .map(|hash| *hash as i64)
                .chain(settled_objects)
                .collect();
            recording.states_written += tx.delete_object_states(cluster_id, &gone).await?;
            // The states are exact only when this scan saw every object with findings and
            // judged every rule: its findings are then exactly what the states say.
            let complete = !nothing_to_check && errors.is_empty() && may_resolve && recording.unjudged_rules.is_empty();
            if let (true, Some(digest)) = (complete, keeping.inputs_digest) {
                tx.set_states_inputs(cluster_id, digest).await?;
            }
            let sql = "UPDATE scans SET objects_skipped = $1 WHERE id = $2";
            let (skipped, scan_id) = (recording.objects_skipped, recording.scan_id);
            on_tx!(tx, |tx| sqlx::query(sql).bind(skipped).bind(scan_id).execute(&mut **tx).await.map(drop))?;
        }
        // A first scan's counts are written from its sums; counts marked stale otherwise
        // (by this scan, or by one that stopped part-way before counts were kept step by
        // step) are counted again from the rows.
        match recording.deferred_counts.take() {
            Some(deferred) if deferred_exact && !recording.counts_stale => {
                tx.replace_counts(cluster_id, &deferred.moves()).await?;
            }
            _ => {
                if recording.counts_stale || tx.counts_are_stale(cluster_id).await? {
                    tx.count_again(cluster_id).await?;
                }
            }
        }

        let tally = &recording.tally;
        let score = tally.score.score();
        let namespaces: BTreeMap<&String, NamespaceSummary> = tally
            .namespaces
            .iter()
            .map(|(namespace, (summary, mean))| {
                let mut summary = summary.clone();
                // The engine's overall formula over the namespace's own objects, when any
                // was judged: a namespace reads like a small cluster.
                if !mean.is_empty() {
                    summary.score = Some(i64::from(mean.score()));
                    summary.grade = Some(rampart_core::score::grade(mean.score()).to_string());
                }
                (namespace, summary)
            })
            .collect();
        let (status, score, grade, message) = if nothing_to_check {
            ("failed", None, None, Some(NOTHING_TO_CHECK))
        } else {
            let status = if errors.is_empty() { "succeeded" } else { "partial" };
            (status, Some(i64::from(score)), Some(rampart_core::score::grade(score)), None)
        };
        let errors: Vec<ScanError> = errors
            .iter()
            .map(|error| ScanError {
                kind: error.kind.as_deref().map(|kind| super::storable(kind).into_owned()),
                message: super::storable(&error.message).into_owned(),
            })
            .collect();
        let errors = serde_json::to_string(&errors).unwrap_or_else(|_| "[]".to_string());
        let namespaces = serde_json::to_string(&namespaces).unwrap_or_else(|_| "{}".to_string());
        let (namespaces, namespaces_of) = tx.shared_text("namespaces", recording.scan_id, namespaces).await?;
        let sql = "UPDATE scans SET status = $1, finished_at = $2, objects = $3, score = $4, grade = $5, \
             critical = $6, high = $7, medium = $8, low = $9, info = $10, new_findings = $11, \
             resolved_findings = $12, errors = $13, namespaces = $14, findings_written = $15, \
             formula_version = $16, message = $17, namespaces_of = $19 WHERE id = $18";
        on_tx!(tx, |tx| sqlx::query(sql)
            .bind(status)
            .bind(now)
            .bind(tally.objects)
            .bind(score)
            .bind(grade)
            .bind(tally.counts[0])
            .bind(tally.counts[1])
            .bind(tally.counts[2])
            .bind(tally.counts[3])
            .bind(tally.counts[4])
            .bind(recording.new_findings)
            .bind(recording.resolved_findings)
            .bind(&errors)
            .bind(&namespaces)
            .bind(recording.findings_written)
            .bind(i64::from(rampart_core::score::FORMULA_VERSION))
            .bind(message)
            .bind(recording.scan_id)
            .bind(namespaces_of)
            .execute(&mut **tx)
            .await
            .map(drop))?;
        transaction.take().expect("a transaction").commit().await?;
        if let Store::Sqlite(pool) = self {
            // This step's own frames, in the background: the scan is visible as finished
            // from its commit, and what follows it (the namespaces' labels) waits for nothing.
            recording.checkpoints.start(pool);
        }
        recording.timings.finish += started.elapsed();
        Ok(true)
    }
}

/// A transaction for one step of a recording on its connection, after checking that the
/// scan is still `runner`'s (`None`, rolled back, when it is not). On SQLite the first
/// statement writes, which takes the write lock at once (a read transaction upgraded later
/// fails with "database is locked" if another connection wrote meanwhile); on PostgreSQL
/// the cluster's row is locked too, so the batches of two scans of one cluster do not
/// interleave within a step.
///
/// A batch's commit (`durable` false) does not wait for PostgreSQL to flush its WAL
/// (`synchronous_commit = off` for that transaction): a crash loses at most the last
/// batches, never a part of one, and the scan, left `running`, is then interrupted and
/// scanned again. The last step's commit waits, and with it everything before it.
async fn begin_batch<'c>(
    connection: &'c mut Connection,
    (scan_id, cluster_id): (i64, i64),
    runner: &str,
    durable: bool,
) -> Result<Option<Tx<'c>>, sqlx::Error> {
    use sqlx::Connection as _;
    let mut tx = match connection {
        Connection::Sqlite(connection) => Tx::Sqlite((**connection).begin().await?),
        Connection::Postgres(connection) => Tx::Postgres((**connection).begin().await?),
    };
    // Still this runner's running scan? The row stays locked until the commit, so it
    // cannot be marked interrupted between this check and the writes.
    if !tx.still_ours(scan_id, runner).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    if let Tx::Postgres(tx) = &mut tx {
        if !durable {
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut **tx).await?;
        }
        sqlx::query("SELECT id FROM clusters WHERE id = $1 FOR UPDATE")
            .bind(cluster_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(Some(tx))
}

/// A namespace's tally, added when missing; the name is copied only then (once per
/// namespace and batch, not once per finding).
fn namespace_tally<'t>(
    namespaces: &'t mut BTreeMap<String, (NamespaceSummary, Mean)>,
    namespace: &str,
) -> &'t mut (NamespaceSummary, Mean) {
    if !namespaces.contains_key(namespace) {
        namespaces.insert(namespace.to_string(), Default::default());
    }
    namespaces.get_mut(namespace).expect("inserted above")
}

fn severity_position(severity: Severity) -> usize {
    match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Info => 4,
    }
}

/// `?, ?, …` for `count` parameters. SQLite statements with many parameters take them
/// anonymous, bound in order: the driver looks each parameter's name up before binding it,
/// and SQLite finds a name by walking the list of the statement's named parameters, so
/// binding 2,800 parameters named `$N` walked millions of entries per statement (three
/// quarters of a first scan's time on SQLite, measured).
fn anonymous(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// `sql` with each `$N` (N counted from 1 into `values`) made an anonymous `?`, and the
/// values to bind in the order their parameters appear.
fn positional(sql: &str, values: &[i64]) -> (String, Vec<i64>) {
    let (mut text, mut bound) = (String::with_capacity(sql.len()), Vec::new());
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        text.push_str(&rest[..at]);
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        match rest[at + 1..at + 1 + digits].parse::<usize>().ok().and_then(|n| values.get(n.wrapping_sub(1))) {
            Some(value) => {
                text.push('?');
                bound.push(*value);
            }
            None => text.push_str(&rest[at..at + 1 + digits]),
        }
        rest = &rest[at + 1 + digits..];
    }
    text.push_str(rest);
    (text, bound)
}

/// Splits `items` into chunks of the [`SQLITE_CHUNKS`] sizes, the last one padded with its
/// own last item (harmless where the statement's effect is idempotent per item).
fn sqlite_chunks<T: Copy>(items: &[T]) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let size = SQLITE_CHUNKS.iter().copied().find(|size| *size <= rest.len()).unwrap_or(1);
        let (chunk, after) = rest.split_at(size);
        chunks.push(chunk.to_vec());
        rest = after;
    }
    chunks
}

/// The SQLite lookup's row, as one JSON array (the driver hands rows over one by one from
/// its worker thread; one JSON value per chunk is far cheaper).
const SQLITE_STORED_ROW: &str = "json_array(f.id, f.fingerprint, f.digest, f.rule, f.kind, f.namespace, f.name, f.path, \
     f.severity, f.status, f.message, f.exemption_reason, json(CASE WHEN f.last_seen IS NULL THEN 'true' ELSE 'false' END))";

/// The SQLite brief lookup's row ([`Brief`]).
const SQLITE_BRIEF_ROW: &str = "json_array(f.id, f.fingerprint, f.digest, f.status, \
     json(CASE WHEN f.last_seen IS NULL THEN 'true' ELSE 'false' END))";

/// Rows of findings whose `key` is one of `values`, each read as `row` (a `json_array` of
/// the fields of `T`, in order), one JSON array per chunk. `key` may start with conditions
/// of its own (`cond AND expression`), but none on the cluster: the keys (ids of findings or
/// of objects, read from the cluster's own rows) are the cluster's, and a condition on
/// `cluster_id` let SQLite's planner, without statistics, walk the cluster's findings by an
/// index that leads with it (every finding of the cluster, for each chunk).
async fn sqlite_rows<T: serde::de::DeserializeOwned>(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    row: &str,
    key: &str,
    values: &[i64],
) -> Result<Vec<T>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in sqlite_chunks(values) {
        let sql = format!("SELECT json_group_array({row}) FROM findings f WHERE {key} IN ({})", anonymous(chunk.len()));
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for value in &chunk {
            query = query.bind(*value);
        }
        let json = query.fetch_one(&mut **tx).await?;
        let chunk_rows: Vec<T> = serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
        rows.extend(chunk_rows);
    }
    Ok(rows)
}

/// `(object_hash, id)` rows of `finding_objects` that `sql` returns for a cluster (`$1`) and
/// object hashes (`$2`), on PostgreSQL.
async fn postgres_objects(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    sql: &str,
    cluster_id: i64,
    hashes: &[i64],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(sql).bind(cluster_id).bind(hashes).fetch_all(&mut **tx).await
}

/// `last_seen` of a finding this scan resolves or cannot see: when a finished scan last saw
/// it (`$N`), or when it was first stored if that is later (stored by an unfinished scan).
fn last_seen_before(parameter: usize) -> String {
    format!("CASE WHEN first_seen > ${parameter} THEN first_seen ELSE ${parameter} END")
}

/// Bytes of COPY data sent to PostgreSQL at a time (each send is one message).
const COPY_CHUNK: usize = 256 * 1024;

/// One row of `findings` in COPY's text format, in the column order of the insert.
fn copy_row(
    data: &mut Vec<u8>,
    (cluster_id, now, scan_id, object_id): (i64, i64, i64, Option<i64>),
    row: &Insert<'_>,
    status: &str,
) {
    use std::io::Write as _;
    let _ = write!(data, "{cluster_id}\t{now}\t{scan_id}\t");
    match object_id {
        Some(id) => {
            let _ = write!(data, "{id}\t");
        }
        None => data.extend_from_slice(b"\\N\t"),
    }
    let _ = write!(data, "{}\t", row.fingerprint);
    let finding = row.finding;
    for text in [
        finding.rule.as_ref(),
        finding.severity.as_str(),
        &row.object.kind,
        &row.object.namespace,
        &row.object.name,
        &finding.path,
        &finding.message,
        status,
    ] {
        copy_text(data, text);
        data.push(b'\t');
    }
    match finding.exemption_reason.as_deref() {
        Some(reason) => copy_text(data, reason),
        None => data.extend_from_slice(b"\\N"),
    }
    let _ = writeln!(data, "\t{}", row.digest);
}

/// `text` escaped for COPY's text format: a backslash and the characters that separate
/// columns and rows are written as backslash sequences (a NUL cannot occur: the batch is
/// [`super::storable`]).
fn copy_text(data: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'\\' => data.extend_from_slice(b"\\\\"),
            b'\t' => data.extend_from_slice(b"\\t"),
            b'\n' => data.extend_from_slice(b"\\n"),
            b'\r' => data.extend_from_slice(b"\\r"),
            _ => data.push(byte),
        }
    }
}

impl Tally {
    /// Adds what a skipped object's findings added when it was last checked.
    fn replay(&mut self, namespace: &str, state: &ObjectState) {
        self.findings += state.findings;
        for (sum, add) in self.counts.iter_mut().zip(state.counts) {
            *sum += add;
        }
        for severity in state.open_severities() {
            self.score.open(severity);
        }
        if namespace.is_empty() {
            return;
        }
        let (summary, mean) = namespace_tally(&mut self.namespaces, namespace);
        for severity in state.open_severities() {
            mean.open(severity);
        }
        let [critical, high, medium, low, info] = state.counts;
        summary.critical += critical;
        summary.high += high;
        summary.medium += medium;
        summary.low += low;
        summary.info += info;
    }
}

impl Tx<'_> {
    /// Writes object states (`(object hash, state)`, each object once): the rows written.
    async fn write_object_states(
        &mut self,
        cluster_id: i64,
        states: &[(i64, ObjectState)],
    ) -> Result<i64, sqlx::Error> {
        if states.is_empty() {
            return Ok(0);
        }
        const COLUMNS: &str =
            "INSERT INTO object_states (cluster_id, object_hash, content_digest, anchors, score, results)";
        const UPSERT: &str =
            "ON CONFLICT (cluster_id, object_hash) DO UPDATE SET content_digest = excluded.content_digest, \
             anchors = excluded.anchors, score = excluded.score, results = excluded.results";
        let score = |state: &ObjectState| state.score.map(i64::from);
        match self {
            Tx::Postgres(tx) => {
                let done = sqlx::query(&format!(
                    "{COLUMNS} SELECT $1, u.* FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::bigint[], \
                     $6::text[]) AS u {UPSERT}"
                ))
                .bind(cluster_id)
                .bind(states.iter().map(|(hash, _)| *hash).collect::<Vec<_>>())
                .bind(states.iter().map(|(_, state)| state.content).collect::<Vec<_>>())
                .bind(states.iter().map(|(_, state)| state.anchor_bits()).collect::<Vec<_>>())
                .bind(states.iter().map(|(_, state)| score(state)).collect::<Vec<_>>())
                .bind(states.iter().map(|(_, state)| state.results_text()).collect::<Vec<_>>())
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected() as i64)
            }
            Tx::Sqlite(tx) => {
                let mut written = 0;
                for chunk in sqlite_chunks(&states.iter().collect::<Vec<_>>()) {
                    let sql =
                        format!("{COLUMNS} VALUES {} {UPSERT}", vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", "));
                    let mut query = sqlx::query(&sql);
                    for (hash, state) in chunk {
                        query = query
                            .bind(cluster_id)
                            .bind(*hash)
                            .bind(state.content)
                            .bind(state.anchor_bits())
                            .bind(score(state))
                            .bind(state.results_text());
                    }
                    written += query.execute(&mut **tx).await?.rows_affected() as i64;
                }
                Ok(written)
            }
        }
    }

    /// Removes the states of the objects with these hashes: the rows removed.
    async fn delete_object_states(&mut self, cluster_id: i64, values: &[i64]) -> Result<i64, sqlx::Error> {
        if values.is_empty() {
            return Ok(0);
        }
        match self {
            Tx::Postgres(tx) => {
                let sql = "DELETE FROM object_states WHERE cluster_id = $1 AND object_hash = ANY($2::bigint[])";
                Ok(sqlx::query(sql).bind(cluster_id).bind(values).execute(&mut **tx).await?.rows_affected() as i64)
            }
            Tx::Sqlite(tx) => {
                let mut removed = 0;
                for chunk in sqlite_chunks(values) {
                    let sql = format!(
                        "DELETE FROM object_states WHERE cluster_id = ? AND object_hash IN ({})",
                        anonymous(chunk.len())
                    );
                    let mut query = sqlx::query(&sql).bind(cluster_id);
                    for value in chunk {
                        query = query.bind(value);
                    }
                    removed += query.execute(&mut **tx).await?.rows_affected() as i64;
                }
                Ok(removed)
            }
        }
    }

    /// Marks the cluster's object states exact, made under `digest`.
    async fn set_states_inputs(&mut self, cluster_id: i64, digest: i64) -> Result<(), sqlx::Error> {
        let sql = "INSERT INTO object_states_inputs (cluster_id, inputs_digest) VALUES ($1, $2) \
             ON CONFLICT (cluster_id) DO UPDATE SET inputs_digest = excluded.inputs_digest";
        on_tx!(self, |tx| sqlx::query(sql).bind(cluster_id).bind(digest).execute(&mut **tx).await.map(drop))
    }

    async fn commit(self) -> Result<(), sqlx::Error> {
        on_tx!(self, |tx| tx.commit().await)
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        on_tx!(self, |tx| tx.rollback().await)
    }

    /// Updates the scan's heartbeat if it is still `running` under `runner`: whether it is.
    async fn still_ours(&mut self, scan_id: i64, runner: &str) -> Result<bool, sqlx::Error> {
        let sql = "UPDATE scans SET heartbeat_at = $1 WHERE id = $2 AND runner = $3 AND status = 'running'";
        let now = now_millis();
        on_tx!(self, |tx| sqlx::query(sql)
            .bind(now)
            .bind(scan_id)
            .bind(runner)
            .execute(&mut **tx)
            .await
            .map(|done| done.rows_affected() == 1))
    }

    /// The ids of the cluster's objects with these hashes that have findings stored, by hash.
    async fn object_ids(&mut self, cluster_id: i64, hashes: &[i64]) -> Result<FxHashMap<u64, i64>, sqlx::Error> {
        if hashes.is_empty() {
            return Ok(FxHashMap::default());
        }
        let rows: Vec<(i64, i64)> = match self {
            Tx::Postgres(tx) => {
                let sql = "SELECT object_hash, id FROM finding_objects WHERE cluster_id = $1 \
                     AND object_hash = ANY($2::bigint[])";
                postgres_objects(tx, sql, cluster_id, hashes).await?
            }
            Tx::Sqlite(tx) => {
                let mut rows = Vec::new();
                for chunk in sqlite_chunks(hashes) {
                    let sql = format!(
                        "SELECT json_group_array(json_array(object_hash, id)) FROM finding_objects \
                         WHERE cluster_id = ? AND object_hash IN ({})",
                        anonymous(chunk.len())
                    );
                    let mut query = sqlx::query_scalar::<_, String>(&sql).bind(cluster_id);
                    for hash in chunk {
                        query = query.bind(hash);
                    }
                    let json = query.fetch_one(&mut **tx).await?;
                    let chunk_rows: Vec<(i64, i64)> =
                        serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
                    rows.extend(chunk_rows);
                }
                rows
            }
        };
        Ok(rows.into_iter().map(|(hash, id)| (hash as u64, id)).collect())
    }

    /// Gives the objects with these hashes (none stored yet) their ids, in this order: each
    /// `(hash, id)`.
    async fn add_objects(&mut self, cluster_id: i64, hashes: &[i64]) -> Result<Vec<(u64, i64)>, sqlx::Error> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, i64)> = match self {
            Tx::Postgres(tx) => {
                let sql = "INSERT INTO finding_objects (cluster_id, object_hash) \
                     SELECT $1, u.hash FROM unnest($2::bigint[]) WITH ORDINALITY AS u(hash, position) \
                     ORDER BY u.position RETURNING object_hash, id";
                postgres_objects(tx, sql, cluster_id, hashes).await?
            }
            Tx::Sqlite(tx) => {
                let mut rows = Vec::new();
                for chunk in sqlite_chunks(hashes) {
                    let sql = format!(
                        "INSERT INTO finding_objects (cluster_id, object_hash) VALUES {} RETURNING object_hash, id",
                        vec!["(?, ?)"; chunk.len()].join(", ")
                    );
                    let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
                    for hash in chunk {
                        query = query.bind(cluster_id).bind(hash);
                    }
                    rows.extend(query.fetch_all(&mut **tx).await?);
                }
                rows
            }
        };
        Ok(rows.into_iter().map(|(hash, id)| (hash as u64, id)).collect())
    }

    /// What is stored of the objects with these ids, briefly (through the index on
    /// `(object_id, fingerprint)`).
    async fn briefs_of(&mut self, objects: &[i64]) -> Result<Vec<Brief>, sqlx::Error> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Tx::Postgres(tx) => {
                let rows: Vec<(i64, i64, Option<i64>, String, bool)> = sqlx::query_as(
                    "SELECT id, fingerprint, digest, status, last_seen IS NULL FROM findings \
                     WHERE object_id = ANY($1::bigint[])",
                )
                .bind(objects)
                .fetch_all(&mut **tx)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, fingerprint, digest, status, current)| Brief {
                        id,
                        fingerprint,
                        digest,
                        status,
                        current,
                    })
                    .collect())
            }
            Tx::Sqlite(tx) => sqlite_rows(tx, SQLITE_BRIEF_ROW, "f.object_id", objects).await,
        }
    }

    /// The stored findings with these ids, whole.
    async fn stored_by_id(&mut self, ids: &[i64]) -> Result<Vec<Stored>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Tx::Postgres(tx) => {
                sqlx::query_as::<_, Stored>(
                    "SELECT id, fingerprint, digest, rule, kind, namespace, name, path, severity, status, message, \
                     exemption_reason, last_seen IS NULL AS current FROM findings WHERE id = ANY($1::bigint[])",
                )
                .bind(ids)
                .fetch_all(&mut **tx)
                .await
            }
            Tx::Sqlite(tx) => sqlite_rows(tx, SQLITE_STORED_ROW, "f.id", ids).await,
        }
    }

    /// Inserts new findings, first seen now by this scan, of the objects with these ids (by
    /// hash); the rows written.
    async fn insert(
        &mut self,
        (cluster_id, scan_id): (i64, i64),
        now: i64,
        rows: &[&Insert<'_>],
        objects: &FxHashMap<u64, i64>,
    ) -> Result<i64, sqlx::Error> {
        if rows.is_empty() {
            return Ok(0);
        }
        const COLUMNS: &str = "INSERT INTO findings (cluster_id, first_seen, first_scan_id, object_id, fingerprint, \
             rule, severity, kind, namespace, name, path, message, status, exemption_reason, digest)";
        let object = |row: &Insert<'_>| objects.get(&row.hash).copied();
        let status = |row: &Insert<'_>| if row.finding.exempted { "exempted" } else { "open" };
        match self {
            Tx::Postgres(tx) => {
                // COPY rather than an INSERT of arrays: PostgreSQL then inserts the rows
                // in groups (its multi-insert path) and parses no arrays; see
                // BENCHMARKS.md, "COPY for PostgreSQL's new findings".
                let statement = format!("COPY {} FROM STDIN", &COLUMNS["INSERT INTO ".len()..]);
                let mut copy = (**tx).copy_in_raw(&statement).await?;
                let mut data = Vec::with_capacity(COPY_CHUNK + 4096);
                for row in rows {
                    copy_row(&mut data, (cluster_id, now, scan_id, object(row)), row, status(row));
                    if data.len() >= COPY_CHUNK {
                        copy.send(std::mem::take(&mut data)).await?;
                    }
                }
                if !data.is_empty() {
                    copy.send(data).await?;
                }
                Ok(copy.finish().await? as i64)
            }
            Tx::Sqlite(tx) => {
                use sqlx::Arguments as _;
                // A chunk's values, owned: the driver hands them to its worker thread as
                // they are (borrowed ones it would copy first, on this thread).
                let values =
                    |chunk: &[&Insert<'_>]| -> Result<(String, sqlx::sqlite::SqliteArguments<'static>), sqlx::Error> {
                        let row = format!("({})", anonymous(4 + INSERT_PARAMETERS));
                        let sql = format!("{COLUMNS} VALUES {}", vec![row; chunk.len()].join(", "));
                        let mut arguments = sqlx::sqlite::SqliteArguments::default();
                        arguments.reserve(chunk.len() * (4 + INSERT_PARAMETERS), 0);
                        let add = |result: Result<(), sqlx::error::BoxDynError>| result.map_err(sqlx::Error::Encode);
                        for row in chunk {
                            add(arguments.add(cluster_id))?;
                            add(arguments.add(now))?;
                            add(arguments.add(scan_id))?;
                            add(arguments.add(object(row)))?;
                            add(arguments.add(row.fingerprint))?;
                            add(arguments.add(row.finding.rule.clone()))?;
                            add(arguments.add(row.finding.severity.as_str()))?;
                            add(arguments.add(row.object.kind.clone()))?;
                            add(arguments.add(row.object.namespace.clone()))?;
                            add(arguments.add(row.object.name.clone()))?;
                            add(arguments.add(row.finding.path.clone()))?;
                            add(arguments.add(row.finding.message.clone()))?;
                            add(arguments.add(status(row)))?;
                            add(arguments.add(row.finding.exemption_reason.clone()))?;
                            add(arguments.add(row.digest))?;
                        }
                        Ok((sql, arguments))
                    };
                let mut written = 0;
                let chunks = sqlite_chunks(rows);
                // The next chunk's values are made while SQLite inserts this one's (the
                // driver's worker thread): the recording's connection is a first scan's
                // critical path, and it then waits only for the hand-over.
                let mut chunks = chunks.iter();
                let mut current = chunks.next().map(|chunk| values(chunk.as_slice())).transpose()?;
                while let Some((sql, arguments)) = current.take() {
                    let next = chunks.next();
                    let (done, made) = tokio::join!(sqlx::query_with(&sql, arguments).execute(&mut **tx), async {
                        next.map(|chunk| values(chunk.as_slice())).transpose()
                    });
                    written += done?.rows_affected() as i64;
                    current = made?;
                }
                Ok(written)
            }
        }
    }

    /// Changes findings in place (seen again, now current, reopened when resolved).
    async fn change(&mut self, changes: &[Change<'_>]) -> Result<i64, sqlx::Error> {
        if changes.is_empty() {
            return Ok(0);
        }
        match self {
            Tx::Postgres(tx) => {
                let done = sqlx::query(
                    "UPDATE findings f SET status = u.status, severity = u.severity, message = u.message, \
                     exemption_reason = u.reason, digest = u.digest, last_seen = NULL, resolved_at = NULL \
                     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) \
                     AS u(id, status, severity, message, reason, digest) WHERE f.id = u.id",
                )
                .bind(changes.iter().map(|change| change.0).collect::<Vec<_>>())
                .bind(changes.iter().map(|change| change.1).collect::<Vec<_>>())
                .bind(changes.iter().map(|change| change.2).collect::<Vec<_>>())
                .bind(changes.iter().map(|change| change.3).collect::<Vec<_>>())
                .bind(changes.iter().map(|change| change.4).collect::<Vec<_>>())
                .bind(changes.iter().map(|change| change.5).collect::<Vec<_>>())
                .execute(&mut **tx)
                .await?;
                Ok(done.rows_affected() as i64)
            }
            Tx::Sqlite(tx) => {
                let mut written = 0;
                for (id, status, severity, message, reason, digest) in changes {
                    written += sqlx::query(
                        "UPDATE findings SET status = $1, severity = $2, message = $3, exemption_reason = $4, \
                         digest = $6, last_seen = NULL, resolved_at = NULL WHERE id = $5",
                    )
                    .bind(*status)
                    .bind(*severity)
                    .bind(*message)
                    .bind(*reason)
                    .bind(*id)
                    .bind(*digest)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected() as i64;
                }
                Ok(written)
            }
        }
    }

    /// Resolves findings at `now`: how many were resolved, and what they were as
    /// `finding_counts` counts them (read first, in the same transaction).
    async fn resolve(
        &mut self,
        ids: &[i64],
        now: i64,
        previous_seen: i64,
    ) -> Result<(i64, Vec<Resolved>), sqlx::Error> {
        if ids.is_empty() {
            return Ok((0, Vec::new()));
        }
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let counted = self.counted(&ids).await?;
        let set =
            format!("status = 'resolved', resolved_at = $1, last_seen = COALESCE(last_seen, {})", last_seen_before(2));
        let resolved = self.update_ids(&set, &[now, previous_seen], &ids, " AND status <> 'resolved'").await?;
        Ok((resolved, counted))
    }

    /// The findings with these ids that are not resolved, grouped as `finding_counts`
    /// counts them: `(status, severity, rule, namespace, findings)`.
    async fn counted(&mut self, ids: &[i64]) -> Result<Vec<Resolved>, sqlx::Error> {
        const GROUPED: &str = "SELECT status, severity, rule, namespace, COUNT(*) FROM findings";
        const BY: &str = "AND status <> 'resolved' GROUP BY status, severity, rule, namespace";
        match self {
            Tx::Postgres(tx) => {
                sqlx::query_as(&format!("{GROUPED} WHERE id = ANY($1::bigint[]) {BY}"))
                    .bind(ids)
                    .fetch_all(&mut **tx)
                    .await
            }
            Tx::Sqlite(tx) => {
                let mut rows = Vec::new();
                for chunk in sqlite_chunks(ids) {
                    let sql = format!("{GROUPED} WHERE id IN ({}) {BY}", anonymous(chunk.len()));
                    let mut query = sqlx::query_as::<_, Resolved>(&sql);
                    for id in chunk {
                        query = query.bind(id);
                    }
                    rows.extend(query.fetch_all(&mut **tx).await?);
                }
                Ok(rows)
            }
        }
    }

    /// Adds a step's moves to the cluster's `finding_counts` (rows counting none are
    /// removed, as a count from the rows would not have them).
    async fn add_counts(&mut self, cluster_id: i64, moves: &CountMoves<'_>) -> Result<(), sqlx::Error> {
        let rows: Vec<(&CountKey<'_>, i64)> =
            moves.rows.iter().filter(|(_, findings)| **findings != 0).map(|(key, findings)| (key, *findings)).collect();
        if rows.is_empty() {
            return Ok(());
        }
        const COLUMNS: &str = "INSERT INTO finding_counts (cluster_id, status, severity, rule, namespace, findings)";
        const UPSERT: &str = "ON CONFLICT (cluster_id, status, severity, rule, namespace) \
             DO UPDATE SET findings = finding_counts.findings + excluded.findings";
        match self {
            Tx::Postgres(tx) => {
                sqlx::query(&format!(
                    "{COLUMNS} SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], \
                     $6::bigint[]) AS u {UPSERT}"
                ))
                .bind(cluster_id)
                .bind(rows.iter().map(|(key, _)| key.0).collect::<Vec<_>>())
                .bind(rows.iter().map(|(key, _)| key.1).collect::<Vec<_>>())
                .bind(rows.iter().map(|(key, _)| key.2).collect::<Vec<_>>())
                .bind(rows.iter().map(|(key, _)| key.3).collect::<Vec<_>>())
                .bind(rows.iter().map(|(_, findings)| *findings).collect::<Vec<_>>())
                .execute(&mut **tx)
                .await?;
            }
            Tx::Sqlite(tx) => {
                for chunk in sqlite_chunks(&rows) {
                    let sql =
                        format!("{COLUMNS} VALUES {} {UPSERT}", vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", "));
                    let mut query = sqlx::query(&sql);
                    for ((status, severity, rule, namespace), findings) in chunk {
                        query = query
                            .bind(cluster_id)
                            .bind(*status)
                            .bind(*severity)
                            .bind(*rule)
                            .bind(*namespace)
                            .bind(findings);
                    }
                    query.execute(&mut **tx).await?;
                }
            }
        }
        if rows.iter().any(|(_, findings)| *findings < 0) {
            let sql = "DELETE FROM finding_counts WHERE cluster_id = $1 AND findings = 0";
            on_tx!(self, |tx| sqlx::query(sql).bind(cluster_id).execute(&mut **tx).await.map(drop))?;
        }
        Ok(())
    }

    /// `text` for the scan's `column` (`namespaces`), and the scan whose copy it refers to
    /// instead when the latest earlier finished scan of its cluster concluded the same
    /// ([`super::scans::earlier_text`]).
    async fn shared_text(
        &mut self,
        column: &str,
        scan_id: i64,
        text: String,
    ) -> Result<(String, Option<i64>), sqlx::Error> {
        let sql = super::scans::earlier_text(column);
        let earlier: Option<(i64, Option<String>)> =
            on_tx!(self, |tx| sqlx::query_as(&sql).bind(scan_id).fetch_optional(&mut **tx).await)?;
        let (text, of) = super::scans::shared(earlier, text);
        Ok((text.unwrap_or_else(|| String::from("{}")), of))
    }

    /// Whether the cluster's `finding_counts` are marked stale.
    async fn counts_are_stale(&mut self, cluster_id: i64) -> Result<bool, sqlx::Error> {
        let sql = "SELECT COUNT(*) FROM finding_counts_stale WHERE cluster_id = $1";
        let marks: i64 = on_tx!(self, |tx| sqlx::query_scalar(sql).bind(cluster_id).fetch_one(&mut **tx).await)?;
        Ok(marks > 0)
    }

    /// Marks findings the scan could not look at as not seen since `previous_seen`.
    async fn mark_unseen(&mut self, ids: &[i64], previous_seen: i64) -> Result<i64, sqlx::Error> {
        let set = format!("last_seen = {}", last_seen_before(1));
        self.update_ids(&set, &[previous_seen], ids, " AND last_seen IS NULL").await
    }

    /// `UPDATE findings SET {set} WHERE id IN ids{condition}`, `set` using the `values`
    /// as `$1…`; the rows changed.
    async fn update_ids(
        &mut self,
        set: &str,
        values: &[i64],
        ids: &[i64],
        condition: &str,
    ) -> Result<i64, sqlx::Error> {
        if ids.is_empty() {
            return Ok(0);
        }
        let first = values.len() + 1;
        match self {
            Tx::Postgres(tx) => {
                let sql = format!("UPDATE findings SET {set} WHERE id = ANY(${first}){condition}");
                let mut query = sqlx::query(&sql);
                for value in values {
                    query = query.bind(*value);
                }
                Ok(query.bind(ids).execute(&mut **tx).await?.rows_affected() as i64)
            }
            Tx::Sqlite(tx) => {
                let (set, values) = positional(set, values);
                let mut written = 0;
                for chunk in sqlite_chunks(ids) {
                    let sql = format!("UPDATE findings SET {set} WHERE id IN ({}){condition}", anonymous(chunk.len()));
                    let mut query = sqlx::query(&sql);
                    for value in &values {
                        query = query.bind(*value);
                    }
                    for id in chunk {
                        query = query.bind(id);
                    }
                    written += query.execute(&mut **tx).await?.rows_affected() as i64;
                }
                Ok(written)
            }
        }
    }

    /// The cluster's `finding_counts` no longer say what its findings are (this
    /// transaction's writes could not be counted): totals are counted from the rows until
    /// [`Tx::count_again`].
    async fn mark_counts_stale(&mut self, cluster_id: i64) -> Result<(), sqlx::Error> {
        let sql = "INSERT INTO finding_counts_stale (cluster_id) VALUES ($1) ON CONFLICT DO NOTHING";
        on_tx!(self, |tx| sqlx::query(sql).bind(cluster_id).execute(&mut **tx).await.map(drop))
    }

    /// Counts the cluster's findings again into `finding_counts`, which are fresh again.
    async fn count_again(&mut self, cluster_id: i64) -> Result<(), sqlx::Error> {
        const STATEMENTS: [&str; 3] = [
            "DELETE FROM finding_counts WHERE cluster_id = $1",
            "INSERT INTO finding_counts (cluster_id, status, severity, rule, namespace, findings) \
             SELECT cluster_id, status, severity, rule, namespace, COUNT(*) FROM findings WHERE cluster_id = $1 \
             GROUP BY cluster_id, status, severity, rule, namespace",
            "DELETE FROM finding_counts_stale WHERE cluster_id = $1",
        ];
        for sql in STATEMENTS {
            on_tx!(self, |tx| sqlx::query(sql).bind(cluster_id).execute(&mut **tx).await.map(drop))?;
        }
        Ok(())
    }

    /// Replaces the cluster's `finding_counts` with `counts` (a first scan's sums), which
    /// are fresh again.
    async fn replace_counts(&mut self, cluster_id: i64, counts: &CountMoves<'_>) -> Result<(), sqlx::Error> {
        let sql = "DELETE FROM finding_counts WHERE cluster_id = $1";
        on_tx!(self, |tx| sqlx::query(sql).bind(cluster_id).execute(&mut **tx).await.map(drop))?;
        self.add_counts(cluster_id, counts).await?;
        let sql = "DELETE FROM finding_counts_stale WHERE cluster_id = $1";
        on_tx!(self, |tx| sqlx::query(sql).bind(cluster_id).execute(&mut **tx).await.map(drop))
    }

    /// Whether no scan of the cluster but `scan_id` may have written findings since
    /// `began` (Unix milliseconds): none left the queue and was still unfinished then.
    async fn alone_since(&mut self, cluster_id: i64, scan_id: i64, began: i64) -> Result<bool, sqlx::Error> {
        let sql = "SELECT COUNT(*) FROM scans WHERE cluster_id = $1 AND id <> $2 AND status <> 'queued' \
             AND (finished_at IS NULL OR finished_at >= $3)";
        let others: i64 = on_tx!(self, |tx| sqlx::query_scalar(sql)
            .bind(cluster_id)
            .bind(scan_id)
            .bind(began)
            .fetch_one(&mut **tx)
            .await)?;
        Ok(others == 0)
    }

    /// The cluster's findings that are not resolved: summed from `finding_counts` while
    /// they are fresh (no scan wrote findings since they were counted: an unchanged rescan),
    /// counted from the rows otherwise (a count over the cluster's index, most of a
    /// second at 500,000 findings).
    async fn count_unresolved(&mut self, cluster_id: i64) -> Result<i64, sqlx::Error> {
        // The sum as text: SQLite's SUM is an integer, PostgreSQL's a numeric.
        let summed = "SELECT CASE WHEN EXISTS (SELECT 1 FROM finding_counts_stale WHERE cluster_id = $1) THEN NULL \
             ELSE CAST(COALESCE((SELECT SUM(findings) FROM finding_counts WHERE cluster_id = $1 \
             AND status IN ('open', 'exempted')), 0) AS TEXT) END";
        let summed: Option<String> =
            on_tx!(self, |tx| sqlx::query_scalar(summed).bind(cluster_id).fetch_one(&mut **tx).await)?;
        if let Some(total) = summed.and_then(|total| total.parse().ok()) {
            return Ok(total);
        }
        let sql = "SELECT COUNT(*) FROM findings WHERE cluster_id = $1 AND status IN ('open', 'exempted')";
        on_tx!(self, |tx| sqlx::query_scalar(sql).bind(cluster_id).fetch_one(&mut **tx).await)
    }

    /// The objects of the cluster that have findings not resolved: `(id, object hash)`.
    async fn unresolved_objects(&mut self, cluster_id: i64) -> Result<Vec<(i64, i64)>, sqlx::Error> {
        const OBJECTS: &str = "FROM finding_objects o WHERE o.cluster_id = $1 AND o.id IN (SELECT f.object_id \
             FROM findings f WHERE f.cluster_id = $1 AND f.status IN ('open', 'exempted'))";
        match self {
            Tx::Postgres(tx) => {
                sqlx::query_as(&format!("SELECT o.id, o.object_hash {OBJECTS}"))
                    .bind(cluster_id)
                    .fetch_all(&mut **tx)
                    .await
            }
            Tx::Sqlite(tx) => {
                let json: String =
                    sqlx::query_scalar(&format!("SELECT json_group_array(json_array(o.id, o.object_hash)) {OBJECTS}"))
                        .bind(cluster_id)
                        .fetch_one(&mut **tx)
                        .await?;
                serde_json::from_str(&json).map_err(|error| sqlx::Error::Decode(Box::new(error)))
            }
        }
    }

    /// Resolves the unresolved findings of these objects (which the scan did not see), or
    /// marks them unseen where they may not be resolved: (resolved, rows written).
    async fn settle_objects(
        &mut self,
        objects: &[i64],
        resolvable: &impl Fn(&str, &str) -> bool,
        now: i64,
        previous_seen: i64,
    ) -> Result<(i64, i64, Vec<Resolved>), sqlx::Error> {
        if objects.is_empty() {
            return Ok((0, 0, Vec::new()));
        }
        let rows: Vec<(i64, String, String, bool)> = match self {
            Tx::Postgres(tx) => {
                sqlx::query_as(
                    "SELECT id, kind, rule, last_seen IS NULL FROM findings \
                     WHERE object_id = ANY($1::bigint[]) AND status IN ('open', 'exempted')",
                )
                .bind(objects)
                .fetch_all(&mut **tx)
                .await?
            }
            Tx::Sqlite(tx) => {
                let row = "json_array(f.id, f.kind, f.rule, json(CASE WHEN f.last_seen IS NULL THEN 'true' ELSE 'false' END))";
                let key = "f.status IN ('open', 'exempted') AND f.object_id";
                sqlite_rows(tx, row, key, objects).await?
            }
        };
        let (mut resolve, mut unseen) = (Vec::new(), Vec::new());
        for (id, kind, rule, current) in rows {
            if resolvable(&kind, &rule) {
                resolve.push(id);
            } else if current {
                unseen.push(id);
            }
        }
        let (resolved, rows) = self.resolve(&resolve, now, previous_seen).await?;
        Ok((resolved, resolved + self.mark_unseen(&unseen, previous_seen).await?, rows))
    }
}

impl Store {
    /// Gives findings stored before fingerprints were 8 bytes (migration 0007 copies them
    /// with none) their fingerprint, those stored before digests (migration 0013) their
    /// digest, and those stored before objects had ids (migration 0024) their object, so the
    /// next scan compares with them instead of storing or rewriting them. Runs when the
    /// store opens; nothing to do once done.
    pub async fn rekey_findings(&self) -> Result<(), sqlx::Error> {
        type Row = (i64, i64, String, String, String, String, String, String, String, Option<String>, bool);
        let mut after = 0i64;
        // Objects given their id so far, by cluster and hash.
        let mut objects: HashMap<(i64, i64), i64> = HashMap::new();
        loop {
            let rows: Vec<Row> = super::on_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT id, cluster_id, rule, kind, namespace, name, path, severity, message, exemption_reason, \
                     fingerprint IS NULL FROM findings \
                     WHERE (fingerprint IS NULL OR digest IS NULL OR object_id IS NULL) AND id > $1 \
                     ORDER BY id LIMIT 5000",
                )
                .bind(after)
                .fetch_all(pool)
                .await
            })?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.0;
            let hashes: Vec<(i64, i64)> =
                rows.iter().map(|row| (row.1, object_hash(&row.3, &row.4, &row.5) as i64)).collect();
            let mut unknown: Vec<(i64, i64)> =
                hashes.iter().copied().filter(|object| !objects.contains_key(object)).collect();
            unknown.sort_unstable();
            unknown.dedup();
            super::on_pool!(self, |pool| {
                let mut tx = pool.begin().await?;
                // Replicas starting together may give the same object its id at once:
                // whichever inserts first, both read the same id.
                Rekeying::object_ids(&mut tx, &unknown, &mut objects).await?;
                let updates: Vec<(i64, i64, i64)> = rows
                    .iter()
                    .zip(&hashes)
                    .map(|(row, object)| {
                        let (id, _, rule, kind, namespace, name, path, severity, message, reason, _) = row;
                        let digest =
                            digest_of([rule, kind, namespace, name, path], severity, message, reason.as_deref());
                        (*id, digest, objects[object])
                    })
                    .collect();
                Rekeying::set_digests_and_objects(&mut tx, &updates).await?;
                let mut keys: HashSet<(i64, i64)> = HashSet::new();
                for ((id, cluster_id, rule, kind, namespace, name, path, .., unkeyed), object) in
                    rows.iter().zip(&hashes)
                {
                    let key = fingerprint(*cluster_id, rule, kind, namespace, name, path);
                    // Two old rows can only share a fingerprint by a collision of hashes:
                    // the later one keeps none, and stays as history.
                    if !unkeyed || !keys.insert((*cluster_id, key)) {
                        continue;
                    }
                    sqlx::query(
                        "UPDATE findings SET fingerprint = $1 WHERE id = $2 AND NOT EXISTS \
                         (SELECT 1 FROM findings other WHERE other.object_id = $3 AND other.fingerprint = $1)",
                    )
                    .bind(key)
                    .bind(*id)
                    .bind(objects[object])
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await
            })?;
        }
    }
}

/// [`Store::rekey_findings`]'s writes: on PostgreSQL a statement per chunk of findings (a
/// server of 550,000 findings opened in seconds, not minutes), on SQLite, in process, a
/// statement per row.
trait Rekeying {
    /// Gives each of `unknown` (cluster, object hash) its id in `finding_objects`, new or
    /// already there, and notes it in `objects`.
    async fn object_ids(
        &mut self,
        unknown: &[(i64, i64)],
        objects: &mut HashMap<(i64, i64), i64>,
    ) -> Result<(), sqlx::Error>;
    /// Sets each finding's digest and object: `(id, digest, object_id)`.
    async fn set_digests_and_objects(&mut self, updates: &[(i64, i64, i64)]) -> Result<(), sqlx::Error>;
}

impl Rekeying for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn object_ids(
        &mut self,
        unknown: &[(i64, i64)],
        objects: &mut HashMap<(i64, i64), i64>,
    ) -> Result<(), sqlx::Error> {
        let (clusters, hashes): (Vec<i64>, Vec<i64>) = unknown.iter().copied().unzip();
        sqlx::query(
            "INSERT INTO finding_objects (cluster_id, object_hash) SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[]) \
             ORDER BY 1, 2 ON CONFLICT (cluster_id, object_hash) DO NOTHING",
        )
        .bind(&clusters)
        .bind(&hashes)
        .execute(&mut **self)
        .await?;
        let ids: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT o.cluster_id, o.object_hash, o.id FROM finding_objects o \
             JOIN UNNEST($1::BIGINT[], $2::BIGINT[]) AS wanted (cluster_id, object_hash) \
             ON o.cluster_id = wanted.cluster_id AND o.object_hash = wanted.object_hash",
        )
        .bind(&clusters)
        .bind(&hashes)
        .fetch_all(&mut **self)
        .await?;
        objects.extend(ids.into_iter().map(|(cluster_id, hash, id)| ((cluster_id, hash), id)));
        Ok(())
    }

    async fn set_digests_and_objects(&mut self, updates: &[(i64, i64, i64)]) -> Result<(), sqlx::Error> {
        let ids: Vec<i64> = updates.iter().map(|update| update.0).collect();
        let digests: Vec<i64> = updates.iter().map(|update| update.1).collect();
        let object_ids: Vec<i64> = updates.iter().map(|update| update.2).collect();
        sqlx::query(
            "UPDATE findings f SET digest = u.digest, object_id = u.object_id \
             FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]) AS u (id, digest, object_id) WHERE f.id = u.id",
        )
        .bind(&ids)
        .bind(&digests)
        .bind(&object_ids)
        .execute(&mut **self)
        .await
        .map(drop)
    }
}

impl Rekeying for sqlx::Transaction<'_, sqlx::Sqlite> {
    async fn object_ids(
        &mut self,
        unknown: &[(i64, i64)],
        objects: &mut HashMap<(i64, i64), i64>,
    ) -> Result<(), sqlx::Error> {
        for &(cluster_id, hash) in unknown {
            sqlx::query(
                "INSERT INTO finding_objects (cluster_id, object_hash) VALUES ($1, $2) \
                 ON CONFLICT (cluster_id, object_hash) DO NOTHING",
            )
            .bind(cluster_id)
            .bind(hash)
            .execute(&mut **self)
            .await?;
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM finding_objects WHERE cluster_id = $1 AND object_hash = $2")
                    .bind(cluster_id)
                    .bind(hash)
                    .fetch_one(&mut **self)
                    .await?;
            objects.insert((cluster_id, hash), id);
        }
        Ok(())
    }

    async fn set_digests_and_objects(&mut self, updates: &[(i64, i64, i64)]) -> Result<(), sqlx::Error> {
        for &(id, digest, object_id) in updates {
            sqlx::query("UPDATE findings SET digest = $1, object_id = $2 WHERE id = $3")
                .bind(digest)
                .bind(object_id)
                .bind(id)
                .execute(&mut **self)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The object prefix of a fingerprint (or of an object hash, as `i64`).
    fn prefix(fingerprint: i64) -> i32 {
        (fingerprint >> 32) as i32
    }

    #[test]
    fn fingerprints_put_their_object_first() {
        let a = fingerprint(1, "rule", "Pod", "ns", "ab", "spec");
        assert_eq!(a, fingerprint(1, "rule", "Pod", "ns", "ab", "spec"));
        assert_ne!(a, fingerprint(1, "rule", "Pod", "nsa", "b", "spec"));
        assert_ne!(a, fingerprint(2, "rule", "Pod", "ns", "ab", "spec"));
        let b = fingerprint(1, "other-rule", "Pod", "ns", "ab", "spec.other");
        assert_ne!(a, b);
        assert_eq!(prefix(a), prefix(b), "one object, one prefix");
        assert_eq!(prefix(a), prefix(object_hash("Pod", "ns", "ab") as i64));
        for fingerprint in [a, b] {
            assert_eq!(fingerprint >> 32, i64::from(prefix(a)), "the object's prefix in the high bits");
        }
    }

    #[test]
    fn positional_parameters_follow_the_text() {
        let (sql, values) = positional("a = $1, b = CASE WHEN c > $2 THEN c ELSE $2 END, d = $10", &[7, 8]);
        assert_eq!(sql, "a = ?, b = CASE WHEN c > ? THEN c ELSE ? END, d = $10");
        assert_eq!(values, [7, 8, 8]);
        assert_eq!(anonymous(3), "?, ?, ?");
    }

    #[test]
    fn sqlite_chunks_use_few_sizes() {
        let items: Vec<usize> = (0..443).collect();
        let chunks = sqlite_chunks(&items);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [200, 200, 20, 20, 1, 1, 1]);
        assert_eq!(chunks.concat(), items);
    }

    /// The recording's connection leaves checkpoints to another connection; by the time the
    /// recording ends, what its batches wrote is in the database file itself (read here with
    /// the WAL ignored, `immutable`).
    #[tokio::test]
    async fn a_recording_ends_with_its_writes_checkpointed_into_the_database_file() {
        let directory = std::env::temp_dir().join(format!("rampart-checkpoints-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let file = directory.join("rampart.db");
        let store = Store::open(&format!("sqlite://{}", file.display())).await.unwrap();
        let Store::Sqlite(pool) = &store else { unreachable!() };
        for sql in [
            "INSERT INTO teams (id, name, created_at) VALUES (1, 'red', 0)",
            "INSERT INTO clusters (id, team_id, name, kind, created_at) VALUES (1, 1, 'prod', 'snapshot', 0)",
            "INSERT INTO scans (id, cluster_id, status, source, queued_at, runner) \
             VALUES (1, 1, 'running', 'snapshot', 0, 'me')",
        ] {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
        let mut recording = store.begin_recording(1, 1, "me", &[], true).await.unwrap();
        for batch in 0..3 {
            let objects: Vec<SeenObject> = (0..200)
                .map(|n| SeenObject {
                    kind: "Pod".into(),
                    namespace: format!("team-{batch}"),
                    name: format!("web-{n}"),
                    score: Some(50),
                })
                .collect();
            let findings = (0..objects.len() * 5)
                .map(|n| Observed {
                    object: n / 5,
                    rule: "pod-privileged".into(),
                    severity: Severity::Critical,
                    path: format!("spec.containers[{}]", n % 5),
                    message: "runs privileged".into(),
                    exempted: false,
                    exemption_reason: None,
                })
                .collect();
            assert!(store.record_batch(&mut recording, &Batch { objects, findings }).await.unwrap());
        }
        assert!(store.finish_recording(&mut recording, &[]).await.unwrap());
        assert_eq!(recording.findings_written, 3000);

        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&file).read_only(true).immutable(true);
        let file_only = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        let findings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM findings").fetch_one(&file_only).await.unwrap();
        assert_eq!(findings, 3000);
        file_only.close().await;
        store.close().await;
        let _ = std::fs::remove_dir_all(&directory);
    }

    /// The migrations of `all` before `version`: a database as an older build left it.
    async fn migrator_before(all: &[(i64, &'static str, &'static str)], version: i64) -> sqlx::migrate::Migrator {
        let before: Vec<_> = all.iter().copied().filter(|m| m.0 < version).collect();
        let migrations: &'static [(i64, &'static str, &'static str)] = Box::leak(before.into_boxed_slice());
        sqlx::migrate::Migrator::new(super::super::Embedded(migrations)).await.unwrap()
    }

    /// Replicas that open a PostgreSQL database of findings stored before migration 0024
    /// at the same time give each object one id, whichever of them reaches it first, and
    /// both start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn replicas_rekey_findings_from_before_0024_together() {
        use sqlx::Connection;
        let admin = std::env::var("RAMPART_TEST_POSTGRES_URL").expect(
            "RAMPART_TEST_POSTGRES_URL is not set: this test needs a PostgreSQL server (`cargo xtask test` starts \
             one), e.g. postgres://postgres@127.0.0.1:5432/postgres",
        );
        let name = format!("rampart_rekey_{}", std::process::id());
        let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut connection).await.unwrap();
        let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
        let url = format!("{base}/{name}");
        {
            let pool = sqlx::postgres::PgPoolOptions::new().connect(&url).await.unwrap();
            migrator_before(super::super::POSTGRES_MIGRATIONS, 24).await.run(&pool).await.unwrap();
            for sql in [
                "INSERT INTO teams (id, name, created_at) VALUES (1, 'red', 0)",
                "INSERT INTO clusters (id, team_id, name, kind, created_at) VALUES (1, 1, 'prod', 'snapshot', 0)",
                "INSERT INTO scans (id, cluster_id, status, source, queued_at, finished_at) \
                 VALUES (1, 1, 'succeeded', 'snapshot', 0, 1000)",
                "INSERT INTO findings (cluster_id, rule, severity, kind, namespace, name, path, message, status, \
                 first_seen, first_scan_id) SELECT 1, 'rule-' || (i % 10), 'high', 'Pod', 'prod', 'pod-' || (i / 10), \
                 'spec', 'a finding', 'open', 1000, 1 FROM generate_series(0, 2999) AS i",
            ] {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        let (first, second) = tokio::join!(Store::open(&url), Store::open(&url));
        let (first, second) = (first.expect("the first replica starts"), second.expect("the second replica starts"));
        let Store::Postgres(pool) = &first else { unreachable!() };
        let (objects, unkeyed, ids): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM finding_objects), \
             (SELECT COUNT(*) FROM findings WHERE object_id IS NULL OR fingerprint IS NULL OR digest IS NULL), \
             (SELECT COUNT(DISTINCT object_id) FROM findings)",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!((objects, unkeyed, ids), (300, 0, 300), "one id per object, every finding keyed");
        first.close().await;
        second.close().await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut connection).await.unwrap();
    }

    /// Findings stored before migration 0007 keep their history: copied with their
    /// status and times, given their new fingerprint when the store opens, and a rescan
    /// that sees them again writes nothing.
    #[tokio::test]
    async fn findings_from_before_0007_are_rekeyed_and_seen_again_without_writes() {
        let directory = std::env::temp_dir().join(format!("rampart-rekey-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let url = format!("sqlite://{}/old.db", directory.display());
        {
            let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
                .unwrap()
                .create_if_missing(true);
            let pool = sqlx::sqlite::SqlitePoolOptions::new().connect_with(options).await.unwrap();
            migrator_before(super::super::SQLITE_MIGRATIONS, 7).await.run(&pool).await.unwrap();
            for sql in [
                "INSERT INTO teams (id, name, created_at) VALUES (1, 'red', 0)",
                "INSERT INTO clusters (id, team_id, name, kind, created_at) VALUES (1, 1, 'prod', 'snapshot', 0)",
                "INSERT INTO scans (id, cluster_id, status, source, queued_at, finished_at) \
                 VALUES (1, 1, 'succeeded', 'snapshot', 0, 1000), (2, 1, 'succeeded', 'snapshot', 0, 2000)",
                "INSERT INTO findings (cluster_id, fingerprint, rule, severity, kind, namespace, name, path, message, \
                 status, first_seen, last_seen, first_scan_id, last_scan_id) VALUES \
                 (1, 'old-1', 'pod-privileged', 'critical', 'Pod', 'prod', 'web', 'spec', 'runs privileged', 'open', \
                  1000, 2000, 1, 2), \
                 (1, 'old-2', 'run-as-root', 'high', 'Pod', 'prod', 'gone', 'spec', 'runs as root', 'resolved', \
                  1000, 1000, 1, 1)",
            ] {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        let store = Store::open(&url).await.unwrap();
        let Store::Sqlite(pool) = &store else { unreachable!() };
        let rows: Vec<(Option<i64>, String, Option<i64>)> =
            sqlx::query_as("SELECT fingerprint, status, last_seen FROM findings ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        assert_eq!(rows[0].0, Some(fingerprint(1, "pod-privileged", "Pod", "prod", "web", "spec")));
        assert_eq!((rows[0].1.as_str(), rows[0].2), ("open", None), "seen by the latest scan: current");
        assert_eq!((rows[1].1.as_str(), rows[1].2), ("resolved", Some(1000)), "history kept");

        sqlx::query(
            "INSERT INTO scans (id, cluster_id, status, source, queued_at, runner) \
             VALUES (3, 1, 'running', 'snapshot', 0, 'me')",
        )
        .execute(pool)
        .await
        .unwrap();
        let batch = Batch {
            objects: vec![SeenObject {
                kind: "Pod".into(),
                namespace: "prod".into(),
                name: "web".into(),
                score: Some(50),
            }],
            findings: vec![Observed {
                object: 0,
                rule: "pod-privileged".into(),
                severity: Severity::Critical,
                path: "spec".into(),
                message: "runs privileged".into(),
                exempted: false,
                exemption_reason: None,
            }],
        };
        let mut recording = store.begin_recording(3, 1, "me", &[], true).await.unwrap();
        assert!(store.record_batch(&mut recording, &batch).await.unwrap());
        assert!(store.finish_recording(&mut recording, &[]).await.unwrap());
        assert_eq!((recording.new_findings, recording.resolved_findings, recording.findings_written), (0, 0, 0));
        store.close().await;
        let _ = std::fs::remove_dir_all(&directory);
    }
}
