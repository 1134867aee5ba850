//! Single sign-on routes (see [`crate::oidc`]): `GET /auth/methods` says how people sign in
//! (public, for the login page); `GET /oidc/login?next=/clusters` sends the browser to the
//! provider; `GET /oidc/callback` takes its answer, checks it, applies the group mapping to
//! the user's teams, opens a session (the same cookie as a password login) and goes on to
//! `next`. A failed sign-in goes back to `/login?sso_error=…` with the reason, and logs it.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rampart_api::AuthMethods;
use serde::Deserialize;

use super::guard::ClientAddress;
use super::{Answer, ApiError, AppState, Query, SESSION_COOKIE};
use crate::oidc::team_roles;
use crate::store::accounts::SESSION_LIFETIME_MILLIS;
use crate::store::now_millis;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/methods", get(auth_methods))
        .route("/oidc/login", get(oidc_login))
        .route("/oidc/callback", get(oidc_callback))
}

async fn auth_methods(State(state): State<AppState>) -> Answer<AuthMethods> {
    Answer(AuthMethods { password: state.password_login, oidc: state.oidc.is_some() })
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Only the app's own paths are places to return to.
fn safe_next(next: Option<String>) -> Option<String> {
    next.filter(|next| next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && next.len() <= 512)
}

/// `GET /oidc/login`: a sign-in under way is kept until its callback, so each start counts
/// against the client address's login attempts (as a password login does): anonymous
/// requests cannot fill the table.
async fn oidc_login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Query(query): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    let Some(oidc) = state.oidc.as_ref() else {
        return Err(ApiError::NotFound);
    };
    state.guards.addresses.attempt(address)?;
    let (url, pending) = oidc.begin().await.map_err(|error| {
        tracing::warn!(error = %error, "single sign-on cannot start");
        ApiError::Internal(Box::new(error))
    })?;
    state.store.begin_oidc_login(&pending, safe_next(query.next).as_deref()).await?;
    Ok(redirect(&url))
}

/// The provider's answer: a code and the state, or an error.
#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn oidc_callback(State(state): State<AppState>, Query(query): Query<CallbackQuery>) -> Response {
    match sign_in(&state, query).await {
        Ok((cookie, next)) => {
            let mut response = redirect(&next);
            let value = format!(
                "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
                SESSION_LIFETIME_MILLIS / 1000
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(message) => {
            tracing::info!(reason = %message, "single sign-on refused");
            redirect(&format!("/login{}", query_string("sso_error", &message)))
        }
    }
}

fn query_string(name: &str, value: &str) -> String {
    let encoded: String = value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect();
    format!("?{name}={encoded}")
}

/// The whole callback: a session cookie and where to go, or why not.
async fn sign_in(state: &AppState, query: CallbackQuery) -> Result<(String, String), String> {
    let Some(oidc) = state.oidc.as_ref() else {
        return Err("single sign-on is not configured on this server".into());
    };
    if let Some(error) = query.error {
        let description = query.error_description.map(|text| format!(": {text}")).unwrap_or_default();
        return Err(format!("the identity provider said {error}{description}"));
    }
    let (Some(code), Some(login_state)) = (query.code, query.state) else {
        return Err("the identity provider's answer has no code or state".into());
    };
    let internal = |error: sqlx::Error| {
        tracing::error!(error = %error, "single sign-on: the store failed");
        "the server could not complete the sign-in; try again".to_string()
    };
    let Some((pending, next)) = state.store.take_oidc_login(&login_state).await.map_err(internal)? else {
        return Err("this sign-in expired or was already used: sign in again".into());
    };
    let identity = oidc.finish(&code, &pending, now_millis()).await.map_err(|error| error.to_string())?;
    let user = state.store.oidc_user(&identity).await.map_err(|error| match error {
        crate::store::oidc::IdentityError::Store(error) => internal(error),
        other => other.to_string(),
    })?;
    let roles = team_roles(&oidc.settings.group_map, &identity.groups);
    state.store.apply_team_roles(user.id, &roles).await.map_err(internal)?;
    let (cookie, _session) = state.store.create_session(&user).await.map_err(internal)?;
    tracing::info!(user = user.id, groups = identity.groups.len(), "logged in with single sign-on");
    Ok((cookie, next.unwrap_or_else(|| "/clusters".to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_paths_are_returned_to() {
        assert_eq!(safe_next(Some("/clusters/3".into())).as_deref(), Some("/clusters/3"));
        for next in ["https://evil.example/", "//evil.example/", "/\\evil.example", ""] {
            assert_eq!(safe_next(Some(next.into())), None, "{next}");
        }
        assert_eq!(query_string("e", "a b/ü"), "?e=a%20b%2F%C3%BC");
    }
}
