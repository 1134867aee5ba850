//! Fixes: text edits that make a manifest pass a rule, and the loop that applies them.
//!
//! A fix is data, not a side effect: a list of byte-range edits of one source plus a
//! [`Safety`]. Rules build theirs with the helpers of [`yaml_edit`], which touch only the
//! lines a change needs, so a reviewer reads a small diff and every other line stays byte
//! for byte. [`apply`] takes every fix of the chosen safety from a check, merges the edits
//! that meet at one place (several keys inserted under one new `securityContext:`), defers
//! those that collide to the next round, and checks again, for at most [`MAX_ROUNDS`]
//! rounds, until the fixed rules pass.

use std::ops::Range;

use serde::Serialize;

use crate::engine::{check, Finding, Options};
use crate::object::Object;
use crate::parse::{parse_source, Source};
use crate::rules::{Cx, Violation};
use crate::tree::{Node, PathSteps, Step};

pub mod yaml_edit;

pub use yaml_edit::{Leaf, Scalar, Style};

/// Rounds of check-then-fix [`apply`] runs at most. Edits that collide in one round (two
/// flow-style insertions creating the same parent) land in the next; four rounds cover
/// the deepest chain the rules' fixes can form.
pub const MAX_ROUNDS: usize = 4;

/// Whether applying a fix can change what the workload does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// Cannot change what a working workload does (`allowPrivilegeEscalation: false` on a
    /// container that is not privileged). `rampart check --fix` applies these.
    Safe,
    /// May break the workload (`runAsNonRoot: true` on an image that runs as root); needs
    /// `--unsafe-fixes`, and a person who knows the application.
    Unsafe,
}

impl Safety {
    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::Unsafe => "unsafe",
        }
    }
}

/// A 1-based line and column (columns count characters), as findings give them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Point {
    pub line: u32,
    pub column: u32,
}

/// Replace the bytes `range` of a source with `replacement` (an insertion when the range
/// is empty, a deletion when the replacement is). `start` and `end` give the range as
/// lines and columns for readers of the JSON report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
    pub start: Point,
    pub end: Point,
}

impl Edit {
    pub fn new(range: Range<usize>, replacement: String) -> Edit {
        Edit { range, replacement, start: Point::default(), end: Point::default() }
    }

    pub fn insert(at: usize, text: String) -> Edit {
        Edit::new(at..at, text)
    }
}

/// The edits that fix one finding, all in one source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub safety: Safety,
    pub edits: Vec<Edit>,
    /// Index of the source the edits apply to (in the order the sources were given).
    #[serde(skip)]
    pub source: usize,
}

impl Fix {
    pub fn new(safety: Safety, edits: Vec<Edit>) -> Fix {
        Fix { safety, edits, source: 0 }
    }

    /// A safe fix of these edits; `None` when there are none.
    pub fn safe(edits: Option<Vec<Edit>>) -> Option<Fix> {
        Fix::with(Safety::Safe, edits)
    }

    /// An unsafe fix of these edits; `None` when there are none.
    pub fn unsafe_(edits: Option<Vec<Edit>>) -> Option<Fix> {
        Fix::with(Safety::Unsafe, edits)
    }

    pub fn with(safety: Safety, edits: Option<Vec<Edit>>) -> Option<Fix> {
        edits.filter(|edits| !edits.is_empty()).map(|edits| Fix::new(safety, edits))
    }
}

/// What a rule's fix function sees besides the object and the violation: the text of the
/// object's source and the check's context.
pub struct FixCx<'a> {
    /// The source text the object's positions refer to (without a byte-order mark).
    pub text: &'a str,
    pub cx: &'a Cx<'a>,
    /// The layout of the object's document, which inserted lines follow.
    pub style: Style,
}

