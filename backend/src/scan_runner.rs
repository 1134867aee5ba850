//! Runs scans outside the request that started them: the engine on a blocking thread (it
//! is CPU-bound and would stall the async workers), then the store records the outcome.
//! A scan that cannot finish ends `failed` with a message.
//!
//! A [`ScanRunner`] is one process's runner: it owns the scans it starts in the store (its
//! id in `scans.runner`), runs at most `max_concurrent` of them at once (the others wait,
//! `queued`), and keeps a list of them so that the scheduler can beat their heartbeat and,
//! at shutdown, stop them and hand them back for a retry. A scan cut short by the process
//! dying keeps `running` until the heartbeat goes stale; then it is marked `interrupted` and
//! retried (see [`crate::scheduler`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rampart_core::policy::{param_kinds, PolicyOptions};
use rampart_core::rules::Mode;
use rampart_core::{Options, Source};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

use crate::ingest::{self, Ingested};
use crate::outbound::OutboundPolicy;
use crate::scanner::{self, ClusterConfig, ScanOptions};
use crate::secrets::random_hex;
use crate::secrets::SecretBox;
use crate::snapshot;
use crate::store::schedule::{Abandoned, InterruptedScan};
use crate::store::{now_millis, Store};

/// How to reach a cluster, as sealed in its `credentials` column (JSON, then
/// AES-256-GCM: see [`crate::secrets`]).
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Credentials {
    Kubeconfig { kubeconfig: String, context: Option<String> },
    Token { server: String, token: String, ca_pem: Option<String> },
}

impl Credentials {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("credentials serialise")
    }

    pub fn into_config(self) -> ClusterConfig {
        match self {
            Credentials::Kubeconfig { kubeconfig, context } => ClusterConfig::Kubeconfig { text: kubeconfig, context },
            Credentials::Token { server, token, ca_pem } => ClusterConfig::Token { server, token, ca_pem },
        }
    }
}

/// What a cluster's sealed credentials are bound to: they open for that cluster only.
pub fn credentials_context(cluster_id: i64) -> String {
    format!("cluster:{cluster_id}")
}

/// Engine options for what a cluster holds: cluster mode, and no fixes (nobody applies
/// them to a live cluster's export).
pub fn cluster_options() -> Options {
    Options { mode: Mode::Cluster, fixes: false, ..Options::default() }
}

/// [`cluster_options`] with what exempts findings of this cluster now (its team's setting
/// on annotation exemptions and the central exemptions in force) and its team's enabled
/// policies, whose versions are recorded on the scan.
pub async fn scan_options(store: &Store, cluster_id: i64, scan_id: i64) -> Result<Options, sqlx::Error> {
    let policy = store.exemption_policy(cluster_id, now_millis()).await?;
    let policies = store.policies_in_force(cluster_id).await?;
    store.set_scan_policies(scan_id, &policies.applied).await?;
    let sources = policies
        .applied
        .iter()
        .zip(policies.sources)
        .map(|(applied, source)| Source::new(format!("policy {} v{}", applied.name, applied.version), source))
        .collect();
    Ok(Options {
        annotation_exemptions: policy.honor_annotations,
        exemptions: policy.exemptions,
        policies: PolicyOptions { sources, ..PolicyOptions::default() },
        ..cluster_options()
    })
}

/// One process's scan runner; clones share it.
#[derive(Clone)]
pub struct ScanRunner {
    inner: Arc<RunnerInner>,
}

struct RunnerInner {
    /// The runner's name in `scans.runner`: the host (a pod's name on Kubernetes), the
    /// process and a random part, unique across replicas and restarts.
    id: String,
    store: Store,
    secrets: SecretBox,
    max_concurrent: usize,
    /// How scans connect to clusters (the outbound policy among the rest).
    scan_options: ScanOptions,
    /// A turn to run; scans beyond `max_concurrent` wait for one, queued.
    turns: Semaphore,
    /// The scans this runner owns and has not finished, by id.
    tasks: Mutex<HashMap<i64, JoinHandle<()>>>,
    /// Whether rescans skip the engine for unchanged objects ([`crate::ingest`]).
    skip_unchanged: bool,
}

