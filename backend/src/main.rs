//! The `rampart` binary: check Kubernetes manifests against hardening rules, list the rules
//! and explain them, run the server (`serve`) and manage its users (`admin`). Argument
//! parsing lives in [`cli`]; each command in its own module; the server itself is the
//! crate's library (`lib.rs`), shared with the black-box tests.
//! Commands return their exit code: 0 clean, 1 findings at or above the threshold, 2 a
//! usage error, unreadable input, a bad configuration or a parse error.

mod check;
mod cli;
mod kustomize;
mod parallel;
mod policy_cmd;
mod rules_cmd;
mod serve_cmd;
mod settings_file;

use std::process::ExitCode;

/// mimalloc for the whole process instead of the system's malloc: scans and `rampart check`
/// are mostly many small allocations (every node, key and finding); see the workspace's
/// Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match settings_file::parse_with_settings(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let code = match &cli.command {
        cli::Command::Check(args) => check::run(args),
        cli::Command::Rules(args) => rules_cmd::list(args),
        cli::Command::Explain(args) => rules_cmd::explain(args),
        cli::Command::Policy(cli::PolicyCommand::Test(args)) => policy_cmd::test(args),
        cli::Command::Serve(args) => serve_cmd::serve(args),
        cli::Command::Admin(command) => serve_cmd::admin(command),
        cli::Command::Agent(args) => serve_cmd::agent(args),
    };
    ExitCode::from(code)
}
