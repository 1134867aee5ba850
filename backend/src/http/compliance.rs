//! A cluster's compliance view: `GET /api/v1/clusters/{id}/compliance?framework=cis` (JSON),
//! `…/compliance.csv` (a CSV download) and `GET /clusters/{id}/compliance/print` (a page to
//! print), outside the API.
//!
//! Each framework's controls are read (by [`rampart_core::compliance`]) from what the
//! cluster's latest finished scan concluded: a control fails when one of its rules has
//! findings that are not exempted, passes when one of its rules applied and none failed, and
//! is "not assessed" otherwise, including every control no rule assesses. The evidence of a
//! failing control is its rules' open findings (at most [`EVIDENCE_PER_RULE`] per rule); the
//! trend is the counts at each of the latest [`TREND_SCANS`] scans that recorded rule
//! results (scans recorded before the server kept them have none, and are left out).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rampart_api::compliance as api;
use rampart_api::exemptions::Named;
use rampart_core::compliance::{self, Framework, RuleResults, Status, View};
use serde::Deserialize;

use super::clusters::visible_cluster;
use super::{resource, timestamp, Answer, ApiError, AppState, CurrentUser, Path, Query};
use crate::reports::csv::{header, number, text, write_row};
use crate::reports::object_name;
use crate::store::clusters::Cluster;
use crate::store::compliance::RuleEvidence;
use crate::store::scans::StoredFinding;

/// Open findings shown as evidence per failing rule.
pub const EVIDENCE_PER_RULE: i64 = 20;
/// Scans the trend covers, the latest.
pub const TREND_SCANS: i64 = 90;

/// The page's own policy: nothing but its inline style.
const PRINT_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `/clusters/{id}/compliance` and `.csv`, under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clusters/{id}/compliance", get(get_compliance))
        .route("/clusters/{id}/compliance.csv", get(get_compliance_csv))
}

/// `/clusters/{id}/compliance/print`, outside `/api/v1`.
pub fn print_router() -> Router<AppState> {
    Router::new().route("/clusters/{id}/compliance/print", get(print_compliance))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ComplianceQuery {
    /// `cis` (the default), `nsa`, `pss` or `layers`.
    framework: Option<String>,
}

impl ComplianceQuery {
    fn framework(&self) -> Result<Framework, ApiError> {
        match self.framework.as_deref() {
            None => Ok(Framework::Cis),
            Some(text) => Framework::parse(text).ok_or_else(|| {
                ApiError::bad_request(format!("framework must be one of cis, nsa, pss, layers; got '{text}'"))
            }),
        }
    }
}

/// A cluster's view of one framework, with what it rests on.
struct Compliance {
    cluster: Cluster,
    /// The scan the view reads, with when it finished.
    scan: Option<(i64, i64)>,
    view: View,
    /// Open findings of each failing rule.
    evidence: BTreeMap<String, RuleEvidence>,
    /// `(scan, at, counts)` oldest first.
    trend: Vec<(i64, i64, compliance::Counts)>,
}

async fn build(state: &AppState, user: &CurrentUser, id: i64, framework: Framework) -> Result<Compliance, ApiError> {
    let cluster = visible_cluster(state, user, id).await?;
    let history = state.store.scans_rule_results(cluster.id, TREND_SCANS).await?;
    let trend = history
        .iter()
        .filter_map(|point| {
            point
                .results
                .as_ref()
                .map(|results| (point.scan, point.at, compliance::evaluate(framework, results).counts))
        })
        .collect();
    let latest = history.iter().rev().find(|point| point.results.is_some());
    let scan = latest.map(|point| (point.scan, point.at));
    let results = latest.and_then(|point| point.results.clone()).unwrap_or_else(RuleResults::default);
    let view = compliance::evaluate(framework, &results);
    let failing: Vec<String> = view.controls.iter().flat_map(|control| control.failed_rules.clone()).collect();
    let evidence = state.store.compliance_evidence(cluster.id, &failing, None, EVIDENCE_PER_RULE).await?;
    Ok(Compliance { cluster, scan, view, evidence, trend })
}

pub(crate) fn status_name(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::NotAssessed => "not_assessed",
    }
}

/// Counts over time, `(scan, at, counts)` oldest first, as the compliance page's JSON and
/// the report's show them.
pub(crate) fn trend_answer(trend: &[(i64, i64, compliance::Counts)]) -> Vec<api::ComplianceTrendPoint> {
    trend
        .iter()
        .map(|(scan, at, counts)| api::ComplianceTrendPoint { scan: *scan, at: timestamp(*at), counts: *counts })
        .collect()
}

/// A finding as evidence, in the compliance page's JSON and the report's.
pub(crate) fn evidence_answer(finding: &StoredFinding) -> api::Evidence {
    api::Evidence {
        id: finding.id,
        rule: finding.rule.clone(),
        severity: finding.severity.clone(),
        resource: resource(&finding.kind, &finding.namespace, &finding.name),
        path: finding.path.clone(),
        message: finding.message.clone(),
    }
}

