//! The human report: diagnostics in the style of a compiler, grouped by object.
//!
//! ```text
//! Deployment prod/web  (deploy.yaml, document 2)  score 41 F  PSS privileged
//! critical[pss-privileged] container "app" runs privileged
//!   --> deploy.yaml:21:11
//!    |
//! 21 |           privileged: true
//!    |           ^^^^^^^^^^
//!    = fix: Remove `privileged: true` from the container's securityContext (or set it to false).
//!    = fix available (unsafe): rampart check --fix --unsafe-fixes
//! ```
//!
//! Within an object, findings come worst first (registry order within a severity) and
//! exempted ones last. Objects without findings get no header; the summary line at the end
//! counts them, after a line counting the findings `rampart check --fix` (with or without
//! `--unsafe-fixes`) would fix. Document numbers in headers count from 1, as a person counts (the JSON
//! `document` index counts from 0). Exempted findings stay in the report, marked `(exempted)` with their reason and
//! dimmed when colour is on, so a reviewer sees what was waived. Parse errors follow the
//! objects, each with its source line and a caret. Colour is ANSI escapes, only when the
//! caller asks for it (a terminal that did not set `NO_COLOR`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::engine::{Finding, ObjectReport, Report};
use crate::fix::Safety;
use crate::object::Resource;
use crate::parse::{ParseError, Source};
use crate::rules::Severity;

use super::{plural, severity_counts, source_line, token_length};

/// How a name of stdin (`-`) is shown in locations.
const STDIN_LABEL: &str = "<stdin>";

/// Renders the report as text; `sources` supply the quoted lines (a finding whose source
/// is not among them is shown without its line).
pub fn render(report: &Report, sources: &[Source], color: bool) -> String {
    let paint = Paint { color };
    let mut texts: HashMap<&str, &str> = HashMap::new();
    for source in sources {
        texts.entry(source.name.as_str()).or_insert(source.text.as_str());
    }
    let line_of = |source: &str, line: u32| texts.get(source).and_then(|text| source_line(text, line));

    // Findings by object, in object order; a finding whose object index is unknown (a
    // report built by hand) is shown under its own resource at the end.
    let mut by_object: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
    for finding in &report.findings {
        by_object.entry(finding.object).or_default().push(finding);
    }
    // Worst first, exempted last; the sort is stable, so rule order holds within a severity.
    for findings in by_object.values_mut() {
        findings.sort_by_key(|finding| (finding.exempted, std::cmp::Reverse(finding.severity)));
    }

    let mut out = String::new();
    for (position, findings) in &by_object {
        let object = report.objects.get(*position);
        let resource = object.map_or(&findings[0].resource, |object| &object.resource);
        out.push_str(&paint.paint(BOLD, &header(resource, object)));
        out.push('\n');
        for finding in findings {
            render_finding(&mut out, &paint, finding, line_of(&finding.resource.source, finding.line));
            out.push('\n');
        }
    }
    for error in &report.errors {
        render_error(&mut out, &paint, error, line_of(&error.source_name, error.line));
        out.push('\n');
    }
    if let Some(fixable) = fixable(report) {
        out.push_str(&fixable);
        out.push('\n');
    }
    out.push_str(&paint.paint(BOLD, &summary(report)));
    out.push('\n');
    out
}

/// `Deployment prod/web  (deploy.yaml, document 2)  score 41 F  PSS privileged`
fn header(resource: &Resource, object: Option<&ObjectReport>) -> String {
    let name = if resource.name.is_empty() { "<unnamed>" } else { resource.name.as_str() };
    let mut header = match &resource.namespace {
        Some(namespace) => format!("{} {namespace}/{name}", resource.kind),
        None => format!("{} {name}", resource.kind),
    };
    let _ = write!(header, "  ({}, document {}", display_source(&resource.source), resource.document + 1);
    if let Some(kustomization) = &resource.kustomization {
        let _ = write!(header, ", as {kustomization} builds it");
    }
    header.push(')');
    if let Some(object) = object {
        if let (Some(score), Some(grade)) = (object.score, object.grade) {
            let _ = write!(header, "  score {score} {grade}");
        }
        if let Some(level) = object.pss {
            let _ = write!(header, "  PSS {}", level.as_str());
        }
    }
    header
}

