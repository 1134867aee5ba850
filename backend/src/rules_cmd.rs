//! `rampart rules` and `rampart explain`: the rule catalog as the registry declares it.
//!
//! `rules` prints a table (or, with `-o json`, an array with every rule's metadata for
//! scripts); `explain ID` prints one rule's metadata and its documentation, the same text
//! the rule's source file holds. An unknown id suggests the closest known ones.

use std::fmt::Write as _;

use rampart_core::compliance::{self, Framework};
use rampart_core::pss::PssLevel;
use rampart_core::rules::{self, Family, Rule, Scope};
use rampart_core::{Severity, RULES};
use serde::Serialize;

use crate::check::{EXIT_CLEAN, EXIT_ERROR};
use crate::cli::{ExplainArgs, ListFormat, RulesArgs};

pub fn list(args: &RulesArgs) -> u8 {
    let output = match args.output {
        ListFormat::Text => table(),
        ListFormat::Json => {
            let rules: Vec<Metadata> = RULES.iter().map(|rule| metadata(rule)).collect();
            serde_json::to_string_pretty(&rules).unwrap_or_default() + "\n"
        }
    };
    print(&output);
    EXIT_CLEAN
}

pub fn explain(args: &ExplainArgs) -> u8 {
    let Some(rule) = rules::find(&args.id) else {
        let suggestions = closest(&args.id);
        let hint = match suggestions.as_slice() {
            [] => String::new(),
            [one] => format!("; did you mean '{one}'?"),
            many => format!(
                "; did you mean one of {}?",
                many.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ")
            ),
        };
        eprintln!("error: unknown rule '{}'{hint} `rampart rules` lists every rule", args.id);
        return EXIT_ERROR;
    };
    print(&explanation(rule));
    EXIT_CLEAN
}

fn print(text: &str) {
    use std::io::Write as _;
    // A closed pipe (`rampart rules | head`) is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Object => "object",
        Scope::Context => "context",
        Scope::Manifest => "manifest",
        Scope::Cluster => "cluster",
    }
}

/// The layers of the hardening guide the rules come from.
fn guide_layer_name(layer: u8) -> &'static str {
    match layer {
        1 => "cluster",
        2 => "RBAC",
        3 => "pod security",
        4 => "images",
        5 => "secrets",
        6 => "runtime",
        7 => "supply chain",
        _ => "unknown layer",
    }
}

/// The short label of a framework in `explain`'s metadata (the guide's layer has its own
/// line).
fn framework_label(framework: Framework) -> &'static str {
    match framework {
        Framework::Cis => "CIS",
        Framework::Nsa => "NSA-CISA",
        Framework::Pss => "PSS control",
        Framework::Layers => "guide layer",
    }
}

