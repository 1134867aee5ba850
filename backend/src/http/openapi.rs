//! `GET /api/openapi.json`: the OpenAPI 3.1 description of `/api/v1`, built from one table
//! of operations ([`OPERATIONS`]) and the shapes they answer ([`schemas`]). A test reads
//! the routers' sources and fails when a route is missing here (or is here but not routed),
//! and another calls every operation listed to check it is routed.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(document()) }))
}

/// One operation of the API.
pub struct Operation {
    pub method: &'static str,
    /// Under `/api/v1`, with `{id}`-style parameters as the router writes them.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Whether it needs a session or a token.
    pub authenticated: bool,
    /// The JSON body's schema (a name in [`schemas`]), `"text"` for a raw text body.
    pub body: Option<&'static str>,
    /// Query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
    /// The success status and its schema (a name in [`schemas`], or `None` for no body).
    pub answer: (u16, Option<&'static str>),
}

const fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    body: Option<&'static str>,
    answer: (u16, Option<&'static str>),
) -> Operation {
    Operation { method, path, tag, summary, authenticated: true, body, query: &[], answer }
}

const FINDING_FILTERS: &[(&str, &str)] = &[
    ("status", "open, resolved or exempted"),
    ("severity", "critical, high, medium, low or info"),
    ("rule", "a rule id, such as pss-privileged"),
    ("namespace", "a namespace name"),
    ("text", "words that must all occur in the object's name, namespace or kind, the rule, the path or the message; each page examines at most 2,000 findings, so a page may hold fewer than limit (even none) and still have a next_cursor"),
    ("sort", "severity (most severe first, the default), rule, object (namespace, kind, name) or newest; ties by id"),
    ("limit", "findings per page, 1 to 1000 (default 100)"),
    ("cursor", "the next_cursor of the previous page (opaque; valid with the same sort)"),
];

const PERIOD: &[(&str, &str)] =
    &[("from", "RFC 3339 time, such as 2026-01-01T00:00:00Z"), ("to", "RFC 3339 time, such as 2026-01-31T00:00:00Z")];

const COMPLIANCE: &[(&str, &str)] = &[("framework", "cis (default), nsa, pss or layers")];

const REPORT: &[(&str, &str)] = &[
    ("from", "RFC 3339 time or a date (from the day's start, UTC); default 30 days ago"),
    ("to", "RFC 3339 time or a date (to the day's end, UTC); default now"),
    ("clusters", "cluster ids, comma-separated; default every cluster of the user's teams"),
    ("points", "day (the last scan of each day, the default) or scan"),
    ("format", "json (the default) or csv"),
    ("table", "for CSV: clusters, scores, weeks, time_to_resolve, top_rules, oldest_critical, compliance, compliance_evidence or compliance_trend"),
];

/// Every operation of `/api/v1`.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        authenticated: false,
        ..op("get", "/auth/methods", "accounts", "How people sign in here: passwords, single sign-on", None, (200, Some("AuthMethods")))
    },
    Operation {
        authenticated: false,
        query: &[("next", "the app's page to return to after signing in")],
        ..op("get", "/oidc/login", "accounts", "Single sign-on: redirects (303) to the OIDC provider", None, (303, None))
    },
    Operation {
        authenticated: false,
        query: &[("code", "the provider's authorization code"), ("state", "the sign-in's state"), ("error", "the provider's refusal")],
        ..op("get", "/oidc/callback", "accounts", "The provider's answer: sets the session cookie and redirects (303) to the page, or to /login?sso_error=", None, (303, None))
    },
    Operation {
        authenticated: false,
        ..op(
            "post",
            "/setup",
            "accounts",
            "Create the first admin with the one-time setup token",
            Some("Setup"),
            (201, Some("User")),
        )
    },
    Operation {
        authenticated: false,
        ..op(
            "post",
            "/session",
            "accounts",
            "Log in: sets the session cookie, answers the CSRF token",
            Some("Login"),
            (201, Some("Session")),
        )
    },
    Operation {
        authenticated: false,
        ..op(
            "get",
            "/session",
            "accounts",
            "Whether the request is logged in (200 either way): authenticated, with what GET /me answers when so",
            None,
            (200, Some("SessionState")),
        )
    },
    op("delete", "/session", "accounts", "Log out", None, (204, None)),
    op(
        "get",
        "/me",
        "accounts",
        "The user logged in, their teams and the session's CSRF token",
        None,
        (200, Some("Me")),
    ),
    op(
        "post",
        "/me/password",
        "accounts",
        "Change the password (the current one is required); ends the user's other sessions",
        Some("PasswordChange"),
        (204, None),
    ),
    op("get", "/users", "accounts", "Every user with their teams (global admins)", None, (200, Some("Users"))),
    op(
        "post",
        "/users",
        "accounts",
        "Create a user, optionally in a team (global admins)",
        Some("NewUser"),
        (201, Some("User")),
    ),
    op(
        "get",
        "/teams",
        "teams",
        "The user's teams and roles (every team for global admins)",
        None,
        (200, Some("Teams")),
    ),
    op("post", "/teams", "teams", "Create a team (global admins)", Some("NewTeam"), (201, Some("Team"))),
    op("get", "/teams/{id}", "teams", "One of the user's teams with its settings", None, (200, Some("TeamSettings"))),
    op("patch", "/teams/{id}", "teams", "Change a team's settings, such as honor_annotation_exemptions (team admins)", Some("TeamSettingsInput"), (200, Some("TeamSettings"))),
    op("get", "/teams/{id}/exemptions", "exemptions", "Every central exemption of the team", None, (200, Some("Exemptions"))),
    op("post", "/teams/{id}/exemptions", "exemptions", "Grant an exemption for one cluster of the team (\"cluster\") or all of them (editors)", Some("NewExemption"), (201, Some("Exemption"))),
    op("get", "/teams/{id}/members", "teams", "A team's members and roles", None, (200, Some("Members"))),
    op(
        "put",
        "/teams/{id}/members",
        "teams",
        "Add a member or change their role (team admins)",
        Some("MemberInput"),
        (200, Some("Member")),
    ),
    op("delete", "/teams/{id}/members/{user}", "teams", "Remove a member (team admins)", None, (204, None)),
    op("get", "/tokens", "accounts", "The user's API tokens (never their values)", None, (200, Some("Tokens"))),
    op(
        "post",
        "/tokens",
        "accounts",
        "Create an API token; its value is shown only in this answer",
        Some("NewToken"),
        (201, Some("CreatedToken")),
    ),
    op("delete", "/tokens/{id}", "accounts", "Revoke an API token", None, (204, None)),
    op(
        "get",
        "/clusters",
        "clusters",
        "The user's clusters with their latest score and scan",
        None,
        (200, Some("ClusterOverviews")),
    ),
    op(
        "post",
        "/clusters",
        "clusters",
        "Register a cluster (editors): kubeconfig, URL and token, or snapshot",
        Some("ClusterInput"),
        (201, Some("Cluster")),
    ),
    op(
        "post",
        "/clusters/test",
        "clusters",
        "Try a connection without saving it; lists a kubeconfig's contexts (editors)",
        Some("ClusterInput"),
        (200, Some("ConnectionTest")),
    ),
    op("get", "/clusters/{id}", "clusters", "One cluster", None, (200, Some("Cluster"))),
    op(
        "patch",
        "/clusters/{id}",
        "clusters",
        "Change a cluster's name, schedule or credentials (editors)",
        Some("ClusterInput"),
        (200, Some("Cluster")),
    ),
    op("delete", "/clusters/{id}", "clusters", "Delete a cluster and its history (team admins)", None, (204, None)),
    op("get", "/clusters/{id}/exemptions", "exemptions", "The exemptions that apply to the cluster", None, (200, Some("Exemptions"))),
    op("post", "/clusters/{id}/exemptions", "exemptions", "Grant an exemption for the cluster (editors)", Some("NewExemption"), (201, Some("Exemption"))),
    op("get", "/exemptions/{id}", "exemptions", "One exemption", None, (200, Some("Exemption"))),
    op("patch", "/exemptions/{id}", "exemptions", "Change an exemption: null sets a matcher to all, or expires_at to never (editors)", Some("NewExemption"), (200, Some("Exemption"))),
    op("delete", "/exemptions/{id}", "exemptions", "Revoke an exemption (editors)", None, (204, None)),
    op("get", "/teams/{id}/policies", "policies", "The team's custom policies (ValidatingAdmissionPolicy YAML)", None, (200, Some("Policies"))),
    op("post", "/teams/{id}/policies", "policies", "Add a custom policy; refused (400) with line and column when it does not compile (editors)", Some("NewPolicy"), (201, Some("Policy"))),
    op("get", "/policies/{id}", "policies", "One custom policy", None, (200, Some("Policy"))),
    op("patch", "/policies/{id}", "policies", "Change, enable or disable a policy; a new source is a new version (editors)", Some("PolicyChanges"), (200, Some("Policy"))),
    op("delete", "/policies/{id}", "policies", "Delete a policy (editors)", None, (204, None)),
    op("get", "/policies/{id}/versions", "policies", "Every source the policy had, newest first", None, (200, Some("PolicyVersions"))),
    op("post", "/clusters/{id}/scans", "scans", "Scan the cluster now (through its API, or by its agent when it next asks)", None, (202, Some("Accepted"))),
    op("post", "/clusters/{id}/agent-token", "agents", "Issue a new token for the cluster's agent, replacing the former one; with the manifest that carries it (editors)", None, (201, Some("AgentSetup"))),
    op("delete", "/clusters/{id}/agent-token", "agents", "Revoke the agent's token: the agent is refused from its next request (editors)", None, (204, None)),
    op("get", "/agent/instructions", "agents", "For an agent token only: the scan to deliver now, if any", None, (200, Some("AgentInstructions"))),
    op("post", "/agent/scans/{id}", "agents", "For an agent token only: deliver a scan (gzip-compressed JSON lines, streamed; Content-Encoding: gzip)", Some("text"), (200, Some("Accepted"))),
    op("get", "/clusters/{id}/scans", "scans", "The cluster's scans, newest first", None, (200, Some("Scans"))),
    op(
        "post",
        "/clusters/{id}/snapshots",
        "scans",
        "Upload `kubectl get … -A -o yaml` (or JSON) output of a snapshot cluster and scan it",
        Some("text"),
        (202, Some("Accepted")),
    ),
    op(
        "get",
        "/scans/{id}",
        "scans",
        "One scan: status, timings, score, counts, new, resolved, per-kind errors",
        None,
        (200, Some("Scan")),
    ),
    Operation {
        query: FINDING_FILTERS,
        ..op(
            "get",
            "/clusters/{id}/findings",
            "findings",
            "The cluster's findings, filtered, a page at a time",
            None,
            (200, Some("FindingsPage")),
        )
    },
    Operation {
        query: PERIOD,
        ..op("get", "/clusters/{id}/trend", "findings", "One point per finished scan", None, (200, Some("Trend")))
    },
    Operation {
        query: COMPLIANCE,
        ..op("get", "/clusters/{id}/compliance", "compliance", "Each control of a framework with pass, fail or not assessed at the latest scan, its evidence (open findings) and the trend", None, (200, Some("Compliance")))
    },
    Operation {
        query: COMPLIANCE,
        ..op("get", "/clusters/{id}/compliance.csv", "compliance", "The same view as CSV, one row per control", None, (200, None))
    },
    Operation {
        query: REPORT,
        ..op("get", "/reports", "reports", "A report over a period and clusters: scores over time, new vs resolved per week, mean time to resolve, top failing rules, oldest open criticals (format=csv for CSV)", None, (200, Some("Report")))
    },
    Operation {
        query: REPORT,
        ..op("get", "/reports.csv", "reports", "The same report as CSV (one table with table=, else all of them)", None, (200, None))
    },
    op("get", "/teams/{id}/webhooks", "email", "The team's webhooks (URL shown as scheme and host; secrets never)", None, (200, Some("Webhooks"))),
    op(
        "post",
        "/teams/{id}/webhooks",
        "email",
        "Add a webhook: generic (signed JSON), slack or teams, for digest, critical and scan_failed events (team admins); a secret made here is shown once",
        Some("NewWebhook"),
        (201, Some("Webhook")),
    ),
    op("delete", "/teams/{id}/webhooks/{webhook}", "email", "Delete a webhook and its pending deliveries (team admins)", None, (204, None)),
    op(
        "post",
        "/teams/{id}/webhooks/{webhook}/test",
        "email",
        "Post a test notice now: whether the receiver took it (team admins)",
        None,
        (200, Some("WebhookTest")),
    ),
    op("get", "/subscriptions", "email", "The user's email subscriptions", None, (200, Some("Subscriptions"))),
    op(
        "post",
        "/subscriptions",
        "email",
        "Subscribe to digests of clusters or a team, or to alerts on new critical findings",
        Some("NewSubscription"),
        (201, Some("Subscription")),
    ),
    op("get", "/subscriptions/{id}", "email", "One of the user's subscriptions", None, (200, Some("Subscription"))),
    op("delete", "/subscriptions/{id}", "email", "Unsubscribe", None, (204, None)),
    op(
        "post",
        "/subscriptions/{id}/send",
        "email",
        "Queue that digest now (the \"send a test email\" button)",
        None,
        (202, Some("Queued")),
    ),
    Operation {
        query: &[("status", "queued, sent or failed")],
        ..op(
            "get",
            "/outbox",
            "email",
            "Emails queued, sent and failed, with attempts (global admins)",
            None,
            (200, Some("Outbox")),
        )
    },
    op(
        "get",
        "/outbox/{id}",
        "email",
        "One email with its rendered HTML and text, for a preview (global admins)",
        None,
        (200, Some("EmailWithBody")),
    ),
    op("post", "/outbox/{id}/retry", "email", "Send a failed email again (global admins)", None, (202, Some("Queued"))),
];

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array_of(name: &str) -> Value {
    json!({ "type": "array", "items": reference(name) })
}

