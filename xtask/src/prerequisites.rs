//! What the test steps need installed, and how to get it.
//!
//! Each step of `cargo xtask test` declares its [`Need`]s; the prerequisites step ensures
//! the union of them before anything runs. On Debian as root a missing piece is installed
//! (rustup, npm and apt-get do the work); anywhere else the step stops and names exactly
//! what is missing and how to install it, because installing system packages behind a
//! developer's back is not ours to do.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::shell::{self, have, repo_root, run, which};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Something a step cannot run without.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// `cargo fmt`.
    Rustfmt,
    /// `cargo clippy`.
    Clippy,
    /// The standard library for `wasm32-unknown-unknown`.
    WasmTarget,
    /// Node.js, npm, and the packages of `playwright/package.json` (Playwright, the SARIF
    /// Multitool, an OpenAPI validator with Ajv, Binaryen).
    NpmPackages,
    /// A Chromium for the end-to-end tests.
    Chromium,
    /// A running PostgreSQL server for the store tests.
    Postgres,
    /// `kubectl`, whose `kubectl kustomize` renders `deploy/` for its test.
    Kubectl,
    /// The `sqlite3` shell, with which an end-to-end test writes a row as an older server
    /// could have written it (a policy source that no longer compiles).
    Sqlite3,
}

/// Installs what is missing, when it may: as root on Debian.
pub struct Installer {
    may_install_packages: bool,
    apt_updated: bool,
}

impl Installer {
    pub fn detect() -> Installer {
        Installer {
            may_install_packages: shell::is_root() && shell::is_debian() && have("apt-get"),
            apt_updated: false,
        }
    }

    /// Ensures every need, in a fixed order (Rust pieces first, they are the quickest).
    pub fn ensure_all(&mut self, needs: &[Need]) -> Result<(), String> {
        let mut needs = needs.to_vec();
        needs.sort();
        needs.dedup();
        let rust: Vec<Need> = needs
            .iter()
            .copied()
            .filter(|need| matches!(need, Need::Rustfmt | Need::Clippy | Need::WasmTarget))
            .collect();
        if !rust.is_empty() {
            ensure_rust(&rust)?;
        }
        for need in needs {
            match need {
                Need::Rustfmt | Need::Clippy | Need::WasmTarget => {}
                Need::NpmPackages => self.ensure_npm_packages()?,
                Need::Chromium => {
                    self.ensure_chromium()?;
                }
                Need::Postgres => self.ensure_postgres()?,
                Need::Kubectl => self.ensure_kubectl()?,
                Need::Sqlite3 => self.ensure_sqlite3()?,
            }
        }
        Ok(())
    }

    fn apt_install(&mut self, packages: &[&str]) -> Result<(), String> {
        if !self.apt_updated {
            run(shell::program("apt-get", ["update"]).env("DEBIAN_FRONTEND", "noninteractive"))?;
            self.apt_updated = true;
        }
        run(shell::program("apt-get", ["install", "-y"]).args(packages).env("DEBIAN_FRONTEND", "noninteractive"))
    }

    /// `kubectl` (Debian's `kubectl` package), for rendering the Kustomize bases of `deploy/`.
    pub fn ensure_kubectl(&mut self) -> Result<(), String> {
        if have("kubectl") {
            return Ok(());
        }
        if !self.may_install_packages {
            return Err(
                "kubectl is not installed: the deploy/ test renders the manifests with `kubectl kustomize`. \
                        Debian: `sudo apt-get install kubectl`; elsewhere see https://kubernetes.io/docs/tasks/tools/"
                    .to_string(),
            );
        }
        self.apt_install(&["kubectl"])
    }

    /// The `sqlite3` shell (Debian's `sqlite3` package).
    pub fn ensure_sqlite3(&mut self) -> Result<(), String> {
        if have("sqlite3") {
            return Ok(());
        }
        if !self.may_install_packages {
            return Err("sqlite3 is not installed: an end-to-end test writes a database row with it. \
                        Debian: `sudo apt-get install sqlite3`; elsewhere see https://sqlite.org/download.html"
                .to_string());
        }
        self.apt_install(&["sqlite3"])
    }

