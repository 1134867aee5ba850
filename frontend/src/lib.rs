//! Rampart's web app — a placeholder for now.
//!
//! The Leptos client-side app arrives later: the playground (paste or drop manifests and
//! see findings as you type, with `rampart-core` running in the browser as WebAssembly, so
//! manifests never leave the machine), then the team dashboard, cluster trends, reports
//! and settings, served by `rampart serve`. Until then this crate only keeps its place in
//! the workspace and its dependency on the engine.
