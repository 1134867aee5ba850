//! The JSON of `rampart serve`'s API (`/api/v1`), written once: the server serializes these
//! types, the web app (`frontend/src/api.rs`) deserializes the same ones, and with the
//! `schema` feature the server's OpenAPI document (`/api/openapi.json`) takes their JSON
//! Schemas from them. A field renamed here is renamed for all three, and one renamed on one
//! side only does not compile.
//!
//! Every field of an answer is always written (`null` when empty; the two exceptions,
//! `Cluster::agent_setup` and the user of `SessionState`, say when they are there) and read
//! without defaults: an answer without a field is an error, never a silent zero (serde reads a missing `Option` as
//! `None`; the OpenAPI document still lists every field as required, and the contract test
//! holds the server to it). Times are RFC 3339 strings in UTC.
//!
//! Request bodies are here too, with the defaults the server reads them with (a field the
//! server may go without is an `Option`, left out when the app sends `None`).
//!
//! Every group of operations is here: `scans`, `findings`, `clusters` with the agent's
//! endpoints, `accounts` (sign-in, sessions, users and tokens), `teams`, `exemptions`,
//! `policies`, `compliance`, `reports`, `outbox`, `subscriptions`, `webhooks`, and `/healthz`
//! and `/readyz` outside `/api/v1`. The server's `http::openapi` writes by hand only the
//! error body (`{"error": "…"}`) and the names of the list answers.

pub mod accounts;
pub mod clusters;
pub mod compliance;
pub mod exemptions;
pub mod findings;
pub mod health;
pub mod outbox;
pub mod policies;
pub mod reports;
pub mod scans;
pub mod subscriptions;
pub mod teams;
pub mod webhooks;

pub use accounts::{
    AuthMethods, CreatedToken, Login, Me, NewToken, NewUser, PasswordChange, Session, SessionState, Setup, Token, User,
    UserWithTeams,
};
pub use clusters::{
    Accepted, AgentContact, AgentInstructions, AgentSetup, Cluster, ClusterInput, ClusterSummary, ConnectionTest,
    LastScan, ScanToDeliver,
};
pub use findings::{AppliedPolicy, Finding, FindingsPage, PolicyChange, PolicyVersionChange, Resource, TrendPoint};
pub use health::Health;
pub use scans::{Counts, NamespaceSummary, Scan, ScanError};
pub use teams::{Member, MemberInput, Membership, NewTeam, Team, TeamSettings, TeamSettingsInput};

/// `#[derive(..)]` of every answer and request type: JSON both ways, and a JSON Schema with `schema`.
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
