//! Rampart's rule engine: Kubernetes objects in, findings, passes and scores out.
//!
//! Pure by design: no I/O, no clock, no threads, so the same code runs natively and in the
//! browser as WebAssembly. The flow: [`parse`] reads sources into positioned trees,
//! [`object`] turns documents into Kubernetes objects, [`engine`] runs every rule of
//! [`rules`] over them and derives scores ([`score`]) and Pod Security levels ([`pss`]).

pub mod compliance;
pub mod config;
pub mod diff;
pub mod engine;
mod fastparse;
pub mod fix;
pub mod index;
pub mod object;
pub mod parse;
pub mod policy;
pub mod pss;
pub mod report;
pub mod rules;
pub mod score;
pub mod selector;
pub mod tree;

pub use config::Config;
pub use engine::{check, Exemption, Finding, ObjectReport, Options, Report};
pub use fix::{Fix, Safety};
pub use parse::{Limits, ParseError, Source};
pub use rules::{Rule, Severity, RULES};
