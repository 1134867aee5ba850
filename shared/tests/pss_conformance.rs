//! Conformance with upstream Pod Security admission: every fixture of the upstream corpus
//! (copied to `shared/conformance/pss/`, see its README) must be classified as upstream
//! classifies it, at its level and policy version.
//!
//! A `pass/` fixture must pass every rule of its level's check set; a `fail/<checkid><n>`
//! fixture must fail the rule implementing `<checkid>`, or at the restricted level the
//! restricted rule that overrides it. The doc examples of the `pss-*` rules are checked here
//! too, since they are the first thing a reader of `rampart explain` tries.

use std::fs;
use std::path::{Path, PathBuf};

use rampart_core::pss::{level_rules, PssLevel, NEWEST_MINOR};
use rampart_core::{check, Options, Rule, Source, RULES};

/// The fixture corpus; the repository keeps `shared/` (data) beside the workspace.
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/pss");
/// How many fixtures the upstream snapshot holds (README: 4,537 YAML files).
const EXPECTED_FIXTURES: usize = 4537;

#[test]
fn every_upstream_fixture_is_classified_like_upstream() {
    let corpus = Path::new(CORPUS);
    let mut total = 0;
    let mut misclassified = Vec::new();
    for level in [PssLevel::Baseline, PssLevel::Restricted] {
        for minor in 0..=NEWEST_MINOR {
            let version_directory = corpus.join(level.as_str()).join(format!("v1.{minor}"));
            let level_set = level_rules(level, minor);
            for expect_pass in [true, false] {
                let directory = version_directory.join(if expect_pass { "pass" } else { "fail" });
                for file in yaml_files(&directory) {
                    total += 1;
                    if let Err(problem) = classify(&file, level, minor, &level_set, expect_pass) {
                        let shown = file.strip_prefix(corpus).unwrap_or(&file).display().to_string();
                        misclassified.push(format!("{shown}: {problem}"));
                    }
                }
            }
        }
    }
    println!("pss conformance: {} of {total} fixtures classified like upstream", total - misclassified.len());
    for line in &misclassified {
        println!("  misclassified {line}");
    }
    assert!(misclassified.is_empty(), "{} of {total} fixtures misclassified", misclassified.len());
    assert_eq!(total, EXPECTED_FIXTURES, "the corpus at {CORPUS} is incomplete");
}

/// Checks one fixture; the error says how the engine's verdict differs from upstream's.
fn classify(
    file: &Path,
    level: PssLevel,
    minor: u32,
    level_set: &[&'static Rule],
    expect_pass: bool,
) -> Result<(), String> {
    let text = fs::read_to_string(file).map_err(|error| format!("cannot read: {error}"))?;
    let report =
        check(&[Source::new(file.display().to_string(), text)], &Options { pss_version: minor, ..Default::default() });
    if !report.errors.is_empty() || report.objects.len() != 1 {
        return Err(format!(
            "expected one readable object, got {} and errors {:?}",
            report.objects.len(),
            report.errors
        ));
    }
    let mut failed: Vec<&str> = report
        .findings
        .iter()
        .map(|finding| finding.rule.as_ref())
        .filter(|id| level_set.iter().any(|rule| rule.id == *id))
        .collect();
    failed.dedup();
    if expect_pass {
        return if failed.is_empty() { Ok(()) } else { Err(format!("should pass, fails {failed:?}")) };
    }
    let stem = file.file_stem().and_then(|stem| stem.to_str()).unwrap_or_default();
    let check_id = stem.trim_end_matches(|character: char| character.is_ascii_digit());
    let expected = expected_rule(check_id, level, minor, level_set)?;
    if failed.contains(&expected.id) {
        Ok(())
    } else {
        Err(format!("should fail {}, fails {failed:?}", expected.id))
    }
}

/// The rule a `fail/<checkid>` fixture must fail: the one implementing the check, or at the
/// restricted level the restricted rule that replaces it at this version.
fn expected_rule(
    check_id: &str,
    level: PssLevel,
    minor: u32,
    level_set: &[&'static Rule],
) -> Result<&'static Rule, String> {
    let implementing = RULES
        .iter()
        .copied()
        .find(|rule| rule.pss.is_some_and(|pss| pss.check.to_lowercase() == check_id))
        .ok_or_else(|| format!("no rule implements check {check_id:?}"))?;
    if level_set.iter().any(|rule| rule.id == implementing.id) {
        return Ok(implementing);
    }
    level_set
        .iter()
        .copied()
        .find(|rule| {
            rule.pss.and_then(|pss| pss.overrides).is_some_and(|(id, from)| id == implementing.id && from <= minor)
        })
        .ok_or_else(|| {
            format!("{} is not in the {} set of v1.{minor}, and nothing replaces it", implementing.id, level.as_str())
        })
}

fn yaml_files(directory: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(directory) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn pss_doc_examples_fail_and_their_fixes_pass() {
    let pss_rules: Vec<&Rule> = RULES.iter().copied().filter(|rule| rule.pss.is_some()).collect();
    assert_eq!(pss_rules.len(), 19, "one rule per upstream check");
    for rule in pss_rules {
        let fails = |heading: &str| {
            let yaml = rule.doc_yaml(heading).unwrap_or_else(|| panic!("{}: no YAML under {heading}", rule.id));
            let report = check(&[Source::new(format!("{} {heading}", rule.id), yaml)], &Options::default());
            assert!(report.errors.is_empty(), "{} {heading}: {:?}", rule.id, report.errors);
            report.findings.iter().any(|finding| finding.rule == rule.id)
        };
        assert!(fails("Example"), "{}: the Example passes the rule", rule.id);
        assert!(!fails("Use instead"), "{}: the Use instead example fails the rule", rule.id);
    }
}
