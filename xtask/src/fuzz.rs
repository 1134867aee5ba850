//! `cargo xtask fuzz`: coverage-guided fuzzing of the parsers that read untrusted bytes,
//! with cargo-fuzz (libFuzzer) on the stable toolchain.
//!
//! The targets are the `[[bin]]`s of `fuzz/` (outside the workspace); their bodies live in
//! `fuzz/src/`, which `backend/tests/it/fuzz_corpus.rs` replays in `cargo xtask test`. Each
//! run grows `fuzz/corpus/TARGET/` (start from `fuzz/seeds/`); `--cmin` shrinks it again to
//! the inputs that add coverage, which is what the repository keeps. An input that crashes
//! a target lands in `fuzz/artifacts/TARGET/`: once fixed, it goes to
//! `fuzz/regressions/TARGET/`, replayed by every test run.
//!
//! cargo-fuzz passes `-Z` flags to rustc, which the stable toolchain accepts only with
//! `RUSTC_BOOTSTRAP=1`; with an explicit `--target` the instrumentation stays off the
//! build scripts and proc macros. No sanitizer (`-s none`): the code is safe Rust, and
//! without AddressSanitizer the build is far cheaper and each execution several times
//! faster; libFuzzer still catches panics, hangs (`-timeout`) and memory blow-ups
//! (`-rss_limit_mb`), and the build keeps debug assertions and overflow checks.

use std::process::{Command, ExitCode};

use crate::shell::{self, cargo, repo_root};

/// Every target, with the directory of its seed inputs.
pub const TARGETS: &[(&str, &str)] = &[
    ("manifest", "manifest"),
    ("fast_path", "manifest"),
    ("check", "manifest"),
    ("fix", "manifest"),
    ("kubeconfig", "kubeconfig"),
    ("cron", "cron"),
    ("settings", "settings"),
    ("snapshot", "snapshot"),
];

const HOST: &str = "x86_64-unknown-linux-gnu";

/// The longest input tried: manifests that matter to a parser's logic are small, and
/// short inputs keep each execution fast.
const MAX_LEN: &str = "4096";

const USAGE: &str = "usage: cargo xtask fuzz (TARGET | --all) [--seconds N] [--runs N] [--cmin]
       cargo xtask fuzz --list";

pub fn run(args: &[&str]) -> ExitCode {
    match run_args(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_args(args: &[&str]) -> Result<(), String> {
    let mut targets: Vec<&str> = Vec::new();
    let mut seconds: Option<u64> = None;
    let mut runs: Option<u64> = None;
    let mut cmin = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--list" => {
                for (target, _) in TARGETS {
                    println!("{target}");
                }
                return Ok(());
            }
            "--all" => targets.extend(TARGETS.iter().map(|(target, _)| *target)),
            "--seconds" => seconds = Some(number(rest.next(), "--seconds")?),
            "--runs" => runs = Some(number(rest.next(), "--runs")?),
            "--cmin" => cmin = true,
            target if TARGETS.iter().any(|(known, _)| *known == target) => targets.push(target),
            other => {
                let names: Vec<&str> = TARGETS.iter().map(|(target, _)| *target).collect();
                return Err(format!(
                    "unknown target or option '{other}'; the targets are {}\n{USAGE}",
                    names.join(", ")
                ));
            }
        }
    }
    if targets.is_empty() {
        return Err(USAGE.to_string());
    }
    if shell::output(&mut cargo(["fuzz", "--version"])).is_none() {
        return Err("cargo-fuzz is not installed: cargo install cargo-fuzz".to_string());
    }
    // Without a bound, libFuzzer runs until it finds something.
    let seconds = seconds.or(if runs.is_none() { Some(60) } else { None });
    for target in targets {
        if seconds.is_some() || runs.is_some() {
            fuzz(target, seconds, runs)?;
        }
        if cmin {
            minimize(target)?;
        }
    }
    Ok(())
}

fn number(value: Option<&&str>, option: &str) -> Result<u64, String> {
    value.and_then(|value| value.replace('_', "").parse().ok()).ok_or_else(|| format!("{option} takes a number"))
}

/// The targets whose parser lives in the server crate; the others need only the engine,
/// and building them without the server keeps their (instrumented) build a few minutes.
const SERVER_TARGETS: &[&str] = &["kubeconfig", "cron", "settings", "snapshot"];

/// `cargo fuzz SUBCOMMAND` with the flags every run shares.
fn cargo_fuzz(subcommand: &str, target: &str) -> Command {
    let mut command = cargo(["fuzz", subcommand, "-s", "none", "--target", HOST]);
    if SERVER_TARGETS.contains(&target) {
        command.args(["--features", "backend"]);
    }
    command.arg(target);
    command.env("RUSTC_BOOTSTRAP", "1");
    command
}

fn corpus(target: &str) -> String {
    format!("fuzz/corpus/{target}")
}

/// Fuzzes one target into its corpus, from its seeds.
fn fuzz(target: &str, seconds: Option<u64>, runs: Option<u64>) -> Result<(), String> {
    let seeds = TARGETS.iter().find(|(known, _)| *known == target).map_or(target, |(_, seeds)| *seeds);
    std::fs::create_dir_all(repo_root().join(corpus(target))).map_err(|error| error.to_string())?;
    let mut command = cargo_fuzz("run", target);
    command.arg(corpus(target)).arg(format!("fuzz/seeds/{seeds}")).arg("--");
    command.args([format!("-max_len={MAX_LEN}"), "-timeout=10".into(), "-rss_limit_mb=2048".into()]);
    command.arg("-print_final_stats=1");
    if let Some(seconds) = seconds {
        command.arg(format!("-max_total_time={seconds}"));
    }
    if let Some(runs) = runs {
        command.arg(format!("-runs={runs}"));
    }
    shell::run(&mut command).map_err(|message| {
        format!(
            "{message}\nthe input that failed is in fuzz/artifacts/{target}/: fix the cause, then keep it in \
             fuzz/regressions/{target}/ so that `cargo xtask test` replays it"
        )
    })
}

/// Shrinks the corpus to the inputs that reach code no other does (edges only, not how
/// often each runs: a corpus of a few hundred small files per target).
fn minimize(target: &str) -> Result<(), String> {
    let mut command = cargo_fuzz("cmin", target);
    command.arg(corpus(target)).args(["--", &format!("-max_len={MAX_LEN}"), "-use_counters=0"]);
    shell::run(&mut command)
}
