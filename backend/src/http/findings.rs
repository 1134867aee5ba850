//! `/clusters/{id}/findings` (filtered and sorted by the server, keyset-paginated, with the
//! total matching) and `/clusters/{id}/trend` (one
//! point per finished scan), both read from stored data.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use rampart_api::{AppliedPolicy, Finding, FindingsPage, TrendPoint};
use serde::Deserialize;

use super::clusters::visible_cluster;
use super::{counts, parse_timestamp, resource, timestamp, Answer, ApiError, AppState, CurrentUser, Path, Query};
use crate::store::scans::{Cursor, FindingFilter, FindingOrder};

/// Findings per page unless `limit` says otherwise, and the most a page holds.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new().route("/clusters/{id}/findings", get(list_findings)).route("/clusters/{id}/trend", get(get_trend))
}

#[derive(Debug, Deserialize)]
struct FindingsQuery {
    status: Option<String>,
    severity: Option<String>,
    rule: Option<String>,
    namespace: Option<String>,
    /// Free text: every word must occur in the object's name, namespace or kind, the rule,
    /// the field path or the message.
    text: Option<String>,
    /// `severity` (default: most severe first), `rule`, `object` or `newest`; ties by id.
    sort: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn one_of(name: &str, value: Option<String>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match value {
        Some(value) if !allowed.contains(&value.as_str()) => {
            Err(ApiError::bad_request(format!("{name} must be one of {}; got '{value}'", allowed.join(", "))))
        }
        value => Ok(value),
    }
}

async fn list_findings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<FindingsQuery>,
) -> Result<Answer<FindingsPage>, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_PAGE}")));
    }
    let order = match query.sort.as_deref() {
        None | Some("") => FindingOrder::default(),
        Some(key) => FindingOrder::parse(key).ok_or_else(|| {
            let keys: Vec<&str> = FindingOrder::ALL.iter().map(|order| order.key()).collect();
            ApiError::bad_request(format!("sort must be one of {}; got '{key}'", keys.join(", ")))
        })?,
    };
    let after = match query.cursor.as_deref().filter(|cursor| !cursor.is_empty()) {
        None => None,
        Some(cursor) => match Cursor::decode(cursor) {
            Some(cursor) if cursor.order() == order => Some(cursor),
            Some(_) => return Err(ApiError::bad_request("the cursor belongs to another sort; start again without it")),
            None => return Err(ApiError::bad_request("invalid cursor")),
        },
    };
    let filter = FindingFilter {
        status: one_of("status", query.status, &["open", "resolved", "exempted"])?,
        severity: one_of("severity", query.severity, &["critical", "high", "medium", "low", "info"])?,
        rule: query.rule,
        namespace: query.namespace,
        text: query.text.filter(|text| !text.trim().is_empty()),
        order,
        after,
        limit,
        open_at: None,
    };
    let (page, total) = state.store.findings_page_and_total(cluster.id, &filter).await?;
    let next_cursor = page.next.map(|cursor| cursor.encode());
    let items = page
        .findings
        .iter()
        .map(|finding| Finding {
            id: finding.id,
            rule: finding.rule.clone(),
            severity: finding.severity.clone(),
            status: finding.status.clone(),
            resource: resource(&finding.kind, &finding.namespace, &finding.name),
            path: finding.path.clone(),
            message: finding.message.clone(),
            first_seen: timestamp(finding.first_seen),
            last_seen: timestamp(finding.last_seen),
            resolved_at: finding.resolved_at.map(timestamp),
            exemption_reason: finding.exemption_reason.clone(),
        })
        .collect();
    // With a text filter over many findings the total is a lower bound (`total_exact`
    // false): the matches among the first `TEXT_WINDOW` examined. A page with a text filter
    // may also hold fewer findings than asked for, or none, and have a next one: it stopped
    // after examining as many.
    Ok(Answer(FindingsPage { items, total: total.count, total_exact: total.exact, next_cursor }))
}

#[derive(Debug, Deserialize)]
struct TrendQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn get_trend(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(query): Query<TrendQuery>,
) -> Result<Answer<Vec<TrendPoint>>, ApiError> {
    let cluster = visible_cluster(&state, &user, id).await?;
    let from = query.from.as_deref().map(parse_timestamp).transpose()?;
    let to = query.to.as_deref().map(parse_timestamp).transpose()?;
    let points = state.store.trend(cluster.id, from, to).await?;
    let scans_policies = state.store.scans_policies(cluster.id).await?;
    let items = points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            // The policies the scan applied, and how they differ from the scan before it:
            // a change of rules, which the chart marks, not the cluster getting better or worse.
            let position = scans_policies.iter().position(|(scan, _)| *scan == point.scan);
            let applied = position.and_then(|position| scans_policies[position].1.clone());
            let before = position
                .and_then(|position| position.checked_sub(1))
                .and_then(|previous| scans_policies[previous].1.clone());
            let change = match (&before, &applied) {
                (Some(before), Some(applied)) => crate::store::policies::policy_change(before, applied),
                (None, Some(applied)) if position.is_some_and(|position| position > 0) && !applied.is_empty() => {
                    crate::store::policies::policy_change(&[], applied)
                }
                _ => None,
            };
            TrendPoint {
                policies: applied.map(|applied| {
                    applied
                        .iter()
                        .map(|policy| AppliedPolicy {
                            id: policy.id,
                            name: policy.name.clone(),
                            version: policy.version,
                        })
                        .collect()
                }),
                policy_change: change,
                scan: point.scan,
                at: timestamp(point.at),
                score: point.score,
                grade: point.grade.clone(),
                counts: counts(&point.counts),
                new: point.new_findings,
                resolved: point.resolved_findings,
                // The score formula's version, and whether it differs from the point
                // before: a jump there is the formula's, not the cluster's.
                formula_version: point.formula_version,
                formula_change: index > 0 && points[index - 1].formula_version != point.formula_version,
            }
        })
        .collect();
    Ok(Answer(items))
}
