//! Custom policies (ValidatingAdmissionPolicy) end to end through `check`: the examples of
//! Kubernetes' documentation evaluate as the API server documents them, and each matching
//! rule and failure mode behaves as it does in a cluster.

use rampart_core::policy::PolicyOptions;
use rampart_core::{check, Options, Report, Severity, Source};

fn run(policies: &str, input: &str, assume_unbound: bool) -> Report {
    let options = Options {
        policies: PolicyOptions {
            sources: vec![Source::new("policies.yaml", policies)],
            from_input: false,
            assume_unbound,
            evaluated: None,
        },
        ..Options::default()
    };
    check(&[Source::new("input.yaml", input)], &options)
}

/// `(object name, message)` of each open finding of rule `rule`.
fn denials<'a>(report: &'a Report, rule: &str) -> Vec<(&'a str, &'a str)> {
    report
        .findings
        .iter()
        .filter(|finding| finding.rule == rule && !finding.exempted)
        .map(|finding| (finding.resource.name.as_str(), finding.message.as_str()))
        .collect()
}

fn no_errors(report: &Report) {
    assert!(report.policies.errors.is_empty(), "{:?}", report.policies.errors);
}

const REPLICA_POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: demo-policy.example.com
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: demo-binding-test.example.com
spec:
  policyName: demo-policy.example.com
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels:
        environment: test
"#;

fn deployment(name: &str, namespace: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels: {{app: {name}}}\nspec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/{name}:1.0\n"
    )
}

const NAMESPACES: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n  labels: {environment: test}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {environment: prod}\n";

#[test]
fn the_documentations_basic_policy_denies_too_many_replicas_in_test_namespaces() {
    let input = format!(
        "{NAMESPACES}---\n{}---\n{}---\n{}",
        deployment("big", "test", 6),
        deployment("small", "test", 5),
        deployment("prod-big", "prod", 9)
    );
    let report = run(REPLICA_POLICY, &input, false);
    no_errors(&report);
    assert_eq!(
        denials(&report, "vap/demo-policy.example.com"),
        [("big", "failed expression: object.spec.replicas <= 5")]
    );
    let finding = report.findings.iter().find(|finding| finding.rule == "vap/demo-policy.example.com").unwrap();
    assert_eq!(finding.severity, Severity::High);
    assert_eq!(finding.path, "spec.replicas");
    // The replicas line of the `big` Deployment.
    let line = input.lines().position(|line| line.contains("replicas: 6")).unwrap() as u32 + 1;
    assert_eq!(finding.line, line);
    // Passes count: the small Deployment passed the policy, the prod one was not matched.
    let small = report.objects.iter().find(|object| object.resource.name == "small").unwrap();
    assert_eq!(small.passed_policies, ["vap/demo-policy.example.com"]);
    let prod = report.objects.iter().find(|object| object.resource.name == "prod-big").unwrap();
    assert!(prod.passed_policies.is_empty() && prod.failed_policies.is_empty());
    assert_eq!(report.policies.policies[0].bindings, ["demo-binding-test.example.com"]);
}

const PARAM_POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replicalimit-policy.example.com
spec:
  failurePolicy: Fail
  paramKind:
    apiVersion: rules.example.com/v1
    kind: ReplicaLimit
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.replicas <= params.maxReplicas"
    messageExpression: "'object.spec.replicas must be no greater than ' + string(params.maxReplicas)"
    reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: replicalimit-binding-test.example.com
spec:
  policyName: replicalimit-policy.example.com
  validationActions: [Deny]
  paramRef:
    name: replica-limit-test.example.com
    namespace: default
    parameterNotFoundAction: Deny
  matchResources:
    namespaceSelector:
      matchLabels:
        environment: test
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: replicalimit-binding-nontest
spec:
  policyName: replicalimit-policy.example.com
  validationActions: [Deny]
  paramRef:
    name: replica-limit-prod.example.com
    namespace: default
    parameterNotFoundAction: Deny
  matchResources:
    namespaceSelector:
      matchExpressions:
      - key: environment
        operator: NotIn
        values: [test]
---
apiVersion: rules.example.com/v1
kind: ReplicaLimit
metadata:
  name: replica-limit-test.example.com
  namespace: default
