//! Reports over a period (see [`crate::reports`]): `GET /api/v1/reports` as JSON,
//! `GET /api/v1/reports.csv` (or `/reports?format=csv`) as a CSV download, and
//! `GET /reports/print`, outside the API, as a page to print.
//!
//! Parameters, all optional: `from` and `to` (RFC 3339 times, or dates `YYYY-MM-DD`: `from`
//! a day's start, `to` its end, UTC; by default the 30 days to now), `clusters` (ids
//! separated by commas; by default every cluster of the user's teams; another team's
//! cluster is 404), `points` (`day`, the default: each day's last scan; or `scan`: every
//! scan), and for CSV `table` (one table; by default all of them in one file). Unknown or
//! malformed parameters are a 400 naming the parameter.

use askama::Template;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rampart_api::compliance::ComplianceScan;
use rampart_api::exemptions::Named;
use rampart_api::reports as api;
use serde::Deserialize;

use super::compliance::{evidence_answer, trend_answer};
use super::{counts, parse_timestamp, resource, timestamp, Answer, ApiError, AppState, CurrentUser, Query};
use crate::reports::csv::{self, Table};
use crate::reports::rule_findings_url;
use crate::reports::{
    self, date_text, ClusterRef, ClusterReport, FrameworkSummary, Points, Report, ScoreState, DAY, DEFAULT_DAYS,
};
use crate::store::now_millis;

/// The longest period a report covers.
const MAX_DAYS: i64 = 3660;
/// The most clusters one request may list.
const MAX_CLUSTERS: usize = 500;

/// The page's own policy, tighter than the app's: nothing but its inline style.
const PRINT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// `/reports` and `/reports.csv`, under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/reports", get(report_json_or_csv)).route("/reports.csv", get(report_csv))
}

/// `/reports/print`, outside `/api/v1`.
pub fn print_router() -> Router<AppState> {
    Router::new().route("/reports/print", get(report_print))
}

/// The parameters of every report route (`format` and `table` only for the API's).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    clusters: Option<String>,
    points: Option<String>,
    format: Option<String>,
    table: Option<String>,
}

/// A time parameter: RFC 3339, or a date standing for its first millisecond (`end_of_day`
/// false) or its last (true).
fn parse_time(name: &str, text: &str, end_of_day: bool) -> Result<i64, ApiError> {
    if let Some(day) = parse_date(text) {
        return Ok(if end_of_day { (day + 1) * DAY - 1 } else { day * DAY });
    }
    parse_timestamp(text).map_err(|_| {
        ApiError::bad_request(format!(
            "{name}: '{text}' is neither an RFC 3339 time (2026-01-31T12:00:00Z) nor a date (2026-01-31)"
        ))
    })
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(month.parse::<u8>().ok()?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp().div_euclid(86_400))
}

/// `[from, to]` from the parameters, defaults filled in.
fn period(from: Option<&str>, to: Option<&str>, now: i64) -> Result<(i64, i64), ApiError> {
    let to = to.map(|text| parse_time("to", text, true)).transpose()?.unwrap_or(now);
    let from = from.map(|text| parse_time("from", text, false)).transpose()?.unwrap_or(to - DEFAULT_DAYS * DAY);
    if from >= to {
        return Err(ApiError::bad_request(format!("from ({}) must be before to ({})", timestamp(from), timestamp(to))));
    }
    if to - from > MAX_DAYS * DAY {
        return Err(ApiError::bad_request(format!("a report covers at most {MAX_DAYS} days: move from or to")));
    }
    Ok((from, to))
}

