//! Reports over a period: for a set of a user's clusters and `[from, to]`, where each
//! cluster stands and where it is heading, computed from stored scans and findings only.
//!
//! - **Scores**: per cluster, one point per scan that finished with results in the period,
//!   or per UTC day (that day's last scan); the score at the period's end (the last scan by
//!   then) and at its start (the last scan before it, else the period's first), and the
//!   change between them.
//! - **New and resolved, netted** per cluster over the period and per ISO week (Monday to
//!   Sunday, UTC; every week the period touches is listed, empty ones too), read from the
//!   findings: **new** are first seen within it and still open at its end; **opened and
//!   resolved** are first seen and resolved within it (churn, not news: counted apart);
//!   **resolved** were open at its start or opened within it, and resolved by its end
//!   (churn included). Exempted findings count in none. The digest uses the same
//!   definitions (`crate::mail::compose`).
//! - **Mean time to resolve by severity**: `resolved_at − first_seen` of the findings
//!   resolved within the period.
//! - **Rules failing most** and the **oldest open critical findings**, as they stood at the
//!   period's end (see [`crate::store::reports`] for how "open at a time" is read).
//!
//! - **Compliance** per cluster and framework (CIS, NSA-CISA, Pod Security Standards, the
//!   guide's layers): each control's status at the period's end, read from the latest scan
//!   by then that recorded its rule results (as the compliance page reads the latest), with
//!   each control's status and the counts at its start, and the counts at each point of
//!   the score series, for the trend (as the compliance page's, per scan). A control no rule
//!   assessed is "not assessed", never passing. A failing control's evidence is its failing
//!   rules' findings open at the period's end, read as the compliance page reads them
//!   ([`Store::compliance_evidence`]) and bounded: at most [`EVIDENCE_PER_CONTROL`] shown,
//!   shared fairly among its rules, with how many more are open and where to list them.
//!
//! The API serves a report as JSON and CSV ([`csv`]); [`print`] renders it as a page to
//! print. Times are Unix milliseconds here, as the store keeps them.

pub mod csv;
pub mod print;

use std::collections::BTreeMap;

use rampart_core::compliance::{self, ControlResult, Framework};

use crate::store::compliance::RuleEvidence;
use crate::store::reports::{Changes, OpenFinding, ReportScan, RuleCount};
use crate::store::scans::{Counts, StoredFinding};
use crate::store::Store;

/// One day in milliseconds.
pub const DAY: i64 = 86_400_000;
/// How many of the rules failing most a report lists.
pub const TOP_RULES: i64 = 10;
/// How many of the oldest open critical findings a report lists.
pub const OLDEST_CRITICAL: i64 = 20;
/// The period unless one is asked for: the last 30 days.
pub const DEFAULT_DAYS: i64 = 30;
/// The most findings a report shows as one failing control's evidence (the rest are
/// counted, and listed by the cluster's findings filtered by rule), so that a cluster with
/// hundreds of thousands of findings still makes a report of bounded size.
pub const EVIDENCE_PER_CONTROL: usize = 10;

/// The severities in report order.
pub const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// How a cluster's score series is sampled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Points {
    /// Every scan that finished with results.
    Scan,
    /// The last such scan of each UTC day.
    Day,
}

impl Points {
    pub fn as_str(self) -> &'static str {
        match self {
            Points::Scan => "scan",
            Points::Day => "day",
        }
    }

    pub fn parse(text: &str) -> Option<Points> {
        match text {
            "scan" => Some(Points::Scan),
            "day" => Some(Points::Day),
            _ => None,
        }
    }
}

/// A cluster a report covers (the caller has checked the user sees it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterRef {
    pub id: i64,
    pub name: String,
    pub team: String,
}

/// A cluster's results at one scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreState {
    pub scan: i64,
    pub at: i64,
    pub score: i64,
    pub grade: String,
    pub counts: Counts,
}

