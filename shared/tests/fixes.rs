//! Fixes end to end: the guide's insecure manifests, fixed with the unsafe fixes too, meet
//! the restricted Pod Security level with a diff of security lines only; and over many
//! generated manifests (2 or 4 spaces, sequences indented or not, comments, flow style,
//! several documents, CRLF) fixing is idempotent, leaves every other line byte for byte,
//! and re-checks clean for the rules it fixed.

use rampart_core::fix::{self, Safety};
use rampart_core::parse::parse_source;
use rampart_core::pss::PssLevel;
use rampart_core::tree::Node;
use rampart_core::{check, Limits, Options, Report, Source};
use similar::{DiffTag, TextDiff};

/// Words of the lines a fix may add, change or remove.
const SECURITY_WORDS: [&str; 28] = [
    "hostUsers",
    "securityContext",
    "privileged",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "runAsNonRoot",
    "runAsUser",
    "capabilities",
    "drop",
    "add",
    "ALL",
    "_ADMIN",
    "seccompProfile",
    "type:",
    "imagePullPolicy",
    "hostPort",
    "hostPath",
    "path:",
    "emptyDir",
    "automountServiceAccountToken",
    "pod-security.kubernetes.io",
    "labels:",
    "NET_RAW",
    "CHOWN",
    "Localhost",
];

