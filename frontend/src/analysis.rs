//! From a [`Report`] to what the page shows: which findings pass the filters, how they group
//! by object, and which editor lines carry marks.
//!
//! Plain functions over the engine's report, tested natively; the components only render
//! what these return.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use rampart_core::rules::{self, Family};
use rampart_core::{Finding, ObjectReport, Report, Severity, Source};

/// The name the editor's text goes by in reports (SARIF artifact, JSON `source`).
pub const SOURCE_NAME: &str = "playground.yaml";

/// Rule families in catalog order, for the family filter.
pub const FAMILIES: [Family; 8] = [
    Family::Pss,
    Family::Workloads,
    Family::Images,
    Family::Secrets,
    Family::Network,
    Family::Rbac,
    Family::Namespaces,
    Family::ControlPlane,
];

/// How a family reads in the filter menu.
pub fn family_label(family: Family) -> &'static str {
    match family {
        Family::Pss => "Pod Security Standards",
        Family::Workloads => "Workloads",
        Family::Images => "Images",
        Family::Secrets => "Secrets",
        Family::Network => "Network",
        Family::Rbac => "RBAC",
        Family::Namespaces => "Namespaces",
        Family::ControlPlane => "Control plane",
    }
}

/// One check of the editor's text: the sources, the report, and what the check cost.
pub struct Checked {
    pub sources: Vec<Source>,
    pub report: Report,
    /// Milliseconds the engine took (parse and check, without rendering).
    pub check_ms: f64,
}

/// Which findings the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Shown severities, indexed like [`Severity::ALL`] (critical first).
    pub severities: [bool; 5],
    /// Only this family, or all.
    pub family: Option<Family>,
    /// Show exempted findings too.
    pub exempted: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Filter { severities: [true; 5], family: None, exempted: true }
    }
}

impl Filter {
    pub fn shows_severity(&self, severity: Severity) -> bool {
        Severity::ALL.iter().position(|candidate| *candidate == severity).is_some_and(|index| self.severities[index])
    }

    pub fn toggle_severity(&mut self, severity: Severity) {
        if let Some(index) = Severity::ALL.iter().position(|candidate| *candidate == severity) {
            self.severities[index] = !self.severities[index];
        }
    }

    pub fn shows(&self, finding: &Finding) -> bool {
        self.shows_severity(finding.severity)
            && (self.exempted || !finding.exempted)
            && self.family.is_none_or(|family| family_of(&finding.rule) == Some(family))
    }
}

pub fn family_of(rule_id: &str) -> Option<Family> {
    rules::find(rule_id).map(|rule| rule.family)
}

/// An object and the indexes (into `report.findings`) of its shown findings, most severe
/// first, then by line.
pub struct Group {
    pub object: usize,
    pub findings: Vec<usize>,
}

/// Objects in input order, each with its shown findings. Objects that were checked are
/// listed even without findings (they earned their score); objects no rule applies to are
/// left to the summary.
pub fn groups(report: &Report, filter: &Filter) -> Vec<Group> {
    let mut by_object: Vec<Vec<usize>> = vec![Vec::new(); report.objects.len()];
    for (index, finding) in report.findings.iter().enumerate() {
        if filter.shows(finding) {
            if let Some(list) = by_object.get_mut(finding.object) {
                list.push(index);
            }
        }
    }
    by_object
        .into_iter()
        .enumerate()
        .filter(|(object, findings)| report.objects[*object].checked || !findings.is_empty())
        .map(|(object, mut findings)| {
            findings.sort_by_key(|&index| {
                let finding = &report.findings[index];
                (finding.exempted, std::cmp::Reverse(finding.severity), finding.line, finding.column)
            });
            Group { object, findings }
        })
        .collect()
}

/// A group as the page renders it: owned copies, a key, and the lines it points at.
///
/// The key hashes everything shown about the group except line and column numbers, so the
/// page can key its list by it: typing re-renders only the objects whose results changed,
/// and a new line that moves every finding below it only updates their line numbers
/// (`lines`, read reactively by the rows).
#[derive(Clone, Debug)]
pub struct GroupView {
    pub key: u64,
    pub object: ObjectReport,
    pub findings: Vec<Finding>,
    /// The object's line, then each finding's, in order.
    pub lines: Vec<u32>,
}

impl PartialEq for GroupView {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.lines == other.lines
    }
}

/// [`groups`], as owned, keyed views. Identical groups (the same object pasted twice) get
/// distinct keys by occurrence.
pub fn group_views(report: &Report, filter: &Filter) -> Vec<GroupView> {
    let mut seen = std::collections::HashMap::<u64, u32>::new();
    groups(report, filter)
        .into_iter()
        .map(|group| {
            let object = report.objects[group.object].clone();
            let findings: Vec<Finding> = group.findings.iter().map(|&index| report.findings[index].clone()).collect();
            let mut hasher = DefaultHasher::new();
            let resource = &object.resource;
            (&resource.kind, &resource.api_version, &resource.namespace, &resource.name, resource.document)
                .hash(&mut hasher);
            (object.score, object.grade, object.pss).hash(&mut hasher);
            for finding in &findings {
                (&finding.rule, finding.severity, &finding.message, &finding.path).hash(&mut hasher);
                (finding.exempted, &finding.exemption_reason, finding.fix.as_ref().map(|fix| fix.safety))
                    .hash(&mut hasher);
            }
            let content = hasher.finish();
            let occurrence = seen.entry(content).or_insert(0);
            *occurrence += 1;
            let key = if *occurrence == 1 {
                content
            } else {
                let mut hasher = DefaultHasher::new();
                (content, *occurrence).hash(&mut hasher);
                hasher.finish()
            };
            let lines = std::iter::once(object.line).chain(findings.iter().map(|finding| finding.line)).collect();
            GroupView { key, object, findings, lines }
        })
        .collect()
}

