//! The hardening guide's own examples (examples/guide/) get the findings a reader of the
//! guide expects, on the right lines: its "secure" manifests pass what they claim to fix,
//! and the weaknesses it leaves in (or marks as bad) are found where they are written.

use rampart_core::pss::PssLevel;
use rampart_core::{check, Options, Report, Source};

fn check_example(name: &str) -> Report {
    check_examples(&[name])
}

fn check_examples(names: &[&str]) -> Report {
    let sources: Vec<Source> = names
        .iter()
        .map(|name| {
            let path = format!("{}/../examples/guide/{name}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
            Source::new(*name, text)
        })
        .collect();
    let report = check(&sources, &Options::default());
    assert!(report.errors.is_empty(), "{names:?}: {:?}", report.errors);
    report
}

/// (rule, line, path) of every finding.
fn found(report: &Report) -> Vec<(&str, u32, &str)> {
    report.findings.iter().map(|finding| (finding.rule.as_ref(), finding.line, finding.path.as_str())).collect()
}

fn has(report: &Report, rule: &str, line: u32) -> bool {
    report.findings.iter().any(|finding| finding.rule == rule && finding.line == line)
}

#[test]
fn the_security_context_example_meets_restricted_but_uses_latest() {
    let report = check_example("layer3-security-context.yaml");
    assert_eq!(report.objects[0].pss, Some(PssLevel::Restricted));
    assert!(report.findings.iter().all(|finding| !finding.rule.starts_with("pss-")), "{:?}", found(&report));
    assert!(has(&report, "image-tag-latest", 16), "{:?}", found(&report));
    assert!(!report.findings.iter().any(|finding| finding.rule == "read-only-root-filesystem"));
    assert!(!report
        .findings
        .iter()
        .any(|finding| finding.rule == "run-as-high-uid" && finding.severity > rampart_core::Severity::Low));
}

#[test]
fn the_apparmor_example_is_baseline_only() {
    let report = check_example("layer3-apparmor-seccomp.yaml");
    assert_eq!(report.objects[0].pss, Some(PssLevel::Baseline));
    assert!(has(&report, "pss-allow-privilege-escalation", 13), "{:?}", found(&report));
    assert!(has(&report, "pss-run-as-non-root", 13), "{:?}", found(&report));
    assert!(!report.findings.iter().any(|finding| finding.rule == "pss-app-armor-profile"));
    assert!(!report.findings.iter().any(|finding| finding.rule == "pss-seccomp-profile-restricted"));
}

#[test]
fn the_bad_secret_is_found_and_the_rotating_external_secret_passes() {
    let report = check_example("layer5-secret-in-git.yaml");
    assert!(has(&report, "secret-data-in-manifest", 6), "{:?}", found(&report));
    let report = check_example("layer5-external-secret-rotation.yaml");
    assert!(report.objects[0].passed.contains(&"external-secret-no-rotation"));
}

#[test]
fn the_namespace_example_enforces_restricted() {
    // Alone, the production namespace has no NetworkPolicy at all...
    let report = check_example("layer3-namespace-pod-security.yaml");
    assert_eq!(found(&report), [("namespace-without-default-deny", 5, "metadata.name")]);
    assert!(report.findings[0].message.ends_with("policies considered: none in the input"));
    // ...with the guide's network policies beside it, it is covered.
    let report = check_examples(&["layer3-namespace-pod-security.yaml", "layer1-network-policies.yaml"]);
    assert!(report.findings.iter().all(|finding| finding.resource.kind != "Namespace"), "{:?}", found(&report));
    assert!(report.objects[0].passed.contains(&"namespace-pss-not-enforced"));
    assert!(report.objects[0].passed.contains(&"namespace-pss-below-restricted"));
}

#[test]
fn the_service_account_example_keeps_its_token_unmounted() {
    let report = check_example("layer2-service-account.yaml");
    let deployment = report.objects.iter().find(|object| object.resource.kind == "Deployment").unwrap();
    assert!(deployment.passed.contains(&"service-account-token-automount"), "{:?}", found(&report));
    assert!(deployment.passed.contains(&"default-service-account"));
}

#[test]
fn admission_examples_enforce() {
    let report = check_example("layer4-image-scan-webhook.yaml");
    assert!(report.objects[0].passed.contains(&"webhook-fails-open"), "{:?}", found(&report));
    let report = check_example("layer6-gatekeeper-required-labels.yaml");
    let constraint = report.objects.iter().find(|object| object.resource.kind == "K8sRequiredLabels").unwrap();
    assert!(constraint.passed.contains(&"policy-engine-audit-only"));
}

#[test]
fn the_pod_spec_fragment_is_not_checked() {
    let report = check_example("layer4-image-pull-policy.yaml");
    assert_eq!(report.summary.not_checked, 1);
}

#[test]
fn the_too_permissive_role_is_found_on_its_wildcards_and_the_least_privilege_role_passes() {
    let report = check_example("layer2-rbac-least-privilege.yaml");
    assert!(report.findings.iter().any(|finding| finding.rule == "rbac-wildcard"
        && finding.line == 9
        && finding.path == "rules[0].verbs[0]"
        && finding.resource.name == "bad-role"));
    let pod_reader = report.objects.iter().find(|object| object.resource.name == "pod-reader").unwrap();
    assert!(pod_reader.failed.is_empty(), "{:?}", pod_reader.failed);
    assert!(pod_reader.passed.contains(&"rbac-wildcard"));
}

#[test]
fn the_apiserver_flags_of_the_guide_name_a_removed_plugin_and_miss_encryption() {
    let report = check_example("layer1-apiserver-static-pod.yaml");
    assert!(has(&report, "apiserver-obsolete-admission-plugin", 17), "{:?}", found(&report));
    assert!(has(&report, "apiserver-encryption-at-rest", 13), "{:?}", found(&report));
    for passed in
        ["apiserver-anonymous-auth", "apiserver-authorization-mode", "apiserver-admission-plugins", "apiserver-tls"]
    {
        assert!(report.objects[0].passed.contains(&passed), "{passed}: {:?}", found(&report));
    }
    let report = check_example("layer1-etcd-encryption-config.yaml");
    assert_eq!(found(&report), [("encryption-config-weak-provider", 7, "resources[0].providers[0].aescbc")]);
}
