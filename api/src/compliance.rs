//! `GET /clusters/{id}/compliance`.
//!
//! A framework, a control's status and the counts per status are the engine's own types
//! (`rampart_core::compliance`): they are what the engine concludes, already serialized as
//! the API writes them (`cis`, `not_assessed`, `{"pass", "fail", "not_assessed"}`), and the web
//! app matches on them; a copy here would be one more definition to keep in step.

use rampart_core::compliance::{Counts, Framework, Status};

use crate::api_type;
use crate::exemptions::Named;
use crate::findings::Resource;

/// [`api_type!`] without `Default`: for types that hold the engine's enums, which have none.
macro_rules! engine_answer {
    ($($item:item)*) => {
        $(
            #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
            #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
            $item
        )*
    };
}
pub(crate) use engine_answer;

api_type! {
    /// A finding as evidence of a failing control: an open finding of one of its rules.
    pub struct Evidence {
        pub id: i64,
        pub rule: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["critical", "high", "medium", "low", "info"])))]
        pub severity: String,
        pub resource: Resource,
        pub path: String,
        pub message: String,
    }

    /// The scan a compliance view reads.
    pub struct ComplianceScan {
        pub id: i64,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub finished_at: String,
    }

    /// The counts per status at one scan.
    pub struct ComplianceTrendPoint {
        pub scan: i64,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub at: String,
        #[serde(flatten)]
        pub counts: Counts,
    }

}

engine_answer! {
    /// A control of a framework at the latest scan.
    pub struct ComplianceControl {
        pub id: String,
        pub title: String,
        pub status: Status,
        /// The rules that assess it (none: not assessed by any).
        pub rules: Vec<String>,
        /// Those of them that failed.
        pub failed_rules: Vec<String>,
        /// Findings (not exempted) of the failed rules.
        pub findings: u64,
        /// Open findings of the failed rules, at most 20 per rule.
        pub evidence: Vec<Evidence>,
    }

    /// A cluster's compliance with one framework: each control at the latest scan that
    /// recorded rule results (`scan` null when none has), and the counts over time.
    pub struct Compliance {
        pub cluster: Named,
        pub framework: Framework,
        pub title: String,
        pub scan: Option<ComplianceScan>,
        pub counts: Counts,
        pub controls: Vec<ComplianceControl>,
        /// Oldest first, at most the latest 90 scans with rule results.
        pub trend: Vec<ComplianceTrendPoint>,
    }
}
