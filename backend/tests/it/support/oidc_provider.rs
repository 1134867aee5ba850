//! A small OpenID Connect provider for tests: real HTTP on 127.0.0.1 (discovery, JWKS, the
//! token endpoint) and real RS256-signed ID tokens, from three fixed RSA keys
//! (`oidc/key{1,2,3}.pem`, made for these tests only). The test plays the user at the
//! authorization endpoint: [`Provider::authorize`] reads the URL the server sent the browser
//! to, checks it, and answers a code for the claims the test chooses. Which key signs, under
//! which key id, and which keys the JWKS publishes are the test's to change (rotation).

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RsaPublicKeyComponents, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "rampart-test";
pub const CLIENT_SECRET: &str = "test-client-secret";

const KEYS: [(&str, &str); 3] = [
    ("key1", include_str!("oidc/key1.pem")),
    ("key2", include_str!("oidc/key2.pem")),
    ("key3", include_str!("oidc/key3.pem")),
];

struct Grant {
    claims: Value,
    challenge: String,
    redirect_uri: String,
}

struct Inner {
    issuer: String,
    keys: HashMap<&'static str, RsaKeyPair>,
    /// Key names the JWKS publishes (each under its own name as `kid`).
    published: Vec<&'static str>,
    /// `(kid written in the header, key that signs)`.
    signing: (String, &'static str),
    grants: HashMap<String, Grant>,
    jwks_fetches: usize,
    tokens_issued: usize,
}

#[derive(Clone)]
pub struct Provider {
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

fn key_pair(pem_text: &str) -> RsaKeyPair {
    let der = pem::parse(pem_text).expect("a PEM key").into_contents();
    RsaKeyPair::from_pkcs8(&der).expect("a PKCS#8 RSA key")
}

impl Provider {
    /// Starts the provider: key1 signs and is the one published.
    pub async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            issuer: issuer.clone(),
            keys: KEYS.iter().map(|(name, pem_text)| (*name, key_pair(pem_text))).collect(),
            published: vec!["key1"],
            signing: ("key1".to_string(), "key1"),
            grants: HashMap::new(),
            jwks_fetches: 0,
            tokens_issued: 0,
        }));
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Provider { issuer, inner }
    }

    /// Publishes these keys in the JWKS.
    pub fn publish(&self, keys: &[&'static str]) {
        self.inner.lock().unwrap().published = keys.to_vec();
    }

    /// Signs the next tokens with `key`, naming `kid` in their header.
    pub fn sign_with(&self, kid: &str, key: &'static str) {
        self.inner.lock().unwrap().signing = (kid.to_string(), key);
    }

    pub fn jwks_fetches(&self) -> usize {
        self.inner.lock().unwrap().jwks_fetches
    }

    pub fn tokens_issued(&self) -> usize {
        self.inner.lock().unwrap().tokens_issued
    }

    /// What a provider's login page does: checks the authorization request the server sent
    /// the browser with, and answers the callback's query (`code` and `state`) for a user
    /// with these claims (over the defaults: the issuer, this client, valid for an hour, the
    /// request's nonce).
    pub fn authorize(&self, authorization_url: &str, claims: Value) -> String {
        let url = reqwest::Url::parse(authorization_url).expect("an authorization URL");
        assert!(authorization_url.starts_with(&format!("{}/authorize?", self.issuer)), "{authorization_url}");
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], CLIENT_ID);
        assert_eq!(query["code_challenge_method"], "S256");
        assert!(query["scope"].split(' ').any(|scope| scope == "openid"), "{}", query["scope"]);
        assert!(query["state"].len() >= 32 && query["nonce"].len() >= 32, "{query:?}");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let mut all = json!({
            "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 3600, "nonce": query["nonce"],
        });
        for (key, value) in claims.as_object().expect("claims are an object") {
            all[key] = value.clone();
        }
        let code = format!("code-{}", rampart::secrets::random_hex(8));
        self.inner.lock().unwrap().grants.insert(
            code.clone(),
            Grant {
                claims: all,
                challenge: query["code_challenge"].clone(),
                redirect_uri: query["redirect_uri"].clone(),
            },
        );
        format!("code={code}&state={}", query["state"])
    }
}

async fn discovery(State(inner): State<Arc<Mutex<Inner>>>) -> Json<Value> {
    let issuer = inner.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(inner): State<Arc<Mutex<Inner>>>) -> Json<Value> {
    let mut inner = inner.lock().unwrap();
    inner.jwks_fetches += 1;
    let keys: Vec<Value> = inner
        .published
        .iter()
        .map(|name| {
            let public: RsaPublicKeyComponents<Vec<u8>> = inner.keys[name].public().into();
            json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": name,
                "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e),
            })
        })
        .collect();
    Json(json!({ "keys": keys }))
}

async fn token(
    State(inner): State<Arc<Mutex<Inner>>>,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let refuse = |error: &str, description: &str| {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": error, "error_description": description })))
    };
    let mut inner = inner.lock().unwrap();
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("unsupported_grant_type", "expected authorization_code");
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return refuse("invalid_client", "wrong client credentials");
    }
    // A code is good once.
    let Some(grant) = form.get("code").and_then(|code| inner.grants.remove(code)) else {
        return refuse("invalid_grant", "unknown or used code");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return refuse("invalid_grant", "PKCE verification failed");
    }
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return refuse("invalid_grant", "redirect_uri differs from the authorization request's");
    }
    let (kid, key) = inner.signing.clone();
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "RS256", "typ": "JWT", "kid": kid }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(grant.claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let key_pair = &inner.keys[key];
    let mut signature = vec![0u8; key_pair.public().modulus_len()];
    key_pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signing_input.as_bytes(), &mut signature).unwrap();
    inner.tokens_issued += 1;
    let id_token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&signature));
    (StatusCode::OK, Json(json!({ "access_token": "opaque", "token_type": "Bearer", "id_token": id_token })))
}
