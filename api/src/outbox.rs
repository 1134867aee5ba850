//! `/outbox`, `/outbox/{id}` and `/outbox/{id}/retry`.

use crate::api_type;

api_type! {
    /// An email the server queued, sent or failed to send (a webhook's delivery too).
    pub struct Email {
        pub id: i64,
        /// What it is: digest, critical, scan_failed, webhook and the like.
        pub kind: String,
        pub subscription: Option<i64>,
        pub webhook: Option<i64>,
        pub recipient: String,
        pub subject: String,
        #[cfg_attr(feature = "schema", schemars(extend("enum" = ["queued", "sent", "failed"])))]
        pub status: String,
        pub attempts: i64,
        /// Only while queued.
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub next_attempt_at: Option<String>,
        pub last_error: Option<String>,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub created_at: String,
        #[cfg_attr(feature = "schema", schemars(extend("format" = "date-time")))]
        pub sent_at: Option<String>,
    }

    /// One email with its rendered bodies, for a preview.
    pub struct EmailWithBody {
        #[serde(flatten)]
        pub email: Email,
        pub html: String,
        pub text: String,
    }

    /// An email queued (again): `POST /outbox/{id}/retry`, `POST /subscriptions/{id}/send`.
    pub struct Queued {
        pub id: i64,
        /// Always `queued`.
        pub status: String,
    }
}
