//! `/tokens`: a user's own API tokens. A new token is answered once and kept only as its
//! hash; listing shows names and times, never tokens. Revoking is immediate.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::Router;
use rampart_api::{CreatedToken, NewToken, Token};

use super::{timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::store::is_unique_violation;

pub fn router() -> Router<AppState> {
    Router::new().route("/tokens", get(list_tokens).post(create_token)).route("/tokens/{id}", delete(revoke_token))
}

async fn list_tokens(State(state): State<AppState>, user: CurrentUser) -> Result<Answer<Vec<Token>>, ApiError> {
    let tokens = state.store.list_tokens(user.user.id).await?;
    Ok(Answer(
        tokens
            .into_iter()
            .map(|token| Token {
                id: token.id,
                name: token.name,
                created_at: timestamp(token.created_at),
                last_used_at: token.last_used_at.map(timestamp),
                revoked_at: token.revoked_at.map(timestamp),
            })
            .collect(),
    ))
}

async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Answer<CreatedToken>), ApiError> {
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
    Ok((StatusCode::CREATED, Answer(CreatedToken { id, name: name.to_string(), token })))
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
