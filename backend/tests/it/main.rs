//! The server's and the command line's integration tests, in one test binary so the crate
//! is linked once for all of them: each module here was a test file of its own, and keeps its
//! name as the first part of its tests' paths (`cargo nextest run -p rampart --test it
//! server::` runs the server's, `-E 'test(/^cli::/)'` the command line's).
//!
//! `support/` holds what they share: the server as tests run it, the databases, the fake
//! Kubernetes API server, OIDC provider, SMTP server and webhook receiver, and the npm tools.

// `support` comes first: its `on_both_backends!` is used by the modules after it.
#[macro_use]
mod support;

mod cli;
mod cli_snapshots;
mod deploy_files;
mod email;
mod fuzz_corpus;
mod password;
mod policies_server;
mod reports;
mod sarif_validate;
mod scanner;
mod scheduler;
mod serve_cmd;
mod server;
mod webhooks;
