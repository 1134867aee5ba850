//! The fuzz targets' bodies: each takes the raw bytes libFuzzer hands over and feeds them
//! to one of Rampart's parsers, as the product would, and panics on any broken promise.
//! `fuzz_targets/*.rs` wrap them for libFuzzer; `backend/tests/it/fuzz_corpus.rs` replays the
//! committed corpora through them in an ordinary test.

#![forbid(unsafe_code)]

#[cfg(feature = "backend")]
pub mod backend_targets;
pub mod core_targets;
