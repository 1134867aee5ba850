//! `GET /clusters/{id}/findings` and `GET /clusters/{id}/trend`.

use crate::api_type;
use crate::scans::Counts;

api_type! {
    /// The object a finding is about (`namespace` null for cluster-scoped objects).
    pub struct Resource {
        pub kind: String,
        pub namespace: Option<String>,
        pub name: String,
    }

    /// One finding of a cluster.
    pub struct Finding {
        pub id: i64,
        pub rule: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["critical", "high", "medium", "low", "info"])))]
        pub severity: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["open", "resolved", "exempted"])))]
        pub status: String,
        pub resource: Resource,
        pub path: String,
        pub message: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub first_seen: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub last_seen: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub resolved_at: Option<String>,
        /// Why an exempted finding is accepted.
        pub exemption_reason: Option<String>,
    }

    /// A page of findings.
    pub struct FindingsPage {
        pub items: Vec<Finding>,
        /// How many findings match the filters in all; with `total_exact` false, at least
        /// how many.
        pub total: i64,
        /// False when `total` is a lower bound: a text filter examines at most 2,000
        /// findings per request (`store::scans::TEXT_WINDOW`), and over more than that its
        /// total counts the matches among the first 2,000.
        pub total_exact: bool,
        /// The `cursor` of the next page; null on the last. With a text filter a page may
        /// hold fewer findings than `limit`, or none, and still have a next one: it stopped
        /// after examining 2,000 findings.
        pub next_cursor: Option<String>,
    }

    /// A custom policy a scan applied, at its version.
    pub struct AppliedPolicy {
        pub id: i64,
        pub name: String,
        pub version: i64,
    }

    /// How the policies a cluster's scans apply changed between two scans.
    pub struct PolicyChange {
        pub added: Vec<String>,
        pub removed: Vec<String>,
        pub changed: Vec<PolicyVersionChange>,
    }

    pub struct PolicyVersionChange {
        pub name: String,
        pub from: i64,
        pub to: i64,
    }

    /// One point of the trend: a finished scan.
    pub struct TrendPoint {
        pub scan: i64,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub at: String,
        pub score: Option<i64>,
        pub grade: Option<String>,
        pub counts: Counts,
        pub new: i64,
        pub resolved: i64,
        /// The policies the scan applied (null for scans recorded before policies were).
        pub policies: Option<Vec<AppliedPolicy>>,
        /// How they differ from the scan before's (null: unchanged).
        pub policy_change: Option<PolicyChange>,
        /// The score formula's version, and whether it differs from the point before's.
        pub formula_version: i64,
        pub formula_change: bool,
    }
}

impl PolicyChange {
    /// "Policies changed: changed replicas v1→v2; added labels"
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.changed.is_empty() {
            let changed: Vec<String> =
                self.changed.iter().map(|change| format!("{} v{}→v{}", change.name, change.from, change.to)).collect();
            parts.push(format!("changed {}", changed.join(", ")));
        }
        if !self.added.is_empty() {
            parts.push(format!("added {}", self.added.join(", ")));
        }
        if !self.removed.is_empty() {
            parts.push(format!("removed {}", self.removed.join(", ")));
        }
        format!("Policies changed: {}", parts.join("; "))
    }
}
