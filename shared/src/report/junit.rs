//! JUnit XML, the format CI systems show as a test report.
//!
//! One `<testsuite>` per source file; in it one `<testcase>` per object × rule evaluated,
//! named `classname="Kind/namespace/name" name="rule-id"`: a rule that passed is a passing
//! case, a failed rule carries one `<failure>` (message, severity as the type, and each
//! location with the remediation in the body), and a rule whose findings were all exempted
//! is `<skipped>` with the reason. Cases follow the registry's rule order. Each parse error
//! is a `<testcase name="parse">` with an `<error>`. Objects no rule applied to get no case.
//! No timings are written: the engine has no clock.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::engine::{Finding, ObjectReport, Report};
use crate::parse::{ParseError, Source};
use crate::rules::RULES;

use super::qualified_name;

/// Renders the report as JUnit XML with one suite per source, in the order of `sources`
/// (then any other source the report names).
pub fn render(report: &Report, sources: &[Source]) -> String {
    let mut suite_names: Vec<&str> = sources.iter().map(|source| source.name.as_str()).collect();
    let named_in_report = report
        .objects
        .iter()
        .map(|object| object.resource.source.as_str())
        .chain(report.errors.iter().map(|error| error.source_name.as_str()));
    for name in named_in_report {
        if !suite_names.contains(&name) {
            suite_names.push(name);
        }
    }

    let mut suites: Vec<Suite> = Vec::new();
    let mut positions: HashMap<&str, usize> = HashMap::new();
    for name in suite_names {
        if !positions.contains_key(name) {
            positions.insert(name, suites.len());
            suites.push(Suite { name, cases: Vec::new() });
        }
    }
    let mut findings_of: HashMap<usize, Vec<&Finding>> = HashMap::new();
    for finding in &report.findings {
        findings_of.entry(finding.object).or_default().push(finding);
    }
    for (position, object) in report.objects.iter().enumerate() {
        let suite = &mut suites[positions[object.resource.source.as_str()]];
        let findings = findings_of.get(&position).map_or(&[][..], Vec::as_slice);
        suite.cases.extend(object_cases(object, findings));
    }
    for error in &report.errors {
        suites[positions[error.source_name.as_str()]].cases.push(parse_case(error));
    }

    let count = |outcome: fn(&Outcome) -> bool| -> usize {
        suites.iter().map(|suite| suite.cases.iter().filter(|case| outcome(&case.outcome)).count()).sum()
    };
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"rampart\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        suites.iter().map(|suite| suite.cases.len()).sum::<usize>(),
        count(|outcome| matches!(outcome, Outcome::Failure { .. })),
        count(|outcome| matches!(outcome, Outcome::Error { .. })),
        count(|outcome| matches!(outcome, Outcome::Skipped { .. })),
    );
    for suite in &suites {
        suite.write(&mut xml);
    }
    xml.push_str("</testsuites>\n");
    xml
}

struct Suite<'a> {
    name: &'a str,
    cases: Vec<Case>,
}

struct Case {
    classname: String,
    name: String,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Failure { message: String, kind: String, body: String },
    Skipped { message: String },
    Error { message: String, body: String },
}

impl Suite<'_> {
    fn write(&self, xml: &mut String) {
        let count = |outcome: fn(&Outcome) -> bool| self.cases.iter().filter(|case| outcome(&case.outcome)).count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            escape(self.name),
            self.cases.len(),
            count(|outcome| matches!(outcome, Outcome::Failure { .. })),
            count(|outcome| matches!(outcome, Outcome::Error { .. })),
            count(|outcome| matches!(outcome, Outcome::Skipped { .. })),
        );
        for case in &self.cases {
            let open =
                format!("    <testcase classname=\"{}\" name=\"{}\"", escape(&case.classname), escape(&case.name));
            let _ = match &case.outcome {
                Outcome::Passed => writeln!(xml, "{open}/>"),
                Outcome::Failure { message, kind, body } => writeln!(
                    xml,
                    "{open}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                    escape(message),
                    escape(kind),
                    escape(body)
                ),
                Outcome::Skipped { message } => {
                    writeln!(xml, "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>", escape(message))
                }
                Outcome::Error { message, body } => writeln!(
                    xml,
                    "{open}>\n      <error message=\"{}\" type=\"parse\">{}</error>\n    </testcase>",
                    escape(message),
                    escape(body)
                ),
            };
        }
        xml.push_str("  </testsuite>\n");
    }
}

/// The cases of one object: every rule that passed, failed or was exempted, in rule order.
fn object_cases(object: &ObjectReport, findings: &[&Finding]) -> Vec<Case> {
    let classname = qualified_name(&object.resource);
    let mut rule_ids: Vec<&str> = object.passed.iter().chain(&object.failed).copied().collect();
    rule_ids.extend(object.passed_policies.iter().chain(&object.failed_policies).map(String::as_str));
    for finding in findings {
        if !rule_ids.contains(&finding.rule.as_ref()) {
            rule_ids.push(&finding.rule);
        }
    }
    let order = |id: &str| RULES.iter().position(|rule| rule.id == id).unwrap_or(usize::MAX);
    rule_ids.sort_by_key(|id| (order(id), *id));
    rule_ids
        .into_iter()
        .map(|rule| {
            let rule_findings: Vec<&Finding> =
                findings.iter().copied().filter(|finding| finding.rule == rule).collect();
            let open: Vec<&Finding> = rule_findings.iter().copied().filter(|finding| !finding.exempted).collect();
            let outcome = if object.passed.contains(&rule)
                || object.passed_policies.iter().any(|passed| passed == rule)
                || rule_findings.is_empty()
            {
                Outcome::Passed
            } else if open.is_empty() {
                let reason = rule_findings[0].exemption_reason.as_deref().unwrap_or("exempted");
                Outcome::Skipped { message: format!("exempted: {reason}") }
            } else {
                failure(&open)
            };
            Case { classname: classname.clone(), name: rule.to_string(), outcome }
        })
        .collect()
}

