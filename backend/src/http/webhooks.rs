//! `/teams/{id}/webhooks`: where a team's notifications go beside email — a generic JSON
//! receiver (signed with HMAC-SHA256), a Slack or a Microsoft Teams incoming webhook — for
//! which events and namespaces. The team's members see them; its admins add, test and
//! delete them. The URL (a Slack or Teams URL is itself a secret) and the signing secret
//! are stored sealed and never shown back: the API shows the URL's scheme and host. A
//! generic webhook created without a secret gets one, shown once in the answer to the
//! creation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use rampart_api::webhooks::{self as api, NewWebhook as WebhookBody, WebhookTest};

use super::subscriptions::{parse_timing_and_route, WEEKDAYS};
use super::teams::{membership, require_team_admin};
use super::{timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::mail::webhook::{self, check_url};
use crate::mail::{open_webhook, webhook_secret_context, webhook_url_context};
use crate::secrets::random_hex;
use crate::store::mail::Frequency;
use crate::store::webhooks::{Events, NewWebhook, Webhook, WebhookFormat};

/// The most webhooks a team has: each is posted to for every event, so the cap bounds the
/// outbox work one scan makes.
pub const MAX_WEBHOOKS: i64 = 20;
/// The longest URL accepted.
const MAX_URL: usize = 2048;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams/{id}/webhooks", get(list_webhooks).post(create_webhook))
        .route("/teams/{id}/webhooks/{webhook}", delete(delete_webhook))
        .route("/teams/{id}/webhooks/{webhook}/test", post(test_webhook))
}

fn webhook_answer(webhook: &Webhook) -> api::Webhook {
    let (namespaces, namespace_selector) = webhook.route.to_api();
    api::Webhook {
        id: webhook.id,
        team: webhook.team_id,
        name: webhook.name.clone(),
        format: webhook.format.as_str().to_string(),
        url: webhook.url_host.clone(),
        signed: webhook.secret.is_some(),
        events: webhook.events.names().into_iter().map(str::to_string).collect(),
        frequency: webhook.frequency.as_str().to_string(),
        hour: webhook.hour,
        weekday: WEEKDAYS.get(webhook.weekday as usize).copied().unwrap_or("monday").to_string(),
        namespaces,
        namespace_selector,
        created_at: timestamp(webhook.created_at),
        secret: None,
    }
}

/// The team's webhook, else 404.
async fn team_webhook(state: &AppState, team_id: i64, id: i64) -> Result<Webhook, ApiError> {
    match state.store.webhook(id).await? {
        Some(webhook) if webhook.team_id == team_id => Ok(webhook),
        _ => Err(ApiError::NotFound),
    }
}

async fn list_webhooks(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<i64>,
) -> Result<Answer<Vec<api::Webhook>>, ApiError> {
    membership(&state, &user, team_id).await?;
    let webhooks = state.store.list_webhooks(team_id).await?;
    Ok(Answer(webhooks.iter().map(webhook_answer).collect()))
}

