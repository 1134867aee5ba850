//! `/users` (global admins list and create accounts) and `/setup` (the first admin, once, with the
//! one-time token `rampart serve` prints when it starts with no users).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use rampart_api::{NewUser, Setup, User, UserWithTeams};

use super::{same_secret, timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody};
use crate::store::accounts::{hash_password, Role};
use crate::store::is_unique_violation;

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

pub fn router() -> Router<AppState> {
    Router::new().route("/users", get(list_users).post(create_user)).route("/setup", post(complete_setup))
}

fn check_new_user(email: &str, password: Option<&str>) -> Result<(), ApiError> {
    if !email.contains('@') || email.len() > 254 {
        return Err(ApiError::bad_request("an email address is needed"));
    }
    // The setup page's form reaches here without the JSON body's check.
    if email.contains('\0') {
        return Err(ApiError::bad_request(super::NUL_MESSAGE));
    }
    if password.is_some_and(|password| password.chars().count() < MIN_PASSWORD) {
        return Err(ApiError::bad_request(format!("a password has at least {MIN_PASSWORD} characters")));
    }
    Ok(())
}

fn taken(error: sqlx::Error, email: &str) -> ApiError {
    if is_unique_violation(&error) {
        ApiError::Conflict(format!("a user with the email {email} already exists"))
    } else {
        ApiError::from(error)
    }
}

async fn list_users(State(state): State<AppState>, user: CurrentUser) -> Result<Answer<Vec<UserWithTeams>>, ApiError> {
    if !user.user.is_admin {
        return Err(ApiError::Forbidden("listing users needs a global admin".to_string()));
    }
    let users = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|(user, created_at, teams)| UserWithTeams {
            id: user.id,
            email: user.email,
            admin: user.is_admin,
            created_at: timestamp(created_at),
            teams: teams.into_iter().map(|(id, name, role)| rampart_api::Membership { id, name, role }).collect(),
        })
        .collect();
    Ok(Answer(users))
}

async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<NewUser>,
) -> Result<(StatusCode, Answer<User>), ApiError> {
    if !user.user.is_admin {
        return Err(ApiError::Forbidden("creating users needs a global admin".to_string()));
    }
    let email = body.email.trim();
    check_new_user(email, body.password.as_deref())?;
    let role = match body.role.as_deref() {
        None => Role::Editor,
        Some(role) => Role::parse(role)
            .ok_or_else(|| ApiError::bad_request(format!("role must be viewer, editor or admin; got '{role}'")))?,
    };
    let hash = hashed(&state, body.password.as_deref()).await?;
    let id = state
        .store
        .create_user_with_hash(email, hash.as_deref(), body.admin)
        .await
        .map_err(|error| taken(error, email))?;
    if let Some(team) = &body.team {
        let team_id = state.store.ensure_team(team.trim()).await?;
        state.store.set_membership(team_id, id, role).await?;
    }
    tracing::info!(user = id, by = user.user.id, admin = body.admin, "user created");
    Ok((StatusCode::CREATED, Answer(User { id, email: email.to_string(), admin: body.admin })))
}

/// The password's hash, made on the server's hashing threads as logins' checks are: a burst
/// of new users waits for a slot (503 with Retry-After past the queue) instead of hashing
/// 19 MiB apiece all at once.
async fn hashed(state: &AppState, password: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(password) = password.map(str::to_string) else { return Ok(None) };
    state.guards.hashes.run(move || hash_password(&password)).await.map(Some)
}

/// The first admin, made with the one-time token; the token is spent once the password is
/// hashed, whatever else happens after. Also what the setup page's form does.
pub async fn create_first_admin(state: &AppState, token: &str, email: &str, password: &str) -> Result<i64, ApiError> {
    let email = email.trim();
    check_new_user(email, Some(password))?;
    // Checked before hashing (only the token's holder makes the server hash), and again
    // when spent (of two requests with it, one creates the admin).
    let spend = |spend: bool| {
        let mut expected = state.setup_token.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match expected.as_deref() {
            Some(expected_token) if same_secret(token, expected_token) => {
                if spend {
                    *expected = None;
                }
                Ok(())
            }
            // No token: setup is done (or users existed at start); same answer, no hint.
            _ => Err(ApiError::Forbidden("no setup is pending with that token".to_string())),
        }
    };
    spend(false)?;
    let hash = hashed(state, Some(password)).await?;
    spend(true)?;
    if state.store.count_users().await? > 0 {
        return Err(ApiError::Conflict("users exist already: log in, or ask an admin".to_string()));
    }
    let id =
        state.store.create_user_with_hash(email, hash.as_deref(), true).await.map_err(|error| taken(error, email))?;
    let team_id = state.store.ensure_team("default").await?;
    state.store.set_membership(team_id, id, Role::Admin).await?;
    tracing::info!(user = id, "first admin created through setup");
    Ok(id)
}

async fn complete_setup(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Setup>,
) -> Result<(StatusCode, Answer<User>), ApiError> {
    let id = create_first_admin(&state, &body.token, &body.email, &body.password).await?;
    Ok((StatusCode::CREATED, Answer(User { id, email: body.email.trim().to_string(), admin: true })))
}