/// One `<failure>` for all open findings of a rule on an object.
fn failure(findings: &[&Finding]) -> Outcome {
    let first = findings[0];
    let message = match findings.len() {
        1 => first.message.clone(),
        n => format!("{} (and {} more)", first.message, n - 1),
    };
    let mut body = String::new();
    for finding in findings {
        let _ = writeln!(
            body,
            "{}:{}:{}: {} ({})",
            finding.resource.source, finding.line, finding.column, finding.message, finding.path
        );
    }
    let _ = write!(body, "fix: {}", first.remediation);
    Outcome::Failure { message, kind: first.severity.as_str().to_string(), body }
}

fn parse_case(error: &ParseError) -> Case {
    Case {
        classname: error.source_name.clone(),
        name: "parse".to_string(),
        outcome: Outcome::Error {
            message: error.message.clone(),
            body: format!("{}:{}:{}: {}", error.source_name, error.line, error.column, error.message),
        },
    }
}

/// Escapes text for XML attributes and content. Characters XML 1.0 cannot hold at all
/// (control characters other than tab and line breaks) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => escaped.push('\u{fffd}'),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{check, Options};

    const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: dev
spec:
  containers:
  - name: shell
    image: busybox:1.36
    securityContext:
      privileged: true
";

    fn case<'a>(xml: &'a str, classname: &str, rule: &str) -> &'a str {
        let open = format!("<testcase classname=\"{classname}\" name=\"{rule}\"");
        let start = xml.find(&open).unwrap_or_else(|| panic!("no case {classname} {rule} in\n{xml}"));
        let rest = &xml[start..];
        let end = if rest[open.len()..].starts_with("/>") {
            open.len() + 2
        } else {
            rest.find("</testcase>").unwrap() + "</testcase>".len()
        };
        &rest[..end]
    }

    #[test]
    fn failures_passes_and_suites() {
        let sources = [Source::new("pod.yaml", POD), Source::new("empty.yaml", "")];
        let report = check(&sources, &Options::default());
        let xml = render(&report, &sources);
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rampart\" tests=\""),
            "{xml}"
        );
        assert!(xml.contains(
            "<testsuite name=\"empty.yaml\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">\n  </testsuite>"
        ));
        assert_eq!(
            case(&xml, "Pod/dev/debug", "pss-privileged"),
            "<testcase classname=\"Pod/dev/debug\" name=\"pss-privileged\">
      <failure message=\"container &quot;shell&quot; runs privileged\" type=\"critical\">pod.yaml:11:7: container &quot;shell&quot; runs privileged (spec.containers[0].securityContext.privileged)
fix: Remove `privileged: true` from the container&apos;s securityContext (or set it to false).</failure>
    </testcase>"
        );
        let object = &report.objects[0];
        let expected_cases = object.passed.len() + object.failed.len();
        assert_eq!(xml.matches("<testcase classname=\"Pod/dev/debug\"").count(), expected_cases);
        for passed in &object.passed {
            assert_eq!(
                case(&xml, "Pod/dev/debug", passed),
                format!("<testcase classname=\"Pod/dev/debug\" name=\"{passed}\"/>")
            );
        }
        let failures = object.failed.len();
        assert!(xml.contains(&format!("<testsuite name=\"pod.yaml\" tests=\"{expected_cases}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">")), "{xml}");
    }

    #[test]
    fn exempted_rules_are_skipped_and_parse_errors_are_errors() {
        let exempted = POD.replace(
            "  namespace: dev\n",
            "  namespace: dev\n  annotations:\n    rampart.dev/ignore: pss-privileged\n    rampart.dev/ignore-reason: \"<ticket & 'review'>\"\n",
        );
        let sources = [Source::new("pod.yaml", format!("{exempted}---\na: [1\n"))];
        let report = check(&sources, &Options::default());
        let xml = render(&report, &sources);
        assert_eq!(
            case(&xml, "Pod/dev/debug", "pss-privileged"),
            "<testcase classname=\"Pod/dev/debug\" name=\"pss-privileged\">
      <skipped message=\"exempted: &lt;ticket &amp; &apos;review&apos;&gt; (Pod debug)\"/>
    </testcase>"
        );
        let parse = case(&xml, "pod.yaml", "parse");
        let error = &report.errors[0];
        assert!(
            parse.contains(&format!(
                "<error message=\"{}\" type=\"parse\">pod.yaml:{}:{}: ",
                escape(&error.message),
                error.line,
                error.column
            )),
            "{parse}"
        );
        assert!(xml.contains("errors=\"1\" skipped=\"1\">"), "{xml}");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a & b < c > d \"e\" 'f'"), "a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;");
        assert_eq!(escape("bell\u{7}\ttab\nline"), "bell\u{fffd}\ttab\nline");
        assert_eq!(escape("ünïcode"), "ünïcode");
    }
}
