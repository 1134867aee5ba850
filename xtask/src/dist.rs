//! `cargo xtask dist`: the web app as static files in `frontend/dist/`.
//!
//! 1. `cargo build -p rampart-web --target wasm32-unknown-unknown --profile wasm-release`
//!    (size-optimised: see `[profile.wasm-release]` in the workspace manifest; with
//!    `--cfg erase_components`, which makes Leptos' views smaller);
//! 2. wasm-bindgen's glue, made by the `wasm-bindgen` CLI at exactly the version of the
//!    `wasm-bindgen` crate in `Cargo.lock` (the two must match, or the glue and the module
//!    disagree); the CLI is installed from crates.io with `cargo install` when missing;
//! 3. `wasm-opt -Oz` when Binaryen is available (the npm package `binaryen` in
//!    `playwright/node_modules`, or a `wasm-opt` on `PATH`): optional, it shaves a further
//!    share of the module;
//! 4. `frontend/static/` (index.html, style.css, boot.js) copied beside them.
//!
//! Everything comes from crates.io, npm or the system: nothing else is downloaded. The
//! output works from any static file server.

use std::fs;
use std::path::{Path, PathBuf};

use crate::prerequisites::{Installer, Need};
use crate::shell::{self, cargo, repo_root, run};

const CRATE: &str = "rampart-web";
const PROFILE: &str = "wasm-release";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Flags for the wasm32 build only (the host's builds keep theirs).
const RUSTFLAGS_VARIABLE: &str = "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS";

pub fn run_dist() -> Result<(), String> {
    Installer::detect().ensure_all(&[Need::WasmTarget])?;
    let root = repo_root();
    let version = locked_version(&root.join("Cargo.lock"), "wasm-bindgen")?;
    let mut build = cargo(["build", "-p", CRATE, "--target", WASM_TARGET, "--profile", PROFILE, "--locked"]);
    // Leptos' `erase_components` type-erases views and reactive closures: one generic
    // instance per output type instead of one per call site. The dashboard's many views
    // made the module 12 % larger without it (643 KB gzipped instead of 566 KB); the
    // playground's edit → results time did not change measurably.
    if std::env::var_os(RUSTFLAGS_VARIABLE).is_none() {
        build.env(RUSTFLAGS_VARIABLE, "--cfg erase_components");
    }
    run(&mut build)?;
    let wasm_bindgen = ensure_wasm_bindgen(&version)?;

    let dist = root.join("frontend/dist");
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|error| format!("could not empty {}: {error}", dist.display()))?;
    }
    let module = target_dir(&root).join(WASM_TARGET).join(PROFILE).join("rampart_web.wasm");
    let mut bindgen = shell::program(&wasm_bindgen.to_string_lossy(), ["--target", "web", "--no-typescript"]);
    bindgen.arg("--out-dir").arg(&dist).arg(&module);
    run(&mut bindgen)?;

    let output = dist.join("rampart_web_bg.wasm");
    match wasm_opt(&root) {
        Some(mut command) => {
            command.arg("-Oz").arg("--enable-bulk-memory").arg("--enable-nontrapping-float-to-int");
            command.arg("--enable-sign-ext").arg("--enable-mutable-globals").arg("--enable-reference-types");
            command.arg(&output).arg("-o").arg(&output);
            run(&mut command)?;
        }
        None => eprintln!("(wasm-opt not found: the module is left as wasm-bindgen wrote it)"),
    }

    let statics = root.join("frontend/static");
    let entries = fs::read_dir(&statics).map_err(|error| format!("could not read {}: {error}", statics.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let to = dist.join(entry.file_name());
        fs::copy(entry.path(), &to).map_err(|error| format!("could not copy to {}: {error}", to.display()))?;
    }

    let mut files: Vec<(String, u64)> = fs::read_dir(&dist)
        .map_err(|error| format!("could not list {}: {error}", dist.display()))?
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.file_name().to_string_lossy().into_owned(), entry.metadata().ok()?.len())))
        .collect();
    files.sort();
    eprintln!("frontend/dist/ (wasm-bindgen {version}):");
    for (name, bytes) in &files {
        eprintln!("  {name:<24} {:>9.1} KB", *bytes as f64 / 1024.0);
    }
    eprintln!("serve it with any static file server, e.g. `python3 -m http.server -d frontend/dist`");
    Ok(())
}

/// The version of a package in `Cargo.lock` (the first one, when several are locked).
pub fn locked_version(lock: &Path, package: &str) -> Result<String, String> {
    let text = fs::read_to_string(lock).map_err(|error| format!("could not read {}: {error}", lock.display()))?;
    version_in_lock(&text, package).ok_or_else(|| {
        format!("{} does not lock the `{package}` crate; is rampart-web a workspace member?", lock.display())
    })
}

fn version_in_lock(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(version.to_string());
        }
    }
    None
}

/// A `wasm-bindgen` executable of exactly `version`: one on `PATH` or in cargo's bin
/// directory, else installed with `cargo install`.
fn ensure_wasm_bindgen(version: &str) -> Result<PathBuf, String> {
    let cargo_bin = cargo_home().join("bin").join("wasm-bindgen");
    let candidates = [shell::which("wasm-bindgen"), Some(cargo_bin.clone())];
    for candidate in candidates.into_iter().flatten() {
        if cli_version(&candidate).as_deref() == Some(version) {
            eprintln!("wasm-bindgen {version}: {}", candidate.display());
            return Ok(candidate);
        }
    }
    eprintln!("wasm-bindgen CLI {version} (the version in Cargo.lock) is not installed; installing it from crates.io");
    let install = |locked: bool| {
        let mut command = cargo(["install", "wasm-bindgen-cli", "--version", version, "--force"]);
        if locked {
            command.arg("--locked");
        }
        run(&mut command)
    };
    // The CLI's own lock file first; should the registry lack a version it pins (a yanked
    // or not yet mirrored crate), let cargo resolve within the CLI's declared ranges.
    if install(true).is_err() {
        eprintln!("(`cargo install --locked` failed; trying again with the newest compatible dependencies)");
        install(false)?;
    }
    match cli_version(&cargo_bin) {
        Some(installed) if installed == version => Ok(cargo_bin),
        other => Err(format!(
            "cargo installed wasm-bindgen-cli, but {} reports version {:?}, not {version}",
            cargo_bin.display(),
            other
        )),
    }
}

/// `wasm-bindgen 0.2.130` → `0.2.130`.
fn cli_version(executable: &Path) -> Option<String> {
    let output = shell::output(&mut shell::program(&executable.to_string_lossy(), ["--version"]))?;
    output.split_whitespace().nth(1).map(str::to_string)
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".cargo"))
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

/// Binaryen's `wasm-opt`: the npm package's in `playwright/node_modules`, or one on `PATH`.
fn wasm_opt(root: &Path) -> Option<std::process::Command> {
    let from_npm = root.join("playwright/node_modules/.bin/wasm-opt");
    if from_npm.exists() {
        return Some(shell::program(&from_npm.to_string_lossy(), std::iter::empty::<&str>()));
    }
    shell::which("wasm-opt").map(|path| shell::program(&path.to_string_lossy(), std::iter::empty::<&str>()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_the_lock_file() {
        let lock = "[[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(version_in_lock(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(version_in_lock(lock, "leptos"), None);
    }

    #[test]
    fn the_workspace_locks_wasm_bindgen() {
        assert!(locked_version(&repo_root().join("Cargo.lock"), "wasm-bindgen").is_ok());
    }
}
