//! What the dashboard pages decide without a browser: which clusters a filter shows and in
//! which order, how the findings table sorts, the ranges of the trend chart, and what a
//! scan's status reads as. Plain functions over the API's types, tested natively.

use std::cmp::Ordering;

use crate::api::{ClusterSummary, Finding, TrendPoint};
use crate::time::{parse_rfc3339, DAY_MS};

/// Severities from the most to the least severe, as the API names them.
pub const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// 0 for critical … 4 for info (unknown last).
pub fn severity_rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|known| *known == severity).unwrap_or(SEVERITIES.len())
}

/// The grades a score can have, best first.
pub const GRADES: [&str; 5] = ["A", "B", "C", "D", "F"];

/// How the cluster list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClusterSort {
    #[default]
    Name,
    /// Worst score first (clusters never scanned last).
    ScoreAscending,
    ScoreDescending,
    /// Most open critical findings first, then high.
    MostCritical,
    /// Most recently scanned first.
    LastScan,
}

impl ClusterSort {
    pub const ALL: [ClusterSort; 5] = [
        ClusterSort::Name,
        ClusterSort::ScoreAscending,
        ClusterSort::ScoreDescending,
        ClusterSort::MostCritical,
        ClusterSort::LastScan,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ClusterSort::Name => "name",
            ClusterSort::ScoreAscending => "score-asc",
            ClusterSort::ScoreDescending => "score-desc",
            ClusterSort::MostCritical => "critical",
            ClusterSort::LastScan => "last-scan",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClusterSort::Name => "Name",
            ClusterSort::ScoreAscending => "Score, worst first",
            ClusterSort::ScoreDescending => "Score, best first",
            ClusterSort::MostCritical => "Most critical findings",
            ClusterSort::LastScan => "Most recently scanned",
        }
    }

    pub fn from_key(key: &str) -> ClusterSort {
        ClusterSort::ALL.into_iter().find(|sort| sort.key() == key).unwrap_or_default()
    }
}

/// The cluster list's filter and order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterQuery {
    /// Words that must all occur in the name or the team (any case).
    pub text: String,
    /// A grade (`A` … `F`), `none` for clusters without a score yet, or empty for all.
    pub grade: String,
    pub sort: ClusterSort,
}

fn finished_at(cluster: &ClusterSummary) -> i64 {
    cluster.last_scan.as_ref().and_then(|scan| scan.finished_at.as_deref()).and_then(parse_rfc3339).unwrap_or(0)
}

/// The clusters the query shows, in its order.
pub fn visible_clusters(clusters: &[ClusterSummary], query: &ClusterQuery) -> Vec<ClusterSummary> {
    let words: Vec<String> = query.text.split_whitespace().map(str::to_lowercase).collect();
    let mut shown: Vec<ClusterSummary> = clusters
        .iter()
        .filter(|cluster| {
            let haystack = format!("{} {}", cluster.name, cluster.team).to_lowercase();
            words.iter().all(|word| haystack.contains(word.as_str()))
        })
        .filter(|cluster| match query.grade.as_str() {
            "" => true,
            "none" => cluster.grade.is_none(),
            grade => cluster.grade.as_deref() == Some(grade),
        })
        .cloned()
        .collect();
    let by_name = |a: &ClusterSummary, b: &ClusterSummary| {
        a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id))
    };
    // Clusters without a score sort after those with one, whichever the direction.
    let by_score = |a: &ClusterSummary, b: &ClusterSummary, descending: bool| match (a.score, b.score) {
        (Some(x), Some(y)) if descending => y.cmp(&x),
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    shown.sort_by(|a, b| {
        let primary = match query.sort {
            ClusterSort::Name => Ordering::Equal,
            ClusterSort::ScoreAscending => by_score(a, b, false),
            ClusterSort::ScoreDescending => by_score(a, b, true),
            ClusterSort::MostCritical => (b.counts.critical, b.counts.high).cmp(&(a.counts.critical, a.counts.high)),
            ClusterSort::LastScan => finished_at(b).cmp(&finished_at(a)),
        };
        primary.then_with(|| by_name(a, b))
    });
    shown
}

/// How the findings table is ordered (within the findings loaded so far).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Most severe first.
    #[default]
    Severity,
    Rule,
    /// By namespace, kind and name.
    Object,
    /// Newest first.
    FirstSeen,
    /// Most recently seen first.
    LastSeen,
}

impl FindingSort {
    pub const ALL: [FindingSort; 5] =
        [FindingSort::Severity, FindingSort::Rule, FindingSort::Object, FindingSort::FirstSeen, FindingSort::LastSeen];

