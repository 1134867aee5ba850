//! The engine end to end: objects found in every workload kind and in Lists, findings on
//! the right lines, exemptions, configuration, and evidence-based scores.

use rampart_core::{check, Config, Options, Report, Severity, Source};

fn run(text: &str) -> Report {
    run_with(text, Options::default())
}

fn run_with(text: &str, options: Options) -> Report {
    check(&[Source::new("input.yaml", text)], &options)
}

fn findings_of<'r>(report: &'r Report, rule: &str) -> Vec<&'r rampart_core::Finding> {
    report.findings.iter().filter(|finding| finding.rule == rule).collect()
}

const CRONJOB: &str = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: jobs
spec:
  schedule: '0 3 * * *'
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
          - name: setup
            image: busybox:1.36
          containers:
          - name: main
            image: busybox:1.36
          - name: sidecar
            image: busybox:1.36
            securityContext:
              privileged: true
";

#[test]
fn paths_point_into_the_real_document_of_every_workload_kind() {
    let report = run(CRONJOB);
    let privileged = findings_of(&report, "pss-privileged");
    assert_eq!(privileged.len(), 1);
    assert_eq!(privileged[0].path, "spec.jobTemplate.spec.template.spec.containers[1].securityContext.privileged");
    assert_eq!((privileged[0].line, privileged[0].column), (21, 15));
    assert_eq!(privileged[0].resource.kind, "CronJob");
    assert_eq!(privileged[0].resource.namespace.as_deref(), Some("jobs"));
    assert_eq!(privileged[0].message, "container \"sidecar\" runs privileged");
}

#[test]
fn a_missing_field_points_at_its_nearest_existing_parent() {
    let report = run(CRONJOB);
    let writable = findings_of(&report, "read-only-root-filesystem");
    // The init container, the main container (no securityContext: the container's line)
    // and the sidecar (securityContext exists: its line).
    let lines: Vec<u32> = writable.iter().map(|finding| finding.line).collect();
    assert_eq!(lines, vec![13, 16, 20]);
    assert_eq!(
        writable[0].path,
        "spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem"
    );
}

#[test]
fn every_workload_kind_is_checked() {
    let pod_spec = "spec:\n  containers:\n  - name: c\n    image: x:1\n    securityContext: {privileged: true}\n";
    let indent = |text: &str, spaces: usize| {
        text.lines().map(|line| format!("{}{line}\n", " ".repeat(spaces))).collect::<String>()
    };
    let kinds = [
        ("v1", "Pod", "", 0),
        ("v1", "PodTemplate", "template:\n", 2),
        ("v1", "ReplicationController", "spec:\n  template:\n", 4),
        ("apps/v1", "Deployment", "spec:\n  template:\n", 4),
        ("apps/v1", "ReplicaSet", "spec:\n  template:\n", 4),
        ("apps/v1", "StatefulSet", "spec:\n  template:\n", 4),
        ("apps/v1", "DaemonSet", "spec:\n  template:\n", 4),
        ("batch/v1", "Job", "spec:\n  template:\n", 4),
        ("batch/v1", "CronJob", "spec:\n  jobTemplate:\n    spec:\n      template:\n", 8),
    ];
    for (api_version, kind, wrapper, spaces) in kinds {
        let text = format!(
            "apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: x\n{wrapper}{}",
            indent(pod_spec, spaces)
        );
        let report = run(&text);
        assert_eq!(findings_of(&report, "pss-privileged").len(), 1, "{kind}: {:?}", report.errors);
        assert_eq!(report.objects[0].pss, Some(rampart_core::pss::PssLevel::Privileged), "{kind}");
    }
}

#[test]
fn lists_are_unwrapped_and_broken_documents_do_not_hide_the_rest() {
    let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    containers: [{name: c, image: 'x:1', securityContext: {privileged: true}}]
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: b}
---
this: is: not: yaml
---
apiVersion: v1
kind: Pod
metadata: {name: c}
spec:
  ephemeralContainers:
  - name: debug
    image: x:1
    securityContext:
      privileged: true
";
    let report = run(text);
    assert_eq!(report.objects.len(), 3);
    assert_eq!(report.objects[0].resource.document, 0);
    assert_eq!(report.objects[2].resource.document, 1);
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].line, 13);
    let privileged = findings_of(&report, "pss-privileged");
    assert_eq!(privileged.len(), 2);
    assert_eq!(privileged[0].line, 8);
    assert_eq!(privileged[1].path, "spec.ephemeralContainers[0].securityContext.privileged");
    assert_eq!(privileged[1].line, 23);
}

const PRIVILEGED_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: tool
  namespace: ops
  annotations:
    rampart.dev/ignore: \"pss-privileged, read-only-root-filesystem\"
    rampart.dev/ignore-reason: node debugging tool, reviewed by security
spec:
  containers:
  - name: c
    image: x:1
    securityContext: {privileged: true}
";

#[test]
fn annotation_exemptions_are_reported_as_exempted_with_their_reason() {
    let report = run(PRIVILEGED_POD);
    let privileged = findings_of(&report, "pss-privileged");
    assert_eq!(privileged.len(), 1);
    assert!(privileged[0].exempted);
    assert_eq!(privileged[0].exemption_reason.as_deref(), Some("node debugging tool, reviewed by security (Pod tool)"));
    assert_eq!(report.summary.critical, 0);
    assert!(report.summary.exempted >= 2);
    assert!(!report.fails_at(Severity::Critical));
    // Exempted findings do not count against the score, but the PSS level stays honest.
    assert_eq!(report.objects[0].pss, Some(rampart_core::pss::PssLevel::Privileged));
    assert!(!report.objects[0].failed.contains(&"pss-privileged"));
}

