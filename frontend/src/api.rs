//! Typed calls to `rampart serve`'s JSON API (`/api/v1`), the one place the dashboard
//! talks to the server.
//!
//! Every call goes through [`send`]: the browser's `fetch` with the session cookie
//! (same-origin), the CSRF token of the session on writes, and the server's
//! `{"error": "…"}` bodies turned into an [`Error`] a page can show. Every answer and request
//! body is the server's own type (`rampart-api`): a field the server leaves out is an error
//! here, never a silent default. The playground never calls anything here.

use std::cell::RefCell;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Where the API lives, on the server that served the page.
pub const BASE: &str = "/api/v1";

thread_local! {
    /// The CSRF token of the logged-in session: writes made with the session cookie must
    /// echo it in `X-CSRF-Token`. Kept in memory only; `GET /me` hands it out again after a
    /// reload.
    static CSRF_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
}

pub fn set_csrf_token(token: Option<String>) {
    CSRF_TOKEN.with(|cell| *cell.borrow_mut() = token);
}

fn csrf_token() -> Option<String> {
    CSRF_TOKEN.with(|cell| cell.borrow().clone())
}

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// No session, or it expired: the page sends the person to the login page.
    Unauthorized(String),
    /// The server refused or failed, with its message.
    Status { status: u16, message: String },
    /// No answer at all: the server is down or the network is.
    Network,
    /// An answer the page could not read (a server of another version).
    Decode(String),
}

impl Error {
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Error::Unauthorized(_))
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Status { status: 404, .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unauthorized(message) => write!(formatter, "{message}"),
            Error::Status { status, message } if *status >= 500 => write!(
                formatter,
                "the server failed ({status}: {message}); try again, and if it persists, check the server's log"
            ),
            Error::Status { message, .. } => write!(formatter, "{message}"),
            Error::Network => {
                write!(formatter, "the server did not answer; check that `rampart serve` is running, then try again")
            }
            Error::Decode(detail) => write!(
                formatter,
                "the server's answer could not be read ({detail}); reload the page: the server may have been updated"
            ),
        }
    }
}

/// A request body.
pub enum Body {
    None,
    Json(String),
    /// A file as it is (a snapshot upload): sent straight from the browser's copy, without
    /// passing through the WebAssembly memory.
    File(web_sys::File),
}

/// The error message of an error body, or a generic one for its status.
fn error_message(status: u16, text: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
    }
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => body.error,
        Err(_) => match status {
            404 => "not found: it may have been deleted, or belongs to a team you are not in".to_string(),
            413 => "the upload is larger than the server accepts".to_string(),
            _ => format!("the server answered {status}"),
        },
    }
}