fn render_finding(out: &mut String, paint: &Paint, finding: &Finding, line: Option<&str>) {
    let style = if finding.exempted { DIM } else { severity_style(finding.severity) };
    let label = format!("{}[{}]", finding.severity, finding.rule);
    let mut headline = format!(
        "{} {}",
        paint.paint(style, &label),
        paint.paint(if finding.exempted { DIM } else { BOLD }, &finding.message)
    );
    if finding.exempted {
        headline.push(' ');
        headline.push_str(&paint.paint(DIM, "(exempted)"));
    }
    out.push_str(&headline);
    out.push('\n');
    let location = format!("{}:{}:{}", display_source(&finding.resource.source), finding.line, finding.column);
    let gutter = finding.line.to_string().len();
    let marker_style = if finding.exempted { DIM } else { severity_style(finding.severity) };
    snippet(out, paint, gutter, &location, finding.line, finding.column, line, marker_style, Marker::Token);
    let pad = " ".repeat(gutter + 1);
    let note = match (&finding.exempted, &finding.exemption_reason) {
        (true, reason) => format!("exempted: {}", reason.as_deref().unwrap_or("no reason given")),
        (false, _) => format!("fix: {}", finding.remediation),
    };
    let _ = writeln!(
        out,
        "{pad}{} {}",
        paint.paint(GUTTER, "="),
        paint.paint(if finding.exempted { DIM } else { "" }, &note)
    );
    if let (false, Some(fix)) = (finding.exempted, &finding.fix) {
        let _ = writeln!(
            out,
            "{pad}{} fix available ({}): {}",
            paint.paint(GUTTER, "="),
            fix.safety.as_str(),
            fix_command(fix.safety)
        );
    }
}

/// The command line that applies fixes of this safety.
fn fix_command(safety: Safety) -> &'static str {
    match safety {
        Safety::Safe => "rampart check --fix",
        Safety::Unsafe => "rampart check --fix --unsafe-fixes",
    }
}

/// `3 fixable with rampart check --fix, 9 more with --unsafe-fixes`, or nothing.
fn fixable(report: &Report) -> Option<String> {
    let count = |safety: Safety| {
        report
            .findings
            .iter()
            .filter(|finding| !finding.exempted && finding.fix.as_ref().is_some_and(|fix| fix.safety == safety))
            .count()
    };
    match (count(Safety::Safe), count(Safety::Unsafe)) {
        (0, 0) => None,
        (0, unsafe_count) => Some(format!("{unsafe_count} fixable with {}", fix_command(Safety::Unsafe))),
        (safe, 0) => Some(format!("{safe} fixable with {}", fix_command(Safety::Safe))),
        (safe, unsafe_count) => {
            Some(format!("{safe} fixable with {}, {unsafe_count} more with --unsafe-fixes", fix_command(Safety::Safe)))
        }
    }
}

fn render_error(out: &mut String, paint: &Paint, error: &ParseError, line: Option<&str>) {
    let _ = writeln!(
        out,
        "{} {}",
        paint.paint(ERROR, "error:"),
        paint.paint(
            BOLD,
            &format!("{}:{}:{}: {}", display_source(&error.source_name), error.line, error.column, error.message)
        )
    );
    let gutter = error.line.to_string().len();
    if line.is_some() {
        snippet(out, paint, gutter, "", error.line, error.column, line, ERROR, Marker::Caret);
    }
}

/// What the marker under a quoted line covers.
#[derive(Clone, Copy, PartialEq)]
enum Marker {
    /// The key or value token starting at the column.
    Token,
    /// One character.
    Caret,
}

/// Writes the `-->` location (unless empty), the quoted line and the marker under it.
#[allow(clippy::too_many_arguments)]
fn snippet(
    out: &mut String,
    paint: &Paint,
    gutter: usize,
    location: &str,
    line_number: u32,
    column: u32,
    line: Option<&str>,
    marker_style: &str,
    marker: Marker,
) {
    let pad = " ".repeat(gutter);
    if !location.is_empty() {
        let _ = writeln!(out, "{pad}{} {location}", paint.paint(GUTTER, "-->"));
    }
    let Some(line) = line else { return };
    let (shown, offset, width) = mark(line, column, marker);
    let _ = writeln!(out, "{pad} {}", paint.paint(GUTTER, "|"));
    let _ = writeln!(out, "{} {}", paint.paint(GUTTER, &format!("{line_number:>gutter$} |")), shown.trim_end());
    let _ = writeln!(
        out,
        "{pad} {} {}{}",
        paint.paint(GUTTER, "|"),
        " ".repeat(offset),
        paint.paint(marker_style, &"^".repeat(width))
    );
}