/// How a rule builds the fix of one of its violations (its path; the message is left
/// empty); `None` when no sound edit exists.
pub type FixFn = fn(&FixCx<'_>, &Object, &Violation) -> Option<Fix>;

impl FixCx<'_> {
    /// Edits setting the field at `path` of the object to a scalar, creating missing parents.
    pub fn set(&self, object: &Object, path: &str, value: Scalar<'_>) -> Option<Vec<Edit>> {
        yaml_edit::set(self.text, &object.root, path, Leaf::Scalar(value), &self.style)
    }

    /// Edits removing the field or sequence item at `path`.
    pub fn remove(&self, object: &Object, path: &str) -> Option<Vec<Edit>> {
        yaml_edit::remove(self.text, &object.root, path)
    }

    /// Edits appending an item to the sequence at `path`, creating it when missing.
    pub fn add_item(&self, object: &Object, path: &str, item: Scalar<'_>) -> Option<Vec<Edit>> {
        yaml_edit::add_item(self.text, &object.root, path, item, &self.style)
    }

    /// Edits replacing the entry at `path` with `key: value` (`value` written as given).
    pub fn replace_entry(&self, object: &Object, path: &str, key: &str, value: &str) -> Option<Vec<Edit>> {
        yaml_edit::replace_entry(self.text, &object.root, path, key, value, &self.style)
    }
}

/// Asks each finding's rule for its fix, and places the edits in their source (byte ranges
/// and lines). Findings of objects without source text (a cluster scan) get none.
pub fn attach_fixes(cx: &Cx<'_>, sources: &[Source], objects: &[Object], findings: &mut [Finding]) {
    // An object's findings come one after the other: its style is read once.
    let mut styles: Option<(usize, Style)> = None;
    // Where each line of the current source starts, to place edits without rescanning the
    // text: an object's findings come one after the other, and a source's objects too.
    let mut line_starts: Option<usize> = None;
    let mut starts: Vec<usize> = Vec::new();
    // The fix function of each rule met, by the address of its id (a finding's rule id is
    // the rule's own string): a lookup among every rule once per rule, not per finding.
    let mut fix_fns: Vec<(*const u8, usize, Option<FixFn>)> = Vec::new();
    for finding in findings.iter_mut() {
        let id = (finding.rule.as_ptr(), finding.rule.len());
        let fix_fn = match fix_fns.iter().find(|(address, length, _)| (*address, *length) == id) {
            Some(&(_, _, fix_fn)) => fix_fn,
            None => {
                let fix_fn = crate::rules::find(&finding.rule).and_then(|rule| rule.fix);
                // Only a rule's own `'static` id has a stable address to remember.
                if matches!(finding.rule, std::borrow::Cow::Borrowed(_)) {
                    fix_fns.push((id.0, id.1, fix_fn));
                }
                fix_fn
            }
        };
        let Some(fix_fn) = fix_fn else { continue };
        let Some(object) = objects.get(finding.object) else { continue };
        let Some(source) = sources.get(object.source) else { continue };
        // Positions count from after a byte-order mark, which the parser skips.
        let (text, base) = match source.text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, source.text.len() - rest.len()),
            None => (source.text.as_str(), 0),
        };
        let style = match styles {
            Some((position, style)) if position == finding.object => style,
            _ => {
                let style = Style::detect(text, &object.root);
                styles = Some((finding.object, style));
                style
            }
        };
        let fix_cx = FixCx { text, cx, style };
        // Fixes work from the path, lent to them (and given back below); the message is left
        // out.
        let violation = Violation { path: std::mem::take(&mut finding.path), message: String::new() };
        let fix = fix_fn(&fix_cx, object, &violation);
        finding.path = violation.path;
        finding.fix = fix.map(|mut fix| {
            fix.source = object.source;
            if line_starts != Some(object.source) {
                line_starts = Some(object.source);
                starts.clear();
                starts.push(0);
                crate::parse::each_newline(source.text.as_bytes(), |newline| starts.push(newline + 1));
            }
            for edit in &mut fix.edits {
                edit.range = edit.range.start + base..edit.range.end + base;
                edit.start = point_at(&source.text, &starts, edit.range.start);
                edit.end = point_at(&source.text, &starts, edit.range.end);
            }
            fix
        });
    }
}

/// The node at a field path below `root`, when every step exists.
pub fn node_at<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    PathSteps::new(path).try_fold(root, |node, step| match step {
        Step::Key(key) => node.get(key),
        Step::Index(index) => node.items().get(index),
    })
}

/// The text before a field-path suffix (`spec.containers[0]` of
/// `spec.containers[0].securityContext.privileged`).
pub fn parent_path<'p>(path: &'p str, suffix: &str) -> Option<&'p str> {
    path.strip_suffix(suffix).and_then(|rest| rest.strip_suffix('.'))
}

