//! `/clusters`: register, list, change and delete clusters, and upload snapshots to scan.
//!
//! Only a team's editors and admins register or change clusters (the server will connect
//! to what they give); deleting takes a team admin. Another team's cluster is 404.
//!
//! A cluster reached through its API is scanned on a schedule, every 6 hours unless told
//! otherwise (`"schedule"`: cron, a shorthand or `@every`; null for none), and when asked
//! ("scan now"); a snapshot cluster when an export is uploaded.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use rampart_api::{Accepted, AgentSetup, ClusterInput, ClusterSummary, ConnectionTest, LastScan, Team};
use serde_json::Value;

use super::{counts, timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::cron::{Schedule, DEFAULT_SCHEDULE, SCHEDULE_HELP};
use crate::scan_runner::{credentials_context, Credentials};
use crate::scanner;
use crate::store::accounts::Role;
use crate::store::agents::AgentContact;
use crate::store::clusters::{Cluster, ClusterChanges, ClusterKind, NewCluster};
use crate::store::now_millis;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters", get(list_clusters).post(create_cluster))
        .route("/clusters/{id}", get(get_cluster).patch(update_cluster).delete(delete_cluster))
        .route("/clusters/{id}/snapshots", post(upload_snapshot))
        .route("/clusters/{id}/scans", post(start_scan))
        .route("/clusters/{id}/agent-token", post(issue_agent_token).delete(revoke_agent_token))
        .route("/clusters/test", post(test_connection))
}

/// A schedule checked for a cluster of this kind, with the next time it comes.
fn checked_schedule(kind: ClusterKind, schedule: Option<&str>) -> Result<(Option<String>, Option<i64>), ApiError> {
    let Some(text) = schedule else { return Ok((None, None)) };
    if kind == ClusterKind::Snapshot {
        return Err(ApiError::bad_request(
            "schedule: a snapshot cluster is scanned when an export is uploaded, so it takes no schedule; leave \
             \"schedule\" out",
        ));
    }
    let parsed =
        Schedule::parse(text).map_err(|error| ApiError::bad_request(format!("schedule: {error} — {SCHEDULE_HELP}")))?;
    // A schedule whose next run cannot be computed would silently never run.
    let next = parsed.next_after(now_millis()).ok_or_else(|| {
        ApiError::bad_request(format!(
            "schedule: the next run of '{}' cannot be computed — {SCHEDULE_HELP}",
            text.trim()
        ))
    })?;
    Ok((Some(text.trim().to_string()), Some(next)))
}

/// An agent that has not been in contact for this long is flagged silent (it asks for
/// instructions every few seconds while it runs).
pub const AGENT_SILENT_AFTER_MILLIS: i64 = 5 * 60 * 1000;

/// An agent cluster's agent as the API shows it.
fn agent_contact(agent: &AgentContact) -> rampart_api::AgentContact {
    let silent = agent.last_contact_at.is_none_or(|at| now_millis() - at > AGENT_SILENT_AFTER_MILLIS);
    rampart_api::AgentContact {
        last_contact_at: agent.last_contact_at.map(timestamp),
        version: agent.version.clone(),
        silent,
    }
}

fn cluster_answer(cluster: &Cluster, agent: Option<&AgentContact>) -> rampart_api::Cluster {
    rampart_api::Cluster {
        id: cluster.id,
        name: cluster.name.clone(),
        team: Team { id: cluster.team_id, name: cluster.team.clone() },
        kind: cluster.kind.as_str().to_string(),
        server: cluster.server.as_deref().map(without_user_info),
        context: cluster.context.clone(),
        schedule: cluster.schedule.clone(),
        next_scan_at: cluster.next_scan_at.map(timestamp),
        created_at: timestamp(cluster.created_at),
        agent: agent.map(agent_contact),
        agent_setup: None,
    }
}