#[test]
fn a_namespace_annotation_exempts_its_objects() {
    let text = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ops\n  annotations:\n    rampart.dev/ignore: pss-privileged\n---\n{}",
        PRIVILEGED_POD.replace("    rampart.dev/ignore: \"pss-privileged, read-only-root-filesystem\"\n", "    other: x\n")
    );
    let report = run(&text);
    let privileged = findings_of(&report, "pss-privileged");
    assert!(privileged[0].exempted);
    assert!(privileged[0].exemption_reason.as_deref().unwrap().contains("Namespace ops"));
}

#[test]
fn configuration_disables_rules_overrides_severity_and_excludes_namespaces() {
    let config =
        Config::parse("rampart.yaml", "disable: [read-only-root-filesystem]\nseverity: {pss-privileged: low}\n")
            .unwrap();
    let report = run_with(CRONJOB, Options { config, ..Options::default() });
    assert!(findings_of(&report, "read-only-root-filesystem").is_empty());
    assert_eq!(findings_of(&report, "pss-privileged")[0].severity, Severity::Low);

    let config = Config::parse("rampart.yaml", "excludedNamespaces: [jobs]\n").unwrap();
    let report = run_with(CRONJOB, Options { config, ..Options::default() });
    assert!(report.findings.is_empty());
    assert_eq!(report.summary.not_checked, 1);
}

#[test]
fn scores_come_from_evidence() {
    let clean = run("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    image: x:1\n    securityContext: {privileged: false, readOnlyRootFilesystem: true}\n");
    let dirty = run(CRONJOB);
    let clean_score = clean.objects[0].score.unwrap();
    let dirty_score = dirty.objects[0].score.unwrap();
    assert!(dirty_score <= 59, "a critical failure caps the score: {dirty_score}");
    assert!(clean_score > dirty_score);
    assert_eq!(dirty.score_formula_version, 2);
    assert_eq!(dirty.grade, "F");
}

#[test]
fn annotation_exemptions_can_be_ignored() {
    let honoured = run(PRIVILEGED_POD);
    let ignored = run_with(PRIVILEGED_POD, Options { annotation_exemptions: false, ..Options::default() });
    let privileged = findings_of(&ignored, "pss-privileged");
    assert_eq!(privileged.len(), 1);
    assert!(!privileged[0].exempted && privileged[0].exemption_reason.is_none());
    assert_eq!(ignored.summary.exempted, 0);
    assert_eq!(ignored.summary.critical, 1);
    assert!(ignored.fails_at(Severity::Critical));
    assert!(ignored.objects[0].failed.contains(&"pss-privileged"));
    assert!(ignored.score < honoured.score, "{} against {}", ignored.score, honoured.score);
}

#[test]
fn exemptions_from_options_exempt_what_they_match_as_annotations_do() {
    let unannotated = PRIVILEGED_POD
        .replace("    rampart.dev/ignore: \"pss-privileged, read-only-root-filesystem\"\n", "    other: x\n");
    let annotated = run(PRIVILEGED_POD);
    let exemption =
        |rule: Option<&str>, namespace: Option<&str>, kind: Option<&str>, name: Option<&str>| rampart_core::Exemption {
            rule: rule.map(str::to_string),
            namespace: namespace.map(str::to_string),
            kind: kind.map(str::to_string),
            name: name.map(str::to_string),
            reason: "approved in SEC-42".to_string(),
        };
    let with =
        |exemptions: Vec<rampart_core::Exemption>| run_with(&unannotated, Options { exemptions, ..Options::default() });

    // The same two rules as the annotation: the same score and counts, the reason given.
    let central = with(vec![
        exemption(Some("pss-privileged"), Some("ops"), Some("Pod"), Some("tool")),
        exemption(Some("read-only-root-filesystem"), None, None, None),
    ]);
    let privileged = findings_of(&central, "pss-privileged");
    assert!(privileged[0].exempted);
    assert_eq!(privileged[0].exemption_reason.as_deref(), Some("approved in SEC-42"));
    assert_eq!(central.score, annotated.score);
    assert_eq!(central.summary.critical, annotated.summary.critical);
    assert_eq!(central.summary.exempted, annotated.summary.exempted);
    assert_eq!(central.objects[0].failed, annotated.objects[0].failed);

    // No rule named: every rule, for the objects matched.
    let everything = with(vec![exemption(None, Some("ops"), None, None)]);
    assert!(!everything.findings.is_empty() && everything.findings.iter().all(|finding| finding.exempted));
    assert_eq!(everything.summary.exempted, everything.findings.len());

    // Another namespace, kind or name matches nothing.
    for miss in [
        exemption(Some("pss-privileged"), Some("prod"), None, None),
        exemption(Some("pss-privileged"), None, Some("Deployment"), None),
        exemption(Some("pss-privileged"), None, None, Some("other")),
    ] {
        let report = with(vec![miss.clone()]);
        assert!(!findings_of(&report, "pss-privileged")[0].exempted, "{miss:?}");
    }
}
