//! The check itself: sources in, a [`Report`] out.
//!
//! Parsing never fails as a whole: the objects that could be read are checked and the
//! errors are reported beside them. Every rule that applies to an object leaves evidence
//! (passed, failed or exempted), from which scores and the Pod Security level are derived.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::config::Config;
use crate::index::{self, AnchorTracker, Anchors, Index};
use crate::object::{Object, Resource};
use crate::parse::{parse_source, Limits, ParseError, Source};
use crate::policy::{PolicyOptions, PolicyReport, PolicySet};
use crate::pss::{self, PssLevel};
use crate::rules::{Cx, Mode, Outcome, Severity, RULES};
use crate::score::{self, Tally};
use crate::tree::{Node, PathSteps, Span, Step};

/// The annotation listing rule ids an object (or its namespace) is exempted from.
pub const IGNORE_ANNOTATION: &str = "rampart.dev/ignore";
/// The annotation giving the reason for those exemptions.
pub const IGNORE_REASON_ANNOTATION: &str = "rampart.dev/ignore-reason";

/// How to check.
#[derive(Clone, Debug)]
pub struct Options {
    pub config: Config,
    /// Pod Security Standards policy version (minor of `v1.N`).
    pub pss_version: u32,
    pub mode: Mode,
    /// Manifests hold everything their cluster-wide rules need (`--complete`).
    pub complete: bool,
    pub limits: Limits,
    /// Work out the fix of each fixable finding (`Finding::fix`). On by default; a caller
    /// that never shows or applies fixes (a scheduled scan) saves the work.
    pub fixes: bool,
    /// Honour the [`IGNORE_ANNOTATION`] of objects and their Namespaces. On by default; a
    /// server whose team does not let the owners of objects exempt them turns it off, and
    /// the findings those annotations would exempt count as any other.
    pub annotation_exemptions: bool,
    /// Exemptions granted outside the manifests (a server's central exemptions): a finding
    /// of an object and rule one of them matches is exempted with its reason, exactly as an
    /// annotation would exempt it.
    pub exemptions: Vec<Exemption>,
    /// Custom policies (ValidatingAdmissionPolicy objects) to apply besides the rules.
    pub policies: PolicyOptions,
}

/// An exemption granted outside the manifests. Each `None` matches everything: a rule of
/// `None` exempts the matched objects from every rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exemption {
    pub rule: Option<String>,
    /// Matches namespaced objects of that namespace only.
    pub namespace: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    /// What exempted findings report as their reason.
    pub reason: String,
}

impl Exemption {
    /// Whether it covers this object (whatever the rule).
    fn covers(&self, object: &Object) -> bool {
        let matches =
            |wanted: &Option<String>, actual: Option<&str>| wanted.as_deref().is_none_or(|w| Some(w) == actual);
        matches(&self.namespace, object.namespace.as_deref())
            && matches(&self.kind, Some(&object.kind))
            && matches(&self.name, Some(&object.name))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config: Config::default(),
            pss_version: pss::NEWEST_MINOR,
            mode: Mode::Manifests,
            complete: false,
            limits: Limits::default(),
            fixes: true,
            annotation_exemptions: true,
            exemptions: Vec::new(),
            policies: PolicyOptions::default(),
        }
    }
}

/// The result of one check: a stable contract (`version` 1) for JSON consumers.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub version: u32,
    pub score: u32,
    pub grade: &'static str,
    pub score_formula_version: u32,
    pub pss_version: String,
    pub objects: Vec<ObjectReport>,
    pub findings: Vec<Finding>,
    pub errors: Vec<ParseError>,
    pub summary: Summary,
    /// The custom policies applied, their notices and errors (absent without policies).
    #[serde(skip_serializing_if = "PolicyReport::is_empty")]
    pub policies: PolicyReport,
}

