//! Running programs: where the repository is, how a command is shown, whether a program is
//! installed, and who we are running as.
//!
//! Everything here is std only, so the xtask builds in seconds on a fresh machine.

use std::env;
use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root: the parent of this crate's directory.
pub fn repo_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// A `cargo` command run from the repository root, with the same cargo that runs the
/// xtask and a colour choice that suits where the output goes.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(program);
    command.args(args).current_dir(repo_root());
    if env::var_os("CARGO_TERM_COLOR").is_none() {
        // Children inherit our stdout, so they could decide for themselves; saying it
        // explicitly keeps every tool (cargo, nextest, rustc) consistent, and a CI log
        // (no terminal) free of escape codes.
        let color = if std::io::stderr().is_terminal() { "always" } else { "never" };
        command.env("CARGO_TERM_COLOR", color);
    }
    command
}

/// Any other program, run from the repository root.
pub fn program<I, S>(name: &str, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(name);
    command.args(args).current_dir(repo_root());
    command
}

/// How a command reads on a shell prompt: `cargo fmt --all -- --check`.
pub fn display(command: &Command) -> String {
    let program = Path::new(command.get_program());
    // `CARGO` is a full path into the toolchain; people type `cargo`.
    let program = if program.file_stem() == Some(OsStr::new("cargo")) {
        "cargo".to_string()
    } else {
        program.to_string_lossy().into_owned()
    };
    let mut shown = program;
    for arg in command.get_args() {
        let arg = arg.to_string_lossy();
        shown.push(' ');
        if arg.is_empty() || arg.contains([' ', '"', '\'', '$', '*']) {
            shown.push_str(&format!("'{}'", arg.replace('\'', r"'\''")));
        } else {
            shown.push_str(&arg);
        }
    }
    shown
}

/// Runs a command with inherited output, after showing it; fails with a message naming
/// the command and how it ended.
pub fn run(command: &mut Command) -> Result<(), String> {
    let shown = display(command);
    eprintln!("$ {shown}");
    let status = command.status().map_err(|error| format!("could not start `{shown}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        let how = match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_string(),
        };
        Err(format!("`{shown}` {how}"))
    }
}

/// The standard output of a command that succeeded; `None` when it could not start or
/// failed. For questions ("which targets are installed?"), so nothing is shown.
pub fn output(command: &mut Command) -> Option<String> {
    let output = command.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The full path of an executable found on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|directory| directory.join(name)).find(|candidate| is_executable(candidate))
}

pub fn have(name: &str) -> bool {
    which(name).is_some()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// Whether we run as root (effective user id 0). Read from `/proc` where there is one,
/// else from `id -u`; std has no `geteuid`.
pub fn is_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|line| line.starts_with("Uid:")) {
            // Real, effective, saved and filesystem ids, in that order.
            return line.split_whitespace().nth(2) == Some("0");
        }
    }
    output(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0")
}

/// Whether this is Debian or a derivative, where `apt-get` installs the packages we name.
pub fn is_debian() -> bool {
    Path::new("/etc/debian_version").exists()
}
