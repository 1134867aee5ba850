//! The cluster scanner: reads every object the rules need from a live cluster's API, through
//! the `kube` client, and hands them to the engine as [`Object`]s.
//!
//! A scan lists each kind of [`catalog`] cluster-wide, page by page (`limit` +
//! `continue`), a few kinds at a time so a scan does not load the API server. Secrets are
//! listed as metadata only: their values are never requested. A kind that cannot be listed
//! (forbidden, missing, too slow, failing after retries) is recorded in
//! [`ScanOutcome::errors`] and the scan goes on, ending [`ScanStatus::Partial`]; a cluster
//! that cannot be reached at all ends [`ScanStatus::Failed`] with a message saying what to
//! check. Objects run by a controller that is itself listed (the ReplicaSets of a
//! Deployment, the Pods of a ReplicaSet, the Jobs of a CronJob) are left out, so each
//! finding belongs to the top-level owner and is counted once.
//!
//! The module is self-contained: [`stream`] takes a [`ClusterConfig`] and [`ScanOptions`]
//! and sends what it lists to [`crate::ingest`] as it goes; [`scan`] collects the same into
//! a [`ScanOutcome`]. Storing the results is the caller's business.

pub mod connect;
pub mod json;
pub(crate) mod kinds;
mod list;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rampart_core::engine::{self, Options, Report};
use rampart_core::object::Object;
use rampart_core::parse::Source;
use rampart_core::rules::Mode;
use rampart_core::tree::Node;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use connect::ClusterConfig;
pub use kinds::{catalog, Kind};

use list::{ListError, Page};
use tokio::sync::mpsc;

use crate::ingest::{self, Delivery};
use crate::outbound::OutboundPolicy;
use crate::store::scans::ScanError;
use rampart_core::index::Index;

/// What a scan makes of each listed item it keeps (owned items are already left out):
/// the engine's [`Object`] (the server checks it), or the object's JSON (an agent sends it
/// on, [`crate::agent::wire::Encoded`]). Each item is read into a tree and handed over at
/// once, so a listing holds a page of what it keeps, never a page of trees it does not.
pub trait Listed: Send + Sized + 'static {
    /// The kept item of `kind`, read as a tree; an error fails the listing of the kind.
    fn read(kind: &Kind, item: Node) -> Result<Self, String>;
}

impl Listed for Object {
    fn read(kind: &Kind, item: Node) -> Result<Object, String> {
        Ok(json::object(kind, item))
    }
}

/// The name of the one source every object of a scan belongs to (there is no file).
pub const SOURCE_NAME: &str = "cluster";

/// How a scan talks to the API server.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Items asked for per page (`limit`).
    pub page_size: u32,
    /// The longest one request (one page) may take, connecting included.
    pub request_timeout: Duration,
    /// The longest connecting may take.
    pub connect_timeout: Duration,
    /// How many kinds are listed at the same time.
    pub concurrency: usize,
    /// How many times a request answered with a 5xx (or 429) is tried again.
    pub retries: u32,
    /// The wait before the first retry; it doubles with each further one.
    pub retry_backoff: Duration,
    /// Where connections may go (checked on each resolved address).
    pub outbound: OutboundPolicy,
    /// `(apiVersion, kind)` of the custom policies' params: listed with the index's kinds,
    /// before any object is checked, so the checker can offer them as params.
    pub param_kinds: Vec<(String, String)>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            page_size: 500,
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            concurrency: 4,
            retries: 3,
            retry_backoff: Duration::from_millis(500),
            outbound: OutboundPolicy::default(),
            param_kinds: Vec::new(),
        }
    }
}

/// How a scan ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanStatus {
    /// Every kind was listed.
    Succeeded,
    /// Some kinds could not be listed; [`ScanOutcome::errors`] says which and why.
    Partial,
    /// The cluster could not be reached (or refused the credentials); nothing was listed.
    Failed,
}

/// A kind that could not be listed, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindError {
    /// The kind as findings name their resource's kind (`Pod`, `ClusterRole`,
    /// `ClusterPolicy`).
    pub kind: String,
    pub message: String,
}

