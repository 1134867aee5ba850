//! `/healthz` and `/readyz` (outside `/api/v1`, for load balancers and Kubernetes probes).

use crate::api_type;

api_type! {
    /// `{"status": "ok"}` from `/healthz`; `/readyz` adds the database's kind when it
    /// answers, and is `{"status": "unavailable", "error": …}` (503) when it does not.
    pub struct Health {
        /// `ok` or `unavailable`.
        pub status: String,
        /// `sqlite` or `postgres`: only in `/readyz`'s answer when the database answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub database: Option<String>,
        /// Only when not ready.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub error: Option<String>,
    }
}
