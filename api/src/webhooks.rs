//! `/teams/{id}/webhooks`, `/teams/{id}/webhooks/{webhook}` and its `test`.

use crate::api_type;

api_type! {
    /// A team's webhook. The URL shows its scheme and host only; secrets never come back,
    /// but for `secret` in the answer to the creation.
    pub struct Webhook {
        pub id: i64,
        pub team: i64,
        pub name: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["generic", "slack", "teams"])))]
        pub format: String,
        pub url: String,
        /// Whether deliveries carry an HMAC-SHA256 signature (generic webhooks).
        pub signed: bool,
        #[cfg_attr(feature = "schema", schemars(extend("items" = { "type": "string", "enum": ["digest", "critical", "scan_failed"] })))]
        pub events: Vec<String>,
        /// Of the digest.
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["daily", "weekly"])))]
        pub frequency: String,
        pub hour: i64,
        pub weekday: String,
        pub namespaces: Option<Vec<String>>,
        pub namespace_selector: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
        /// Only in the answer to the creation, when the server made it: shown this once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub secret: Option<String>,
    }

    /// The body of `POST /teams/{id}/webhooks`.
    #[serde(deny_unknown_fields)]
    pub struct NewWebhook {
        pub name: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["generic", "slack", "teams"])))]
        pub format: String,
        pub url: String,
        /// A generic webhook's signing secret (16 to 256 characters); one is made when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub secret: Option<String>,
        /// Any of `digest`, `critical`, `scan_failed`.
        #[cfg_attr(feature = "schema", schemars(extend("items" = { "type": "string", "enum": ["digest", "critical", "scan_failed"] })))]
        pub events: Vec<String>,
        /// Of the digest: `daily` (the default) or `weekly`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub frequency: Option<String>,
        /// 0 to 23 (UTC); absent: 8.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 23)))]
        pub hour: Option<i64>,
        /// `monday` … `sunday`, or 0 (Monday) … 6; absent: monday.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "schema", schemars(with = "Option<crate::subscriptions::Weekday>"))]
        pub weekday: Option<serde_json::Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespaces: Option<Vec<String>>,
        /// kubectl -l syntax: `owner=payments`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub namespace_selector: Option<String>,
    }

    /// Whether a test notice reached the receiver, and if not, why.
    pub struct WebhookTest {
        pub delivered: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error: Option<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_and_an_error_are_written_only_when_there_is_one() {
        let listed = serde_json::to_value(Webhook::default()).unwrap();
        assert!(listed.get("secret").is_none(), "{listed}");
        assert!(listed.get("namespaces").is_some_and(serde_json::Value::is_null), "{listed}");
        let created = Webhook { secret: Some("s".repeat(16)), ..Webhook::default() };
        assert_eq!(serde_json::to_value(created).unwrap()["secret"], "s".repeat(16));
        assert_eq!(
            serde_json::to_string(&WebhookTest { delivered: true, error: None }).unwrap(),
            r#"{"delivered":true}"#
        );
    }

    #[test]
    fn new_webhooks_take_a_weekday_as_a_name_or_a_number() {
        let body = r#"{"name": "ops", "format": "generic", "url": "https://example.com", "events": ["digest"],
                       "weekday": 4}"#;
        let webhook: NewWebhook = serde_json::from_str(body).unwrap();
        assert_eq!(webhook.weekday, Some(serde_json::json!(4)));
        let missing = serde_json::from_str::<NewWebhook>(r#"{"name": "ops"}"#).unwrap_err();
        assert!(missing.to_string().contains("missing field `format`"), "{missing}");
    }
}
