//! What the dashboard pages decide without a browser: which clusters a filter shows and in
//! which order, how the findings and namespace tables sort, the ranges of the trend chart,
//! what a scan's status reads as, and what an exemption granted from a finding matches.
//! Plain functions over the API's types, tested natively.

use std::cmp::Ordering;

use crate::api::{ClusterSummary, Exemption, Finding, NamespaceSummary, NewExemption, TrendPoint};
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

/// How the findings table is ordered: by the server, over every finding that matches
/// (each order ends with the finding's id). The keys are the API's `sort` values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Most severe first.
    #[default]
    Severity,
    Rule,
    /// By namespace, kind and name.
    Object,
    /// Newest first.
    Newest,
}

impl FindingSort {
    pub const ALL: [FindingSort; 4] =
        [FindingSort::Severity, FindingSort::Rule, FindingSort::Object, FindingSort::Newest];

    pub fn key(self) -> &'static str {
        match self {
            FindingSort::Severity => "severity",
            FindingSort::Rule => "rule",
            FindingSort::Object => "object",
            FindingSort::Newest => "newest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FindingSort::Severity => "Severity, most severe first",
            FindingSort::Rule => "Rule",
            FindingSort::Object => "Object",
            FindingSort::Newest => "First seen, newest first",
        }
    }

    pub fn from_key(key: &str) -> FindingSort {
        FindingSort::ALL.into_iter().find(|sort| sort.key() == key).unwrap_or_default()
    }
}

/// How the per-namespace table is ordered; each column sorts one way, the telling one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NamespaceSort {
    /// Worst score first (namespaces without a score last), then the most severe findings.
    #[default]
    Score,
    Name,
    /// Most objects first.
    Objects,
    /// Most findings first, weighed by severity (critical before high …).
    Findings,
}

impl NamespaceSort {
    pub const ALL: [NamespaceSort; 4] =
        [NamespaceSort::Name, NamespaceSort::Objects, NamespaceSort::Score, NamespaceSort::Findings];

    /// The column it sorts.
    pub fn column(self) -> &'static str {
        match self {
            NamespaceSort::Score => "Score",
            NamespaceSort::Name => "Namespace",
            NamespaceSort::Objects => "Objects",
            NamespaceSort::Findings => "Findings",
        }
    }

    /// What the order is, for the column's button.
    pub fn description(self) -> &'static str {
        match self {
            NamespaceSort::Score => "worst score first",
            NamespaceSort::Name => "by name",
            NamespaceSort::Objects => "most objects first",
            NamespaceSort::Findings => "most severe findings first",
        }
    }

    /// `aria-sort` of a column sorted this way.
    pub fn aria(self) -> &'static str {
        match self {
            NamespaceSort::Score | NamespaceSort::Name => "ascending",
            NamespaceSort::Objects | NamespaceSort::Findings => "descending",
        }
    }
}

/// Sorts a scan's namespaces; ties go by name.
pub fn sort_namespaces(namespaces: &mut [(String, NamespaceSummary)], sort: NamespaceSort) {
    let severe =
        |summary: &NamespaceSummary| (summary.critical, summary.high, summary.medium, summary.low, summary.info);
    namespaces.sort_by(|(a_name, a), (b_name, b)| {
        let primary = match sort {
            NamespaceSort::Score => match (a.score, b.score) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
            .then_with(|| severe(b).cmp(&severe(a))),
            NamespaceSort::Name => Ordering::Equal,
            NamespaceSort::Objects => b.objects.cmp(&a.objects),
            NamespaceSort::Findings => severe(b).cmp(&severe(a)),
        };
        primary.then_with(|| a_name.cmp(b_name))
    });
}

/// What an exemption granted from a finding covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExemptionScope {
    /// The finding's rule on its object only (rule, namespace, kind and name).
    #[default]
    Object,
    /// The rule on every object of the finding's namespace.
    Namespace,
    /// The rule on every object of the cluster.
    Cluster,
}

impl ExemptionScope {
    pub const ALL: [ExemptionScope; 3] = [ExemptionScope::Object, ExemptionScope::Namespace, ExemptionScope::Cluster];