impl std::fmt::Debug for ScanRunner {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ScanRunner")
            .field("id", &self.inner.id)
            .field("max_concurrent", &self.inner.max_concurrent)
            .field("active", &self.active())
            .finish()
    }
}

/// Forgets a scan's task when the task ends, finished or stopped.
struct Untrack(Arc<RunnerInner>, i64);

impl Drop for Untrack {
    fn drop(&mut self) {
        if let Ok(mut tasks) = self.0.tasks.lock() {
            tasks.remove(&self.1);
        }
    }
}

impl ScanRunner {
    /// A runner that runs at most `max_concurrent` scans at once (at least one).
    /// Scans connect only where `outbound` allows.
    pub fn new(store: Store, secrets: SecretBox, max_concurrent: usize, outbound: OutboundPolicy) -> ScanRunner {
        let host = std::env::var("HOSTNAME").ok().filter(|host| !host.is_empty()).unwrap_or_else(|| "rampart".into());
        let id = format!("{host}:{}:{}", std::process::id(), random_hex(4));
        let max_concurrent = max_concurrent.max(1);
        ScanRunner {
            inner: Arc::new(RunnerInner {
                id,
                store,
                secrets,
                max_concurrent,
                scan_options: ScanOptions { outbound, ..ScanOptions::default() },
                turns: Semaphore::new(max_concurrent),
                tasks: Mutex::new(HashMap::new()),
                skip_unchanged: true,
            }),
        }
    }

