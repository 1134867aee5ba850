//! Black-box tests of `POST /api/v1/me/password` on both backends, over real HTTP: the
//! current password is required, the new one is held to the rules of new accounts, cookie
//! writes need the CSRF token, and the change ends the user's other sessions while the one
//! that made it stays logged in.

use crate::support::app;

use app::{spawn_app, Backend, TestApp};
use rampart::store::accounts::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

const EMAIL: &str = "ana@example.com";
const OLD: &str = "correct horse battery";
const NEW: &str = "staple tracks the horse";

/// A logged-in browser: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn login(app: &TestApp, password: &str) -> Result<Browser, StatusCode> {
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "email": EMAIL, "password": password }))
        .send()
        .await
        .unwrap();
    if response.status() != StatusCode::CREATED {
        return Err(response.status());
    }
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    Ok(Browser { cookie, csrf: body["csrf_token"].as_str().unwrap().to_string() })
}

async fn me(app: &TestApp, browser: &Browser) -> StatusCode {
    app.client.get(app.url("/api/v1/me")).header("cookie", &browser.cookie).send().await.unwrap().status()
}

/// `POST /me/password` from a browser, with its CSRF token when `csrf` is true.
async fn change(app: &TestApp, browser: &Browser, csrf: bool, body: &Value) -> (StatusCode, Value) {
    let mut request = app.client.post(app.url("/api/v1/me/password")).header("cookie", &browser.cookie).json(body);
    if csrf {
        request = request.header("x-csrf-token", &browser.csrf);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

async fn password_changes_end_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let user_id = app.store.create_user(EMAIL, Some(OLD), false).await.unwrap();
    let team_id = app.store.ensure_team("red").await.unwrap();
    app.store.set_membership(team_id, user_id, Role::Editor).await.unwrap();
    let laptop = login(&app, OLD).await.unwrap();
    let phone = login(&app, OLD).await.unwrap();
    let body = json!({ "current_password": OLD, "new_password": NEW });

    // A cookie write without the CSRF token is refused before anything else.
    let (status, answer) = change(&app, &laptop, false, &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("X-CSRF-Token"), "{answer}");

    // The current password must be right; the new one follows the rules of new accounts.
    let (status, answer) =
        change(&app, &laptop, true, &json!({ "current_password": "not it", "new_password": NEW })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(answer["error"], "the current password is wrong");
    let (status, answer) =
        change(&app, &laptop, true, &json!({ "current_password": OLD, "new_password": "short" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("at least 8 characters"), "{answer}");
    let (status, answer) = change(&app, &laptop, true, &json!({ "current_password": OLD, "new_password": OLD })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("current one"), "{answer}");
    let (status, answer) = change(&app, &laptop, true, &json!({ "password": NEW })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["error"].is_string(), "{answer}");
    let huge = "x".repeat(rampart::http::sessions::MAX_PASSWORD + 1);
    let (status, answer) = change(&app, &laptop, true, &json!({ "current_password": OLD, "new_password": huge })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("at most"), "{answer}");
    // Nothing changed so far: both browsers are still in, the old password still works.
    assert_eq!((me(&app, &laptop).await, me(&app, &phone).await), (StatusCode::OK, StatusCode::OK));

    let (status, answer) = change(&app, &laptop, true, &body).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    assert_eq!(me(&app, &laptop).await, StatusCode::OK, "the session that changed it stays");
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED, "other sessions end");
    assert!(app.store.password_hash(user_id).await.unwrap().unwrap().starts_with("$argon2id$"));
    assert_eq!(login(&app, OLD).await.err(), Some(StatusCode::UNAUTHORIZED));
    let again = login(&app, NEW).await.unwrap();
    assert_eq!(me(&app, &again).await, StatusCode::OK);

    // Through an API token there is no session to keep: every session ends.
    let token = app.store.create_token(user_id, "script").await.unwrap().1;
    let response = app
        .client
        .post(app.url("/api/v1/me/password"))
        .bearer_auth(&token)
        .json(&json!({ "current_password": NEW, "new_password": OLD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!((me(&app, &laptop).await, me(&app, &again).await), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert!(login(&app, OLD).await.is_ok());

    // An account without a password (tokens only) has none to change.
    let bo = app.user("bo@example.com", "red", Role::Viewer).await;
    let (status, answer) =
        app.post(&bo, "/api/v1/me/password", &json!({ "current_password": "anything", "new_password": NEW })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(answer["error"].as_str().unwrap().contains("no password"), "{answer}");

    // Wrong current passwords count as failed logins of the account.
    for _ in 0..rampart::http::sessions::LOGIN_ATTEMPTS {
        let (status, _) =
            app.post(&token, "/api/v1/me/password", &json!({ "current_password": "guess", "new_password": NEW })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, answer) =
        app.post(&token, "/api/v1/me/password", &json!({ "current_password": OLD, "new_password": NEW })).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert_eq!(login(&app, OLD).await.err(), Some(StatusCode::TOO_MANY_REQUESTS));
}

/// Concurrent wrong passwords for one account: each attempt is counted before its password
/// is hashed, so no more than the limit are checked, whatever arrives at once; the rest are
/// 429 with Retry-After, and then so is the right password.
async fn concurrent_wrong_passwords_check_at_most_the_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.store.create_user(EMAIL, Some(OLD), false).await.unwrap();
    // 25 at once: more than the account's limit (10), fewer than the address's (30 a minute).
    let attempts = 25;
    let guesses: Vec<_> = (0..attempts)
        .map(|guess| {
            let request = app
                .client
                .post(app.url("/api/v1/session"))
                .json(&json!({ "email": EMAIL, "password": format!("guess number {guess}") }));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status(), response.headers().get("retry-after").is_some())
            })
        })
        .collect();
    let (mut checked, mut refused) = (0, 0);
    for guess in guesses {
        match guess.await.unwrap() {
            (StatusCode::UNAUTHORIZED, _) => checked += 1,
            (StatusCode::TOO_MANY_REQUESTS, retry_after) => {
                assert!(retry_after, "a 429 says when to come back");
                refused += 1;
            }
            (status, _) => panic!("unexpected {status}"),
        }
    }
    assert!(checked <= rampart::http::sessions::LOGIN_ATTEMPTS as usize, "{checked} passwords were checked");
    assert!(checked > 0);
    assert_eq!(checked + refused, attempts);
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "email": EMAIL, "password": OLD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "the account is locked, even to its password");
    let answer: Value = response.json().await.unwrap();
    assert!(answer["error"].as_str().unwrap().contains("for this account"), "{answer}");

    // Other accounts from the same address: allowed up to 30 attempts a minute in all.
    let mut statuses = Vec::new();
    for other in 0..6 {
        let response = app
            .client
            .post(app.url("/api/v1/session"))
            .json(&json!({ "email": format!("other{other}@example.com"), "password": "a guess" }))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap();
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert!(answer["error"].as_str().unwrap().contains("from this address"), "{answer}");
        }
        statuses.push(status);
    }
    assert_eq!(statuses[..4], [StatusCode::UNAUTHORIZED; 4], "attempts 27 to 30 of the minute");
    assert_eq!(statuses[4..], [StatusCode::TOO_MANY_REQUESTS; 2], "attempts 31 and 32");
}

on_both_backends!(password_changes_end_other_sessions, concurrent_wrong_passwords_check_at_most_the_limit);
