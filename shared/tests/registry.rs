//! The registry keeps every rule honest: each one is documented with all sections, its
//! documented Example fails it, its "Use instead" passes it, and its id and severity match
//! the catalog (RULES.md).

use std::collections::{BTreeMap, HashSet};

use rampart_core::rules::{Scope, DOC_SECTIONS};
use rampart_core::{check, Config, Options, Rule, Severity, Source, RULES};

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

/// The catalog's ids and default severities, read from RULES.md's tables.
fn catalog() -> BTreeMap<String, (String, Severity)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/RULES.md");
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    let mut section = String::new();
    let mut rules = BTreeMap::new();
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
        rules.insert(id, (section.clone(), severity));
    }
    rules
}

#[test]
fn registered_rules_match_the_catalog() {
    let catalog = catalog();
    assert!(catalog.len() > 60, "RULES.md read incompletely: {}", catalog.len());
    for rule in RULES.iter() {
        let (_, severity) = catalog.get(rule.id).unwrap_or_else(|| panic!("{} is not in RULES.md", rule.id));
        assert_eq!(rule.severity, *severity, "{} has the wrong default severity", rule.id);
    }
}

#[test]
fn the_catalog_families_of_the_engine_are_complete() {
    // Families whose every rule must exist (the object-scope families; the cross-object
    // families are checked the same way once they are implemented).
    let complete_sections =
        ["Pod Security Standards (family `pss`)", "Workloads (object scope)", "Images (object scope)"];
    let registered: HashSet<&str> = RULES.iter().map(|rule| rule.id).collect();
    let missing: Vec<String> = catalog()
        .into_iter()
        .filter(|(_, (section, _))| complete_sections.contains(&section.as_str()))
        .filter(|(id, _)| !registered.contains(id.as_str()))
        .map(|(id, _)| id)
        .collect();
    assert!(missing.is_empty(), "rules of RULES.md not implemented: {missing:?}");
    for id in ["secret-in-env", "credential-in-env-literal", "credential-in-configmap", "external-secret-no-rotation"] {
        assert!(registered.contains(id), "{id} is not registered");
    }
}