/// Sends a request to `BASE` + `path`; answers the status and body of a 2xx answer.
pub async fn send(method: &str, path: &str, body: Body) -> Result<(u16, String), Error> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(|_| Error::Network)?;
    let _ = headers.set("accept", "application/json");
    if method != "GET" {
        if let Some(token) = csrf_token() {
            let _ = headers.set("x-csrf-token", &token);
        }
    }
    match body {
        Body::None => {}
        Body::Json(json) => {
            let _ = headers.set("content-type", "application/json");
            init.set_body(&JsValue::from_str(&json));
        }
        Body::File(file) => {
            let _ = headers.set("content-type", "application/yaml");
            init.set_body(&file);
        }
    }
    init.set_headers(&headers);
    let request =
        web_sys::Request::new_with_str_and_init(&format!("{BASE}{path}"), &init).map_err(|_| Error::Network)?;
    let response: web_sys::Response = JsFuture::from(leptos::prelude::window().fetch_with_request(&request))
        .await
        .map_err(|_| Error::Network)?
        .dyn_into()
        .map_err(|_| Error::Network)?;
    let status = response.status();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise).await.ok().and_then(|text| text.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    match status {
        200..=299 => Ok((status, text)),
        401 => Err(Error::Unauthorized(error_message(status, &text))),
        _ => Err(Error::Status { status, message: error_message(status, &text) }),
    }
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Error> {
    decode(send("GET", path, Body::None).await?.1)
}

async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, Error> {
    let json = serde_json::to_string(body).map_err(|error| Error::Decode(error.to_string()))?;
    decode(send("POST", path, Body::Json(json)).await?.1)
}

fn decode<T: DeserializeOwned>(text: String) -> Result<T, Error> {
    serde_json::from_str(&text).map_err(|error| Error::Decode(error.to_string()))
}

/// Percent-encodes a query parameter's value (everything but RFC 3986's unreserved
/// characters).
pub fn encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => encoded.push(byte as char),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// `?a=1&b=2` from the pairs whose value is not empty; `""` when none is.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

// ---- Answers -------------------------------------------------------------------------

// The answers of the groups whose types the server shares with the app (scans, findings,
// the trend, clusters, accounts, teams, exemptions, policies, compliance, reports, the
// outbox, subscriptions, webhooks): one definition, in `rampart-api`, so a field renamed on
// one side does not compile on the other, and none is read with a default.
pub use rampart_api::compliance::{Compliance, ComplianceControl, ComplianceScan, ComplianceTrendPoint, Evidence};
pub use rampart_api::exemptions::{Exemption, Named, NewExemption};
pub use rampart_api::outbox::{Email, EmailWithBody, Queued};
pub use rampart_api::policies::{NewPolicy, Policy, PolicyChanges};
pub use rampart_api::reports::{
    EvidenceRule, OpenCritical, Report, ReportCluster, ReportControl, ReportFramework, ReportWeek, ResolveTime,
    ScoreState, TopRule,
};
pub use rampart_api::scans::is_pending;
pub use rampart_api::subscriptions::{CoveredCluster, NewSubscription, Subscription};
pub use rampart_api::webhooks::{NewWebhook, Webhook, WebhookTest};
pub use rampart_api::{
    Accepted, AgentContact, AgentSetup, AppliedPolicy, AuthMethods, Cluster, ClusterInput, ClusterSummary,
    ConnectionTest, Counts, CreatedToken, Finding, FindingsPage, LastScan, Me, Membership, NamespaceSummary,
    PolicyChange, PolicyVersionChange, Resource, Scan, ScanError, Session, SessionState, Token, TrendPoint,
};

/// The filters of `GET /clusters/{id}/findings`; empty strings are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingFilter {
    pub status: String,
    pub severity: String,
    pub rule: String,
    pub namespace: String,
    pub text: String,
    /// The server's order (`severity`, `rule`, `object`, `newest`); empty is by severity.
    pub sort: String,
}

impl FindingFilter {
    /// The query string of this filter, from `cursor` on when given.
    pub fn query(&self, cursor: Option<&str>) -> String {
        query(&[
            ("status", &self.status),
            ("severity", &self.severity),
            ("rule", &self.rule),
            ("namespace", &self.namespace),
            ("text", self.text.trim()),
            ("sort", &self.sort),
            ("cursor", cursor.unwrap_or_default()),
        ])
    }
}

// ---- Reports, email, account ------------------------------------------------------------

/// What a report covers: whole UTC days `from` to `to` (`YYYY-MM-DD`, empty for the
/// server's default) and the clusters chosen (empty for all of the user's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportQuery {
    pub from: String,
    pub to: String,
    pub clusters: Vec<i64>,
}

impl ReportQuery {
    /// `?from=…&to=…&clusters=1,2`, as every report URL takes it (the API's JSON and CSV,
    /// the print page and this app's `/reports`).
    pub fn query(&self) -> String {
        let clusters: Vec<String> = self.clusters.iter().map(i64::to_string).collect();
        query(&[("from", &self.from), ("to", &self.to), ("clusters", &clusters.join(","))])
    }

    /// The query of a page's location (`?from=…`); what cannot be read is left out.
    pub fn parse(search: &str) -> ReportQuery {
        let date = |name: &str| {
            crate::routes::query_value(search, name)
                .filter(|value| {
                    value.len() == 10 && crate::time::parse_rfc3339(&format!("{value}T00:00:00Z")).is_some()
                })
                .unwrap_or_default()
        };
        let clusters = crate::routes::query_value(search, "clusters")
            .map(|list| list.split(',').filter_map(|id| id.trim().parse::<i64>().ok()).filter(|id| *id > 0).collect())
            .unwrap_or_default();
        ReportQuery { from: date("from"), to: date("to"), clusters }
    }
}

// ---- Calls ---------------------------------------------------------------------------

pub async fn login(email: &str, password: &str) -> Result<Session, Error> {
    post("/session", &rampart_api::Login { email: email.to_string(), password: password.to_string() }).await
}

pub async fn auth_methods() -> Result<AuthMethods, Error> {
    get("/auth/methods").await
}

