//! Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE.
//!
//! [`Oidc`] reads the provider's discovery document (`{issuer}/.well-known/openid-configuration`),
//! sends the browser to its authorization endpoint with a one-time `state`, a `nonce` and a
//! PKCE challenge (S256), exchanges the code it returns for tokens, and checks the ID token:
//! RS256 only, signed by a key of the provider's JWKS (fetched again when a token names a key
//! id it does not know, so keys rotate without a restart), issued by the issuer, for this
//! client (`aud`, and `azp` when there are several audiences), not expired and not issued in
//! the future beyond [`OidcSettings::clock_skew`], and carrying the nonce of this sign-in.
//!
//! Groups come from a claim of the ID token (`groups` unless configured otherwise) and map to
//! team roles ([`GroupMapping`]); the mapping is applied at every sign-in by the HTTP layer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::secrets::random_hex;
use crate::store::accounts::Role;
pub use crate::store::oidc::{Identity, Pending};

/// How a group of the provider maps to a team and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMapping {
    pub group: String,
    pub team: String,
    pub role: Role,
}

/// A whole mapping, as `--oidc-group-map` takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupMap(pub Vec<GroupMapping>);

impl GroupMap {
    pub fn parse(text: &str) -> Result<GroupMap, String> {
        parse_group_map(text).map(GroupMap)
    }
}

/// `group=team:role` pairs separated by commas (`platform-admins=platform:admin,
/// auditors=platform:viewer`); a group may map to several teams.
pub fn parse_group_map(text: &str) -> Result<Vec<GroupMapping>, String> {
    let mut mappings = Vec::new();
    for item in text.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        let parsed = item.rsplit_once('=').and_then(|(group, target)| {
            let (team, role) = target.rsplit_once(':')?;
            let role = Role::parse(role.trim())?;
            let (group, team) = (group.trim(), team.trim());
            (!group.is_empty() && !team.is_empty()).then(|| GroupMapping {
                group: group.to_string(),
                team: team.to_string(),
                role,
            })
        });
        match parsed {
            Some(mapping) => mappings.push(mapping),
            None => {
                return Err(format!(
                    "'{item}' is not GROUP=TEAM:ROLE (ROLE is viewer, editor or admin), such as \
                     platform-admins=platform:admin"
                ))
            }
        }
    }
    Ok(mappings)
}

/// For every team the mapping names, the highest role the groups give there (`None`: the
/// user is in none of that team's groups, and leaves the team).
pub fn team_roles(mappings: &[GroupMapping], groups: &[String]) -> Vec<(String, Option<Role>)> {
    let mut teams: Vec<(String, Option<Role>)> = Vec::new();
    for mapping in mappings {
        let granted = groups.contains(&mapping.group).then_some(mapping.role);
        match teams.iter_mut().find(|(team, _)| *team == mapping.team) {
            Some((_, role)) => *role = (*role).max(granted),
            None => teams.push((mapping.team.clone(), granted)),
        }
    }
    teams
}

/// The provider and how to use it (from `rampart serve`'s `--oidc-*` settings).
#[derive(Clone, Debug)]
pub struct OidcSettings {
    /// The issuer URL exactly as the provider's tokens name it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// Scopes asked for; `openid` is always among them.
    pub scopes: Vec<String>,
    /// The ID token's claim that lists the user's groups.
    pub groups_claim: String,
    pub group_map: Vec<GroupMapping>,
    /// Where the provider sends the browser back: `{public URL}/api/v1/oidc/callback`.
    pub redirect_uri: String,
    /// How far the provider's clock may be from ours.
    pub clock_skew: Duration,
    /// The least time between two fetches of the JWKS for an unknown key id.
    pub jwks_refresh: Duration,
}

impl OidcSettings {
    pub const DEFAULT_SKEW: Duration = Duration::from_secs(60);
    pub const DEFAULT_JWKS_REFRESH: Duration = Duration::from_secs(10);
}

/// Why a sign-in through the provider failed. The messages are for the person signing in
/// and the log; none carries a token.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered something unusable.
    #[error("the identity provider at {url} failed: {message}")]
    Provider { url: String, message: String },
    /// The provider refused the code (its `error` and `error_description`).
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    /// The ID token did not pass a check.
    #[error("the ID token was refused: {0}")]
    Token(String),
}

fn token_error(message: impl Into<String>) -> OidcError {
    OidcError::Token(message.into())
}

/// What discovery says of the provider.
#[derive(Clone, Debug, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// An RSA public key of the JWKS.
#[derive(Clone, Debug)]
struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

