//! `/healthz` (the process answers) and `/readyz` (and its database does), for load
//! balancers and Kubernetes probes. Neither needs authentication.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(get_health)).route("/readyz", get(get_readiness))
}

async fn get_health() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

async fn get_readiness(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": state.store.backend() }))),
        Err(error) => {
            tracing::warn!(error = %error, "readiness: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "error": "database unreachable" })))
        }
    }
}
