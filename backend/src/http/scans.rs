//! `/scans/{id}` and `/clusters/{id}/scans`: what a scan found, its status and timings.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::clusters::visible_cluster;
use super::{counts_json, timestamp, ApiError, AppState, CurrentUser, Path};
use crate::store::scans::Scan;

pub fn router() -> Router<AppState> {
    Router::new().route("/scans/{id}", get(get_scan)).route("/clusters/{id}/scans", get(list_scans))
}

pub fn scan_json(scan: &Scan) -> Value {
    json!({
        "id": scan.id,
        "cluster": scan.cluster_id,
        "status": scan.status,
        "source": scan.source,
        "queued_at": timestamp(scan.queued_at),
        "started_at": scan.started_at.map(timestamp),
        "finished_at": scan.finished_at.map(timestamp),
        "objects": scan.objects,
        "score": scan.score,
        "grade": scan.grade,
        "counts": counts_json(&scan.counts),
        "new": scan.new_findings,
        "resolved": scan.resolved_findings,
        "errors": scan.errors,
        "namespaces": scan.namespaces,
        "message": scan.message,
    })
}

async fn get_scan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let scan = state.store.scan_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(scan_json(&scan)))
}

async fn list_scans(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    let scans = state.store.list_scans(cluster.id, 100).await?;
    Ok(Json(Value::Array(scans.iter().map(scan_json).collect())))
}