maxReplicas: 3
---
apiVersion: rules.example.com/v1
kind: ReplicaLimit
metadata:
  name: replica-limit-prod.example.com
  namespace: default
maxReplicas: 100
"#;

#[test]
fn params_by_binding_limit_each_environment_and_message_expressions_word_the_denial() {
    let input = format!(
        "{NAMESPACES}---\n{}---\n{}---\n{}",
        deployment("four", "test", 4),
        deployment("prod-fifty", "prod", 50),
        deployment("prod-many", "prod", 101)
    );
    let report = run(PARAM_POLICY, &input, false);
    no_errors(&report);
    assert_eq!(
        denials(&report, "vap/replicalimit-policy.example.com"),
        [
            ("four", "object.spec.replicas must be no greater than 3"),
            ("prod-many", "object.spec.replicas must be no greater than 100")
        ]
    );
}

#[test]
fn a_missing_param_is_a_finding_under_fail_and_nothing_under_allow_or_ignore() {
    let without_params = PARAM_POLICY.split("---\napiVersion: rules.example.com/v1").next().unwrap();
    let input = format!("{NAMESPACES}---\n{}", deployment("one", "test", 1));
    let report = run(without_params, &input, false);
    let found = denials(&report, "vap/replicalimit-policy.example.com");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("no params found for policy binding 'replicalimit-binding-test.example.com' with `Deny` parameterNotFoundAction"), "{}", found[0].1);
    let allow = without_params.replace("parameterNotFoundAction: Deny", "parameterNotFoundAction: Allow");
    assert!(denials(&run(&allow, &input, false), "vap/replicalimit-policy.example.com").is_empty());
    let ignore = without_params.replace("failurePolicy: Fail", "failurePolicy: Ignore");
    assert!(denials(&run(&ignore, &input, false), "vap/replicalimit-policy.example.com").is_empty());
}

#[test]
fn params_by_selector_in_the_objects_namespace_are_each_evaluated() {
    let policy = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: banned-images}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "object.spec.containers.all(c, !c.image.startsWith(params.data.prefix))"
    messageExpression: "'images from ' + params.data.prefix + ' are banned'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: banned-images}
spec:
  policyName: banned-images
  validationActions: [Warn]
  paramRef:
    selector: {matchLabels: {kind: banned}}
    parameterNotFoundAction: Allow
"#;
    let input = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: team, labels: {kind: banned}}
data: {prefix: "docker.io/"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, namespace: team, labels: {kind: banned}}
data: {prefix: "quay.io/"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: other, labels: {kind: banned}}
data: {prefix: "ghcr.io/"}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: team}
spec:
  containers:
  - {name: a, image: docker.io/nginx}
  - {name: b, image: quay.io/app}
  - {name: c, image: ghcr.io/app}
---
apiVersion: v1
kind: Pod
metadata: {name: elsewhere, namespace: nowhere}
spec:
  containers: [{name: a, image: docker.io/nginx}]
"#;
    let report = run(policy, input, false);
    no_errors(&report);
    let found = denials(&report, "vap/banned-images");
    assert_eq!(found, [("web", "images from docker.io/ are banned"), ("web", "images from quay.io/ are banned")]);
    assert!(report
        .findings
        .iter()
        .filter(|finding| finding.rule == "vap/banned-images")
        .all(|finding| finding.severity == Severity::Medium));
    assert_eq!(
        report.findings.iter().find(|finding| finding.rule == "vap/banned-images").unwrap().path,
        "spec.containers"
    );
}

const IMAGE_POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: image-matches-namespace-environment.policy.example.com
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  variables:
  - name: environment
    expression: "'environment' in namespaceObject.metadata.labels ? namespaceObject.metadata.labels['environment'] : 'prod'"
  - name: exempt
    expression: "'exempt' in object.metadata.labels && object.metadata.labels['exempt'] == 'true'"
  - name: containers
    expression: "object.spec.template.spec.containers"
  - name: containersToCheck
    expression: "variables.containers.filter(c, c.image.contains('example.com'))"
  validations:
  - expression: "variables.exempt || variables.containersToCheck.all(c, c.image.startsWith(variables.environment + '.'))"
    messageExpression: "'only ' + variables.environment + ' images are allowed in namespace ' + namespaceObject.metadata.name"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: demo-binding-test.example.com}