    /// The runner, its rescans skipping the engine for unchanged objects or not (they do
    /// by default). Call before any scan starts.
    pub fn skipping_unchanged(mut self, skip: bool) -> ScanRunner {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.skip_unchanged = skip;
        }
        self
    }

    /// How this server's scans (and connection tests) talk to clusters.
    pub fn scan_options(&self) -> &ScanOptions {
        &self.inner.scan_options
    }

    /// The runner's name, as `scans.runner` holds it.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The scans this runner owns and has not finished: running, or queued for a turn.
    pub fn active(&self) -> usize {
        self.inner.tasks.lock().map(|tasks| tasks.len()).unwrap_or(0)
    }

    /// The ids of the scans this runner owns and has not finished.
    pub fn scan_ids(&self) -> Vec<i64> {
        self.inner.tasks.lock().map(|tasks| tasks.keys().copied().collect()).unwrap_or_default()
    }

    /// How many more scans would run at once now.
    pub fn free_turns(&self) -> usize {
        self.inner.max_concurrent.saturating_sub(self.active())
    }

    /// Queues a scan of a cluster through its API, owned by this runner, and starts it
    /// (when a turn is free); the scan's id. `source` says what asked for it.
    pub async fn start_cluster_scan(&self, cluster_id: i64, source: &str) -> Result<i64, sqlx::Error> {
        let scan_id = self.inner.store.create_owned_scan(cluster_id, source, &self.inner.id).await?;
        self.run_cluster_scan(cluster_id, scan_id);
        Ok(scan_id)
    }

    /// Queues the scan of an uploaded snapshot and starts it; the scan's id.
    /// `held` (the upload memory the text counts against) is kept until the scan ends.
    pub async fn start_snapshot_scan(
        &self,
        cluster_id: i64,
        text: String,
        held: impl Send + 'static,
    ) -> Result<i64, sqlx::Error> {
        let scan_id = self.inner.store.create_owned_scan(cluster_id, "snapshot", &self.inner.id).await?;
        let (store, runner, skip) = (self.inner.store.clone(), self.inner.id.clone(), self.inner.skip_unchanged);
        self.spawn(scan_id, cluster_id, async move {
            let _held = held;
            run_snapshot_scan(&store, &runner, cluster_id, scan_id, text, skip).await
        });
        Ok(scan_id)
    }

    /// Runs a scan of an agent cluster that this runner claimed for a delivery: its
    /// objects come from `deliveries` (the agent's, read off the request). The receiver
    /// answers once the scan is recorded or ended; it is dropped unanswered when the scan
    /// was stopped (the server shutting down hands the scan back for a retry).
    pub fn run_agent_scan(
        &self,
        cluster_id: i64,
        scan_id: i64,
        deliveries: mpsc::Receiver<ingest::Delivery>,
    ) -> tokio::sync::oneshot::Receiver<()> {
        let (done, finished) = tokio::sync::oneshot::channel();
        let (store, runner, skip) = (self.inner.store.clone(), self.inner.id.clone(), self.inner.skip_unchanged);
        self.spawn(scan_id, cluster_id, async move {
            let started = Instant::now();
            let options = scan_options(&store, cluster_id, scan_id).await?;
            let ingested = ingest::ingest(&store, scan_id, cluster_id, &runner, options, deliveries, skip).await?;
            let concluded = conclude(&store, &runner, cluster_id, scan_id, ingested, started).await;
            let _ = done.send(());
            concluded
        });
        finished
    }

    /// Runs a queued scan this runner owns (one the scheduler claimed for it).
    pub fn run_cluster_scan(&self, cluster_id: i64, scan_id: i64) {
        let (store, secrets, runner) = (self.inner.store.clone(), self.inner.secrets.clone(), self.inner.id.clone());
        let scan_options = self.inner.scan_options.clone();
        let skip = self.inner.skip_unchanged;
        self.spawn(scan_id, cluster_id, async move {
            run_cluster_scan(&store, &secrets, &runner, (cluster_id, scan_id), scan_options, skip).await
        });
    }

    fn spawn(
        &self,
        scan_id: i64,
        cluster_id: i64,
        scan: impl Future<Output = Result<(), sqlx::Error>> + Send + 'static,
    ) {
        let inner = self.inner.clone();
        // Held while the task is spawned and listed, so that a task ending at once is
        // forgotten only after it was listed.
        let mut tasks = self.inner.tasks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let task = tokio::spawn(async move {
            let _untrack = Untrack(inner.clone(), scan_id);
            // Closed at shutdown: the scan stays queued and is handed back.
            let Ok(_turn) = inner.turns.acquire().await else { return };
            match inner.store.begin_owned_scan(scan_id, &inner.id).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(scan = scan_id, cluster = cluster_id, "the scan was interrupted before it started");
                    return;
                }
                Err(error) => {
                    tracing::error!(scan = scan_id, cluster = cluster_id, error = %error, "the scan could not start");
                    return;
                }
            }
            if let Err(error) = scan.await {
                tracing::error!(scan = scan_id, cluster = cluster_id, error = %error, "scan could not be recorded");
                let _ = inner
                    .store
                    .fail_scan(scan_id, &inner.id, "the scan could not be recorded; see the server's log")
                    .await;
            }
        });
        tasks.insert(scan_id, task);
    }

    /// Stops every scan this runner owns and hands them back: each is marked interrupted
    /// with a retry queued for any runner (another replica's now, or this server's when it
    /// starts again). Nothing starts on this runner afterwards.
    pub async fn shut_down(&self) -> Result<Vec<InterruptedScan>, sqlx::Error> {
        self.inner.turns.close();
        let tasks: Vec<JoinHandle<()>> = match self.inner.tasks.lock() {
            Ok(mut tasks) => tasks.drain().map(|(_, task)| task).collect(),
            Err(_) => Vec::new(),
        };
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
        self.inner.store.interrupt_abandoned_scans(Abandoned::OwnedBy(&self.inner.id)).await
    }
}

/// Checks a snapshot and records the outcome (the scan is already running, owned by
/// `runner`): the text is read on a blocking thread and its objects go through
/// [`ingest`] batch by batch (skipping unchanged objects when `skip`).
pub async fn run_snapshot_scan(
    store: &Store,
    runner: &str,
    cluster_id: i64,
    scan_id: i64,
    text: String,
    skip: bool,
) -> Result<(), sqlx::Error> {
    let started = Instant::now();
    let options = scan_options(store, cluster_id, scan_id).await?;
    let limits = options.limits;
    let param_kinds = param_kinds(&options.policies, &limits);
    let (deliveries, received) = mpsc::channel(ingest::QUEUE);
    let reading = tokio::task::spawn_blocking(move || snapshot::deliver(&text, &limits, &param_kinds, &deliveries));
    let ingested = ingest::ingest(store, scan_id, cluster_id, runner, options, received, skip).await;
    let _ = reading.await;
    conclude(store, runner, cluster_id, scan_id, ingested?, started).await
}

