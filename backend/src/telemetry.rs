//! Structured logs through `tracing`: human-readable lines by default, JSON lines with
//! `RAMPART_LOG_FORMAT=json` (for log collectors); levels from `RUST_LOG` (default
//! `info`, with sqlx's per-statement logs kept to warnings).

use tracing_subscriber::EnvFilter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"))
}

pub fn init() {
    let json = std::env::var("RAMPART_LOG_FORMAT").is_ok_and(|format| format == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Logs into the test harness's captured output: shown for a failing test only.
pub fn init_for_tests() {
    let _ = tracing_subscriber::fmt().with_env_filter(filter()).with_test_writer().try_init();
}