fn string() -> Value {
    json!({ "type": "string" })
}

/// The shapes the operations take and answer.
pub fn schemas() -> Map<String, Value> {
    let entries: Vec<(&str, Value)> = vec![
        ("Error", json!({ "type": "object", "properties": { "error": string() }, "required": ["error"] })),
        ("Users", array_of("UserWithTeams")),
        ("Teams", array_of("Membership")),
        ("Members", array_of("Member")),
        ("Tokens", array_of("Token")),
        ("ClusterOverviews", array_of("ClusterSummary")),
        ("Scans", array_of("Scan")),
        ("Trend", array_of("TrendPoint")),
        ("Policies", array_of("Policy")),
        ("PolicyVersions", array_of("PolicyVersion")),
        ("Exemptions", array_of("Exemption")),
        ("Outbox", array_of("Email")),
        ("Webhooks", array_of("Webhook")),
        ("Subscriptions", array_of("Subscription")),
    ];
    let mut schemas: Map<String, Value> = generated();
    for (name, schema) in entries {
        assert!(!schemas.contains_key(name), "{name} is both generated and written here");
        schemas.insert(name.to_string(), schema);
    }
    schemas
}

/// The schemas of the API's types (`rampart_api`), generated from them: those types and
/// every type they contain, under their own names. The groups moved there so far: scans,
/// findings, the trend, clusters with the agent's endpoints, accounts, teams, exemptions,
/// policies, compliance, reports, the outbox, subscriptions and webhooks.
///
/// Answers are described as the server writes them (schemars' serialize contract: every
/// field required but those serde leaves out when empty, `skip_serializing_if`, such as a
/// webhook's `secret`; an `Option` written as `null` is required and nullable), request
/// bodies as it reads them (its deserialize contract: a field is required there when serde
/// reads it without a default).
fn generated() -> Map<String, Value> {
    use rampart_api as api;
    use rampart_api::schemars::generate::{Contract, SchemaSettings};
    let generator = |contract: Contract| {
        SchemaSettings::draft2020_12()
            .with(|settings| {
                settings.definitions_path = "/components/schemas".into();
                settings.contract = contract;
            })
            .into_generator()
    };
    let mut answers = generator(Contract::Serialize);
    let mut inputs = generator(Contract::Deserialize);
    answers.subschema_for::<api::Scan>();
    answers.subschema_for::<api::FindingsPage>();
    answers.subschema_for::<api::TrendPoint>();
    // Clusters and the agent.
    inputs.subschema_for::<api::ClusterInput>();
    answers.subschema_for::<api::Cluster>();
    answers.subschema_for::<api::ClusterSummary>();
    answers.subschema_for::<api::ConnectionTest>();
    answers.subschema_for::<api::Accepted>();
    answers.subschema_for::<api::AgentInstructions>();
    // Accounts.
    answers.subschema_for::<api::AuthMethods>();
    inputs.subschema_for::<api::Setup>();
    inputs.subschema_for::<api::Login>();
    inputs.subschema_for::<api::PasswordChange>();
    answers.subschema_for::<api::Session>();
    answers.subschema_for::<api::SessionState>();
    answers.subschema_for::<api::Me>();
    answers.subschema_for::<api::UserWithTeams>();
    inputs.subschema_for::<api::NewUser>();
    answers.subschema_for::<api::Token>();
    inputs.subschema_for::<api::NewToken>();
    answers.subschema_for::<api::CreatedToken>();
    // Teams.
    answers.subschema_for::<api::Team>();
    inputs.subschema_for::<api::NewTeam>();
    answers.subschema_for::<api::TeamSettings>();
    inputs.subschema_for::<api::TeamSettingsInput>();
    answers.subschema_for::<api::Member>();
    inputs.subschema_for::<api::MemberInput>();
    // Exemptions and policies.
    answers.subschema_for::<api::exemptions::Exemption>();
    inputs.subschema_for::<api::exemptions::NewExemption>();
    answers.subschema_for::<api::policies::Policy>();
    answers.subschema_for::<api::policies::PolicyVersion>();
    inputs.subschema_for::<api::policies::NewPolicy>();
    inputs.subschema_for::<api::policies::PolicyChanges>();
    // Compliance and reports.
    answers.subschema_for::<api::compliance::Compliance>();
    answers.subschema_for::<api::reports::Report>();
    // Notifications.
    answers.subschema_for::<api::outbox::Email>();
    answers.subschema_for::<api::outbox::EmailWithBody>();
    answers.subschema_for::<api::outbox::Queued>();
    answers.subschema_for::<api::subscriptions::Subscription>();
    inputs.subschema_for::<api::subscriptions::NewSubscription>();
    answers.subschema_for::<api::webhooks::Webhook>();
    answers.subschema_for::<api::webhooks::WebhookTest>();
    inputs.subschema_for::<api::webhooks::NewWebhook>();
    let mut schemas = answers.take_definitions(true);
    for (name, schema) in inputs.take_definitions(true) {
        let previous = schemas.insert(name.clone(), schema);
        assert!(previous.is_none(), "{name} is both an answer and a request body");
    }
    schemas
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let mut parameters: Vec<Value> = operation
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|segment| segment.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "integer" } }))
            .collect();
        parameters.extend(operation.query.iter().map(|(name, description)| {
            json!({ "name": name, "in": "query", "required": false, "description": description, "schema": string() })
        }));
        let (status, answer) = operation.answer;
        let mut responses = Map::new();
        responses.insert(
            status.to_string(),
            match answer {
                Some(schema) => json!({
                    "description": "success",
                    "content": { "application/json": { "schema": reference(schema) } }
                }),
                None => json!({ "description": "success, no body" }),
            },
        );
        responses.insert(
            "default".to_string(),
            json!({
                "description": "an error: 400 bad input, 401 not authenticated, 403 not allowed, 404 not found \
                                (also another team's resource), 409 conflict, 413 too large, 429 too many attempts",
                "content": { "application/json": { "schema": reference("Error") } }
            }),
        );
        let mut entry = json!({
            "tags": [operation.tag],
            "summary": operation.summary,
            "operationId": format!("{}{}", operation.method, operation.path.replace(['/', '{', '}'], "_")),
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(body) = operation.body {
            entry["requestBody"] = if body == "text" {
                json!({ "required": true, "content": {
                    "application/yaml": { "schema": string() }, "application/json": { "schema": {} }
                } })
            } else {
                json!({ "required": true, "content": { "application/json": { "schema": reference(body) } } })
            };
        }
        if !operation.authenticated {
            entry["security"] = json!([]);
        }
        let path = paths.entry(format!("/api/v1{}", operation.path)).or_insert_with(|| json!({}));
        path[operation.method] = entry;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Rampart API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Clusters, scans and findings of a Rampart server. Authenticate with a session cookie \
                            (POST /api/v1/session; writes then carry the X-CSRF-Token header) or with \
                            Authorization: Bearer <token>. Times are RFC 3339. Errors are {\"error\": \"…\"}."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": super::SESSION_COOKIE }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(method, path)` of every route the `/api/v1` routers declare, read from their
    /// sources: `.route("/path", get(a).post(b))`.
    fn routes_in_source() -> Vec<(String, String)> {
        let directory = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        let mut routes = Vec::new();
        for entry in std::fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            // Routes outside /api/v1: health, metrics, the setup page, this document.
            if matches!(name.as_str(), "health.rs" | "metrics.rs" | "setup_page.rs" | "openapi.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
            for call in source.split(".route(\"").skip(1) {
                let (route, rest) = call.split_once('"').unwrap();
                // Pages outside /api/v1: unsubscribe (no login: the link is signed) and the
                // printable report.
                if route == "/unsubscribe" || route == "/reports/print" || route == "/clusters/{id}/compliance/print" {
                    continue;
                }
                // The handlers up to the call's closing parenthesis.
                let mut depth = 1;
                let end = rest
                    .char_indices()
                    .find(|(_, character)| {
                        match character {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .map(|(index, _)| index)
                    .unwrap();
                for method in ["get", "post", "put", "patch", "delete"] {
                    let routed = rest[..end].starts_with(&format!(", {method}("))
                        || rest[..end].contains(&format!(".{method}("));
                    if routed {
                        routes.push((method.to_string(), route.to_string()));
                    }
                }
            }
        }
        routes.sort();
        routes
    }

    #[test]
    fn every_route_is_documented_and_every_operation_routed() {
        let mut documented: Vec<(String, String)> =
            OPERATIONS.iter().map(|operation| (operation.method.to_string(), operation.path.to_string())).collect();
        documented.sort();
        let routed = routes_in_source();
        assert!(routed.len() > 20, "the routes were read: {routed:?}");
        let undocumented: Vec<_> = routed.iter().filter(|route| !documented.contains(route)).collect();
        let unrouted: Vec<_> = documented.iter().filter(|route| !routed.contains(route)).collect();
        assert!(undocumented.is_empty(), "routes missing from OPERATIONS: {undocumented:?}");
        assert!(unrouted.is_empty(), "OPERATIONS not routed: {unrouted:?}");
    }

    fn required(schemas: &Map<String, Value>, name: &str) -> Vec<String> {
        let names = schemas[name]["required"].as_array().map(Vec::as_slice).unwrap_or_default();
        let mut names: Vec<String> = names.iter().map(|name| name.as_str().unwrap().to_string()).collect();
        names.sort();
        names
    }

    fn properties(schemas: &Map<String, Value>, name: &str) -> Vec<String> {
        let mut names: Vec<String> = schemas[name]["properties"].as_object().unwrap().keys().cloned().collect();
        names.sort();
        names
    }

    /// An answer's schema requires every field the server always writes, `null` ones
    /// included, and only those: what serde leaves out when empty is optional.
    #[test]
    fn answers_require_what_they_always_write() {
        let schemas = schemas();
        // `score`, `grade`, `started_at`, `finished_at` and `message` are written as null.
        assert_eq!(required(&schemas, "Scan"), properties(&schemas, "Scan"));
        assert!(required(&schemas, "Scan").contains(&"score".to_string()));
        let mut always = properties(&schemas, "Webhook");
        always.retain(|property| property != "secret");
        assert_eq!(required(&schemas, "Webhook"), always);
        // Nobody logged in: `{"authenticated": false}` alone.
        assert_eq!(required(&schemas, "SessionState"), ["authenticated"]);
        assert!(properties(&schemas, "SessionState").contains(&"csrf_token".to_string()));
        assert_eq!(required(&schemas, "Error"), ["error"]);
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        let text = document.to_string();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(schemas.contains_key(name), "{name} is referenced but not defined");
        }
        assert_eq!(document["openapi"], "3.1.0");
    }
}
