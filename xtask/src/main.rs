//! `cargo xtask`: Rampart's build and test orchestration, as a Rust program with no
//! dependencies so it builds in seconds anywhere cargo runs (the alias lives in
//! `.cargo/config.toml`).
//!
//! - `test` is the one test command (see [`test`]); `.ci/run` calls it and nothing else.
//! - `dist` builds the web app into `frontend/dist/` (see [`dist`]); `serve` builds it, then
//!   runs `rampart serve` with it on the default SQLite database.
//! - `bench` runs the engine benchmark, `bench server` the server's scan and storage
//!   benchmark, `bench agent` one delivery of a large cluster by `rampart agent`, `bench
//!   cli` the whole `rampart check` process (see [`bench_cli`]);
//!   `gen-corpus` writes the engine benchmark's corpus to a file.
//! - `fuzz` runs the fuzz targets of `fuzz/` (see [`fuzz`]).

// The benchmark's corpus generator, shared so `gen-corpus` writes exactly what is measured.
mod bench_cli;
#[path = "../../shared/benches/corpus/mod.rs"]
mod corpus;
mod dist;
mod fuzz;
mod layers;
mod prerequisites;
mod shell;
mod test;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test                  install what the suites need (wasm32 target, rustfmt, clippy, npm
                        packages), then run rustfmt, clippy, the wasm32 build of
                        rampart-core and every test suite
  serve [ARGS…]         build the web app (as dist does), then run `rampart serve` with it
                        on http://127.0.0.1:8080 and the SQLite file rampart-data/rampart.db;
                        ARGS go to `rampart serve` (such as --listen 0.0.0.0:8080)
  dist                  build the web app (size-optimised WebAssembly, wasm-bindgen glue,
                        static files) into frontend/dist/, served by any static server
  bench [ARGS…]         run the engine benchmark: cargo bench -p rampart-core [-- ARGS…]
  bench server          run the server's scan and storage benchmark (a fake cluster of
                        50,000 objects scanned into PostgreSQL; 100 unchanged scans on
                        PostgreSQL and SQLite): cargo bench -p rampart --bench scan_storage;
                        PostgreSQL from RAMPART_TEST_POSTGRES_URL
  bench agent           run `rampart agent` on a generated cluster of 50,000 objects (~11
                        findings each) served over TLS, delivering to the server: its peak
                        RSS, CPU time, bytes sent and the time to the scan's end:
                        cargo bench -p rampart --bench agent
  bench cli [RUNS]      time the whole `rampart check -o json` process (release build) on
                        generated repositories of 1,000 and 10,000 files, on one thread and
                        on every core, RUNS times each (default 5); peers on the PATH too
  layers                check that each module of backend/ and frontend/ uses only modules
                        of its own or lower layers, as ARCHITECTURE.md declares them
  gen-corpus N OUT      write the benchmark's generated corpus, N objects, to OUT as YAML
  fuzz TARGET [--seconds N] [--runs N] [--cmin]
  fuzz --all [--seconds N]
                        fuzz a parser (cargo-fuzz, libFuzzer; `cargo install cargo-fuzz`)
                        into fuzz/corpus/TARGET for N seconds (default 60) or N runs;
                        --cmin minimizes the corpus afterwards; --list names the targets
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["test"] => test::run_all(),
        ["serve", rest @ ..] => serve(rest),
        ["dist"] => match dist::run_dist() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        ["bench", "server"] => bench_server(),
        ["bench", "agent"] => bench_agent(),
        ["bench", "cli", rest @ ..] => bench_cli::run(rest),
        ["bench", rest @ ..] => bench(rest),
        ["gen-corpus", n_objects, out] => gen_corpus(n_objects, out),
        ["fuzz", rest @ ..] => fuzz::run(rest),
        ["layers"] => match layers::run(&shell::repo_root()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        ["help" | "-h" | "--help"] => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        [] => {
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
        [command, ..] => {
            eprint!("error: unknown command or arguments: {}\n\n{USAGE}", command);
            ExitCode::from(2)
        }
    }
}