#[derive(Debug, Default)]
struct Keys {
    by_id: HashMap<String, RsaKey>,
    /// Keys without a `kid`, used when a token names none.
    anonymous: Vec<RsaKey>,
    fetched: Option<Instant>,
}

/// The provider's client: discovery and keys are fetched when first needed and kept.
#[derive(Debug)]
pub struct Oidc {
    pub settings: OidcSettings,
    http: reqwest::Client,
    metadata: Mutex<Option<Metadata>>,
    keys: Mutex<Keys>,
}

/// The PKCE S256 challenge of a verifier.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The answer of the token endpoint.
#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Oidc {
    pub fn new(settings: OidcSettings) -> Result<Oidc, OidcError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| OidcError::Provider { url: settings.issuer.clone(), message: error.to_string() })?;
        Ok(Oidc { settings, http, metadata: Mutex::new(None), keys: Mutex::new(Keys::default()) })
    }

    async fn get_json(&self, url: &str) -> Result<Value, OidcError> {
        let failed = |message: String| OidcError::Provider { url: url.to_string(), message };
        let response = self.http.get(url).send().await.map_err(|error| failed(error.to_string()))?;
        if !response.status().is_success() {
            return Err(failed(format!("HTTP {}", response.status())));
        }
        response.json().await.map_err(|error| failed(format!("not JSON: {error}")))
    }

    async fn metadata(&self) -> Result<Metadata, OidcError> {
        let mut cached = self.metadata.lock().await;
        if let Some(metadata) = cached.as_ref() {
            return Ok(metadata.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer.trim_end_matches('/'));
        let document = self.get_json(&url).await?;
        let metadata: Metadata = serde_json::from_value(document)
            .map_err(|error| OidcError::Provider { url: url.clone(), message: format!("discovery: {error}") })?;
        if metadata.issuer != self.settings.issuer {
            return Err(OidcError::Provider {
                url,
                message: format!(
                    "the discovery document names the issuer '{}', not '{}': set the issuer exactly as the provider \
                     writes it",
                    metadata.issuer, self.settings.issuer
                ),
            });
        }
        *cached = Some(metadata.clone());
        Ok(metadata)
    }

    /// A new sign-in: the URL to send the browser to, and what the callback must match.
    pub async fn begin(&self) -> Result<(String, Pending), OidcError> {
        let metadata = self.metadata().await?;
        let pending = Pending { state: random_hex(24), nonce: random_hex(24), code_verifier: random_hex(32) };
        let mut scopes = vec!["openid".to_string()];
        scopes.extend(self.settings.scopes.iter().filter(|scope| *scope != "openid").cloned());
        let mut url = reqwest::Url::parse(&metadata.authorization_endpoint).map_err(|error| OidcError::Provider {
            url: metadata.authorization_endpoint.clone(),
            message: error.to_string(),
        })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.settings.redirect_uri)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &code_challenge(&pending.code_verifier))
            .append_pair("code_challenge_method", "S256");
        Ok((url.to_string(), pending))
    }

    /// Exchanges the code for tokens and checks the ID token against the sign-in.
    pub async fn finish(&self, code: &str, pending: &Pending, now: i64) -> Result<Identity, OidcError> {
        let metadata = self.metadata().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.settings.redirect_uri.as_str()),
            ("code_verifier", pending.code_verifier.as_str()),
            ("client_id", self.settings.client_id.as_str()),
        ];
        let secret = self.settings.client_secret.as_ref().map(|secret| secret.expose_secret().to_string());
        if let Some(secret) = &secret {
            form.push(("client_secret", secret.as_str()));
        }
        let url = metadata.token_endpoint.clone();
        let failed = |message: String| OidcError::Provider { url: url.clone(), message };
        let response = self.http.post(&url).form(&form).send().await.map_err(|error| failed(error.to_string()))?;
        let status = response.status();
        let answer: TokenAnswer =
            response.json().await.map_err(|error| failed(format!("HTTP {status}, not JSON: {error}")))?;
        if let Some(error) = answer.error {
            let description = answer.error_description.map(|text| format!(" ({text})")).unwrap_or_default();
            return Err(OidcError::Refused(format!("{error}{description}")));
        }
        let id_token = answer.id_token.ok_or_else(|| failed(format!("HTTP {status} without an id_token")))?;
        self.verify(&id_token, &pending.nonce, now).await
    }

    /// Checks an ID token: signature, issuer, audience, times and nonce. `now` in Unix
    /// milliseconds.
    pub async fn verify(&self, token: &str, nonce: &str, now: i64) -> Result<Identity, OidcError> {
        let metadata = self.metadata().await?;
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(token_error("not a signed JWT (three dot-separated parts)"));
        };
        let header: Value = decode_json(header).ok_or_else(|| token_error("unreadable header"))?;
        if header["alg"] != "RS256" {
            return Err(token_error(format!("algorithm {} is not accepted: only RS256", header["alg"])));
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| token_error("unreadable signature"))?;
        let signed = &token[..header_and_payload_len(token)];
        let key = self.key(&metadata, header["kid"].as_str()).await?;
        let public = ring::signature::RsaPublicKeyComponents { n: &key.n, e: &key.e };
        public
            .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
            .map_err(|_| token_error("the signature does not verify with the provider's key"))?;
        let claims: Value = decode_json(payload).ok_or_else(|| token_error("unreadable claims"))?;
        check_claims(&claims, &metadata.issuer, &self.settings.client_id, nonce, now, self.settings.clock_skew)?;
        let subject = claims["sub"].as_str().filter(|sub| !sub.is_empty()).ok_or_else(|| token_error("no sub"))?;
        let groups = match &claims[self.settings.groups_claim.as_str()] {
            Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Value::String(group) => vec![group.clone()],
            _ => Vec::new(),
        };
        Ok(Identity {
            issuer: metadata.issuer,
            subject: subject.to_string(),
            email: claims["email"].as_str().map(str::to_string),
            email_verified: claims["email_verified"] == Value::Bool(true) || claims["email_verified"] == "true",
            groups,
        })
    }

    /// The key a token names: from the keys fetched, else from the JWKS fetched again (at
    /// most once per `jwks_refresh`), so a rotated key is picked up.
    async fn key(&self, metadata: &Metadata, kid: Option<&str>) -> Result<RsaKey, OidcError> {
        let mut keys = self.keys.lock().await;
        if let Some(key) = find_key(&keys, kid) {
            return Ok(key);
        }
        let may_fetch = keys.fetched.is_none_or(|at| at.elapsed() >= self.settings.jwks_refresh);
        if may_fetch {
            let document = self.get_json(&metadata.jwks_uri).await?;
            *keys = parse_jwks(&document);
            keys.fetched = Some(Instant::now());
            if let Some(key) = find_key(&keys, kid) {
                return Ok(key);
            }
        }
        Err(token_error(match kid {
            Some(kid) => format!("no key '{kid}' in the provider's JWKS"),
            None => "the token names no key and the JWKS has not exactly one".to_string(),
        }))
    }
}