spec:
  policyName: image-matches-namespace-environment.policy.example.com
  validationActions: [Deny]
"#;

#[test]
fn variables_compose_in_order_and_read_the_namespace_object() {
    let image = |name: &str, namespace: &str, image: &str, labels: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\n  labels: {{{labels}}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {image}\n")
    };
    let input = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: {{environment: prod}}\n---\n{}---\n{}---\n{}---\n{}",
        image("invalid", "default", "dev.example.com/nginx", "app: x"),
        image("valid", "default", "prod.example.com/nginx", "app: x"),
        image("exempted", "default", "dev.example.com/nginx", "exempt: 'true'"),
        // No Namespace object: the environment defaults to prod.
        image("unlabelled-ns", "other", "dev.example.com/nginx", "app: x"),
    );
    let report = run(IMAGE_POLICY, &input, false);
    no_errors(&report);
    assert_eq!(
        denials(&report, "vap/image-matches-namespace-environment.policy.example.com"),
        [
            ("invalid", "only prod images are allowed in namespace default"),
            ("unlabelled-ns", "only prod images are allowed in namespace other")
        ]
    );
}

#[test]
fn match_conditions_skip_on_false_and_follow_the_failure_policy_on_error() {
    let policy = |failure: &str, condition: &str| {
        format!(
            r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: demo}}
spec:
  failurePolicy: {failure}
  matchConstraints:
    resourceRules: [{{apiGroups: ["*"], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: ["*"]}}]
  matchConditions:
  - name: exclude-leases
    expression: '!(request.resource.group == "coordination.k8s.io" && request.resource.resource == "leases")'
  - name: exclude-kubelet-requests
    expression: '!("system:nodes" in request.userInfo.groups)'
  - name: custom
    expression: '{condition}'
  validations:
  - expression: "object.metadata.name.startsWith('demo')"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: demo}}
spec: {{policyName: demo, validationActions: [Deny]}}
"#
        )
    };
    let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n---\napiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: lease}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: demo-cfg}\n";
    let report = run(&policy("Fail", "true"), input, false);
    no_errors(&report);
    assert_eq!(denials(&report, "vap/demo"), [("cfg", "failed expression: object.metadata.name.startsWith('demo')")]);
    // A condition that errors: under Fail the object is denied saying why; a false one
    // elsewhere still skips.
    let report = run(&policy("Fail", "object.missing == 1"), input, false);
    let found = denials(&report, "vap/demo");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].1.contains("failed to evaluate matchCondition 'custom': no such key: missing"), "{}", found[0].1);
    assert!(denials(&run(&policy("Ignore", "object.missing == 1"), input, false), "vap/demo").is_empty());
    // A false condition wins over an erroring one.
    let report = run(&policy("Fail", "object.missing == 1 && false"), input, false);
    assert!(denials(&report, "vap/demo").is_empty());
}

#[test]
fn expression_errors_follow_the_failure_policy_and_bools_are_required() {
    let policy = |failure: &str, expression: &str| {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{name: p}}\nspec:\n  failurePolicy: {failure}\n  matchConstraints:\n    resourceRules: [{{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}}]\n  validations:\n  - expression: \"{expression}\"\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {{name: p}}\nspec: {{policyName: p, validationActions: [Audit]}}\n"
        )
    };
    let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n";
    let report = run(&policy("Fail", "object.data.missing == 'x'"), input, false);
    let found = denials(&report, "vap/p");
    assert_eq!(found, [("cfg", "policy failed under failurePolicy Fail: expression 'object.data.missing == 'x'' resulted in error: no such key: missing")]);
    assert_eq!(
        report.findings[report.findings.iter().position(|f| f.rule == "vap/p").unwrap()].severity,
        Severity::Low
    );
    let ignored = run(&policy("Ignore", "object.data.missing == 'x'"), input, false);
    assert!(denials(&ignored, "vap/p").is_empty());
    // Ignored is not passed: the error is no evidence for the score either way.
    assert!(ignored.objects[0].passed_policies.is_empty() && ignored.objects[0].failed_policies.is_empty());
    let passed = run(&policy("Ignore", "object.data.a == 'b'"), input, false);
    assert_eq!(passed.objects[0].passed_policies, ["vap/p"]);
    let found = denials(&run(&policy("Fail", "object.data.a"), input, false), "vap/p")
        .into_iter()
        .map(|(_, message)| message.to_string())
        .collect::<Vec<_>>();
    assert!(found[0].contains("must evaluate to bool, not string"), "{found:?}");
    // A runaway expression is stopped by the cost budget and reported.
    let runaway = "lists.range(2000).all(x, lists.range(2000).all(y, x + y >= 0))";
    let found = denials(&run(&policy("Fail", runaway), input, false), "vap/p")
        .into_iter()
        .map(|(_, message)| message.to_string())
        .collect::<Vec<_>>();
    assert!(found[0].contains("cost limit exceeded"), "{found:?}");
}