/// The cluster as the API shows it, with its agent's contact for an agent cluster.
async fn cluster_view(state: &AppState, cluster: &Cluster) -> Result<rampart_api::Cluster, ApiError> {
    let agent = match cluster.kind {
        ClusterKind::Agent => Some(state.store.agent_of(cluster.id).await?.unwrap_or_default()),
        _ => None,
    };
    Ok(cluster_answer(cluster, agent.as_ref()))
}

/// A URL without its user-info part (`https://user:password@host` → `https://host`): none
/// is accepted any more, but one stored before may remain.
fn without_user_info(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

/// The cluster if the user's teams hold it, else 404.
pub async fn visible_cluster(state: &AppState, user: &CurrentUser, cluster_id: i64) -> Result<Cluster, ApiError> {
    state.store.cluster_for_user(user.user.id, cluster_id).await?.ok_or(ApiError::NotFound)
}

fn require_role(cluster: &Cluster, role: Role, action: &str) -> Result<(), ApiError> {
    if cluster.role >= role {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "{action} needs the {} role in team '{}'; you are {}",
            role.as_str(),
            cluster.team,
            cluster.role.as_str()
        )))
    }
}

fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.len() > 200 {
        return Err(ApiError::bad_request("a cluster name is 1 to 200 characters"));
    }
    Ok(())
}

