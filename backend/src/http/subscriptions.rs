//! `/subscriptions`: a user's own email subscriptions (a daily or weekly digest, or alerts
//! on new critical findings, of a team's clusters or of chosen ones), "send it now", and
//! `/unsubscribe`, the signed link every email carries, which works without a login.
//!
//! A subscription covers only what its owner may see: the clusters or team named must be
//! theirs (another team's cluster is refused like one that does not exist), and what is
//! sent is read again at sending time through their memberships.

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rampart_api::exemptions::Named;
use rampart_api::outbox::Queued;
use rampart_api::subscriptions::{self as api, CoveredCluster, NewSubscription as SubscriptionBody};
use serde_json::Value;

use super::{timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::mail::queue_digest_now;
use crate::store::mail::{Frequency, NewSubscription, Subscription};
use crate::store::routing::NamespaceRoute;

/// The hour (UTC) a digest goes out unless the subscription says otherwise.
pub const DEFAULT_HOUR: i64 = 8;

/// The most clusters one subscription lists (a whole team has no limit).
const MAX_CLUSTERS: usize = 500;

pub const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subscriptions", get(list_subscriptions).post(create_subscription))
        .route("/subscriptions/{id}", get(get_subscription).delete(delete_subscription))
        .route("/subscriptions/{id}/send", post(send_subscription))
}

/// `/unsubscribe`, outside `/api/v1`: a page for people, not JSON. GET (what a person's
/// click sends, and what mail scanners prefetch) asks to confirm; POST unsubscribes: the
/// confirmation's button, or RFC 8058's one-click unsubscribe, which mail clients send on
/// their own (the emails carry `List-Unsubscribe-Post`).
pub fn unsubscribe_router() -> Router<AppState> {
    Router::new().route("/unsubscribe", get(confirm_unsubscribe).post(unsubscribe))
}

async fn subscription_answer(state: &AppState, subscription: &Subscription) -> Result<api::Subscription, ApiError> {
    let clusters = state.store.covered_clusters(subscription).await?;
    let (namespaces, namespace_selector) = subscription.route.to_api();
    Ok(api::Subscription {
        id: subscription.id,
        frequency: subscription.frequency.as_str().to_string(),
        hour: subscription.hour,
        weekday: WEEKDAYS.get(subscription.weekday as usize).copied().unwrap_or("monday").to_string(),
        team: subscription.team.as_ref().map(|(id, name)| Named { id: *id, name: name.clone() }),
        clusters: clusters
            .iter()
            .map(|cluster| CoveredCluster { id: cluster.id, name: cluster.name.clone(), team: cluster.team.clone() })
            .collect(),
        namespaces,
        namespace_selector,
        created_at: timestamp(subscription.created_at),
    })
}

/// The user's own subscription, else 404.
async fn own_subscription(state: &AppState, user: &CurrentUser, id: i64) -> Result<Subscription, ApiError> {
    match state.store.subscription(id).await? {
        Some(subscription) if subscription.user_id == user.user.id => Ok(subscription),
        _ => Err(ApiError::NotFound),
    }
}

/// The hour and weekday of a digest, and the namespaces heard of, as a subscription's or a
/// webhook's body gives them.
pub fn parse_timing_and_route(
    hour: Option<i64>,
    weekday: Option<&Value>,
    namespaces: Option<&[String]>,
    namespace_selector: Option<&str>,
) -> Result<(i64, i64, NamespaceRoute), ApiError> {
    let hour = hour.unwrap_or(DEFAULT_HOUR);
    if !(0..=23).contains(&hour) {
        return Err(ApiError::bad_request("hour is the hour of the day in UTC, 0 to 23"));
    }
    let weekday = parse_weekday(weekday)?;
    let route = NamespaceRoute::parse(namespaces, namespace_selector).map_err(ApiError::bad_request)?;
    Ok((hour, weekday, route))
}

fn parse_weekday(value: Option<&Value>) -> Result<i64, ApiError> {
    let invalid = || ApiError::bad_request("weekday is monday … sunday (or 0 for Monday … 6 for Sunday)");
    match value {
        None => Ok(0),
        Some(Value::Number(number)) => number.as_i64().filter(|day| (0..7).contains(day)).ok_or_else(invalid),
        Some(Value::String(name)) => WEEKDAYS
            .iter()
            .position(|day| day.eq_ignore_ascii_case(name.trim()))
            .map(|day| day as i64)
            .ok_or_else(invalid),
        Some(_) => Err(invalid()),
    }
}

