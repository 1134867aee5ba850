//! Single sign-on end to end, on both backends: the server signs people in through a real
//! OIDC provider on loopback (`support/oidc_provider.rs`, real RS256-signed tokens), maps
//! their groups to teams at every sign-in, and refuses what it must: a wrong audience, an
//! expired token, a bad signature, a replayed state, a wrong nonce, a key id it cannot find
//! (then accepts the rotated key once published). Password login is turned off here.

use std::time::Duration;

use rampart::mail::MailSettings;
use rampart::oidc::{parse_group_map, OidcSettings};
use reqwest::header;
use secrecy::SecretString;
use serde_json::json;

use super::app::{spawn_app_configured, Backend, TestApp};
use super::oidc_provider::{Provider, CLIENT_ID, CLIENT_SECRET};
use super::{StatusCode, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Starts a sign-in: where the server sends the browser.
async fn start(app: &TestApp, next: &str) -> String {
    let response = client().get(app.url(&format!("/api/v1/oidc/login?next={next}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::LOCATION].to_str().unwrap().to_string()
}

/// The provider's answer back at the server: the session cookie and where it goes on, or
/// the reason the server gave.
async fn callback(app: &TestApp, query: &str) -> Result<(String, String), String> {
    let response = client().get(app.url(&format!("/api/v1/oidc/callback?{query}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_string();
    if let Some(reason) = location.strip_prefix("/login?sso_error=") {
        assert!(response.headers().get(header::SET_COOKIE).is_none(), "a refused sign-in opens no session");
        return Err(reqwest::Url::parse(&format!("http://x/?e={reason}"))
            .unwrap()
            .query_pairs()
            .next()
            .unwrap()
            .1
            .into_owned());
    }
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"), "{cookie}");
    Ok((cookie.split(';').next().unwrap().to_string(), location))
}

/// A whole sign-in of a user with these claims.
async fn sign_in(app: &TestApp, provider: &Provider, claims: Value) -> Result<(String, String), String> {
    let authorization = start(app, "/clusters").await;
    callback(app, &provider.authorize(&authorization, claims)).await
}

async fn me(app: &TestApp, cookie: &str) -> Value {
    let response = app.client.get(app.url("/api/v1/me")).header(header::COOKIE, cookie).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn roles(me: &Value) -> Vec<(String, String)> {
    let mut roles: Vec<(String, String)> = me["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|team| (team["name"].as_str().unwrap().to_string(), team["role"].as_str().unwrap().to_string()))
        .collect();
    roles.sort();
    roles
}

fn ana(groups: &[&str]) -> Value {
    json!({ "sub": "ana-1", "email": "ana@example.com", "email_verified": true, "groups": groups })
}

async fn single_sign_on(backend: Backend) {
    let provider = Provider::start().await;
    let issuer = provider.issuer.clone();
    let app = spawn_app_configured(backend, &MailSettings::default(), move |settings| {
        settings.password_login = false;
        settings.oidc = Some(OidcSettings {
            issuer,
            client_id: CLIENT_ID.to_string(),
            client_secret: Some(SecretString::from(CLIENT_SECRET)),
            scopes: vec!["openid".into(), "email".into(), "groups".into()],
            groups_claim: "groups".into(),
            group_map: parse_group_map("k8s-admins=platform:admin,k8s-devs=platform:editor,auditors=audit:viewer")
                .unwrap(),
            redirect_uri: "http://rampart.test/api/v1/oidc/callback".into(),
            clock_skew: Duration::from_secs(60),
            jwks_refresh: Duration::ZERO,
        });
    })
    .await;

    let (status, methods) = app.get("", "/api/v1/auth/methods").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(methods, json!({ "password": false, "oidc": true }));
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({ "email": "ana@example.com", "password": "whatever it is" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "password login is off");

    // A first sign-in creates the user, with the teams its groups give.
    let (cookie, location) = sign_in(&app, &provider, ana(&["k8s-devs", "auditors", "unmapped"])).await.unwrap();
    assert_eq!(location, "/clusters");
    let profile = me(&app, &cookie).await;
    assert_eq!(profile["email"], "ana@example.com");
    assert_eq!(roles(&profile), [("audit".into(), "viewer".into()), ("platform".into(), "editor".into())]);

    // The mapping applies at each sign-in: promoted in one team, out of the other.
    let authorization = start(&app, "/clusters/7").await;
    let answer = provider.authorize(&authorization, ana(&["k8s-admins", "k8s-devs"]));
    let (cookie, location) = callback(&app, &answer).await.unwrap();
    assert_eq!(location, "/clusters/7");
    let again = me(&app, &cookie).await;
    assert_eq!(again["id"], profile["id"], "the same identity is the same user");
    assert_eq!(roles(&again), [("platform".into(), "admin".into())]);

    // The same answer again: its state was used.
    let error = callback(&app, &answer).await.unwrap_err();
    assert!(error.contains("expired or was already used"), "{error}");
    // A state the server never gave.
    let error = callback(&app, "code=x&state=0123456789abcdef0123456789abcdef").await.unwrap_err();
    assert!(error.contains("expired or was already used"), "{error}");

    let mut wrong_audience = ana(&[]);
    wrong_audience["aud"] = json!("someone-else");
    let error = sign_in(&app, &provider, wrong_audience).await.unwrap_err();
    assert!(error.contains("not this client"), "{error}");

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut expired = ana(&[]);
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    let error = sign_in(&app, &provider, expired).await.unwrap_err();
    assert!(error.contains("expired"), "{error}");
    // Expired by less than the allowed skew: accepted.
    let mut nearly = ana(&["k8s-admins"]);
    nearly["exp"] = json!(now - 10);
    sign_in(&app, &provider, nearly).await.unwrap();

    let mut wrong_nonce = ana(&[]);
    wrong_nonce["nonce"] = json!("not-the-one-sent");
    let error = sign_in(&app, &provider, wrong_nonce).await.unwrap_err();
    assert!(error.contains("nonce"), "{error}");

    // Signed by another key than the one its kid names.
    provider.sign_with("key1", "key3");
    let error = sign_in(&app, &provider, ana(&[])).await.unwrap_err();
    assert!(error.contains("signature does not verify"), "{error}");

    // A key id the JWKS does not have: fetched again, still missing, refused.
    provider.sign_with("key2", "key2");
    let fetches = provider.jwks_fetches();
    let error = sign_in(&app, &provider, ana(&[])).await.unwrap_err();
    assert!(error.contains("no key 'key2'"), "{error}");
    assert_eq!(provider.jwks_fetches(), fetches + 1, "an unknown kid fetches the JWKS again");
    // The provider rotates: key2 published, the same sign-in now passes.
    provider.publish(&["key1", "key2"]);
    let (cookie, _) = sign_in(&app, &provider, ana(&["auditors"])).await.unwrap();
    assert_eq!(roles(&me(&app, &cookie).await), [("audit".into(), "viewer".into())]);
    // Known keys are not fetched again.
    let fetches = provider.jwks_fetches();
    sign_in(&app, &provider, ana(&["auditors"])).await.unwrap();
    assert_eq!(provider.jwks_fetches(), fetches);

    // The provider's own refusal comes back as the reason.
    let authorization = start(&app, "/clusters").await;
    let state = reqwest::Url::parse(&authorization)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let error = callback(&app, &format!("error=access_denied&error_description=not+allowed&state={state}")).await;
    assert!(error.unwrap_err().contains("access_denied: not allowed"));

    // An identity without an email cannot become a user.
    let error = sign_in(&app, &provider, json!({ "sub": "no-email" })).await.unwrap_err();
    assert!(error.contains("no email"), "{error}");

    // Starting sign-ins counts against the address's login attempts, as password logins
    // do: past the limit (30 a minute by default) a start is refused and stores nothing.
    let mut refused = None;
    for _ in 0..=rampart::limits::ServerLimits::default().logins_per_address {
        let response = client().get(app.url("/api/v1/oidc/login")).send().await.unwrap();
        if response.status() != StatusCode::SEE_OTHER {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a burst of sign-in starts from one address is limited");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
}

on_both_backends!(single_sign_on);
