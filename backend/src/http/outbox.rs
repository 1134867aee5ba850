//! `/outbox`: every email the server queued, for global admins: what is queued, sent or
//! failed, with attempts and the last error; one email with its rendered HTML and text
//! (the web app's preview, and the way to read emails when no SMTP server is set); and
//! `retry`, which queues a failed email again.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{timestamp, ApiError, AppState, CurrentUser, Path, Query};
use crate::store::mail::Email;

const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/outbox", get(list_outbox))
        .route("/outbox/{id}", get(get_email))
        .route("/outbox/{id}/retry", post(retry_email))
}

fn require_admin(user: &CurrentUser) -> Result<(), ApiError> {
    if user.user.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("the outbox is for global admins".to_string()))
    }
}

fn email_json(email: &Email) -> Value {
    json!({
        "id": email.id,
        "kind": email.kind,
        "subscription": email.subscription_id,
        "webhook": email.webhook_id,
        "recipient": email.recipient,
        "subject": email.subject,
        "status": email.status,
        "attempts": email.attempts,
        "next_attempt_at": (email.status == "queued").then(|| timestamp(email.next_attempt_at)),
        "last_error": email.last_error,
        "created_at": timestamp(email.created_at),
        "sent_at": email.sent_at.map(timestamp),
    })
}

#[derive(Debug, Deserialize)]
struct OutboxQuery {
    status: Option<String>,
    limit: Option<i64>,
}

async fn list_outbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<OutboxQuery>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&user)?;
    if let Some(status) = &query.status {
        if !["queued", "sent", "failed"].contains(&status.as_str()) {
            return Err(ApiError::bad_request(format!("status must be one of queued, sent, failed; got '{status}'")));
        }
    }
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_PAGE}")));
    }
    let emails = state.store.list_emails(query.status.as_deref(), limit).await?;
    Ok(Json(Value::Array(emails.iter().map(email_json).collect())))
}

async fn get_email(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&user)?;
    let email = state.store.email(id).await?.ok_or(ApiError::NotFound)?;
    let mut body = email_json(&email);
    body["html"] = Value::String(email.html);
    body["text"] = Value::String(email.text);
    Ok(Json(body))
}

async fn retry_email(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_admin(&user)?;
    let email = state.store.email(id).await?.ok_or(ApiError::NotFound)?;
    if !state.store.retry_email(id).await? {
        return Err(ApiError::Conflict(format!(
            "email {id} is {}: only failed emails are queued again, so none is sent twice",
            email.status
        )));
    }
    tracing::info!(user = user.user.id, email = id, "failed email queued again");
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": id, "status": "queued" }))))
}