/// What was concluded about one object.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectReport {
    /// Shared with the object's findings (one copy per object, however many findings).
    pub resource: Arc<Resource>,
    /// Whether any rule applied (objects of kinds no rule knows are not checked).
    pub checked: bool,
    pub score: Option<u32>,
    pub grade: Option<&'static str>,
    /// Whether a rule of medium severity or higher applied: only then does the score count
    /// in the overall one ([`score`]).
    #[serde(skip)]
    pub judged: bool,
    /// The highest Pod Security Standards level the object meets (workloads only).
    pub pss: Option<PssLevel>,
    /// Ids of the rules that applied and passed.
    pub passed: Vec<&'static str>,
    /// Ids of the rules that applied and failed (exempted ones excluded).
    pub failed: Vec<&'static str>,
    /// Rule ids (`vap/<name>`) of the custom policies that applied and passed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub passed_policies: Vec<String>,
    /// Rule ids of the custom policies that applied and failed (exempted ones excluded).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_policies: Vec<String>,
    /// Line of the object's first field, for locating it.
    pub line: u32,
}

/// One violation of one rule by one object.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// A rule's id, or `vap/<name>` for a custom policy.
    pub rule: Cow<'static, str>,
    pub severity: Severity,
    pub title: Cow<'static, str>,
    pub message: String,
    pub remediation: Cow<'static, str>,
    pub resource: Arc<Resource>,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub exempted: bool,
    pub exemption_reason: Option<String>,
    /// Index of the object in [`Report::objects`].
    #[serde(skip)]
    pub object: usize,
    /// The edits that would fix it, when its rule has a fix and the source text is known.
    pub fix: Option<crate::fix::Fix>,
}

impl Finding {
    /// A finding of `rule` (a rule's id or a policy's `vap/<name>`) on the object at
    /// `object` in [`Report::objects`], exempted when `exemption_reason` says why, and not
    /// yet placed: the engine copies it for each violation with its message, field path,
    /// line and column ([`push_located`]).
    fn template(
        rule: Cow<'static, str>,
        severity: Severity,
        title: Cow<'static, str>,
        remediation: Cow<'static, str>,
        resource: Arc<Resource>,
        object: usize,
        exemption_reason: Option<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            title,
            message: String::new(),
            remediation,
            resource,
            path: String::new(),
            line: 0,
            column: 0,
            exempted: exemption_reason.is_some(),
            exemption_reason,
            object,
            fix: None,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    pub exempted: usize,
    pub objects: usize,
    pub not_checked: usize,
}

impl Summary {
    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }
}

/// Parses every source and checks every object.
pub fn check(sources: &[Source], options: &Options) -> Report {
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for (position, source) in sources.iter().enumerate() {
        let (source_objects, source_errors) = read_objects(position, source, &options.limits);
        objects.extend(source_objects);
        errors.extend(source_errors);
    }
    check_objects(sources, objects, errors, options)
}

/// The objects of one source (at `position` among the sources) and its parse errors.
pub fn read_objects(position: usize, source: &Source, limits: &Limits) -> (Vec<Object>, Vec<ParseError>) {
    let (documents, errors) = parse_source(source, limits);
    let objects = documents.into_iter().flat_map(|document| Object::from_document(position, document)).collect();
    (objects, errors)
}

/// Checks objects already read (a cluster scan builds them itself).
pub fn check_objects(sources: &[Source], objects: Vec<Object>, errors: Vec<ParseError>, options: &Options) -> Report {
    check_objects_with(
        &objects,
        errors,
        options,
        |index, objects| {
            let mut checker = Checker::with_input(index, options, sources, objects);
            let checked = checker.check(sources, objects);
            (checked, checker.take_policy_report())
        },
        |cx, objects, findings| crate::fix::attach_fixes(cx, sources, objects, findings),
    )
}