/// The line and column of a byte offset, given where each line starts.
fn point_at(text: &str, line_starts: &[usize], offset: usize) -> Point {
    let offset = offset.min(text.len());
    let line = line_starts.partition_point(|&start| start <= offset).max(1);
    let line_start = line_starts[line - 1];
    let column = text.get(line_start..offset).map_or(0, |before| before.chars().count());
    Point { line: line as u32, column: column as u32 + 1 }
}

/// One source after fixing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedSource {
    pub name: String,
    pub text: String,
    /// Whether the text differs from the input.
    pub changed: bool,
    /// How many fixes were applied to it (identical fixes of several findings count once).
    pub fixes: usize,
}

/// Applies every fix of `safety` or safer to the sources, checking again after each round
/// until no applicable fix is left (at most [`MAX_ROUNDS`] rounds). Exempted findings are
/// not fixed. A fix whose edits would leave a source less readable (more parse errors)
/// than it was is left out, so the output always reads as well as the input did.
pub fn apply(sources: &[Source], options: &Options, safety: Safety) -> Vec<FixedSource> {
    apply_rules(sources, options, safety, |_| true)
}

/// [`apply`], for the findings of the rules whose id `rules` accepts only.
pub fn apply_rules(
    sources: &[Source],
    options: &Options,
    safety: Safety,
    rules: impl Fn(&str) -> bool,
) -> Vec<FixedSource> {
    let mut current: Vec<Source> = sources.to_vec();
    let mut counts = vec![0usize; sources.len()];
    for _ in 0..MAX_ROUNDS {
        let report = check(&current, options);
        let mut candidates: Vec<Vec<&Fix>> = vec![Vec::new(); current.len()];
        for finding in &report.findings {
            let Some(fix) = &finding.fix else { continue };
            if !finding.exempted && fix.safety <= safety && rules(&finding.rule) && fix.source < current.len() {
                candidates[fix.source].push(fix);
            }
        }
        let mut changed = false;
        for (position, fixes) in candidates.into_iter().enumerate() {
            if fixes.is_empty() {
                continue;
            }
            let source = &current[position];
            let errors = |text: &str| parse_source(&Source::new(source.name.clone(), text), &options.limits).1.len();
            let errors_before = errors(&source.text);
            let (mut edits, mut applied) = merge_all(&fixes, |_| true);
            let mut text = apply_edits(&source.text, &edits);
            if errors(&text) > errors_before {
                // Some edits do not go together in this text: take the fixes one by one,
                // keeping each that leaves the text as readable as it was.
                (edits, applied) =
                    merge_all(&fixes, |edits| errors(&apply_edits(&source.text, edits)) <= errors_before);
                text = apply_edits(&source.text, &edits);
            }
            if text != current[position].text {
                current[position].text = text;
                counts[position] += applied;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    current
        .into_iter()
        .zip(sources)
        .zip(counts)
        .map(|((fixed, original), fixes)| FixedSource {
            changed: fixed.text != original.text,
            name: fixed.name,
            text: fixed.text,
            fixes,
        })
        .collect()
}

/// Merges the fixes' edits in order, skipping a fix that collides with those taken or that
/// `keep` refuses; returns the edits and how many fixes changed them.
fn merge_all(fixes: &[&Fix], keep: impl Fn(&[Edit]) -> bool) -> (Vec<Edit>, usize) {
    let mut edits: Vec<Edit> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
        if let Some(merged) = merge_fix(&edits, fix) {
            if merged != edits && keep(&merged) {
                edits = merged;
                applied += 1;
            }
        }
    }
    (edits, applied)
}

/// Applies non-overlapping edits (ranges into `text`) in one pass.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut cursor = 0;
    for edit in sorted {
        let start = edit.range.start.clamp(cursor, text.len());
        out.push_str(&text[cursor..start]);
        out.push_str(&edit.replacement);
        cursor = edit.range.end.clamp(start, text.len());
    }
    out.push_str(&text[cursor..]);
    out
}

/// The accepted edits with those of `fix` added, or `None` when one of them collides with
/// an accepted edit (the fix then waits for the next round, against the new text).
pub fn merge_fix(accepted: &[Edit], fix: &Fix) -> Option<Vec<Edit>> {
    let mut merged = accepted.to_vec();
    for edit in &fix.edits {
        merge_edit(&mut merged, edit)?;
    }
    Some(merged)
}

fn merge_edit(edits: &mut Vec<Edit>, new: &Edit) -> Option<()> {
    for existing in edits.iter_mut() {
        if existing.range == new.range && existing.replacement == new.replacement {
            return Some(());
        }
        let same_point = existing.range.is_empty() && new.range.is_empty() && existing.range.start == new.range.start;
        if same_point {
            existing.replacement = merge_insertions(&existing.replacement, &new.replacement)?;
            return Some(());
        }
        let overlap = existing.range.start < new.range.end && new.range.start < existing.range.end;
        if overlap || touches_inline(existing, new) || touches_inline(new, existing) {
            return None;
        }
    }
    edits.push(new.clone());
    Some(())
}

/// Whether `insertion` is an insertion within a line (a flow entry with its `, `) at an end
/// of the range `other` replaces: its separator was computed against the text `other`
/// changes, so the two must not land in one round.
fn touches_inline(insertion: &Edit, other: &Edit) -> bool {
    let whole_lines = insertion.replacement.ends_with('\n') && !insertion.replacement.starts_with(['\n', '\r']);
    insertion.range.is_empty()
        && !other.range.is_empty()
        && !whole_lines
        && (other.range.end == insertion.range.start || other.range.start == insertion.range.start)
}

/// Merges two insertions made at the same place: whole lines are merged as YAML blocks
/// (a shared new parent such as `securityContext:` is written once, its children joined);
/// flow entries (`, key: value`) are joined when their keys differ.
fn merge_insertions(first: &str, second: &str) -> Option<String> {
    // At the end of a text without a final newline, insertions open with one.
    for newline in ["\r\n", "\n"] {
        if let (Some(first), Some(second)) = (first.strip_prefix(newline), second.strip_prefix(newline)) {
            return merge_insertions(first, second).map(|merged| format!("{newline}{merged}"));
        }
    }
    if first.starts_with(['\n', '\r']) || second.starts_with(['\n', '\r']) {
        return None;
    }
    let lines = |text: &str| text.ends_with('\n');
    if lines(first) && lines(second) {
        let newline = if first.ends_with("\r\n") { "\r\n" } else { "\n" };
        let mut forest = line_forest(first);
        for tree in line_forest(second) {
            merge_tree(&mut forest, tree)?;
        }
        // Deeper blocks first: they close before a shallower key starts its own.
        forest.sort_by_key(|tree| std::cmp::Reverse(tree.indent));
        let mut out = String::new();
        for tree in &forest {
            tree.write(&mut out, newline);
        }
        return Some(out);
    }
    if lines(first) || lines(second) {
        return None;
    }
    // Flow entries: `, a: 1, b: {c: 2}` (no leading comma in an empty mapping).
    let leading = first.starts_with(", ");
    let mut entries = flow_entries(first);
    for entry in flow_entries(second) {
        let key = |entry: &str| entry.split_once(':').map(|(key, _)| key.trim().to_string());
        match entries.iter().find(|existing| key(existing) == key(&entry)) {
            Some(existing) if *existing == entry => {}
            Some(_) => return None,
            None => entries.push(entry),
        }
    }
    Some(format!("{}{}", if leading { ", " } else { "" }, entries.join(", ")))
}

/// The top-level entries of an inserted flow text (`, a: 1, b: {c: 2, d: 3}`).
fn flow_entries(text: &str) -> Vec<String> {
    let body = text.strip_prefix(", ").unwrap_or(text);
    let mut entries = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut start = 0;
    for (index, character) in body.char_indices() {
        match character {
            '"' => quoted = !quoted,
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                entries.push(body[start..index].trim().to_string());
                start = index + 1;
            }
            _ => {}
        }
    }
    entries.push(body[start..].trim().to_string());
    entries
}

