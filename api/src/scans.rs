//! `GET /scans/{id}` and `GET /clusters/{id}/scans`.

use std::collections::BTreeMap;

use crate::api_type;

api_type! {
    /// Open findings per severity.
    #[derive(Copy)]
    pub struct Counts {
        pub critical: i64,
        pub high: i64,
        pub medium: i64,
        pub low: i64,
        pub info: i64,
    }

    /// Something a scan could not read: a kind it could not list, or (`kind` null) input it
    /// could not parse.
    pub struct ScanError {
        pub kind: Option<String>,
        pub message: String,
    }

    /// One namespace of a scan: its objects, the score and grade of its objects alone, and
    /// its open findings per severity.
    pub struct NamespaceSummary {
        pub objects: i64,
        pub score: Option<i64>,
        pub grade: Option<String>,
        pub critical: i64,
        pub high: i64,
        pub medium: i64,
        pub low: i64,
        pub info: i64,
    }

    /// A scan: its status and timings, and what it found.
    pub struct Scan {
        pub id: i64,
        pub cluster: i64,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["queued", "running", "succeeded", "partial", "failed", "interrupted"])))]
        pub status: String,
        /// What started it: manual, schedule, snapshot, retry, agent.
        pub source: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub queued_at: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub started_at: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub finished_at: Option<String>,
        pub objects: i64,
        pub score: Option<i64>,
        pub grade: Option<String>,
        pub counts: Counts,
        /// Findings it opened.
        pub new: i64,
        /// Findings it resolved.
        pub resolved: i64,
        pub errors: Vec<ScanError>,
        pub namespaces: BTreeMap<String, NamespaceSummary>,
        /// Why a failed scan failed, for a person.
        pub message: Option<String>,
    }
}

impl Counts {
    /// `(severity, count)` from critical down.
    pub fn by_severity(&self) -> [(&'static str, i64); 5] {
        [
            ("critical", self.critical),
            ("high", self.high),
            ("medium", self.medium),
            ("low", self.low),
            ("info", self.info),
        ]
    }

    pub fn total(&self) -> i64 {
        self.critical + self.high + self.medium + self.low + self.info
    }

    /// `2 critical, 9 high, 0 medium, 1 low, 0 info`.
    pub fn describe(&self) -> String {
        self.by_severity().map(|(severity, count)| format!("{count} {severity}")).join(", ")
    }
}

impl NamespaceSummary {
    pub fn counts(&self) -> Counts {
        Counts { critical: self.critical, high: self.high, medium: self.medium, low: self.low, info: self.info }
    }
}

impl Scan {
    /// Whether the scan has not ended yet.
    pub fn is_pending(&self) -> bool {
        is_pending(&self.status)
    }

    /// Whether the scan produced results (the trend and findings include it).
    pub fn has_results(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "partial")
    }
}

/// Whether a scan status means the scan has not ended yet.
pub fn is_pending(status: &str) -> bool {
    matches!(status, "queued" | "running")
}
