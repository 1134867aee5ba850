//! `/teams`, their settings and their members. Global admins create teams (and become their
//! admins); a team's admins change its settings and add, change and remove members. A team
//! the user is not in is 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::Router;
use rampart_api::{Member, MemberInput, NewTeam, Team, TeamSettings, TeamSettingsInput};

use super::{Answer, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::store::accounts::{Membership, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/teams/{id}", get(get_team).patch(update_team))
        .route("/teams/{id}/members", get(list_members).put(set_member))
        .route("/teams/{id}/members/{user}", delete(remove_member))
}

/// The user's membership of the team, else 404.
pub async fn membership(state: &AppState, user: &CurrentUser, team_id: i64) -> Result<Membership, ApiError> {
    let memberships = state.store.memberships(user.user.id).await?;
    memberships.into_iter().find(|membership| membership.team_id == team_id).ok_or(ApiError::NotFound)
}

pub fn require_team_admin(membership: &Membership) -> Result<(), ApiError> {
    if membership.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("managing team '{}' needs its admin role", membership.team)))
    }
}

/// A membership of the user's as the API shows it.
pub fn membership_answer(membership: &Membership) -> rampart_api::Membership {
    rampart_api::Membership {
        id: membership.team_id,
        name: membership.team.clone(),
        role: membership.role.as_str().to_string(),
    }
}

async fn list_teams(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Answer<Vec<rampart_api::Membership>>, ApiError> {
    let memberships = state.store.memberships(user.user.id).await?;
    Ok(Answer(memberships.iter().map(membership_answer).collect()))
}

async fn create_team(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<NewTeam>,
) -> Result<(StatusCode, Answer<Team>), ApiError> {
    if !user.user.is_admin {
        return Err(ApiError::Forbidden("creating a team needs a global admin".to_string()));
    }
    let name = body.name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad_request("a team name is 1 to 100 characters"));
    }
    let id = state.store.create_team(name).await?;
    state.store.set_membership(id, user.user.id, Role::Admin).await?;
    tracing::info!(team = id, by = user.user.id, "team created");
    Ok((StatusCode::CREATED, Answer(Team { id, name: name.to_string() })))
}

async fn team_settings(state: &AppState, membership: &Membership) -> Result<Answer<TeamSettings>, ApiError> {
    let honor = state.store.team_honors_annotations(membership.team_id).await?;
    Ok(Answer(TeamSettings {
        id: membership.team_id,
        name: membership.team.clone(),
        role: membership.role.as_str().to_string(),
        honor_annotation_exemptions: honor,
    }))
}

async fn get_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<TeamSettings>, ApiError> {
    team_settings(&state, &membership(&state, &user, id).await?).await
}

/// `PATCH /teams/{id}`: the team's settings, for its admins.
async fn update_team(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<TeamSettingsInput>,
) -> Result<Answer<TeamSettings>, ApiError> {
    let membership = membership(&state, &user, id).await?;
    require_team_admin(&membership)?;
    if let Some(honor) = body.honor_annotation_exemptions {
        state.store.set_team_honors_annotations(id, honor).await?;
        tracing::info!(team = id, honor, by = user.user.id, "annotation exemptions setting changed");
    }
    team_settings(&state, &membership).await
}

async fn list_members(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<Vec<Member>>, ApiError> {
    membership(&state, &user, id).await?;
    let members = state.store.list_members(id).await?;
    Ok(Answer(
        members
            .into_iter()
            .map(|member| Member { user: member.user_id, email: member.email, role: member.role.as_str().to_string() })
            .collect(),
    ))
}

async fn set_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<MemberInput>,
) -> Result<Answer<Member>, ApiError> {
    let team = membership(&state, &user, id).await?;
    require_team_admin(&team)?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::bad_request(format!("role must be viewer, editor or admin; got '{}'", body.role)))?;
    let email = body.email.trim();
    let found = state.store.user_by_email(email).await?;
    // A team admin changes the roles of the team's members; adding someone else takes a
    // global admin, and the answer is the same whether an account with that email exists
    // or not (a team admin must not learn who has an account, nor pull another team's
    // member into his team).
    let members = state.store.list_members(id).await?;
    let is_member = found.as_ref().is_some_and(|found| members.iter().any(|member| member.user_id == found.id));
    if !is_member && !user.user.is_admin {
        return Err(ApiError::Forbidden(format!(
            "{email} is not a member of team '{}': adding people to a team takes a global admin, who creates \
             accounts and adds them to teams — ask one to add {email}",
            team.team
        )));
    }
    let member = found.ok_or_else(|| ApiError::bad_request(format!("no user with the email {email}")))?;
    state.store.set_membership(id, member.id, role).await?;
    tracing::info!(team = id, user = member.id, role = role.as_str(), by = user.user.id, "membership set");
    Ok(Answer(Member { user: member.id, email: member.email, role: role.as_str().to_string() }))
}

async fn remove_member(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, member)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    require_team_admin(&membership(&state, &user, id).await?)?;
    if state.store.remove_member(id, member).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
