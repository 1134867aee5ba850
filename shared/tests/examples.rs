//! The sample inputs of examples/: the hardened namespace comes out clean (a false positive
//! there is a bug), the insecure ones fail on every family, and the full JSON report of
//! each is pinned by a snapshot so any change of findings, lines or scores is reviewed.
//!
//! After an intended change, rewrite the snapshots with
//! `RAMPART_UPDATE_SNAPSHOTS=1 cargo test -p rampart-core --test examples` and review the diff.

use std::collections::BTreeSet;

use rampart_core::{check, report, Options, Report, Source};

fn check_example(name: &str) -> Report {
    let path = format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    check(&[Source::new(format!("examples/{name}"), text)], &Options::default())
}

fn assert_snapshot(name: &str, report: &Report) {
    let path = format!("{}/tests/snapshots/{}.json", env!("CARGO_MANIFEST_DIR"), name.trim_end_matches(".yaml"));
    let actual = report::json(report);
    if std::env::var_os("RAMPART_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("cannot read the snapshot {path} ({error}); create it with RAMPART_UPDATE_SNAPSHOTS=1")
    });
    if actual != expected {
        let first_difference = actual
            .lines()
            .zip(expected.lines())
            .position(|(left, right)| left != right)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
        panic!(
            "the report of examples/{name} differs from {path} at line {}:\n  now:      {}\n  snapshot: {}\nrerun with RAMPART_UPDATE_SNAPSHOTS=1 if the change is intended",
            first_difference + 1,
            actual.lines().nth(first_difference).unwrap_or("<end>"),
            expected.lines().nth(first_difference).unwrap_or("<end>"),
        );
    }
}

#[test]
fn the_hardened_namespace_is_clean() {
    let report = check_example("hardened-deployment.yaml");
    assert!(report.errors.is_empty());
    let findings: Vec<(&str, u32)> =
        report.findings.iter().map(|finding| (finding.rule.as_ref(), finding.line)).collect();
    assert!(findings.is_empty(), "false positives: {findings:?}");
    assert_eq!(report.score, 100);
    let deployment = report.objects.iter().find(|object| object.resource.kind == "Deployment").unwrap();
    assert_eq!(deployment.pss, Some(rampart_core::pss::PssLevel::Restricted));
    assert_snapshot("hardened-deployment.yaml", &report);
}

#[test]
fn the_insecure_namespace_fails_on_every_family() {
    let report = check_example("insecure-namespace.yaml");
    let families: BTreeSet<&str> = report
        .findings
        .iter()
        .map(|finding| rampart_core::rules::find(&finding.rule).unwrap().family.as_str())
        .collect();
    assert_eq!(
        families.into_iter().collect::<Vec<_>>(),
        ["control-plane", "images", "namespaces", "network", "pss", "rbac", "secrets", "workloads"]
    );
    let on = |rule: &str| report.findings.iter().find(|finding| finding.rule == rule).map(|finding| finding.line);
    assert_eq!(on("namespace-without-default-deny"), Some(6));
    assert_eq!(on("namespace-pss-not-enforced"), Some(8));
    assert_eq!(on("pss-privileged"), Some(42));
    assert_eq!(on("credential-in-env-literal"), Some(40));
    assert_eq!(on("secret-data-in-manifest"), Some(61));
    assert_eq!(on("rbac-wildcard"), Some(78));
    assert_eq!(on("rbac-cluster-admin-binding"), Some(91));
    assert_eq!(on("kubelet-read-only-port"), Some(102));
    assert_snapshot("insecure-namespace.yaml", &report);
}

#[test]
fn the_insecure_deployment_scores_below_the_hardened_one() {
    let insecure = check_example("insecure-deployment.yaml");
    let hardened = check_example("hardened-deployment.yaml");
    assert!(insecure.score < 60 && hardened.score == 100, "{} vs {}", insecure.score, hardened.score);
    assert_eq!(insecure.objects[0].pss, Some(rampart_core::pss::PssLevel::Privileged));
    assert_snapshot("insecure-deployment.yaml", &insecure);
}
