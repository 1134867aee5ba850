//! Report formats: what a [`Report`] looks like to a person, a script, a code-scanning
//! service and a CI test dashboard.
//!
//! - [`text`]: compiler-style diagnostics grouped by object, with the offending source line,
//!   for terminals and CI logs.
//! - [`json`]: the report itself serialized (the stable `"version": 1` contract).
//! - [`sarif`]: SARIF 2.1.0, for code-scanning tools that place each finding on its line.
//! - [`junit`]: JUnit XML, one test case per object × rule evaluated, for CI test views.
//!
//! Every format is a pure function of the report (and, where a format quotes source lines
//! or names files, of the sources): no I/O and no clock, so the same bytes come out for the
//! same input, natively and in WebAssembly.

use crate::engine::Report;
use crate::object::Resource;
use crate::rules::Severity;

pub mod junit;
pub mod sarif;
pub mod text;

/// The report as pretty-printed JSON (the `"version": 1` contract), ending with a newline.
pub fn json(report: &Report) -> String {
    // Serializing plain data (strings, numbers, options) into a string cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}

/// [`json`], written to `writer` as it is made: a large report (a hundred megabytes for
/// ten thousand files) is never held as one string, nor copied as that string grows.
pub fn write_json(report: &Report, mut writer: impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut writer, report)?;
    writer.write_all(b"\n")?;
    writer.flush()
}

/// `Deployment/prod/web`, `ClusterRole/admin`: an object's name as a path-like identifier
/// (JUnit class names, SARIF logical locations).
pub(crate) fn qualified_name(resource: &Resource) -> String {
    match &resource.namespace {
        Some(namespace) => format!("{}/{}/{}", resource.kind, namespace, resource.name),
        None => format!("{}/{}", resource.kind, resource.name),
    }
}

/// `findings`, `1 finding`: a count with its noun, singular or plural.
pub(crate) fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

/// Severities from worst to mildest, paired with a count taken from `count`.
pub(crate) fn severity_counts(count: impl Fn(Severity) -> usize) -> Vec<(Severity, usize)> {
    Severity::ALL.into_iter().map(|severity| (severity, count(severity))).collect()
}

/// Length in characters of the YAML/JSON key or scalar starting at `start`: a quoted string
/// with its quotes, or a plain scalar up to `: `, a comment, or (inside flow collections) a
/// flow indicator. Collection starts and sequence dashes are one character.
pub(crate) fn token_length(chars: &[char], start: usize) -> usize {
    let first = chars[start];
    let rest = &chars[start..];
    match first {
        '"' => {
            let mut escaped = false;
            for (index, &c) in rest.iter().enumerate().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => return index + 1,
                    _ => escaped = false,
                }
            }
            trimmed_length(rest)
        }
        '\'' => {
            let mut index = 1;
            while index < rest.len() {
                if rest[index] == '\'' {
                    if rest.get(index + 1) == Some(&'\'') {
                        index += 2;
                        continue;
                    }
                    return index + 1;
                }
                index += 1;
            }
            trimmed_length(rest)
        }
        '{' | '[' => 1,
        '-' if rest.get(1).is_none_or(|c| c.is_whitespace()) => 1,
        _ => {
            let in_flow = chars[..start].iter().any(|&c| c == '[' || c == '{');
            let mut end = rest.len();
            for (index, &c) in rest.iter().enumerate() {
                let next_is_space = rest.get(index + 1).is_none_or(|c| c.is_whitespace());
                let after_space = index > 0 && rest[index - 1].is_whitespace();
                if (c == ':' && next_is_space) || (c == '#' && after_space) || (in_flow && matches!(c, ',' | ']' | '}'))
                {
                    end = index;
                    break;
                }
            }
            trimmed_length(&rest[..end])
        }
    }
}

fn trimmed_length(chars: &[char]) -> usize {
    let mut length = chars.len();
    while length > 0 && chars[length - 1].is_whitespace() {
        length -= 1;
    }
    length.max(1)
}

/// Line `number` (1-based) of a text, without its line ending (and without a byte-order
/// mark, which the parser does not count either).
pub(crate) fn source_line(text: &str, number: u32) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let line = text.split('\n').nth(number.checked_sub(1)? as usize)?;
    Some(line.strip_suffix('\r').unwrap_or(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{check, Options};
    use crate::parse::Source;

    #[test]
    fn json_is_the_serialized_report() {
        let sources = [Source::new("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx\n    securityContext:\n      privileged: true\n")];
        let report = check(&sources, &Options::default());
        let text = json(&report);
        let mut streamed = Vec::new();
        write_json(&report, &mut streamed).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), text, "written as made, the same bytes");
        assert!(text.ends_with("}\n"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["version"], 1);
        assert_eq!(value["score_formula_version"], 2);
        let finding = value["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "pss-privileged").unwrap();
        assert_eq!(finding["resource"]["apiVersion"], "v1");
        assert_eq!(finding["line"], 10);
        assert_eq!(finding["column"], 7);
        assert!(finding.get("object").is_none(), "the internal object index is not part of the contract");
    }
}
