//! The HTTP API: one module per resource, each exposing `router()`, merged under
//! `/api/v1` by [`api_router`]; the error type every handler returns ([`ApiError`]); the
//! authenticated user ([`CurrentUser`]) and JSON helpers.

pub mod agent;
pub mod clusters;
pub mod compliance;
pub mod exemptions;
pub mod findings;
pub mod guard;
pub mod health;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod outbox;
pub mod policies;
pub mod reports;
pub mod scans;
pub mod sessions;
pub mod setup_page;
pub mod subscriptions;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod webhooks;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::store::accounts::User;
use crate::store::{is_unique_violation, Store};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub login_limiter: std::sync::Arc<sessions::LoginLimiter>,
    /// Password hashes at once, login attempts per address, upload memory.
    pub guards: std::sync::Arc<guard::Guards>,
    /// The one-time token that creates the first admin (`POST /api/v1/setup`), while no
    /// user exists.
    pub setup_token: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    /// Seals and opens cluster credentials.
    pub secrets: crate::secrets::SecretBox,
    /// Runs the scans this process starts ("scan now", snapshot uploads, the scheduler's).
    pub scans: crate::scan_runner::ScanRunner,
    /// Links and signatures of emails (digests queued on request, unsubscribe links).
    pub mail: std::sync::Arc<crate::mail::Mail>,
    /// Single sign-on, when an OIDC provider is configured.
    pub oidc: Option<std::sync::Arc<crate::oidc::Oidc>>,
    /// Whether people may log in with a password (`POST /session`).
    pub password_login: bool,
    /// Posts webhooks ("send a test") through the outbound policy.
    pub webhooks: crate::mail::webhook::WebhookClient,
}

impl AppState {
    pub fn new(
        store: Store,
        setup_token: Option<String>,
        secrets: crate::secrets::SecretBox,
        scans: crate::scan_runner::ScanRunner,
    ) -> AppState {
        AppState {
            store,
            login_limiter: Default::default(),
            guards: Default::default(),
            setup_token: std::sync::Arc::new(setup_token.into()),
            mail: std::sync::Arc::new(crate::mail::Mail::fallback(&secrets)),
            secrets,
            scans,
            oidc: None,
            password_login: true,
            webhooks: crate::mail::webhook::WebhookClient::new(crate::outbound::OutboundPolicy::default()),
        }
    }

    /// The state with the server's webhook client (its outbound policy).
    pub fn with_webhooks(mut self, webhooks: crate::mail::webhook::WebhookClient) -> AppState {
        self.webhooks = webhooks;
        self
    }

    /// The state with the server's own limits.
    pub fn with_limits(mut self, limits: &crate::limits::ServerLimits) -> AppState {
        self.guards = std::sync::Arc::new(guard::Guards::new(limits));
        self
    }

    /// The state with the server's sign-in settings: an OIDC provider, and whether
    /// passwords are accepted.
    pub fn with_sign_in(mut self, oidc: Option<std::sync::Arc<crate::oidc::Oidc>>, password_login: bool) -> AppState {
        self.oidc = oidc;
        self.password_login = password_login;
        self
    }

    /// The state with the server's own mail settings (links to its public URL).
    pub fn with_mail(mut self, mail: std::sync::Arc<crate::mail::Mail>) -> AppState {
        self.mail = mail;
        self
    }
}

/// Every route of `/api/v1`.
pub fn api_router() -> Router<AppState> {
    Router::new()
        .merge(sessions::router())
        .merge(users::router())
        .merge(teams::router())
        .merge(tokens::router())
        .merge(clusters::router())
        .merge(scans::router())
        .merge(findings::router())
        .merge(subscriptions::router())
        .merge(webhooks::router())
        .merge(outbox::router())
        .merge(reports::router())
        .merge(exemptions::router())
        .merge(policies::router())
        .merge(compliance::router())
        .merge(oidc::router())
        .merge(agent::router())
}