    pub fn key(self) -> &'static str {
        match self {
            FindingSort::Severity => "severity",
            FindingSort::Rule => "rule",
            FindingSort::Object => "object",
            FindingSort::FirstSeen => "first-seen",
            FindingSort::LastSeen => "last-seen",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FindingSort::Severity => "Severity",
            FindingSort::Rule => "Rule",
            FindingSort::Object => "Object",
            FindingSort::FirstSeen => "First seen, newest first",
            FindingSort::LastSeen => "Last seen, newest first",
        }
    }

    pub fn from_key(key: &str) -> FindingSort {
        FindingSort::ALL.into_iter().find(|sort| sort.key() == key).unwrap_or_default()
    }
}

/// Sorts findings; ties keep the server's order (by id).
pub fn sort_findings(findings: &mut [Finding], sort: FindingSort) {
    let time = |text: &str| parse_rfc3339(text).unwrap_or(0);
    findings.sort_by(|a, b| {
        let primary = match sort {
            FindingSort::Severity => severity_rank(&a.severity).cmp(&severity_rank(&b.severity)),
            FindingSort::Rule => a.rule.cmp(&b.rule),
            FindingSort::Object => (&a.resource.namespace, &a.resource.kind, &a.resource.name).cmp(&(
                &b.resource.namespace,
                &b.resource.kind,
                &b.resource.name,
            )),
            FindingSort::FirstSeen => time(&b.first_seen).cmp(&time(&a.first_seen)),
            FindingSort::LastSeen => time(&b.last_seen).cmp(&time(&a.last_seen)),
        };
        primary.then(a.id.cmp(&b.id))
    });
}

/// The trend chart's ranges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Range {
    Week,
    #[default]
    Month,
    Quarter,
    Year,
}

impl Range {
    pub const ALL: [Range; 4] = [Range::Week, Range::Month, Range::Quarter, Range::Year];

    pub fn days(self) -> i64 {
        match self {
            Range::Week => 7,
            Range::Month => 30,
            Range::Quarter => 90,
            Range::Year => 365,
        }
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Range::Week => "7 d",
            Range::Month => "30 d",
            Range::Quarter => "90 d",
            Range::Year => "1 y",
        }
    }

    /// What the label stands for, for screen readers.
    pub fn description(self) -> &'static str {
        match self {
            Range::Week => "the last 7 days",
            Range::Month => "the last 30 days",
            Range::Quarter => "the last 90 days",
            Range::Year => "the last year",
        }
    }

    /// `(from, to)` in Unix milliseconds, ending at `now`.
    pub fn span(self, now: i64) -> (i64, i64) {
        (now - self.days() * DAY_MS, now)
    }
}

/// What a scan status reads as for a person.
pub fn status_label(status: &str) -> &str {
    match status {
        "queued" => "queued",
        "running" => "running",
        "succeeded" => "succeeded",
        "partial" => "partial (some kinds could not be read)",
        "failed" => "failed",
        "interrupted" => "interrupted (the server stopped during the scan)",
        other => other,
    }
}

/// The points of a trend with a time and a score, in time order.
pub fn scored_points(trend: &[TrendPoint]) -> Vec<(i64, i64, &TrendPoint)> {
    let mut points: Vec<(i64, i64, &TrendPoint)> =
        trend.iter().filter_map(|point| Some((parse_rfc3339(&point.at)?, point.score?, point))).collect();
    points.sort_by_key(|(at, _, point)| (*at, point.scan));
    points
}

