//! `/metrics` in Prometheus' text format, from stored data. Cluster and team names are
//! not public, so it takes a global admin's API token (Prometheus:
//! `authorization: { credentials: <token> }`).

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::{ApiError, AppState, CurrentUser};
use crate::store::metrics::{Metrics, DURATION_BUCKETS};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(get_metrics))
}

async fn get_metrics(State(state): State<AppState>, user: CurrentUser) -> Result<impl IntoResponse, ApiError> {
    if !user.user.is_admin {
        return Err(ApiError::Forbidden("metrics are for global admins".to_string()));
    }
    let metrics = state.store.metrics().await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], render(&metrics)))
}

/// A label value with `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

pub fn render(metrics: &Metrics) -> String {
    let mut out = String::new();
    out.push_str("# HELP rampart_scans Scans kept, by status.\n# TYPE rampart_scans gauge\n");
    for status in ["queued", "running", "succeeded", "partial", "failed", "interrupted"] {
        let count = metrics.scans_by_status.iter().find(|(name, _)| name == status).map_or(0, |(_, count)| *count);
        let _ = writeln!(out, "rampart_scans{{status=\"{status}\"}} {count}");
    }
    out.push_str(
        "# HELP rampart_scan_duration_seconds How long finished scans took.\n\
         # TYPE rampart_scan_duration_seconds histogram\n",
    );
    for (bound, count) in DURATION_BUCKETS.iter().zip(&metrics.duration_buckets) {
        let _ = writeln!(out, "rampart_scan_duration_seconds_bucket{{le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "rampart_scan_duration_seconds_bucket{{le=\"+Inf\"}} {}", metrics.duration_count);
    let _ = writeln!(out, "rampart_scan_duration_seconds_sum {}", metrics.duration_sum_millis as f64 / 1000.0);
    let _ = writeln!(out, "rampart_scan_duration_seconds_count {}", metrics.duration_count);
    out.push_str(
        "# HELP rampart_findings_open Open findings, by cluster and severity.\n# TYPE rampart_findings_open gauge\n",
    );
    for (team, cluster, severity, count) in &metrics.open_findings {
        let _ = writeln!(
            out,
            "rampart_findings_open{{team=\"{}\",cluster=\"{}\",severity=\"{severity}\"}} {count}",
            label(team),
            label(cluster)
        );
    }
    out.push_str("# HELP rampart_clusters Registered clusters.\n# TYPE rampart_clusters gauge\n");
    let _ = writeln!(out, "rampart_clusters {}", metrics.clusters);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let metrics = Metrics {
            scans_by_status: vec![("succeeded".into(), 3)],
            duration_buckets: vec![1, 2, 3, 3, 3, 3, 3, 3],
            duration_count: 3,
            duration_sum_millis: 2500,
            open_findings: vec![("red".into(), "pro\"d".into(), "critical".into(), 2)],
            clusters: 1,
        };
        let text = render(&metrics);
        assert!(text.contains("rampart_scans{status=\"succeeded\"} 3\n"), "{text}");
        assert!(text.contains("rampart_scans{status=\"failed\"} 0\n"), "{text}");
        assert!(text.contains("rampart_scan_duration_seconds_bucket{le=\"1\"} 2\n"), "{text}");
        assert!(text.contains("rampart_scan_duration_seconds_bucket{le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("rampart_scan_duration_seconds_sum 2.5\n"), "{text}");
        assert!(text.contains("rampart_findings_open{team=\"red\",cluster=\"pro\\\"d\",severity=\"critical\"} 2\n"));
    }
}