/// The one error type of the API. Client errors carry a message for the user; server
/// errors answer a generic message and log the error chain.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    /// No credentials, or credentials that are not (or no longer) valid.
    Unauthorized,
    /// Credentials were checked and refused, with the reason to show.
    Unauthenticated(String),
    Forbidden(String),
    /// Also what another team's resource answers: its existence is not revealed.
    NotFound,
    Conflict(String),
    NotImplemented(String),
    /// Refused for now, with how long to wait (`Retry-After`): 429 for a client over its
    /// limit, 503 for a server at its own.
    RetryLater {
        status: StatusCode,
        message: String,
        after: std::time::Duration,
    },
    /// A body larger than the route takes.
    PayloadTooLarge(String),
    /// The server cannot answer now (it is shutting down); the client should try again.
    Unavailable(String),
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest(message.into())
    }

    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(error))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        if is_unique_violation(&error) {
            ApiError::Conflict("a resource with that name already exists".to_string())
        } else {
            ApiError::internal(error)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut retry_after = None;
        let (status, message) = match self {
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "authentication required: log in (POST /api/v1/session) or send Authorization: Bearer <token> \
                 (rampart admin create-token)"
                    .to_string(),
            ),
            ApiError::Unauthenticated(message) => (StatusCode::UNAUTHORIZED, message),
            ApiError::Forbidden(message) => (StatusCode::FORBIDDEN, message),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not found".to_string()),
            ApiError::Conflict(message) => (StatusCode::CONFLICT, message),
            ApiError::NotImplemented(message) => (StatusCode::NOT_IMPLEMENTED, message),
            ApiError::RetryLater { status, message, after } => {
                retry_after = Some(after.as_secs().max(1));
                (status, message)
            }
            ApiError::PayloadTooLarge(message) => (StatusCode::PAYLOAD_TOO_LARGE, message),
            ApiError::Unavailable(message) => (StatusCode::SERVICE_UNAVAILABLE, message),
            ApiError::Internal(error) => {
                let mut chain = error.to_string();
                let mut source = error.source();
                while let Some(cause) = source {
                    chain.push_str(": ");
                    chain.push_str(&cause.to_string());
                    source = cause.source();
                }
                tracing::error!(error = %chain, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal server error".to_string())
            }
        };
        let mut response = (status, Json(json!({ "error": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "rampart_session";

/// The header a cookie-authenticated write must carry, holding the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The user a request is authenticated as: by `Authorization: Bearer <token>`, or by the
/// session cookie, in which case writes (anything but GET, HEAD, OPTIONS) must also carry
/// the session's CSRF token in `X-CSRF-Token`.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    /// The session's CSRF token, when authenticated by a session.
    pub csrf_token: Option<String>,
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

pub use crate::secrets::same_secret;

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
                .map(str::trim)
                .ok_or(ApiError::Unauthorized)?;
            return match state.store.user_by_token(token).await? {
                Some(user) => Ok(CurrentUser { user, csrf_token: None }),
                // An agent's token opens its instructions and deliveries, nothing else.
                None => match state.store.agent_token(token).await? {
                    crate::store::agents::AgentToken::Cluster(_) => Err(ApiError::Forbidden(
                        "an agent token can only read its cluster's instructions and deliver its scans \
                         (/api/v1/agent/…)"
                            .to_string(),
                    )),
                    crate::store::agents::AgentToken::Revoked => Err(ApiError::Unauthenticated(agent::REVOKED.into())),
                    crate::store::agents::AgentToken::Unknown => Err(ApiError::Unauthorized),
                },
            };
        }
        let cookie = session_cookie(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let session = state.store.session(&cookie).await?.ok_or(ApiError::Unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok()).unwrap_or_default();
            if !same_secret(sent, &session.csrf_token) {
                return Err(ApiError::Forbidden(
                    "missing or wrong X-CSRF-Token: send the csrf_token of POST /api/v1/session or GET /api/v1/me"
                        .to_string(),
                ));
            }
        }
        Ok(CurrentUser { user: session.user, csrf_token: Some(session.csrf_token) })
    }
}

/// A JSON body whose errors are [`ApiError`]s (a JSON `{"error"}` body, like every
/// other error), not axum's plain-text rejections.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|essence| essence.trim().to_ascii_lowercase())
            .is_some_and(|essence| essence == "application/json" || essence.ends_with("+json"));
        if !json_type {
            return Err(ApiError::bad_request("Expected request with `Content-Type: application/json`"));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        if has_nul_escape(&bytes) {
            return Err(ApiError::bad_request(NUL_MESSAGE));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge(format!("the body is too large: {}", rejection.body_text())))
            }
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// Why text with a NUL character is refused (PostgreSQL cannot store it, and no name,
/// reason or setting needs it).
pub const NUL_MESSAGE: &str = "text may not contain the NUL character (\\u0000)";

/// Whether a JSON text holds a NUL character: JSON strings can only carry it escaped
/// (`\u0000`), and a backslash appears nowhere but in strings.
pub fn has_nul_escape(json: &[u8]) -> bool {
    let mut position = 0;
    while position < json.len() {
        if json[position] == b'\\' {
            if json[position + 1..].starts_with(b"u0000") {
                return true;
            }
            position += 2;
        } else {
            position += 1;
        }
    }
    false
}

/// Whether a URL's path or query holds an encoded NUL (`%00`).
fn has_encoded_nul(text: &str) -> bool {
    text.as_bytes().windows(3).any(|window| window == b"%00")
}

/// A path parameter whose errors are [`ApiError`]s: an id that is not a number names no
/// resource, so it is a 404 like any other missing one.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if has_encoded_nul(parts.uri.path()) {
            return Err(ApiError::bad_request(NUL_MESSAGE));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(_) => Err(ApiError::NotFound),
        }
    }
}