/// What a gutter mark stands for: the worst finding on the line, or a parse error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MarkLevel {
    Finding(Severity),
    ParseError,
}

impl MarkLevel {
    /// The CSS class suffix (`critical`, …, `error`).
    pub fn class(self) -> &'static str {
        match self {
            MarkLevel::Finding(severity) => severity.as_str(),
            MarkLevel::ParseError => "error",
        }
    }
}

/// One marked editor line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LineMark {
    pub line: u32,
    pub level: MarkLevel,
    /// Every message on the line, most severe first (the mark's tooltip).
    pub messages: Vec<String>,
}

/// The marks of the gutter: each line with a shown, not exempted finding or a parse error.
pub fn line_marks(report: &Report, filter: &Filter) -> Vec<LineMark> {
    let mut lines: BTreeMap<u32, Vec<(MarkLevel, String)>> = BTreeMap::new();
    for finding in report.findings.iter().filter(|finding| !finding.exempted && filter.shows(finding)) {
        lines
            .entry(finding.line)
            .or_default()
            .push((MarkLevel::Finding(finding.severity), format!("{}: {}", finding.severity, finding.message)));
    }
    for error in &report.errors {
        lines.entry(error.line).or_default().push((MarkLevel::ParseError, format!("parse error: {}", error.message)));
    }
    lines
        .into_iter()
        .map(|(line, mut entries)| {
            entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
            LineMark { line, level: entries[0].0, messages: entries.into_iter().map(|(_, message)| message).collect() }
        })
        .collect()
}

/// What the editor's caret line has to say: the messages of its mark, if any.
pub fn messages_at(marks: &[LineMark], line: u32) -> Option<&LineMark> {
    marks.binary_search_by_key(&line, |mark| mark.line).ok().map(|index| &marks[index])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::{check, Options};

    fn report(text: &str) -> Report {
        check(&[Source::new(SOURCE_NAME, text)], &Options::default())
    }

    #[test]
    fn the_insecure_deployment_marks_its_privileged_line() {
        let report = report(include_str!("../../examples/insecure-deployment.yaml"));
        let marks = line_marks(&report, &Filter::default());
        let privileged = messages_at(&marks, 21).expect("line 21 is marked");
        assert_eq!(privileged.level, MarkLevel::Finding(Severity::Critical));
        assert!(privileged.messages[0].contains("privileged"));
    }

    #[test]
    fn filters_narrow_groups_and_marks() {
        let report = report(include_str!("../../examples/insecure-deployment.yaml"));
        let all: usize = groups(&report, &Filter::default()).iter().map(|group| group.findings.len()).sum();
        assert_eq!(all, report.findings.len());
        let mut filter = Filter::default();
        filter.toggle_severity(Severity::Critical);
        assert!(groups(&report, &filter)[0]
            .findings
            .iter()
            .all(|&index| report.findings[index].severity != Severity::Critical));
        assert!(messages_at(&line_marks(&report, &filter), 21)
            .is_none_or(|mark| mark.level != MarkLevel::Finding(Severity::Critical)));
        let filter = Filter { family: Some(Family::Images), ..Filter::default() };
        let shown = &groups(&report, &filter)[0].findings;
        assert!(!shown.is_empty());
        assert!(shown.iter().all(|&index| report.findings[index].rule.starts_with("image-")));
    }

    #[test]
    fn findings_are_ordered_most_severe_first() {
        let report = report(include_str!("../../examples/insecure-deployment.yaml"));
        let group = &groups(&report, &Filter::default())[0];
        let severities: Vec<Severity> = group.findings.iter().map(|&index| report.findings[index].severity).collect();
        let mut sorted = severities.clone();
        sorted.sort_by(|left, right| right.cmp(left));
        assert_eq!(severities, sorted);
    }

    #[test]
    fn group_keys_change_only_with_what_is_shown() {
        let text = include_str!("../../examples/hardened-deployment.yaml");
        let views = |text: &str| group_views(&report(text), &Filter::default());
        let keys = |views: &[GroupView]| views.iter().map(|view| view.key).collect::<Vec<_>>();
        let before = views(text);
        assert_eq!(keys(&before), keys(&views(text)));
        // A line inserted at the top moves every finding, but what is shown stays: the
        // keys stay, the lines move.
        let shifted = views(&format!("# a new first line\n{text}"));
        assert_eq!(keys(&before), keys(&shifted));
        assert!(before.iter().zip(&shifted).all(|(old, new)| old != new));
        assert_eq!(shifted[0].lines[0], before[0].lines[0] + 1);
        // A setting that changes a finding changes its group's key.
        let insecure = include_str!("../../examples/insecure-deployment.yaml");
        let edited = insecure.replace("privileged: true ", "privileged: false");
        assert_ne!(keys(&views(insecure)), keys(&views(&edited)));
    }

    #[test]
    fn the_same_object_twice_gets_two_keys() {
        let text = include_str!("../../examples/insecure-deployment.yaml");
        let views = group_views(&report(&format!("{text}---\n{text}")), &Filter::default());
        assert_eq!(views.len(), 2);
        assert_ne!(views[0].key, views[1].key);
    }

    #[test]
    fn a_broken_document_is_marked_while_others_are_still_checked() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: c\n    image: nginx\n---\nkind: [unclosed\n";
        let report = report(text);
        assert_eq!(report.errors.len(), 1);
        assert!(!report.findings.is_empty());
        let marks = line_marks(&report, &Filter::default());
        assert!(marks.iter().any(|mark| mark.level == MarkLevel::ParseError && mark.line >= 10));
    }
}