/// The ids of `clusters=1,2`; `None` for every cluster of the user's teams.
fn cluster_ids(text: Option<&str>) -> Result<Option<Vec<i64>>, ApiError> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else { return Ok(None) };
    let mut ids = Vec::new();
    for part in text.split(',') {
        let id = part.trim().parse::<i64>().map_err(|_| {
            ApiError::bad_request(format!(
                "clusters: '{}' is not a cluster id; give ids separated by commas, e.g. clusters=1,2",
                part.trim()
            ))
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_CLUSTERS {
        return Err(ApiError::bad_request(format!(
            "clusters: at most {MAX_CLUSTERS} ids; leave it out for all of your clusters"
        )));
    }
    Ok(Some(ids))
}

fn points(text: Option<&str>) -> Result<Points, ApiError> {
    match text {
        None => Ok(Points::Day),
        Some(text) => Points::parse(text)
            .ok_or_else(|| ApiError::bad_request(format!("points must be 'day' or 'scan'; got '{text}'"))),
    }
}

/// Checks the parameters, resolves the clusters (404 for one the user's teams do not
/// hold) and computes the report.
async fn build(state: &AppState, user: &CurrentUser, query: &ReportQuery) -> Result<Report, ApiError> {
    let now = now_millis();
    let (from, to) = period(query.from.as_deref(), query.to.as_deref(), now)?;
    let points = points(query.points.as_deref())?;
    let wanted = cluster_ids(query.clusters.as_deref())?;
    let visible = state.store.list_clusters(user.user.id).await?;
    let chosen: Vec<ClusterRef> = match &wanted {
        None => visible
            .into_iter()
            .map(|cluster| ClusterRef { id: cluster.id, name: cluster.name, team: cluster.team })
            .collect(),
        Some(ids) => {
            if ids.iter().any(|id| !visible.iter().any(|cluster| cluster.id == *id)) {
                return Err(ApiError::NotFound);
            }
            visible
                .into_iter()
                .filter(|cluster| ids.contains(&cluster.id))
                .map(|cluster| ClusterRef { id: cluster.id, name: cluster.name, team: cluster.team })
                .collect()
        }
    };
    Ok(reports::build(&state.store, user.user.id, chosen, from, to, points, now).await?)
}

fn state_answer(state: &ScoreState) -> api::ScoreState {
    api::ScoreState { scan: state.scan, at: timestamp(state.at), score: state.score, grade: state.grade.clone() }
}

/// A cluster's standing against one framework: the counts at the period's end and start
/// and at each point of the score series (`trend`), and each control's status at the end
/// and at the start (`not_assessed` never counts as passing), with a failing control's
/// evidence: the findings open at the period's end, at most
/// [`reports::EVIDENCE_PER_CONTROL`], how many more there are, and per failing rule where
/// the API lists them all.
fn framework_answer(cluster: &ClusterReport, summary: &FrameworkSummary) -> api::ReportFramework {
    let view = &summary.view;
    api::ReportFramework {
        framework: view.framework,
        title: view.title.clone(),
        scan: ComplianceScan { id: summary.scan, finished_at: timestamp(summary.at) },
        counts: view.counts,
        counts_at_start: summary.start.as_ref().map(|start| start.counts),
        trend: trend_answer(&summary.trend),
        controls: view
            .controls
            .iter()
            .map(|control| {
                let evidence = cluster.evidence(control);
                api::ReportControl {
                    id: control.id.clone(),
                    title: control.title.clone(),
                    status: control.status,
                    status_at_start: summary.status_at_start(&control.id),
                    failed_rules: control.failed_rules.clone(),
                    findings: control.findings,
                    evidence: evidence.findings().map(evidence_answer).collect(),
                    evidence_open: evidence.open(),
                    evidence_more: evidence.more(),
                    evidence_rules: evidence
                        .rules
                        .iter()
                        .map(|rule| api::EvidenceRule {
                            rule: rule.rule.to_string(),
                            open: rule.open,
                            shown: rule.findings.len() as i64,
                            findings_url: rule_findings_url(cluster.cluster.id, rule.rule),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

/// The report as the API answers it.
fn report_answer(report: &Report) -> api::Report {
    let clusters = report
        .clusters
        .iter()
        .map(|cluster| {
            let end = cluster.end.as_ref();
            api::ReportCluster {
                id: cluster.cluster.id,
                name: cluster.cluster.name.clone(),
                team: cluster.cluster.team.clone(),
                score: end.map(|end| end.score),
                grade: end.map(|end| end.grade.clone()),
                counts: end.map(|end| counts(&end.counts)),
                last_scan: end.map(state_answer),
                start: cluster.start.as_ref().map(state_answer),
                change: cluster.change(),
                scans: cluster.scans,
                new: cluster.new_findings,
                opened_and_resolved: cluster.churned_findings,
                resolved: cluster.resolved_findings,
                scores: cluster.points.iter().map(state_answer).collect(),
                compliance: cluster.compliance.iter().map(|summary| framework_answer(cluster, summary)).collect(),
            }
        })
        .collect();
    let weeks = report
        .weeks
        .iter()
        .map(|week| api::ReportWeek {
            week: week.label(),
            starts: date_text(week.starts),
            new: week.new_findings,
            opened_and_resolved: week.churned_findings,
            resolved: week.resolved_findings,
        })
        .collect();
    let time_to_resolve = report
        .time_to_resolve
        .iter()
        .map(|time| api::ResolveTime {
            severity: time.severity.to_string(),
            resolved: time.resolved,
            mean_seconds: time.mean_seconds(),
            mean_days: time.mean_days(),
        })
        .collect();
    let top_rules = report
        .top_rules
        .iter()
        .map(|rule| api::TopRule {
            rule: rule.rule.clone(),
            severity: rule.severity.clone(),
            open: rule.findings,
            clusters: rule.clusters,
        })
        .collect();
    let oldest_critical = report
        .oldest_critical
        .iter()
        .map(|finding| api::OpenCritical {
            id: finding.id,
            cluster: Named { id: finding.cluster_id, name: finding.cluster.clone() },
            rule: finding.rule.clone(),
            resource: resource(&finding.kind, &finding.namespace, &finding.name),
            path: finding.path.clone(),
            message: finding.message.clone(),
            first_seen: timestamp(finding.first_seen),
            age_days: report.age_days(finding),
        })
        .collect();
    api::Report {
        from: timestamp(report.from),
        to: timestamp(report.to),
        points: report.points.as_str().to_string(),
        generated_at: timestamp(report.generated_at),
        clusters,
        weeks,
        time_to_resolve,
        top_rules,
        oldest_critical,
    }
}

async fn report_json_or_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    match query.format.as_deref() {
        None | Some("json") => {
            if query.table.is_some() {
                return Err(ApiError::bad_request(
                    "table chooses one CSV table: add format=csv, or use /api/v1/reports.csv",
                ));
            }
            let report = build(&state, &user, &query).await?;
            Ok(Answer(report_answer(&report)).into_response())
        }
        Some("csv") => csv_response(&state, &user, &query).await,
        Some(other) => Err(ApiError::bad_request(format!("format must be 'json' or 'csv'; got '{other}'"))),
    }
}

async fn report_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    match query.format.as_deref() {
        None | Some("csv") => csv_response(&state, &user, &query).await,
        Some(other) => Err(ApiError::bad_request(format!(
            "format: /api/v1/reports.csv is CSV; got '{other}' (JSON is /api/v1/reports)"
        ))),
    }
}

async fn csv_response(state: &AppState, user: &CurrentUser, query: &ReportQuery) -> Result<Response, ApiError> {
    let table = match query.table.as_deref() {
        None => None,
        Some(text) => Some(Table::parse(text).ok_or_else(|| {
            let names: Vec<&str> = Table::ALL.iter().map(|table| table.as_str()).collect();
            ApiError::bad_request(format!("table must be one of {}; got '{text}'", names.join(", ")))
        })?),
    };
    let report = build(state, user, query).await?;
    let (body, suffix) = match table {
        Some(table) => (csv::table(&report, table), format!("-{}", table.as_str())),
        None => (csv::all_tables(&report), String::new()),
    };
    let filename = format!("rampart-report-{}-{}{suffix}.csv", date_text(report.from), date_text(report.to));
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")).map_err(ApiError::internal)?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

async fn report_print(
    State(state): State<AppState>,
    user: Result<CurrentUser, ApiError>,
    query: Result<Query<ReportQuery>, ApiError>,
) -> Response {
    let result = async {
        let user = user?;
        let Query(query) = query?;
        if query.format.is_some() || query.table.is_some() {
            return Err(ApiError::bad_request(
                "format and table choose an export: use /api/v1/reports?format=csv or /api/v1/reports.csv",
            ));
        }
        let report = build(&state, &user, &query).await?;
        reports::print::render(&report).map_err(ApiError::internal)
    }
    .await;
    let mut response = match result {
        Ok(page) => Html(page).into_response(),
        Err(error) => error_page(error).await,
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PRINT_POLICY));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// The page that stands in for the report when it cannot be made.
#[derive(Template)]
#[template(
    ext = "html",
    source = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Report unavailable · Rampart</title></head>\
<body style=\"font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem\">\
<h1 style=\"font-size: 1.3rem\">The report cannot be shown</h1><p>{{ message }}</p>\
{% if let Some(hint) = hint %}<p>{{ hint }}</p>{% endif %}</body></html>\n"
)]
struct ErrorPage<'a> {
    message: &'a str,
    hint: Option<&'a str>,
}

/// An API error as a small page for a person, with the same status and message.
async fn error_page(error: ApiError) -> Response {
    let response = error.into_response();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let message = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let hint = match status {
        StatusCode::UNAUTHORIZED => Some("Log in to Rampart in this browser, then open the report again."),
        StatusCode::NOT_FOUND => Some("A cluster in this report is not one of your teams' clusters."),
        _ => None,
    };
    match (ErrorPage { message: &message, hint }).render() {
        Ok(page) => (status, Html(page)).into_response(),
        Err(_) => (status, message).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_stand_for_whole_days() {
        let (from, to) = period(Some("2026-01-05"), Some("2026-01-11"), 0).unwrap();
        assert_eq!(timestamp(from), "2026-01-05T00:00:00Z");
        assert_eq!(timestamp(to), "2026-01-11T23:59:59.999Z");
        let (from, to) = period(Some("2026-01-05T06:00:00Z"), Some("2026-01-05T08:00:00+01:00"), 0).unwrap();
        assert_eq!(to - from, 3_600_000, "08:00+01:00 is 07:00Z");
        assert!(period(Some("2026-01-05T06:00:00Z"), Some("2026-01-05T07:00:00+01:00"), 0).is_err(), "an empty period");
        let (from, to) = period(None, None, 40 * DAY).unwrap();
        assert_eq!((from, to), (10 * DAY, 40 * DAY), "the last 30 days by default");
    }

    #[test]
    fn bad_parameters_are_named() {
        for (from, to, named) in [
            (Some("yesterday"), None, "from"),
            (None, Some("2026-13-01"), "to"),
            (Some("2026-02-01"), Some("2026-01-01"), "before"),
            (Some("2000-01-01"), Some("2026-01-01"), "at most"),
        ] {
            match period(from, to, 1_767_571_200_000) {
                Err(ApiError::BadRequest(message)) => assert!(message.contains(named), "{message}"),
                other => panic!("{from:?} {to:?}: {other:?}"),
            }
        }
        assert_eq!(cluster_ids(Some("3, 1,3")).unwrap(), Some(vec![3, 1]));
        assert_eq!(cluster_ids(Some("")).unwrap(), None);
        assert!(matches!(cluster_ids(Some("1,x")), Err(ApiError::BadRequest(message)) if message.contains("'x'")));
        assert!(matches!(points(Some("hour")), Err(ApiError::BadRequest(message)) if message.contains("points")));
    }
}
