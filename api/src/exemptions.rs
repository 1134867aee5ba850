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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_exemptions_read_absent_and_null_alike_and_refuse_unknown_fields() {
        let absent: NewExemption = serde_json::from_str(r#"{"rule": "pss-privileged", "reason": "vendor"}"#).unwrap();
        let null: NewExemption =
            serde_json::from_str(r#"{"rule": "pss-privileged", "reason": "vendor", "namespace": null}"#).unwrap();
        assert_eq!(absent, null);
        assert_eq!(absent.reason.as_deref(), Some("vendor"));
        // A missing reason is the handler's to refuse, with its own message.
        assert_eq!(serde_json::from_str::<NewExemption>("{}").unwrap(), NewExemption::default());
        let typo = serde_json::from_str::<NewExemption>(r#"{"rules": "pss-privileged"}"#).unwrap_err();
        assert!(typo.to_string().contains("unknown field `rules`"), "{typo}");
        // What the web app sends: only what is set.
        let body = NewExemption { rule: Some("pss-privileged".into()), reason: Some("r".into()), ..Default::default() };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"rule":"pss-privileged","reason":"r"}"#);
    }
}
