//! The printable report: a self-contained HTML page rendered on the server with askama
//! (`templates/reports/print.html`), made for paper and PDF: print CSS inline (page
//! margins, each section on a new page, table rows never split, header rows repeated,
//! black on white), a score chart per cluster drawn here as SVG (a polyline over axes),
//! no script and nothing loaded from elsewhere.
//!
//! Everything the template shows is prepared here as text, so the template only lays it
//! out (and escapes it). The README's "Reports" section shows how to print it to PDF with
//! headless Chromium and look at the pages.

use askama::Template;
use rampart_core::compliance::{ControlResult, Status};

use super::{
    date_text, object_name, ClusterReport, FrameworkSummary, Points, Report, DAY, EVIDENCE_PER_CONTROL, SEVERITIES,
};
use crate::http::reports::rule_findings_url;
use crate::http::timestamp;

/// The chart's drawing, in SVG user units.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 224.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 624.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 192.0;

/// The chart's frame as the template draws it.
struct Frame {
    width: f64,
    height: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

const FRAME: Frame = Frame { width: WIDTH, height: HEIGHT, left: LEFT, right: RIGHT, top: TOP, bottom: BOTTOM };

#[derive(Template)]
#[template(path = "reports/print.html")]
struct PrintPage {
    frame: Frame,
    period: String,
    days: i64,
    generated: String,
    sampling: &'static str,
    clusters: Vec<ClusterView>,
    severities: [&'static str; 5],
    weeks: Vec<WeekView>,
    total_new: i64,
    total_churned: i64,
    total_resolved: i64,
    times: Vec<TimeView>,
    rules: Vec<RuleView>,
    oldest: Vec<FindingView>,
    compliance: Vec<ComplianceView>,
    frameworks: Vec<FrameworkView>,
    evidence_per_control: usize,
}

/// One cluster's controls of one framework, each with its evidence.
struct FrameworkView {
    cluster: String,
    title: String,
    /// Failing controls at each point of the score series, `3 (2026-01-06)`, or empty.
    trend: String,
    controls: Vec<ControlView>,
}

struct ControlView {
    id: String,
    title: String,
    status: &'static str,
    at_start: &'static str,
    /// The rules that assess it, or that none does.
    rules: String,
    evidence: Vec<EvidenceView>,
    /// Per failing rule with more open findings than shown: how many, and where to list them.
    more: Vec<String>,
}

/// A finding shown as evidence.
struct EvidenceView {
    object: String,
    rule: String,
    severity: String,
    path: String,
}

/// One cluster's standing against one framework at the period's end.
struct ComplianceView {
    cluster: String,
    framework: String,
    pass: u64,
    fail: u64,
    not_assessed: u64,
    fail_at_start: String,
    /// The failing controls' ids, or `—`.
    failing: String,
}

struct ClusterView {
    name: String,
    team: String,
    score: String,
    grade: String,
    start: String,
    change: String,
    counts: Vec<String>,
    new_findings: i64,
    churned_findings: i64,
    resolved_findings: i64,
    scans: i64,
    last_scan: String,
    chart: Chart,
}

/// A score chart: the polyline's points, a dot per point (so a single scan shows), the
/// axes' ticks. `points` is empty when the period holds no scan of the cluster.
struct Chart {
    label: String,
    polyline: String,
    dots: Vec<(String, String)>,
    y_ticks: Vec<Tick>,
    x_ticks: Vec<Tick>,
}

struct Tick {
    at: String,
    label: String,
}

struct WeekView {
    label: String,
    starts: String,
    new_findings: i64,
    churned_findings: i64,
    resolved_findings: i64,
    net: String,
}

struct TimeView {
    severity: &'static str,
    resolved: i64,
    mean: String,
}

struct RuleView {
    rank: usize,
    rule: String,
    severity: String,
    findings: i64,
    clusters: i64,
}

struct FindingView {
    cluster: String,
    object: String,
    rule: String,
    path: String,
    first_seen: String,
    age_days: i64,
}

/// `+5`, `−3` (a real minus sign), `0`.
fn signed(value: i64) -> String {
    match value {
        0 => "0".to_string(),
        positive if positive > 0 => format!("+{positive}"),
        negative => format!("\u{2212}{}", negative.unsigned_abs()),
    }
}

/// A duration for people: `3 d 4 h`, `5 h 10 min`, `42 min`, `< 1 min`.
pub fn duration_text(millis: i64) -> String {
    let minutes = millis / 60_000;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => "< 1 min".to_string(),
        (0, 0, minutes) => format!("{minutes} min"),
        (0, hours, minutes) => format!("{hours} h {minutes} min"),
        (days, hours, _) => format!("{days} d {hours} h"),
    }
}

fn chart(report: &Report, name: &str, points: &[super::ScoreState]) -> Chart {
    let span = (report.to - report.from).max(1) as f64;
    let x = |at: i64| LEFT + (at - report.from) as f64 / span * (RIGHT - LEFT);
    let y = |score: i64| BOTTOM - score.clamp(0, 100) as f64 / 100.0 * (BOTTOM - TOP);
    let dots: Vec<(String, String)> =
        points.iter().map(|point| (format!("{:.1}", x(point.at)), format!("{:.1}", y(point.score)))).collect();
    let polyline = dots.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" ");
    let y_ticks =
        [0, 25, 50, 75, 100].iter().map(|score| Tick { at: format!("{:.1}", y(*score)), label: score.to_string() });
    let mut x_ticks: Vec<Tick> = Vec::new();
    for step in 0..=4 {
        let at = report.from + (report.to - report.from) * step / 4;
        let label = date_text(at);
        if x_ticks.last().is_none_or(|tick| tick.label != label) {
            x_ticks.push(Tick { at: format!("{:.1}", x(at)), label });
        }
    }
    let scores: Vec<String> = points.iter().map(|point| point.score.to_string()).collect();
    let label = if points.is_empty() {
        format!("{name}: no scan finished in this period")
    } else {
        format!("{name}: score over time, {}", scores.join(", "))
    };
    Chart { label, polyline, dots, y_ticks: y_ticks.collect(), x_ticks }
}

