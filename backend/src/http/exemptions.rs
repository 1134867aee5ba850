//! Central exemptions: `/clusters/{id}/exemptions` (those that apply to a cluster; new ones
//! for it), `/teams/{id}/exemptions` (all of a team's; new ones for one cluster or, without
//! `"cluster"`, for every cluster of the team) and `/exemptions/{id}`.
//!
//! A team's editors and admins grant, change and delete exemptions; its viewers read them.
//! Another team's exemption is 404. Each scan applies the exemptions in force when it
//! starts: findings they match are stored `exempted`, with the exemption's reason, and
//! count as exempted in the scan's summary and score.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use rampart_api::exemptions::{self as api, ExemptionAuthor, Named, NewExemption as NewExemptionBody};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::clusters::visible_cluster;
use super::teams::membership;
use super::{parse_timestamp, timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::store::accounts::Role;
use crate::store::exemptions::{Exemption, Matcher, NewExemption};
use crate::store::now_millis;

/// The longest reason kept.
const MAX_REASON: usize = 2000;
/// The longest namespace, kind or name matched (Kubernetes names are at most 253).
const MAX_NAME: usize = 253;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{id}/exemptions", get(list_for_cluster).post(create_for_cluster))
        .route("/teams/{id}/exemptions", get(list_for_team).post(create_for_team))
        .route("/exemptions/{id}", get(get_exemption).patch(update_exemption).delete(delete_exemption))
}

/// The body of `PATCH /exemptions/{id}`: absent fields stay, `null` sets "all" (or, for
/// `expires_at`, "never").
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExemptionChanges {
    #[serde(default, deserialize_with = "present")]
    rule: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    namespace: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    kind: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    name: Option<Option<String>>,
    reason: Option<String>,
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<String>>,
    /// Refused with a message: an exemption stays where it was granted.
    cluster: Option<Value>,
}

/// A field that is present (`Some`), possibly `null` (`Some(None)`), apart from one that
/// is absent (`None`, by `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

pub fn exemption_answer(exemption: &Exemption) -> api::Exemption {
    let matcher = &exemption.matcher;
    api::Exemption {
        id: exemption.id,
        team: Named { id: exemption.team_id, name: exemption.team.clone() },
        cluster: exemption.cluster.as_ref().map(|(id, name)| Named { id: *id, name: name.clone() }),
        rule: matcher.rule.clone(),
        namespace: matcher.namespace.clone(),
        kind: matcher.kind.clone(),
        name: matcher.name.clone(),
        reason: exemption.reason.clone(),
        author: exemption.author.as_ref().map(|(id, email)| ExemptionAuthor { id: *id, email: email.clone() }),
        created_at: timestamp(exemption.created_at),
        expires_at: exemption.expires_at.map(timestamp),
        active: exemption.active_at(now_millis()),
    }
}

fn require_editor(role: Role, team: &str) -> Result<(), ApiError> {
    if role >= Role::Editor {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "granting, changing or deleting exemptions needs the editor role in team '{team}'; you are {}",
            role.as_str()
        )))
    }
}

/// A namespace, kind or name to match: `None` for all, else 1 to 253 characters.
fn matched(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(value) if value.trim().is_empty() || value.len() > MAX_NAME || value.trim() != value => {
            Err(ApiError::bad_request(format!(
                "{field} must be 1 to {MAX_NAME} characters without surrounding spaces, or null for all; got '{value}'"
            )))
        }
        Some(value) => Ok(Some(value)),
    }
}

/// Checks what an exemption matches: a known rule id, sensible names, and not everything.
fn validate_matcher(matcher: Matcher) -> Result<Matcher, ApiError> {
    if let Some(rule) = &matcher.rule {
        rampart_core::config::known_rule(rule).map_err(ApiError::bad_request)?;
    }
    let matcher = Matcher {
        rule: matcher.rule,
        namespace: matched("namespace", matcher.namespace)?,
        kind: matched("kind", matcher.kind)?,
        name: matched("name", matcher.name)?,
    };
    if matcher == Matcher::default() {
        return Err(ApiError::bad_request(
            "an exemption of every rule for every object would hide every finding: name a \"rule\", a \
             \"namespace\", a \"kind\" or a \"name\"",
        ));
    }
    Ok(matcher)
}

fn validate_reason(reason: Option<String>) -> Result<String, ApiError> {
    let reason = reason.map(|reason| reason.trim().to_string()).unwrap_or_default();
    if reason.is_empty() {
        return Err(ApiError::bad_request("\"reason\" is required: say why these findings are accepted"));
    }
    if reason.chars().count() > MAX_REASON {
        return Err(ApiError::bad_request(format!("a reason is at most {MAX_REASON} characters")));
    }
    Ok(reason)
}

/// Grants an exemption in a team the user edits; `cluster_id` has been checked to be the
/// team's.
async fn create(
    state: &AppState,
    user: &CurrentUser,
    team_id: i64,
    cluster_id: Option<i64>,
    body: NewExemptionBody,
) -> Result<(StatusCode, Answer<api::Exemption>), ApiError> {
    let matcher =
        validate_matcher(Matcher { rule: body.rule, namespace: body.namespace, kind: body.kind, name: body.name })?;
    let reason = validate_reason(body.reason)?;
    let expires_at = body.expires_at.as_deref().map(parse_timestamp).transpose()?;
    if expires_at.is_some_and(|expires_at| expires_at <= now_millis()) {
        return Err(ApiError::bad_request(
            "expires_at is in the past: an exemption that has expired never applies; give a later time or none",
        ));
    }
    let id = state
        .store
        .create_exemption(&NewExemption { team_id, cluster_id, matcher, reason, author_id: user.user.id, expires_at })
        .await?;
    tracing::info!(exemption = id, team = team_id, cluster = ?cluster_id, by = user.user.id, "exemption granted");
    let exemption = state.store.exemption_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Answer(exemption_answer(&exemption))))
}

