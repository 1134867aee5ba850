//! The registry keeps every rule honest: each one is documented with all sections, its
//! documented Example fails it, its "Use instead" passes it, and its id and severity match
//! the catalog (RULES.md and RULES-NEXT.md).

use std::collections::{BTreeMap, HashSet};

use rampart_core::fix::{self, Safety};
use rampart_core::parse::parse_source;
use rampart_core::rules::{Scope, DOC_SECTIONS};
use rampart_core::tree::join_key;
use rampart_core::{check, Config, Limits, Options, Rule, Severity, Source, RULES};
use serde_json::Value;

fn options_for(rule: &Rule) -> Options {
    let config = match rule.doc_section("Example configuration") {
        Some(_) => {
            let text = rule.doc_yaml("Example configuration").expect("Example configuration holds a ```yaml block");
            Config::parse("rampart.yaml", &text)
                .unwrap_or_else(|error| panic!("{}: bad example configuration: {error}", rule.id))
        }
        None => Config::default(),
    };
    // Cluster-wide rules judge only an input that claims to be complete (`--complete`).
    Options { config, complete: rule.scope == Scope::Cluster, ..Options::default() }
}

#[test]
fn every_rule_has_every_doc_section() {
    let mut problems = Vec::new();
    for rule in RULES.iter() {
        for section in DOC_SECTIONS {
            match rule.doc_section(section) {
                Some(text) if !text.trim().is_empty() => {}
                _ => problems.push(format!("{}: missing or empty section '## {section}'", rule.id)),
            }
        }
        for section in ["Example", "Use instead"] {
            if rule.doc_yaml(section).is_none() {
                problems.push(format!("{}: section '{section}' has no ```yaml block", rule.id));
            }
        }
        if rule.title.is_empty() || rule.remediation.is_empty() {
            problems.push(format!("{}: empty title or remediation", rule.id));
        }
        let kebab = rule.id.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
        if !kebab {
            problems.push(format!("{}: id is not kebab-case", rule.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn ids_are_unique() {
    let mut seen = HashSet::new();
    for rule in RULES.iter() {
        assert!(seen.insert(rule.id), "duplicate rule id {}", rule.id);
    }
}

#[test]
fn every_rule_is_found_by_its_id_whether_its_own_string_or_a_copy() {
    for rule in RULES.iter() {
        assert!(std::ptr::eq(rampart_core::rules::find(rule.id).unwrap(), *rule), "{}", rule.id);
        let copy = rule.id.to_string();
        assert!(std::ptr::eq(rampart_core::rules::find(&copy).unwrap(), *rule), "{}", rule.id);
        // A string at the same address but shorter is another id.
        let prefix = &rule.id[..rule.id.len() - 1];
        assert!(rampart_core::rules::find(prefix).is_none_or(|found| found.id == prefix), "{prefix}");
    }
    assert!(rampart_core::rules::find("no-such-rule").is_none());
}

#[test]
fn documented_examples_fail_and_their_fixes_pass() {
    let mut problems = Vec::new();
    for rule in RULES.iter() {
        let options = options_for(rule);
        let example = rule.doc_yaml("Example").unwrap_or_default();
        let report = check(&[Source::new("example.yaml", example)], &options);
        if !report.errors.is_empty() {
            problems.push(format!("{}: Example does not parse: {:?}", rule.id, report.errors));
        }
        if !report.findings.iter().any(|finding| finding.rule == rule.id) {
            problems.push(format!("{}: Example does not fail the rule", rule.id));
        }
        let fixed = rule.doc_yaml("Use instead").unwrap_or_default();
        let report = check(&[Source::new("use-instead.yaml", fixed)], &options);
        if !report.errors.is_empty() {
            problems.push(format!("{}: Use instead does not parse: {:?}", rule.id, report.errors));
        }
        if let Some(finding) = report.findings.iter().find(|finding| finding.rule == rule.id) {
            problems.push(format!("{}: Use instead fails the rule: {}", rule.id, finding.message));
        }
        if !report.objects.iter().any(|object| object.passed.contains(&rule.id)) {
            problems.push(format!("{}: the rule does not apply to its Use instead example", rule.id));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn objects_without_a_kind_are_counted_as_not_checked() {
    let report = check(
        &[Source::new("plain.yaml", "just: data\n---\nkind: Widget\napiVersion: acme.io/v1\n")],
        &Options::default(),
    );
    assert_eq!(report.summary.objects, 2);
    assert_eq!(report.summary.not_checked, 2);
    assert!(report.findings.is_empty());
}

/// The catalog's ids and default severities, read from the tables of RULES.md and
/// RULES-NEXT.md (the rules added since).
fn catalog() -> BTreeMap<String, (String, Severity)> {
    let mut rules = BTreeMap::new();
    for name in ["RULES.md", "RULES-NEXT.md"] {
        let before = rules.len();
        read_catalog(name, &mut rules);
        assert!(rules.len() > before, "{name} holds no rule");
    }
    rules
}

fn read_catalog(name: &str, rules: &mut BTreeMap<String, (String, Severity)>) {
    let path = format!("{}/../../shared/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    let mut section = String::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading.to_string();
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].starts_with('`') {
            continue;
        }
        let id = cells[1].trim_matches('`').to_string();
        let severity =
            cells.iter().find_map(|cell| Severity::parse(cell)).unwrap_or_else(|| panic!("no severity for {id}"));
        assert!(rules.insert(id.clone(), (section.clone(), severity)).is_none(), "{id} is listed twice");
    }
}

#[test]
fn registered_rules_match_the_catalog() {
    let catalog = catalog();
    assert!(catalog.len() > 75, "RULES.md and RULES-NEXT.md read incompletely: {}", catalog.len());
    for rule in RULES.iter() {
        let (_, severity) =
            catalog.get(rule.id).unwrap_or_else(|| panic!("{} is not in RULES.md or RULES-NEXT.md", rule.id));
        assert_eq!(rule.severity, *severity, "{} has the wrong default severity", rule.id);
    }
}

#[test]
fn every_id_of_the_catalog_exists() {
    let registered: HashSet<&str> = RULES.iter().map(|rule| rule.id).collect();
    let catalog = catalog();
    let missing: Vec<&String> = catalog.keys().filter(|id| !registered.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "rules of RULES.md and RULES-NEXT.md not implemented: {missing:?}");
    assert_eq!(registered.len(), catalog.len(), "every registered rule is in the catalog, and the other way round");
}

#[test]
fn fix_safety_is_documented_where_a_fix_exists() {
    let mut problems = Vec::new();
    for rule in RULES.iter() {
        match (rule.fix.is_some(), rule.doc_section("Fix safety")) {
            (true, None) => problems.push(format!("{}: has a fix but no '## Fix safety' section", rule.id)),
            (true, Some(text)) if !(text.starts_with("Safe") || text.starts_with("Unsafe")) => problems
                .push(format!("{}: '## Fix safety' should open with Safe or Unsafe and say why: {text}", rule.id)),
            (false, Some(text)) if !text.starts_with("No automatic fix") => problems
                .push(format!("{}: has no fix, so '## Fix safety' should say \"No automatic fix: why\"", rule.id)),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every rule with a fix: its fix, applied (unsafe ones included) to its documented
/// Example, silences the rule, and the manifest still reads as the same objects except
/// around the fixed fields.
#[test]
fn fixes_silence_their_rule_on_the_documented_example() {
    let mut problems = Vec::new();
    let mut fixed_rules = 0;
    for rule in RULES.iter().filter(|rule| rule.fix.is_some()) {
        let options = options_for(rule);
        let example = rule.doc_yaml("Example").unwrap_or_default();
        let sources = [Source::new("example.yaml", example.clone())];
        let before = check(&sources, &options);
        let violations: Vec<String> = before
            .findings
            .iter()
            .filter(|finding| finding.rule == rule.id)
            .map(|finding| finding.path.clone())
            .collect();
        if before.findings.iter().any(|finding| finding.rule == rule.id && finding.fix.is_none()) {
            problems.push(format!("{}: a finding of the Example has no fix", rule.id));
        }
        let fixed = fix::apply_rules(&sources, &options, Safety::Unsafe, |id| id == rule.id);
        let text = &fixed[0].text;
        let after = check(&[Source::new("example.yaml", text.clone())], &options);
        if !after.errors.is_empty() {
            problems.push(format!("{}: the fixed Example does not parse: {:?}\n{text}", rule.id, after.errors));
            continue;
        }
        if let Some(finding) = after.findings.iter().find(|finding| finding.rule == rule.id) {
            problems.push(format!("{}: still fails after its fix: {}\n{text}", rule.id, finding.message));
        }
        // The objects, apart from what the fix may touch: the mapping holding each fixed
        // field, and the pod's own settings (pod-level fixes of container findings).
        let mut allowed: Vec<String> = violations.iter().map(|path| parent_of(path)).collect();
        // The fixed fields themselves (a top-level one, such as apiVersion, has no parent).
        allowed.extend(violations.iter().cloned());
        allowed.extend(violations.iter().filter_map(|path| {
            path.find(".securityContext.").map(|index| path[..index + ".securityContext".len()].to_string())
        }));
        allowed.extend(["spec.securityContext", "spec.template.spec.securityContext"].map(String::from));
        let original = documents(&example);
        let changed = documents(text);
        let mut differences = Vec::new();
        diff_json("", &original, &changed, &mut differences);
        for difference in differences {
            if !allowed.iter().any(|prefix| {
                difference == *prefix
                    || difference.starts_with(&format!("{prefix}."))
                    || difference.starts_with(&format!("{prefix}["))
            }) {
                problems.push(format!("{}: the fix changed {difference}, beyond {allowed:?}\n{text}", rule.id));
            }
        }
        fixed_rules += 1;
    }
    assert!(fixed_rules >= 11, "only {fixed_rules} rules have fixes");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The field path of the mapping or sequence holding the field at `path`.
fn parent_of(path: &str) -> String {
    match path.rfind(['.', '[']) {
        Some(0) | None => String::new(),
        Some(index) if path[..index].ends_with(']') || path.as_bytes()[index] == b'.' => path[..index].to_string(),
        Some(index) => path[..index].to_string(),
    }
}

/// The first document of a YAML text as JSON.
fn documents(text: &str) -> Value {
    let (documents, errors) = parse_source(&Source::new("t.yaml", text), &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    documents.first().map(|document| document.root.to_json()).unwrap_or(Value::Null)
}

/// The field paths where two JSON trees differ (the outermost path of each difference).
fn diff_json(path: &str, left: &Value, right: &Value, out: &mut Vec<String>) {
    match (left, right) {
        (Value::Object(left_map), Value::Object(right_map)) => {
            let mut keys: Vec<&String> = left_map.keys().chain(right_map.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = join_key(path, key);
                match (left_map.get(key), right_map.get(key)) {
                    (Some(left), Some(right)) => diff_json(&child, left, right, out),
                    _ => out.push(child),
                }
            }
        }
        (Value::Array(left_items), Value::Array(right_items)) if left_items.len() == right_items.len() => {
            for (index, (left, right)) in left_items.iter().zip(right_items).enumerate() {
                diff_json(&format!("{path}[{index}]"), left, right, out);
            }
        }
        _ if left != right => out.push(path.to_string()),
        _ => {}
    }
}