pub async fn logout() -> Result<(), Error> {
    send("DELETE", "/session", Body::None).await.map(drop)
}

pub async fn me() -> Result<Me, Error> {
    get("/me").await
}

/// Who is logged in, `None` for nobody: asked of `GET /session`, which answers 200 either
/// way, so that a logged-out visit logs no failed request in the browser's console.
pub async fn session() -> Result<Option<Me>, Error> {
    let state: SessionState = get("/session").await?;
    match (state.authenticated, state.me) {
        (true, Some(me)) => Ok(Some(me)),
        (true, None) => Err(Error::Decode("GET /session is authenticated but says nothing of the user".to_string())),
        (false, _) => Ok(None),
    }
}

pub async fn clusters() -> Result<Vec<ClusterSummary>, Error> {
    get("/clusters").await
}

pub async fn cluster(id: i64) -> Result<Cluster, Error> {
    get(&format!("/clusters/{id}")).await
}

pub async fn register_cluster(cluster: &ClusterInput) -> Result<Cluster, Error> {
    post("/clusters", cluster).await
}

/// Registers an agent cluster: what starts its agent, and the cluster's name.
pub async fn register_agent_cluster(cluster: &ClusterInput) -> Result<(AgentSetup, String), Error> {
    let created: Cluster = post("/clusters", cluster).await?;
    let setup = created
        .agent_setup
        .ok_or_else(|| Error::Decode("the registration of an agent cluster answered no agent_setup".to_string()))?;
    Ok((setup, created.name))
}

pub async fn test_connection(cluster: &ClusterInput) -> Result<ConnectionTest, Error> {
    post("/clusters/test", cluster).await
}

/// Starts a scan through the cluster's API; answers the scan's id.
pub async fn start_scan(cluster: i64) -> Result<Accepted, Error> {
    decode(send("POST", &format!("/clusters/{cluster}/scans"), Body::None).await?.1)
}

/// Uploads an export to a snapshot cluster; answers the id of the scan of it.
pub async fn upload_snapshot(cluster: i64, file: web_sys::File) -> Result<Accepted, Error> {
    decode(send("POST", &format!("/clusters/{cluster}/snapshots"), Body::File(file)).await?.1)
}

pub async fn scans(cluster: i64) -> Result<Vec<Scan>, Error> {
    get(&format!("/clusters/{cluster}/scans")).await
}

pub async fn scan(id: i64) -> Result<Scan, Error> {
    get(&format!("/scans/{id}")).await
}

pub async fn findings(cluster: i64, filter: &FindingFilter, cursor: Option<&str>) -> Result<FindingsPage, Error> {
    get(&format!("/clusters/{cluster}/findings{}", filter.query(cursor))).await
}

/// The trend since `from` (Unix milliseconds).
pub async fn trend(cluster: i64, from: i64) -> Result<Vec<TrendPoint>, Error> {
    get(&format!("/clusters/{cluster}/trend{}", query(&[("from", &crate::time::format_rfc3339(from))]))).await
}

/// A cluster's compliance view of one framework (`cis`, `nsa`, `pss`, `layers`).
pub async fn compliance(cluster: i64, framework: &str) -> Result<Compliance, Error> {
    get(&format!("/clusters/{cluster}/compliance{}", query(&[("framework", framework)]))).await
}

pub async fn exemptions(cluster: i64) -> Result<Vec<Exemption>, Error> {
    get(&format!("/clusters/{cluster}/exemptions")).await
}

pub async fn create_exemption(cluster: i64, exemption: &NewExemption) -> Result<Exemption, Error> {
    post(&format!("/clusters/{cluster}/exemptions"), exemption).await
}

pub async fn team_webhooks(team: i64) -> Result<Vec<Webhook>, Error> {
    get(&format!("/teams/{team}/webhooks")).await
}

pub async fn create_webhook(team: i64, webhook: &NewWebhook) -> Result<Webhook, Error> {
    post(&format!("/teams/{team}/webhooks"), webhook).await
}

pub async fn test_webhook(team: i64, id: i64) -> Result<WebhookTest, Error> {
    post(&format!("/teams/{team}/webhooks/{id}/test"), &serde_json::json!({})).await
}

pub async fn delete_webhook(team: i64, id: i64) -> Result<(), Error> {
    send("DELETE", &format!("/teams/{team}/webhooks/{id}"), Body::None).await.map(drop)
}

pub async fn team_policies(team: i64) -> Result<Vec<Policy>, Error> {
    get(&format!("/teams/{team}/policies")).await
}

