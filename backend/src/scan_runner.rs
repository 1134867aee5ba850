//! Runs scans outside the request that started them: the engine on a blocking thread (it
//! is CPU-bound and would stall the async workers), then the store records the outcome.
//! A scan that cannot finish ends `failed` with a message; one cut short by the process
//! stopping stays `running` and is marked `interrupted` at the next start.

use std::time::Instant;

use rampart_core::rules::Mode;
use rampart_core::{Options, Source};

use crate::store::scans::Outcome;
use crate::store::Store;

/// Engine options for what a cluster holds: cluster mode, and no fixes (nobody applies
/// them to a live cluster's export).
pub fn cluster_options() -> Options {
    Options { mode: Mode::Cluster, fixes: false, ..Options::default() }
}

/// Starts the scan of an uploaded snapshot in the background.
pub fn spawn_snapshot_scan(store: Store, cluster_id: i64, scan_id: i64, text: String) {
    tokio::spawn(async move {
        if let Err(error) = run_snapshot_scan(&store, cluster_id, scan_id, text).await {
            tracing::error!(scan = scan_id, cluster = cluster_id, error = %error, "scan could not be recorded");
            let _ = store.fail_scan(scan_id, "the scan could not be recorded; see the server's log").await;
        }
    });
}

/// Checks a snapshot and records the outcome.
pub async fn run_snapshot_scan(store: &Store, cluster_id: i64, scan_id: i64, text: String) -> Result<(), sqlx::Error> {
    let started = Instant::now();
    store.start_scan(scan_id).await?;
    let checked = tokio::task::spawn_blocking(move || {
        let sources = [Source::new("snapshot", text)];
        let report = rampart_core::check(&sources, &cluster_options());
        Outcome::from_report(cluster_id, &report, Vec::new())
    })
    .await;
    let outcome = match checked {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::error!(scan = scan_id, error = %error, "the engine stopped during a scan");
            return store.fail_scan(scan_id, "the check stopped unexpectedly; see the server's log").await;
        }
    };
    store.record_scan(scan_id, cluster_id, &outcome).await?;
    tracing::info!(
        scan = scan_id,
        cluster = cluster_id,
        objects = outcome.objects,
        findings = outcome.findings.len(),
        errors = outcome.errors.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scan recorded"
    );
    Ok(())
}
