//! `/scans/{id}` and `/clusters/{id}/scans`: what a scan found, its status and timings.

use axum::extract::State;
use axum::routing::get;
use axum::Router;

use super::clusters::visible_cluster;
use super::{counts, timestamp, Answer, ApiError, AppState, CurrentUser, Path};
use crate::store::scans::Scan;

pub fn router() -> Router<AppState> {
    Router::new().route("/scans/{id}", get(get_scan)).route("/clusters/{id}/scans", get(list_scans))
}

pub fn scan_answer(scan: &Scan) -> rampart_api::Scan {
    rampart_api::Scan {
        id: scan.id,
        cluster: scan.cluster_id,
        status: scan.status.clone(),
        source: scan.source.clone(),
        queued_at: timestamp(scan.queued_at),
        started_at: scan.started_at.map(timestamp),
        finished_at: scan.finished_at.map(timestamp),
        objects: scan.objects,
        score: scan.score,
        grade: scan.grade.clone(),
        counts: counts(&scan.counts),
        new: scan.new_findings,
        resolved: scan.resolved_findings,
        errors: scan.errors.clone(),
        namespaces: scan.namespaces.clone(),
        message: scan.message.clone(),
    }
}

async fn get_scan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<rampart_api::Scan>, ApiError> {
    let scan = state.store.scan_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(Answer(scan_answer(&scan)))
}

async fn list_scans(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<Vec<rampart_api::Scan>>, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    let scans = state.store.list_scans(cluster.id, 100).await?;
    Ok(Answer(scans.iter().map(scan_answer).collect()))
}