async fn list_subscriptions(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Answer<Vec<api::Subscription>>, ApiError> {
    let mut items = Vec::new();
    for subscription in state.store.list_subscriptions(user.user.id).await? {
        items.push(subscription_answer(&state, &subscription).await?);
    }
    Ok(Answer(items))
}

async fn create_subscription(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<SubscriptionBody>,
) -> Result<(StatusCode, Answer<api::Subscription>), ApiError> {
    let frequency = Frequency::parse(&body.frequency).ok_or_else(|| {
        ApiError::bad_request(format!("frequency must be daily, weekly or immediate; got '{}'", body.frequency))
    })?;
    let (hour, weekday, route) = parse_timing_and_route(
        body.hour,
        body.weekday.as_ref(),
        body.namespaces.as_deref(),
        body.namespace_selector.as_deref(),
    )?;
    let (team_id, cluster_ids) = match (&body.team, &body.clusters) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request("give either \"team\" (all its clusters) or \"clusters\", not both"));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "say what to cover: \"team\": a team id or name (all its clusters), or \"clusters\": [cluster ids]",
            ));
        }
        (Some(team), None) => {
            let memberships = state.store.memberships(user.user.id).await?;
            let membership = memberships
                .iter()
                .find(|membership| match team {
                    Value::Number(id) => id.as_i64() == Some(membership.team_id),
                    Value::String(name) => *name == membership.team,
                    _ => false,
                })
                .ok_or_else(|| ApiError::bad_request("no such team among yours: GET /api/v1/teams lists them"))?;
            (Some(membership.team_id), Vec::new())
        }
        (None, Some(clusters)) => {
            if clusters.is_empty() || clusters.len() > MAX_CLUSTERS {
                return Err(ApiError::bad_request(format!(
                    "\"clusters\" lists 1 to {MAX_CLUSTERS} cluster ids; for all of a team's clusters give \"team\""
                )));
            }
            for cluster_id in clusters {
                // Another team's cluster answers as one that does not exist.
                if state.store.cluster_for_user(user.user.id, *cluster_id).await?.is_none() {
                    return Err(ApiError::bad_request(format!(
                        "no cluster {cluster_id} among yours: GET /api/v1/clusters lists them"
                    )));
                }
            }
            (None, clusters.clone())
        }
    };
    let id = state
        .store
        .create_subscription(&NewSubscription {
            user_id: user.user.id,
            team_id,
            cluster_ids,
            frequency,
            hour,
            weekday,
            route,
        })
        .await?;
    tracing::info!(user = user.user.id, subscription = id, frequency = frequency.as_str(), "subscription created");
    let subscription = own_subscription(&state, &user, id).await?;
    Ok((StatusCode::CREATED, Answer(subscription_answer(&state, &subscription).await?)))
}

async fn get_subscription(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<api::Subscription>, ApiError> {
    let subscription = own_subscription(&state, &user, id).await?;
    Ok(Answer(subscription_answer(&state, &subscription).await?))
}

async fn delete_subscription(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    own_subscription(&state, &user, id).await?;
    state.store.delete_subscription(id).await?;
    tracing::info!(user = user.user.id, subscription = id, "subscription deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /subscriptions/{id}/send`: queues the subscription's digest now, covering the
/// time up to now (a day, or a week for a weekly digest); 202 with the email's id. It is
/// sent by the mailer's next round, or waits in the outbox when no SMTP server is set.
async fn send_subscription(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Answer<Queued>), ApiError> {
    let subscription = own_subscription(&state, &user, id).await?;
    let email_id = queue_digest_now(&state.store, &state.mail, &subscription).await.map_err(ApiError::internal)?;
    tracing::info!(user = user.user.id, subscription = id, email = email_id, "digest queued on request");
    Ok((StatusCode::ACCEPTED, Answer(Queued { id: email_id, status: "queued".to_string() })))
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage<'a> {
    title: &'a str,
    message: &'a str,
    settings_url: String,
    /// The page asks to confirm: a button posts back to the same URL (token included).
    confirm: bool,
}

fn page(state: &AppState, status: StatusCode, title: &str, message: &str) -> Result<Response, ApiError> {
    confirm_page(state, status, title, message, false)
}

fn confirm_page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
    confirm: bool,
) -> Result<Response, ApiError> {
    let html = UnsubscribePage { title, message, settings_url: state.mail.settings_url(), confirm }
        .render()
        .map_err(ApiError::internal)?;
    Ok((status, Html(html)).into_response())
}

/// The subscription a request's signed `token` names, if it verifies.
fn verified(
    state: &AppState,
    query: Result<axum::extract::Query<HashMap<String, String>>, QueryRejection>,
) -> Option<i64> {
    let token = query.ok().and_then(|axum::extract::Query(mut parameters)| parameters.remove("token"));
    token.as_deref().and_then(|token| state.mail.verify_unsubscribe(token))
}

/// The 400 page of a link that does not verify.
fn invalid_link(state: &AppState) -> Result<Response, ApiError> {
    page(
        state,
        StatusCode::BAD_REQUEST,
        "This unsubscribe link is not valid",
        "The link may have been cut or changed on its way. Open it again from the email, copying the whole link, \
         or change your subscriptions in Rampart's settings.",
    )
}

/// `GET /unsubscribe?token=…`: asks to confirm, changing nothing (a mail scanner that
/// opens every link must not unsubscribe anyone).
async fn confirm_unsubscribe(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Some(subscription_id) = verified(&state, query) else { return invalid_link(&state) };
    if state.store.subscription(subscription_id).await?.is_none() {
        return page(
            &state,
            StatusCode::OK,
            "You were already unsubscribed",
            "This subscription no longer exists: no more of these emails will come.",
        );
    }
    confirm_page(
        &state,
        StatusCode::OK,
        "Unsubscribe from these emails?",
        "Confirm, and no more emails of this subscription will come. Your other subscriptions, if any, stay as \
         they are.",
        true,
    )
}

/// `POST /unsubscribe?token=…`: removes the subscription the signed token names. A token
/// that does not verify is a 400 page; one whose subscription is already gone says so.
async fn unsubscribe(
    State(state): State<AppState>,
    query: Result<axum::extract::Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Some(subscription_id) = verified(&state, query) else { return invalid_link(&state) };
    if state.store.delete_subscription(subscription_id).await? {
        tracing::info!(subscription = subscription_id, "unsubscribed by link");
        page(
            &state,
            StatusCode::OK,
            "You are unsubscribed",
            "You will get no more of these emails. Your other subscriptions, if any, are unchanged.",
        )
    } else {
        page(
            &state,
            StatusCode::OK,
            "You were already unsubscribed",
            "This subscription no longer exists: no more of these emails will come.",
        )
    }
}