async fn create_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(team_id): Path<i64>,
    JsonBody(body): JsonBody<WebhookBody>,
) -> Result<(StatusCode, Answer<api::Webhook>), ApiError> {
    require_team_admin(&membership(&state, &user, team_id).await?)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_request("a webhook's name is 1 to 100 characters"));
    }
    let format = WebhookFormat::parse(body.format.trim()).ok_or_else(|| {
        ApiError::bad_request(format!("format must be generic, slack or teams; got '{}'", body.format))
    })?;
    if body.url.len() > MAX_URL {
        return Err(ApiError::bad_request(format!("the URL is at most {MAX_URL} characters")));
    }
    let url = body.url.trim().to_string();
    let url_host =
        check_url(&url, state.webhooks.policy()).map_err(|error| ApiError::bad_request(format!("url: {error}")))?;
    if let Ok(parsed) = reqwest::Url::parse(&url) {
        // A name is resolved now to refuse early what the policy forbids; it is checked
        // again at each delivery (the name may point elsewhere by then).
        if let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) {
            if let Err(error) = state.webhooks.policy().resolve(host, port).await {
                if crate::outbound::is_refused(&error) {
                    return Err(ApiError::bad_request(format!("url: {host}: {}", crate::outbound::Refused)));
                }
            }
        }
    }
    let secret = match (format, body.secret) {
        (WebhookFormat::Generic, Some(secret)) => {
            let length = secret.chars().count();
            if !(16..=256).contains(&length) {
                return Err(ApiError::bad_request(
                    "the secret is 16 to 256 characters; leave it out and one is made for you",
                ));
            }
            Some((secret, false))
        }
        (WebhookFormat::Generic, None) => Some((random_hex(32), true)),
        (_, Some(_)) => {
            return Err(ApiError::bad_request(
                "only generic webhooks are signed: a Slack or Teams URL is its own secret; leave \"secret\" out",
            ))
        }
        (_, None) => None,
    };
    let events = Events::parse(body.events.iter().map(String::as_str)).map_err(|unknown| {
        ApiError::bad_request(format!("unknown event '{unknown}': events are digest, critical and scan_failed"))
    })?;
    if events.is_empty() {
        return Err(ApiError::bad_request("give at least one event: digest, critical, scan_failed"));
    }
    let frequency = match body.frequency.as_deref().map(str::trim) {
        None | Some("daily") => Frequency::Daily,
        Some("weekly") => Frequency::Weekly,
        Some(other) => {
            return Err(ApiError::bad_request(format!("frequency (of the digest) is daily or weekly; got '{other}'")))
        }
    };
    let (hour, weekday, route) = parse_timing_and_route(
        body.hour,
        body.weekday.as_ref(),
        body.namespaces.as_deref(),
        body.namespace_selector.as_deref(),
    )?;
    let new = NewWebhook {
        team_id,
        name: name.to_string(),
        format,
        url_host,
        events,
        frequency,
        hour,
        weekday,
        route,
        created_by: user.user.id,
    };
    let secrets = &state.secrets;
    let id = state
        .store
        .create_webhook(&new, MAX_WEBHOOKS, |id| {
            let url = secrets.seal(url.as_bytes(), &webhook_url_context(id));
            let secret =
                secret.as_ref().map(|(secret, _)| secrets.seal(secret.as_bytes(), &webhook_secret_context(id)));
            (url, secret)
        })
        .await
        .map_err(|error| match ApiError::from(error) {
            ApiError::Conflict(_) => ApiError::Conflict(format!("team {team_id} already has a webhook named '{name}'")),
            other => other,
        })?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "a team has at most {MAX_WEBHOOKS} webhooks: delete one it no longer needs first, or send several \
                 events to one"
            ))
        })?;
    tracing::info!(team = team_id, webhook = id, format = format.as_str(), by = user.user.id, "webhook created");
    let webhook = team_webhook(&state, team_id, id).await?;
    let mut answer = webhook_answer(&webhook);
    if let Some((secret, true)) = secret {
        // Shown this once: the receiver needs it to check signatures.
        answer.secret = Some(secret);
    }
    Ok((StatusCode::CREATED, Answer(answer)))
}

async fn delete_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((team_id, id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    require_team_admin(&membership(&state, &user, team_id).await?)?;
    team_webhook(&state, team_id, id).await?;
    state.store.delete_webhook(id).await?;
    tracing::info!(team = team_id, webhook = id, by = user.user.id, "webhook deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /teams/{id}/webhooks/{webhook}/test`: posts a test notice now, signed as any
/// delivery, and says whether the receiver took it (`delivered`, or `error`: what went wrong).
async fn test_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((team_id, id)): Path<(i64, i64)>,
) -> Result<Answer<WebhookTest>, ApiError> {
    require_team_admin(&membership(&state, &user, team_id).await?)?;
    let webhook = team_webhook(&state, team_id, id).await?;
    let (url, secret) = open_webhook(&state.secrets, &webhook).map_err(ApiError::Conflict)?;
    let notice = webhook::test_notice(&webhook.name, &state.mail.settings_url());
    let delivery = format!("test:{}:{}", webhook.id, random_hex(8));
    let now = crate::store::now_millis();
    let body = webhook::body(webhook.format, &notice, &delivery, &webhook.team, &webhook.name, now);
    match state.webhooks.post(&url, &body, secret.as_deref(), "test", &delivery).await {
        Ok(()) => {
            tracing::info!(team = team_id, webhook = id, by = user.user.id, "webhook test delivered");
            Ok(Answer(WebhookTest { delivered: true, error: None }))
        }
        Err(error) => {
            tracing::warn!(team = team_id, webhook = id, error = %error.message, "webhook test not delivered");
            Ok(Answer(WebhookTest { delivered: false, error: Some(error.for_people(&url)) }))
        }
    }
}