/// Lists the cluster's objects (the scanner), checks them and records the outcome as they
/// stream (the scan is already running, owned by `runner`). A cluster that cannot be
/// reached ends the scan `failed` with the scanner's advice; kinds that could not be listed
/// make it `partial`, and their findings stay as they were. `skip`: skip unchanged objects.
pub async fn run_cluster_scan(
    store: &Store,
    secrets: &SecretBox,
    runner: &str,
    (cluster_id, scan_id): (i64, i64),
    connection: ScanOptions,
    skip: bool,
) -> Result<(), sqlx::Error> {
    let started = Instant::now();
    let config = match store.cluster_credentials(cluster_id).await? {
        None => None,
        Some(sealed) => secrets
            .open(&sealed, &credentials_context(cluster_id))
            .ok()
            .and_then(|json| serde_json::from_slice::<Credentials>(&json).ok())
            .map(Credentials::into_config),
    };
    let Some(config) = config else {
        return end_failed(
            store,
            runner,
            scan_id,
            "the cluster's credentials cannot be read (was the secret key changed?); register the cluster again",
        )
        .await;
    };
    let options = scan_options(store, cluster_id, scan_id).await?;
    let listing_options = ScanOptions { param_kinds: param_kinds(&options.policies, &options.limits), ..connection };
    let (deliveries, received) = mpsc::channel(ingest::QUEUE);
    let listing = tokio::spawn(async move { scanner::stream(&config, &listing_options, deliveries).await });
    let ingested = ingest::ingest(store, scan_id, cluster_id, runner, options, received, skip).await;
    listing.abort();
    conclude(store, runner, cluster_id, scan_id, ingested?, started).await
}

/// Logs how an ingestion ended, and ends a failed scan `failed`.
async fn conclude(
    store: &Store,
    runner: &str,
    cluster_id: i64,
    scan_id: i64,
    ingested: Ingested,
    started: Instant,
) -> Result<(), sqlx::Error> {
    match ingested {
        Ingested::Recorded { objects, findings, errors, written, timings } => {
            let ms = |duration: std::time::Duration| duration.as_millis() as u64;
            tracing::info!(
                scan = scan_id,
                cluster = cluster_id,
                objects,
                findings,
                errors,
                findings_written = written,
                elapsed_ms = started.elapsed().as_millis() as u64,
                checking_ms = ms(timings.checking),
                checker_waiting_ms = ms(timings.checker_waiting),
                recorder_waiting_ms = ms(timings.recorder_waiting),
                prepare_ms = ms(timings.recording.prepare),
                read_ms = ms(timings.recording.read),
                compare_ms = ms(timings.recording.compare),
                write_ms = ms(timings.recording.write),
                commit_ms = ms(timings.recording.commit),
                finish_ms = ms(timings.recording.finish),
                objects_skipped = timings.objects_skipped,
                states_written = timings.states_written,
                "scan recorded"
            );
            Ok(())
        }
        Ingested::Failed(message) => {
            tracing::warn!(scan = scan_id, cluster = cluster_id, message = %message, "scan failed");
            end_failed(store, runner, scan_id, &message).await
        }
        Ingested::NotOurs => {
            dropped(scan_id, cluster_id);
            Ok(())
        }
    }
}

/// Ends the scan `failed`, or drops the failure when the scan is no longer this runner's.
async fn end_failed(store: &Store, runner: &str, scan_id: i64, message: &str) -> Result<(), sqlx::Error> {
    if !store.fail_scan(scan_id, runner, message).await? {
        tracing::warn!(
            scan = scan_id,
            message = %message,
            "the scan was marked interrupted while this server ran it (it stopped answering for longer than \
             the lease): its failure is not recorded"
        );
    }
    Ok(())
}

/// Logs a result dropped because the scan was no longer this runner's to record.
fn dropped(scan_id: i64, cluster_id: i64) {
    tracing::warn!(
        scan = scan_id,
        cluster = cluster_id,
        "the scan was marked interrupted while this server ran it (it stopped answering for longer than the \
         lease, and the scan was handed on): its result is dropped"
    );
}
