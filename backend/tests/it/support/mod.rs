//! What the integration tests share.

#[macro_use]
pub mod databases;

pub mod app;
pub mod fake_kube;
pub mod oidc_provider;
pub mod smtp;
pub mod webhook_receiver;

use std::path::{Path, PathBuf};

/// `playwright/`, where `cargo xtask test` installs the npm tools some tests run.
pub fn playwright_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("playwright")
}

/// Fails the test, saying how to install it, when the npm package `package` (such as
/// `@microsoft/sarif-multitool`) is not installed in `playwright/`; `what` names it.
pub fn require_npm_package(package: &str, what: &str) {
    let tool = package.split('/').fold(playwright_dir().join("node_modules"), |path, part| path.join(part));
    assert!(
        tool.is_dir(),
        "{what} is not installed ({} is missing); run `cargo xtask test`, which installs it \
         (or `npm install` in playwright/)",
        tool.display()
    );
}
