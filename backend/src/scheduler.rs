//! The scheduler inside `rampart serve`. Every `interval` it takes a round: it beats the
//! heartbeat of the scans this process runs, interrupts the scans of runners that went
//! silent for longer than the lease (their process died) and queues their retries, then
//! claims queued retries and due clusters, as many as its runner has turns for, and runs
//! them. Several replicas sharing one PostgreSQL database each take rounds; the claims
//! ([`crate::store::schedule`]) hand every due scan to exactly one of them.
//!
//! Stopping it (at shutdown) stops this process's scans and hands them back, interrupted,
//! with retries queued for whichever runner claims them next.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::cron::format_duration;
use crate::scan_runner::ScanRunner;
use crate::store::schedule::Abandoned;
use crate::store::{now_millis, Store};

/// How the scheduler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// Time between rounds (`RAMPART_SCHEDULER_INTERVAL`): how late a due scan may start,
    /// and how often heartbeats are written.
    pub interval: Duration,
    /// How long a scan's heartbeat may be silent before its runner counts as stopped
    /// (`RAMPART_SCAN_LEASE`). At least three intervals; longer than replicas' clocks may
    /// differ.
    pub lease: Duration,
    /// Scans one process runs at once (`RAMPART_MAX_CONCURRENT_SCANS`); more wait, queued.
    pub max_concurrent_scans: usize,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings { interval: Duration::from_secs(5), lease: Duration::from_secs(60), max_concurrent_scans: 4 }
    }
}

impl SchedulerSettings {
    /// Refuses settings under which a live server's scans could be taken for abandoned.
    pub fn check(&self) -> Result<(), String> {
        if self.interval.is_zero() {
            return Err("the scheduler interval (RAMPART_SCHEDULER_INTERVAL) must be longer than 0".to_string());
        }
        if self.lease < self.interval * 3 {
            return Err(format!(
                "the scan lease (RAMPART_SCAN_LEASE, {}) must be at least 3 scheduler intervals \
                 (RAMPART_SCHEDULER_INTERVAL, {}), or a live server's scans would be retried elsewhere",
                format_duration(self.lease),
                format_duration(self.interval)
            ));
        }
        Ok(())
    }
}

/// The scheduler of one process.
pub struct Scheduler {
    store: Store,
    runner: ScanRunner,
    settings: SchedulerSettings,
    rounds: watch::Sender<u64>,
}

impl Scheduler {
    pub fn new(store: Store, runner: ScanRunner, settings: SchedulerSettings) -> Scheduler {
        Scheduler { store, runner, settings, rounds: watch::Sender::new(0) }
    }

    /// The number of rounds taken so far, which changes after each round (tests wait on it).
    pub fn rounds(&self) -> watch::Receiver<u64> {
        self.rounds.subscribe()
    }

    /// One round: heartbeat, interrupt the silent runners' scans, claim and run.
    pub async fn round(&self) -> Result<(), sqlx::Error> {
        let runner = self.runner.id();
        // Beaten before looking for silent scans, so this runner's own are never among them.
        self.store.heartbeat(runner, &self.runner.scan_ids()).await?;
        let lease = i64::try_from(self.settings.lease.as_millis()).unwrap_or(i64::MAX);
        let before = now_millis().saturating_sub(lease);
        for scan in self.store.interrupt_abandoned_scans(Abandoned::SilentBefore(before)).await? {
            tracing::warn!(
                scan = scan.scan_id,
                cluster = scan.cluster_id,
                retry = scan.retry,
                "the server running the scan stopped answering: scan marked interrupted"
            );
        }
        let mut turns = self.runner.free_turns();
        if turns == 0 {
            return Ok(());
        }
        for claimed in self.store.claim_queued_scans(runner, turns as i64).await? {
            tracing::info!(scan = claimed.scan_id, cluster = claimed.cluster_id, "retrying an interrupted scan");
            self.runner.run_cluster_scan(claimed.cluster_id, claimed.scan_id);
            turns -= 1;
        }
        if turns == 0 {
            return Ok(());
        }
        for claimed in self.store.claim_due_clusters(runner, now_millis(), turns as i64).await? {
            tracing::info!(scan = claimed.scan_id, cluster = claimed.cluster_id, "scheduled scan started");
            self.runner.run_cluster_scan(claimed.cluster_id, claimed.scan_id);
        }
        Ok(())
    }

    /// Takes a round every interval until `stop` changes (or its sender is dropped), then
    /// stops this process's scans and hands them back.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(self.settings.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stop.changed() => break,
            }
            if let Err(error) = self.round().await {
                tracing::warn!(
                    error = %error,
                    "scheduler round failed (is the database reachable?); trying again in {}",
                    format_duration(self.settings.interval)
                );
            }
            self.rounds.send_modify(|rounds| *rounds += 1);
        }
        match self.runner.shut_down().await {
            Ok(handed_back) if handed_back.is_empty() => {}
            Ok(handed_back) => {
                tracing::info!(scans = handed_back.len(), "scans in progress stopped and queued again for a retry")
            }
            Err(error) => tracing::warn!(
                error = %error,
                "scans in progress could not be handed back; they are retried once their heartbeat is stale"
            ),
        }
    }
}