/// One cluster in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterReport {
    pub cluster: ClusterRef,
    /// Where it stood when the period began; `None` when it had no scan by the period's end.
    pub start: Option<ScoreState>,
    /// Where it stood at the period's end.
    pub end: Option<ScoreState>,
    /// The score series within the period, oldest first.
    pub points: Vec<ScoreState>,
    /// Scans that finished with results within the period.
    pub scans: i64,
    /// The period's netted changes (see the module's documentation).
    pub new_findings: i64,
    pub churned_findings: i64,
    pub resolved_findings: i64,
    /// Each framework's controls at the period's end; empty when no scan by then recorded
    /// rule results.
    pub compliance: Vec<FrameworkSummary>,
    /// The evidence of each rule failing at the period's end (at most
    /// [`EVIDENCE_PER_CONTROL`] findings each, open at the period's end).
    pub evidence: BTreeMap<String, RuleEvidence>,
}

/// A cluster's standing against one framework over a report's period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameworkSummary {
    /// The controls as the scan read at the period's end (`scan`, finished `at`).
    pub view: compliance::View,
    pub scan: i64,
    pub at: i64,
    /// The controls at the period's start, when a scan by then recorded rule results.
    pub start: Option<compliance::View>,
    /// The counts at each point of the cluster's score series whose scan recorded rule
    /// results, oldest first: `(scan, at, counts)`.
    pub trend: Vec<(i64, i64, compliance::Counts)>,
}

impl FrameworkSummary {
    /// A control's status at the period's start, when known.
    pub fn status_at_start(&self, control: &str) -> Option<compliance::Status> {
        let start = self.start.as_ref()?;
        start.controls.iter().find(|at_start| at_start.id == control).map(|at_start| at_start.status)
    }
}

/// The part of a failing rule's open findings a report shows for one control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleShown<'a> {
    pub rule: &'a str,
    /// Findings open at the period's end.
    pub open: i64,
    pub findings: &'a [StoredFinding],
}

/// A control's evidence in a report: for each failing rule, its first findings, at most
/// [`EVIDENCE_PER_CONTROL`] in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlEvidence<'a> {
    pub rules: Vec<RuleShown<'a>>,
}

impl ControlEvidence<'_> {
    /// The findings shown, rule by rule.
    pub fn findings(&self) -> impl Iterator<Item = &StoredFinding> {
        self.rules.iter().flat_map(|rule| rule.findings)
    }

    /// The failing rules' open findings in all.
    pub fn open(&self) -> i64 {
        self.rules.iter().map(|rule| rule.open).sum()
    }

    /// The open findings not shown.
    pub fn more(&self) -> i64 {
        self.open() - self.rules.iter().map(|rule| rule.findings.len() as i64).sum::<i64>()
    }
}

impl ClusterReport {
    /// End score minus start score.
    pub fn change(&self) -> Option<i64> {
        Some(self.end.as_ref()?.score - self.start.as_ref()?.score)
    }

    /// A control's evidence: its failing rules' findings, taken a finding from each rule in
    /// turn until [`EVIDENCE_PER_CONTROL`], so that each failing rule shows some when there
    /// are no more rules than that (every rule is still listed with its count).
    pub fn evidence(&self, control: &ControlResult) -> ControlEvidence<'_> {
        let found: Vec<(&str, &RuleEvidence)> = control
            .failed_rules
            .iter()
            .filter_map(|rule| self.evidence.get_key_value(rule).map(|(rule, evidence)| (rule.as_str(), evidence)))
            .collect();
        let mut taken = vec![0; found.len()];
        let mut left = EVIDENCE_PER_CONTROL;
        while left > 0 {
            let before = left;
            for (index, (_, evidence)) in found.iter().enumerate() {
                if left > 0 && taken[index] < evidence.findings.len() {
                    taken[index] += 1;
                    left -= 1;
                }
            }
            if left == before {
                break;
            }
        }
        let rules = found
            .iter()
            .zip(taken)
            .map(|((rule, evidence), taken)| RuleShown {
                rule,
                open: evidence.open.max(evidence.findings.len() as i64),
                findings: &evidence.findings[..taken],
            })
            .collect();
        ControlEvidence { rules }
    }
}

