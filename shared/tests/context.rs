//! Rules across objects: NetworkPolicy logic, namespace completeness, cluster-wide rules.

use rampart_core::{check, Options, Report, Source};

fn run(text: &str, complete: bool) -> Report {
    check(&[Source::new("input.yaml", text)], &Options { complete, ..Options::default() })
}

fn rule_findings<'r>(report: &'r Report, rule: &str) -> Vec<&'r rampart_core::Finding> {
    report.findings.iter().filter(|finding| finding.rule == rule).collect()
}

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";

fn policy(name: &str, namespace: &str, spec: &str) -> String {
    format!("---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n{spec}")
}

const BACKEND: &str = "---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: backend
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: backend, tier: api}
    spec:
      containers:
      - name: api
        image: registry.example.com/api:1.0
";

#[test]
fn a_pair_of_policies_together_denies_all() {
    let ingress_only = policy("deny-in", "shop", "  podSelector: {}\n");
    let egress_only = policy("deny-out", "shop", "  podSelector: {}\n  policyTypes: [Egress]\n");
    let report = run(&format!("{NAMESPACE}{ingress_only}"), false);
    let findings = rule_findings(&report, "namespace-without-default-deny");
    assert_eq!(findings.len(), 1);
    assert!(findings[0].message.contains("denies all egress"), "{}", findings[0].message);
    assert!(findings[0].message.contains("policies considered: deny-in"), "{}", findings[0].message);
    assert_eq!((findings[0].resource.kind.as_str(), findings[0].line), ("Namespace", 4));

    let report = run(&format!("{NAMESPACE}{ingress_only}{egress_only}"), false);
    assert!(rule_findings(&report, "namespace-without-default-deny").is_empty());
    assert!(report.objects[0].passed.contains(&"namespace-without-default-deny"));
}

#[test]
fn a_policy_with_allow_rules_is_no_default_deny() {
    let allow_all = policy(
        "allow-all",
        "shop",
        "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress: [{}]\n  egress: [{}]\n",
    );
    let report = run(&format!("{NAMESPACE}{allow_all}"), false);
    assert_eq!(rule_findings(&report, "namespace-without-default-deny").len(), 1);
}

#[test]
fn match_expressions_select_the_pod_and_other_namespaces_do_not_count() {
    let selecting = policy(
        "api",
        "shop",
        "  podSelector:\n    matchExpressions:\n    - {key: tier, operator: In, values: [api, web]}\n    - {key: legacy, operator: DoesNotExist}\n",
    );
    let report = run(&format!("{NAMESPACE}{BACKEND}{selecting}"), false);
    assert!(rule_findings(&report, "pod-not-selected-by-network-policy").is_empty());

    let elsewhere = policy("api", "other", "  podSelector: {}\n");
    let report = run(&format!("{NAMESPACE}{BACKEND}{elsewhere}"), false);
    let findings = rule_findings(&report, "pod-not-selected-by-network-policy");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].path, "spec.template.metadata.labels");
    assert_eq!(findings[0].line, 14);
    assert!(findings[0].message.contains("policies considered: none in the input"), "{}", findings[0].message);

    let not_in = policy(
        "api",
        "shop",
        "  podSelector:\n    matchExpressions:\n    - {key: tier, operator: NotIn, values: [api]}\n",
    );
    let report = run(&format!("{NAMESPACE}{BACKEND}{not_in}"), false);
    assert_eq!(rule_findings(&report, "pod-not-selected-by-network-policy").len(), 1);
}

#[test]
fn context_rules_wait_for_a_complete_input() {
    // Without the Namespace object the manifests may be a part of the namespace: no verdict.
    let report = run(BACKEND, false);
    assert!(rule_findings(&report, "pod-not-selected-by-network-policy").is_empty());
    assert!(rule_findings(&report, "namespace-without-default-deny").is_empty());
    assert!(rule_findings(&report, "cluster-no-policy-engine").is_empty());

    // With --complete, the namespace finding goes on the namespace's first object.
    let report = run(BACKEND, true);
    let findings = rule_findings(&report, "namespace-without-default-deny");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].resource.name, "backend");
    assert_eq!(findings[0].path, "metadata.namespace");
    assert_eq!(rule_findings(&report, "cluster-no-policy-engine").len(), 1);
    assert_eq!(rule_findings(&report, "cluster-no-runtime-detection").len(), 1);
}

#[test]
fn system_namespaces_are_left_out() {
    let report = run("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-system\n", true);
    assert!(rule_findings(&report, "namespace-without-default-deny").is_empty());
    assert!(rule_findings(&report, "namespace-pss-not-enforced").is_empty());
}

// The engine benchmark's generator; this test uses part of it.
#[allow(dead_code)]
#[path = "../benches/corpus/mod.rs"]
mod corpus;

/// What identifies a finding and what it says.
fn finding_lines(findings: &[rampart_core::Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|finding| {
            format!(
                "{} {} {:?}/{} {} {} {:?}",
                finding.rule,
                finding.resource.kind,
                finding.resource.namespace,
                finding.resource.name,
                finding.path,
                finding.message,
                finding.exemption_reason
            )
        })
        .collect()
}