/// The report as a printable HTML page.
pub fn render(report: &Report) -> Result<String, askama::Error> {
    let clusters = report
        .clusters
        .iter()
        .map(|cluster| {
            let end = cluster.end.as_ref();
            ClusterView {
                name: cluster.cluster.name.clone(),
                team: cluster.cluster.team.clone(),
                score: end.map_or("—".to_string(), |end| end.score.to_string()),
                grade: end.map_or("—".to_string(), |end| end.grade.clone()),
                start: cluster.start.as_ref().map_or("—".to_string(), |start| start.score.to_string()),
                change: cluster.change().map_or("—".to_string(), signed),
                counts: (0..SEVERITIES.len())
                    .map(|index| end.map_or("—".to_string(), |end| end.counts[index].to_string()))
                    .collect(),
                new_findings: cluster.new_findings,
                churned_findings: cluster.churned_findings,
                resolved_findings: cluster.resolved_findings,
                scans: cluster.scans,
                last_scan: end.map_or("never".to_string(), |end| date_text(end.at)),
                chart: chart(report, &cluster.cluster.name, &cluster.points),
            }
        })
        .collect();
    let weeks = report
        .weeks
        .iter()
        .map(|week| WeekView {
            label: week.label(),
            starts: date_text(week.starts),
            new_findings: week.new_findings,
            churned_findings: week.churned_findings,
            resolved_findings: week.resolved_findings,
            // The change in open findings: everything opened, less everything resolved.
            net: signed(week.new_findings + week.churned_findings - week.resolved_findings),
        })
        .collect();
    let times = report
        .time_to_resolve
        .iter()
        .map(|time| TimeView {
            severity: time.severity,
            resolved: time.resolved,
            mean: time.mean_millis.map_or("—".to_string(), duration_text),
        })
        .collect();
    let rules = report
        .top_rules
        .iter()
        .enumerate()
        .map(|(index, rule)| RuleView {
            rank: index + 1,
            rule: rule.rule.clone(),
            severity: rule.severity.clone(),
            findings: rule.findings,
            clusters: rule.clusters,
        })
        .collect();
    let oldest = report
        .oldest_critical
        .iter()
        .map(|finding| FindingView {
            cluster: finding.cluster.clone(),
            object: object_name(&finding.kind, &finding.namespace, &finding.name),
            rule: finding.rule.clone(),
            path: finding.path.clone(),
            first_seen: date_text(finding.first_seen),
            age_days: report.age_days(finding),
        })
        .collect();
    let compliance = report
        .clusters
        .iter()
        .flat_map(|cluster| {
            cluster.compliance.iter().map(|summary| {
                let failing: Vec<&str> = summary
                    .view
                    .controls
                    .iter()
                    .filter(|control| control.status == Status::Fail)
                    .map(|control| control.id.as_str())
                    .collect();
                ComplianceView {
                    cluster: cluster.cluster.name.clone(),
                    framework: summary.view.title.clone(),
                    pass: summary.view.counts.pass,
                    fail: summary.view.counts.fail,
                    not_assessed: summary.view.counts.not_assessed,
                    fail_at_start: summary
                        .start
                        .as_ref()
                        .map_or("—".to_string(), |start| start.counts.fail.to_string()),
                    failing: if failing.is_empty() { "—".to_string() } else { failing.join(", ") },
                }
            })
        })
        .collect();
    let frameworks = report
        .clusters
        .iter()
        .flat_map(|cluster| {
            cluster.compliance.iter().map(move |summary| FrameworkView {
                cluster: cluster.cluster.name.clone(),
                title: summary.view.title.clone(),
                trend: summary
                    .trend
                    .iter()
                    .map(|(_, at, counts)| format!("{} ({})", counts.fail, date_text(*at)))
                    .collect::<Vec<_>>()
                    .join(", "),
                controls: summary.view.controls.iter().map(|control| control_view(cluster, summary, control)).collect(),
            })
        })
        .collect();
    // The period's end is inclusive: a period to 23:59:59.999 ends on that day.
    let period = format!("{} to {} (UTC)", date_text(report.from), date_text(report.to));
    PrintPage {
        frame: FRAME,
        period,
        days: days(report),
        generated: timestamp(report.generated_at),
        sampling: match report.points {
            Points::Scan => "one point per scan",
            Points::Day => "one point per day, its last scan",
        },
        clusters,
        severities: SEVERITIES,
        weeks,
        // The period's own netted figures: a finding new in one week and resolved in the
        // next is no news over the whole period.
        total_new: report.clusters.iter().map(|cluster| cluster.new_findings).sum(),
        total_churned: report.clusters.iter().map(|cluster| cluster.churned_findings).sum(),
        total_resolved: report.clusters.iter().map(|cluster| cluster.resolved_findings).sum(),
        times,
        rules,
        oldest,
        compliance,
        frameworks,
        evidence_per_control: EVIDENCE_PER_CONTROL,
    }
    .render()
}

