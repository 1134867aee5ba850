//! `/clusters` (registration, the connection test, a cluster's settings and its scans
//! started) and the agent's endpoints (`/clusters/{id}/agent-token`, `/agent/…`).

use serde::{Deserialize, Deserializer};

use crate::api_type;
use crate::scans::{Counts, ScanError};
use crate::teams::Team;

api_type! {
    /// The body of `POST /clusters`, `PATCH /clusters/{id}` and `POST /clusters/test`: how
    /// to reach the cluster (`agent`, `snapshot`, `kubeconfig` with `context`, or `server`
    /// with `token` and `ca_pem`), its name, team and schedule. Absent fields are left out
    /// (a change leaves them as they are).
    #[serde(deny_unknown_fields)]
    pub struct ClusterInput {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// A team id or name (needed when the user is in several teams).
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(with = "Option<TeamSelector>"))]
        pub team: Option<serde_json::Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub kubeconfig: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub context: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub server: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub token: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub ca_pem: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub snapshot: Option<bool>,
        /// An agent inside the cluster delivers its scans (`rampart agent`).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub agent: Option<bool>,
        /// A cron expression (UTC), such as `0 */6 * * *`, a shorthand or `@every`. Absent:
        /// the default (registration) or unchanged (a change); null: no schedule.
        #[serde(default, deserialize_with = "given", skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(with = "Option<String>"))]
        pub schedule: Option<Option<String>>,
    }

    /// A cluster: `GET /clusters/{id}`, and what registering or changing one answers.
    pub struct Cluster {
        pub id: i64,
        pub name: String,
        pub team: Team,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["snapshot", "api", "kubeconfig", "agent"])))]
        pub kind: String,
        /// The API server's URL of a cluster reached by URL.
        pub server: Option<String>,
        /// The kubeconfig's context of a cluster reached by kubeconfig.
        pub context: Option<String>,
        pub schedule: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub next_scan_at: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
        /// An agent cluster's agent.
        pub agent: Option<AgentContact>,
        /// Only in the answer to the registration of an agent cluster.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub agent_setup: Option<AgentSetup>,
    }

    /// An agent cluster's agent: its last contact, the version it reported, and whether it
    /// has gone silent.
    pub struct AgentContact {
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub last_contact_at: Option<String>,
        pub version: Option<String>,
        /// No contact for 5 minutes, or never.
        pub silent: bool,
    }

    /// What starts a cluster's agent: its token (shown only in this answer), and the
    /// manifest and the command that apply it, without and with Secrets listed.
    pub struct AgentSetup {
        pub cluster: i64,
        pub token: String,
        pub server: String,
        pub manifest: String,
        pub command: String,
        pub manifest_with_secrets: String,
        pub command_with_secrets: String,
    }

    /// One of `GET /clusters`: a cluster with its latest score and scan.
    pub struct ClusterSummary {
        pub id: i64,
        pub name: String,
        /// The team's name.
        pub team: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["snapshot", "api", "kubeconfig", "agent"])))]
        pub kind: String,
        pub score: Option<i64>,
        pub grade: Option<String>,
        pub counts: Counts,
        /// Findings the latest scan with results opened and resolved (null before one).
        pub new: Option<i64>,
        pub resolved: Option<i64>,
        pub last_scan: Option<LastScan>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub next_scan_at: Option<String>,
        pub agent: Option<AgentContact>,
    }

    /// A cluster's latest scan, in `GET /clusters`.
    pub struct LastScan {
        pub id: i64,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["queued", "running", "succeeded", "partial", "failed", "interrupted"])))]
        pub status: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub finished_at: Option<String>,
        /// Why a failed scan failed.
        pub message: Option<String>,
        /// Its first errors (at most 3; the scan lists them all) and how many it had.
        pub errors: Vec<ScanError>,
        pub error_count: i64,
    }

    /// `POST /clusters/test`: whether the API server answered with these credentials, what
    /// failed if not, and the kubeconfig's contexts.
    pub struct ConnectionTest {
        pub ok: bool,
        pub message: String,
        pub contexts: Vec<String>,
    }

    /// `202 Accepted` of a scan started or delivered: the scan's id.
    #[derive(Copy)]
    pub struct Accepted {
        pub id: i64,
    }

    /// `GET /agent/instructions`: the scan the agent is to deliver now, if any.
    #[derive(Copy)]
    pub struct AgentInstructions {
        pub scan: Option<ScanToDeliver>,
    }

    #[derive(Copy)]
    pub struct ScanToDeliver {
        pub id: i64,
    }
}

/// A team's id or name.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum TeamSelector {
    Id(i64),
    Name(String),
}

/// A field that may be null: `Some(None)` when it is, `None` (the default) when absent.
fn given<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

impl Cluster {
    pub fn is_snapshot(&self) -> bool {
        self.kind == "snapshot"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_left_out_differs_from_a_null_one() {
        let absent: ClusterInput = serde_json::from_str(r#"{"name": "prod"}"#).unwrap();
        assert_eq!(absent.schedule, None);
        let null: ClusterInput = serde_json::from_str(r#"{"schedule": null}"#).unwrap();
        assert_eq!(null.schedule, Some(None));
        let given: ClusterInput = serde_json::from_str(r#"{"schedule": "@daily", "team": "red"}"#).unwrap();
        assert_eq!(given.schedule, Some(Some("@daily".to_string())));
        assert_eq!(given.team, Some(serde_json::Value::from("red")));
        assert_eq!(serde_json::to_string(&null).unwrap(), r#"{"schedule":null}"#);
        assert!(serde_json::from_str::<ClusterInput>(r#"{"nmae": "prod"}"#).is_err(), "unknown fields are refused");
    }
}