    pub fn key(self) -> &'static str {
        match self {
            ExemptionScope::Object => "object",
            ExemptionScope::Namespace => "namespace",
            ExemptionScope::Cluster => "cluster",
        }
    }

    /// The scopes that make sense for a finding: a cluster-scoped object has no namespace.
    pub fn choices(finding: &Finding) -> Vec<ExemptionScope> {
        ExemptionScope::ALL
            .into_iter()
            .filter(|scope| *scope != ExemptionScope::Namespace || finding.resource.namespace.is_some())
            .collect()
    }

    /// The choice as a person reads it, naming what it covers.
    pub fn label(self, finding: &Finding) -> String {
        let resource = &finding.resource;
        match self {
            ExemptionScope::Object => match &resource.namespace {
                Some(namespace) => format!("This object only: {} {namespace}/{}", resource.kind, resource.name),
                None => format!("This object only: {} {}", resource.kind, resource.name),
            },
            ExemptionScope::Namespace => {
                format!("{} in namespace {}", finding.rule, resource.namespace.as_deref().unwrap_or_default())
            }
            ExemptionScope::Cluster => format!("{} in the whole cluster", finding.rule),
        }
    }

    /// The body of the request that grants it.
    pub fn exemption(self, finding: &Finding, reason: &str, expires_at: Option<String>) -> NewExemption {
        let resource = &finding.resource;
        let (namespace, kind, name) = match self {
            ExemptionScope::Object => {
                (resource.namespace.clone(), Some(resource.kind.clone()), Some(resource.name.clone()))
            }
            ExemptionScope::Namespace => (resource.namespace.clone(), None, None),
            ExemptionScope::Cluster => (None, None, None),
        };
        NewExemption {
            cluster: None,
            rule: Some(finding.rule.clone()),
            namespace,
            kind,
            name,
            reason: Some(reason.trim().to_string()),
            expires_at,
        }
    }
}

/// The expiry of an exemption from a date field (`YYYY-MM-DD`): the end of that day, UTC;
/// `None` for an empty field (never expires).
pub fn expiry_of_date(date: &str) -> Result<Option<String>, String> {
    let date = date.trim();
    if date.is_empty() {
        return Ok(None);
    }
    let end = format!("{date}T23:59:59Z");
    match parse_rfc3339(&end) {
        Some(_) if date.len() == 10 => Ok(Some(end)),
        _ => Err(format!("'{date}' is not a date such as 2026-12-31")),
    }
}