/// [`check_objects`], with the objects checked by `run` against the index of them all,
/// and the fixes worked out by `fix` (with [`Options::fixes`]): a host may split the
/// objects among threads, each with its own [`Checker`] that [`Checker::skip`]s the
/// objects before its share, and join what each concluded in order (each finding's
/// `object` counted from the first object), then share the findings out to
/// [`crate::fix::attach_fixes`]. The engine itself stays single-threaded. The objects stay
/// the caller's: a process about to exit need not free their trees one node at a time.
pub fn check_objects_with(
    objects: &[Object],
    errors: Vec<ParseError>,
    options: &Options,
    run: impl FnOnce(&Index, &[Object]) -> (Checked, PolicyReport),
    fix: impl FnOnce(&Cx<'_>, &[Object], &mut [Finding]),
) -> Report {
    let index = Index::build(objects, options.mode, options.complete);
    let (Checked { objects: object_reports, mut findings }, policies) = run(&index, objects);
    if options.fixes {
        let cx = Cx::new(&options.config, options.pss_version, options.mode, &index, Anchors::default());
        fix(&cx, objects, &mut findings);
    }
    let mut report = Report {
        version: 1,
        score: 100,
        grade: "A",
        score_formula_version: score::FORMULA_VERSION,
        pss_version: format!("v1.{}", options.pss_version),
        objects: object_reports,
        findings,
        errors,
        summary: Summary::default(),
        policies: PolicyReport::default(),
    };
    report.summary.objects = report.objects.len();
    report.summary.not_checked = report.objects.iter().filter(|object| !object.checked).count();
    for finding in &report.findings {
        if finding.exempted {
            report.summary.exempted += 1;
        } else {
            report.summary.add(finding.severity);
        }
    }
    report.policies = policies;
    report.score = score::overall(
        report.objects.iter().map(|object| (object.score, object.judged)),
        report.findings.iter().filter(|finding| !finding.exempted).map(|finding| finding.severity),
    );
    report.grade = score::grade(report.score);
    report
}

/// What checking a batch of objects concluded: a report per object, in order, and their
/// findings (each finding's `object` is the position of its object in this batch).
#[derive(Clone, Debug, Default)]
pub struct Checked {
    pub objects: Vec<ObjectReport>,
    pub findings: Vec<Finding>,
}

/// Checks objects batch after batch against one [`Index`], as if they were one input:
/// a host with more objects than it wants to hold builds the index first (from the kinds
/// [`Index::reads`]), then hands the objects over in batches of any size, in the order a
/// single check would see them, except that objects of the kinds
/// [`Index::checks_after_pods`] come after every object with a pod template (unless the
/// host added those to the index first), and drops each batch once checked. The checker
/// adds the pod labels of what it checks to its own copy of the index. Findings are the
/// same as [`check_objects`] gives for all the objects at once (without fixes, which need
/// the whole source text).
pub struct Checker<'a> {
    /// The index; owned (a copy, or given) when the checker adds pod labels to it.
    index: Cow<'a, Index>,
    options: Cow<'a, Options>,
    levels: pss::LevelSets,
    anchors: AnchorTracker,
    /// The custom policies, compiled once for all the batches (`None` without any).
    policies: Option<PolicySet>,
    /// Where each object's passed and failed rules are gathered before they are copied
    /// into its report at their length (growing each report's lists took five
    /// allocations for an object that about forty rules pass).
    lists: RuleLists,
}

/// The ids of the rules an object passed and failed, gathered for [`ObjectReport`].
#[derive(Default)]
struct RuleLists {
    passed: Vec<&'static str>,
    failed: Vec<&'static str>,
}