/// Inserted lines as a tree by indentation (a `- item` line under a key at the same
/// indentation is that key's child).
#[derive(Clone, Debug)]
struct LineTree {
    line: String,
    indent: usize,
    children: Vec<LineTree>,
}

impl LineTree {
    /// Depth for nesting: indentation, with sequence items half a step deeper.
    fn depth(&self) -> usize {
        self.indent * 2 + usize::from(self.line.trim_start().starts_with("- "))
    }

    /// The key a line sets (with its indentation), or the whole line for an item.
    fn key(&self) -> &str {
        let trimmed = self.line.trim_start();
        if trimmed.starts_with("- ") {
            return &self.line;
        }
        self.line.split_once(':').map_or(self.line.as_str(), |(key, _)| key)
    }

    fn is_parent(&self) -> bool {
        !self.children.is_empty() && self.line.trim_end().ends_with(':')
    }

    fn write(&self, out: &mut String, newline: &str) {
        out.push_str(&self.line);
        out.push_str(newline);
        for child in &self.children {
            child.write(out, newline);
        }
    }
}

fn line_forest(text: &str) -> Vec<LineTree> {
    let mut roots: Vec<LineTree> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let tree =
            LineTree { line: line.to_string(), indent: line.len() - line.trim_start().len(), children: Vec::new() };
        insert_line(&mut roots, tree);
    }
    roots
}

