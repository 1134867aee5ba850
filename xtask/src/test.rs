//! `cargo xtask test`: the one test command, for people and for CI (`.ci/run`).
//!
//! A fixed list of steps, each declaring what it needs installed. The first step ensures
//! the union of those needs; the others run in order and the first failure stops the run,
//! naming the step. Every step is timed and a summary closes the run, so a slow or broken
//! step is obvious in a CI log (which has no terminal: nothing here prompts or assumes
//! one).
//!
//! A suite adds itself to [`steps`] with its needs, as the Playwright suite does with
//! `needs: &[Need::NpmPackages, Need::Chromium]` (after `cargo xtask dist` has built the
//! page it tests), and as the tests step does with `Need::Postgres` for the server's store
//! tests.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::dist;
use crate::prerequisites::{Installer, Need};
use crate::shell::{self, cargo, repo_root, run};

struct Step {
    name: &'static str,
    needs: &'static [Need],
    run: fn() -> Result<(), String>,
}

fn steps() -> Vec<Step> {
    vec![
        Step { name: "prerequisites", needs: &[], run: prerequisites },
        // Seconds, and a back-edge is a design question better met before a long build.
        Step { name: "layers", needs: &[], run: || crate::layers::run(&repo_root()) },
        Step { name: "rustfmt", needs: &[Need::Rustfmt], run: || run(&mut cargo(["fmt", "--all", "--", "--check"])) },
        Step {
            name: "clippy",
            needs: &[Need::Clippy],
            run: || run(&mut cargo(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])),
        },
        Step {
            name: "wasm32 build of rampart-core",
            needs: &[Need::WasmTarget],
            run: || run(&mut cargo(["build", "-p", "rampart-core", "--target", "wasm32-unknown-unknown"])),
        },
        // clippy above checks the web app as built for the host; its WebAssembly entry
        // point (and anything else behind cfg(target_arch = "wasm32")) is checked here,
        // with the policy module's, and so is each of the app's two modules as `dist`
        // builds it (one feature each: what only the other uses must not be left behind).
        Step {
            name: "clippy of rampart-web for wasm32",
            needs: &[Need::Clippy, Need::WasmTarget],
            run: || {
                let wasm32 = ["--target", "wasm32-unknown-unknown"];
                let deny = ["--", "-D", "warnings"];
                run(cargo(["clippy", "-p", "rampart-web", "-p", "rampart-web-policy"]).args(wasm32).args(deny))?;
                for module in ["playground", "dashboard"] {
                    let mut clippy =
                        cargo(["clippy", "-p", "rampart-web", "--no-default-features", "--features", module]);
                    run(clippy.args(wasm32).args(deny))?;
                }
                Ok(())
            },
        },
        // The SARIF output is validated with the SARIF Multitool from playwright/, and the
        // server's answers against its OpenAPI document with the validator and Ajv from
        // there too; the server's store tests run against PostgreSQL as well as SQLite.
        Step { name: "tests", needs: &[Need::NpmPackages, Need::Postgres, Need::Kubectl], run: run_tests },
        // Every committed fuzz corpus and regression input, through the fuzz targets'
        // functions in an ordinary test (no fuzzer build; `cargo xtask fuzz` fuzzes).
        Step {
            name: "fuzz corpora replay",
            needs: &[],
            run: || run(&mut cargo(["test", "-p", "rampart", "--test", "it", "fuzz_corpus::"])),
        },
        // The web app as it ships (wasm-opt comes from the npm package binaryen).
        Step {
            name: "web app build (cargo xtask dist)",
            needs: &[Need::WasmTarget, Need::NpmPackages],
            run: dist::run_dist,
        },
        Step {
            name: "end-to-end tests (Playwright)",
            needs: &[Need::NpmPackages, Need::Chromium, Need::Sqlite3],
            run: run_playwright,
        },
    ]
}

/// Installs (or names) whatever the other steps need.
fn prerequisites() -> Result<(), String> {
    let needs: Vec<Need> = steps().iter().flat_map(|step| step.needs.iter().copied()).collect();
    Installer::detect().ensure_all(&needs)
}