#[test]
fn resource_rules_match_like_the_api_server() {
    let policy = |rules: &str, extra: &str| {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{name: p}}\nspec:\n  matchConstraints:\n    resourceRules: {rules}\n{extra}  validations:\n  - expression: 'false'\n    message: matched\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {{name: p}}\nspec: {{policyName: p, validationActions: [Deny]}}\n"
        )
    };
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a, labels: {tier: web}}\n---\napiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: old, namespace: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: b}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {team: x}}\n";
    let matched = |rules: &str, extra: &str| -> Vec<String> {
        let report = run(&policy(rules, extra), input, false);
        no_errors(&report);
        denials(&report, "vap/p").into_iter().map(|(name, _)| name.to_string()).collect()
    };
    let everything = "[{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}]";
    assert_eq!(matched(everything, ""), ["d", "old", "p", "cr", "w", "a"]);
    // Equivalent (the default) matches the extensions Deployment through apps; Exact not.
    let apps = "[{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]";
    assert_eq!(matched(apps, ""), ["d", "old"]);
    assert_eq!(matched(apps, "    matchPolicy: Exact\n"), ["d"]);
    // Operations without CREATE never match a new object.
    assert!(matched("[{apiGroups: ['*'], apiVersions: ['*'], operations: [DELETE, UPDATE], resources: ['*']}]", "")
        .is_empty());
    // Scope, resource names, subresources, custom resources' guessed plurals.
    assert_eq!(
        matched("[{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'], scope: Cluster}]", ""),
        ["cr", "a"]
    );
    assert_eq!(
        matched("[{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'], scope: Namespaced}]", ""),
        ["d", "old", "p", "w"]
    );
    assert_eq!(
        matched(
            "[{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'], resourceNames: [p, w]}]",
            ""
        ),
        ["p", "w"]
    );
    assert_eq!(matched("[{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*/*']}]", "").len(), 6);
    assert!(matched("[{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['pods/status']}]", "")
        .is_empty());
    assert_eq!(
        matched("[{apiGroups: [example.com], apiVersions: [v1], operations: ['*'], resources: [widgets]}]", ""),
        ["w"]
    );
    // Excluded rules, object selector, namespace selector (a Namespace object is selected by
    // its own labels; cluster-scoped objects are not subject to it).
    assert_eq!(
        matched(everything, "    excludeResourceRules: [{apiGroups: [''], apiVersions: ['*'], operations: ['*'], resources: [pods, namespaces]}]\n"),
        ["d", "old", "cr", "w"]
    );
    assert_eq!(matched(everything, "    objectSelector: {matchLabels: {tier: web}}\n"), ["d"]);
    assert_eq!(matched(everything, "    namespaceSelector: {matchLabels: {team: x}}\n"), ["d", "old", "cr", "w", "a"]);
    assert_eq!(
        matched(everything, "    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}\n"),
        ["p", "cr"]
    );
}

#[test]
fn an_unbound_policy_is_a_notice_and_runs_only_when_asked() {
    let unbound = REPLICA_POLICY.split("---").next().unwrap();
    let input = deployment("big", "test", 9);
    let report = run(unbound, &input, false);
    assert!(denials(&report, "vap/demo-policy.example.com").is_empty());
    assert!(
        report
            .policies
            .notices
            .iter()
            .any(|notice| notice.message.contains("has no binding, so it does nothing in a cluster")),
        "{:?}",
        report.policies.notices
    );
    let report = run(unbound, &input, true);
    assert_eq!(denials(&report, "vap/demo-policy.example.com").len(), 1);
    assert!(report.policies.policies[0].assumed_binding);
    assert!(report.policies.notices[0].message.contains("as if bound with validationActions [Deny]"));
}