fn find_key(keys: &Keys, kid: Option<&str>) -> Option<RsaKey> {
    match kid {
        Some(kid) => keys.by_id.get(kid).cloned(),
        None if keys.by_id.len() + keys.anonymous.len() == 1 => {
            keys.by_id.values().next().or(keys.anonymous.first()).cloned()
        }
        None => None,
    }
}

/// The RSA signing keys of a JWKS (others are skipped).
fn parse_jwks(document: &Value) -> Keys {
    let mut keys = Keys::default();
    for key in document["keys"].as_array().into_iter().flatten() {
        if key["kty"] != "RSA" || key.get("use").is_some_and(|usage| usage != "sig") {
            continue;
        }
        let decode = |field: &str| key[field].as_str().and_then(|text| URL_SAFE_NO_PAD.decode(text).ok());
        let (Some(n), Some(e)) = (decode("n"), decode("e")) else { continue };
        match key["kid"].as_str() {
            Some(kid) => {
                keys.by_id.insert(kid.to_string(), RsaKey { n, e });
            }
            None => keys.anonymous.push(RsaKey { n, e }),
        }
    }
    keys
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

fn decode_json(part: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok().filter(Value::is_object)
}

/// The claims' checks: issuer, audience (and `azp`), expiry, issue time and nonce.
fn check_claims(
    claims: &Value,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now_millis: i64,
    skew: Duration,
) -> Result<(), OidcError> {
    if claims["iss"] != issuer {
        return Err(token_error(format!("issued by {}, not {issuer}", claims["iss"])));
    }
    let audiences: Vec<&str> = match &claims["aud"] {
        Value::String(audience) => vec![audience.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(token_error(format!("meant for {}, not this client ({client_id})", claims["aud"])));
    }
    if audiences.len() > 1 && claims.get("azp").is_some_and(|azp| azp != client_id) {
        return Err(token_error(format!("authorized party {} is not this client", claims["azp"])));
    }
    let now = now_millis / 1000;
    let skew = i64::try_from(skew.as_secs()).unwrap_or(i64::MAX);
    let exp = claims["exp"].as_i64().ok_or_else(|| token_error("no exp"))?;
    if exp.saturating_add(skew) <= now {
        return Err(token_error(format!("expired {} seconds ago", now - exp)));
    }
    let iat = claims["iat"].as_i64().ok_or_else(|| token_error("no iat"))?;
    if iat > now.saturating_add(skew) {
        return Err(token_error("issued in the future: check the clocks of the server and the provider"));
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now.saturating_add(skew)) {
        return Err(token_error("not valid yet"));
    }
    if claims["nonce"] != nonce {
        return Err(token_error("the nonce is not this sign-in's"));
    }
    Ok(())
}

/// The secret's value from a file (its first line) or the variable's value.
pub fn read_secret(file: Option<&std::path::Path>, variable: Option<String>) -> Result<Option<SecretString>, String> {
    if let Some(value) = variable.filter(|value| !value.is_empty()) {
        return Ok(Some(SecretString::from(value)));
    }
    let Some(file) = file else { return Ok(None) };
    let text = std::fs::read_to_string(file)
        .map_err(|error| format!("cannot read the OIDC client secret file {}: {error}", file.display()))?;
    let secret = text.lines().next().unwrap_or_default().trim().to_string();
    if secret.is_empty() {
        return Err(format!("the OIDC client secret file {} is empty", file.display()));
    }
    Ok(Some(SecretString::from(secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_maps_parse_and_say_what_is_wrong() {
        let map =
            parse_group_map("platform-admins=platform:admin, devs=platform:editor,auditors=audit:viewer").unwrap();
        assert_eq!(map.len(), 3);
        assert_eq!(
            map[0],
            GroupMapping { group: "platform-admins".into(), team: "platform".into(), role: Role::Admin }
        );
        assert_eq!(parse_group_map("").unwrap(), Vec::new());
        let error = parse_group_map("devs=platform").unwrap_err();
        assert!(error.contains("GROUP=TEAM:ROLE"), "{error}");
        assert!(parse_group_map("devs=platform:owner").is_err());
    }

    #[test]
    fn the_highest_role_of_a_team_wins_and_absence_removes() {
        let map = parse_group_map("devs=platform:editor,admins=platform:admin,audit=compliance:viewer").unwrap();
        let roles = team_roles(&map, &["devs".to_string(), "admins".to_string()]);
        assert_eq!(roles, vec![("platform".to_string(), Some(Role::Admin)), ("compliance".to_string(), None)]);
    }

    #[test]
    fn claims_are_checked() {
        let claims = serde_json::json!({
            "iss": "https://id.example.com", "aud": ["rampart", "other"], "azp": "rampart",
            "exp": 2_000, "iat": 1_000, "nonce": "n1", "sub": "u1"
        });
        let skew = Duration::from_secs(60);
        let check =
            |claims: &Value, now: i64| check_claims(claims, "https://id.example.com", "rampart", "n1", now, skew);
        assert!(check(&claims, 1_500_000).is_ok());
        // Expired, within the skew and beyond it.
        assert!(check(&claims, 2_030_000).is_ok());
        assert!(check(&claims, 2_061_000).unwrap_err().to_string().contains("expired"));
        // Issued in the future beyond the skew.
        assert!(check(&claims, 950_000).is_ok());
        assert!(check(&claims, 100_000).unwrap_err().to_string().contains("future"));
        let mut wrong = claims.clone();
        wrong["aud"] = "someone-else".into();
        assert!(check(&wrong, 1_500_000).unwrap_err().to_string().contains("not this client"));
        let mut wrong = claims.clone();
        wrong["azp"] = "other".into();
        assert!(check(&wrong, 1_500_000).unwrap_err().to_string().contains("authorized party"));
        let mut wrong = claims.clone();
        wrong["nonce"] = "n2".into();
        assert!(check(&wrong, 1_500_000).unwrap_err().to_string().contains("nonce"));
        let mut wrong = claims;
        wrong["iss"] = "https://evil.example.com".into();
        assert!(check(&wrong, 1_500_000).is_err());
    }

    #[test]
    fn pkce_challenges_are_base64url_sha256() {
        // Computed apart with Python's hashlib and base64.urlsafe_b64encode (padding removed).
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUxWkTpLq8fJ9jv3bX-cM"),
            "EtZEAf1liDCJo-rOJ5_mVvuUCsN2238GHrAnmc_Mzzc"
        );
    }
}