/// What a scan read.
#[derive(Debug)]
pub struct ScanOutcome {
    pub status: ScanStatus,
    /// The objects to check, owned ones already left out.
    pub objects: Vec<Object>,
    /// Kinds that were listed completely, as `(apiVersion, kind)`: findings of other kinds
    /// must not be resolved by this scan.
    pub listed: Vec<(String, String)>,
    pub errors: Vec<KindError>,
    /// What went wrong, for a person: set when the scan failed or was partial.
    pub message: Option<String>,
}

impl ScanOutcome {
    fn failed(message: String) -> Self {
        ScanOutcome {
            status: ScanStatus::Failed,
            objects: Vec::new(),
            listed: Vec::new(),
            errors: Vec::new(),
            message: Some(message),
        }
    }

    /// Whether findings of this kind can be judged by this scan (its kind was listed).
    pub fn was_listed(&self, api_version: &str, kind: &str) -> bool {
        self.listed.iter().any(|(listed_version, listed_kind)| listed_version == api_version && listed_kind == kind)
    }

    /// Rules this scan cannot judge: they conclude from the absence of objects of a kind
    /// that could not be listed (no NetworkPolicies seen because listing them was
    /// forbidden). [`ScanOutcome::check`] does not run them; the store must neither open
    /// nor resolve their findings on the evidence of this scan.
    pub fn unjudged_rules(&self) -> Vec<&'static str> {
        let mut rules: Vec<&'static str> =
            self.errors.iter().flat_map(|error| kinds::rules_looking_across(&error.kind)).copied().collect();
        rules.sort_unstable();
        rules.dedup();
        rules
    }

    /// Runs the engine over the objects, as a cluster scan: the input is the whole cluster,
    /// so rules may conclude that something is missing, except the
    /// [`unjudged_rules`](ScanOutcome::unjudged_rules), which are not run. Consumes the objects.
    pub fn check(&mut self, options: &Options) -> Report {
        let mut options = Options { mode: Mode::Cluster, ..options.clone() };
        options.config.disable.extend(self.unjudged_rules().into_iter().map(str::to_string));
        let sources = [Source::new(SOURCE_NAME, String::new())];
        engine::check_objects(&sources, std::mem::take(&mut self.objects), Vec::new(), &options)
    }
}

/// Scans a cluster and holds every object: [`stream`], collected (each object once, in
/// the order delivered). For tests and small clusters; the server records a scan as it
/// streams.
pub async fn scan(cluster: &ClusterConfig, options: &ScanOptions) -> ScanOutcome {
    let (sender, mut deliveries) = mpsc::channel(ingest::QUEUE);
    let collecting = async {
        let (mut objects, mut errors, mut failed) = (Vec::new(), Vec::new(), None);
        let mut seen = HashSet::new();
        while let Some(delivery) = deliveries.recv().await {
            match delivery {
                Delivery::Context(_) => {}
                Delivery::ContextDone { errors: more, .. } => errors.extend(more),
                Delivery::Error(error) => errors.push(error),
                Delivery::Batch(batch) => objects.extend(batch.into_iter().filter(|object: &Object| {
                    seen.insert((object.kind.clone(), object.namespace.clone(), object.name.clone()))
                })),
                Delivery::Failed(message) => failed = Some(message),
            }
        }
        (objects, errors, failed)
    };
    let (listed, (objects, errors, failed)) = tokio::join!(stream(cluster, options, sender), collecting);
    if let Some(message) = failed {
        return ScanOutcome::failed(message);
    }
    let mut errors: Vec<KindError> = errors
        .into_iter()
        .map(|error| KindError { kind: error.kind.unwrap_or_default(), message: error.message })
        .collect();
    errors.sort_by(|a, b| a.kind.cmp(&b.kind));
    let (status, message) = if errors.is_empty() {
        (ScanStatus::Succeeded, None)
    } else {
        let names: Vec<&str> = errors.iter().map(|error| error.kind.as_str()).collect();
        (ScanStatus::Partial, Some(format!("{} kind(s) could not be listed: {}", errors.len(), names.join(", "))))
    };
    ScanOutcome { status, objects, listed, errors, message }
}