/// New and resolved findings of one ISO week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Week {
    /// The ISO week-numbering year and week, e.g. (2026, 5) for 2026-W05.
    pub year: i32,
    pub week: u8,
    /// Its Monday, 00:00 UTC.
    pub starts: i64,
    /// The week's netted changes (see the module's documentation), the week ending at the
    /// period's end when that is sooner.
    pub new_findings: i64,
    pub churned_findings: i64,
    pub resolved_findings: i64,
}

impl Week {
    /// `2026-W05`.
    pub fn label(&self) -> String {
        format!("{}-W{:02}", self.year, self.week)
    }
}

/// How long the findings of one severity resolved within the period took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveTime {
    pub severity: &'static str,
    pub resolved: i64,
    /// `None` when none was resolved.
    pub mean_millis: Option<i64>,
}

impl ResolveTime {
    pub fn mean_seconds(&self) -> Option<i64> {
        self.mean_millis.map(|millis| (millis + 500).div_euclid(1000))
    }

    /// In days, to two decimals.
    pub fn mean_days(&self) -> Option<f64> {
        self.mean_millis.map(|millis| (millis as f64 / DAY as f64 * 100.0).round() / 100.0)
    }
}

/// A report: the period, the clusters and every table.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub from: i64,
    pub to: i64,
    pub points: Points,
    pub generated_at: i64,
    pub clusters: Vec<ClusterReport>,
    pub weeks: Vec<Week>,
    pub time_to_resolve: Vec<ResolveTime>,
    pub top_rules: Vec<RuleCount>,
    pub oldest_critical: Vec<OpenFinding>,
}

impl Report {
    /// Whole days from a finding's first sighting to the period's end.
    pub fn age_days(&self, finding: &OpenFinding) -> i64 {
        (self.to - finding.first_seen).div_euclid(DAY)
    }
}

/// Computes the report of `clusters` over `[from, to]` for the user (`generated_at` is
/// the time it is made, for the page's footer).
pub async fn build(
    store: &Store,
    user_id: i64,
    clusters: Vec<ClusterRef>,
    from: i64,
    to: i64,
    points: Points,
    generated_at: i64,
) -> Result<Report, sqlx::Error> {
    let ids: Vec<i64> = clusters.iter().map(|cluster| cluster.id).collect();
    let scans = store.report_scans(user_id, &ids, from, to).await?;
    let before = store.report_scans_before(user_id, &ids, from).await?;
    let resolved = store.report_resolved(user_id, &ids, from, to).await?;
    let top_rules = store.report_top_rules(user_id, &ids, to, TOP_RULES).await?;
    let oldest_critical = store.report_oldest_open(user_id, &ids, "critical", to, OLDEST_CRITICAL).await?;
    let whole = store.report_changes(user_id, &ids, (from, to), from, (to - from).saturating_add(1)).await?;
    let by_week = store.report_changes(user_id, &ids, (from, to), week_start(from), WEEK).await?;
    let mut reports = Vec::with_capacity(clusters.len());
    for cluster in clusters {
        let own: Vec<&ReportScan> = scans.iter().filter(|scan| scan.cluster_id == cluster.id).collect();
        let baseline = before.iter().find(|scan| scan.cluster_id == cluster.id);
        let changes = whole.iter().find(|changes| changes.cluster_id == cluster.id).cloned().unwrap_or_default();
        let mut report = cluster_report(cluster, &own, baseline, points, &changes);
        let series: Vec<i64> = report.points.iter().map(|point| point.scan).collect();
        report.compliance = compliance_summary(store, report.cluster.id, from, to, &series).await?;
        let failing: Vec<String> = report
            .compliance
            .iter()
            .flat_map(|summary| summary.view.controls.iter().flat_map(|control| control.failed_rules.clone()))
            .collect();
        report.evidence =
            store.compliance_evidence(report.cluster.id, &failing, Some(to), EVIDENCE_PER_CONTROL as i64).await?;
        reports.push(report);
    }
    let clusters = reports;
    let time_to_resolve = SEVERITIES
        .iter()
        .map(|severity| {
            let entry = resolved.iter().find(|entry| entry.severity == *severity);
            let resolved = entry.map_or(0, |entry| entry.resolved);
            ResolveTime {
                severity,
                resolved,
                mean_millis: entry.filter(|_| resolved > 0).map(|entry| entry.total_millis / resolved),
            }
        })
        .collect();
    Ok(Report {
        from,
        to,
        points,
        generated_at,
        clusters,
        weeks: weeks(from, to, &by_week),
        time_to_resolve,
        top_rules,
        oldest_critical,
    })
}