pub async fn create_policy(team: i64, policy: &NewPolicy) -> Result<Policy, Error> {
    post(&format!("/teams/{team}/policies"), policy).await
}

pub async fn update_policy(id: i64, changes: &PolicyChanges) -> Result<Policy, Error> {
    let json = serde_json::to_string(changes).map_err(|error| Error::Decode(error.to_string()))?;
    decode(send("PATCH", &format!("/policies/{id}"), Body::Json(json)).await?.1)
}

pub async fn delete_policy(id: i64) -> Result<(), Error> {
    send("DELETE", &format!("/policies/{id}"), Body::None).await.map(drop)
}

pub async fn delete_exemption(id: i64) -> Result<(), Error> {
    send("DELETE", &format!("/exemptions/{id}"), Body::None).await.map(drop)
}

pub async fn tokens() -> Result<Vec<Token>, Error> {
    get("/tokens").await
}

pub async fn create_token(name: &str) -> Result<CreatedToken, Error> {
    post("/tokens", &rampart_api::NewToken { name: name.to_string() }).await
}

pub async fn revoke_token(id: i64) -> Result<(), Error> {
    send("DELETE", &format!("/tokens/{id}"), Body::None).await.map(drop)
}

pub async fn report(query: &ReportQuery) -> Result<Report, Error> {
    get(&format!("/reports{}", query.query())).await
}

pub async fn subscriptions() -> Result<Vec<Subscription>, Error> {
    get("/subscriptions").await
}

pub async fn create_subscription(subscription: &NewSubscription) -> Result<Subscription, Error> {
    post("/subscriptions", subscription).await
}

pub async fn delete_subscription(id: i64) -> Result<(), Error> {
    send("DELETE", &format!("/subscriptions/{id}"), Body::None).await.map(drop)
}

/// Queues the subscription's digest now; answers the email's id.
pub async fn send_subscription(id: i64) -> Result<Queued, Error> {
    decode(send("POST", &format!("/subscriptions/{id}/send"), Body::None).await?.1)
}

/// The outbox (global admins), of one status or of all when `status` is empty.
pub async fn outbox(status: &str) -> Result<Vec<Email>, Error> {
    get(&format!("/outbox{}", query(&[("status", status)]))).await
}

pub async fn email(id: i64) -> Result<EmailWithBody, Error> {
    get(&format!("/outbox/{id}")).await
}

pub async fn retry_email(id: i64) -> Result<(), Error> {
    send("POST", &format!("/outbox/{id}/retry"), Body::None).await.map(drop)
}

