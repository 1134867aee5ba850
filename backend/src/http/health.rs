//! `/healthz` (the process answers) and `/readyz` (and its database does), for load
//! balancers and Kubernetes probes. Neither needs authentication.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use rampart_api::Health;

use super::{Answer, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(get_health)).route("/readyz", get(get_readiness))
}

async fn get_health() -> impl IntoResponse {
    Answer(Health { status: "ok".to_string(), database: None, error: None })
}

async fn get_readiness(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Answer(Health { status: "ok".to_string(), database: Some(state.store.backend().to_string()), error: None }),
        ),
        Err(error) => {
            tracing::warn!(error = %error, "readiness: the database does not answer");
            let health = Health {
                status: "unavailable".to_string(),
                database: None,
                error: Some("database unreachable".to_string()),
            };
            (StatusCode::SERVICE_UNAVAILABLE, Answer(health))
        }
    }
}