/// Lists a cluster into `deliveries`, as [`crate::ingest`] takes them: first the kinds the
/// engine's index reads (every page held, then delivered as context and as the first
/// batches, in catalog order), then the other kinds in waves, owners before the kinds they
/// may own, each page a batch as soon as it is read (owned objects already dropped). A
/// cluster that cannot be reached, or where no kind can be listed, ends with
/// [`Delivery::Failed`]. Returns the kinds listed completely, as `(apiVersion, kind)`.
pub async fn stream<O: Listed>(
    cluster: &ClusterConfig,
    options: &ScanOptions,
    deliveries: mpsc::Sender<Delivery<O>>,
) -> Vec<(String, String)> {
    let client = match connect::client(cluster, options).await {
        Ok(client) => client,
        Err(message) => {
            let _ = deliveries.send(Delivery::Failed(message)).await;
            return Vec::new();
        }
    };
    // One cheap request first, so an unreachable cluster or rejected credentials end the
    // scan with one clear message instead of one error per kind.
    if let Err(message) = connect::probe(&client, cluster, options).await {
        let _ = deliveries.send(Delivery::Failed(message)).await;
        return Vec::new();
    }

    let mut kinds: Vec<Kind> = catalog();
    let mut context_errors = Vec::new();
    match list::discover_constraints(&client, options).await {
        Ok(constraints) => kinds.extend(constraints),
        Err(error) => {
            context_errors.push(KindError { kind: kinds::GATEKEEPER_GROUP.into(), message: error.to_string() })
        }
    }
    // The index's kinds first, each page handed over as context (the index keeps what
    // context rules read of it, the rest is dropped), then every kind in waves, each page
    // a batch: Namespaces alone first (the first object anchors cluster-wide findings, so
    // it must be the same scan after scan), then everything else, then the kinds a listed
    // controller may own (ReplicaSets and Jobs, then Pods), whose owned objects are
    // dropped page by page as they are read (a cluster's Pods and ReplicaSets are most of
    // its bytes, and nearly all of them are left out). The index's kinds are listed twice:
    // a few small kinds, so that nothing is held between the two listings.
    let is_param = |kind: &Kind| {
        let api_version =
            if kind.group.is_empty() { kind.version.clone() } else { format!("{}/{}", kind.group, kind.version) };
        options.param_kinds.iter().any(|(version, name)| *version == api_version && *name == kind.kind)
    };
    let context_kinds: Vec<Kind> = kinds
        .iter()
        .filter(|kind| (Index::reads(&kind.group, &kind.kind) || is_param(kind)) && !kind.metadata_only)
        .cloned()
        .collect();
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let context = list_wave(&client, context_kinds, options, &limit, &Arc::default(), Hand::Context(&deliveries)).await;
    context_errors.extend(context.errors);
    context_errors.sort_by(|a, b| a.kind.cmp(&b.kind));
    let unjudged_rules: Vec<String> = {
        let mut rules: Vec<&str> =
            context_errors.iter().flat_map(|error| kinds::rules_looking_across(&error.kind)).copied().collect();
        rules.sort_unstable();
        rules.dedup();
        rules.into_iter().map(str::to_string).collect()
    };
    let errors_done = context_errors.iter().map(KindError::to_scan_error).collect();
    let mut delivered = !context.stopped
        && deliveries.send(Delivery::ContextDone { errors: errors_done, unjudged_rules }).await.is_ok();

    // What failed as context is not listed again: its error is already said.
    let failed: HashSet<&str> = context_errors.iter().map(|error| error.kind.as_str()).collect();
    let mut waves: [Vec<Kind>; kinds::WAVES + 1] = Default::default();
    for kind in kinds.iter().filter(|kind| !failed.contains(kind.kind.as_str())) {
        let wave =
            if (kind.group.as_str(), kind.kind.as_str()) == ("", "Namespace") { 0 } else { 1 + kinds::wave(kind) };
        waves[wave].push(kind.clone());
    }
    let mut listed = Vec::new();
    let mut errors = context_errors.clone();
    let mut owner_uids: Arc<HashSet<String>> = Arc::default();
    for wave in waves {
        if !delivered {
            break;
        }
        let listed_wave = list_wave(&client, wave, options, &limit, &owner_uids, Hand::Batch(&deliveries)).await;
        delivered = !listed_wave.stopped;
        listed.extend(listed_wave.listed);
        for error in listed_wave.errors {
            delivered = delivered && deliveries.send(Delivery::Error(error.to_scan_error())).await.is_ok();
            errors.push(error);
        }
        if !listed_wave.owner_uids.is_empty() {
            let mut uids = Arc::unwrap_or_clone(owner_uids);
            uids.extend(listed_wave.owner_uids);
            owner_uids = Arc::new(uids);
        }
    }
    listed.sort();
    if delivered && listed.is_empty() && !errors.is_empty() {
        errors.sort_by(|a, b| a.kind.cmp(&b.kind));
        let message = format!("no kind could be listed: {}: {}", errors[0].kind, errors[0].message);
        let _ = deliveries.send(Delivery::Failed(message)).await;
    }
    listed
}

