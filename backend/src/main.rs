//! The `rampart` binary: check Kubernetes manifests against hardening rules, list the rules
//! and explain them. Argument parsing lives in [`cli`]; each command in its own module.
//! Commands return their exit code: 0 clean, 1 findings at or above the threshold, 2 a
//! usage error, unreadable input, a bad configuration or a parse error.

mod check;
mod cli;
mod rules_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let code = match &cli.command {
        cli::Command::Check(args) => check::run(args),
        cli::Command::Rules(args) => rules_cmd::list(args),
        cli::Command::Explain(args) => rules_cmd::explain(args),
    };
    ExitCode::from(code)
}