async fn list_clusters(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Answer<Vec<ClusterSummary>>, ApiError> {
    let clusters = state.store.list_clusters(user.user.id).await?;
    let items = clusters
        .into_iter()
        .map(|cluster| ClusterSummary {
            id: cluster.id,
            name: cluster.name,
            team: cluster.team,
            kind: cluster.kind.as_str().to_string(),
            score: cluster.score,
            grade: cluster.grade,
            counts: counts(&cluster.counts),
            new: cluster.changes.map(|(new, _)| new),
            resolved: cluster.changes.map(|(_, resolved)| resolved),
            // A scan that failed or read only part of its input says why, here too: the
            // message and the first errors (the scan's page lists them all).
            last_scan: cluster.last_scan.map(|scan| LastScan {
                id: scan.id,
                status: scan.status,
                finished_at: scan.finished_at.map(timestamp),
                message: scan.message,
                error_count: scan.errors.len() as i64,
                errors: scan.errors.into_iter().take(3).collect(),
            }),
            next_scan_at: cluster.next_scan_at.map(timestamp),
            agent: cluster.agent.as_ref().map(agent_contact),
        })
        .collect();
    Ok(Answer(items))
}

async fn create_cluster(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<ClusterInput>,
) -> Result<(StatusCode, Answer<rampart_api::Cluster>), ApiError> {
    let name = body.name.clone().ok_or_else(|| ApiError::bad_request("name is required"))?;
    validate_name(&name)?;
    let kind = if body.snapshot == Some(true) {
        ClusterKind::Snapshot
    } else if body.agent == Some(true) {
        if body.kubeconfig.is_some() || body.server.is_some() || body.token.is_some() || body.ca_pem.is_some() {
            return Err(ApiError::bad_request(
                "an agent cluster is reached by its agent: leave out \"kubeconfig\", \"server\", \"token\" and \"ca_pem\"",
            ));
        }
        ClusterKind::Agent
    } else if body.kubeconfig.is_some() {
        ClusterKind::Kubeconfig
    } else if body.server.is_some() {
        ClusterKind::Api
    } else {
        return Err(ApiError::bad_request(
            "say how to reach the cluster: \"agent\": true (an agent inside it delivers its scans), \"snapshot\": \
             true (upload exports), \"kubeconfig\" (with \"context\"), or \"server\" with \"token\" and \"ca_pem\"",
        ));
    };
    // What the scanner needs to connect: sealed with the cluster's id once it has one.
    let credentials = credentials_of(kind, &body)?;
    if let Some(credentials) = &credentials {
        check_credentials(&state, credentials).await?;
    }

    let schedule = match &body.schedule {
        None if kind != ClusterKind::Snapshot => Some(DEFAULT_SCHEDULE),
        None => None,
        Some(given) => given.as_deref(),
    };
    let (schedule, next_scan_at) = checked_schedule(kind, schedule)?;

    let memberships = state.store.memberships(user.user.id).await?;
    let membership = match &body.team {
        None => match memberships.as_slice() {
            [only] => only.clone(),
            [] => return Err(ApiError::Forbidden("you belong to no team: ask an admin to add you to one".into())),
            _ => return Err(ApiError::bad_request("you belong to several teams: name one with \"team\"")),
        },
        Some(team) => memberships
            .iter()
            .find(|membership| match team {
                Value::Number(id) => id.as_i64() == Some(membership.team_id),
                Value::String(name) => *name == membership.team,
                _ => false,
            })
            .cloned()
            .ok_or_else(|| ApiError::bad_request("no such team among yours"))?,
    };
    if membership.role < Role::Editor {
        return Err(ApiError::Forbidden(format!(
            "registering a cluster needs the editor role in team '{}'; you are {}",
            membership.team,
            membership.role.as_str()
        )));
    }
    let id = state
        .store
        .create_cluster(&NewCluster {
            team_id: membership.team_id,
            name,
            kind,
            server: body.server,
            context: body.context,
            schedule,
            next_scan_at,
            credentials: None,
        })
        .await
        .map_err(|error| match ApiError::from(error) {
            ApiError::Conflict(_) => {
                ApiError::Conflict(format!("team '{}' already has a cluster of that name", membership.team))
            }
            other => other,
        })?;
    if let Some(credentials) = credentials {
        let sealed = state.secrets.seal(&credentials.to_json(), &credentials_context(id));
        state.store.set_cluster_credentials(id, &sealed).await?;
    }
    let agent_token = match kind {
        ClusterKind::Agent => {
            // Its first scan waits for the agent: the cluster shows results as soon as the
            // agent is up, not at the schedule's first occurrence.
            state.store.queue_agent_scan(id, "manual").await?;
            Some(state.store.issue_agent_token(id).await?)
        }
        _ => None,
    };
    tracing::info!(cluster = id, team = membership.team_id, kind = kind.as_str(), "cluster registered");
    let cluster = visible_cluster(&state, &user, id).await?;
    let mut view = cluster_view(&state, &cluster).await?;
    view.agent_setup = agent_token.map(|token| agent_setup(&state, &cluster, &token));
    Ok((StatusCode::CREATED, Answer(view)))
}

/// How the body says to reach a cluster of that kind; `None` for a snapshot cluster.
fn credentials_of(kind: ClusterKind, body: &ClusterInput) -> Result<Option<Credentials>, ApiError> {
    Ok(match kind {
        ClusterKind::Snapshot | ClusterKind::Agent => None,
        ClusterKind::Kubeconfig => Some(Credentials::Kubeconfig {
            kubeconfig: body.kubeconfig.clone().unwrap_or_default(),
            context: body.context.clone(),
        }),
        ClusterKind::Api => {
            let server = body.server.clone().unwrap_or_default();
            if !(server.starts_with("https://") || server.starts_with("http://")) {
                return Err(ApiError::bad_request(
                    "server must be the API server's URL, such as https://10.0.0.1:6443",
                ));
            }
            let token = body.token.clone().filter(|token| !token.trim().is_empty()).ok_or_else(|| {
                ApiError::bad_request("a cluster reached by URL needs \"token\": a service account's bearer token")
            })?;
            Some(Credentials::Token { server, token, ca_pem: body.ca_pem.clone() })
        }
    })
}

/// Refuses credentials the scanner could never use (a kubeconfig that does not parse, a
/// missing context, a file path or `exec` user, a CA that is not PEM) before they are saved,
/// a URL with a password in it, a token over plain `http://`) before they are saved, with
/// the scanner's own message. Nothing is sent to the cluster.
async fn check_credentials(state: &AppState, credentials: &Credentials) -> Result<(), ApiError> {
    scanner::connect::config(&credentials.clone().into_config(), state.scans.scan_options())
        .await
        .map(drop)
        .map_err(ApiError::BadRequest)
}

/// `POST /clusters/test`: the registration form's "test connection". The body is that of
/// `POST /clusters` (name, team and schedule are ignored); the answer says whether the
/// API server answered with these credentials, what failed if not, and the kubeconfig's
/// contexts for a context picker. Editors only, like registering: the server connects to
/// the URL given.
async fn test_connection(
    State(state): State<AppState>,
    user: CurrentUser,
    JsonBody(body): JsonBody<ClusterInput>,
) -> Result<Answer<ConnectionTest>, ApiError> {
    let memberships = state.store.memberships(user.user.id).await?;
    if !memberships.iter().any(|membership| membership.role >= Role::Editor) {
        return Err(ApiError::Forbidden("testing a connection needs the editor role in a team".to_string()));
    }
    let kind = if body.kubeconfig.is_some() {
        ClusterKind::Kubeconfig
    } else if body.server.is_some() {
        ClusterKind::Api
    } else {
        return Err(ApiError::bad_request("give \"kubeconfig\" (with \"context\"), or \"server\" with \"token\""));
    };
    if body.agent == Some(true) {
        return Err(ApiError::bad_request(
            "an agent cluster has no connection to test: its agent connects to this server",
        ));
    }
    let contexts: Vec<String> = match &body.kubeconfig {
        Some(text) => kube::config::Kubeconfig::from_yaml(text)
            .map(|kubeconfig| kubeconfig.contexts.into_iter().map(|named| named.name).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let Some(credentials) = credentials_of(kind, &body)? else {
        return Err(ApiError::bad_request("a snapshot cluster has no connection to test"));
    };
    let options = state.scans.scan_options();
    let config = credentials.into_config();
    let outcome = match scanner::connect::client(&config, options).await {
        Ok(client) => scanner::connect::probe(&client, &config, options).await,
        Err(message) => Err(message),
    };
    tracing::info!(user = user.user.id, ok = outcome.is_ok(), "connection tested");
    Ok(Answer(ConnectionTest {
        ok: outcome.is_ok(),
        message: outcome.err().unwrap_or_else(|| "the cluster API answered".to_string()),
        contexts,
    }))
}

async fn get_cluster(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<rampart_api::Cluster>, ApiError> {
    Ok(Answer(cluster_view(&state, &visible_cluster(&state, &user, id).await?).await?))
}

async fn update_cluster(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ClusterInput>,
) -> Result<Answer<rampart_api::Cluster>, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    require_role(&cluster, Role::Editor, "changing a cluster")?;
    if let Some(name) = &body.name {
        validate_name(name)?;
    }
    if body.team.is_some() || body.snapshot.is_some() || body.agent.is_some() {
        return Err(ApiError::bad_request("a cluster's team and kind cannot change; register a new cluster"));
    }
    let schedule = match &body.schedule {
        Some(given) => Some(checked_schedule(cluster.kind, given.as_deref())?),
        None => None,
    };
    let credentials = changed_credentials(&state, &cluster, &body).await?;
    let changes = ClusterChanges { name: body.name, server: body.server, context: body.context, credentials };
    state.store.update_cluster(id, &changes).await?;
    if let Some((schedule, next_scan_at)) = schedule {
        state.store.set_schedule(id, schedule.as_deref(), next_scan_at).await?;
    }
    Ok(Answer(cluster_view(&state, &visible_cluster(&state, &user, id).await?).await?))
}

/// The cluster's credentials with the body's changes applied, sealed again; `None` when
/// the body changes none of them. Fields of the other way of connecting are refused.
async fn changed_credentials(
    state: &AppState,
    cluster: &Cluster,
    body: &ClusterInput,
) -> Result<Option<Vec<u8>>, ApiError> {
    let touches_api = body.token.is_some() || body.ca_pem.is_some() || body.server.is_some();
    let touches_kubeconfig = body.kubeconfig.is_some() || body.context.is_some();
    let current = || async {
        let sealed = state.store.cluster_credentials(cluster.id).await?;
        Ok::<_, ApiError>(
            sealed
                .and_then(|sealed| state.secrets.open(&sealed, &credentials_context(cluster.id)).ok())
                .and_then(|json| serde_json::from_slice::<Credentials>(&json).ok()),
        )
    };
    let merged = match cluster.kind {
        ClusterKind::Snapshot if touches_api || touches_kubeconfig => {
            return Err(ApiError::bad_request("a snapshot cluster has no server or credentials"));
        }
        ClusterKind::Agent if touches_api || touches_kubeconfig => {
            return Err(ApiError::bad_request(
                "an agent cluster has no server or credentials here: its agent holds them (issue a new agent \
                 token with POST /api/v1/clusters/{id}/agent-token)",
            ));
        }
        ClusterKind::Snapshot | ClusterKind::Agent => return Ok(None),
        ClusterKind::Kubeconfig if touches_api => {
            return Err(ApiError::bad_request(
                "this cluster is reached by kubeconfig: change \"kubeconfig\" or \"context\"",
            ));
        }
        ClusterKind::Api if body.kubeconfig.is_some() || body.context.is_some() => {
            return Err(ApiError::bad_request(
                "this cluster is reached by URL: change \"server\", \"token\" or \"ca_pem\"",
            ));
        }
        ClusterKind::Kubeconfig if touches_kubeconfig => {
            let (kubeconfig, context) = match current().await? {
                Some(Credentials::Kubeconfig { kubeconfig, context }) => (kubeconfig, context),
                _ => (String::new(), None),
            };
            let merged = Credentials::Kubeconfig {
                kubeconfig: body.kubeconfig.clone().unwrap_or_else(|| kubeconfig.clone()),
                context: body.context.clone().or_else(|| context.clone()),
            };
            // Another context of the same kubeconfig may point at another server: its
            // credentials are the kubeconfig's, entered for the servers it names, but the
            // switch is a change of destination all the same.
            if body.kubeconfig.is_none() {
                let before = Credentials::Kubeconfig { kubeconfig, context };
                if server_of(state, &before).await != server_of(state, &merged).await {
                    return Err(ApiError::bad_request(
                        "that context points at another server: give the kubeconfig again (\"kubeconfig\") together \
                         with the new \"context\" — stored credentials only ever go to the server they were entered for",
                    ));
                }
            }
            merged
        }
        ClusterKind::Api if touches_api => {
            let (server, token, ca_pem) = match current().await? {
                Some(Credentials::Token { server, token, ca_pem }) => (server, token, ca_pem),
                _ => (cluster.server.clone().unwrap_or_default(), String::new(), None),
            };
            // The stored token goes to the server it was entered for, never to a new one: a
            // new server takes the token again (whoever changes it must know it).
            if body.server.as_ref().is_some_and(|new| *new != server) && body.token.is_none() {
                return Err(ApiError::bad_request(
                    "changing the server needs the token again: give \"token\" together with the new \"server\" — \
                     the stored token only ever goes to the server it was entered for",
                ));
            }
            Credentials::Token {
                server: body.server.clone().unwrap_or(server),
                token: body.token.clone().unwrap_or(token),
                ca_pem: body.ca_pem.clone().or(ca_pem),
            }
        }
        ClusterKind::Kubeconfig | ClusterKind::Api => return Ok(None),
    };
    check_credentials(state, &merged).await?;
    Ok(Some(state.secrets.seal(&merged.to_json(), &credentials_context(cluster.id))))
}

/// The API server URL credentials lead to (`None` when the kubeconfig cannot be used).
async fn server_of(state: &AppState, credentials: &Credentials) -> Option<String> {
    let config = scanner::connect::config(&credentials.clone().into_config(), state.scans.scan_options()).await.ok()?;
    Some(config.cluster_url.to_string())
}

async fn delete_cluster(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    require_role(&cluster, Role::Admin, "deleting a cluster")?;
    state.store.delete_cluster(id).await?;
    tracing::info!(cluster = id, "cluster deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /clusters/{id}/scans`: scan a cluster through its API now; 202 with the scan's id.
async fn start_scan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Answer<Accepted>), ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    require_role(&cluster, Role::Editor, "starting a scan")?;
    if cluster.kind == ClusterKind::Snapshot {
        return Err(ApiError::bad_request(format!(
            "cluster '{}' is a snapshot cluster: upload an export to POST /api/v1/clusters/{id}/snapshots",
            cluster.name
        )));
    }
    if cluster.kind == ClusterKind::Agent {
        // The agent delivers it when it next asks for instructions.
        let scan_id = state.store.queue_agent_scan(cluster.id, "manual").await?.ok_or_else(|| {
            ApiError::Conflict(format!(
                "a scan of cluster '{}' is already waiting for its agent or under way",
                cluster.name
            ))
        })?;
        return Ok((StatusCode::ACCEPTED, Answer(Accepted { id: scan_id })));
    }
    let scan_id = state.scans.start_cluster_scan(cluster.id, "manual").await?;
    Ok((StatusCode::ACCEPTED, Answer(Accepted { id: scan_id })))
}

/// What a newcomer needs to start the cluster's agent: the token (shown once), the
/// manifest with it filled in, and the one command that applies it.
fn agent_setup(state: &AppState, cluster: &Cluster, token: &str) -> AgentSetup {
    use crate::agent::manifest::{render, Secrets};
    let server = state.mail.public_url();
    let command = |manifest: &str| format!("kubectl apply -f - <<'EOF'\n{manifest}EOF");
    let manifest = render(server, token, Secrets::Skipped);
    let with_secrets = render(server, token, Secrets::Listed);
    AgentSetup {
        cluster: cluster.id,
        token: token.to_string(),
        server: server.to_string(),
        command: command(&manifest),
        manifest,
        command_with_secrets: command(&with_secrets),
        manifest_with_secrets: with_secrets,
    }
}

/// `POST /clusters/{id}/agent-token`: a new token for the cluster's agent, replacing the
/// former one (which stops working at once); with the manifest that carries it. Editors.
async fn issue_agent_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Answer<AgentSetup>), ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    require_role(&cluster, Role::Editor, "issuing an agent token")?;
    if cluster.kind != ClusterKind::Agent {
        return Err(ApiError::bad_request(format!("cluster '{}' is not an agent cluster", cluster.name)));
    }
    let token = state.store.issue_agent_token(id).await?;
    tracing::info!(cluster = id, user = user.user.id, "agent token issued");
    Ok((StatusCode::CREATED, Answer(agent_setup(&state, &cluster, &token))))
}

/// `DELETE /clusters/{id}/agent-token`: revokes the agent's token; the agent is refused
/// (401) from its next request. Editors.
async fn revoke_agent_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    require_role(&cluster, Role::Editor, "revoking an agent token")?;
    if !state.store.revoke_agent_token(id).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(cluster = id, user = user.user.id, "agent token revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /clusters/{id}/snapshots`: the body is `kubectl get … -o yaml` (or JSON) output;
/// a scan of it is queued and runs in the background. 202 with the scan's id. The cluster
/// and the role are checked before a byte of the body is read (404, 403), and the body is
/// held to the engine's limit and the server's upload memory (see [`super::guard::read_upload`]).
async fn upload_snapshot(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Answer<Accepted>), ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    require_role(&cluster, Role::Editor, "uploading a snapshot")?;
    if cluster.kind != ClusterKind::Snapshot {
        return Err(ApiError::bad_request(format!(
            "cluster '{}' is not a snapshot cluster: it is scanned through its API or by its agent",
            cluster.name
        )));
    }
    let (body, held) = super::guard::read_upload(&state.guards.uploads, &headers, body).await?;
    if body.trim().is_empty() {
        return Err(ApiError::bad_request("the snapshot is empty: send `kubectl get … -A -o yaml` output as the body"));
    }
    let scan_id = state.scans.start_snapshot_scan(cluster.id, body, held).await?;
    Ok((StatusCode::ACCEPTED, Answer(Accepted { id: scan_id })))
}