impl KindError {
    fn to_scan_error(&self) -> ScanError {
        ScanError { kind: Some(self.kind.clone()), message: self.message.clone() }
    }
}

/// What a wave's pages become: context for the index, or batches to check.
enum Hand<'a, O> {
    Context(&'a mpsc::Sender<Delivery<O>>),
    Batch(&'a mpsc::Sender<Delivery<O>>),
}

/// What listing a wave of kinds came to.
#[derive(Default)]
struct Wave {
    listed: Vec<(String, String)>,
    errors: Vec<KindError>,
    /// Uids of the wave's objects of kinds that may own others (dropped ones included).
    owner_uids: Vec<String>,
    /// The receiver of the batches went away: the scan was abandoned.
    stopped: bool,
}

/// Lists a wave of kinds, a few at a time, handing each page over as it is read.
async fn list_wave<O: Listed>(
    client: &kube::Client,
    kinds: Vec<Kind>,
    options: &ScanOptions,
    limit: &Arc<Semaphore>,
    owner_uids: &Arc<HashSet<String>>,
    hand: Hand<'_, O>,
) -> Wave {
    let (pages, mut received) = mpsc::channel::<Page<O>>(ingest::QUEUE);
    let mut tasks = JoinSet::new();
    for kind in kinds {
        let (client, options, limit, owner_uids, pages) =
            (client.clone(), options.clone(), limit.clone(), Arc::clone(owner_uids), pages.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let kind = Arc::new(kind);
            let result = list::list_kind(&client, &kind, &options, &owner_uids, &pages).await;
            (kind, result)
        });
    }
    drop(pages);
    let mut wave = Wave::default();
    while let Some(page) = received.recv().await {
        wave.owner_uids.extend(page.owner_uids);
        let delivery = match hand {
            Hand::Context(_) => Delivery::Context(page.items),
            Hand::Batch(_) => Delivery::Batch(page.items),
        };
        let (Hand::Context(deliveries) | Hand::Batch(deliveries)) = &hand;
        if !wave.stopped && deliveries.send(delivery).await.is_err() {
            wave.stopped = true;
            tasks.abort_all();
        }
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((kind, Ok(()))) => wave.listed.push((kind.api_version(), kind.kind.clone())),
            // An optional API the cluster does not serve (Kyverno not installed): nothing to list.
            Ok((kind, Err(ListError::Api { code: 404, .. }))) if kind.optional => {}
            // Named as findings name their resource's kind, which is what the store
            // compares when it decides which findings this scan may resolve.
            Ok((kind, Err(error))) => {
                wave.errors.push(KindError { kind: kind.kind.clone(), message: error.to_string() })
            }
            Err(error) if error.is_cancelled() => {}
            Err(error) => {
                wave.errors.push(KindError { kind: "unknown".into(), message: format!("listing task failed: {error}") })
            }
        }
    }
    wave
}
