//! `/outbox`: every email the server queued, for global admins: what is queued, sent or
//! failed, with attempts and the last error; one email with its rendered HTML and text
//! (the web app's preview, and the way to read emails when no SMTP server is set); and
//! `retry`, which queues a failed email again.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use rampart_api::outbox::{self as api, Queued};
use serde::Deserialize;

use super::{timestamp, Answer, ApiError, AppState, CurrentUser, Path, Query};
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

fn email_answer(email: &Email) -> api::Email {
    api::Email {
        id: email.id,
        kind: email.kind.clone(),
        subscription: email.subscription_id,
        webhook: email.webhook_id,
        recipient: email.recipient.clone(),
        subject: email.subject.clone(),
        status: email.status.clone(),
        attempts: email.attempts,
        next_attempt_at: (email.status == "queued").then(|| timestamp(email.next_attempt_at)),
        last_error: email.last_error.clone(),
        created_at: timestamp(email.created_at),
        sent_at: email.sent_at.map(timestamp),
    }
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
) -> Result<Answer<Vec<api::Email>>, ApiError> {
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
    Ok(Answer(emails.iter().map(email_answer).collect()))
}

async fn get_email(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<api::EmailWithBody>, ApiError> {
    require_admin(&user)?;
    let email = state.store.email(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Answer(api::EmailWithBody { email: email_answer(&email), html: email.html, text: email.text }))
}

async fn retry_email(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Answer<Queued>), ApiError> {
    require_admin(&user)?;
    let email = state.store.email(id).await?.ok_or(ApiError::NotFound)?;
    if !state.store.retry_email(id).await? {
        return Err(ApiError::Conflict(format!(
            "email {id} is {}: only failed emails are queued again, so none is sent twice",
            email.status
        )));
    }
    tracing::info!(user = user.user.id, email = id, "failed email queued again");
    Ok((StatusCode::ACCEPTED, Answer(Queued { id, status: "queued".to_string() })))
}