    /// Node.js and npm, then `npm ci` (or `npm install` without a lock file) in
    /// `playwright/`, only when `node_modules` is missing or older than the lock file.
    pub fn ensure_npm_packages(&mut self) -> Result<(), String> {
        let directory = repo_root().join("playwright");
        if !directory.join("package.json").exists() {
            eprintln!("npm packages: playwright/package.json does not exist; nothing to install");
            return Ok(());
        }
        let missing: Vec<&str> = ["node", "npm"].into_iter().filter(|program| !have(program)).collect();
        if !missing.is_empty() {
            if !self.may_install_packages {
                return Err(format!(
                    "{} not found: the test suites use npm packages from playwright/ (Playwright, the SARIF \
                     Multitool, the OpenAPI validator, Binaryen). Install Node.js 18 or newer with npm (Debian: `sudo apt-get install nodejs npm`; \
                     elsewhere https://nodejs.org), then run `cargo xtask test` again",
                    missing.join(" and ")
                ));
            }
            self.apt_install(&["nodejs", "npm"])?;
        }
        let lock = directory.join("package-lock.json");
        let node_modules = directory.join("node_modules");
        let installed_at = [node_modules.join(".package-lock.json"), node_modules.join(INSTALL_STAMP)]
            .iter()
            .filter_map(|path| modified(path))
            .max();
        let wanted_since =
            [directory.join("package.json"), lock.clone()].iter().filter_map(|path| modified(path)).max();
        if let (Some(installed_at), Some(wanted_since)) = (installed_at, wanted_since) {
            if installed_at >= wanted_since {
                eprintln!("npm packages: playwright/node_modules is up to date");
                return Ok(());
            }
        }
        let subcommand = if lock.exists() { "ci" } else { "install" };
        // Playwright drives the system's Chromium: its own browser downloads are never wanted.
        run(shell::program("npm", [subcommand, "--no-audit", "--no-fund"])
            .current_dir(&directory)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))?;
        // npm's own marker (node_modules/.package-lock.json) can be written before the
        // lock file; our stamp, written last, keeps the next run from reinstalling.
        fs::write(node_modules.join(INSTALL_STAMP), "installed by `cargo xtask test`\n")
            .map_err(|error| format!("could not write playwright/node_modules/{INSTALL_STAMP}: {error}"))?;
        Ok(())
    }

    /// A Chromium binary for the end-to-end tests: `RAMPART_CHROMIUM`, or one on `PATH`,
    /// or Debian's `chromium` package installed as root.
    pub fn ensure_chromium(&mut self) -> Result<PathBuf, String> {
        if let Some(path) = std::env::var_os("RAMPART_CHROMIUM").map(PathBuf::from) {
            if path.is_file() {
                eprintln!("chromium: {} (from RAMPART_CHROMIUM)", path.display());
                return Ok(path);
            }
            return Err(format!("RAMPART_CHROMIUM is set to {}, which is not a file", path.display()));
        }
        let find = || CHROMIUM_NAMES.iter().find_map(|name| which(name));
        if let Some(path) = find() {
            eprintln!("chromium: {}", path.display());
            return Ok(path);
        }
        if !self.may_install_packages {
            return Err("Chromium not found: the end-to-end tests drive a real Chromium. Install it (Debian: \
                        `sudo apt-get install chromium`; elsewhere your system's chromium or Google Chrome), or set \
                        RAMPART_CHROMIUM to the browser's executable, then run `cargo xtask test` again"
                .to_string());
        }
        self.apt_install(&["chromium"])?;
        find().ok_or_else(|| "apt-get installed chromium, but no chromium executable is on PATH".to_string())
    }

    /// A PostgreSQL server accepting connections: the one `RAMPART_TEST_POSTGRES_URL` or
    /// `DATABASE_URL` names, one already running locally, or Debian's `postgresql` package
    /// installed and its cluster started.
    pub fn ensure_postgres(&mut self) -> Result<(), String> {
        if std::env::var("RAMPART_TEST_POSTGRES_URL").is_ok() {
            eprintln!("postgresql: using RAMPART_TEST_POSTGRES_URL");
            return Ok(());
        }
        if std::env::var("DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
            eprintln!("postgresql: using DATABASE_URL");
            return Ok(());
        }
        if postgres_accepting() {
            eprintln!("postgresql: a server is accepting connections");
            return Ok(());
        }
        if !self.may_install_packages {
            let installed = newest_postgres_version().is_some();
            let what = if installed { "installed but not running" } else { "not installed" };
            return Err(format!(
                "PostgreSQL is {what}: the store tests need a server. Debian: `sudo apt-get install postgresql` then \
                 `sudo pg_ctlcluster <version> main start`; elsewhere install and start PostgreSQL 13 or newer. Or \
                 set DATABASE_URL=postgres://user:password@host/database to use a server you already have"
            ));
        }
        if newest_postgres_version().is_none() {
            self.apt_install(&["postgresql"])?;
        }
        let version = newest_postgres_version()
            .ok_or_else(|| "apt-get installed postgresql, but /usr/lib/postgresql holds no server".to_string())?;
        // Without the redirect pg_ctlcluster hands over to systemctl, which containers and CI
        // machines do not run.
        run(&mut shell::program("pg_ctlcluster", ["--skip-systemctl-redirect", version.as_str(), "main", "start"]))?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !postgres_accepting() {
            if Instant::now() > deadline {
                return Err(format!("PostgreSQL {version} started but accepts no connections after 30 seconds"));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        eprintln!("postgresql: {version} started");
        Ok(())
    }
}

/// Marker written into `node_modules` after a successful install.
const INSTALL_STAMP: &str = ".xtask-installed";

const CHROMIUM_NAMES: [&str; 4] = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|metadata| metadata.modified()).ok()
}

