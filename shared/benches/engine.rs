//! Engine throughput over a generated corpus of 10,000 mixed objects (see `corpus/`).
//!
//! `cargo bench -p rampart-core` prints, for parsing alone (text to positioned objects) and
//! for a whole check (parse, every rule, scores), the time per corpus and the throughput
//! in objects per second and bytes per second. The checks' own cost is the difference of
//! the two. Goals on one core: at least 20,000 objects/s for parse + check, and the checks
//! costing no more than the parse. BENCHMARKS.md records the figures.
//!
//! `parse_check_and_50_policies` adds 50 custom policies (ValidatingAdmissionPolicy, CEL)
//! of the kinds teams write (labels, registries, tags, replicas, names, resources, probes,
//! annotations; with variables, params, regexes and quantities), bound to workloads, pods,
//! services and config maps or to everything. Goal: at least 5,000 objects/s on one core.

mod corpus;

use std::sync::LazyLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use rampart_core::object::Object;
use rampart_core::parse::parse_source;
use rampart_core::{check, Limits, Options, Source, RULES};

/// The corpus is generated once, outside any measurement.
static CORPUS: LazyLock<(Source, usize)> = LazyLock::new(|| {
    let corpus = corpus::generate(corpus::BENCH_OBJECTS);
    (Source::new("corpus.yaml", corpus.text), corpus.n_objects)
});

fn main() {
    let (source, n_objects) = &*CORPUS;
    // A generator bug would make the figures meaningless: every document must parse.
    let report = check(std::slice::from_ref(source), &Options::default());
    assert!(report.errors.is_empty(), "the generated corpus does not parse: {:?}", &report.errors[..1]);
    assert_eq!(report.objects.len(), *n_objects, "the corpus holds a different number of objects than generated");
    println!(
        "corpus: {n_objects} objects, {:.2} MB; {} rules registered; {} findings ({} exempted), score {} {}",
        source.text.len() as f64 / 1e6,
        RULES.len(),
        report.findings.len(),
        report.summary.exempted,
        report.score,
        report.grade,
    );
    let with_policies = check(std::slice::from_ref(source), &policy_options());
    assert!(
        with_policies.policies.errors.is_empty(),
        "the benchmark's policies do not compile: {:?}",
        with_policies.policies.errors
    );
    let evaluated: usize =
        with_policies.objects.iter().map(|object| object.passed_policies.len() + object.failed_policies.len()).sum();
    let policy_findings = with_policies.findings.iter().filter(|finding| finding.rule.starts_with("vap/")).count();
    println!(
        "policies: {} compiled, {evaluated} policy evaluations over the corpus ({:.1} per object), {policy_findings} policy findings",
        with_policies.policies.policies.len(),
        evaluated as f64 / *n_objects as f64
    );
    divan::main();
}

/// Source text to objects: YAML parsing with positions, then object extraction.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse(bencher: Bencher) {
    let (source, n_objects) = &*CORPUS;
    let limits = Limits::default();
    bencher.counter(ItemsCount::new(*n_objects)).counter(BytesCount::of_str(&source.text)).bench(|| {
        let (documents, errors) = parse_source(black_box(source), &limits);
        let objects: Vec<Object> =
            documents.into_iter().flat_map(|document| Object::from_document(0, document)).collect();
        // Dropping the trees is part of the work, as it is inside a check.
        objects.len() + errors.len()
    });
}

/// A whole check: parse, every rule over every object, scores and the report.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse_and_check(bencher: Bencher) {
    let (source, n_objects) = &*CORPUS;
    let options = Options { fixes: false, ..Options::default() };
    bencher.counter(ItemsCount::new(*n_objects)).counter(BytesCount::of_str(&source.text)).bench(|| {
        let report = check(std::slice::from_ref(black_box(source)), &options);
        report.findings.len() + report.objects.len()
    });
}