/// Query parameters whose errors are [`ApiError`]s (a JSON 400 naming the parameter).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(has_encoded_nul) {
            return Err(ApiError::bad_request(NUL_MESSAGE));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}

/// A time column (Unix milliseconds) as RFC 3339, as the API shows times.
pub use crate::clock::timestamp;

/// An RFC 3339 time from a query parameter, as Unix milliseconds.
pub fn parse_timestamp(text: &str) -> Result<i64, ApiError> {
    crate::clock::parse_timestamp(text).map_err(|error| match error {
        crate::clock::ParseError::NotRfc3339 => {
            ApiError::bad_request(format!("'{text}' is not an RFC 3339 time such as 2026-01-31T12:00:00Z"))
        }
        crate::clock::ParseError::OutOfRange => ApiError::bad_request("time out of range"),
    })
}

/// An answer of the API's types (`rampart_api`), written with its keys in alphabetical order
/// as every answer of the API is: it goes through `serde_json::Value`, whose maps are sorted,
/// as the answers once built with `json!` were, so the bytes on the wire stayed the same.
pub struct Answer<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Answer<T> {
    fn into_response(self) -> Response {
        match serde_json::to_value(&self.0) {
            Ok(value) => Json(value).into_response(),
            Err(error) => ApiError::Internal(Box::new(error)).into_response(),
        }
    }
}

/// Counts per severity (stored critical first) as the API shows them.
pub fn counts(counts: &[i64; 5]) -> rampart_api::Counts {
    let [critical, high, medium, low, info] = *counts;
    rampart_api::Counts { critical, high, medium, low, info }
}

pub fn counts_json(stored: &[i64; 5]) -> serde_json::Value {
    json!(counts(stored))
}

/// A finding's object as the API shows it (`namespace` null for cluster-scoped objects).
pub fn resource(kind: &str, namespace: &str, name: &str) -> rampart_api::Resource {
    rampart_api::Resource {
        kind: kind.to_string(),
        namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
        name: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_times_are_rfc3339_or_a_bad_request() {
        assert_eq!(parse_timestamp("2023-11-14T22:13:20.123Z").unwrap(), 1_700_000_000_123);
        assert!(
            matches!(parse_timestamp("yesterday"), Err(ApiError::BadRequest(message)) if message.contains("RFC 3339"))
        );
    }
}