impl<'a> Checker<'a> {
    /// A checker whose custom policies (and their params) come from
    /// [`Options::policies`]' sources only: a host that streams its objects cannot offer
    /// them as params or policies.
    pub fn new(index: &'a Index, options: &'a Options) -> Checker<'a> {
        Checker::with_input(index, options, &[], &[])
    }

    /// A checker for an input held whole: policies and params may come from it too. A host
    /// that streams its objects passes the objects of the policies' param kinds
    /// ([`crate::policy::param_kinds`]) it gathered beforehand, without sources.
    pub fn with_input(index: &'a Index, options: &'a Options, sources: &[Source], objects: &[Object]) -> Checker<'a> {
        Checker::from_parts(Cow::Borrowed(index), options, sources, objects)
    }

    /// [`Checker::with_input`] for a host that hands its index over (a streamed scan):
    /// the pod labels of the objects checked are added to it, not to a copy.
    pub fn owning(index: Index, options: &'a Options, objects: &[Object]) -> Checker<'a> {
        Checker::from_parts(Cow::Owned(index), options, &[], objects)
    }

    fn from_parts(index: Cow<'a, Index>, options: &'a Options, sources: &[Source], objects: &[Object]) -> Checker<'a> {
        let policies = (!options.policies.is_empty())
            .then(|| PolicySet::load(&options.policies, objects, sources, &options.limits));
        Checker {
            index,
            options: Cow::Borrowed(options),
            levels: pss::LevelSets::new(options.pss_version),
            anchors: AnchorTracker::default(),
            policies,
            lists: RuleLists::default(),
        }
    }

    /// Stops running these rules on the objects still to come (as if disabled): what they
    /// conclude from could not all be read (a kind of workload failed to list, say).
    pub fn stop_judging(&mut self, rules: &[&str]) {
        let disable = &mut self.options.to_mut().config.disable;
        disable.extend(rules.iter().map(|rule| rule.to_string()));
    }

    /// Set once the custom policies' cost budget is spent and an object went unevaluated
    /// (a host recording findings batch by batch stops resolving theirs).
    pub fn policy_budget_notice(&self) -> Option<crate::policy::Notice> {
        self.policies.as_ref().and_then(PolicySet::budget_notice)
    }

    /// What the report says about the policies: those applied, notices and errors.
    pub fn take_policy_report(&mut self) -> PolicyReport {
        self.policies.as_mut().map(PolicySet::take_report).unwrap_or_default()
    }

    /// Moves past objects without checking them, as if they had been checked: a checker
    /// that takes over from another (on another thread) skips what came before its share.
    pub fn skip(&mut self, objects: &[Object]) {
        for object in objects {
            self.anchors.next(object);
            self.add_pod_labels(object);
        }
    }

    fn add_pod_labels(&mut self, object: &Object) {
        if !self.index.pods_complete() && object.pod_spec().is_some() {
            self.index.to_mut().add_pod_labels(object);
        }
    }

    /// Checks the next objects; `sources` name the sources their `source` fields point at.
    pub fn check(&mut self, sources: &[Source], objects: &[Object]) -> Checked {
        self.check_unless(sources, objects, |_, _| false).0
    }

    /// [`Checker::check`], but the objects that `skip` picks (given each object and the
    /// anchors that matter to it) are moved past as [`Checker::skip`] moves past them: their
    /// pod labels go into the index, they take their anchors, and nothing is concluded about
    /// them. `Checked::objects` holds the reports of the objects checked, in order (each
    /// finding's `object` counts among them); beside it, what each object got.
    ///
    /// The anchors that matter: being the first of its namespace matters only to an object
    /// of a namespace whose Namespace object the index lacks (otherwise the Namespace object
    /// anchors the namespace's findings), so it is left out for the others, whose first
    /// object may change with the order of a listing without changing any finding.
    pub fn check_unless(
        &mut self,
        sources: &[Source],
        objects: &[Object],
        mut skip: impl FnMut(&Object, Anchors) -> bool,
    ) -> (Checked, Vec<Passed>) {
        // A dozen findings per object is common: room for them from the start, not
        // reallocated (and copied) as the list doubles. Only what is written is touched.
        let findings = Vec::with_capacity(objects.len().saturating_mul(FINDINGS_PER_OBJECT).min(MAX_RESERVED_FINDINGS));
        let mut checked = Checked { objects: Vec::with_capacity(objects.len()), findings };
        let mut passed = Vec::with_capacity(objects.len());
        for object in objects {
            self.add_pod_labels(object);
            let anchors = self.anchors.next(object);
            let matter = Anchors {
                first_in_namespace: anchors.first_in_namespace
                    && self.index.namespace(index::effective_namespace(object)).is_none(),
                ..anchors
            };
            if skip(object, matter) {
                passed.push(Passed { anchors: matter, skipped: true });
                continue;
            }
            passed.push(Passed { anchors: matter, skipped: false });
            let source_name = sources.get(object.source).map_or("", |source| source.name.as_str());
            let options: &Options = &self.options;
            let cx =
                Cx::new(&options.config, options.pss_version, options.mode, &self.index, anchors).for_object(object);
            let position = checked.objects.len();
            let target = Target { object, source_name, position };
            let result = check_object(
                &cx,
                options,
                &self.levels,
                self.policies.as_ref(),
                target,
                &mut self.lists,
                &mut checked.findings,
            );
            checked.objects.push(result);
        }
        (checked, passed)
    }
}

/// What [`Checker::check_unless`] did with one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passed {
    /// The anchors that matter to it (see [`Checker::check_unless`]).
    pub anchors: Anchors,
    /// Moved past without being checked.
    pub skipped: bool,
}