fn postgres_accepting() -> bool {
    have("pg_isready") && shell::output(&mut shell::program("pg_isready", ["-q"])).is_some()
}

/// The newest server version Debian's packages installed (`/usr/lib/postgresql/<version>`).
fn newest_postgres_version() -> Option<String> {
    let entries = fs::read_dir("/usr/lib/postgresql").ok()?;
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("bin/postgres").exists())
        .filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()))
        .max()
        .map(|version| version.to_string())
}

/// rustfmt, clippy and the wasm32 target: added with rustup, or, without rustup, checked
/// on the toolchain that is on `PATH`.
fn ensure_rust(needs: &[Need]) -> Result<(), String> {
    if !have("rustup") {
        return check_rust_without_rustup(needs);
    }
    if needs.contains(&Need::WasmTarget) {
        let installed = shell::output(&mut shell::program("rustup", ["target", "list", "--installed"]))
            .ok_or("`rustup target list --installed` failed")?;
        if installed.lines().any(|line| line.trim() == WASM_TARGET) {
            eprintln!("rust target {WASM_TARGET}: installed");
        } else {
            run(&mut shell::program("rustup", ["target", "add", WASM_TARGET]))?;
        }
    }
    let components = shell::output(&mut shell::program("rustup", ["component", "list", "--installed"]))
        .ok_or("`rustup component list --installed` failed")?;
    let has_component =
        |name: &str| components.lines().any(|line| line.trim() == name || line.trim().starts_with(&format!("{name}-")));
    let mut missing = Vec::new();
    for (need, component) in [(Need::Rustfmt, "rustfmt"), (Need::Clippy, "clippy")] {
        if !needs.contains(&need) {
            continue;
        }
        if has_component(component) {
            eprintln!("rust component {component}: installed");
        } else {
            missing.push(component);
        }
    }
    if !missing.is_empty() {
        run(shell::program("rustup", ["component", "add"]).args(&missing))?;
    }
    Ok(())
}

fn check_rust_without_rustup(needs: &[Need]) -> Result<(), String> {
    let mut missing = Vec::new();
    if needs.contains(&Need::Rustfmt) && shell::output(&mut shell::cargo(["fmt", "--version"])).is_none() {
        missing.push("rustfmt (`cargo fmt`)".to_string());
    }
    if needs.contains(&Need::Clippy) && shell::output(&mut shell::cargo(["clippy", "--version"])).is_none() {
        missing.push("clippy (`cargo clippy`)".to_string());
    }
    if needs.contains(&Need::WasmTarget) {
        let sysroot = shell::output(&mut shell::program("rustc", ["--print", "sysroot"])).unwrap_or_default();
        if !Path::new(sysroot.trim()).join("lib/rustlib").join(WASM_TARGET).exists() {
            missing.push(format!("the {WASM_TARGET} standard library"));
        }
    }
    if missing.is_empty() {
        eprintln!("rust: no rustup, but the toolchain on PATH has rustfmt, clippy and the {WASM_TARGET} target");
        return Ok(());
    }
    Err(format!(
        "rustup not found, and the Rust toolchain on PATH lacks {}. Install rustup (https://rustup.rs: \
         `curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh`), then run `cargo xtask test` again: \
         it adds the {WASM_TARGET} target, rustfmt and clippy itself",
        missing.join(", ")
    ))
}