fn example(path: &str) -> Source {
    let full = format!("{}/../examples/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("cannot read {full}: {error}"));
    Source::new(path, text)
}

/// The problems with how `fixed` differs from `original`: lines removed or added that a
/// fix had no business touching.
fn foreign_changes(original: &str, fixed: &str) -> Vec<String> {
    let diff = TextDiff::from_lines(original, fixed);
    let mut problems = Vec::new();
    for op in diff.ops() {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let old: Vec<&str> = op.old_range().filter_map(|index| diff.old_slice(index)).collect();
        let new: Vec<&str> = op.new_range().filter_map(|index| diff.new_slice(index)).collect();
        for line in &old {
            let security = SECURITY_WORDS.iter().any(|word| line.contains(word));
            // A flow collection that gained an entry keeps its text up to the closing bracket.
            let kept = line.trim_end_matches(['\n', '\r', ' ', '}', ']']);
            let extended = new.iter().any(|new_line| new_line.starts_with(kept));
            if !security && !extended {
                problems.push(format!("removed or changed: {line:?}"));
            }
        }
        for line in &new {
            if !SECURITY_WORDS.iter().any(|word| line.contains(word)) {
                let kept =
                    old.iter().any(|old_line| line.starts_with(old_line.trim_end_matches(['\n', '\r', '}', ']'])));
                if !kept {
                    problems.push(format!("added: {line:?}"));
                }
            }
        }
    }
    problems
}

fn workload_levels(report: &Report) -> Vec<(String, PssLevel)> {
    report.objects.iter().filter_map(|object| object.pss.map(|level| (object.resource.display_name(), level))).collect()
}

#[test]
fn the_insecure_examples_fixed_meet_restricted_with_a_diff_of_security_lines() {
    let mut sources = vec![example("insecure-deployment.yaml"), example("insecure-namespace.yaml")];
    let guide = format!("{}/../examples/guide", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&guide)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    names.sort();
    sources.extend(names.iter().map(|name| example(&format!("guide/{name}"))));
    let options = Options::default();
    let fixed = fix::apply(&sources, &options, Safety::Unsafe);
    let fixed_sources: Vec<Source> =
        fixed.iter().map(|fixed| Source::new(fixed.name.clone(), fixed.text.clone())).collect();
    let report = check(&fixed_sources, &options);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let levels = workload_levels(&report);
    assert!(levels.len() >= 5, "{levels:?}");
    for (name, level) in &levels {
        assert_eq!(*level, PssLevel::Restricted, "{name} after fixing");
    }
    for (source, fixed) in sources.iter().zip(&fixed) {
        let problems = foreign_changes(&source.text, &fixed.text);
        assert!(problems.is_empty(), "{}: {problems:#?}\n{}", source.name, fixed.text);
    }
    let deployment = &fixed[0];
    assert!(deployment.changed && deployment.fixes >= 10, "{deployment:?}");
    // Comments on lines the fixes leave alone stay.
    assert!(deployment.text.contains("        image: myapp:latest      # mutable tag, no digest\n"));
    assert!(deployment.text.starts_with("# The insecure counterpart"));
}

#[test]
fn safe_fixes_alone_change_only_what_cannot_break_a_workload() {
    let sources = [example("insecure-deployment.yaml")];
    let fixed = fix::apply(&sources, &Options::default(), Safety::Safe);
    let diff = TextDiff::from_lines(&sources[0].text, &fixed[0].text);
    let changed: Vec<String> = diff
        .iter_all_changes()
        .filter(|change| change.tag() != similar::ChangeTag::Equal)
        .map(|change| format!("{}{}", change.tag(), change.value()))
        .collect();
    // The container is privileged, so allowPrivilegeEscalation: false is unsafe there
    // (the API server would refuse it beside privileged: true).
    assert_eq!(changed, ["-        imagePullPolicy: IfNotPresent\n", "+        imagePullPolicy: Always\n"]);
}

/// A small deterministic generator of workload manifests with the layouts people write.
struct Generator {
    state: u64,
}

impl Generator {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[(self.next() % options.len() as u64) as usize]
    }

    fn manifest(&mut self) -> String {
        let documents = 1 + self.next() % 3;
        let mut out = String::new();
        if self.chance(30) {
            out.push_str("# generated manifest\n");
        }
        for index in 0..documents {
            if index > 0 || self.chance(30) {
                out.push_str("---\n");
            }
            if self.chance(15) {
                out.push_str(&self.namespace(index));
            } else {
                out.push_str(&self.workload(index));
            }
        }
        if self.chance(25) {
            out = out.replace('\n', "\r\n");
        }
        if self.chance(10) {
            out.truncate(out.trim_end().len());
        }
        out
    }

    fn namespace(&mut self, index: u64) -> String {
        let labels = match self.next() % 3 {
            0 => String::new(),
            1 => "  labels:\n    pod-security.kubernetes.io/enforce: baseline\n".to_string(),
            _ => "  labels: {team: web}\n".to_string(),
        };
        format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns{index}\n{labels}")
    }

    fn workload(&mut self, index: u64) -> String {
        let indent = if self.chance(50) { 2 } else { 4 };
        let sequence_indent = if self.chance(50) { 0 } else { indent };
        let pad = |level: usize| " ".repeat(level * indent);
        let (kind, api, depth) = match self.next() % 3 {
            0 => ("Pod", "v1", 0),
            1 => ("Deployment", "apps/v1", 2),
            _ => ("CronJob", "batch/v1", 4),
        };
        let mut out = format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n{}name: w{index}\n", pad(1));
        if self.chance(20) {
            out.push_str("# the spec\n");
        }
        out.push_str("spec:\n");
        // Nest down to the pod spec: template(s) as the kind needs.
        let mut level = 1;
        let path: &[&str] = match depth {
            0 => &[],
            2 => &["template:", "spec:"],
            _ => &["schedule: \"0 * * * *\"", "jobTemplate:", "spec:", "template:", "spec:"],
        };
        for step in path {
            out.push_str(&format!("{}{step}\n", pad(level)));
            if step.ends_with(':') {
                level += 1;
            }
        }
        let spec = level;
        if self.chance(40) {
            out.push_str(&format!("{}hostNetwork: true{}\n", pad(spec), self.comment()));
        }
        match self.next() % 3 {
            0 => {}
            1 => out.push_str(&format!("{}securityContext:\n{}runAsUser: 0\n", pad(spec), pad(spec + 1))),
            _ => out.push_str(&format!("{}securityContext: {{fsGroup: 2000}}\n", pad(spec))),
        }
        let flow_containers = self.chance(15);
        if flow_containers {
            let context = self.pick(&["", ", securityContext: {privileged: true}", ", securityContext: {}"]);
            out.push_str(&format!("{}containers: [{{name: app, image: app:1{context}}}]\n", pad(spec)));
        } else {
            out.push_str(&format!("{}containers:\n", pad(spec)));
            let dash = format!("{}{}", pad(spec), " ".repeat(sequence_indent));
            let inner = format!("{dash}  ");
            for container in 0..1 + self.next() % 2 {
                if self.chance(30) {
                    out.push_str(&format!("{dash}- {{name: c{container}, image: app:{container}}}\n"));
                    continue;
                }
                out.push_str(&format!("{dash}- name: c{container}{}\n", self.comment()));
                out.push_str(&format!("{inner}image: app:{container}\n"));
                if self.chance(50) {
                    out.push_str(&format!("{inner}imagePullPolicy: IfNotPresent\n"));
                }
                match self.next() % 4 {
                    0 => {}
                    1 => out.push_str(&format!(
                        "{inner}securityContext:\n{inner}{}privileged: true{}\n{inner}{}allowPrivilegeEscalation: true\n",
                        " ".repeat(indent),
                        self.comment(),
                        " ".repeat(indent)
                    )),
                    2 => out.push_str(&format!("{inner}securityContext: {{readOnlyRootFilesystem: false}}\n")),
                    _ => out.push_str(&format!(
                        "{inner}securityContext:\n{inner}{}capabilities:\n{inner}{}add: [NET_ADMIN]\n",
                        " ".repeat(indent),
                        " ".repeat(indent * 2)
                    )),
                }
                if self.chance(30) {
                    out.push_str(&format!(
                        "{inner}ports:\n{inner}{}- containerPort: 80\n{inner}{}  hostPort: 80\n",
                        " ".repeat(sequence_indent),
                        " ".repeat(sequence_indent)
                    ));
                }
                if self.chance(20) {
                    out.push_str(&format!("{inner}# end of c{container}\n"));
                }
            }
        }
        if self.chance(30) {
            let dash = format!("{}{}", pad(spec), " ".repeat(sequence_indent));
            out.push_str(&format!(
                "{}volumes:\n{dash}- name: host\n{dash}  hostPath:\n{dash}  {}path: /var/log\n",
                pad(spec),
                " ".repeat(indent)
            ));
        }
        out
    }

    fn comment(&mut self) -> &'static str {
        self.pick(&["", "", "  # note", "   # why: legacy"])
    }
}