/// The web app built, then the server run in the foreground with it (Ctrl-C stops both
/// cargo and the server). The SQLite default lands in `rampart-data/` at the repository
/// root, which git ignores.
fn serve(args: &[&str]) -> ExitCode {
    if let Err(message) = dist::run_dist() {
        eprintln!("error: building the web app failed: {message}");
        return ExitCode::FAILURE;
    }
    let web_root = shell::repo_root().join("frontend/dist");
    let mut command = shell::cargo(["run", "--package", "rampart", "--", "serve"]);
    command.arg("--web-root").arg(&web_root).args(args);
    match shell::run(&mut command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &[&str]) -> ExitCode {
    let mut command = shell::cargo(["bench", "-p", "rampart-core"]);
    if !args.is_empty() {
        command.arg("--").args(args);
    }
    match shell::run(&mut command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The server's benchmark. glibc's allocator is held to two arenas, as the container image
/// runs the server (see the Dockerfile), so the peak RSS measured is the one deployed.
///
/// The dense cluster shape is a generated export (`gen_corpus.py` of the project's shared
/// notes, 50,000 objects, ~549,000 findings): unless `SCAN_BENCH_CORPUS` names one, it is
/// generated into a temporary directory (about 300 MB, removed afterwards).
fn bench_server() -> ExitCode {
    bench_on_dense_corpus("scan_storage", "SCAN_BENCH_CORPUS")
}

/// The agent's benchmark (`backend/benches/agent.rs`) on the same dense corpus, with the
/// agent's allocator held as the container image holds it.
fn bench_agent() -> ExitCode {
    bench_on_dense_corpus("agent", "AGENT_BENCH_CORPUS")
}

/// Runs `cargo bench -p rampart --bench BENCH` with the dense corpus named by `variable`:
/// unless set, generated into a temporary directory and removed afterwards.
fn bench_on_dense_corpus(bench: &str, variable: &str) -> ExitCode {
    let mut command = shell::cargo(["bench", "-p", "rampart", "--bench", bench]);
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        command.env("MALLOC_ARENA_MAX", "2");
    }
    let mut generated = None;
    if std::env::var_os(variable).is_none() {
        let generator = std::path::Path::new("../shared/bench/gen_corpus.py");
        let out = std::env::temp_dir().join(format!("rampart-bench-dense-{}", std::process::id()));
        let made = generator.exists()
            && shell::run(
                std::process::Command::new("python3")
                    .arg(generator)
                    .args([
                        "--count",
                        "50000",
                        "--seed",
                        "11",
                        "--layout",
                        "list",
                        "--list-format",
                        "json",
                        "--cluster-fields",
                        "--out",
                    ])
                    .arg(&out),
            )
            .is_ok();
        if made {
            command.env(variable, out.join("cluster-export.json"));
            generated = Some(out);
        } else {
            eprintln!("note: no dense corpus ({} not found): the dense shape is skipped", generator.display());
        }
    }
    let result = shell::run(&mut command);
    if let Some(out) = generated {
        let _ = std::fs::remove_dir_all(out);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn gen_corpus(n_objects: &str, out: &str) -> ExitCode {
    let Ok(n_objects) = n_objects.replace('_', "").parse::<usize>() else {
        eprintln!("error: N must be a number of objects, such as {}; got '{n_objects}'", corpus::BENCH_OBJECTS);
        return ExitCode::from(2);
    };
    let corpus = corpus::generate(n_objects);
    if let Err(error) = std::fs::write(out, &corpus.text) {
        eprintln!("error: could not write {out}: {error}");
        return ExitCode::FAILURE;
    }
    eprintln!("wrote {} objects ({:.2} MB) to {out}", corpus.n_objects, corpus.text.len() as f64 / 1e6);
    ExitCode::SUCCESS
}
