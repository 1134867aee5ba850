//! Validates `rampart check -o sarif` with the official SARIF Multitool
//! (`@microsoft/sarif-multitool`, installed under `playwright/` by `cargo xtask test`).
//!
//! The validator checks the log against the SARIF 2.1.0 schema and Microsoft's authoring
//! rules. Two traps shape this test: the validator exits 0 whatever it finds, so its JSON
//! log is read and its `error` results counted; and it reports nothing at all for a file
//! it cannot deserialize (an unknown enum value, say), so a canary copy of the same log
//! with one property the schema forbids must produce an error, proving the log was read.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{playwright_dir, require_npm_package};

const MANIFESTS: &str = "\
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
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: prod
  annotations:
    rampart.dev/ignore: pss-privileged
    rampart.dev/ignore-reason: \"break-glass pod, ticket <OPS-12> & review\"
spec:
  containers:
  - name: shell
    image: busybox
    securityContext: {privileged: true}
---
broken: [1, 2
next: 3
";

/// Runs the validator on `file` and returns its SARIF log of findings.
fn validate(file: &Path, log: &Path) -> Value {
    let file = file.to_str().expect("a UTF-8 temporary path");
    let log_path = log.to_str().expect("a UTF-8 temporary path");
    // The npm wrapper runs the tool through a shell: paths must not need quoting, and
    // lists separated by `;` are quoted for that shell.
    assert!(!file.contains([' ', '\'', '"', ';', '&']), "temporary path needs quoting: {file}");
    let output = Command::new("npx")
        .args(["--no-install", "sarif-multitool", "validate", file, "--output", log_path])
        .args(["--log", "\"ForceOverwrite;PrettyPrint\"", "--level", "\"Error;Warning;Note\""])
        .current_dir(playwright_dir())
        // .NET needs ICU for culture data unless told to run culture-invariant; a minimal
        // Debian machine may not have libicu.
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run npx ({error}); install Node.js and npm, then run `cargo xtask test`")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the SARIF Multitool failed ({}):\n{stdout}\n{stderr}", output.status);
    let text = std::fs::read_to_string(log).unwrap_or_else(|error| {
        panic!("the SARIF Multitool wrote no log at {log_path} ({error}):\n{stdout}\n{stderr}")
    });
    serde_json::from_str(&text).expect("the validator's log is JSON")
}

/// The validator's results at `level` (a result without a level is a warning).
fn results_at<'a>(log: &'a Value, level: &str) -> Vec<&'a Value> {
    log["runs"][0]["results"]
        .as_array()
        .map(|results| results.iter().filter(|result| result["level"].as_str().unwrap_or("warning") == level).collect())
        .unwrap_or_default()
}

fn describe(results: &[&Value]) -> String {
    results
        .iter()
        .map(|result| {
            let message = &result["message"];
            let text = message["text"].as_str().map(str::to_string).unwrap_or_else(|| message["arguments"].to_string());
            format!("  {}: {text}", result["ruleId"].as_str().unwrap_or("?"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn sarif_output_passes_the_official_validator() {
    require_npm_package("@microsoft/sarif-multitool", "the SARIF Multitool");

    let scratch = std::env::temp_dir().join(format!("rampart-sarif-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("k8s")).unwrap();
    std::fs::write(scratch.join("k8s").join("web app.yaml"), MANIFESTS).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["check", "-o", "sarif", "k8s"])
        .current_dir(&scratch)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "a parse error exits 2");
    let sarif: Value = serde_json::from_slice(&output.stdout).expect("SARIF is JSON");

    // The log holds what this test is meant to validate.
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(results.iter().any(|result| result["ruleId"] == "pss-privileged" && result.get("suppressions").is_none()));
    assert!(results
        .iter()
        .any(|result| result["ruleId"] == "pss-privileged" && result["suppressions"][0]["kind"] == "inSource"));
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "k8s/web%20app.yaml");
    assert_eq!(run["invocations"][0]["toolExecutionNotifications"].as_array().unwrap().len(), 1);

    let file = scratch.join("rampart.sarif");
    std::fs::write(&file, &output.stdout).unwrap();
    let log = validate(&file, &scratch.join("validation.sarif"));
    let errors = results_at(&log, "error");
    let warnings = results_at(&log, "warning");
    eprintln!(
        "SARIF Multitool: {} errors, {} warnings, {} notes",
        errors.len(),
        warnings.len(),
        results_at(&log, "note").len()
    );
    assert!(errors.is_empty(), "the SARIF Multitool found errors:\n{}", describe(&errors));

    // The canary: the same log with a property the schema forbids must fail, or the
    // validator did not really read the log.
    let mut canary = sarif.clone();
    canary["runs"][0]["tool"]["driver"]["notASarifProperty"] = Value::Bool(true);
    let canary_file = scratch.join("canary.sarif");
    std::fs::write(&canary_file, serde_json::to_string_pretty(&canary).unwrap()).unwrap();
    let canary_log = validate(&canary_file, &scratch.join("canary-validation.sarif"));
    assert!(
        !results_at(&canary_log, "error").is_empty(),
        "the SARIF Multitool reported no error for a log with an unknown property; it did not validate the log"
    );

    let _ = std::fs::remove_dir_all(&scratch);
}