fn control_view(cluster: &ClusterReport, summary: &FrameworkSummary, control: &ControlResult) -> ControlView {
    let evidence = cluster.evidence(control);
    ControlView {
        id: control.id.clone(),
        title: control.title.clone(),
        status: control.status.as_str(),
        at_start: summary.status_at_start(&control.id).map_or("—", Status::as_str),
        rules: if control.rules.is_empty() { "no rule assesses this control".into() } else { control.rules.join(", ") },
        evidence: evidence
            .findings()
            .map(|finding| EvidenceView {
                object: object_name(&finding.kind, &finding.namespace, &finding.name),
                rule: finding.rule.clone(),
                severity: finding.severity.clone(),
                path: finding.path.clone(),
            })
            .collect(),
        more: evidence
            .rules
            .iter()
            .filter(|rule| rule.open > rule.findings.len() as i64)
            .map(|rule| {
                format!(
                    "and {} more of {}: {}",
                    rule.open - rule.findings.len() as i64,
                    rule.rule,
                    rule_findings_url(cluster.cluster.id, rule.rule)
                )
            })
            .collect(),
    }
}

/// The days a period spans, counting a part of a day as one.
fn days(report: &Report) -> i64 {
    (report.to - report.from + DAY - 1) / DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(30_000), "< 1 min");
        assert_eq!(duration_text(42 * 60_000), "42 min");
        assert_eq!(duration_text((5 * 60 + 10) * 60_000), "5 h 10 min");
        assert_eq!(duration_text(3 * DAY + 4 * 3_600_000 + 59_000), "3 d 4 h");
    }

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!((signed(5), signed(0), signed(-3)), ("+5".to_string(), "0".to_string(), "\u{2212}3".to_string()));
    }
}