fn list_answer(exemptions: &[Exemption]) -> Answer<Vec<api::Exemption>> {
    Answer(exemptions.iter().map(exemption_answer).collect())
}

/// `GET /clusters/{id}/exemptions`: the cluster's own and its team's team-wide ones.
async fn list_for_cluster(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<Vec<api::Exemption>>, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    Ok(list_answer(&state.store.list_exemptions(user.user.id, cluster.team_id, Some(cluster.id)).await?))
}

async fn create_for_cluster(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<NewExemptionBody>,
) -> Result<(StatusCode, Answer<api::Exemption>), ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    require_editor(cluster.role, &cluster.team)?;
    if body.cluster.is_some_and(|named| named != cluster.id) {
        return Err(ApiError::bad_request(format!(
            "this exemption is for cluster {}: leave out \"cluster\", or POST /api/v1/teams/{}/exemptions for \
             another cluster or all of them",
            cluster.id, cluster.team_id
        )));
    }
    create(&state, &user, cluster.team_id, Some(cluster.id), body).await
}

/// `GET /teams/{id}/exemptions`: every exemption of the team.
async fn list_for_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<Vec<api::Exemption>>, ApiError> {
    let team = membership(&state, &user, id).await?;
    Ok(list_answer(&state.store.list_exemptions(user.user.id, team.team_id, None).await?))
}

async fn create_for_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<NewExemptionBody>,
) -> Result<(StatusCode, Answer<api::Exemption>), ApiError> {
    let team = membership(&state, &user, id).await?;
    require_editor(team.role, &team.team)?;
    if let Some(cluster_id) = body.cluster {
        let cluster = state.store.cluster_for_user(user.user.id, cluster_id).await?;
        if cluster.is_none_or(|cluster| cluster.team_id != team.team_id) {
            return Err(ApiError::bad_request(format!(
                "team '{}' has no cluster {cluster_id}: name one of its clusters, or leave out \"cluster\" for all \
                 of them",
                team.team
            )));
        }
    }
    create(&state, &user, team.team_id, body.cluster, body).await
}

/// The exemption if the user's teams hold it, else 404.
async fn visible_exemption(state: &AppState, user: &CurrentUser, id: i64) -> Result<Exemption, ApiError> {
    state.store.exemption_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)
}

async fn get_exemption(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<api::Exemption>, ApiError> {
    Ok(Answer(exemption_answer(&visible_exemption(&state, &user, id).await?)))
}

/// `PATCH /exemptions/{id}`: what it matches, its reason, its expiry. An expiry in the past
/// ends it at the next scan while keeping its record.
async fn update_exemption(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(changes): JsonBody<ExemptionChanges>,
) -> Result<Answer<api::Exemption>, ApiError> {
    let exemption = visible_exemption(&state, &user, id).await?;
    require_editor(exemption.role, &exemption.team)?;
    if changes.cluster.is_some() {
        return Err(ApiError::bad_request(
            "an exemption's cluster cannot change: grant a new exemption and delete this one",
        ));
    }
    let current = exemption.matcher.clone();
    let matcher = validate_matcher(Matcher {
        rule: changes.rule.unwrap_or(current.rule),
        namespace: changes.namespace.unwrap_or(current.namespace),
        kind: changes.kind.unwrap_or(current.kind),
        name: changes.name.unwrap_or(current.name),
    })?;
    let reason = validate_reason(Some(changes.reason.unwrap_or(exemption.reason)))?;
    let expires_at = match changes.expires_at {
        None => exemption.expires_at,
        Some(None) => None,
        Some(Some(text)) => Some(parse_timestamp(&text)?),
    };
    state.store.update_exemption(id, &matcher, &reason, expires_at).await?;
    tracing::info!(exemption = id, by = user.user.id, "exemption changed");
    Ok(Answer(exemption_answer(&visible_exemption(&state, &user, id).await?)))
}

async fn delete_exemption(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let exemption = visible_exemption(&state, &user, id).await?;
    require_editor(exemption.role, &exemption.team)?;
    state.store.delete_exemption(id).await?;
    tracing::info!(exemption = id, by = user.user.id, "exemption deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_tell_null_from_absent() {
        let changes: ExemptionChanges = serde_json::from_str(r#"{"rule": null, "name": "web"}"#).unwrap();
        assert_eq!(changes.rule, Some(None));
        assert_eq!(changes.name, Some(Some("web".to_string())));
        assert_eq!(changes.namespace, None);
        assert_eq!(changes.expires_at, None);
    }

    #[test]
    fn an_exemption_names_something_and_known_rules_only() {
        assert!(validate_matcher(Matcher::default()).is_err());
        let typo = validate_matcher(Matcher { rule: Some("privileged".into()), ..Matcher::default() });
        let Err(ApiError::BadRequest(message)) = typo else { panic!("an unknown rule is refused") };
        assert!(message.contains("did you mean 'pss-privileged'"), "{message}");
        assert!(validate_matcher(Matcher { namespace: Some(" prod".into()), ..Matcher::default() }).is_err());
        assert!(validate_matcher(Matcher { rule: Some("pss-privileged".into()), ..Matcher::default() }).is_ok());
        assert!(validate_reason(Some("  ".into())).is_err());
    }
}