/// The line as shown (tabs expanded), and the display offset and width of the marker for
/// the token starting at the 1-based character `column`.
fn mark(line: &str, column: u32, marker: Marker) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let display_width = |c: char| if c == '\t' { 4 } else { 1 };
    let shown: String = chars.iter().map(|&c| if c == '\t' { "    ".to_string() } else { c.to_string() }).collect();
    let start = (column.max(1) - 1) as usize;
    if start >= chars.len() {
        let offset = chars.iter().copied().map(display_width).sum();
        return (shown, offset, 1);
    }
    let offset = chars[..start].iter().copied().map(display_width).sum();
    let length = match marker {
        Marker::Caret => 1,
        Marker::Token => token_length(&chars, start),
    };
    let width = chars[start..start + length].iter().copied().map(display_width).sum::<usize>().max(1);
    (shown, offset, width)
}

fn display_source(name: &str) -> &str {
    if name == "-" {
        STDIN_LABEL
    } else {
        name
    }
}

/// `12 findings (2 critical, 3 high, 5 medium, 2 low) in 4 objects, 1 exempted — score 59 (F), formula v2`
fn summary(report: &Report) -> String {
    let summary = &report.summary;
    let counts: Vec<(Severity, usize)> = severity_counts(|severity| summary.count(severity));
    let total: usize = counts.iter().map(|(_, count)| count).sum();
    let mut line = if total == 0 {
        "no findings".to_string()
    } else {
        let breakdown: Vec<String> = counts
            .iter()
            .filter(|(_, count)| *count > 0)
            .map(|(severity, count)| format!("{count} {severity}"))
            .collect();
        format!("{} ({})", plural(total, "finding", "findings"), breakdown.join(", "))
    };
    let _ = write!(line, " in {}", plural(summary.objects, "object", "objects"));
    if summary.not_checked > 0 {
        let _ = write!(line, ", {} not checked", summary.not_checked);
    }
    if summary.exempted > 0 {
        let _ = write!(line, ", {} exempted", summary.exempted);
    }
    if !report.errors.is_empty() {
        let _ = write!(line, ", {}", plural(report.errors.len(), "parse error", "parse errors"));
    }
    let _ = write!(line, " — score {} ({}), formula v{}", report.score, report.grade, report.score_formula_version);
    line
}

const BOLD: &str = "1";
const DIM: &str = "2";
const ERROR: &str = "1;31";
const GUTTER: &str = "1;34";

fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "1;33",
        Severity::Low => "1;36",
        Severity::Info => "1;32",
    }
}