/// Fifty policies with their bindings and params, as a policy source.
fn fifty_policies() -> Source {
    const WORKLOADS: &str = "[{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments, statefulsets, daemonsets]}]";
    const PODS: &str = "[{apiGroups: [''], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}]";
    const ANY: &str = "[{apiGroups: ['*'], apiVersions: ['*'], operations: [CREATE], resources: ['*']}]";
    const SERVICES: &str =
        "[{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [services, configmaps]}]";
    // `(rules, variables, validation expression, message expression)`; `{i}` is the policy's number.
    let templates: [(&str, &str, &str, &str); 10] = [
        (WORKLOADS, "", "'team-{i}' in object.metadata.?labels.orValue({}) || object.metadata.name.size() > 0", "'label team-{i} missing'"),
        (WORKLOADS, "  - {name: containers, expression: \"object.spec.template.spec.containers\"}\n", "variables.containers.all(c, c.image.startsWith('registry.example.com/') || c.image.matches('^[a-z0-9.-]+(:[0-9]+)?/.*'))", "'untrusted image in ' + object.metadata.name"),
        (WORKLOADS, "", "object.spec.template.spec.containers.all(c, !c.image.endsWith(':latest'))", "'latest tag {i}'"),
        (WORKLOADS, "", "!has(object.spec.replicas) || object.spec.replicas <= 50 + {i}", "'too many replicas: ' + string(object.spec.replicas)"),
        (ANY, "", "object.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]+)*$')", "'bad name ' + object.metadata.name"),
        (WORKLOADS, "  - {name: limits, expression: \"object.spec.template.spec.containers.map(c, c.?resources.?limits.?memory.orValue('0'))\"}\n", "variables.limits.all(m, !isQuantity(m) || quantity(m).isLessThan(quantity('{i}Gi')) || true)", "'memory limit above {i}Gi'"),
        (PODS, "", "object.spec.containers.all(c, has(c.readinessProbe) || c.name != 'never-{i}')", "'probe missing'"),
        (ANY, "", "!('forbidden.example.com/annotation-{i}' in object.metadata.?annotations.orValue({}))", "'forbidden annotation'"),
        (SERVICES, "", "object.kind != 'Service' || object.spec.?type.orValue('ClusterIP') != 'ExternalName-{i}'", "'no ExternalName'"),
        (WORKLOADS, "", "object.spec.template.spec.containers.all(c, c.name.size() <= 63 && !c.name.startsWith('tmp-{i}'))", "'bad container name'"),
    ];
    let mut text = String::new();
    for number in 0..50 {
        let (rules, variables, expression, message) = templates[number % templates.len()];
        let fill = |template: &str| template.replace("{i}", &number.to_string());
        let variables = if variables.is_empty() { String::new() } else { format!("  variables:\n{}", fill(variables)) };
        text.push_str(&format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {{name: policy-{number}}}\nspec:\n  failurePolicy: Fail\n  matchConstraints:\n    resourceRules: {rules}\n{variables}  validations:\n  - expression: \"{}\"\n    messageExpression: \"{}\"\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {{name: policy-{number}}}\nspec: {{policyName: policy-{number}, validationActions: [{}]}}\n---\n",
            fill(expression),
            fill(message),
            ["Deny", "Warn", "Audit"][number % 3],
        ));
    }
    Source::new("policies.yaml", text)
}

static POLICIES: LazyLock<Source> = LazyLock::new(fifty_policies);

fn policy_options() -> Options {
    Options {
        fixes: false,
        policies: rampart_core::policy::PolicyOptions { sources: vec![POLICIES.clone()], ..Default::default() },
        ..Options::default()
    }
}

/// A whole check with 50 custom policies besides the rules.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse_check_and_50_policies(bencher: Bencher) {
    let (source, n_objects) = &*CORPUS;
    let options = policy_options();
    bencher.counter(ItemsCount::new(*n_objects)).counter(BytesCount::of_str(&source.text)).bench(|| {
        let report = check(std::slice::from_ref(black_box(source)), &options);
        report.findings.len() + report.objects.len()
    });
}

/// The same check with every fixable finding's fix worked out (what the command line
/// and the playground run).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse_check_and_fixes(bencher: Bencher) {
    let (source, n_objects) = &*CORPUS;
    let options = Options::default();
    bencher.counter(ItemsCount::new(*n_objects)).counter(BytesCount::of_str(&source.text)).bench(|| {
        let report = check(std::slice::from_ref(black_box(source)), &options);
        report.findings.len() + report.objects.len()
    });
}
