//! Runs scans outside the request that started them: the engine on a blocking thread (it
//! is CPU-bound and would stall the async workers), then the store records the outcome.
//! A scan that cannot finish ends `failed` with a message; one cut short by the process
//! stopping stays `running` and is marked `interrupted` at the next start.

use std::time::Instant;

use rampart_core::rules::Mode;
use rampart_core::{Options, Source};

use serde::{Deserialize, Serialize};

use crate::scanner::{self, ClusterConfig, ScanOptions, ScanStatus};
use crate::secrets::SecretBox;
use crate::store::scans::{Outcome, ScanError};
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

    fn into_config(self) -> ClusterConfig {
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

/// [`cluster_options`] with what exempts findings of this cluster now: its team's setting
/// on annotation exemptions and the central exemptions in force.
pub async fn scan_options(store: &Store, cluster_id: i64) -> Result<Options, sqlx::Error> {
    let policy = store.exemption_policy(cluster_id, now_millis()).await?;
    Ok(Options { annotation_exemptions: policy.honor_annotations, exemptions: policy.exemptions, ..cluster_options() })
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
    let options = scan_options(store, cluster_id).await?;
    let checked = tokio::task::spawn_blocking(move || {
        let sources = [Source::new("snapshot", text)];
        let report = rampart_core::check(&sources, &options);
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

/// Starts the scan of a cluster through its API in the background.
pub fn spawn_cluster_scan(store: Store, secrets: SecretBox, cluster_id: i64, scan_id: i64) {
    tokio::spawn(async move {
        if let Err(error) = run_cluster_scan(&store, &secrets, cluster_id, scan_id).await {
            tracing::error!(scan = scan_id, cluster = cluster_id, error = %error, "scan could not be recorded");
            let _ = store.fail_scan(scan_id, "the scan could not be recorded; see the server's log").await;
        }
    });
}

/// Lists the cluster's objects (the scanner), checks them and records the outcome. A
/// cluster that cannot be reached ends the scan `failed` with the scanner's advice; kinds
/// that could not be listed make it `partial`, and their findings stay as they were.
pub async fn run_cluster_scan(
    store: &Store,
    secrets: &SecretBox,
    cluster_id: i64,
    scan_id: i64,
) -> Result<(), sqlx::Error> {
    let started = Instant::now();
    store.start_scan(scan_id).await?;
    let config = match store.cluster_credentials(cluster_id).await? {
        None => None,
        Some(sealed) => secrets
            .open(&sealed, &credentials_context(cluster_id))
            .ok()
            .and_then(|json| serde_json::from_slice::<Credentials>(&json).ok())
            .map(Credentials::into_config),
    };
    let Some(config) = config else {
        return store
            .fail_scan(
                scan_id,
                "the cluster's credentials cannot be read (was the secret key changed?); register the cluster again",
            )
            .await;
    };
    let mut scanned = scanner::scan(&config, &ScanOptions::default()).await;
    if scanned.status == ScanStatus::Failed {
        let message = scanned.message.clone().unwrap_or_else(|| "the cluster could not be scanned".to_string());
        tracing::warn!(scan = scan_id, cluster = cluster_id, message = %message, "scan failed");
        return store.fail_scan(scan_id, &message).await;
    }
    let errors: Vec<ScanError> = scanned
        .errors
        .iter()
        .map(|error| ScanError { kind: Some(error.kind.clone()), message: error.message.clone() })
        .collect();
    let unjudged_rules: Vec<String> = scanned.unjudged_rules().into_iter().map(str::to_string).collect();
    let options = scan_options(store, cluster_id).await?;
    let checked = tokio::task::spawn_blocking(move || {
        let report = scanned.check(&options);
        Outcome { unjudged_rules, ..Outcome::from_report(cluster_id, &report, errors) }
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
