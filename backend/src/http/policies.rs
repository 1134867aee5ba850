//! A team's custom policies: `/teams/{id}/policies` (list, add) and `/policies/{id}` (read,
//! change, enable or disable, delete), `/policies/{id}/versions` (every source it had).
//!
//! A policy is one YAML stream: ValidatingAdmissionPolicy objects with their bindings and
//! params, as `rampart check --policy` reads them. It is compiled when saved, and refused
//! (400, naming line and column) when it has errors, so a scan never meets a broken one.
//! Every scan of the team's clusters applies the enabled policies and records their
//! versions. A team's editors and admins write policies; its viewers read them; another
//! team's policy is 404.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use rampart_api::policies::{self as api, NewPolicy as NewPolicyBody, PolicyChanges};

use super::teams::membership;
use super::{timestamp, Answer, ApiError, AppState, CurrentUser, JsonBody, Path};
use crate::store::accounts::Role;
use crate::store::policies::Policy;

/// The largest policy source kept (a policy with its bindings and params is a few KB).
const MAX_SOURCE: usize = 256 * 1024;
/// The longest name.
const MAX_NAME: usize = 253;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams/{id}/policies", get(list_policies).post(create_policy))
        .route("/policies/{id}", get(get_policy).patch(update_policy).delete(delete_policy))
        .route("/policies/{id}/versions", get(list_policy_versions))
}

/// A policy as the API answers it, with what compiling it now says: its rules, and its
/// errors (each with line and column) when a source stored by an older server no longer
/// compiles; scans skip such a policy until it is fixed.
fn policy_answer(policy: &Policy) -> api::Policy {
    let report = compile(&policy.source);
    api::Policy {
        id: policy.id,
        team: policy.team_id,
        name: policy.name.clone(),
        source: policy.source.clone(),
        enabled: policy.enabled,
        version: policy.version,
        rules: report.policies.into_iter().map(|policy| policy.rule).collect(),
        errors: report
            .errors
            .into_iter()
            .map(|error| api::PolicyError { line: error.line, column: error.column, message: error.message })
            .collect(),
        author: policy.author.clone(),
        created_at: timestamp(policy.created_at),
        updated_at: timestamp(policy.updated_at),
    }
}

fn require_editor(role: Role, team: &str) -> Result<(), ApiError> {
    if role >= Role::Editor {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "adding, changing or deleting policies needs the editor role in team '{team}'; you are {}",
        role.as_str()
    )))
}

fn validate_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::bad_request(format!("\"name\" must be 1 to {MAX_NAME} characters")));
    }
    Ok(name.to_string())
}

/// Compiles the source as a scan would: errors (with line and column) refuse it, and so
/// does a source that holds no ValidatingAdmissionPolicy.
fn validate_source(source: &str) -> Result<(), ApiError> {
    if source.len() > MAX_SOURCE {
        return Err(ApiError::bad_request(format!("a policy's source is at most {} KB", MAX_SOURCE / 1024)));
    }
    let report = compile(source);
    if !report.errors.is_empty() {
        let errors: Vec<String> = report
            .errors
            .iter()
            .map(|error| format!("line {}, column {}: {}", error.line, error.column, error.message))
            .collect();
        return Err(ApiError::bad_request(format!("the policy has errors: {}", errors.join("; "))));
    }
    if report.policies.is_empty() {
        return Err(ApiError::bad_request(
            "the source holds no ValidatingAdmissionPolicy (apiVersion: admissionregistration.k8s.io/v1)",
        ));
    }
    Ok(())
}

fn compile(source: &str) -> rampart_core::policy::PolicyReport {
    let options = rampart_core::policy::PolicyOptions {
        sources: vec![rampart_core::Source::new("policy", source)],
        ..Default::default()
    };
    rampart_core::policy::PolicySet::load(&options, &[], &[], &rampart_core::Limits::default()).report
}

async fn list_policies(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<Vec<api::Policy>>, ApiError> {
    let team = membership(&state, &user, id).await?;
    let policies = state.store.list_policies(user.user.id, team.team_id).await?;
    Ok(Answer(policies.iter().map(policy_answer).collect()))
}

async fn create_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<NewPolicyBody>,
) -> Result<(StatusCode, Answer<api::Policy>), ApiError> {
    let team = membership(&state, &user, id).await?;
    require_editor(team.role, &team.team)?;
    let name = validate_name(&body.name)?;
    validate_source(&body.source)?;
    let policy_id = state
        .store
        .create_policy(team.team_id, &name, &body.source, body.enabled.unwrap_or(true), user.user.id)
        .await?;
    tracing::info!(policy = policy_id, team = team.team_id, by = user.user.id, "policy added");
    let policy = state.store.policy_for_user(user.user.id, policy_id).await?.ok_or(ApiError::NotFound)?;
    Ok((StatusCode::CREATED, Answer(policy_answer(&policy))))
}

async fn get_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<api::Policy>, ApiError> {
    let policy = state.store.policy_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(Answer(policy_answer(&policy)))
}

async fn update_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(changes): JsonBody<PolicyChanges>,
) -> Result<Answer<api::Policy>, ApiError> {
    let policy = state.store.policy_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    require_editor(policy.role, &format!("{}", policy.team_id))?;
    let name = changes.name.as_deref().map(validate_name).transpose()?;
    if let Some(source) = &changes.source {
        validate_source(source)?;
    }
    let version = state
        .store
        .update_policy(policy.id, name.as_deref(), changes.source.as_deref(), changes.enabled, user.user.id)
        .await?;
    tracing::info!(policy = policy.id, version, enabled = ?changes.enabled, by = user.user.id, "policy changed");
    let policy = state.store.policy_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    Ok(Answer(policy_answer(&policy)))
}

async fn delete_policy(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    let policy = state.store.policy_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    require_editor(policy.role, &format!("{}", policy.team_id))?;
    state.store.delete_policy(policy.id).await?;
    tracing::info!(policy = policy.id, by = user.user.id, "policy deleted");
    Ok(StatusCode::NO_CONTENT)
}

async fn list_policy_versions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Answer<Vec<api::PolicyVersion>>, ApiError> {
    let policy = state.store.policy_for_user(user.user.id, id).await?.ok_or(ApiError::NotFound)?;
    let versions = state.store.policy_versions(policy.id).await?;
    Ok(Answer(
        versions
            .into_iter()
            .map(|(version, source, author, created_at)| api::PolicyVersion {
                version,
                source,
                author,
                created_at: timestamp(created_at),
            })
            .collect(),
    ))
}