#[test]
fn checking_in_batches_finds_what_one_check_finds() {
    use rampart_core::engine::{check_objects, Checker};
    use rampart_core::index::Index;
    use rampart_core::object::Object;
    use rampart_core::parse::{parse_source, Limits};
    use rampart_core::rules::Mode;

    let mut text = corpus::generate(600).text;
    // Objects without their Namespace object, and a namespace that exempts by annotation.
    text.push_str("\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: nowhere\n");
    text.push_str(
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: quiet\n  annotations:\n    \
         rampart.dev/ignore: run-as-root, namespace-without-default-deny\n",
    );
    text.push_str(&format!("---\n{}", BACKEND.trim_start_matches("---\n").replace("shop", "quiet")));
    let sources = [Source::new("cluster.yaml", text)];
    let (documents, errors) = parse_source(&sources[0], &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let objects: Vec<Object> = documents.into_iter().flat_map(|document| Object::from_document(0, document)).collect();
    // The kinds judged by the pods they select, moved after every other object, as a
    // streamed cluster scan lists them.
    let (last, first): (Vec<Object>, Vec<Object>) =
        objects.iter().cloned().partition(|object| Index::checks_after_pods(object.group(), &object.kind));
    let reordered: Vec<Object> = first.into_iter().chain(last).collect();
    for mode in [Mode::Manifests, Mode::Cluster] {
        let options = Options { mode, fixes: false, ..Options::default() };
        let whole = check_objects(&sources, objects.clone(), Vec::new(), &options);
        assert!(whole.findings.len() > 600, "{mode:?}: {} findings", whole.findings.len());
        let whole_scores: Vec<_> = whole.objects.iter().map(|object| object.score).collect();
        // The same objects in batches of 7: (a) in the same order, with every object that
        // has a pod template added to the index first, as a snapshot is read; (b) with the
        // index from the kinds it reads alone, the kinds judged by their pods last.
        let streamed = |objects: &[Object], context: &dyn Fn(&Object) -> bool| {
            let mut index = Index::new(mode, false);
            for object in objects.iter().filter(|object| context(object)) {
                index.add(object);
            }
            let mut checker = Checker::owning(index, &options, &[]);
            let mut findings = Vec::new();
            let mut scores = Vec::new();
            for batch in objects.chunks(7) {
                let checked = checker.check(&sources, batch);
                findings.extend(checked.findings);
                scores.extend(checked.objects.iter().map(|object| object.score));
            }
            (findings, scores)
        };
        let reads = |object: &Object| Index::reads(object.group(), &object.kind);
        let (findings, scores) = streamed(&objects, &|object| reads(object) || object.pod_spec().is_some());
        assert_eq!(finding_lines(&findings), finding_lines(&whole.findings), "{mode:?}");
        assert_eq!(scores, whole_scores, "{mode:?}");

        let (reordered_findings, reordered_scores) = streamed(&reordered, &reads);
        let sorted = |findings: &[rampart_core::Finding]| {
            let mut lines = finding_lines(findings);
            lines.sort();
            lines
        };
        assert_eq!(sorted(&reordered_findings), sorted(&whole.findings), "{mode:?}: context kinds last");
        let scores_by_object = |objects: &[Object], scores: &[Option<u32>]| {
            let mut pairs: Vec<String> = objects
                .iter()
                .zip(scores)
                .map(|(object, score)| format!("{} {:?}/{} {score:?}", object.kind, object.namespace, object.name))
                .collect();
            pairs.sort();
            pairs
        };
        assert_eq!(scores_by_object(&reordered, &reordered_scores), scores_by_object(&objects, &whole_scores));

        let rules: std::collections::HashSet<&str> = findings.iter().map(|finding| finding.rule.as_ref()).collect();
        for context_rule in [
            "namespace-without-default-deny",
            "service-account-token-automount",
            "service-selects-nothing",
            "rbac-subject-can-exec",
            "rbac-binding-to-missing-role",
            "network-policy-selects-nothing",
        ] {
            assert!(rules.contains(context_rule), "{mode:?}: no {context_rule} finding to compare: {rules:?}");
        }
        if mode == Mode::Cluster {
            assert!(rules.contains("cluster-no-runtime-detection") || rules.contains("cluster-no-policy-engine"));
        }
    }
}

#[test]
fn a_list_is_read_item_by_item_with_the_lines_of_one_parse() {
    use rampart_core::object::Object;
    use rampart_core::parse::{for_each_document, parse_source, Limits};

    let text =
        "# an export\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n\
                - apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n    namespace: shop\n  spec:\n\
                \x20   template:\n      spec:\n        containers:\n        - name: app\n          image: nginx\n\
                \x20         args:\n          - |\n            run\n\n            more\n# between items\n\
                - apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: settings, namespace: shop}\nkind: List\n\
                metadata:\n  resourceVersion: \"\"\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: lone\n";
    let source = Source::new("export.yaml", text);
    let describe = |object: &Object| {
        let image = object.root.locate("spec.template.spec.containers[0].args[0]");
        (object.kind.clone(), object.name.clone(), object.document, object.root.span.line, image.line, image.column)
    };
    let (documents, errors) = parse_source(&source, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let whole: Vec<_> =
        documents.into_iter().flat_map(|document| Object::from_document(0, document)).map(|o| describe(&o)).collect();
    let mut streamed = Vec::new();
    let errors = for_each_document(&source, &Limits::default(), |document| {
        streamed.extend(Object::from_document(0, document).iter().map(describe))
    });
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(streamed.len(), 4, "{streamed:?}");
    assert_eq!(streamed, whole);

    // A broken item is an error of its own, with its line; the others are read.
    let broken = text.replace("name: settings", "name: [settings");
    let mut names = Vec::new();
    let errors = for_each_document(&Source::new("export.yaml", broken), &Limits::default(), |document| {
        names.extend(Object::from_document(0, document).into_iter().map(|object| object.name))
    });
    assert_eq!(names, ["shop", "web", "lone"]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    // The unclosed `[` of line 27 is found where the item's text ends.
    assert_eq!(errors[0].line, 28, "{errors:?}");
}