/// The CSS class of a grade's badge.
pub fn grade_class(grade: &str) -> String {
    format!("grade small grade-{}", grade.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Counts, LastScan, Resource};

    fn cluster(id: i64, name: &str, score: Option<i64>, critical: i64, finished: Option<&str>) -> ClusterSummary {
        ClusterSummary {
            id,
            name: name.to_string(),
            team: "platform".to_string(),
            kind: "snapshot".to_string(),
            score,
            grade: score.map(|score| rampart_core::score::grade(score as u32).to_string()),
            counts: Counts { critical, ..Counts::default() },
            last_scan: finished.map(|at| LastScan { id, status: "succeeded".into(), finished_at: Some(at.into()) }),
            next_scan_at: None,
        }
    }

    fn names(clusters: &[ClusterSummary]) -> Vec<&str> {
        clusters.iter().map(|cluster| cluster.name.as_str()).collect()
    }

    #[test]
    fn clusters_filter_by_words_and_grade_and_sort() {
        let clusters = vec![
            cluster(1, "prod-eu", Some(55), 3, Some("2026-01-02T00:00:00Z")),
            cluster(2, "Staging", Some(92), 0, Some("2026-01-03T00:00:00Z")),
            cluster(3, "prod-us", Some(81), 1, Some("2026-01-01T00:00:00Z")),
            cluster(4, "lab", None, 0, None),
        ];
        let query = |text: &str, grade: &str, sort| ClusterQuery { text: text.into(), grade: grade.into(), sort };
        assert_eq!(
            names(&visible_clusters(&clusters, &query("", "", ClusterSort::Name))),
            ["lab", "prod-eu", "prod-us", "Staging"]
        );
        assert_eq!(names(&visible_clusters(&clusters, &query("PROD", "", ClusterSort::Name))), ["prod-eu", "prod-us"]);
        assert_eq!(names(&visible_clusters(&clusters, &query("prod us", "", ClusterSort::Name))), ["prod-us"]);
        assert_eq!(names(&visible_clusters(&clusters, &query("platform", "A", ClusterSort::Name))), ["Staging"]);
        assert_eq!(names(&visible_clusters(&clusters, &query("", "none", ClusterSort::Name))), ["lab"]);
        assert_eq!(
            names(&visible_clusters(&clusters, &query("", "", ClusterSort::ScoreAscending))),
            ["prod-eu", "prod-us", "Staging", "lab"]
        );
        assert_eq!(
            names(&visible_clusters(&clusters, &query("", "", ClusterSort::ScoreDescending))),
            ["Staging", "prod-us", "prod-eu", "lab"]
        );
        assert_eq!(
            names(&visible_clusters(&clusters, &query("", "", ClusterSort::MostCritical))),
            ["prod-eu", "prod-us", "lab", "Staging"]
        );
        assert_eq!(
            names(&visible_clusters(&clusters, &query("", "", ClusterSort::LastScan))),
            ["Staging", "prod-eu", "prod-us", "lab"]
        );
        for sort in ClusterSort::ALL {
            assert_eq!(ClusterSort::from_key(sort.key()), sort);
        }
    }

    fn finding(id: i64, severity: &str, rule: &str, name: &str, first_seen: &str) -> Finding {
        Finding {
            id,
            rule: rule.into(),
            severity: severity.into(),
            status: "open".into(),
            resource: Resource { kind: "Deployment".into(), namespace: Some("default".into()), name: name.into() },
            path: String::new(),
            message: String::new(),
            first_seen: first_seen.into(),
            last_seen: first_seen.into(),
            resolved_at: None,
        }
    }

    #[test]
    fn findings_sort_by_each_column() {
        let mut findings = vec![
            finding(1, "low", "b-rule", "zeta", "2026-01-01T00:00:00Z"),
            finding(2, "critical", "c-rule", "alpha", "2026-01-03T00:00:00Z"),
            finding(3, "high", "a-rule", "mid", "2026-01-02T00:00:00Z"),
            finding(4, "critical", "a-rule", "beta", "2026-01-02T00:00:00Z"),
        ];
        let ids = |findings: &[Finding]| findings.iter().map(|finding| finding.id).collect::<Vec<_>>();
        sort_findings(&mut findings, FindingSort::Severity);
        assert_eq!(ids(&findings), [2, 4, 3, 1]);
        sort_findings(&mut findings, FindingSort::Rule);
        assert_eq!(ids(&findings), [3, 4, 1, 2]);
        sort_findings(&mut findings, FindingSort::Object);
        assert_eq!(ids(&findings), [2, 4, 3, 1]);
        sort_findings(&mut findings, FindingSort::FirstSeen);
        assert_eq!(ids(&findings), [2, 3, 4, 1]);
        for sort in FindingSort::ALL {
            assert_eq!(FindingSort::from_key(sort.key()), sort);
        }
    }

    #[test]
    fn ranges_end_now() {
        assert_eq!(Range::Week.span(10 * DAY_MS), (3 * DAY_MS, 10 * DAY_MS));
        assert_eq!(Range::Year.days(), 365);
        assert_eq!(severity_rank("critical"), 0);
        assert_eq!(severity_rank("nonsense"), 5);
    }

    #[test]
    fn scored_points_skip_unscored_and_sort_by_time() {
        let point = |scan, at: &str, score| TrendPoint {
            scan,
            at: at.into(),
            score,
            grade: None,
            counts: Counts::default(),
            new: 0,
            resolved: 0,
        };
        let trend = vec![
            point(2, "2026-01-02T00:00:00Z", Some(70)),
            point(1, "2026-01-01T00:00:00Z", Some(60)),
            point(3, "2026-01-03T00:00:00Z", None),
        ];
        let points = scored_points(&trend);
        assert_eq!(points.iter().map(|(_, score, _)| *score).collect::<Vec<_>>(), [60, 70]);
    }
}
