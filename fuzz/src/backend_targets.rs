//! Targets of the server (`rampart`): kubeconfigs, cron schedules, the settings file and
//! snapshot uploads.

use std::sync::OnceLock;

use rampart::cron::{self, Schedule};
use rampart::scanner::connect::{self, ClusterConfig};
use rampart::scanner::ScanOptions;
use rampart_core::parse::Limits;

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// One runtime for every input: `connect::config` is async (kube's loader is), though it
/// does no I/O for a self-contained kubeconfig.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("a runtime"))
}

/// A kubeconfig as a user registers it: read, refused when it would run or read anything
/// on the server, and turned into the client configuration of its current context and of
/// a named one. Nothing connects.
pub fn kubeconfig(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let options = ScanOptions::default();
    for context in [None, Some("fake".to_string())] {
        let cluster = ClusterConfig::Kubeconfig { text: text.to_string(), context };
        let _ = runtime().block_on(connect::config(&cluster, &options));
    }
}

/// A cluster's schedule: parsed, and when accepted its next runs computed (each strictly
/// after the time it is asked from, on a whole minute for cron expressions).
pub fn cron(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(duration) = cron::parse_duration(text) {
        let _ = cron::format_duration(duration);
    }
    let Ok(schedule) = Schedule::parse(text) else { return };
    let mut accepted_runs = false;
    for after in [0, 1_780_000_000_000, 1_780_000_059_999, -1, i64::MIN, i64::MAX, 253_402_300_799_000] {
        if let Some(next) = schedule.next_after(after) {
            assert!(next > after, "'{text}': the next run {next} is not after {after}");
            if let Schedule::Cron(_) = schedule {
                assert_eq!(next % 60_000, 0, "'{text}': the next run {next} is not on a whole minute");
            }
            accepted_runs |= after == 1_780_000_000_000;
        }
    }
    assert!(accepted_runs, "'{text}' was accepted but never runs");
}

/// The server's settings file, checked against a few of `rampart serve`'s option names.
pub fn settings(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let known: Vec<String> =
        ["listen", "database-url", "max-concurrent-logins", "outbound-allow", "outbound-lab", "trusted-proxies"]
            .into_iter()
            .map(str::to_string)
            .collect();
    if let Ok(settings) = rampart::settings::read("fuzz.yaml", text, &known) {
        for (key, _, line) in settings {
            assert!(known.contains(&key));
            assert!(line >= 1);
        }
    }
}

/// An uploaded export (a `kubectl get -o yaml|json` List, or documents), read object by
/// object as the server reads uploads.
pub fn snapshot(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let mut objects = 0usize;
    let errors = rampart::snapshot::for_each_object(text, &Limits::default(), |_| {
        objects += 1;
        true
    });
    assert!(objects <= text.len() && errors.len() <= text.len() + 1);
    // Stopping early is honoured.
    let mut seen = 0usize;
    rampart::snapshot::for_each_object(text, &Limits::default(), |_| {
        seen += 1;
        false
    });
    assert!(seen <= 1, "the reader went on after being told to stop");
}
