//! The server half of the `rampart` crate, as a library so the binary and the black-box
//! tests (`tests/`) build the same application: [`startup`] assembles it from
//! [`startup::Settings`]; [`http`] is the API, one module per resource; [`store`] is the
//! database (SQLite or PostgreSQL); [`scan_runner`] runs scans off the request path;
//! [`scheduler`] starts scans when clusters' schedules ([`cron`]) say they are due.
//! [`mail`] queues and sends email summaries. [`agent`] is `rampart agent`, which runs
//! inside a cluster and delivers it to a server.

pub mod agent;
pub mod client_address;
pub mod clock;
pub mod cron;
pub mod http;
pub mod ingest;
pub mod limits;
pub mod mail;
pub mod oidc;
pub mod outbound;
pub mod reports;
pub mod scan_runner;
pub mod scanner;
pub mod scheduler;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod snapshot;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web_assets;