#[test]
fn policies_in_the_input_apply_only_when_asked() {
    let input = format!("{REPLICA_POLICY}---\n{NAMESPACES}---\n{}", deployment("big", "test", 9));
    let mut options = Options::default();
    let report = check(&[Source::new("input.yaml", input.as_str())], &options);
    assert!(denials(&report, "vap/demo-policy.example.com").is_empty());
    // No policies were given: the report's policy section says nothing …
    assert!(report.policies.is_empty());
    // … unless policies are asked for, when it says those of the input were not applied.
    options.policies.sources.push(Source::new("other.yaml", ""));
    let report = check(&[Source::new("input.yaml", input.as_str())], &options);
    assert!(
        report.policies.notices.iter().any(|notice| notice.message.contains("--policies-from-input")),
        "{:?}",
        report.policies.notices
    );
    options.policies.from_input = true;
    let report = check(&[Source::new("input.yaml", input.as_str())], &options);
    assert_eq!(denials(&report, "vap/demo-policy.example.com").len(), 1);
}

#[test]
fn errors_name_the_function_at_its_line_and_column_in_the_policy() {
    let policy = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: typo}\nspec:\n  matchConstraints:\n    resourceRules: [{apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*']}]\n  validations:\n  - expression: \"object.metadata.name.startWith('demo')\"\n  - expression: >-\n      has(object.spec) &&\n      authorizer.path('/healthz').check('get').allowed()\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: typo}\nspec: {policyName: typo, validationActions: [Deny]}\n";
    let report = run(policy, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n", false);
    let errors: Vec<(u32, u32, &str)> =
        report.policies.errors.iter().map(|error| (error.line, error.column, error.message.as_str())).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    // `startWith` is column 39 of line 8: the expression starts at column 18, after the quote.
    assert_eq!((errors[0].0, errors[0].1), (8, 39));
    assert!(errors[0].2.contains("function 'startWith' is not supported by Rampart"), "{}", errors[0].2);
    assert_eq!((errors[1].0, errors[1].1), (11, 7));
    assert!(errors[1].2.contains("'authorizer' is not supported by Rampart"), "{}", errors[1].2);
    // Its binding is not reported as naming a missing policy: the policy's error says it all.
    assert!(report.policies.notices.is_empty(), "{:?}", report.policies.notices);
    // A policy with errors is not evaluated: no silent pass, no finding, the error stands.
    assert!(denials(&report, "vap/typo").is_empty());
    assert_eq!(report.objects[0].passed_policies, Vec::<String>::new());
}

#[test]
fn severity_exemptions_and_configuration_apply_to_policy_rules() {
    let annotated = REPLICA_POLICY.replacen(
        "  name: demo-policy.example.com\n",
        "  name: demo-policy.example.com\n  annotations: {rampart.dev/severity: critical}\n",
        1,
    );
    let input = format!("{NAMESPACES}---\n{}", deployment("big", "test", 9));
    let report = run(&annotated, &input, false);
    let finding = report.findings.iter().find(|finding| finding.rule == "vap/demo-policy.example.com").unwrap();
    assert_eq!(finding.severity, Severity::Critical);
    let big = report.objects.iter().find(|object| object.resource.name == "big").unwrap();
    assert!(big.score.unwrap() <= 59, "a failed critical policy caps the score: {:?}", big.score);
    // The ignore annotation exempts by rule id, with its reason.
    let exempted = input.replace("  labels: {app: big}", "  labels: {app: big}\n  annotations: {rampart.dev/ignore: vap/demo-policy.example.com, rampart.dev/ignore-reason: load test}");
    let report = run(&annotated, &exempted, false);
    let finding = report.findings.iter().find(|finding| finding.rule == "vap/demo-policy.example.com").unwrap();
    assert!(finding.exempted);
    assert_eq!(finding.exemption_reason.as_deref(), Some("load test (Deployment big)"));
    // rampart.yaml can disable a policy's rule or change its severity.
    let config = rampart_core::Config::parse("rampart.yaml", "disable: [vap/demo-policy.example.com]\n").unwrap();
    let options = Options {
        config,
        policies: PolicyOptions {
            sources: vec![Source::new("p.yaml", annotated.as_str())],
            ..PolicyOptions::default()
        },
        ..Options::default()
    };
    assert!(check(&[Source::new("input.yaml", input.as_str())], &options)
        .findings
        .iter()
        .all(|finding| finding.rule != "vap/demo-policy.example.com"));
    let config = rampart_core::Config::parse("rampart.yaml", "severity: {vap/demo-policy.example.com: low}\n").unwrap();
    let options = Options { config, ..options };
    let report = check(&[Source::new("input.yaml", input.as_str())], &options);
    assert_eq!(
        report.findings.iter().find(|finding| finding.rule == "vap/demo-policy.example.com").unwrap().severity,
        Severity::Low
    );
}

#[test]
fn the_report_json_is_unchanged_without_policies() {
    let report = check(&[Source::new("input.yaml", deployment("web", "prod", 1))], &Options::default());
    let json = serde_json::to_value(&report).unwrap();
    assert!(json.get("policies").is_none());
    assert!(json["objects"][0].get("passed_policies").is_none());
}

#[test]
fn findings_point_at_the_deepest_field_the_expression_reads_through_its_variables() {
    let policy = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: tags}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: ['', apps], apiVersions: [v1], operations: [CREATE], resources: [pods, deployments]}]
  variables:
  - name: containers
    expression: "object.kind == 'Pod' ? object.spec.containers : object.spec.template.spec.containers"
  - name: untagged
    expression: "variables.containers.filter(c, c.image.endsWith(':latest'))"
  validations:
  - expression: "size(variables.untagged) == 0"
  - expression: "object.metadata.labels['app.kubernetes.io/name'] != 'forbidden'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: tags}
