//! Browser sessions: `POST /session` logs in with email and password (argon2id), sets an
//! HttpOnly, Secure, SameSite=Strict cookie and answers the CSRF token that the session's
//! writes must echo in `X-CSRF-Token`; `DELETE /session` logs out; `GET /me` says who is
//! logged in and in which teams; `GET /session` asks the same without needing a session
//! (200 with `authenticated: false` when there is none, so that a page probing whether
//! someone is logged in gets no error answer); `POST /me/password` changes the password (the current one
//! is required) and ends the user's other sessions. Failed logins, and wrong current
//! passwords, are limited per account.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use rampart_api::{Login, Me, PasswordChange, Session, SessionState, User};

use super::guard::ClientAddress;
use super::teams::membership_answer;
use super::users::MIN_PASSWORD;
use super::{session_cookie, timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody, SESSION_COOKIE};
use crate::store::accounts::{hash_password, verify_password, SESSION_LIFETIME_MILLIS};

/// Failed logins allowed per account within [`LOGIN_WINDOW`].
pub const LOGIN_ATTEMPTS: u32 = 10;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(create_session).delete(delete_session).layer(DefaultBodyLimit::max(LOGIN_BODY_LIMIT)))
        .route("/session", get(get_session))
        .route("/me", get(get_me))
        .route("/me/password", post(change_password))
}

/// Login attempts per account, in this process. (Several replicas each keep their own
/// count: the limit per replica still stops a password-guessing run.) An attempt is
/// counted before its password is checked, so that attempts at once cannot check more
/// passwords than the limit; a success forgets the account's count.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    /// Counts an attempt for the account, or says how long until it may try again.
    pub fn reserve(&self, account: &str) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() > 100_000 {
            failures.retain(|_, (_, since)| since.elapsed() < LOGIN_WINDOW);
        }
        let entry = failures.entry(account.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= LOGIN_WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= LOGIN_ATTEMPTS {
            return Err(LOGIN_WINDOW.saturating_sub(entry.1.elapsed()));
        }
        entry.0 += 1;
        Ok(())
    }

    /// Gives back an attempt that was not made (the server was too busy to check it).
    pub fn release(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = failures.get_mut(account) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }

    pub fn succeeded(&self, account: &str) {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(account);
    }

    /// Reserves an attempt, as the API's 429 (with Retry-After) when the account may not try.
    fn reserve_or_refuse(&self, account: &str, what: &str) -> Result<(), ApiError> {
        self.reserve(account).map_err(|wait| ApiError::RetryLater {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!(
                "too many {what} for this account; try again in {} minutes",
                wait.as_secs().div_ceil(60).max(1)
            ),
            after: wait,
        })
    }
}

/// The longest password accepted: argon2 hashes any length, but a bound keeps the work
/// of one request bounded.
pub const MAX_PASSWORD: usize = 1024;

/// The longest email a login looks up.
const MAX_EMAIL: usize = 320;

/// A hash to verify against when the account does not exist, so a login takes as long
/// for an unknown email as for a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password, never matches"))
}

/// The largest login body: an email and a password of [`MAX_PASSWORD`] characters fit.
const LOGIN_BODY_LIMIT: usize = 16 * 1024;

/// `POST /session`. Before any password is hashed, the client address's attempts of the
/// minute and the account's failures are counted (429 past either); then the hash waits
/// for one of the server's hashing slots (503 when too many wait).
async fn create_session(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    JsonBody(body): JsonBody<Login>,
) -> Result<Response, ApiError> {
    if !state.password_login {
        return Err(ApiError::Forbidden(
            "password login is turned off on this server: sign in with single sign-on".into(),
        ));
    }
    state.guards.addresses.attempt(address)?;
    if body.password.chars().count() > MAX_PASSWORD || body.email.chars().count() > MAX_EMAIL {
        return Err(ApiError::Unauthenticated("wrong email or password".to_string()));
    }
    let account = body.email.trim().to_lowercase();
    state.login_limiter.reserve_or_refuse(&account, "failed logins")?;
    let found = match state.store.user_login(body.email.trim()).await {
        Ok(found) => found,
        Err(error) => {
            state.login_limiter.release(&account);
            return Err(error.into());
        }
    };
    let (user, hash) = match found {
        Some((user, Some(hash))) => (Some(user), Some(hash)),
        _ => (None, None),
    };
    let password = body.password;
    let check = move || match &hash {
        Some(hash) => verify_password(&password, hash),
        None => verify_password(&password, decoy_hash()),
    };
    let matches = match state.guards.hashes.run(check).await {
        Ok(matches) => matches,
        Err(error) => {
            state.login_limiter.release(&account);
            return Err(error);
        }
    };
    let Some(user) = user.filter(|_| matches) else {
        tracing::info!(account = %account, "login failed");
        return Err(ApiError::Unauthenticated("wrong email or password".to_string()));
    };
    state.login_limiter.succeeded(&account);
    let (cookie, session) = state.store.create_session(&user).await?;
    tracing::info!(user = user.id, "logged in");
    let mut response = (
        StatusCode::CREATED,
        Answer(Session {
            user: User { id: user.id, email: user.email.clone(), admin: user.is_admin },
            csrf_token: session.csrf_token,
            expires_at: timestamp(session.expires_at),
        }),
    )
        .into_response();
    let value = format!(
        "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        SESSION_LIFETIME_MILLIS / 1000
    );
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&value).map_err(ApiError::internal)?);
    Ok(response)
}