/// Findings per object that [`Checker::check`] makes room for at first.
const FINDINGS_PER_OBJECT: usize = 16;
/// The most findings it makes room for at first.
const MAX_RESERVED_FINDINGS: usize = 1 << 20;

/// The object being checked, where it came from and its place in the report.
struct Target<'a> {
    object: &'a Object,
    source_name: &'a str,
    position: usize,
}

fn check_object(
    cx: &Cx<'_>,
    options: &Options,
    levels: &pss::LevelSets,
    policies: Option<&PolicySet>,
    target: Target<'_>,
    lists: &mut RuleLists,
    findings: &mut Vec<Finding>,
) -> ObjectReport {
    let Target { object, source_name, position: object_position } = target;
    let resource = Arc::new(object.resource(source_name));
    let mut result = ObjectReport {
        resource,
        checked: false,
        score: None,
        grade: None,
        judged: false,
        pss: None,
        passed: Vec::new(),
        failed: Vec::new(),
        passed_policies: Vec::new(),
        failed_policies: Vec::new(),
        line: object.root.span.line,
    };
    let excluded = object.namespace.as_ref().is_some_and(|namespace| cx.config.excluded_namespaces.contains(namespace));
    if object.kind.is_empty() || excluded {
        return result;
    }
    let exemptions = Exemptions::of(object, cx.index, options);
    let mut tally = Tally::default();
    let mut locator = Locator::default();
    let mut pss_failed: Vec<&str> = Vec::new();
    let mut pss_applied = false;
    for rule in RULES.iter().copied() {
        let disabled = cx.config.is_disabled(rule.id);
        if disabled && rule.pss.is_none() {
            continue;
        }
        let violations = match (rule.check)(cx, object) {
            Outcome::NotApplicable => continue,
            Outcome::Checked(violations) => violations,
        };
        if rule.pss.is_some() {
            pss_applied = true;
            if !violations.is_empty() {
                pss_failed.push(rule.id);
            }
        }
        if disabled {
            continue;
        }
        result.checked = true;
        let severity = cx.config.severity_of(rule);
        let exemption = exemptions.reason_for(rule.id);
        match judge(&mut tally, severity, exemption.is_some(), violations.is_empty()) {
            Some(true) => lists.passed.push(rule.id),
            Some(false) => lists.failed.push(rule.id),
            None => {}
        }
        if violations.is_empty() {
            continue;
        }
        let template = Finding::template(
            Cow::Borrowed(rule.id),
            severity,
            Cow::Borrowed(rule.title),
            Cow::Borrowed(rule.remediation),
            result.resource.clone(),
            object_position,
            exemption,
        );
        push_located(
            findings,
            object,
            &mut locator,
            template,
            violations.into_iter().map(|violation| (violation.path, violation.message)),
        );
    }
    result.passed = lists.passed.as_slice().to_vec();
    result.failed = lists.failed.as_slice().to_vec();
    lists.passed.clear();
    lists.failed.clear();
    if let Some(policies) = policies {
        apply_policies(cx, policies, object, &exemptions, &mut tally, &mut result, findings, object_position);
    }
    if pss_applied {
        result.pss = Some(levels.level_met(|id| pss_failed.contains(&id)));
    }
    result.score = tally.score();
    result.grade = result.score.map(score::grade);
    result.judged = tally.judged();
    result
}

/// Counts a rule's (or a policy's) outcome on an object in its tally: `Some(true)` passed,
/// `Some(false)` failed, `None` failed but exempted (no evidence either way).
fn judge(tally: &mut Tally, severity: Severity, exempted: bool, clean: bool) -> Option<bool> {
    match (exempted, clean) {
        (_, true) => {
            tally.passed(severity);
            Some(true)
        }
        (true, false) => None,
        (false, false) => {
            tally.failed(severity);
            Some(false)
        }
    }
}

/// A finding like `template` for each violation `(path, message)`, at its field's line.
/// (Cloning the template costs what building each finding did: its strings are borrowed or
/// empty, its resource shared.)
fn push_located<'o>(
    findings: &mut Vec<Finding>,
    object: &'o Object,
    locator: &mut Locator<'o>,
    template: Finding,
    violations: impl Iterator<Item = (String, String)>,
) {
    for (path, message) in violations {
        let span = locator.locate(&object.root, &path);
        findings.push(Finding { message, path, line: span.line, column: span.column, ..template.clone() });
    }
}

