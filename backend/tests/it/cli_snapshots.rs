//! The command line's output pinned byte for byte: the real `rampart` binary over the
//! repository's sample manifests (examples/, the kustomize fixture, insecure workloads on
//! stdin) in every output format and mode of `rampart check`, and `rules`, `explain`,
//! `policy test` and the help texts. Each case's exit code, stdout and stderr (and, for
//! `--fix`, the rewritten file) are compared with `backend/tests/snapshots/cli/NAME.txt`.
//!
//! Only what legitimately varies is replaced: the crate's version (`<version>`) and the
//! temporary directory of the `--fix` cases (`<scratch>`). After an intended change of the
//! output, rewrite the snapshots with
//! `RAMPART_UPDATE_SNAPSHOTS=1 cargo nextest run -p rampart --test it cli_snapshots::` and
//! review the diff.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A privileged Deployment without limits or probes, as a person pipes it in.
const PRIVILEGED: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx:latest
        securityContext:
          privileged: true
          allowPrivilegeEscalation: true
";

/// Two documents, the second not YAML: findings of the first and a parse error.
const BROKEN: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: shell
spec:
  containers:
  - name: shell
    image: busybox
    securityContext: {privileged: true}
---
broken: [1, 2
next: 3
";

/// Where a case reads its manifests from.
enum Input {
    /// Paths relative to the repository's root, read in place.
    Repository,
    /// Text piped to stdin (the command runs in the repository's root).
    Stdin(&'static str),
    /// A copy of this file of the repository in a fresh directory, named `app.yaml` there
    /// (the `--fix` cases, which rewrite it); the snapshot holds the file after the run.
    Copy(&'static str),
}

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    input: Input,
}

const fn case(name: &'static str, args: &'static [&'static str], input: Input) -> Case {
    Case { name, args, input }
}

const INSECURE: &str = "examples/insecure-deployment.yaml";

const CASES: &[Case] = &[
    // Every output format, over a workload with findings of every family.
    case("check_text", &["check", INSECURE], Input::Repository),
    case("check_json", &["check", "-o", "json", INSECURE], Input::Repository),
    case("check_sarif", &["check", "-o", "sarif", INSECURE], Input::Repository),
    case("check_junit", &["check", "-o", "junit", INSECURE], Input::Repository),
    case("check_namespace_text", &["check", "examples/insecure-namespace.yaml"], Input::Repository),
    // A clean input: exit code 0 in every format.
    case("check_hardened_text", &["check", "examples/hardened-deployment.yaml"], Input::Repository),
    case("check_hardened_json", &["check", "-o", "json", "examples/hardened-deployment.yaml"], Input::Repository),
    case("check_hardened_junit", &["check", "-o", "junit", "examples/hardened-deployment.yaml"], Input::Repository),
    // Directories, several files, --complete.
    case("check_guide_text", &["check", "examples/guide"], Input::Repository),
    case("check_guide_json", &["check", "-o", "json", "examples/guide"], Input::Repository),
    case("check_guide_complete_text", &["check", "--complete", "examples/guide"], Input::Repository),
    case("check_guide_complete_json", &["check", "--complete", "-o", "json", "examples/guide"], Input::Repository),
    case("check_examples_json", &["check", "-o", "json", "examples"], Input::Repository),
    // Versions of the Pod Security Standards and of Kubernetes.
    case(
        "check_versions_json",
        &["check", "-o", "json", "--pss-version", "v1.23", "--kube-version", "v1.20", "examples/guide"],
        Input::Repository,
    ),
    // The thresholds of the exit code.
    case("check_fail_on_never", &["check", "--fail-on", "never", INSECURE], Input::Repository),
    case("check_fail_on_critical", &["check", "--fail-on", "critical", "examples/guide"], Input::Repository),
    case("check_fail_on_info", &["check", "--fail-on", "info", "examples/hardened-deployment.yaml"], Input::Repository),
    // The compliance views.
    case("framework_cis_text", &["check", "--framework", "cis", "examples/guide"], Input::Repository),
    case("framework_nsa_text", &["check", "--framework", "nsa", "examples/guide"], Input::Repository),
    case("framework_pss_text", &["check", "--framework", "pss", INSECURE], Input::Repository),
    case("framework_layers_text", &["check", "--framework", "layers", "examples/guide"], Input::Repository),
    case("framework_cis_json", &["check", "--framework", "cis", "-o", "json", "examples/guide"], Input::Repository),
    case("framework_layers_json", &["check", "--framework", "layers", "-o", "json", INSECURE], Input::Repository),
    // Kustomize: the base and the overlays built.
    case("kustomize_text", &["check", "backend/tests/fixtures/kustomize"], Input::Repository),
    case("kustomize_json", &["check", "-o", "json", "backend/tests/fixtures/kustomize"], Input::Repository),
    // Stdin, and a parse error among findings.
    case("stdin_text", &["check", "-"], Input::Stdin(PRIVILEGED)),
    case("stdin_sarif", &["check", "-o", "sarif", "-"], Input::Stdin(PRIVILEGED)),
    case("parse_error_text", &["check", "-"], Input::Stdin(BROKEN)),
    case("parse_error_json", &["check", "-o", "json", "-"], Input::Stdin(BROKEN)),
    // Fixes: as a diff, applied in place, applied to stdin.
    case("diff", &["check", "--diff", INSECURE], Input::Repository),
    case("diff_unsafe", &["check", "--diff", "--unsafe-fixes", INSECURE], Input::Repository),
    case("diff_stdin", &["check", "--diff", "-"], Input::Stdin(PRIVILEGED)),
    case("diff_nothing_to_change", &["check", "--diff", "examples/hardened-deployment.yaml"], Input::Repository),
    case("fix", &["check", "--fix", "app.yaml"], Input::Copy(INSECURE)),
    case("fix_unsafe_json", &["check", "--fix", "--unsafe-fixes", "-o", "json", "app.yaml"], Input::Copy(INSECURE)),
    case("fix_stdin", &["check", "--fix", "-"], Input::Stdin(PRIVILEGED)),
    // Custom policies.
    case(
        "policies_json",
        &["check", "-o", "json", "--policy", "examples/policies", "--unbound-policies", INSECURE],
        Input::Repository,
    ),
    case("policy_test", &["policy", "test", "examples/policies"], Input::Repository),
    case("print_config", &["check", "--print-config"], Input::Repository),
    // The rules.
    case("rules_text", &["rules"], Input::Repository),
    case("rules_json", &["rules", "-o", "json"], Input::Repository),
    case("explain_privileged", &["explain", "pss-privileged"], Input::Repository),
    case("explain_unknown", &["explain", "no-such-rule"], Input::Repository),
    // Usage errors and help.
    case("usage_unknown_format", &["check", "-o", "yaml", INSECURE], Input::Repository),
    case("usage_unsafe_without_fix", &["check", "--unsafe-fixes", INSECURE], Input::Repository),
    case("usage_unknown_framework", &["check", "--framework", "soc2", INSECURE], Input::Repository),
    case("missing_file", &["check", "examples/no-such-file.yaml"], Input::Repository),
    case("help", &["--help"], Input::Repository),
    case("check_help", &["check", "--help"], Input::Repository),
    case("rules_help", &["rules", "--help"], Input::Repository),
    case("explain_help", &["explain", "--help"], Input::Repository),
    case("policy_test_help", &["policy", "test", "--help"], Input::Repository),
    case("version", &["--version"], Input::Repository),
];

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

/// Runs one case and returns what its snapshot holds.
fn run(case: &Case) -> String {
    let root = repository_root();
    let scratch = std::env::temp_dir().join(format!("rampart-cli-snapshot-{}-{}", std::process::id(), case.name));
    let directory = match case.input {
        Input::Copy(file) => {
            let _ = std::fs::remove_dir_all(&scratch);
            std::fs::create_dir_all(&scratch).unwrap();
            std::fs::copy(root.join(file), scratch.join("app.yaml")).unwrap();
            scratch.clone()
        }
        Input::Repository | Input::Stdin(_) => root.clone(),
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_rampart"));
    command.args(case.args).current_dir(&directory).stdout(Stdio::piped()).stderr(Stdio::piped());
    // The environment must not choose: colours are off because stdout is a pipe, and no
    // RAMPART_* variable of the machine running the tests applies.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("RAMPART_") {
            command.env_remove(name);
        }
    }
    command.stdin(if matches!(case.input, Input::Stdin(_)) { Stdio::piped() } else { Stdio::null() });
    let mut child = command.spawn().expect("the rampart binary runs");
    if let Input::Stdin(text) = case.input {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
    let mut snapshot = format!(
        "$ rampart {}\nexit code: {}\n--- stdout\n{}--- stderr\n{}",
        case.args.join(" "),
        status.code().expect("rampart exits with a code"),
        String::from_utf8(stdout).expect("stdout is UTF-8"),
        String::from_utf8(stderr).expect("stderr is UTF-8"),
    );
    if let Input::Copy(_) = case.input {
        let fixed = std::fs::read_to_string(scratch.join("app.yaml")).unwrap();
        snapshot.push_str(&format!("--- app.yaml after the run\n{fixed}"));
        let _ = std::fs::remove_dir_all(&scratch);
    }
    normalize(&snapshot, &scratch)
}

/// The output with what differs from machine to machine and release to release replaced.
fn normalize(text: &str, scratch: &Path) -> String {
    text.replace(&scratch.display().to_string(), "<scratch>").replace(env!("CARGO_PKG_VERSION"), "<version>")
}

#[test]
fn the_command_line_prints_its_snapshots() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/cli");
    let update = std::env::var_os("RAMPART_UPDATE_SNAPSHOTS").is_some();
    // The cases run on a few threads at once: each is its own process.
    let outputs: Vec<(&Case, String)> = std::thread::scope(|scope| {
        let chunks: Vec<_> = CASES
            .chunks(CASES.len().div_ceil(4))
            .map(|chunk| scope.spawn(move || chunk.iter().map(|case| (case, run(case))).collect::<Vec<_>>()))
            .collect();
        chunks.into_iter().flat_map(|chunk| chunk.join().unwrap()).collect()
    });
    let mut mismatches = Vec::new();
    for (case, output) in outputs {
        let file = directory.join(format!("{}.txt", case.name));
        if update {
            std::fs::create_dir_all(&directory).unwrap();
            std::fs::write(&file, &output).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&file)
            .unwrap_or_else(|error| panic!("{}: {error}; run with RAMPART_UPDATE_SNAPSHOTS=1", file.display()));
        if expected != output {
            let line = expected.lines().zip(output.lines()).position(|(left, right)| left != right);
            let line = line.unwrap_or_else(|| expected.lines().count().min(output.lines().count()));
            mismatches.push(format!(
                "{} differs at line {}:\n  snapshot: {}\n  now:      {}",
                file.display(),
                line + 1,
                expected.lines().nth(line).unwrap_or("<end>"),
                output.lines().nth(line).unwrap_or("<end>"),
            ));
        }
    }
    assert!(mismatches.is_empty(), "the command line's output differs from its snapshots:\n{}", mismatches.join("\n"));
}

/// Every snapshot file belongs to a case: a case renamed or removed leaves no stale file.
#[test]
fn every_snapshot_has_its_case() {
    if std::env::var_os("RAMPART_UPDATE_SNAPSHOTS").is_some() {
        return; // The other test is writing them.
    }
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/cli");
    let names: Vec<String> = CASES.iter().map(|case| format!("{}.txt", case.name)).collect();
    for entry in std::fs::read_dir(&directory).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(names.contains(&name), "{name} in {} has no case", directory.display());
    }
}
