//! `GET /reports`: a report over a period and clusters.

use rampart_core::compliance::{Counts as ControlCounts, Framework, Status};

use crate::api_type;
use crate::compliance::{engine_answer, ComplianceScan, ComplianceTrendPoint, Evidence};
use crate::exemptions::Named;
use crate::findings::Resource;
use crate::scans::Counts;

engine_answer! {
    /// A control in a report: its status at the period's end and start (null: no scan by
    /// then recorded rule results) and, when failing, its evidence: at most ten findings
    /// open at the end (`evidence_open` in all, `evidence_more` not shown).
    pub struct ReportControl {
        pub id: String,
        pub title: String,
        pub status: Status,
        pub status_at_start: Option<Status>,
        pub failed_rules: Vec<String>,
        pub findings: u64,
        pub evidence: Vec<Evidence>,
        pub evidence_open: i64,
        pub evidence_more: i64,
        pub evidence_rules: Vec<EvidenceRule>,
    }

    /// A cluster's standing against one framework: the counts at the period's end and start
    /// and at each point of the score series.
    pub struct ReportFramework {
        pub framework: Framework,
        pub title: String,
        /// The scan the end's controls are read from.
        pub scan: ComplianceScan,
        pub counts: ControlCounts,
        /// Null when no scan had recorded rule results by the period's start.
        pub counts_at_start: Option<ControlCounts>,
        pub trend: Vec<ComplianceTrendPoint>,
        pub controls: Vec<ReportControl>,
    }

    /// One cluster of a report: where it stood at the period's end and start (null when it
    /// had no scan by then) and what changed.
    pub struct ReportCluster {
        pub id: i64,
        pub name: String,
        /// Its team's name.
        pub team: String,
        pub score: Option<i64>,
        pub grade: Option<String>,
        pub counts: Option<Counts>,
        pub last_scan: Option<ScoreState>,
        pub start: Option<ScoreState>,
        /// The score's change over the period.
        pub change: Option<i64>,
        /// Scans in the period.
        pub scans: i64,
        /// First seen in the period and still open at its end.
        pub new: i64,
        /// First seen and resolved within the period: churn, not news.
        pub opened_and_resolved: i64,
        /// Resolved within the period (churn included).
        pub resolved: i64,
        /// The score series (`points`: each day's last scan, or every scan).
        pub scores: Vec<ScoreState>,
        /// Per framework (empty when no scan by the period's end recorded rule results).
        pub compliance: Vec<ReportFramework>,
    }

}

api_type! {
    /// A cluster's score at one scan.
    pub struct ScoreState {
        pub scan: i64,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub at: String,
        pub score: i64,
        pub grade: String,
    }

    /// One failing rule of a control: its findings open at the period's end, how many the
    /// report shows, and where the API lists them all.
    pub struct EvidenceRule {
        pub rule: String,
        pub open: i64,
        pub shown: i64,
        pub findings_url: String,
    }

    /// New and resolved findings of one ISO week.
    pub struct ReportWeek {
        /// `2026-W05`.
        pub week: String,
        /// Its Monday, `2026-01-26`.
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date")))]
        pub starts: String,
        pub new: i64,
        pub opened_and_resolved: i64,
        pub resolved: i64,
    }

    /// A rule with the most open findings at the period's end.
    pub struct TopRule {
        pub rule: String,
        /// The highest severity among its findings.
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["critical", "high", "medium", "low", "info"])))]
        pub severity: String,
        pub open: i64,
        /// Clusters it has open findings in.
        pub clusters: i64,
    }

    /// A critical finding open at the period's end, oldest first.
    pub struct OpenCritical {
        pub id: i64,
        pub cluster: Named,
        pub rule: String,
        pub resource: Resource,
        pub path: String,
        pub message: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub first_seen: String,
        /// Whole days from `first_seen` to the period's end.
        pub age_days: i64,
    }
}

/// The mean time to resolve the findings of one severity resolved in the period.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResolveTime {
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["critical", "high", "medium", "low", "info"])))]
    pub severity: String,
    pub resolved: i64,
    /// Null when none was resolved.
    pub mean_seconds: Option<i64>,
    /// The same in days, to two decimals.
    pub mean_days: Option<f64>,
}

/// A report over a period and clusters (see README "Reports").
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub from: String,
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub to: String,
    #[cfg_attr(feature = "schema", schemars(extend("enum" = ["day", "scan"])))]
    pub points: String,
    #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
    pub generated_at: String,
    pub clusters: Vec<ReportCluster>,
    pub weeks: Vec<ReportWeek>,
    pub time_to_resolve: Vec<ResolveTime>,
    /// The rules with the most open findings at the period's end.
    pub top_rules: Vec<TopRule>,
    /// The oldest critical findings open at the period's end.
    pub oldest_critical: Vec<OpenCritical>,
}
