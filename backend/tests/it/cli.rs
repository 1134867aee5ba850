//! Black-box tests of the `rampart` binary: real processes on real temporary files,
//! asserting exit codes, the JSON contract and what a person reads.
//!
//! Assertions name only rules and fields these tests set up (`pss-privileged` above all), so
//! rules added to the registry later do not break them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

const PRIVILEGED: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        securityContext:
          privileged: true
";

/// An object of a kind no rule knows: never a finding.
fn widget(name: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\n")
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new(test: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rampart-cli-{}-{test}-{unique}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Scratch { path }
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    /// Runs `rampart` in this directory with no stdin.
    fn run(&self, args: &[&str]) -> Run {
        run_in(&self.path, args, None)
    }

    /// Runs `rampart` in this directory with `input` piped to stdin.
    fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        run_in(&self.path, args, Some(input))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}\n{}", self.stdout, self.stderr))
    }
}

fn run_in(directory: &Path, args: &[&str], input: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rampart"));
    command.args(args).current_dir(directory).env_remove("NO_COLOR").stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = command.spawn().expect("the rampart binary runs");
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
    Run {
        code: status.code().expect("rampart exits with a code"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"].as_array().unwrap().iter().filter(|finding| finding["rule"] == rule).collect()
}

#[test]
fn json_output_keeps_the_contract() {
    let scratch = Scratch::new("json");
    let exempted = PRIVILEGED.replace("name: web", "name: debug").replace(
        "  namespace: prod\n",
        "  namespace: prod\n  annotations:\n    rampart.dev/ignore: pss-privileged\n    rampart.dev/ignore-reason: break-glass pod\n",
    );
    scratch.write("deploy.yaml", format!("{PRIVILEGED}---\n{exempted}"));
    let run = scratch.run(&["check", "-o", "json", "deploy.yaml"]);
    assert_eq!(run.code, 1, "a critical finding fails the default threshold\n{}", run.stderr);
    let report = run.json();

    assert_eq!(report["version"], 1);
    assert!(report["score"].as_u64().unwrap() <= 100);
    assert!(["A", "B", "C", "D", "F"].contains(&report["grade"].as_str().unwrap()));
    assert_eq!(report["score_formula_version"], 2);
    assert_eq!(report["errors"], serde_json::json!([]));

    let objects = report["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2);
    let web = &objects[0];
    assert_eq!(
        web["resource"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "prod", "name": "web", "source": "deploy.yaml", "document": 0})
    );
    assert!(web["score"].as_u64().unwrap() <= 59, "a failed critical rule caps the score: {web}");
    assert_eq!(web["grade"], "F");
    assert_eq!(web["pss"], "privileged");
    assert_eq!(objects[1]["resource"]["document"], 1);

    let privileged = findings_of(&report, "pss-privileged");
    assert_eq!(privileged.len(), 2);
    let open = privileged[0];
    assert_eq!(open["severity"], "critical");
    assert_eq!(open["title"], "Privileged container");
    assert_eq!(open["message"], "container \"app\" runs privileged");
    assert!(open["remediation"].as_str().unwrap().contains("privileged: true"));
    assert_eq!(open["resource"]["name"], "web");
    assert_eq!(open["resource"]["source"], "deploy.yaml");
    assert_eq!(open["resource"]["document"], 0);
    assert_eq!(open["path"], "spec.template.spec.containers[0].securityContext.privileged");
    assert_eq!((open["line"].as_u64(), open["column"].as_u64()), (Some(13), Some(11)));
    assert_eq!(open["exempted"], false);
    assert_eq!(open["exemption_reason"], Value::Null);

    let waived = privileged[1];
    assert_eq!(waived["resource"]["name"], "debug");
    assert_eq!(waived["exempted"], true);
    assert!(waived["exemption_reason"].as_str().unwrap().starts_with("break-glass pod"));
    // The second document starts after the `---` on line 14; three annotation lines push
    // its `privileged` key from line 13 of the document to line 16.
    assert_eq!(waived["line"], 14 + 16);

    let summary = &report["summary"];
    for key in ["critical", "high", "medium", "low", "info", "exempted"] {
        assert!(summary[key].is_u64(), "summary.{key} missing: {summary}");
    }
    let open_critical = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["severity"] == "critical" && finding["exempted"] == false)
        .count();
    assert_eq!(summary["critical"], open_critical, "exempted findings are not counted by severity");
    assert!(summary["exempted"].as_u64().unwrap() >= 1);
}

#[test]
fn exit_codes_follow_the_threshold() {
    let scratch = Scratch::new("threshold");
    scratch.write("clean.yaml", widget("w"));
    scratch.write("bad.yaml", PRIVILEGED);
    assert_eq!(scratch.run(&["check", "clean.yaml"]).code, 0);
    assert_eq!(scratch.run(&["check", "bad.yaml"]).code, 1);
    assert_eq!(scratch.run(&["check", "--fail-on", "critical", "bad.yaml"]).code, 1);
    assert_eq!(scratch.run(&["check", "--fail-on", "never", "bad.yaml"]).code, 0);

    // With every rule lowered to `low` by configuration, only a `low` threshold fails.
    let rules: Value = serde_json::from_str(&scratch.run(&["rules", "-o", "json"]).stdout).unwrap();
    let mut config = String::from("severity:\n");
    for rule in rules.as_array().unwrap() {
        config.push_str(&format!("  {}: low\n", rule["id"].as_str().unwrap()));
    }
    scratch.write("lowered.yaml", config);
    assert_eq!(scratch.run(&["check", "--config", "lowered.yaml", "--fail-on", "medium", "bad.yaml"]).code, 0);
    assert_eq!(scratch.run(&["check", "--config", "lowered.yaml", "--fail-on", "low", "bad.yaml"]).code, 1);
}

#[test]
fn usage_errors_exit_2() {
    let scratch = Scratch::new("usage");
    scratch.write("bad.yaml", PRIVILEGED);
    let run = scratch.run(&["check", "-o", "xml", "bad.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("possible values: text, json, sarif, junit"), "{}", run.stderr);
    let run = scratch.run(&["check", "--pss-version", "1.30", "bad.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected v1.N"), "{}", run.stderr);
    assert_eq!(scratch.run(&["check", "--fail-on", "severe", "bad.yaml"]).code, 2);
    assert_eq!(scratch.run(&["scan"]).code, 2);
    assert_eq!(scratch.run(&["--help"]).code, 0);
}

#[test]
fn stdin_is_read_with_a_dash_or_when_piped() {
    let scratch = Scratch::new("stdin");
    for args in [&["check", "-o", "json", "-"][..], &["check", "-o", "json"][..]] {
        let run = scratch.run_with_stdin(args, PRIVILEGED);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let report = run.json();
        let finding = findings_of(&report, "pss-privileged")[0];
        assert_eq!(finding["resource"]["source"], "-");
        assert_eq!(finding["line"], 13);
    }
    let run = scratch.run_with_stdin(&["check", "-"], PRIVILEGED);
    assert!(run.stdout.contains("--> <stdin>:13:11"), "{}", run.stdout);
}

#[test]
fn directories_are_walked_recursively_in_order() {
    let scratch = Scratch::new("walk");
    scratch.write("k8s/b/two.yml", widget("two"));
    scratch.write("k8s/a/one.yaml", widget("one"));
    scratch.write(
        "k8s/three.json",
        r#"{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "three"}}"#,
    );
    scratch.write("k8s/notes.txt", "not: [a manifest");
    scratch.write("k8s/.git/config.yaml", "not: [a manifest");
    scratch.write("k8s/.hidden.yaml", "not: [a manifest");
    scratch.write("k8s/UPPER.YAML", widget("upper"));
    let run = scratch.run(&["check", "-o", "json", "k8s"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let sources: Vec<(&str, &str)> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| (object["resource"]["source"].as_str().unwrap(), object["resource"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sources,
        [("k8s/UPPER.YAML", "upper"), ("k8s/a/one.yaml", "one"), ("k8s/b/two.yml", "two"), ("k8s/three.json", "three")]
    );

    scratch.write("empty/readme.md", "nothing here");
    let run = scratch.run(&["check", "empty"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no .yaml, .yml or .json files in 'empty'"), "{}", run.stderr);
}

/// The objects of a JSON report as (source, kind, name).
fn objects_of(report: &Value) -> Vec<(String, String, String)> {
    report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| {
            let resource = &object["resource"];
            let text = |key: &str| resource[key].as_str().unwrap_or("").to_string();
            (text("source"), text("kind"), text("name"))
        })
        .collect()
}

/// `namespace/name rule source:line` of each finding of `rules`, in report order.
fn placed_findings(report: &Value, rules: &[&str]) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| rules.contains(&finding["rule"].as_str().unwrap()))
        .map(|finding| {
            let resource = &finding["resource"];
            format!(
                "{}/{} {} {}:{}",
                resource["namespace"].as_str().unwrap_or(""),
                resource["name"].as_str().unwrap(),
                finding["rule"].as_str().unwrap(),
                resource["source"].as_str().unwrap(),
                finding["line"]
            )
        })
        .collect()
}

#[test]
fn kustomize_overlays_are_checked_as_deployed_with_findings_on_the_lines_to_edit() {
    // A base and two overlays: prod hardens the base with a strategic-merge patch, pins a
    // new tag and scales with a JSON 6902 patch; staging renames, labels, weakens the base
    // with a strategic-merge patch (`patches`), adds limits with a JSON 6902 patch in JSON
    // and annotates the Service inline, and tags the image `latest`.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let run = run_in(&fixtures, &["check", "-o", "json", "--fail-on", "never", "kustomize"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    // Each object as its overlay deploys it, placed where it is written; the base is not
    // checked on its own, nor are patches or kustomizations.
    let objects: Vec<String> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| {
            let resource = &object["resource"];
            format!(
                "{} {}/{} {}:{} by {}",
                resource["kind"].as_str().unwrap(),
                resource["namespace"].as_str().unwrap_or(""),
                resource["name"].as_str().unwrap(),
                resource["source"].as_str().unwrap(),
                object["line"],
                resource["kustomization"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        objects,
        [
            "Deployment prod/web kustomize/base/deployment.yaml:1 by kustomize/overlays/prod",
            "Service prod/web kustomize/base/service.yaml:1 by kustomize/overlays/prod",
            "Deployment staging/staging-web kustomize/base/deployment.yaml:1 by kustomize/overlays/staging",
            "Service staging/staging-web kustomize/base/service.yaml:1 by kustomize/overlays/staging",
            "Namespace /staging kustomize/overlays/staging/namespace.yaml:1 by kustomize/overlays/staging",
        ]
    );
    let rules = [
        "pss-run-as-non-root",
        "pss-allow-privilege-escalation",
        "pss-capabilities-restricted",
        "pss-seccomp-profile-restricted",
        "read-only-root-filesystem",
        "image-tag-latest",
        "image-not-pinned-by-digest",
        "memory-limit-missing",
        "cpu-limit-missing",
        "run-as-high-uid",
        "service-account-token-automount",
        "required-labels-missing",
        "namespace-pss-not-enforced",
    ];
    assert_eq!(
        placed_findings(&report, &rules),
        [
            // prod's patch adds what the base lacks: no Pod Security finding is left, and
            // the one missing field of its security context is to be added in the patch.
            "prod/web run-as-high-uid kustomize/overlays/prod/security.yaml:8",
            // Missing everywhere: added to the base's container.
            "prod/web memory-limit-missing kustomize/base/deployment.yaml:17",
            "prod/web cpu-limit-missing kustomize/base/deployment.yaml:17",
            // Labels come from the base's kustomization; the missing ones go beside them.
            "prod/web required-labels-missing kustomize/base/deployment.yaml:3",
            // The tag the overlay's `images` sets.
            "prod/web image-not-pinned-by-digest kustomize/overlays/prod/kustomization.yaml:17",
            // staging keeps the base's security context, which lacks these.
            "staging/staging-web pss-allow-privilege-escalation kustomize/base/deployment.yaml:21",
            "staging/staging-web pss-run-as-non-root kustomize/base/deployment.yaml:21",
            "staging/staging-web pss-seccomp-profile-restricted kustomize/base/deployment.yaml:21",
            "staging/staging-web pss-capabilities-restricted kustomize/base/deployment.yaml:21",
            // The base's readOnlyRootFilesystem: true, turned off by staging's patch.
            "staging/staging-web read-only-root-filesystem kustomize/overlays/staging/debug.yaml:14",
            "staging/staging-web run-as-high-uid kustomize/base/deployment.yaml:14",
            // The JSON 6902 patch adds resources with a memory limit only.
            "staging/staging-web cpu-limit-missing kustomize/overlays/staging/limits.json:1",
            "staging/staging-web required-labels-missing kustomize/base/deployment.yaml:3",
            "staging/staging-web image-tag-latest kustomize/overlays/staging/kustomization.yaml:24",
            "staging/staging-web image-not-pinned-by-digest kustomize/overlays/staging/kustomization.yaml:24",
            "/staging namespace-pss-not-enforced kustomize/overlays/staging/namespace.yaml:3",
        ]
    );
    // Every finding quotes a line of a file of the repository, and none offers a fix (a
    // fix would edit the built object, not a file).
    for finding in report["findings"].as_array().unwrap() {
        let source = finding["resource"]["source"].as_str().unwrap();
        let text = std::fs::read_to_string(fixtures.join(source)).unwrap();
        let line = finding["line"].as_u64().unwrap() as usize;
        assert!(line >= 1 && line <= text.lines().count(), "{finding}");
        assert!(finding["fix"].is_null(), "{finding}");
    }

    // The text report names the overlay and quotes the patch's line.
    let run = run_in(&fixtures, &["check", "--fail-on", "never", "kustomize/overlays/staging"], None);
    assert!(
        run.stdout.contains("(kustomize/base/deployment.yaml, document 1, as kustomize/overlays/staging builds it)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "  --> kustomize/overlays/staging/debug.yaml:14:11\n   |\n14 |           readOnlyRootFilesystem: false"
        ),
        "{}",
        run.stdout
    );

    // A patch named on the command line is checked: the user asked for it.
    let run = run_in(
        &fixtures,
        &["check", "-o", "json", "--fail-on", "never", "kustomize/overlays/prod/security.yaml"],
        None,
    );
    assert_eq!(objects_of(&run.json()).len(), 1);
}

#[test]
fn kustomizations_not_built_are_checked_file_by_file_and_broken_ones_are_errors() {
    let scratch = Scratch::new("kustomize");
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n";
    let hardening = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        securityContext:\n          privileged: false\n";
    // A generator is not built: a note says how to check what it deploys, and its files
    // are checked one by one, its patches left out.
    scratch.write("generated/deployment.yaml", deployment);
    scratch.write("generated/patch.yaml", hardening);
    scratch.write(
        "generated/kustomization.yaml",
        "resources: [deployment.yaml]\npatches:\n- path: patch.yaml\nconfigMapGenerator:\n- name: settings\n  literals: [a=b]\n",
    );
    let run = scratch.run(&["check", "-o", "json", "--fail-on", "never", "generated"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("note: generated/kustomization.yaml uses `configMapGenerator`, which rampart does not build")
            && run.stderr.contains("kubectl kustomize generated | rampart check -"),
        "{}",
        run.stderr
    );
    let objects = objects_of(&run.json());
    assert_eq!(objects, [("generated/deployment.yaml".to_string(), "Deployment".to_string(), "web".to_string())]);

    // A patch that matches nothing is an error at its line, as Kustomize refuses it.
    scratch.write("broken/deployment.yaml", deployment);
    scratch.write("broken/patch.yaml", hardening.replace("name: web", "name: api"));
    scratch.write("broken/kustomization.yaml", "resources: [deployment.yaml]\npatches:\n- path: patch.yaml\n");
    let run = scratch.run(&["check", "-o", "json", "--fail-on", "never", "broken"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error: broken/patch.yaml:1:1: the patch matches no object (no Deployment named 'api' among the resources)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(objects_of(&run.json()).len(), 1, "its files are still checked one by one");

    // A kustomization reads no file outside its own directory.
    scratch.write("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: outside\n");
    scratch.write("inner/app/kustomization.yaml", "resources: [../../secret.yaml]\n");
    scratch.write("inner/app/deployment.yaml", deployment);
    let run = scratch.run(&["check", "-o", "json", "--fail-on", "never", "inner"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is outside the kustomization's directory; it is not read"), "{}", run.stderr);
    assert!(objects_of(&run.json()).iter().all(|(_, kind, _)| kind != "Secret"));

    // --fix works file by file: overlays are not built.
    let run = scratch.run(&["check", "--diff", "generated"]);
    assert!(!run.stderr.contains("note:"), "{}", run.stderr);
}

#[path = "../../../shared/benches/corpus/mod.rs"]
#[allow(dead_code)]
mod corpus;

#[test]
fn every_core_gives_the_report_of_one() {
    // Many files of many objects, so every thread gets parsing and checking to do.
    let scratch = Scratch::new("threads");
    let text = corpus::generate(600).text;
    let documents: Vec<&str> = text.split("\n---\n").collect();
    for (index, chunk) in documents.chunks(25).enumerate() {
        scratch.write(&format!("corpus/part-{index:03}.yaml"), chunk.join("\n---\n"));
    }
    let run_with = |threads: &str, format: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_rampart"));
        command.args(["check", "-o", format, "--fail-on", "never", "corpus"]).current_dir(&scratch.path);
        let output = command.env("RAMPART_THREADS", threads).stdin(Stdio::null()).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    for format in ["json", "text"] {
        let one = run_with("1", format);
        assert!(one.len() > 50_000, "{format}: a report of {} bytes", one.len());
        assert_eq!(run_with("4", format), one, "{format}: four threads and one differ");
    }
}

#[test]
fn a_walk_parses_as_it_reads_and_gives_the_report_of_the_files_named() {
    // A directory's files are parsed on the threads that read them, each object then told
    // its file's place among the sources (after stdin's, here); files named one by one are
    // parsed with the check. Both give one report: each finding's file, line and fix.
    let scratch = Scratch::new("walk-parse");
    let text = corpus::generate(300).text;
    let documents: Vec<&str> = text.split("\n---\n").collect();
    let mut names = Vec::new();
    for (index, chunk) in documents.chunks(7).enumerate() {
        let name = format!("k8s/{}/part-{index:03}.yaml", ["a", "b", "c"][index % 3]);
        scratch.write(&name, chunk.join("\n---\n"));
        names.push(name);
    }
    scratch.write("k8s/b/broken.yaml", format!("a: [1, 2\n---\n{PRIVILEGED}"));
    names.push("k8s/b/broken.yaml".to_string());
    names.sort_by_key(|name| (name.rsplit_once('/').map(|(directory, _)| directory.to_string()), name.clone()));
    for threads in ["1", "3"] {
        let run = |paths: &[&str]| {
            let mut args = vec!["check", "-o", "json", "--fail-on", "never", "-"];
            args.extend_from_slice(paths);
            let mut command = Command::new(env!("CARGO_BIN_EXE_rampart"));
            command.args(&args).current_dir(&scratch.path).env("RAMPART_THREADS", threads);
            let mut child =
                command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            child.stdin.take().unwrap().write_all(PRIVILEGED.as_bytes()).unwrap();
            let output = child.wait_with_output().unwrap();
            assert_eq!(output.status.code(), Some(2), "the broken file: {}", String::from_utf8_lossy(&output.stderr));
            (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
        };
        let walked = run(&["k8s"]);
        let named = run(&names.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(walked, named, "{threads} threads: a walk and the files named differ");
        let report: Value = serde_json::from_str(&walked.0).unwrap();
        let sources: std::collections::BTreeSet<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| finding["resource"]["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources.len(), names.len() + 1, "findings in stdin and in every file: {sources:?}");
        assert_eq!(report["errors"][0]["source"], "k8s/b/broken.yaml");
    }
}

#[test]
fn a_parse_error_exits_2_and_the_other_documents_are_still_checked() {
    let scratch = Scratch::new("parse");
    scratch.write("stream.yaml", format!("a: [1, 2\nb: 3\n---\n{PRIVILEGED}"));
    let run = scratch.run(&["check", "-o", "json", "--fail-on", "never", "stream.yaml"]);
    assert_eq!(run.code, 2);
    let report = run.json();
    let error = &report["errors"][0];
    assert_eq!(error["source"], "stream.yaml");
    assert_eq!(error["line"], 2);
    assert!(error["column"].as_u64().unwrap() >= 1);
    assert!(error["message"].as_str().unwrap().starts_with("invalid YAML"), "{error}");
    assert_eq!(findings_of(&report, "pss-privileged")[0]["line"], 3 + 13);
    assert!(
        run.stderr.contains("error: stream.yaml:2:"),
        "machine formats repeat parse errors on stderr: {}",
        run.stderr
    );

    let run = scratch.run(&["check", "stream.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("error: stream.yaml:2:"), "{}", run.stdout);
    assert!(run.stdout.contains("critical[pss-privileged]"), "{}", run.stdout);
}

#[test]
fn unreadable_inputs_exit_2_and_name_the_file() {
    let scratch = Scratch::new("unreadable");
    scratch.write("good.yaml", PRIVILEGED);
    scratch.write("latin1.yaml", b"name: caf\xe9\n");
    let run = scratch.run(&["check", "-o", "json", "missing.yaml", "good.yaml", "latin1.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("error: cannot read 'missing.yaml': No such file or directory"), "{}", run.stderr);
    assert!(
        run.stderr.contains("error: 'latin1.yaml' is not UTF-8 text (invalid byte at offset 9); save it as UTF-8"),
        "{}",
        run.stderr
    );
    assert_eq!(findings_of(&run.json(), "pss-privileged").len(), 1, "readable files are still checked");
}

#[test]
fn configuration_files() {
    let scratch = Scratch::new("config");
    scratch.write("bad.yaml", PRIVILEGED);

    // ./rampart.yaml is read when it exists, and is not checked as a manifest.
    scratch.write("rampart.yaml", "disable: [pss-privileged]\npssVersion: v1.30\n");
    let run = scratch.run(&["check", "-o", "json", "."]);
    let report = run.json();
    assert!(findings_of(&report, "pss-privileged").is_empty(), "{}", run.stdout);
    assert_eq!(report["pss_version"], "v1.30");
    assert_eq!(report["objects"].as_array().unwrap().len(), 1, "rampart.yaml is configuration, not a manifest");

    // --pss-version overrides the configuration.
    let report = scratch.run(&["check", "-o", "json", "--pss-version", "v1.25", "bad.yaml"]).json();
    assert_eq!(report["pss_version"], "v1.25");

    // --config names another file.
    scratch.write("other.yaml", "severity:\n  pss-privileged: info\n");
    let report = scratch.run(&["check", "-o", "json", "--config", "other.yaml", "bad.yaml"]).json();
    assert_eq!(findings_of(&report, "pss-privileged")[0]["severity"], "info");

    // A bad configuration stops the check with its position and the next step.
    scratch.write("typo.yaml", "disable: [pss-privilegd]\n");
    let run = scratch.run(&["check", "--config", "typo.yaml", "bad.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with("error: invalid configuration typo.yaml:1:11: unknown rule 'pss-privilegd'"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--config"), "{}", run.stderr);

    let run = scratch.run(&["check", "--config", "absent.yaml", "bad.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read the configuration 'absent.yaml': No such file or directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn complete_lets_context_rules_conclude() {
    let scratch = Scratch::new("complete");
    scratch.write(
        "app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  mode: fast\n",
    );
    // Without --complete, the namespace's policies may live in other files: no verdict.
    let report = scratch.run(&["check", "-o", "json", "app.yaml"]).json();
    assert!(findings_of(&report, "namespace-without-default-deny").is_empty());
    let report = scratch.run(&["check", "-o", "json", "--complete", "app.yaml"]).json();
    let findings = findings_of(&report, "namespace-without-default-deny");
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["line"], 5);
}

#[test]
fn print_config_shows_the_effective_settings() {
    let scratch = Scratch::new("print-config");
    let run = scratch.run(&["check", "--print-config"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("(defaults only: no rampart.yaml found)"), "{}", run.stdout);
    assert!(run.stdout.contains("requiredLabels: [app, environment, owner]\n"), "{}", run.stdout);
    assert!(run.stdout.contains("pssVersion: v1.37\n"), "{}", run.stdout);
    scratch.write("rampart.yaml", "requiredLabels: [team]\nseverity: {cpu-limit-missing: info}\n");
    let run = scratch.run(&["check", "--print-config", "--pss-version", "v1.30"]);
    assert!(run.stdout.contains("requiredLabels: [team]\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  cpu-limit-missing: info\n"), "{}", run.stdout);
    assert!(run.stdout.contains("pssVersion: v1.30\n"), "{}", run.stdout);
}

#[test]
fn text_output_reads_like_a_compiler() {
    let scratch = Scratch::new("text");
    scratch.write("deploy.yaml", PRIVILEGED);
    let run = scratch.run(&["check", "deploy.yaml"]);
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains('\x1b'), "no colour when stdout is not a terminal");
    assert!(run.stdout.starts_with("Deployment prod/web  (deploy.yaml, document 1)  score "), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "critical[pss-privileged] container \"app\" runs privileged
  --> deploy.yaml:13:11
   |
13 |           privileged: true
   |           ^^^^^^^^^^
   = fix: Remove `privileged: true`"
        ),
        "{}",
        run.stdout
    );
    let summary = run.stdout.lines().last().unwrap();
    assert!(
        summary.contains("1 critical") && summary.contains("in 1 object") && summary.ends_with(", formula v2"),
        "{summary}"
    );
}

#[test]
fn sarif_and_junit_outputs() {
    let scratch = Scratch::new("formats");
    scratch.write("deploy.yaml", PRIVILEGED);
    let sarif: Value = serde_json::from_str(&scratch.run(&["check", "-o", "sarif", "deploy.yaml"]).stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "pss-privileged")
        .unwrap();
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "deploy.yaml");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 13);

    let junit = scratch.run(&["check", "-o", "junit", "deploy.yaml"]);
    assert_eq!(junit.code, 1);
    assert!(junit.stdout.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rampart\""));
    assert!(junit.stdout.contains("<testsuite name=\"deploy.yaml\""));
    assert!(junit.stdout.contains(
        "<testcase classname=\"Deployment/prod/web\" name=\"pss-privileged\">\n      <failure message=\"container &quot;app&quot; runs privileged\" type=\"critical\">"
    ), "{}", junit.stdout);
}

#[test]
fn rules_lists_every_rule() {
    let scratch = Scratch::new("rules");
    let run = scratch.run(&["rules"]);
    assert_eq!(run.code, 0);
    let header = run.stdout.lines().next().unwrap();
    assert!(header.starts_with("ID ") && header.ends_with("TITLE"), "{header}");
    let line = run.stdout.lines().find(|line| line.starts_with("pss-privileged ")).unwrap();
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&columns[..5], ["pss-privileged", "critical", "pss", "object", "baseline"]);
    assert!(line.ends_with("Privileged container"));

    let rules: Value = serde_json::from_str(&scratch.run(&["rules", "-o", "json"]).stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len() + 3, run.stdout.lines().count(), "one row per rule, a header, a blank line and a footer");
    let privileged = rules.iter().find(|rule| rule["id"] == "pss-privileged").unwrap();
    assert_eq!(
        *privileged,
        serde_json::json!({
            "id": "pss-privileged",
            "title": "Privileged container",
            "severity": "critical",
            "family": "pss",
            "scope": "object",
            "pss": {"level": "baseline", "check": "privileged", "since": "v1.0"},
            "guide_layer": 3,
            "cis": "5.2.2",
            "remediation": "Remove `privileged: true` from the container's securityContext (or set it to false).",
            "autofix": true,
            "controls": {"cis": ["5.2.2"], "nsa": ["pod-hardening"], "pss": ["privileged"], "layers": ["3"]},
        })
    );
    for rule in rules {
        for key in [
            "id",
            "title",
            "severity",
            "family",
            "scope",
            "pss",
            "guide_layer",
            "cis",
            "remediation",
            "autofix",
            "controls",
        ] {
            assert!(rule.get(key).is_some(), "{key} missing from {rule}");
        }
    }
}

#[test]
fn explain_prints_documentation_and_suggests_ids() {
    let scratch = Scratch::new("explain");
    let run = scratch.run(&["explain", "pss-privileged"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("pss-privileged: Privileged container\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  severity     critical\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  pss          baseline, check `privileged`, since v1.0\n"), "{}", run.stdout);
    for section in ["## What it checks", "## Why it matters", "## Example", "## Use instead", "## References"] {
        assert!(run.stdout.contains(section), "{section} missing");
    }

    let run = scratch.run(&["explain", "pss-privilegd"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("unknown rule 'pss-privilegd'; did you mean 'pss-privileged'?"), "{}", run.stderr);
    assert!(run.stderr.contains("`rampart rules`"), "{}", run.stderr);
}

/// A Deployment with one safe fix (the pull policy) and unsafe ones (privileged, no
/// seccomp profile, …), with comments that must survive.
const FIXABLE: &str = "\
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27   # pinned later
        imagePullPolicy: IfNotPresent
        securityContext:
          privileged: true
";

#[test]
fn fix_rewrites_files_with_safe_fixes_only() {
    let scratch = Scratch::new("fix");
    let path = scratch.write("deploy.yaml", FIXABLE);
    let run = scratch.run(&["check", "--fix", "-o", "json", "deploy.yaml"]);
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert_eq!(fixed, FIXABLE.replace("IfNotPresent", "Always"), "only the safe fix is applied");
    assert!(run.stderr.contains("fixed 1 finding in 1 file"), "{}", run.stderr);
    let report = run.json();
    assert!(findings_of(&report, "image-pull-policy-not-always").is_empty(), "the report is of the fixed file");
    assert_eq!(findings_of(&report, "pss-privileged").len(), 1);
    assert_eq!(findings_of(&report, "pss-privileged")[0]["fix"]["safety"], "unsafe");

    let run = scratch.run(&["check", "--fix", "--unsafe-fixes", "-o", "json", "deploy.yaml"]);
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(!fixed.contains("privileged"), "{fixed}");
    assert!(fixed.starts_with("# the web tier\n") && fixed.contains("image: nginx:1.27   # pinned later\n"));
    let report = run.json();
    assert_eq!(report["objects"][0]["pss"], "restricted", "{fixed}");
    let again = scratch.run(&["check", "--fix", "--unsafe-fixes", "deploy.yaml"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fixed, "fixing is idempotent");
    assert!(again.stderr.contains("fixed 0 findings in 0 files"), "{}", again.stderr);
}

#[test]
fn diff_prints_the_fixes_and_writes_nothing() {
    let scratch = Scratch::new("diff");
    let path = scratch.write("deploy.yaml", FIXABLE);
    let run = scratch.run(&["check", "--diff", "deploy.yaml"]);
    assert_eq!(run.code, 1, "something to change\n{}", run.stderr);
    assert_eq!(
        run.stdout,
        "\
--- a/deploy.yaml
+++ b/deploy.yaml
@@ -10,6 +10,6 @@
       containers:
       - name: app
         image: nginx:1.27   # pinned later
-        imagePullPolicy: IfNotPresent
+        imagePullPolicy: Always
         securityContext:
           privileged: true
"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), FIXABLE, "--diff writes nothing");
    let run = scratch.run(&["check", "--diff", "--unsafe-fixes", "deploy.yaml"]);
    assert!(run.stdout.contains("-          privileged: true\n"), "{}", run.stdout);
    assert!(run.stdout.contains("+          allowPrivilegeEscalation: false\n"), "{}", run.stdout);

    let clean = scratch.write("clean.yaml", widget("w"));
    let run = scratch.run(&["check", "--diff", clean.to_str().unwrap()]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "nothing to change");
    let run = scratch.run(&["check", "--unsafe-fixes", "deploy.yaml"]);
    assert_eq!(run.code, 2, "--unsafe-fixes needs --fix or --diff");
}

#[test]
fn stdin_with_fix_prints_the_fixed_manifest() {
    let scratch = Scratch::new("fix-stdin");
    let run = scratch.run_with_stdin(&["check", "--fix", "--unsafe-fixes", "-"], FIXABLE);
    assert!(run.stdout.starts_with("# the web tier\n"), "{}", run.stdout);
    assert!(run.stdout.contains("        imagePullPolicy: Always\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("privileged: true"), "{}", run.stdout);
    assert!(run.stderr.contains("fixed ") && run.stderr.contains(" in 1 file"), "{}", run.stderr);
    assert!(run.stderr.contains(" — score "), "the report goes to stderr: {}", run.stderr);
    let recheck = scratch.run_with_stdin(&["check", "-o", "json", "-"], &run.stdout);
    assert_eq!(recheck.json()["objects"][0]["pss"], "restricted");
}

#[test]
fn text_output_marks_fixable_findings() {
    let scratch = Scratch::new("fixable");
    scratch.write("deploy.yaml", FIXABLE);
    let run = scratch.run(&["check", "deploy.yaml"]);
    assert!(run.stdout.contains("   = fix available (safe): rampart check --fix\n"), "{}", run.stdout);
    assert!(run.stdout.contains("   = fix available (unsafe): rampart check --fix --unsafe-fixes\n"));
    assert!(run.stdout.contains("1 fixable with rampart check --fix, "), "{}", run.stdout);
}

/// The repository's example policies (with their PolicyTest cases).
fn example_policies() -> String {
    format!("{}/../examples/policies", env!("CARGO_MANIFEST_DIR"))
}

const SIX_REPLICAS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: wide
  namespace: shop
  labels: {app: wide, owner: shop}
spec:
  replicas: 6
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/wide:latest
";

#[test]
fn policies_from_the_command_line_and_the_configuration_report_findings_on_their_lines() {
    let scratch = Scratch::new("policies");
    scratch.write("deploy.yaml", SIX_REPLICAS);
    let policies = example_policies();
    let run = scratch.run(&["check", "-o", "json", "--fail-on", "critical", "--policy", &policies, "deploy.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let replicas = findings_of(&report, "vap/replica-limit");
    assert_eq!(replicas.len(), 1, "{report}");
    assert_eq!(replicas[0]["message"], "replicas must be at most 5, not 6");
    assert_eq!(replicas[0]["severity"], "high");
    assert_eq!(replicas[0]["line"], 8);
    assert_eq!(replicas[0]["path"], "spec.replicas");
    let latest = findings_of(&report, "vap/no-latest-tag");
    assert_eq!(latest[0]["message"], "containers without a pinned tag: app");
    // Labels are complete; trusted registries pass; both count as passes.
    assert!(findings_of(&report, "vap/required-labels").is_empty());
    assert!(findings_of(&report, "vap/trusted-registries").is_empty());
    let passed = report["objects"][0]["passed_policies"].as_array().unwrap();
    assert!(
        passed.contains(&Value::from("vap/required-labels")) && passed.contains(&Value::from("vap/trusted-registries")),
        "{passed:?}"
    );
    assert_eq!(report["policies"]["policies"].as_array().unwrap().len(), 4);
    // A high policy finding fails the default threshold like any rule.
    assert_eq!(scratch.run(&["check", "--policy", &policies, "deploy.yaml"]).code, 1);

    // The same policies named by rampart.yaml, relative to it.
    scratch.write(
        "config/rampart.yaml",
        format!("policies: [{}]\n", Path::new(&policies).join("replica-limit.yaml").display()),
    );
    scratch.write("config/local/rampart.yaml", "policies: [../../mine/]\n");
    scratch.write("mine/limit.yaml", std::fs::read_to_string(Path::new(&policies).join("replica-limit.yaml")).unwrap());
    for config in ["config/rampart.yaml", "config/local/rampart.yaml"] {
        let run = scratch.run(&["check", "-o", "json", "--config", config, "deploy.yaml"]);
        assert_eq!(findings_of(&run.json(), "vap/replica-limit").len(), 1, "{config}: {}", run.stderr);
    }
    let run = scratch.run(&["check", "--policy", "missing-dir", "deploy.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read 'missing-dir'"), "{}", run.stderr);
}

#[test]
fn policies_in_the_input_apply_only_with_policies_from_input() {
    let scratch = Scratch::new("policies-input");
    let policy = std::fs::read_to_string(Path::new(&example_policies()).join("replica-limit.yaml")).unwrap();
    scratch.write("all.yaml", format!("{policy}\n---\n{SIX_REPLICAS}"));
    let run = scratch.run(&["check", "-o", "json", "all.yaml"]);
    assert!(findings_of(&run.json(), "vap/replica-limit").is_empty());
    let run = scratch.run(&["check", "-o", "json", "--policies-from-input", "all.yaml"]);
    assert_eq!(findings_of(&run.json(), "vap/replica-limit").len(), 1, "{}", run.stderr);
}

#[test]
fn a_policy_error_is_an_error_at_its_line_and_an_unbound_policy_a_note() {
    let scratch = Scratch::new("policy-error");
    scratch.write("deploy.yaml", SIX_REPLICAS);
    scratch.write(
        "bad.yaml",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: bad}\nspec:\n  matchConstraints:\n    resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}]\n  validations:\n  - expression: \"object.metadata.name.startWith('demo')\"\n",
    );
    let run = scratch.run(&["check", "--policy", "bad.yaml", "deploy.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: bad.yaml:8:39: policy 'bad': validations[0].expression: function 'startWith' is not supported by Rampart"),
        "{}",
        run.stderr
    );
    let good = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: good}\nspec:\n  matchConstraints:\n    resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}]\n  validations:\n  - expression: \"false\"\n";
    scratch.write("unbound.yaml", good);
    let run = scratch.run(&["check", "-o", "json", "--policy", "unbound.yaml", "deploy.yaml"]);
    assert!(run.stderr.contains("note: unbound.yaml:1: policy 'good' has no binding"), "{}", run.stderr);
    assert!(findings_of(&run.json(), "vap/good").is_empty());
    let run = scratch.run(&["check", "-o", "json", "--unbound-policies", "--policy", "unbound.yaml", "deploy.yaml"]);
    assert_eq!(findings_of(&run.json(), "vap/good").len(), 1);
}

/// The examples of Kubernetes' ValidatingAdmissionPolicy documentation
/// (examples/kubernetes-docs/): each folder's cases state what the API server does with each
/// object — allowed, or denied with the exact message — and all of them hold.
#[test]
fn the_kubernetes_documentations_policy_examples_evaluate_as_the_api_server_documents() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/kubernetes-docs");
    let expected = [
        ("audit-annotations", 2),
        ("basic", 5),
        ("expressions", 22),
        ("match-conditions", 6),
        ("params", 4),
        ("type-checking", 1),
        ("variables", 6),
    ];
    let mut folders: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|entry| entry.ok().filter(|entry| entry.path().is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(folders, expected.map(|(folder, _)| folder), "every example folder is run");
    for (folder, cases) in expected {
        let run = run_in(&root, &["policy", "test", folder], None);
        assert_eq!(run.code, 0, "{folder}:\n{}{}", run.stdout, run.stderr);
        let summary = format!("{cases} passed, 0 failed");
        assert!(run.stdout.lines().any(|line| line == summary), "{folder}: want {summary:?}:\n{}", run.stdout);
        assert!(run.stderr.lines().all(|line| !line.starts_with("error")), "{folder}: {}", run.stderr);
    }
}

#[test]
fn policy_test_runs_the_cases_kept_beside_the_policies() {
    let run = run_in(Path::new(env!("CARGO_MANIFEST_DIR")), &["policy", "test", &example_policies()], None);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.lines().any(|line| line == "11 passed, 0 failed"), "{}", run.stdout);
    assert!(run.stdout.contains("PASS six replicas are denied"));

    let scratch = Scratch::new("policy-test");
    scratch.write(
        "limit.yaml",
        std::fs::read_to_string(Path::new(&example_policies()).join("replica-limit.yaml")).unwrap(),
    );
    scratch.write(
        "more.yaml",
        "apiVersion: rampart.dev/v1\nkind: PolicyTest\nmetadata: {name: wrong}\ncases:\n- name: expects the wrong message\n  object: {apiVersion: apps/v1, kind: Deployment, metadata: {name: w}, spec: {replicas: 9}}\n  expect: deny\n  message: too many\n- name: expects allow\n  object: {apiVersion: apps/v1, kind: Deployment, metadata: {name: w}, spec: {replicas: 9}}\n  expect: allow\n",
    );
    let run = scratch.run(&["policy", "test", "."]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL expects the wrong message (./more.yaml:5): denied, but with \"replicas must be at most 5, not 9\" instead of \"too many\""), "{}", run.stdout);
    assert!(run.stdout.contains("FAIL expects allow"), "{}", run.stdout);
    assert!(run.stdout.lines().any(|line| line == "3 passed, 2 failed"), "{}", run.stdout);

    let empty = Scratch::new("policy-test-empty");
    empty.write("limit.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    let run = empty.run(&["policy", "test", "."]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no test cases"), "{}", run.stderr);
}

#[test]
fn check_prints_a_framework_view() {
    let scratch = Scratch::new("framework");
    scratch.write("deploy.yaml", PRIVILEGED);
    let run = scratch.run(&["check", "--framework", "cis", "deploy.yaml"]);
    // The exit code is the findings', as without --framework.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("FAIL  5.2.2 "), "{}", run.stdout);
    // No rule assesses 5.1.7: not assessed, never passing.
    assert!(run.stdout.contains("N/A   5.1.7 "), "{}", run.stdout);
    assert!(run.stdout.contains("(no rule assesses this control)"), "{}", run.stdout);

    let view = scratch.run(&["check", "--framework", "pss", "-o", "json", "deploy.yaml"]).json();
    assert_eq!(view["framework"], "pss");
    let controls = view["controls"].as_array().unwrap();
    let privileged = controls.iter().find(|control| control["id"] == "privileged").unwrap();
    assert_eq!(privileged["status"], "fail");
    assert_eq!(privileged["failed_rules"][0], "pss-privileged");
    let host_ports = controls.iter().find(|control| control["id"] == "hostPorts").unwrap();
    assert_eq!(host_ports["status"], "pass");
    let counts = &view["counts"];
    let total = ["pass", "fail", "not_assessed"].iter().map(|key| counts[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total as usize, controls.len());

    // Objects no rule reads assess nothing: every control is not assessed.
    scratch.write("widget.yaml", widget("w"));
    let view = scratch.run(&["check", "--framework", "layers", "-o", "json", "widget.yaml"]).json();
    assert_eq!(view["counts"]["pass"], 0);
    assert_eq!(view["counts"]["fail"], 0);

    let run = scratch.run(&["check", "--framework", "iso", "deploy.yaml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected cis, nsa, pss or layers"), "{}", run.stderr);
    let run = scratch.run(&["check", "--framework", "cis", "-o", "sarif", "deploy.yaml"]);
    assert_eq!(run.code, 2);
}