spec: {policyName: tags, validationActions: [Deny]}
"#;
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app.kubernetes.io/name: forbidden\nspec:\n  template:\n    spec:\n      containers:\n      - {name: a, image: 'nginx:latest'}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: pod}\nspec:\n  containers:\n  - {name: a, image: 'nginx:latest'}\n";
    let report = run(policy, input, false);
    no_errors(&report);
    let found: Vec<(&str, &str, u32)> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == "vap/tags")
        .map(|finding| (finding.resource.name.as_str(), finding.path.as_str(), finding.line))
        .collect();
    assert_eq!(
        found,
        [
            ("web", "spec.template.spec.containers", 10),
            ("web", "metadata.labels[\"app.kubernetes.io/name\"]", 6),
            ("pod", "spec.containers", 17),
            // The Pod has no labels: the second expression errs, a finding under Fail.
            ("pod", "", 13)
        ]
    );
}

#[test]
fn the_checks_cost_budget_stops_a_costly_policy_with_a_notice_naming_what_was_not_evaluated() {
    let costly = REPLICA_POLICY
        .replace("  matchResources:\n    namespaceSelector:\n      matchLabels:\n        environment: test\n", "");
    let input: Vec<String> = (0..10).map(|index| deployment(&format!("web-{index}"), "test", 9)).collect();
    let input = input.join("---\n");
    let options = |policy_cost| Options {
        policies: PolicyOptions {
            sources: vec![Source::new("policies.yaml", costly.as_str())],
            ..PolicyOptions::default()
        },
        limits: rampart_core::Limits { policy_cost, ..rampart_core::Limits::default() },
        ..Options::default()
    };
    let whole =
        check(&[Source::new("input.yaml", input.as_str())], &options(rampart_core::Limits::default().policy_cost));
    no_errors(&whole);
    assert_eq!(denials(&whole, "vap/demo-policy.example.com").len(), 10);
    assert!(whole.policies.notices.is_empty(), "{:?}", whole.policies.notices);

    // A budget that one evaluation spends: the first object is judged, the other nine are not.
    let stopped = check(&[Source::new("input.yaml", input.as_str())], &options(1));
    let denied = denials(&stopped, "vap/demo-policy.example.com");
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0].0, "web-0");
    let notices: Vec<&str> = stopped.policies.notices.iter().map(|notice| notice.message.as_str()).collect();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("cost budget for one check (1 units) is spent"), "{notices:?}");
    assert!(notices[0].contains("not evaluated on the last 9 object(s)"), "{notices:?}");
}
