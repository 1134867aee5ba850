//! `/tokens`: a user's own API tokens. A new token is answered once and kept only as its
//! hash; listing shows names and times, never tokens. Revoking is immediate.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{timestamp, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::store::is_unique_violation;

pub fn router() -> Router<AppState> {
    Router::new().route("/tokens", get(list_tokens).post(create_token)).route("/tokens/{id}", delete(revoke_token))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    name: String,
}

async fn list_tokens(State(state): State<AppState>, user: CurrentUser) -> Result<Json<Value>, ApiError> {
    let tokens = state.store.list_tokens(user.user.id).await?;
    Ok(Json(Value::Array(
        tokens
            .iter()
            .map(|token| {
                json!({
                    "id": token.id,
                    "name": token.name,
                    "created_at": timestamp(token.created_at),
                    "last_used_at": token.last_used_at.map(timestamp),
                    "revoked_at": token.revoked_at.map(timestamp),
                })
            })
            .collect(),
    )))
}

async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad_request("a token name is 1 to 100 characters"));
    }
    let (id, token) = state.store.create_token(user.user.id, name).await.map_err(|error| {
        if is_unique_violation(&error) {
            ApiError::Conflict(format!("you already have a token named '{name}'"))
        } else {
            ApiError::from(error)
        }
    })?;
    tracing::info!(user = user.user.id, token = id, "API token created");
    Ok((StatusCode::CREATED, Json(json!({ "id": id, "name": name, "token": token }))))
}

async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if state.store.revoke_token(user.user.id, id).await? {
        tracing::info!(user = user.user.id, token = id, "API token revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
