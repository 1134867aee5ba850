//! `/clusters/{id}/exemptions`, `/teams/{id}/exemptions` and `/exemptions/{id}`.

use crate::api_type;

api_type! {
    /// A team or a cluster, by id and name.
    pub struct Named {
        pub id: i64,
        pub name: String,
    }

    /// Who granted an exemption.
    pub struct ExemptionAuthor {
        pub id: i64,
        pub email: String,
    }

    /// A central exemption: what it matches (null: anything), why, and until when.
    pub struct Exemption {
        pub id: i64,
        pub team: Named,
        /// Null for an exemption of every cluster of the team.
        pub cluster: Option<Named>,
        pub rule: Option<String>,
        pub namespace: Option<String>,
        pub kind: Option<String>,
        pub name: Option<String>,
        pub reason: String,
        /// Null when the author's account was deleted.
        pub author: Option<ExemptionAuthor>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
        /// Null: never expires.
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub expires_at: Option<String>,
        /// Whether it applies now (not expired).
        pub active: bool,
    }

    /// The body of `POST /clusters/{id}/exemptions` and `POST /teams/{id}/exemptions`:
    /// absent or null matching fields mean "all".
    #[serde(deny_unknown_fields)]
    pub struct NewExemption {
        /// Only on the team's collection: the cluster (absent or null: all of the team's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cluster: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rule: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespace: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub kind: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// Required: why these findings are accepted (1 to 2,000 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reason: Option<String>,
        /// Absent or null: never expires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub expires_at: Option<String>,
    }
}
