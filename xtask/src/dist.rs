//! `cargo xtask dist`: the web app as static files in `frontend/dist/`.
//!
//! 1. Three WebAssembly modules, each in a cargo run of its own (`--target
//!    wasm32-unknown-unknown --profile wasm-release`: size-optimised, see
//!    `[profile.wasm-release]` in the workspace manifest; with `--cfg erase_components`,
//!    which makes Leptos' views smaller):
//!    - `rampart-web` with its feature `playground` only: the playground's module
//!      (`rampart_web`), what a first visit to `/` downloads;
//!    - `rampart-web` with its feature `dashboard` only: the dashboard's module
//!      (`rampart_web_dashboard`: login, clusters, reports, settings, the cluster setup
//!      guides), loaded on the dashboard's paths instead (`boot.js` picks by path);
//!    - `rampart-web-policy`, the policy module (the CEL interpreter and the policy
//!      evaluator) either page fetches only once it holds a custom policy. Its own run, so
//!      that the others' `rampart-core` is built without the `cel` feature it turns on
//!      (features are unified within one run);
//! 2. wasm-bindgen's glue for each, made by the `wasm-bindgen` CLI at exactly the version
//!    of the `wasm-bindgen` crate in `Cargo.lock` (the two must match, or the glue and the
//!    module disagree); the CLI is installed from crates.io with `cargo install` when
//!    missing;
//! 3. `wasm-opt -Oz` from Binaryen, always: the npm package `binaryen` in
//!    `playwright/node_modules`, else a `wasm-opt` on `PATH`, else the same npm package at
//!    the version `playwright/package-lock.json` locks, installed with npm into
//!    `target/xtask-npm/` (so `cargo xtask serve` on a fresh checkout serves the same
//!    optimised bytes as the tests and the image);
//! 4. `frontend/static/` (index.html, style.css, boot.js) copied beside them;
//! 5. the size budget: what a first visit to each page downloads (the static files and that
//!    page's module, each file compressed with `gzip -9` as a server would send it) must
//!    stay within [`FIRST_LOAD_BUDGET`] bytes, or the build fails naming the figure and
//!    what to do.
//!
//! Everything comes from crates.io, npm or the system: nothing else is downloaded. The
//! output works from any static file server.

use std::fs;
use std::path::{Path, PathBuf};

use crate::prerequisites::{Installer, Need};
use crate::shell::{self, cargo, repo_root, run};

/// The web app's crate, built once per page module.
const CRATE: &str = "rampart-web";
/// The policy module: fetched by the page only once it holds a custom policy.
const POLICY_CRATE: &str = "rampart-web-policy";

/// One WebAssembly module of `frontend/dist/`.
struct Module {
    /// Its files' stem: `rampart_web` gives `rampart_web.js` and `rampart_web_bg.wasm`.
    stem: &'static str,
    krate: &'static str,
    /// The crate's features for this module (none: the crate's defaults).
    features: Option<&'static str>,
    /// The page whose first load it is (`None`: fetched on demand by either page).
    page: Option<&'static str>,
}

const MODULES: [Module; 3] = [
    Module { stem: "rampart_web", krate: CRATE, features: Some("playground"), page: Some("the playground (/)") },
    Module {
        stem: "rampart_web_dashboard",
        krate: CRATE,
        features: Some("dashboard"),
        page: Some("the dashboard (/login, /clusters, …)"),
    },
    Module { stem: "rampart_web_policy", krate: POLICY_CRATE, features: None, page: None },
];