fn table() -> String {
    let header = ["ID", "SEVERITY", "FAMILY", "SCOPE", "PSS", "TITLE"];
    let rows: Vec<[String; 6]> = RULES
        .iter()
        .map(|rule| {
            [
                rule.id.to_string(),
                rule.severity.to_string(),
                rule.family.as_str().to_string(),
                scope_name(rule.scope).to_string(),
                rule.pss.map_or("-".to_string(), |check| check.level.as_str().to_string()),
                rule.title.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 6]| {
        let mut text = String::new();
        for (index, cell) in cells.iter().enumerate() {
            if index + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ", width = widths[index]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]);
    }
    let _ = writeln!(out, "\n{} rules; `rampart explain ID` prints one's documentation", RULES.len());
    out
}

/// Every piece of a rule's metadata, for `rampart rules -o json` (fields in this order).
#[derive(Serialize)]
struct Metadata {
    id: &'static str,
    title: &'static str,
    severity: Severity,
    family: Family,
    scope: Scope,
    pss: Option<PssMetadata>,
    guide_layer: Option<u8>,
    cis: Option<&'static str>,
    /// Every control the rule assesses, by framework (`cis`, `nsa`, `pss`, `layers`).
    controls: std::collections::BTreeMap<Framework, Vec<&'static str>>,
    remediation: &'static str,
    /// Whether `rampart check --fix` can fix findings of the rule (how safely: the docs'
    /// "Fix safety").
    autofix: bool,
}

#[derive(Serialize)]
struct PssMetadata {
    level: PssLevel,
    check: &'static str,
    /// The first policy version with the check, as `v1.N`.
    since: String,
}

fn metadata(rule: &Rule) -> Metadata {
    Metadata {
        id: rule.id,
        title: rule.title,
        severity: rule.severity,
        family: rule.family,
        scope: rule.scope,
        pss: rule.pss.map(|check| PssMetadata {
            level: check.level,
            check: check.check,
            since: format!("v1.{}", check.since),
        }),
        guide_layer: rule.guide_layer,
        cis: rule.cis,
        controls: compliance::controls_of(rule).into_iter().fold(Default::default(), |mut map, mapped| {
            map.entry(mapped.framework).or_insert_with(Vec::new).push(mapped.control.id);
            map
        }),
        remediation: rule.remediation,
        autofix: rule.fix.is_some(),
    }
}

fn explanation(rule: &Rule) -> String {
    let mut out = format!("{}: {}\n\n", rule.id, rule.title);
    let mut field = |name: &str, value: String| {
        let _ = writeln!(out, "  {name:<12} {value}");
    };
    field("severity", rule.severity.to_string());
    field("family", rule.family.as_str().to_string());
    field("scope", scope_name(rule.scope).to_string());
    if let Some(check) = rule.pss {
        field("pss", format!("{}, check `{}`, since v1.{}", check.level.as_str(), check.check, check.since));
    }
    if let Some(layer) = rule.guide_layer {
        field("guide layer", format!("{layer} ({})", guide_layer_name(layer)));
    }
    let controls = compliance::controls_of(rule);
    for framework in Framework::ALL {
        let ids: Vec<&str> = controls
            .iter()
            .filter(|mapped| mapped.framework == framework && framework != Framework::Layers)
            .map(|mapped| mapped.control.id)
            .collect();
        if !ids.is_empty() {
            field(framework_label(framework), ids.join(", "));
        }
    }
    field("fix", rule.remediation.to_string());
    let autofix = if rule.fix.is_some() { "rampart check --fix (see Fix safety below)" } else { "none" };
    field("autofix", autofix.to_string());
    out.push('\n');
    out.push_str(rule.documentation().trim_end());
    out.push('\n');
    out
}

/// Known ids close to `id`: by edit distance, or containing it (or contained in it).
fn closest(id: &str) -> Vec<&'static str> {
    let id = id.to_ascii_lowercase();
    let limit = (id.len() / 3).max(2);
    let mut candidates: Vec<(usize, &'static str)> = RULES
        .iter()
        .map(|rule| (edit_distance(&id, rule.id), rule.id))
        .filter(|(distance, candidate)| {
            *distance <= limit || (id.len() >= 4 && (candidate.contains(&id) || id.contains(candidate)))
        })
        .collect();
    candidates.sort();
    candidates.into_iter().take(3).map(|(_, candidate)| candidate).collect()
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("pss-privilegd").first(), Some(&"pss-privileged"));
        assert_eq!(closest("privileged").first(), Some(&"pss-privileged"));
        assert!(closest("zzzzzzzzzzzzzzzzzzzzzz").is_empty());
    }

    #[test]
    fn explain_names_the_controls_of_every_framework() {
        let text = explanation(rules::find("pss-host-namespaces").unwrap());
        assert!(text.contains("  CIS          5.2.3, 5.2.4, 5.2.5\n"), "{text}");
        assert!(text.contains("  NSA-CISA     pod-hardening\n"), "{text}");
        assert!(text.contains("  PSS control  hostNamespaces\n"), "{text}");
    }

    #[test]
    fn every_rule_explains_itself() {
        for rule in RULES.iter() {
            let text = explanation(rule);
            assert!(text.starts_with(&format!("{}: {}\n", rule.id, rule.title)));
            assert!(text.contains("## What it checks"), "{}", rule.id);
            assert!(text.contains("  guide layer"), "{}", rule.id);
        }
    }
}