/// [`Node::locate`] for the findings of one object, which mostly share the start of their
/// paths (`spec.template.spec.containers[0]`): the walk of the previous path is kept, and
/// a path starts from the deepest step it shares with it.
#[derive(Default)]
struct Locator<'n> {
    /// The previous path.
    path: String,
    /// Each step of the previous path that was found: where it ends in the path, the node
    /// it reached and the span it gave.
    steps: Vec<(usize, &'n Node, Span)>,
}

impl<'n> Locator<'n> {
    fn locate(&mut self, root: &'n Node, path: &str) -> Span {
        let shared = common_prefix(self.path.as_bytes(), path.as_bytes());
        // A step of the previous path that ends within the shared bytes, where this path's
        // step ends too (at its end, or before a `.` or `[`), was read from the same text.
        let ends_step = |end: usize| matches!(path.as_bytes().get(end), None | Some(b'.' | b'['));
        let kept = self.steps.iter().rposition(|&(end, _, _)| end <= shared && ends_step(end)).map_or(0, |at| at + 1);
        self.steps.truncate(kept);
        let (mut node, mut span, start) = match self.steps.last() {
            Some(&(end, node, span)) => (node, span, end),
            None => (root, root.span, 0),
        };
        let mut steps = PathSteps::new(&path[start..]);
        while let Some(step) = steps.next() {
            let next = match step {
                Step::Key(key) => node.entry(key).map(|entry| (entry.key_span, &entry.value)),
                Step::Index(index) => node.items().get(index).map(|item| (item.span, item)),
            };
            let Some((found_span, found)) = next else { break };
            span = found_span;
            node = found;
            self.steps.push((path.len() - steps.rest().len(), node, span));
        }
        self.path.clear();
        self.path.push_str(path);
        span
    }
}

