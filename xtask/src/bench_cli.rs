//! `cargo xtask bench cli`: the whole `rampart check` process, timed from the outside as a
//! user runs it, on generated repositories of one file per object.
//!
//! The corpora come from the project's shared generator (`gen_corpus.py --layout files`,
//! 1,000 and 10,000 objects), written to a temporary directory and removed afterwards. The
//! release binary runs `check -o json --fail-on never DIR` (stdout discarded) on one thread
//! (`RAMPART_THREADS=1`) and on every core, several times each; the median and the fastest
//! wall time are printed with objects per second, and the CPU time (user + sys) of a run,
//! the steadier figure on a shared machine. Peers on the PATH (`checkov`, `kube-score`,
//! `kube-linter`, `polaris`) are timed once on the same directory (Checkov with
//! `--skip-download`: without a route to its vendor's API it would wait on each request);
//! those not installed are named as such. The machine's load (`/proc/loadavg`) is printed
//! before and after, since a shared machine's figures mean little without it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::shell;

/// Objects of each corpus.
const SIZES: [usize; 2] = [1_000, 10_000];

/// The peers timed when installed, with the arguments that check a directory.
const PEERS: [(&str, &[&str]); 4] = [
    ("checkov", &["--quiet", "--compact", "-o", "json", "--framework", "kubernetes", "--skip-download", "-d"]),
    ("kube-score", &["score", "--output-format", "json"]),
    ("kube-linter", &["lint", "--format", "json"]),
    ("polaris", &["audit", "--format", "json", "--audit-path"]),
];

pub fn run(args: &[&str]) -> ExitCode {
    let runs: usize = args.first().and_then(|text| text.parse().ok()).unwrap_or(5).max(1);
    match bench(runs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn bench(runs: usize) -> Result<(), String> {
    let root = shell::repo_root();
    let generator = root.join("../shared/bench/gen_corpus.py");
    if !generator.exists() {
        return Err(format!("the corpus generator {} is not there", generator.display()));
    }
    shell::run(&mut shell::cargo(["build", "--release", "-p", "rampart", "--bin", "rampart"]))?;
    let binary = root.join("target/release/rampart");
    let out = std::env::temp_dir().join(format!("rampart-bench-cli-{}", std::process::id()));
    let result = measure(&binary, &generator, &out, runs);
    let _ = std::fs::remove_dir_all(&out);
    result
}

fn measure(binary: &Path, generator: &Path, out: &Path, runs: usize) -> Result<(), String> {
    println!("load before: {}", load());
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    for size in SIZES {
        let corpus = out.join(format!("files-{size}"));
        let mut generate = Command::new("python3");
        generate.arg(generator).args(["--count", &size.to_string(), "--layout", "files", "--out"]).arg(&corpus);
        shell::run(generate.stdout(Stdio::null()))?;
        for threads in [1, cores] {
            let mut times = Vec::new();
            let cpu_before = children_cpu();
            for _ in 0..runs {
                let mut command = Command::new(binary);
                command.args(["check", "-o", "json", "--fail-on", "never"]).arg(&corpus);
                command.env("RAMPART_THREADS", threads.to_string());
                times.push(time(&mut command)?);
            }
            let cpu = cpu_per_run(cpu_before, runs);
            times.sort();
            let median = times[times.len() / 2];
            let fastest = times[0];
            let rate = |time: Duration| size as f64 / time.as_secs_f64();
            println!(
                "rampart check -o json, {size} files, {threads} thread(s): median {:.3} s ({:.0} objects/s), fastest {:.3} s ({:.0} objects/s), CPU {cpu} a run, {runs} runs",
                median.as_secs_f64(),
                rate(median),
                fastest.as_secs_f64(),
                rate(fastest)
            );
        }
        for (peer, args) in PEERS {
            match which(peer) {
                Some(path) => {
                    let mut command = Command::new(path);
                    command.args(args).arg(&corpus);
                    let cpu_before = children_cpu();
                    let elapsed = time(&mut command)?;
                    let cpu = cpu_per_run(cpu_before, 1);
                    println!("{peer}, {size} files: {:.3} s, CPU {cpu} (one run)", elapsed.as_secs_f64());
                }
                None => println!("{peer}: not installed here, not measured"),
            }
        }
    }
    println!("load after: {}", load());
    Ok(())
}

/// The wall time of a command run to its end, its output discarded; a peer's findings
/// make it exit non-zero, which is not a failure here, but a crash is.
fn time(command: &mut Command) -> Result<Duration, String> {
    let started = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|error| format!("cannot run {}: {error}", shell::display(command)))?;
    let elapsed = started.elapsed();
    if status.code().is_none() {
        return Err(format!("{} was killed by a signal", shell::display(command)));
    }
    Ok(elapsed)
}

/// The program's path on the PATH, if any.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|directory| directory.join(program)).find(|candidate| candidate.is_file())
}

/// The CPU time (user + sys, in clock ticks of 1/100 s) of this process's children that
/// have ended, from `/proc/self/stat` (`cutime` and `cstime`); `None` where it cannot be read.
fn children_cpu() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 of the line, 14 and 15 after the name.
    let user: u64 = fields.get(13)?.parse().ok()?;
    let system: u64 = fields.get(14)?.parse().ok()?;
    Some(user + system)
}

/// The children's CPU time since `before`, per run, as text (`0.123 s`, or `unknown`).
fn cpu_per_run(before: Option<u64>, runs: usize) -> String {
    match (before, children_cpu()) {
        (Some(before), Some(after)) => format!("{:.3} s", (after - before) as f64 / 100.0 / runs as f64),
        _ => "unknown".to_string(),
    }
}

/// The 1, 5 and 15 minute load averages.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}