fn insert_line(siblings: &mut Vec<LineTree>, tree: LineTree) {
    match siblings.last_mut() {
        Some(last) if tree.depth() > last.depth() => insert_line(&mut last.children, tree),
        _ => siblings.push(tree),
    }
}

fn merge_tree(forest: &mut Vec<LineTree>, tree: LineTree) -> Option<()> {
    match forest.iter_mut().find(|existing| existing.key() == tree.key()) {
        None => forest.push(tree),
        Some(existing) if existing.line == tree.line && existing.children.is_empty() && tree.children.is_empty() => {}
        Some(existing) if existing.line == tree.line && existing.is_parent() && tree.is_parent() => {
            for child in tree.children {
                merge_tree(&mut existing.children, child)?;
            }
        }
        Some(_) => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertions_under_one_new_parent_are_merged() {
        let first = "    securityContext:\n      allowPrivilegeEscalation: false\n";
        let second = "    securityContext:\n      capabilities:\n        drop:\n        - ALL\n";
        let third = "  securityContext:\n    runAsNonRoot: true\n";
        let merged = merge_insertions(first, second).unwrap();
        let merged = merge_insertions(&merged, third).unwrap();
        assert_eq!(
            merged,
            "    securityContext:\n      allowPrivilegeEscalation: false\n      capabilities:\n        drop:\n        - ALL\n  securityContext:\n    runAsNonRoot: true\n"
        );
        assert_eq!(merge_insertions(first, first).unwrap(), first);
        assert!(merge_insertions("  a: 1\n", "  a: 2\n").is_none());
        assert_eq!(merge_insertions(", a: 1", ", b: 2").unwrap(), ", a: 1, b: 2");
        assert_eq!(merge_insertions("a: 1", "b: 2").unwrap(), "a: 1, b: 2");
        assert!(merge_insertions(", s: {a: 1}", ", s: {b: 1}").is_none());
        let twice = merge_insertions(", a: 1", ", s: {b: [x, y]}").unwrap();
        assert_eq!(merge_insertions(&twice, ", s: {b: [x, y]}").unwrap(), ", a: 1, s: {b: [x, y]}");
    }

    #[test]
    fn colliding_edits_wait_for_the_next_round() {
        let accepted = vec![Edit::new(5..10, String::new())];
        let inside = Fix::new(Safety::Safe, vec![Edit::insert(7, "x".into())]);
        assert!(merge_fix(&accepted, &inside).is_none());
        let lines = Fix::new(Safety::Safe, vec![Edit::insert(10, "x\n".into())]);
        assert_eq!(merge_fix(&accepted, &lines).unwrap().len(), 2, "whole lines may follow a removal");
        assert_eq!(apply_edits("0123456789abc", &merge_fix(&accepted, &lines).unwrap()), "01234x\nabc");
        let inline = Fix::new(Safety::Safe, vec![Edit::insert(10, ", x".into())]);
        assert!(merge_fix(&accepted, &inline).is_none(), "a flow entry's separator depends on what is removed");
    }
}