/// What an exemption matches, for a person: the rule (or every rule), then the objects.
pub fn exemption_matches(exemption: &Exemption) -> (String, String) {
    let rule = exemption.rule.clone().unwrap_or_else(|| "every rule".to_string());
    let objects = match (&exemption.namespace, &exemption.kind, &exemption.name) {
        (Some(namespace), Some(kind), Some(name)) => format!("{kind} {namespace}/{name}"),
        (None, None, None) if exemption.cluster.is_some() => "the whole cluster".to_string(),
        (None, None, None) => "every cluster of the team".to_string(),
        (namespace, kind, name) => [("namespace", namespace), ("kind", kind), ("name", name)]
            .into_iter()
            .filter_map(|(what, value)| value.as_ref().map(|value| format!("{what} {value}")))
            .collect::<Vec<_>>()
            .join(", "),
    };
    (rule, objects)
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
        "partial" => "partial (some input could not be read)",
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
            new: None,
            resolved: None,
            last_scan: finished.map(|at| LastScan {
                id,
                status: "succeeded".into(),
                finished_at: Some(at.into()),
                ..LastScan::default()
            }),
            next_scan_at: None,
            agent: None,
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
            exemption_reason: None,
        }
    }

    #[test]
    fn finding_sorts_are_the_api_keys() {
        for sort in FindingSort::ALL {
            assert_eq!(FindingSort::from_key(sort.key()), sort);
        }
        assert_eq!(FindingSort::from_key("unknown"), FindingSort::Severity);
    }

    #[test]
    fn namespaces_sort_worst_score_first_and_by_each_column() {
        let namespace = |name: &str, objects, score, critical, high| {
            (name.to_string(), NamespaceSummary { objects, score, critical, high, ..NamespaceSummary::default() })
        };
        let mut namespaces = vec![
            namespace("web", 3, Some(81), 0, 2),
            namespace("legacy", 1, None, 0, 0),
            namespace("jobs", 5, Some(55), 1, 0),
            namespace("api", 2, Some(81), 0, 3),
        ];
        let names = |namespaces: &[(String, NamespaceSummary)]| {
            namespaces.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>()
        };
        sort_namespaces(&mut namespaces, NamespaceSort::default());
        assert_eq!(names(&namespaces), ["jobs", "api", "web", "legacy"]);
        sort_namespaces(&mut namespaces, NamespaceSort::Name);
        assert_eq!(names(&namespaces), ["api", "jobs", "legacy", "web"]);
        sort_namespaces(&mut namespaces, NamespaceSort::Objects);
        assert_eq!(names(&namespaces), ["jobs", "web", "api", "legacy"]);
        sort_namespaces(&mut namespaces, NamespaceSort::Findings);
        assert_eq!(names(&namespaces), ["jobs", "api", "web", "legacy"]);
    }

    #[test]
    fn exemptions_from_a_finding_match_what_the_scope_says() {
        let privileged = finding(1, "critical", "pss-privileged", "web", "2026-01-01T00:00:00Z");
        let object = ExemptionScope::Object.exemption(&privileged, "  vendor agent ", None);
        assert_eq!(
            object,
            NewExemption {
                rule: Some("pss-privileged".into()),
                namespace: Some("default".into()),
                kind: Some("Deployment".into()),
                name: Some("web".into()),
                reason: Some("vendor agent".into()),
                expires_at: None,
                cluster: None,
            }
        );
        let namespace = ExemptionScope::Namespace.exemption(&privileged, "r", Some("2026-12-31T23:59:59Z".into()));
        assert_eq!((namespace.namespace.as_deref(), namespace.kind, namespace.name), (Some("default"), None, None));
        assert_eq!(namespace.expires_at.as_deref(), Some("2026-12-31T23:59:59Z"));
        let cluster = ExemptionScope::Cluster.exemption(&privileged, "r", None);
        assert_eq!((cluster.rule.as_deref(), cluster.namespace), (Some("pss-privileged"), None));
        assert_eq!(ExemptionScope::Object.label(&privileged), "This object only: Deployment default/web");
        assert_eq!(ExemptionScope::choices(&privileged).len(), 3);

        let mut cluster_scoped = privileged.clone();
        cluster_scoped.resource = Resource { kind: "ClusterRole".into(), namespace: None, name: "admin".into() };
        assert_eq!(ExemptionScope::choices(&cluster_scoped), [ExemptionScope::Object, ExemptionScope::Cluster]);
        assert_eq!(ExemptionScope::Object.exemption(&cluster_scoped, "r", None).namespace, None);

        assert_eq!(expiry_of_date(""), Ok(None));
        assert_eq!(expiry_of_date("2026-12-31"), Ok(Some("2026-12-31T23:59:59Z".into())));
        assert!(expiry_of_date("31/12/2026").is_err());
        assert!(expiry_of_date("2026-13-01").is_err());
    }

    #[test]
    fn exemptions_read_as_what_they_match() {
        let exemption = |namespace: Option<&str>, kind: Option<&str>, name: Option<&str>, cluster: bool| Exemption {
            rule: Some("pss-privileged".into()),
            namespace: namespace.map(Into::into),
            kind: kind.map(Into::into),
            name: name.map(Into::into),
            cluster: cluster.then(|| crate::api::Named { id: 1, name: "prod".into() }),
            ..Exemption::default()
        };
        let matches = |exemption: &Exemption| exemption_matches(exemption).1;
        assert_eq!(matches(&exemption(Some("prod"), Some("Deployment"), Some("web"), true)), "Deployment prod/web");
        assert_eq!(matches(&exemption(Some("prod"), None, None, true)), "namespace prod");
        assert_eq!(matches(&exemption(None, Some("Pod"), None, true)), "kind Pod");
        assert_eq!(matches(&exemption(None, None, None, true)), "the whole cluster");
        assert_eq!(matches(&exemption(None, None, None, false)), "every cluster of the team");
        let every = Exemption { rule: None, namespace: Some("lab".into()), ..Exemption::default() };
        assert_eq!(exemption_matches(&every), ("every rule".to_string(), "namespace lab".to_string()));
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
            ..TrendPoint::default()
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