/// Wraps text in ANSI styles when colour is on.
struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color && !style.is_empty() && !text.is_empty() {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{check, Options};

    const DEPLOYMENT: &str = "\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: settings
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        securityContext:
          privileged: true
";

    fn finding_block<'a>(text: &'a str, rule: &str) -> &'a str {
        let start = text.find(&format!("[{rule}]")).unwrap_or_else(|| panic!("no {rule} in\n{text}"));
        let start = text[..start].rfind('\n').map_or(0, |newline| newline + 1);
        let end = text[start..].find("\n\n").map_or(text.len(), |end| start + end);
        &text[start..end]
    }

    #[test]
    fn a_finding_quotes_its_line_and_marks_the_key() {
        let sources = [Source::new("deploy.yaml", DEPLOYMENT)];
        let report = check(&sources, &Options::default());
        let text = render(&report, &sources, false);
        assert!(text.starts_with("Deployment prod/web  (deploy.yaml, document 2)  score "), "{text}");
        assert!(text.lines().next().unwrap().ends_with("PSS privileged"), "{text}");
        assert_eq!(
            finding_block(&text, "pss-privileged"),
            "\
critical[pss-privileged] container \"app\" runs privileged
  --> deploy.yaml:18:11
   |
18 |           privileged: true
   |           ^^^^^^^^^^
   = fix: Remove `privileged: true` from the container's securityContext (or set it to false).
   = fix available (unsafe): rampart check --fix --unsafe-fixes"
        );
        assert!(!text.contains('\x1b'), "no colour unless asked");
        assert!(!text.contains("Widget"), "objects without findings get no header");
    }

    #[test]
    fn summary_counts_by_severity_objects_and_exemptions() {
        let exempted = DEPLOYMENT.replace(
            "  namespace: prod\n",
            "  namespace: prod\n  annotations:\n    rampart.dev/ignore: pss-privileged\n    rampart.dev/ignore-reason: debugging image\n",
        );
        let sources = [Source::new("deploy.yaml", exempted.as_str())];
        let report = check(&sources, &Options::default());
        let text = render(&report, &sources, false);
        let block = finding_block(&text, "pss-privileged");
        assert!(
            block.starts_with("critical[pss-privileged] container \"app\" runs privileged (exempted)\n"),
            "{block}"
        );
        assert!(block.ends_with("   = exempted: debugging image (Deployment web)"), "{block}");
        let last = text.lines().last().unwrap();
        assert!(last.contains(" in 2 objects, 1 not checked, 1 exempted — score "), "{last}");
        assert!(last.ends_with(&format!("({}), formula v2", report.grade)), "{last}");
    }

    #[test]
    fn summary_line_wording() {
        let sources = [Source::new("widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: a\n")];
        let report = check(&sources, &Options::default());
        assert_eq!(
            render(&report, &sources, false),
            "no findings in 1 object, 1 not checked — score 100 (A), formula v2\n"
        );

        let mut report = report;
        report.summary.critical = 2;
        report.summary.high = 3;
        report.summary.medium = 5;
        report.summary.low = 2;
        report.summary.objects = 4;
        report.summary.not_checked = 0;
        report.summary.exempted = 1;
        report.score = 63;
        report.grade = "D";
        assert_eq!(
            summary(&report),
            "12 findings (2 critical, 3 high, 5 medium, 2 low) in 4 objects, 1 exempted — score 63 (D), formula v2"
        );
    }

    #[test]
    fn parse_errors_show_the_line_and_a_caret() {
        let sources = [Source::new("-", "a: [1, 2\nb: 3\n")];
        let report = check(&sources, &Options::default());
        let text = render(&report, &sources, false);
        let error = &report.errors[0];
        let expected_start = format!("error: <stdin>:{}:{}: {}\n", error.line, error.column, error.message);
        assert!(text.starts_with(&expected_start), "{text}");
        let line = source_line(&sources[0].text, error.line).unwrap();
        let caret = format!("  | {}^\n", " ".repeat(error.column as usize - 1));
        assert!(text.contains(&format!("{} | {line}\n", error.line)), "{text}");
        assert!(text.contains(&caret), "{text}");
        assert!(text.trim_end().ends_with("1 parse error — score 100 (A), formula v2"), "{text}");
    }

    #[test]
    fn colour_wraps_severity_and_gutter_in_ansi() {
        let sources = [Source::new("deploy.yaml", DEPLOYMENT)];
        let report = check(&sources, &Options::default());
        let text = render(&report, &sources, true);
        assert!(text.contains("\x1b[1;35mcritical[pss-privileged]\x1b[0m"), "{text}");
        assert!(text.contains("\x1b[1;34m-->\x1b[0m deploy.yaml:18:11"), "{text}");
    }

    #[test]
    fn markers_cover_keys_quoted_strings_and_flow_values() {
        let width = |line: &str, column| {
            let (_, offset, width) = mark(line, column, Marker::Token);
            (offset, width)
        };
        assert_eq!(width("    privileged: true", 5), (4, 10));
        assert_eq!(width("    image: nginx:1.27 # pinned", 12), (11, 10));
        assert_eq!(width("  \"privileged\": true,", 3), (2, 12));
        assert_eq!(width("  'it''s': x", 3), (2, 7));
        assert_eq!(width("  caps: [NET_RAW, SYS_ADMIN]", 10), (9, 7));
        assert_eq!(width("  - name: app", 3), (2, 1));
        assert_eq!(width("\tkey: value", 2), (4, 3));
        assert_eq!(width("short", 40), (5, 1));
        assert_eq!(mark("a: b", 1, Marker::Caret).2, 1);
    }

    #[test]
    fn source_lines_ignore_crlf_and_bom() {
        assert_eq!(source_line("\u{feff}a: 1\r\nb: 2\r\n", 1), Some("a: 1"));
        assert_eq!(source_line("a: 1\r\nb: 2\r\n", 2), Some("b: 2"));
        assert_eq!(source_line("a: 1\n", 0), None);
        assert_eq!(source_line("a: 1\n", 9), None);
    }
}