/// What a first visit to a page may download at most, gzipped: 800 KB. A build over it
/// fails, naming the page, the figure and what to do.
pub const FIRST_LOAD_BUDGET: u64 = 800_000;
/// The Binaryen release wasm-opt is installed from when it is missing, unless
/// `playwright/package-lock.json` locks another.
const BINARYEN_FALLBACK_VERSION: &str = "132.0.0";
const PROFILE: &str = "wasm-release";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Flags for the wasm32 build only (the host's builds keep theirs).
const RUSTFLAGS_VARIABLE: &str = "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS";

pub fn run_dist() -> Result<(), String> {
    Installer::detect().ensure_all(&[Need::WasmTarget])?;
    let root = repo_root();
    let version = locked_version(&root.join("Cargo.lock"), "wasm-bindgen")?;
    let wasm_bindgen = ensure_wasm_bindgen(&version)?;
    let wasm_opt = ensure_wasm_opt(&root)?;

    let dist = root.join("frontend/dist");
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|error| format!("could not empty {}: {error}", dist.display()))?;
    }
    // Module by module: the two builds of rampart-web write the same file in target/.
    for module in &MODULES {
        build_module(module)?;
        let built =
            target_dir(&root).join(WASM_TARGET).join(PROFILE).join(format!("{}.wasm", module.krate.replace('-', "_")));
        let mut bindgen = shell::program(&wasm_bindgen.to_string_lossy(), ["--target", "web", "--no-typescript"]);
        bindgen.arg("--out-name").arg(module.stem).arg("--out-dir").arg(&dist).arg(&built);
        run(&mut bindgen)?;
        let output = dist.join(format!("{}_bg.wasm", module.stem));
        let mut command = shell::program(&wasm_opt.to_string_lossy(), ["-Oz"]);
        command.arg("--enable-bulk-memory").arg("--enable-nontrapping-float-to-int");
        command.arg("--enable-sign-ext").arg("--enable-mutable-globals").arg("--enable-reference-types");
        command.arg(&output).arg("-o").arg(&output);
        run(&mut command)?;
    }

    let statics = root.join("frontend/static");
    let entries = fs::read_dir(&statics).map_err(|error| format!("could not read {}: {error}", statics.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let to = dist.join(entry.file_name());
        fs::copy(entry.path(), &to).map_err(|error| format!("could not copy to {}: {error}", to.display()))?;
    }

    let mut files: Vec<(String, u64, u64)> = Vec::new();
    for entry in fs::read_dir(&dist).map_err(|error| format!("could not list {}: {error}", dist.display()))? {
        let path = entry.map_err(|error| format!("could not list {}: {error}", dist.display()))?.path();
        if path.is_file() {
            let bytes =
                fs::metadata(&path).map_err(|error| format!("could not read {}: {error}", path.display()))?.len();
            let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
            files.push((name, bytes, gzipped_size(&path)?));
        }
    }
    files.sort();
    eprintln!("frontend/dist/ (wasm-bindgen {version}):");
    for (name, bytes, gzipped) in &files {
        eprintln!("  {name:<30} {:>9.1} KB  ({:>7.1} KB gzipped)", *bytes as f64 / 1024.0, *gzipped as f64 / 1024.0);
    }
    let gzipped: Vec<(&str, u64)> = files.iter().map(|(name, _, gzipped)| (name.as_str(), *gzipped)).collect();
    let mut errors = Vec::new();
    for module in MODULES.iter().filter(|module| module.page.is_some()) {
        let page = module.page.unwrap_or_default();
        let first_load = first_load(&gzipped, module.stem);
        eprintln!("first load of {page}: {first_load} bytes gzipped (budget {FIRST_LOAD_BUDGET})");
        errors.extend(check_budget(page, first_load).err());
    }
    let on_demand: u64 =
        MODULES.iter().filter(|module| module.page.is_none()).map(|module| module_size(&gzipped, module.stem)).sum();
    eprintln!("the policy module, fetched once a policy is present: {on_demand} bytes gzipped more");
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    eprintln!("serve it with any static file server, e.g. `python3 -m http.server -d frontend/dist`");
    Ok(())
}

/// One module's WebAssembly, in a cargo run of its own.
fn build_module(module: &Module) -> Result<(), String> {
    let mut build = cargo(["build", "-p", module.krate, "--target", WASM_TARGET, "--profile", PROFILE, "--locked"]);
    if let Some(features) = module.features {
        build.args(["--no-default-features", "--features", features]);
    }
    // Leptos' `erase_components` type-erases views and reactive closures: one generic
    // instance per output type instead of one per call site. The dashboard's many views
    // made the module 12 % larger without it (643 KB gzipped instead of 566 KB); the
    // playground's edit → results time did not change measurably. Every module gets the
    // same flags, so the crates they share are built once.
    if std::env::var_os(RUSTFLAGS_VARIABLE).is_none() {
        build.env(RUSTFLAGS_VARIABLE, "--cfg erase_components");
    }
    run(&mut build)
}

/// The gzipped bytes of a module's glue and WebAssembly.
fn module_size(files: &[(&str, u64)], stem: &str) -> u64 {
    let own = [format!("{stem}.js"), format!("{stem}_bg.wasm")];
    files.iter().filter(|(name, _)| own.iter().any(|own| own == name)).map(|(_, gzipped)| gzipped).sum()
}

/// What a first visit to the page of module `stem` downloads, gzipped: the files that are
/// no module's (index.html, style.css, boot.js) and that module's.
fn first_load(files: &[(&str, u64)], stem: &str) -> u64 {
    let static_file = |name: &str| {
        !MODULES
            .iter()
            .any(|module| name == format!("{}.js", module.stem) || name == format!("{}_bg.wasm", module.stem))
    };
    files.iter().filter(|(name, _)| static_file(name)).map(|(_, gzipped)| gzipped).sum::<u64>()
        + module_size(files, stem)
}

fn check_budget(page: &str, first_load: u64) -> Result<(), String> {
    if first_load > FIRST_LOAD_BUDGET {
        return Err(format!(
            "the first load of {page} is {first_load} bytes gzipped, over its budget of {FIRST_LOAD_BUDGET} bytes \
             by {} bytes: make that page's module smaller (`twiggy top` on its WebAssembly before wasm-opt shows \
             what is large), or move what a first visit does not need out of it: into a module fetched on demand \
             (as the policy module is), or into a static file the page fetches when it needs it",
            first_load - FIRST_LOAD_BUDGET
        ));
    }
    Ok(())
}