/// How many bytes two texts share at their start, compared eight at a time (paths share
/// forty bytes or so: `spec.template.spec.containers[0].securityContext`).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let length = a.len().min(b.len());
    let mut at = 0;
    while at + 8 <= length {
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
        let differ = word(a) ^ word(b);
        if differ != 0 {
            // The lowest differing byte is the first (little-endian).
            return at + (differ.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < length && a[at] == b[at] {
        at += 1;
    }
    at
}

/// Applies the custom policies to an object: each policy that applied is evidence like a
/// rule (disabled, severity override and exemptions by its id `vap/<name>`), and each
/// violation a finding at its field's line (or the object's).
#[allow(clippy::too_many_arguments)]
fn apply_policies(
    cx: &Cx<'_>,
    policies: &PolicySet,
    object: &Object,
    exemptions: &Exemptions,
    tally: &mut Tally,
    result: &mut ObjectReport,
    findings: &mut Vec<Finding>,
    object_position: usize,
) {
    let namespace = object.namespace.as_deref().unwrap_or("default");
    let mut locator = Locator::default();
    for outcome in policies.evaluate(object, cx.index.namespace(namespace)) {
        if cx.config.is_disabled(&outcome.rule) {
            continue;
        }
        result.checked = true;
        let severity = cx.config.severity.get(&outcome.rule).copied().unwrap_or(outcome.severity);
        let exemption = exemptions.reason_for(&outcome.rule);
        match judge(tally, severity, exemption.is_some(), outcome.violations.is_empty()) {
            Some(true) => result.passed_policies.push(outcome.rule.clone()),
            Some(false) => result.failed_policies.push(outcome.rule.clone()),
            None => {}
        }
        if outcome.violations.is_empty() {
            continue;
        }
        let title = format!("ValidatingAdmissionPolicy {}", &outcome.rule[crate::policy::RULE_PREFIX.len()..]);
        let template = Finding::template(
            Cow::Owned(outcome.rule),
            severity,
            Cow::Owned(title),
            Cow::Borrowed(crate::policy::REMEDIATION),
            result.resource.clone(),
            object_position,
            exemption,
        );
        let violations = outcome.violations.into_iter().map(|violation| (violation.path, violation.message));
        push_located(findings, object, &mut locator, template, violations);
    }
}

/// The exemptions granted to an object by its own annotations and its Namespace's (unless
/// [`Options::annotation_exemptions`] is off), then by [`Options::exemptions`]: `(rule,
/// reason)`, a rule of `None` standing for every rule.
struct Exemptions {
    grants: Vec<(Option<String>, String)>,
}

impl Exemptions {
    fn of(object: &Object, index: &Index, options: &Options) -> Exemptions {
        let mut grants = Vec::new();
        if options.annotation_exemptions {
            Self::annotated(object, index, &mut grants);
        }
        for exemption in options.exemptions.iter().filter(|exemption| exemption.covers(object)) {
            grants.push((exemption.rule.clone(), exemption.reason.clone()));
        }
        Exemptions { grants }
    }

    fn annotated(object: &Object, index: &Index, grants: &mut Vec<(Option<String>, String)>) {
        // `what` names the holder in the reason; made only when it holds the annotation.
        let mut read = |holder: &Object, what: &dyn Fn() -> String| {
            let annotations = index::annotations(&holder.root);
            let Some(ids) = annotations.get(IGNORE_ANNOTATION).and_then(|node| node.as_str()) else { return };
            let what = what();
            let reason = annotations
                .get(IGNORE_REASON_ANNOTATION)
                .and_then(|node| node.as_str())
                .map(|reason| format!("{reason} ({what})"))
                .unwrap_or_else(|| format!("exempted by the {IGNORE_ANNOTATION} annotation of {what}"));
            for id in index::split_list(ids) {
                grants.push((Some(id.to_string()), reason.clone()));
            }
        };
        read(object, &|| format!("{} {}", object.kind, object.name));
        let namespace = object.namespace.as_deref().unwrap_or("default");
        if let Some(namespace_object) = index.namespace(namespace) {
            read(namespace_object, &|| format!("Namespace {namespace}"));
        }
    }

    fn reason_for(&self, rule: &str) -> Option<String> {
        self.grants.iter().find(|(id, _)| id.as_deref().is_none_or(|id| id == rule)).map(|(_, reason)| reason.clone())
    }
}

impl Report {
    /// Whether any finding (not exempted) is at or above `threshold`.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|finding| !finding.exempted && finding.severity >= threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_source, Limits};

    #[test]
    fn the_common_prefix_is_what_a_byte_by_byte_count_gives() {
        let base = "spec.template.spec.containers[0].securityContext.runAsNonRoot";
        let mut texts = vec![String::new(), "s".to_string(), "spec.template.spec.initContainers[1]".to_string()];
        // Every length of the base, and the base with each byte changed.
        for end in 0..=base.len() {
            texts.push(base[..end].to_string());
        }
        for at in 0..base.len() {
            let mut changed = base.as_bytes().to_vec();
            changed[at] = b'#';
            texts.push(String::from_utf8(changed).unwrap());
        }
        for a in &texts {
            for b in &texts {
                let expected = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                assert_eq!(common_prefix(a.as_bytes(), b.as_bytes()), expected, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_locator_gives_what_locate_gives_whatever_came_before() {
        let text = "a:\n  b:\n    - c: 1\n      d.e: 2\n    - c: 3\n  bc: {x: [4, 5]}\n  b.c: 6\nab: 7\n";
        let (documents, errors) = parse_source(&Source::new("t.yaml", text), &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let root = &documents[0].root;
        let paths = [
            "a.b[0].c",
            "a.b[0][\"d.e\"]",
            "a.b[1].c",
            "a.b[1].missing.deeper",
            "a.b[10].c",
            "a.bc.x[1]",
            "a.b",
            "a.bc",
            "a[\"b.c\"]",
            "a.b[0]",
            "ab",
            "a",
            "",
            "a.b[0].c.too.deep",
            "a.b[0].c",
        ];
        // Every order of two, and the whole list forwards and backwards.
        for first in paths {
            for second in paths {
                let mut locator = Locator::default();
                locator.locate(root, first);
                assert_eq!(locator.locate(root, second), root.locate(second), "{second} after {first}");
            }
        }
        let mut locator = Locator::default();
        for path in paths.iter().chain(paths.iter().rev()) {
            assert_eq!(locator.locate(root, path), root.locate(path), "{path}");
        }
    }
}