async fn delete_session(
    State(state): State<AppState>,
    _user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(cookie) = session_cookie(&headers) {
        state.store.delete_session(&cookie).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("rampart_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

async fn get_me(State(state): State<AppState>, user: CurrentUser) -> Result<Answer<Me>, ApiError> {
    Ok(Answer(me(&state, &user).await?))
}

/// `GET /session`: `{"authenticated": false}` when the request carries no valid session
/// (or token), else what `GET /me` answers with `"authenticated": true`. A token that is
/// not a user's (an agent's) is refused as everywhere else.
async fn get_session(
    State(state): State<AppState>,
    user: Result<CurrentUser, ApiError>,
) -> Result<Answer<SessionState>, ApiError> {
    match user {
        Ok(user) => Ok(Answer(SessionState { authenticated: true, me: Some(me(&state, &user).await?) })),
        Err(ApiError::Unauthorized) => Ok(Answer(SessionState { authenticated: false, me: None })),
        Err(error) => Err(error),
    }
}

async fn me(state: &AppState, user: &CurrentUser) -> Result<Me, ApiError> {
    let teams = state.store.memberships(user.user.id).await?;
    Ok(Me {
        id: user.user.id,
        email: user.user.email.clone(),
        admin: user.user.is_admin,
        teams: teams.iter().map(membership_answer).collect(),
        csrf_token: user.csrf_token.clone(),
    })
}

/// `POST /me/password`: checks the current password (a wrong one counts as a failed login
/// of the account), stores the new one's argon2id hash and ends every other session of the
/// user; the session that asked stays logged in. 204 on success.
async fn change_password(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let length = body.new_password.chars().count();
    if length < MIN_PASSWORD {
        return Err(ApiError::bad_request(format!("the new password needs at least {MIN_PASSWORD} characters")));
    }
    if length > MAX_PASSWORD || body.current_password.chars().count() > MAX_PASSWORD {
        return Err(ApiError::bad_request(format!("a password has at most {MAX_PASSWORD} characters")));
    }
    if body.new_password == body.current_password {
        return Err(ApiError::bad_request("the new password is the current one: choose another"));
    }
    let account = user.user.email.trim().to_lowercase();
    let Some(hash) = state.store.password_hash(user.user.id).await? else {
        return Err(ApiError::Forbidden("this account has no password: it uses API tokens only".to_string()));
    };
    state.login_limiter.reserve_or_refuse(&account, "wrong passwords")?;
    let (current, new) = (body.current_password, body.new_password);
    let new_hash =
        match state.guards.hashes.run(move || verify_password(&current, &hash).then(|| hash_password(&new))).await {
            Ok(new_hash) => new_hash,
            Err(error) => {
                state.login_limiter.release(&account);
                return Err(error);
            }
        };
    let Some(new_hash) = new_hash else {
        tracing::info!(user = user.user.id, "password change refused: wrong current password");
        return Err(ApiError::Forbidden("the current password is wrong".to_string()));
    };
    state.login_limiter.succeeded(&account);
    // A session keeps itself; a token (no session) ends every session.
    let keep = user.csrf_token.as_ref().and_then(|_| session_cookie(&headers));
    let ended = state.store.change_password(user.user.id, &new_hash, keep.as_deref()).await?;
    tracing::info!(user = user.user.id, other_sessions_ended = ended, "password changed");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_are_counted_before_the_password_is_checked() {
        let limiter = LoginLimiter::default();
        for _ in 0..LOGIN_ATTEMPTS {
            assert!(limiter.reserve("ana@example.com").is_ok());
        }
        let wait = limiter.reserve("ana@example.com").unwrap_err();
        assert!(wait > Duration::from_secs(14 * 60));
        assert!(limiter.reserve("bo@example.com").is_ok());
        limiter.release("ana@example.com");
        assert!(limiter.reserve("ana@example.com").is_ok(), "an attempt given back may be made");
        assert!(limiter.reserve("ana@example.com").is_err());
        limiter.succeeded("ana@example.com");
        assert!(limiter.reserve("ana@example.com").is_ok());
    }
}
