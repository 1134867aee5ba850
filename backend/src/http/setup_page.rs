//! `/setup`: the page behind the one-time link `rampart serve` prints when no user exists.
//! A plain HTML form rendered by the server (no script, so it works before the web app is
//! built and under the strict Content-Security-Policy); posting it creates the first admin
//! exactly as `POST /api/v1/setup` does.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::users::create_first_admin;
use super::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/setup", get(page).post(submit))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default)]
    token: String,
}

#[derive(Debug, Deserialize)]
struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// The page: the form (with the last error, if any) or a message once setup is over.
/// Askama escapes every value for HTML.
#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    title: &'a str,
    form: Option<FormValues<'a>>,
    message: &'a str,
    min_password: usize,
}

struct FormValues<'a> {
    token: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

fn render(status: StatusCode, page: SetupPage<'_>) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}

fn form(status: StatusCode, token: &str, email: &str, error: Option<&str>) -> Response {
    render(
        status,
        SetupPage {
            title: "Create the first admin",
            form: Some(FormValues { token, email, error }),
            message: "",
            min_password: super::users::MIN_PASSWORD,
        },
    )
}

async fn page(State(state): State<AppState>, Query(query): Query<PageQuery>) -> Response {
    let pending = state.setup_token.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).is_some();
    if !pending {
        return done_page(StatusCode::NOT_FOUND, "Setup is done: log in with your account, or ask an admin.");
    }
    form(StatusCode::OK, &query.token, "", None)
}

async fn submit(State(state): State<AppState>, Form(form_data): Form<SetupForm>) -> Response {
    match create_first_admin(&state, &form_data.token, &form_data.email, &form_data.password).await {
        Ok(_) => done_page(
            StatusCode::CREATED,
            "The admin account exists: log in with it. Add people with POST /api/v1/users or \
             `rampart admin create-user`.",
        ),
        Err(ApiError::BadRequest(message)) => {
            form(StatusCode::BAD_REQUEST, &form_data.token, &form_data.email, Some(&message))
        }
        Err(ApiError::Forbidden(_)) => done_page(
            StatusCode::FORBIDDEN,
            "This setup link is spent or wrong: restart `rampart serve` with an empty database for a new one, or \
             use `rampart admin create-user EMAIL --admin --password-stdin`.",
        ),
        Err(other) => other.into_response(),
    }
}

fn done_page(status: StatusCode, message: &str) -> Response {
    render(status, SetupPage { title: "Rampart setup", form: None, message, min_password: super::users::MIN_PASSWORD })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let page = SetupPage {
            title: "Create the first admin",
            form: Some(FormValues { token: "\"><script>", email: "a@b", error: Some("<b>no</b>") }),
            message: "",
            min_password: 12,
        };
        let html = page.render().unwrap();
        assert!(html.contains("value=\"&#34;&#62;&#60;script&#62;\""), "{html}");
        assert!(html.contains("&#60;b&#62;no&#60;/b&#62;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }
}
