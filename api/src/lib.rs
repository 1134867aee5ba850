//! The JSON of `rampart serve`'s API (`/api/v1`), written once: the server serializes these
//! types, the web app (`frontend/src/api.rs`) deserializes the same ones, and with the
//! `schema` feature the server's OpenAPI document (`/api/openapi.json`) takes their JSON
//! Schemas from them. A field renamed here is renamed for all three, and one renamed on one
//! side only does not compile.
//!
//! Every field is always written (`null` when empty) and read without defaults: an answer
//! without a field is an error, never a silent zero (serde reads a missing `Option` as
//! `None`; the OpenAPI document still lists every field as required, and the contract test
//! holds the server to it). Times are RFC 3339 strings in UTC.
//!
//! The groups of operations are moved here one at a time (`scans`, `findings`, `exemptions`,
//! `policies`, `compliance`, `reports`, `outbox`, `subscriptions`, `webhooks` so far); the others are still described by hand in the server's
//! `http::openapi`. Request bodies live here too where the web app sends them: their
//! optional fields are left out when `None`, as the server reads an absent field.

pub mod compliance;
pub mod exemptions;
pub mod findings;
pub mod outbox;
pub mod policies;
pub mod reports;
pub mod scans;
pub mod subscriptions;
pub mod webhooks;

pub use findings::{AppliedPolicy, Finding, FindingsPage, PolicyChange, PolicyVersionChange, Resource, TrendPoint};
pub use scans::{Counts, NamespaceSummary, Scan, ScanError};

/// `#[derive(..)]` of every answer type: JSON both ways, and a JSON Schema with `schema`.
macro_rules! api_type {
    ($($item:item)*) => {
        $(
            #[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
            #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
            $item
        )*
    };
}
pub(crate) use api_type;

/// The schema generator, for the server's OpenAPI document.
#[cfg(feature = "schema")]
pub use schemars;