#[test]
fn fixing_generated_manifests_is_minimal_idempotent_and_clean() {
    let options = Options::default();
    let mut generator = Generator { state: 0x9e37_79b9_7f4a_7c15 };
    let mut total_fixes = 0;
    for case in 0..300 {
        let text = generator.manifest();
        let sources = [Source::new("generated.yaml", text.clone())];
        let before = check(&sources, &options);
        assert!(before.errors.is_empty(), "case {case}: the generator wrote bad YAML: {:?}\n{text}", before.errors);
        let fixed = fix::apply(&sources, &options, Safety::Unsafe);
        let output = &fixed[0].text;
        total_fixes += fixed[0].fixes;
        let context = format!("case {case}:\n--- input\n{text}\n--- output\n{output}");

        let after = check(&[Source::new("generated.yaml", output.clone())], &options);
        assert!(after.errors.is_empty(), "{context}\nerrors: {:?}", after.errors);
        let left: Vec<String> = after
            .findings
            .iter()
            .filter(|finding| finding.fix.is_some())
            .map(|finding| format!("{} at {}", finding.rule, finding.path))
            .collect();
        assert!(left.is_empty(), "{context}\nfixable findings left: {left:?}");
        for (name, level) in workload_levels(&after) {
            assert_eq!(level, PssLevel::Restricted, "{context}\n{name}");
        }

        let again = fix::apply(&[Source::new("generated.yaml", output.clone())], &options, Safety::Unsafe);
        assert_eq!(&again[0].text, output, "{context}\nnot idempotent");
        assert!(!again[0].changed);

        let (documents, _) = parse_source(&Source::new("generated.yaml", output.as_str()), &Limits::default());
        for document in &documents {
            assert_no_duplicate_keys(&document.root, &context);
        }

        let problems = foreign_changes(&text, output);
        assert!(problems.is_empty(), "{context}\n{problems:#?}");
        if text.contains("\r\n") {
            let bare = output.replace("\r\n", "").contains('\n');
            assert!(!bare, "{context}\na line lost its CRLF");
        }
    }
    assert!(total_fixes > 1000, "the generator should give the fixes work: {total_fixes}");
}

/// A fix must never write a key twice into one mapping (YAML readers disagree on which wins).
fn assert_no_duplicate_keys(node: &Node, context: &str) {
    let mut seen = std::collections::HashSet::new();
    for entry in node.entries() {
        assert!(seen.insert(entry.key.to_string()), "{context}\nduplicate key {}", entry.key);
        assert_no_duplicate_keys(&entry.value, context);
    }
    for item in node.items() {
        assert_no_duplicate_keys(item, context);
    }
}