/// Each framework's controls at `to`, with the controls at `from` and the counts at each
/// point of the score series (`scans`).
async fn compliance_summary(
    store: &Store,
    cluster_id: i64,
    from: i64,
    to: i64,
    scans: &[i64],
) -> Result<Vec<FrameworkSummary>, sqlx::Error> {
    let Some(end) = store.rule_results_at(cluster_id, to).await? else { return Ok(Vec::new()) };
    let Some(results) = end.results else { return Ok(Vec::new()) };
    let start = store.rule_results_at(cluster_id, from).await?.and_then(|start| start.results);
    let series = store.rule_results_of_scans(cluster_id, scans).await?;
    Ok(Framework::ALL
        .into_iter()
        .map(|framework| FrameworkSummary {
            view: compliance::evaluate(framework, &results),
            scan: end.scan,
            at: end.at,
            start: start.as_ref().map(|start| compliance::evaluate(framework, start)),
            trend: series
                .iter()
                .filter_map(|point| {
                    let results = point.results.as_ref()?;
                    Some((point.scan, point.at, compliance::evaluate(framework, results).counts))
                })
                .collect(),
        })
        .collect())
}

fn state(scan: &ReportScan) -> Option<ScoreState> {
    let point = &scan.point;
    Some(ScoreState {
        scan: point.scan,
        at: point.at,
        score: point.score?,
        grade: point.grade.clone().unwrap_or_default(),
        counts: point.counts,
    })
}

/// One cluster's part: `own` are its scans within the period, oldest first; `baseline`
/// its last scan before the period.
fn cluster_report(
    cluster: ClusterRef,
    own: &[&ReportScan],
    baseline: Option<&ReportScan>,
    points: Points,
    changes: &Changes,
) -> ClusterReport {
    let states: Vec<ScoreState> = own.iter().filter_map(|scan| state(scan)).collect();
    let baseline = baseline.and_then(state);
    let start = baseline.clone().or_else(|| states.first().cloned());
    let end = states.last().cloned().or(baseline);
    let points = match points {
        Points::Scan => states,
        Points::Day => last_of_each_day(states),
    };
    ClusterReport {
        cluster,
        start,
        end,
        points,
        scans: own.len() as i64,
        new_findings: changes.new,
        churned_findings: changes.churned,
        resolved_findings: changes.resolved,
        compliance: Vec::new(),
        evidence: BTreeMap::new(),
    }
}

/// The last state of each UTC day, from states oldest first.
fn last_of_each_day(states: Vec<ScoreState>) -> Vec<ScoreState> {
    let mut days: Vec<ScoreState> = Vec::new();
    for state in states {
        match days.last_mut() {
            Some(last) if last.at.div_euclid(DAY) == state.at.div_euclid(DAY) => *last = state,
            _ => days.push(state),
        }
    }
    days
}

/// Monday 00:00 UTC of the ISO week holding `at`.
pub fn week_start(at: i64) -> i64 {
    let day = at.div_euclid(DAY);
    // 1970-01-01, day 0, was a Thursday: three days after a Monday.
    (day - (day + 3).rem_euclid(7)) * DAY
}

