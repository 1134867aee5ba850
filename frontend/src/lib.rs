//! Rampart's web app: the browser playground, with `rampart-core` compiled to WebAssembly.
//!
//! A person pastes, types or drops Kubernetes manifests and sees findings on their lines as
//! they type, with scores, Pod Security levels, remediations and each rule's documentation.
//! The engine runs in the page: manifests never leave the machine (share links carry them
//! in the URL fragment, which browsers never send). Later routes (the team dashboard,
//! clusters, reports, settings) join the playground when `rampart serve` exists.
//!
//! Layout: [`app`] mounts the page; [`pages`] holds one module per route, [`components`] the
//! pieces they are built from. The logic that needs no browser lives in plain modules with
//! native tests: [`analysis`] (filters, grouping, gutter marks), [`share`] (the link codec),
//! [`settings`], [`lines`] (line ↔ textarea offsets), [`markdown`] (rule docs),
//! [`fixes`] and [`diff`] (the fixed manifest and its diff), and [`examples`]. [`browser`] wraps the browser services used (storage, downloads, files).
//!
//! The crate builds for the host too, so `cargo clippy --workspace` and `cargo test
//! --workspace` check it with everything else; only the WebAssembly entry point is
//! limited to `wasm32`.

pub mod analysis;
pub mod app;
pub mod browser;
pub mod components;
pub mod diff;
pub mod examples;
pub mod fixes;
pub mod lines;
pub mod markdown;
pub mod pages;
pub mod settings;
pub mod share;

/// The WebAssembly entry point: runs when `cargo xtask dist`'s glue loads the module.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
