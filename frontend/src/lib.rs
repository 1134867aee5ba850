//! Rampart's web app: the browser playground, with `rampart-core` compiled to WebAssembly,
//! and the team dashboard of `rampart serve`.
//!
//! On the playground (`/`) a person pastes, types or drops Kubernetes manifests and sees
//! findings on their lines as they type, with scores, Pod Security levels, remediations and
//! each rule's documentation. The engine runs in the page: manifests never leave the
//! machine (share links carry them in the URL fragment, which browsers never send), and
//! the playground makes no request. The dashboard (`/login`, `/clusters`, `/clusters/:id`,
//! `/settings`) shows the clusters a team registered on the server: scores, trends,
//! findings and scans, all read through [`api`].
//!
//! Layout: [`app`] mounts the page of the route ([`routes`]: a small router on the History
//! API; [`session`]: who is logged in); [`pages`] holds one module per route,
//! [`components`] the pieces they are built from. The logic that needs no browser lives in
//! plain modules with native tests: [`analysis`] (filters, grouping, gutter marks),
//! [`share`] (the link codec), [`settings`], [`lines`] (line ↔ textarea offsets),
//! [`markdown`] (rule docs), [`fixes`] and [`diff`] (the fixed manifest and its diff),
//! [`examples`], and for the dashboard [`dashboard`] (filters and sorting), [`charts`]
//! (chart geometry) and [`time`]. [`browser`] wraps the browser services used (storage,
//! timers, downloads, files).
//!
//! The crate builds for the host too, so `cargo clippy --workspace` and `cargo test
//! --workspace` check it with everything else; only the WebAssembly entry point is
//! limited to `wasm32`.

pub mod analysis;
pub mod api;
pub mod app;
pub mod browser;
pub mod charts;
pub mod components;
pub mod dashboard;
pub mod examples;
pub mod fixes;
pub mod lines;
pub mod markdown;
pub mod pages;
pub mod playground;
pub mod policies;
pub mod policy_module;
pub mod routes;
pub mod session;
pub mod settings;
pub mod share;
pub mod time;

/// The WebAssembly entry point: runs when `cargo xtask dist`'s glue loads the module.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