/// Changes the password; the server ends the user's other sessions.
pub async fn change_password(current_password: &str, new_password: &str) -> Result<(), Error> {
    let change = rampart_api::PasswordChange {
        current_password: current_password.to_string(),
        new_password: new_password.to_string(),
    };
    let json = serde_json::to_string(&change).map_err(|error| Error::Decode(error.to_string()))?;
    send("POST", "/me/password", Body::Json(json)).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_leave_out_empty_values_and_encode_the_rest() {
        assert_eq!(query(&[("a", ""), ("b", "")]), "");
        assert_eq!(query(&[("from", "2026-01-31T12:00:00Z")]), "?from=2026-01-31T12%3A00%3A00Z");
        let filter =
            FindingFilter { status: "open".into(), text: " run as root & co ".into(), ..FindingFilter::default() };
        assert_eq!(filter.query(Some("42")), "?status=open&text=run%20as%20root%20%26%20co&cursor=42");
        assert_eq!(encode("ü/"), "%C3%BC%2F");
    }

    #[test]
    fn reads_the_servers_shapes() {
        let clusters: Vec<ClusterSummary> = serde_json::from_str(
            r#"[{"id": 1, "name": "prod", "team": "default", "kind": "snapshot", "score": 61, "grade": "D",
                 "counts": {"critical": 2, "high": 9, "medium": 15, "low": 8, "info": 1},
                 "last_scan": {"id": 3, "status": "succeeded", "finished_at": "2026-01-31T12:00:00Z",
                               "message": null, "errors": [], "error_count": 0},
                 "new": 4, "resolved": 1, "next_scan_at": null, "agent": null, "added_later": true},
                {"id": 2, "name": "new", "team": "default", "kind": "api", "score": null, "grade": null,
                 "counts": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}, "new": null,
                 "resolved": null, "last_scan": null, "next_scan_at": null, "agent": null}]"#,
        )
        .unwrap();
        // A field the server stops writing is an error, not a silent zero.
        let without: Result<LastScan, _> = serde_json::from_str(
            r#"{"id": 3, "status": "failed", "finished_at": null, "message": null, "errors": []}"#,
        );
        assert!(without.unwrap_err().to_string().contains("error_count"));
        assert_eq!(clusters[0].counts.total(), 35);
        assert_eq!(clusters[0].counts.describe(), "2 critical, 9 high, 15 medium, 8 low, 1 info");
        assert_eq!(clusters[0].last_scan.as_ref().unwrap().status, "succeeded");
        assert_eq!(clusters[1].score, None);
        assert_eq!((clusters[0].new, clusters[0].resolved), (Some(4), Some(1)));
        assert_eq!(clusters[1].new, None);
        let scan: Scan = serde_json::from_str(
            r#"{"id": 3, "cluster": 1, "status": "partial", "source": "manual", "queued_at": "2026-01-31T12:00:00Z",
                "started_at": null, "finished_at": null, "objects": 4, "score": 70, "grade": "C",
                "counts": {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0}, "new": 1, "resolved": 0,
                "errors": [{"kind": "Secret", "message": "forbidden"}],
                "namespaces": {"default": {"objects": 4, "score": 70, "grade": "C", "critical": 0, "high": 1,
                               "medium": 0, "low": 0, "info": 0},
                               "old": {"objects": 1, "critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0}},
                "message": null}"#,
        )
        .unwrap();
        assert!(scan.has_results() && !scan.is_pending());
        assert_eq!(scan.errors[0].kind.as_deref(), Some("Secret"));
        assert_eq!(scan.namespaces["default"].counts().high, 1);
        assert_eq!(scan.namespaces["default"].grade.as_deref(), Some("C"));
        assert_eq!(scan.namespaces["old"].score, None);
        let exemptions: Vec<Exemption> = serde_json::from_str(
            r#"[{"id": 5, "team": {"id": 1, "name": "default"}, "cluster": null, "rule": "pss-privileged",
                 "namespace": "prod", "kind": null, "name": null, "reason": "vendor agent",
                 "author": {"id": 1, "email": "lead@example.com"}, "created_at": "2026-01-31T12:00:00Z",
                 "expires_at": null, "active": true}]"#,
        )
        .unwrap();
        assert_eq!(exemptions[0].cluster, None);
        assert_eq!(exemptions[0].namespace.as_deref(), Some("prod"));
        assert_eq!(exemptions[0].author.as_ref().map(|author| author.email.as_str()), Some("lead@example.com"));
    }

    #[test]
    fn new_cluster_bodies_send_only_what_is_set() {
        let body = ClusterInput { name: Some("prod".into()), snapshot: Some(true), ..ClusterInput::default() };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"name":"prod","snapshot":true}"#);
        let body = ClusterInput { team: Some(2.into()), schedule: Some(None), ..ClusterInput::default() };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"team":2,"schedule":null}"#);
    }

    #[test]
    fn error_bodies_become_messages_that_say_what_to_do() {
        assert_eq!(error_message(400, r#"{"error": "name is required"}"#), "name is required");
        assert!(error_message(404, "").starts_with("not found"));
        let error = Error::Status { status: 500, message: "internal server error".into() };
        assert!(error.to_string().contains("check the server's log"));
        assert!(Error::Network.to_string().contains("rampart serve"));
    }

    #[test]
    fn report_queries_round_trip_through_the_location() {
        let query = ReportQuery { from: "2026-01-01".into(), to: "2026-01-31".into(), clusters: vec![3, 1] };
        assert_eq!(query.query(), "?from=2026-01-01&to=2026-01-31&clusters=3%2C1");
        assert_eq!(ReportQuery::parse(&query.query()), query);
        assert_eq!(ReportQuery::default().query(), "");
        let odd = ReportQuery::parse("?from=yesterday&to=2026-02-30x&clusters=1,x,-2");
        assert_eq!(odd, ReportQuery { from: String::new(), to: String::new(), clusters: vec![1] });
    }

    #[test]
    fn reads_the_reports_and_outbox_shapes() {
        let report: Report = serde_json::from_str(
            r#"{"from": "2026-01-01T00:00:00Z", "to": "2026-01-31T23:59:59.999Z", "points": "day",
                "generated_at": "2026-02-01T00:00:00Z",
                "clusters": [{"id": 1, "name": "prod", "team": "red", "score": 70, "grade": "C",
                  "counts": {"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0},
                  "last_scan": {"scan": 4, "at": "2026-01-30T00:00:00Z", "score": 70, "grade": "C"},
                  "start": {"scan": 2, "at": "2026-01-02T00:00:00Z", "score": 60, "grade": "D"}, "change": 10,
                  "scans": 3, "new": 5, "opened_and_resolved": 1, "resolved": 2,
                  "scores": [{"scan": 2, "at": "2026-01-02T00:00:00Z", "score": 60, "grade": "D"}],
                  "compliance": [{"framework": "cis", "title": "CIS Kubernetes Benchmark",
                    "scan": {"id": 4, "finished_at": "2026-01-30T00:00:00Z"},
                    "counts": {"pass": 3, "fail": 1, "not_assessed": 2},
                    "counts_at_start": null,
                    "trend": [{"scan": 4, "at": "2026-01-30T00:00:00Z", "pass": 3, "fail": 1, "not_assessed": 2}],
                    "controls": [{"id": "5.2.2", "title": "Privileged", "status": "fail", "status_at_start": null,
                      "failed_rules": ["pss-privileged"], "findings": 12,
                      "evidence": [{"id": 9, "rule": "pss-privileged", "severity": "critical",
                        "resource": {"kind": "Deployment", "namespace": "web", "name": "api"}, "path": "spec",
                        "message": "privileged"}],
                      "evidence_open": 12, "evidence_more": 11,
                      "evidence_rules": [{"rule": "pss-privileged", "open": 12, "shown": 1,
                        "findings_url": "/api/v1/clusters/1/findings?rule=pss-privileged&status=open"}]}]}]}],
                "weeks": [{"week": "2026-W01", "starts": "2025-12-29", "new": 5, "opened_and_resolved": 0, "resolved": 2}],
                "time_to_resolve": [{"severity": "critical", "resolved": 0, "mean_seconds": null, "mean_days": null},
                  {"severity": "high", "resolved": 2, "mean_seconds": 129600, "mean_days": 1.5}],
                "top_rules": [{"rule": "pss-privileged", "severity": "critical", "open": 2, "clusters": 1}],
                "oldest_critical": [{"id": 9, "cluster": {"id": 1, "name": "prod"}, "rule": "pss-privileged",
                  "resource": {"kind": "Deployment", "namespace": "web", "name": "api"}, "path": "spec",
                  "message": "privileged", "first_seen": "2026-01-02T00:00:00Z", "age_days": 29}]}"#,
        )
        .unwrap();
        assert_eq!(report.clusters[0].change, Some(10));
        assert_eq!(report.clusters[0].scores[0].score, 60);
        assert_eq!(report.time_to_resolve[1].mean_seconds, Some(129_600));
        assert_eq!(report.oldest_critical[0].cluster.name, "prod");
        let cis = &report.clusters[0].compliance[0];
        assert_eq!((cis.counts.fail, cis.counts_at_start), (1, None));
        assert_eq!(cis.controls[0].status, rampart_core::compliance::Status::Fail);
        assert_eq!(cis.controls[0].evidence_rules[0].open - cis.controls[0].evidence_rules[0].shown, 11);
        // The server always sends a cluster's compliance: its absence is an error, not "none".
        let without: Result<ReportCluster, _> = serde_json::from_str(
            r#"{"id": 1, "name": "prod", "team": "red", "scans": 0, "new": 0, "opened_and_resolved": 0,
                "resolved": 0, "scores": []}"#,
        );
        assert!(without.unwrap_err().to_string().contains("compliance"));
        let email: EmailWithBody = serde_json::from_str(
            r#"{"id": 3, "kind": "digest", "subscription": 2, "webhook": null, "recipient": "a@example.com", "subject": "Digest",
                "status": "queued", "attempts": 0, "next_attempt_at": "2026-01-01T00:00:00Z", "last_error": null,
                "created_at": "2026-01-01T00:00:00Z", "sent_at": null, "html": "<p>hi</p>", "text": "hi"}"#,
        )
        .unwrap();
        assert_eq!((email.email.status.as_str(), email.html.as_str()), ("queued", "<p>hi</p>"));
        let body =
            NewSubscription { team: Some(1.into()), frequency: "daily".into(), hour: Some(7), ..Default::default() };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"team":1,"frequency":"daily","hour":7}"#);
    }
}