/// Every test suite of the workspace: nextest when it is installed (faster, clearer
/// failures), then the doc tests, which nextest does not run; plain `cargo test` otherwise.
/// The server's tests get the PostgreSQL server the prerequisites step ensured.
fn run_tests() -> Result<(), String> {
    let postgres = postgres_test_url();
    eprintln!("postgresql for the store tests: {POSTGRES_TEST_VARIABLE}={}", redact(&postgres));
    let nextest = shell::output(&mut cargo(["nextest", "--version"])).is_some();
    if nextest {
        // The fuzz corpora are replayed by a step of their own.
        run(cargo(["nextest", "run", "--workspace", "-E", "not test(/^fuzz_corpus::/)"])
            .env(POSTGRES_TEST_VARIABLE, &postgres))?;
        run(&mut cargo(["test", "--workspace", "--doc"]))
    } else {
        eprintln!("(cargo-nextest is not installed; using cargo test)");
        run(cargo(["test", "--workspace"]).env(POSTGRES_TEST_VARIABLE, &postgres))
    }
}

/// What the server's tests read to reach PostgreSQL (they create and drop a database of
/// their own per test, so the user needs CREATEDB).
const POSTGRES_TEST_VARIABLE: &str = "RAMPART_TEST_POSTGRES_URL";

/// The variable as already set, else the `DATABASE_URL` the prerequisites step accepted,
/// else the local server as the prerequisites step finds it (trust authentication on
/// 127.0.0.1, as Debian's packages set up for the tests' machines).
fn postgres_test_url() -> String {
    if let Ok(url) = std::env::var(POSTGRES_TEST_VARIABLE) {
        return url;
    }
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => "postgres://postgres@127.0.0.1:5432/postgres".to_string(),
    }
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| Some((scheme, rest.rsplit_once('@')?))) {
        Some((scheme, (credentials, host))) => {
            let user = credentials.split_once(':').map_or(credentials, |(user, _)| user);
            let hidden = if credentials.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}")
        }
        None => url.to_string(),
    }
}

/// The Playwright suite of `playwright/` against `frontend/dist/`, in the Chromium the
/// prerequisites step found or installed (passed on as `RAMPART_CHROMIUM`). The dashboard's
/// tests start the real server, `target/debug/rampart`, so it is built first.
fn run_playwright() -> Result<(), String> {
    run(&mut cargo(["build", "-p", "rampart"]))?;
    let chromium = Installer::detect().ensure_chromium()?;
    let directory = repo_root().join("playwright");
    let runner = directory.join("node_modules/.bin/playwright");
    let mut command = shell::program(&runner.to_string_lossy(), ["test"]);
    command.current_dir(&directory).env("RAMPART_CHROMIUM", chromium).env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    run(&mut command)
}

enum Status {
    Passed,
    Failed,
    NotRun,
}

pub fn run_all() -> ExitCode {
    let steps = steps();
    let started = Instant::now();
    let total = steps.len();
    let mut results: Vec<(&str, Status, Duration)> = Vec::new();
    let mut failure = None;
    for (position, step) in steps.iter().enumerate() {
        let name = step.name;
        if failure.is_some() {
            results.push((name, Status::NotRun, Duration::ZERO));
            continue;
        }
        eprintln!("\n==> [{}/{total}] {name}", position + 1);
        let step_started = Instant::now();
        let outcome = (step.run)();
        let elapsed = step_started.elapsed();
        match outcome {
            Ok(()) => {
                eprintln!("<== {name}: passed in {}", duration(elapsed));
                results.push((name, Status::Passed, elapsed));
            }
            Err(message) => {
                eprintln!("<== {name}: FAILED in {}", duration(elapsed));
                results.push((name, Status::Failed, elapsed));
                failure = Some((name, message));
            }
        }
    }

    eprintln!("\n==> summary");
    let width = results.iter().map(|(name, ..)| name.len()).max().unwrap_or(0);
    for (name, status, elapsed) in &results {
        let (label, time) = match status {
            Status::Passed => ("ok  ", duration(*elapsed)),
            Status::Failed => ("FAIL", duration(*elapsed)),
            Status::NotRun => ("    ", "not run".to_string()),
        };
        eprintln!("  {label}  {name:<width$}  {time:>8}");
    }
    eprintln!("  total {}", duration(started.elapsed()));
    match failure {
        None => {
            eprintln!("\nall steps passed");
            ExitCode::SUCCESS
        }
        Some((name, message)) => {
            eprintln!("\nerror: step '{name}' failed: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `0.8s`, `42.0s`, `3m 07s`.
fn duration(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let whole = elapsed.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(Duration::from_millis(800)), "0.8s");
        assert_eq!(duration(Duration::from_secs(187)), "3m 07s");
    }

    #[test]
    fn database_passwords_stay_out_of_the_log() {
        assert_eq!(redact("postgres://app:secret@db/rampart"), "postgres://app:***@db/rampart");
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
    }

    #[test]
    fn every_step_has_a_distinct_name() {
        let steps = steps();
        let mut names: Vec<&str> = steps.iter().map(|step| step.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), steps.len());
    }
}