fn compliance_answer(compliance: &Compliance) -> api::Compliance {
    let view = &compliance.view;
    let controls = view
        .controls
        .iter()
        .map(|control| api::ComplianceControl {
            id: control.id.clone(),
            title: control.title.clone(),
            status: control.status,
            rules: control.rules.clone(),
            failed_rules: control.failed_rules.clone(),
            findings: control.findings,
            evidence: control
                .failed_rules
                .iter()
                .flat_map(|rule| compliance.evidence.get(rule).into_iter().flat_map(|evidence| &evidence.findings))
                .map(evidence_answer)
                .collect(),
        })
        .collect();
    api::Compliance {
        cluster: Named { id: compliance.cluster.id, name: compliance.cluster.name.clone() },
        framework: view.framework,
        title: view.title.clone(),
        scan: compliance.scan.map(|(id, at)| api::ComplianceScan { id, finished_at: timestamp(at) }),
        counts: view.counts,
        controls,
        trend: trend_answer(&compliance.trend),
    }
}

async fn get_compliance(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<ComplianceQuery>,
) -> Result<Answer<api::Compliance>, ApiError> {
    let compliance = build(&state, &user, id, query.framework()?).await?;
    Ok(Answer(compliance_answer(&compliance)))
}

/// One row per control; the evidence as `Kind namespace/name (rule)` separated by `; `.
fn compliance_csv(compliance: &Compliance) -> String {
    let mut out = String::new();
    header(&mut out, &["framework", "control", "title", "status", "rules", "failed_rules", "findings", "evidence"]);
    for control in &compliance.view.controls {
        let evidence: Vec<String> = control
            .failed_rules
            .iter()
            .flat_map(|rule| compliance.evidence.get(rule).into_iter().flat_map(|evidence| &evidence.findings))
            .map(|finding| {
                format!("{} ({})", object_name(&finding.kind, &finding.namespace, &finding.name), finding.rule)
            })
            .collect();
        write_row(
            &mut out,
            &[
                text(compliance.view.framework.as_str()),
                text(control.id.as_str()),
                text(control.title.as_str()),
                text(status_name(control.status)),
                text(control.rules.join(" ")),
                text(control.failed_rules.join(" ")),
                number(control.findings),
                text(evidence.join("; ")),
            ],
        );
    }
    out
}

async fn get_compliance_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<ComplianceQuery>,
) -> Result<Response, ApiError> {
    let framework = query.framework()?;
    let compliance = build(&state, &user, id, framework).await?;
    let mut response = compliance_csv(&compliance).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let file = format!("attachment; filename=\"rampart-compliance-{}-{}.csv\"", id, framework.as_str());
    if let Ok(value) = HeaderValue::from_str(&file) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "reports/compliance.html")]
struct PrintPage {
    cluster: String,
    title: String,
    scan: String,
    counts: compliance::Counts,
    controls: Vec<ControlView>,
    trend: Vec<TrendView>,
}

struct ControlView {
    id: String,
    title: String,
    status: &'static str,
    rules: String,
    evidence: Vec<String>,
}

struct TrendView {
    at: String,
    counts: compliance::Counts,
}

fn render_print(compliance: &Compliance) -> Result<String, askama::Error> {
    let controls = compliance
        .view
        .controls
        .iter()
        .map(|control| ControlView {
            id: control.id.clone(),
            title: control.title.clone(),
            status: control.status.as_str(),
            rules: if control.rules.is_empty() {
                "no rule assesses this control".into()
            } else {
                control.rules.join(", ")
            },
            evidence: control
                .failed_rules
                .iter()
                .flat_map(|rule| compliance.evidence.get(rule).into_iter().flat_map(|evidence| &evidence.findings))
                .map(|finding| {
                    format!(
                        "{} ({}): {}",
                        object_name(&finding.kind, &finding.namespace, &finding.name),
                        finding.rule,
                        finding.message
                    )
                })
                .collect(),
        })
        .collect();
    PrintPage {
        cluster: compliance.cluster.name.clone(),
        title: compliance.view.title.clone(),
        scan: compliance.scan.map_or("no scan has recorded rule results yet".into(), |(id, at)| {
            format!("scan {id}, finished {}", timestamp(at))
        }),
        counts: compliance.view.counts,
        controls,
        trend: compliance
            .trend
            .iter()
            .map(|(_, at, counts)| TrendView { at: timestamp(*at), counts: *counts })
            .collect(),
    }
    .render()
}

async fn print_compliance(
    State(state): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    Path(id): Path<i64>,
    query: Result<Query<ComplianceQuery>, ApiError>,
) -> Response {
    let result = async {
        let user = user?;
        let Query(query) = query?;
        let compliance = build(&state, &user, id, query.framework()?).await?;
        render_print(&compliance).map_err(ApiError::internal)
    }
    .await;
    let mut response = match result {
        Ok(page) => Html(page).into_response(),
        Err(error) => error.into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PRINT_POLICY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}
