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
//! The module is self-contained: [`scan`] takes a [`ClusterConfig`] and [`ScanOptions`] and
//! returns a [`ScanOutcome`]; storing its results is the caller's business.

pub mod connect;
mod json;
mod kinds;
mod list;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rampart_core::engine::{self, Options, Report};
use rampart_core::object::Object;
use rampart_core::parse::Source;
use rampart_core::rules::Mode;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use connect::ClusterConfig;
pub use kinds::{catalog, Kind};

use list::{ListError, Listed};

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

/// Scans a cluster: lists every kind of the catalog and builds the objects to check.
pub async fn scan(cluster: &ClusterConfig, options: &ScanOptions) -> ScanOutcome {
    let client = match connect::client(cluster, options).await {
        Ok(client) => client,
        Err(message) => return ScanOutcome::failed(message),
    };
    // One cheap request first, so an unreachable cluster or rejected credentials end the
    // scan with one clear message instead of one error per kind.
    if let Err(message) = connect::probe(&client, cluster, options).await {
        return ScanOutcome::failed(message);
    }

    let mut kinds: Vec<Kind> = catalog();
    let mut errors = Vec::new();
    match list::discover_constraints(&client, options).await {
        Ok(constraints) => kinds.extend(constraints),
        Err(error) => errors.push(KindError { kind: kinds::GATEKEEPER_GROUP.into(), message: error.to_string() }),
    }

    // Kinds whose objects a listed controller may own are listed after their owners, wave
    // by wave, and the objects owned are dropped page by page as they are read: a cluster's
    // Pods and ReplicaSets are most of its bytes, and nearly all of them are left out.
    let mut waves: [Vec<Kind>; kinds::WAVES] = Default::default();
    for kind in kinds {
        waves[kinds::wave(&kind)].push(kind);
    }
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut owner_uids: Arc<HashSet<String>> = Arc::default();
    let mut listed_kinds = Vec::new();
    let mut items = Vec::new();
    for wave in waves {
        let mut tasks = JoinSet::new();
        for kind in wave {
            let client = client.clone();
            let options = options.clone();
            let limit = limit.clone();
            let owner_uids = Arc::clone(&owner_uids);
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let result = list::list_kind(&client, &kind, &options, &owner_uids).await;
                (Arc::new(kind), result)
            });
        }
        let mut wave_uids: Vec<String> = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (kind, result) = match joined {
                Ok(done) => done,
                Err(error) => {
                    errors.push(KindError { kind: "unknown".into(), message: format!("listing task failed: {error}") });
                    continue;
                }
            };
            match result {
                Ok(Listed { items: listed, dropped_owner_uids }) => {
                    listed_kinds.push((kind.api_version(), kind.kind.to_string()));
                    if kinds::may_own(&kind) {
                        wave_uids.extend(dropped_owner_uids);
                        wave_uids.extend(listed.iter().filter_map(json::uid).map(str::to_string));
                    }
                    items.extend(listed.into_iter().map(|item| (Arc::clone(&kind), item)));
                }
                // An optional API the cluster does not serve (Kyverno not installed): nothing to list.
                Err(ListError::Api { code: 404, .. }) if kind.optional => {}
                // Named as findings name their resource's kind, which is what the store
                // compares when it decides which findings this scan may resolve.
                Err(error) => errors.push(KindError { kind: kind.kind.clone(), message: error.to_string() }),
            }
        }
        if !wave_uids.is_empty() {
            let mut uids = Arc::unwrap_or_clone(owner_uids);
            uids.extend(wave_uids);
            owner_uids = Arc::new(uids);
        }
    }
    drop(owner_uids);
    // Completion order varies; a stable order keeps reports and tests reproducible.
    items.sort_by_key(|(kind, _)| kind.order);
    errors.sort_by(|a, b| a.kind.cmp(&b.kind));
    listed_kinds.sort();

    if listed_kinds.is_empty() && !errors.is_empty() {
        return ScanOutcome::failed(format!("no kind could be listed: {}: {}", errors[0].kind, errors[0].message));
    }
    // Building trees of tens of thousands of objects is CPU work: off the async workers.
    let objects = match tokio::task::spawn_blocking(move || json::objects(items)).await {
        Ok(objects) => objects,
        Err(error) => return ScanOutcome::failed(format!("reading the listed objects failed: {error}")),
    };
    let (status, message) = if errors.is_empty() {
        (ScanStatus::Succeeded, None)
    } else {
        let names: Vec<&str> = errors.iter().map(|error| error.kind.as_str()).collect();
        (ScanStatus::Partial, Some(format!("{} kind(s) could not be listed: {}", errors.len(), names.join(", "))))
    };
    ScanOutcome { status, objects, listed: listed_kinds, errors, message }
}