/// The size of a file compressed with `gzip -9`, as a server compressing it would send it.
fn gzipped_size(path: &Path) -> Result<u64, String> {
    let output = shell::program("gzip", ["-9", "-c"])
        .arg(path)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|error| format!("could not run gzip (needed to measure the web app's size): {error}"))?;
    if !output.status.success() {
        return Err(format!("gzip -9 -c {} failed", path.display()));
    }
    Ok(output.stdout.len() as u64)
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

/// Binaryen's `wasm-opt`: the npm package's in `playwright/node_modules`, else one on
/// `PATH`, else the npm package installed into `target/xtask-npm/` (at the version
/// `playwright/package-lock.json` locks) with npm. Without npm, the build stops and says
/// how to get either.
fn ensure_wasm_opt(root: &Path) -> Result<PathBuf, String> {
    let from_playwright = root.join("playwright/node_modules/.bin/wasm-opt");
    let local = target_dir(root).join("xtask-npm");
    let from_local = local.join("node_modules/.bin/wasm-opt");
    for candidate in [Some(from_playwright), shell::which("wasm-opt"), Some(from_local.clone())].into_iter().flatten() {
        if candidate.exists() {
            eprintln!("wasm-opt: {}", candidate.display());
            return Ok(candidate);
        }
    }
    let version = binaryen_version(&root.join("playwright/package-lock.json"));
    if !shell::have("npm") {
        return Err(format!(
            "wasm-opt (Binaryen) is needed to optimise the web app and npm is not installed to fetch it: install \
             Node.js with npm (Debian: `sudo apt-get install nodejs npm`), or Binaryen {version} itself \
             (https://github.com/WebAssembly/binaryen/releases) with wasm-opt on PATH"
        ));
    }
    eprintln!("wasm-opt is not installed; installing the npm package binaryen@{version} into {}", local.display());
    fs::create_dir_all(&local).map_err(|error| format!("could not create {}: {error}", local.display()))?;
    let mut install = shell::program("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock"]);
    install.arg("--prefix").arg(&local).arg(format!("binaryen@{version}"));
    run(&mut install)?;
    if from_local.exists() {
        Ok(from_local)
    } else {
        Err(format!("npm installed binaryen@{version}, but {} does not exist", from_local.display()))
    }
}

/// The Binaryen version `playwright/package-lock.json` locks (the one the tests use).
fn binaryen_version(lock: &Path) -> String {
    fs::read_to_string(lock)
        .ok()
        .and_then(|text| npm_locked_version(&text, "binaryen"))
        .unwrap_or_else(|| BINARYEN_FALLBACK_VERSION.to_string())
}

/// `"node_modules/NAME": { "version": "X", … }` in an npm lock file (version 2 or 3).
fn npm_locked_version(lock: &str, package: &str) -> Option<String> {
    let key = format!("\"node_modules/{package}\"");
    let after = &lock[lock.find(&key)? + key.len()..];
    let after = &after[after.find("\"version\"")? + "\"version\"".len()..];
    let start = after.find('"')? + 1;
    let end = start + after[start..].find('"')?;
    let version = &after[start..end];
    version.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-').then(|| version.to_string())
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
    fn binaryen_versions_are_read_from_the_npm_lock_file() {
        let lock = r#"{"packages": {"node_modules/binaryen-x": {"version": "1.0.0"}, "node_modules/binaryen": {
            "version": "132.0.0", "dev": true}}}"#;
        assert_eq!(npm_locked_version(lock, "binaryen").as_deref(), Some("132.0.0"));
        assert_eq!(npm_locked_version(lock, "playwright"), None);
        assert_eq!(npm_locked_version(r#""node_modules/binaryen": {"version": "1; rm -rf /"}"#, "binaryen"), None);
        assert_eq!(binaryen_version(&repo_root().join("playwright/package-lock.json")), BINARYEN_FALLBACK_VERSION);
    }

    #[test]
    fn a_first_load_counts_the_static_files_and_its_pages_module_only() {
        let files = [
            ("index.html", 1),
            ("style.css", 10),
            ("boot.js", 100),
            ("rampart_web.js", 1_000),
            ("rampart_web_bg.wasm", 10_000),
            ("rampart_web_dashboard.js", 100_000),
            ("rampart_web_dashboard_bg.wasm", 1_000_000),
            ("rampart_web_policy.js", 10_000_000),
            ("rampart_web_policy_bg.wasm", 100_000_000),
        ];
        assert_eq!(first_load(&files, "rampart_web"), 11_111);
        assert_eq!(first_load(&files, "rampart_web_dashboard"), 1_100_111);
        assert_eq!(module_size(&files, "rampart_web_policy"), 110_000_000);
    }

    #[test]
    fn a_first_load_over_the_budget_fails_naming_the_page_the_figure_and_what_to_do() {
        assert!(check_budget("the playground", FIRST_LOAD_BUDGET).is_ok());
        let error = check_budget("the playground", 808_700).unwrap_err();
        assert!(error.contains("the playground is 808700 bytes gzipped") && error.contains("by 8700 bytes"), "{error}");
        assert!(error.contains("module fetched on demand"), "{error}");
    }

    #[test]
    fn the_workspace_locks_wasm_bindgen() {
        assert!(locked_version(&repo_root().join("Cargo.lock"), "wasm-bindgen").is_ok());
    }
}
