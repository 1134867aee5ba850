//! `/subscriptions`, `/subscriptions/{id}` and `/subscriptions/{id}/send` (answered with
//! [`crate::outbox::Queued`]).

use crate::api_type;
use crate::exemptions::Named;

api_type! {
    /// A cluster a subscription covers.
    pub struct CoveredCluster {
        pub id: i64,
        pub name: String,
        /// Its team's name.
        pub team: String,
    }

    /// One of the user's email subscriptions.
    pub struct Subscription {
        pub id: i64,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["daily", "weekly", "immediate"])))]
        pub frequency: String,
        /// The hour (UTC) a digest goes out.
        pub hour: i64,
        /// The day a weekly digest goes out: monday … sunday.
        pub weekday: String,
        /// The team, when it covers a whole team.
        pub team: Option<Named>,
        /// The clusters it covers now.
        pub clusters: Vec<CoveredCluster>,
        /// Only these namespaces' findings (null: see `namespace_selector`).
        pub namespaces: Option<Vec<String>>,
        /// Only the findings of namespaces whose labels match (null: every namespace unless
        /// `namespaces` says).
        pub namespace_selector: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
    }

    /// The body of `POST /subscriptions`: `team` or `clusters`, not both.
    #[serde(deny_unknown_fields)]
    pub struct NewSubscription {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub clusters: Option<Vec<i64>>,
        /// A team id or name (all its clusters). Read as any JSON value, so that a value of
        /// another type is answered "no such team" as before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(with = "Option<IdOrName>"))]
        pub team: Option<serde_json::Value>,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["daily", "weekly", "immediate"])))]
        pub frequency: String,
        /// 0 to 23 (UTC); absent: 8.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 23)))]
        pub hour: Option<i64>,
        /// `monday` … `sunday`, or 0 (Monday) … 6; absent: monday.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(with = "Option<Weekday>"))]
        pub weekday: Option<serde_json::Value>,
        /// Only these namespaces' findings.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespaces: Option<Vec<String>>,
        /// kubectl -l syntax: `owner=payments`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespace_selector: Option<String>,
    }
}

/// What `team` holds, for the schema: an id or a name.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum IdOrName {
    Id(i64),
    Name(String),
}

/// What `weekday` holds, for the schema: monday … sunday, or 0 (Monday) … 6.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum Weekday {
    Number(#[schemars(range(min = 0, max = 6))] i64),
    Name(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_is_read_as_whatever_json_was_sent() {
        for team in [r#"1"#, r#""red""#, r#"true"#] {
            let body: NewSubscription =
                serde_json::from_str(&format!(r#"{{"team": {team}, "frequency": "daily"}}"#)).unwrap();
            assert_eq!(body.team, Some(serde_json::from_str(team).unwrap()));
        }
        let body = NewSubscription { clusters: Some(vec![3]), frequency: "weekly".into(), ..Default::default() };
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"clusters":[3],"frequency":"weekly"}"#);
    }
}