/// One week in milliseconds.
pub const WEEK: i64 = 7 * DAY;

/// Every ISO week the period touches, with the netted changes of all clusters in it
/// (`changes` by week from the first week's Monday, as [`Store::report_changes`] counts).
pub fn weeks(from: i64, to: i64, changes: &[Changes]) -> Vec<Week> {
    let mut weeks = Vec::new();
    let mut starts = week_start(from);
    while starts <= to {
        let (year, week, _) = date_of(starts).to_iso_week_date();
        weeks.push(Week { year, week, starts, new_findings: 0, churned_findings: 0, resolved_findings: 0 });
        starts += WEEK;
    }
    for change in changes {
        if let Some(week) = usize::try_from(change.bucket).ok().and_then(|index| weeks.get_mut(index)) {
            week.new_findings += change.new;
            week.churned_findings += change.churned;
            week.resolved_findings += change.resolved;
        }
    }
    weeks
}

/// The UTC date of a time.
pub fn date_of(at: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000))
        .map(|moment| moment.date())
        .unwrap_or(time::Date::MIN)
}

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
pub fn object_name(kind: &str, namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {namespace}/{name}")
    }
}

/// `2026-01-31`, the UTC date of a time.
pub fn date_text(at: i64) -> String {
    let date = date_of(at);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::scans::TrendPoint;

    /// 2026-01-05, a Monday, 00:00 UTC.
    const MONDAY: i64 = 1_767_571_200_000;

    fn scan(id: i64, at: i64, score: i64, new_findings: i64, resolved_findings: i64) -> ReportScan {
        let point = TrendPoint {
            scan: id,
            at,
            score: Some(score),
            grade: Some("C".to_string()),
            counts: [0; 5],
            new_findings,
            resolved_findings,
            formula_version: 2,
        };
        ReportScan { cluster_id: 1, point }
    }

    #[test]
    fn weeks_start_on_monday_in_utc() {
        assert_eq!(date_text(MONDAY), "2026-01-05");
        assert_eq!(week_start(MONDAY), MONDAY);
        assert_eq!(week_start(MONDAY + 7 * DAY - 1), MONDAY);
        assert_eq!(week_start(MONDAY - 1), MONDAY - 7 * DAY);
        assert_eq!(week_start(0), -3 * DAY, "1970-01-01 was a Thursday");
    }

    #[test]
    fn every_week_of_the_period_is_listed_with_its_changes() {
        let change = |cluster_id, bucket, new, resolved| Changes { cluster_id, bucket, new, churned: 1, resolved };
        let changes = [change(1, 1, 4, 0), change(2, 1, 1, 2), change(1, 3, 0, 3), change(1, 9, 5, 5)];
        let weeks = weeks(MONDAY - 2 * DAY, MONDAY + 15 * DAY, &changes);
        let summary: Vec<(String, String, i64, i64)> = weeks
            .iter()
            .map(|week| (week.label(), date_text(week.starts), week.new_findings, week.resolved_findings))
            .collect();
        assert_eq!(
            summary,
            [
                ("2026-W01".to_string(), "2025-12-29".to_string(), 0, 0),
                ("2026-W02".to_string(), "2026-01-05".to_string(), 5, 2),
                ("2026-W03".to_string(), "2026-01-12".to_string(), 0, 0),
                ("2026-W04".to_string(), "2026-01-19".to_string(), 0, 3),
            ]
        );
    }

    #[test]
    fn a_day_keeps_its_last_scan() {
        let cluster = ClusterRef { id: 1, name: "prod".to_string(), team: "red".to_string() };
        let scans =
            [scan(1, MONDAY + 1000, 40, 9, 0), scan(2, MONDAY + DAY - 1, 45, 1, 1), scan(3, MONDAY + DAY, 50, 0, 2)];
        let own: Vec<&ReportScan> = scans.iter().collect();
        let changes = Changes { cluster_id: 1, bucket: 0, new: 4, churned: 6, resolved: 3 };
        let daily = cluster_report(cluster.clone(), &own, None, Points::Day, &changes);
        assert_eq!(daily.points.iter().map(|point| (point.scan, point.score)).collect::<Vec<_>>(), [(2, 45), (3, 50)]);
        assert_eq!((daily.scans, daily.new_findings, daily.churned_findings, daily.resolved_findings), (3, 4, 6, 3));
        assert_eq!(daily.start.as_ref().map(|start| start.scan), Some(1), "no baseline: the period's first scan");
        assert_eq!(daily.change(), Some(10));
        let every = cluster_report(cluster.clone(), &own, None, Points::Scan, &changes);
        assert_eq!(every.points.len(), 3);

        let baseline = scan(7, MONDAY - DAY, 30, 0, 0);
        let with_baseline = cluster_report(cluster.clone(), &own, Some(&baseline), Points::Day, &changes);
        assert_eq!(with_baseline.change(), Some(20));
        let quiet = cluster_report(cluster, &[], Some(&baseline), Points::Day, &Changes::default());
        assert_eq!((quiet.end.as_ref().map(|end| end.scan), quiet.change()), (Some(7), Some(0)));
        assert!(quiet.points.is_empty());
    }

    fn finding(id: i64, rule: &str) -> StoredFinding {
        StoredFinding {
            id,
            rule: rule.to_string(),
            severity: "high".to_string(),
            status: "open".to_string(),
            kind: "Pod".to_string(),
            namespace: "prod".to_string(),
            name: format!("pod-{id}"),
            path: String::new(),
            message: String::new(),
            first_seen: 0,
            last_seen: 0,
            resolved_at: None,
            exemption_reason: None,
        }
    }

    #[test]
    fn a_control_shows_a_finding_of_each_failing_rule_in_turn() {
        let cluster = ClusterRef { id: 1, name: "prod".to_string(), team: "red".to_string() };
        let mut report = cluster_report(cluster, &[], None, Points::Day, &Changes::default());
        let many: Vec<StoredFinding> = (0..10).map(|id| finding(id, "many")).collect();
        report.evidence.insert("many".to_string(), RuleEvidence { findings: many, open: 5000 });
        report.evidence.insert(
            "two".to_string(),
            RuleEvidence { findings: vec![finding(20, "two"), finding(21, "two")], open: 2 },
        );
        let control = |failed: &[&str]| ControlResult {
            id: "5.2.1".to_string(),
            title: "t".to_string(),
            status: compliance::Status::Fail,
            rules: failed.iter().map(|rule| rule.to_string()).chain(["passing".to_string()]).collect(),
            failed_rules: failed.iter().map(|rule| rule.to_string()).collect(),
            findings: 0,
        };
        let both = report.evidence(&control(&["many", "two", "unknown"]));
        let shown: Vec<i64> = both.findings().map(|finding| finding.id).collect();
        assert_eq!(shown, [0, 1, 2, 3, 4, 5, 6, 7, 20, 21], "ten in all, rule by rule, both rules shown");
        assert_eq!((both.open(), both.more()), (5002, 4992));
        let one = report.evidence(&control(&["two"]));
        assert_eq!((one.findings().count(), one.open(), one.more()), (2, 2, 0));
        let none = report.evidence(&control(&[]));
        assert_eq!((none.findings().count(), none.open(), none.more(), none.rules.len()), (0, 0, 0, 0));
    }

    #[test]
    fn mean_times_round() {
        let time = ResolveTime { severity: "high", resolved: 2, mean_millis: Some(DAY + DAY / 2 + 499) };
        assert_eq!(time.mean_seconds(), Some(129_600));
        assert_eq!(time.mean_days(), Some(1.5));
        let none = ResolveTime { severity: "low", resolved: 0, mean_millis: None };
        assert_eq!((none.mean_seconds(), none.mean_days()), (None, None));
    }
}
