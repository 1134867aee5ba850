//! `/teams/{id}/policies`, `/policies/{id}` and `/policies/{id}/versions`.

use crate::api_type;

api_type! {
    /// An error of a policy's source, where it is.
    pub struct PolicyError {
        pub line: u32,
        pub column: u32,
        pub message: String,
    }

    /// A custom policy of a team (ValidatingAdmissionPolicy YAML), with what compiling it
    /// now says: its rules, and its errors when a source stored by an older server no longer
    /// compiles (scans skip such a policy until it is fixed).
    pub struct Policy {
        pub id: i64,
        pub team: i64,
        pub name: String,
        pub source: String,
        pub enabled: bool,
        pub version: i64,
        pub rules: Vec<String>,
        pub errors: Vec<PolicyError>,
        /// The email of who wrote this version (null when that account was deleted).
        pub author: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub updated_at: String,
    }

    /// One source a policy had.
    pub struct PolicyVersion {
        pub version: i64,
        pub source: String,
        pub author: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
    }

    /// The body of `POST /teams/{id}/policies` (`enabled` absent: true).
    #[serde(deny_unknown_fields)]
    pub struct NewPolicy {
        pub name: String,
        pub source: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub enabled: Option<bool>,
    }

    /// The body of `PATCH /policies/{id}`: absent fields stay; a new source is a new version.
    #[serde(deny_unknown_fields)]
    pub struct PolicyChanges {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub enabled: Option<bool>,
    }
}
