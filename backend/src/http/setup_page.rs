//! `/setup`: the page behind the one-time link `rampart serve` prints when no user exists.
//! A plain HTML form rendered by the server (no script, so it works before the web app is
//! built and under the strict Content-Security-Policy); posting it creates the first admin
//! exactly as `POST /api/v1/setup` does.

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

/// `&`, `<`, `>`, `"` and `'` as entities: text and attribute values in the page.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Rampart</title></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; \
         line-height: 1.5\"><h1 style=\"font-size: 1.4rem\">{title}</h1>{body}</body></html>\n"
    )
}

fn form(token: &str, email: &str, error: Option<&str>) -> String {
    let error = error
        .map(|message| format!("<p role=\"alert\" style=\"color: #b00020\">{}</p>", escape(message)))
        .unwrap_or_default();
    let field = "display: block; width: 100%; padding: 0.4rem; margin: 0.2rem 0 0.8rem; box-sizing: border-box";
    layout(
        "Create the first admin",
        &format!(
            "<p>No user exists yet. The account made here is a global admin and the admin of the team \
             <em>default</em>.</p>{error}\
             <form method=\"post\" action=\"/setup\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <label for=\"email\">Email</label>\
             <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"username\" value=\"{email}\" \
             style=\"{field}\">\
             <label for=\"password\">Password (at least {min} characters)</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required minlength=\"{min}\" \
             autocomplete=\"new-password\" style=\"{field}\">\
             <button type=\"submit\" style=\"padding: 0.5rem 1rem\">Create admin</button></form>",
            token = escape(token),
            email = escape(email),
            min = super::users::MIN_PASSWORD,
        ),
    )
}

async fn page(State(state): State<AppState>, Query(query): Query<PageQuery>) -> Response {
    let pending = state.setup_token.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).is_some();
    if !pending {
        return done_page(StatusCode::NOT_FOUND, "Setup is done: log in with your account, or ask an admin.");
    }
    Html(form(&query.token, "", None)).into_response()
}

async fn submit(State(state): State<AppState>, Form(form_data): Form<SetupForm>) -> Response {
    match create_first_admin(&state, &form_data.token, &form_data.email, &form_data.password).await {
        Ok(_) => done_page(
            StatusCode::CREATED,
            "The admin account exists: log in with it. Add people with POST /api/v1/users or \
             `rampart admin create-user`.",
        ),
        Err(ApiError::BadRequest(message)) => {
            (StatusCode::BAD_REQUEST, Html(form(&form_data.token, &form_data.email, Some(&message)))).into_response()
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
    (status, Html(layout("Rampart setup", &format!("<p>{}</p><p><a href=\"/\">Rampart</a></p>", escape(message)))))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert!(form("\"><script>", "", None).contains("value=\"&quot;&gt;&lt;script&gt;\""));
    }
}
