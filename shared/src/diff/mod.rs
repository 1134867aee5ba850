//! A line diff for showing what fixes change, as a reviewer reads a patch: changed lines
//! with a few lines of context, in hunks. The web app shows it as rows ([`diff_lines`],
//! [`hunks`]); `rampart check --diff` prints it as a unified diff ([`unified_diff`]).
//!
//! Both come from one edit script: Myers' algorithm in linear space ([`myers`]), then a
//! compaction that slides each run of changed lines over the equal lines around it
//! ([`compact`]). Both steps follow the `similar` crate (3.x) step for step, so the script
//! is the one `similar`'s `TextDiff::from_lines` finds and the unified diff is its
//! `unified_diff()` byte for byte (see [`myers`] for the large ranges where it is not).
//! Memory is linear in the texts whatever their distance: two frontiers of (N + M)/2 + 1
//! entries and the script.

mod compact;
mod myers;

use std::fmt::Write as _;
use std::ops::Range;

/// What happened to a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Same,
    Removed,
    Added,
}

/// One line of a diff, with its line numbers in the old and new text (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    pub change: Change,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    pub text: String,
}

/// A run of diff lines; hunks are separated by unchanged lines left out.
pub type Hunk = Vec<DiffLine>;

/// The kind of an edit operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Equal,
    Delete,
    Insert,
    /// Removed lines followed by added lines (only after [`compact::merge`]).
    Replace,
}

/// An edit operation: `old_len` lines of the old text from `old` and `new_len` lines of
/// the new text from `new` (an equal run has both lengths the same, a removal no new lines
/// and an insertion no old lines; the empty side's index is where the operation stands).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Op {
    tag: Tag,
    old: usize,
    new: usize,
    old_len: usize,
    new_len: usize,
}

impl Op {
    fn equal(old: usize, new: usize, len: usize) -> Op {
        Op { tag: Tag::Equal, old, new, old_len: len, new_len: len }
    }

    fn delete(old: usize, len: usize, new: usize) -> Op {
        Op { tag: Tag::Delete, old, new, old_len: len, new_len: 0 }
    }

    fn insert(old: usize, new: usize, len: usize) -> Op {
        Op { tag: Tag::Insert, old, new, old_len: 0, new_len: len }
    }

    fn old_range(&self) -> Range<usize> {
        self.old..self.old + self.old_len
    }

    fn new_range(&self) -> Range<usize> {
        self.new..self.new + self.new_len
    }

    fn is_empty(&self) -> bool {
        self.old_len == 0 && self.new_len == 0
    }

    /// The lines the operation covers on its side (an insertion's new lines, otherwise its
    /// old lines).
    fn len(&self) -> usize {
        if self.tag == Tag::Insert {
            self.new_len
        } else {
            self.old_len
        }
    }

    /// Adds `by` to the length of the sides the operation covers.
    fn resize(&mut self, by: usize, grow: bool) {
        let change = |len: &mut usize| if grow { *len += by } else { *len -= by };
        if self.tag != Tag::Insert {
            change(&mut self.old_len);
        }
        if self.tag != Tag::Delete {
            change(&mut self.new_len);
        }
    }

    fn shift_left(&mut self, by: usize) {
        self.old -= by;
        self.new -= by;
    }

    fn shift_right(&mut self, by: usize) {
        self.old += by;
        self.new += by;
    }

    fn grow_left(&mut self, by: usize) {
        self.shift_left(by);
        self.resize(by, true);
    }

    fn grow_right(&mut self, by: usize) {
        self.resize(by, true);
    }

    /// Drops `by` lines at the end.
    fn shrink_left(&mut self, by: usize) {
        self.resize(by, false);
    }

    /// Drops `by` lines at the start.
    fn shrink_right(&mut self, by: usize) {
        self.shift_right(by);
        self.resize(by, false);
    }
}

/// The merged, compacted edit script of two lists of lines.
fn script<T: PartialEq>(old: &[T], new: &[T]) -> Vec<Op> {
    let prefix = myers::common_prefix(old, 0..old.len(), new, 0..new.len());
    let suffix = myers::common_suffix(old, prefix..old.len(), new, prefix..new.len());
    let old_middle = prefix..old.len() - suffix;
    let new_middle = prefix..new.len() - suffix;
    let mut ops = Vec::new();
    if prefix > 0 {
        ops.push(Op::equal(0, 0, prefix));
    }
    if !old_middle.is_empty() && !new_middle.is_empty() {
        myers::diff(&mut ops, old, old_middle, new, new_middle);
    } else if !old_middle.is_empty() {
        ops.push(Op::delete(old_middle.start, old_middle.len(), new_middle.start));
    } else if !new_middle.is_empty() {
        ops.push(Op::insert(old_middle.start, new_middle.start, new_middle.len()));
    }
    if suffix > 0 {
        ops.push(Op::equal(old.len() - suffix, new.len() - suffix, suffix));
    }
    compact::compact(old, new, &mut ops);
    compact::merge(&ops)
}

/// The full line diff of two texts, line by line as `str::lines` splits them (so a last
/// line with or without its newline is the same line).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let mut lines = Vec::with_capacity(old.len().max(new.len()));
    let row = |change, old_line: Option<usize>, new_line: Option<usize>, text: &str| DiffLine {
        change,
        old_line: old_line.map(|index| index + 1),
        new_line: new_line.map(|index| index + 1),
        text: text.to_string(),
    };
    for op in script(&old, &new) {
        if op.tag == Tag::Equal {
            lines.extend(op.old_range().zip(op.new_range()).map(|(o, n)| row(Change::Same, Some(o), Some(n), old[o])));
            continue;
        }
        lines.extend(op.old_range().map(|o| row(Change::Removed, Some(o), None, old[o])));
        lines.extend(op.new_range().map(|n| row(Change::Added, None, Some(n), new[n])));
    }
    lines
}

/// The lines of a text with their line ends (`\n`, `\r\n` or a lone `\r`), as `similar`
/// splits them: a line that differs only in its line end is a changed line.
fn lines_with_ends(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut lines = Vec::with_capacity(bytes.len() / 32 + 1);
    let (mut start, mut index) = (0, 0);
    while index < bytes.len() {
        let end = match bytes[index] {
            b'\n' => index + 1,
            b'\r' if bytes.get(index + 1) == Some(&b'\n') => index + 2,
            b'\r' => index + 1,
            _ => {
                index += 1;
                continue;
            }
        };
        lines.push(&text[start..end]);
        start = end;
        index = end;
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// The unified diff of two texts (`--- old_name`, `+++ new_name`, then hunks with
/// `context` lines around each change), as `similar`'s `unified_diff()` writes it; empty
/// when the texts are the same. A last line without a line end is followed by
/// `\ No newline at end of file`.
pub fn unified_diff(old: &str, new: &str, context: usize, old_name: &str, new_name: &str) -> String {
    let old = lines_with_ends(old);
    let new = lines_with_ends(new);
    let mut out = String::new();
    for group in group_ops(script(&old, &new), context) {
        if out.is_empty() {
            let _ = writeln!(out, "--- {old_name}\n+++ {new_name}");
        }
        let (first, last) = (group[0], group[group.len() - 1]);
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            HunkRange(first.old, last.old_range().end),
            HunkRange(first.new, last.new_range().end)
        );
        let mut line = |sign: char, text: &str| {
            out.push(sign);
            out.push_str(text);
            if !text.ends_with(['\r', '\n']) {
                out.push_str("\n\\ No newline at end of file\n");
            }
        };
        for op in group {
            if op.tag == Tag::Equal {
                op.old_range().for_each(|index| line(' ', old[index]));
                continue;
            }
            op.old_range().for_each(|index| line('-', old[index]));
            op.new_range().for_each(|index| line('+', new[index]));
        }
    }
    out
}

/// A hunk's range in a unified diff header: `start,length`, `start` alone for one line,
/// and the line before for none.
struct HunkRange(usize, usize);

impl std::fmt::Display for HunkRange {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.1.saturating_sub(self.0);
        match len {
            1 => write!(formatter, "{}", self.0 + 1),
            0 => write!(formatter, "{},0", self.0),
            _ => write!(formatter, "{},{}", self.0 + 1, len),
        }
    }
}

/// The operations in hunks: changes with `context` equal lines on each side, a new hunk
/// wherever more than twice `context` equal lines separate two changes.
fn group_ops(mut ops: Vec<Op>, context: usize) -> Vec<Vec<Op>> {
    if let Some(first) = ops.first_mut().filter(|op| op.tag == Tag::Equal) {
        let cut = first.old_len.saturating_sub(context);
        first.shrink_right(cut);
    }
    if let Some(last) = ops.last_mut().filter(|op| op.tag == Tag::Equal) {
        let cut = last.old_len.saturating_sub(context);
        last.shrink_left(cut);
    }
    let mut groups = Vec::new();
    let mut group = Vec::new();
    for op in ops {
        if op.tag == Tag::Equal && op.old_len > context * 2 {
            group.push(Op::equal(op.old, op.new, context));
            groups.push(std::mem::take(&mut group));
            let cut = op.old_len - context;
            group.push(Op::equal(op.old + cut, op.new + cut, op.old_len - cut));
            continue;
        }
        group.push(op);
    }
    if !(group.is_empty() || group.len() == 1 && group[0].tag == Tag::Equal) {
        groups.push(group);
    }
    groups.retain(|group| !group.is_empty());
    groups
}

/// The changed lines with `context` unchanged lines around each change, in hunks.
pub fn hunks(lines: &[DiffLine], context: usize) -> Vec<Hunk> {
    let changed: Vec<usize> =
        lines.iter().enumerate().filter(|(_, line)| line.change != Change::Same).map(|(index, _)| index).collect();
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut end_of_last = None;
    for &index in &changed {
        let start = index.saturating_sub(context);
        let end = (index + context + 1).min(lines.len());
        match end_of_last {
            Some(last_end) if start <= last_end => {
                if let Some(hunk) = hunks.last_mut() {
                    hunk.extend(lines[last_end..end.max(last_end)].iter().cloned());
                }
            }
            _ => hunks.push(lines[start..end].to_vec()),
        }
        end_of_last = Some(end.max(end_of_last.unwrap_or(0)));
    }
    hunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lines: &[DiffLine]) -> String {
        lines
            .iter()
            .map(|line| {
                let sign = match line.change {
                    Change::Same => ' ',
                    Change::Removed => '-',
                    Change::Added => '+',
                };
                format!("{sign}{}\n", line.text)
            })
            .collect()
    }

    #[test]
    fn a_changed_line_and_an_insertion() {
        let old = "a\nb\nc\nd\n";
        let new = "a\nB\nc\nnew\nd\n";
        assert_eq!(render(&diff_lines(old, new)), " a\n-b\n+B\n c\n+new\n d\n");
    }

    #[test]
    fn line_numbers_follow_each_side() {
        let lines = diff_lines("x\ny\n", "x\nz\ny\n");
        let added = lines.iter().find(|line| line.change == Change::Added).unwrap();
        assert_eq!((added.old_line, added.new_line, added.text.as_str()), (None, Some(2), "z"));
        let last = lines.last().unwrap();
        assert_eq!((last.old_line, last.new_line), (Some(2), Some(3)));
    }

    #[test]
    fn edge_cases() {
        assert_eq!(render(&diff_lines("", "a\n")), "+a\n");
        assert_eq!(render(&diff_lines("a\n", "")), "-a\n");
        assert_eq!(render(&diff_lines("a\nb\n", "a\nb\n")), " a\n b\n");
        assert_eq!(render(&diff_lines("a\nb\nc\n", "c\nb\na\n")).lines().filter(|l| l.starts_with(' ')).count(), 1);
    }

    #[test]
    fn hunks_keep_context_and_merge_when_close() {
        let old: String = (1..=30).map(|n| format!("{n}\n")).collect();
        let new: String = (1..=30)
            .map(|n| match n {
                5 => "five\n".to_string(),
                8 => "eight\n".to_string(),
                25 => "twenty-five\n".to_string(),
                n => format!("{n}\n"),
            })
            .collect();
        let hunks = hunks(&diff_lines(&old, &new), 2);
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[0].first().unwrap().text, "3");
        assert_eq!(hunks[0].last().unwrap().text, "10");
        assert_eq!(hunks[1].first().unwrap().text, "23");
    }

    /// A small deterministic generator (xorshift), so a failing case is reproducible.
    struct Random(u64);

    impl Random {
        fn below(&mut self, bound: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % bound as u64) as usize
        }

        /// Up to 12 lines over a 4-letter alphabet: many repeats, so many ties between scripts.
        fn lines(&mut self) -> Vec<String> {
            (0..self.below(13)).map(|_| ["a", "b", "c", "d"][self.below(4)].to_string()).collect()
        }
    }

    /// The script turns `old` into `new`: the old side of the diff is `old` and the new side
    /// is `new`, line for line and numbered in order.
    fn assert_transforms(script: &[DiffLine], old: &[&str], new: &[&str]) {
        let old_side: Vec<(usize, &str)> = script
            .iter()
            .filter(|line| line.change != Change::Added)
            .map(|line| (line.old_line.unwrap(), line.text.as_str()))
            .collect();
        let new_side: Vec<(usize, &str)> = script
            .iter()
            .filter(|line| line.change != Change::Removed)
            .map(|line| (line.new_line.unwrap(), line.text.as_str()))
            .collect();
        assert_eq!(old_side, old.iter().enumerate().map(|(index, text)| (index + 1, *text)).collect::<Vec<_>>());
        assert_eq!(new_side, new.iter().enumerate().map(|(index, text)| (index + 1, *text)).collect::<Vec<_>>());
    }

    #[test]
    fn random_pairs_transform_old_into_new() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5_000 {
            let (old, new) = (random.lines(), random.lines());
            let (old, new): (Vec<&str>, Vec<&str>) =
                (old.iter().map(String::as_str).collect(), new.iter().map(String::as_str).collect());
            let (old_text, new_text) = (old.join("\n"), new.join("\n"));
            assert_transforms(&diff_lines(&old_text, &new_text), &old, &new);
        }
    }

    #[test]
    fn texts_with_nothing_in_common_are_removed_then_added() {
        // 100,000 changed lines: a frontier per step would need D·(N + M) = 10¹⁰ entries;
        // the work limit splits the search and every line still changes once.
        let old: Vec<String> = (0..50_000).map(|n| format!("old {n}")).collect();
        let new: Vec<String> = (0..50_000).map(|n| format!("new {n}")).collect();
        let lines = diff_lines(&old.join("\n"), &new.join("\n"));
        let (old, new): (Vec<&str>, Vec<&str>) =
            (old.iter().map(String::as_str).collect(), new.iter().map(String::as_str).collect());
        assert_transforms(&lines, &old, &new);
        assert!(lines[..50_000].iter().all(|line| line.change == Change::Removed));
        assert!(lines[50_000..].iter().all(|line| line.change == Change::Added));
    }

    #[test]
    fn far_apart_texts_get_a_diff_past_the_work_limit() {
        // Every tenth of 50,000 lines changed: D = 10,000, past the work limit (√100,000
        // steps). The diff is correct and starts with the changed lines one by one.
        let old: Vec<String> = (0..50_000).map(|n| format!("line {n}")).collect();
        let new: Vec<String> =
            (0..50_000).map(|n| if n % 10 == 5 { format!("changed {n}") } else { format!("line {n}") }).collect();
        let lines = diff_lines(&old.join("\n"), &new.join("\n"));
        let (old, new): (Vec<&str>, Vec<&str>) =
            (old.iter().map(String::as_str).collect(), new.iter().map(String::as_str).collect());
        assert_transforms(&lines, &old, &new);
        let head: Vec<Change> = lines.iter().take(60).map(|line| line.change).collect();
        let expected: Vec<Change> = (0..60)
            .flat_map(|n| if n % 10 == 5 { vec![Change::Removed, Change::Added] } else { vec![Change::Same] })
            .take(60)
            .collect();
        assert_eq!(head, expected);
        let edits = lines.iter().filter(|line| line.change != Change::Same).count();
        assert!((10_000..100_000).contains(&edits), "{edits} changed lines");
    }

    fn unified(old: &str, new: &str) -> String {
        unified_diff(old, new, 3, "a/x.yaml", "b/x.yaml")
    }

    /// The changed lines of a unified diff (hunk headers, files and context left out).
    fn changes(diff: &str) -> Vec<&str> {
        diff.lines()
            .filter(|line| {
                (line.starts_with('+') || line.starts_with('-')) && !line.starts_with("+++") && !line.starts_with("---")
            })
            .collect()
    }

    #[test]
    fn an_added_blank_line_slides_to_the_end_of_the_blank_lines() {
        // The search replaces "x" by the first blank line; compaction slides the insertion
        // down past the blank lines kept, as `similar` shows it.
        assert_eq!(unified("x\n\n\n", "\n\n\n"), "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,3 +1,3 @@\n-x\n \n \n+\n");
        assert_eq!(changes(&unified("x\ny\n\n", "\n\n\n")), ["-x", "-y", "+", "+"]);
        assert!(unified("x\ny\n\n", "\n\n\n").ends_with("-y\n \n+\n+\n"));
        // Repeated lines: the added copy is the last one.
        assert_eq!(
            unified("- x\n- x\n", "- x\n- x\n- x\n"),
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,2 +1,3 @@\n - x\n - x\n+- x\n"
        );
    }

    #[test]
    fn removals_that_can_touch_become_one_run() {
        // Four blank lines removed: the search removes them on both sides of the one kept;
        // compaction slides them together.
        let diff = unified("\n\n\n\n\n", "x\n\ny\n");
        assert_eq!(diff, "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,5 +1,3 @@\n-\n-\n-\n-\n+x\n \n+y\n");
        // A removed blank line joins the removed line before it.
        let diff = unified("y\n\n\n", "\nx\nx\n");
        assert_eq!(diff, "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,3 +1,3 @@\n-y\n-\n \n+x\n+x\n");
    }

    #[test]
    fn the_page_shows_the_compacted_script() {
        let lines = diff_lines("x\n\n\n", "\n\n\n");
        let changes: Vec<Change> = lines.iter().map(|line| line.change).collect();
        assert_eq!(changes, [Change::Removed, Change::Same, Change::Same, Change::Added]);
        assert_eq!((lines[1].old_line, lines[1].new_line), (Some(2), Some(1)));
        assert_eq!((lines[3].old_line, lines[3].new_line), (None, Some(3)));
    }

    #[test]
    fn line_ends_and_the_missing_newline_marker() {
        assert_eq!(unified("a\n", "a\n"), "");
        assert_eq!(unified("", ""), "");
        assert_eq!(
            unified("a\n", "b"),
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1 +1 @@\n-a\n+b\n\\ No newline at end of file\n"
        );
        assert_eq!(
            unified("a", "a\n"),
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"
        );
        assert_eq!(
            unified("a\r\nb\r\n", "a\r\nc\r\n"),
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n"
        );
        // A line that differs only in its line end is changed.
        assert_eq!(changes(&unified("a\r\nb\n", "a\nb\n")), ["-a", "+a"]);
        assert_eq!(unified("", "a\n"), "--- a/x.yaml\n+++ b/x.yaml\n@@ -0,0 +1 @@\n+a\n");
        assert_eq!(lines_with_ends("a\rb\r\nc\n\nd"), ["a\r", "b\r\n", "c\n", "\n", "d"]);
    }

    #[test]
    fn hunks_are_split_past_twice_the_context() {
        let old: String = (1..=20).map(|n| format!("{n}\n")).collect();
        let new = old.replace("\n3\n", "\nthree\n").replace("\n17\n", "\nseventeen\n");
        let diff = unified(&old, &new);
        let headers: Vec<&str> = diff.lines().filter(|line| line.starts_with("@@")).collect();
        assert_eq!(headers, ["@@ -1,6 +1,6 @@", "@@ -14,7 +14,7 @@"]);
    }

    /// `similar`'s unified diff, as `rampart check --diff` printed it before.
    fn similar_unified(old: &str, new: &str) -> String {
        similar::TextDiff::from_lines(old, new)
            .unified_diff()
            .context_radius(3)
            .header("a/x.yaml", "b/x.yaml")
            .to_string()
    }

    #[test]
    fn random_small_texts_diff_as_similar_diffs_them() {
        // Up to 12 lines over 4 letters (with and without a last newline, blank lines
        // among them): many equally short scripts, so every tie-break and every slide of
        // the compaction is exercised.
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let letter = |random: &mut Random| ["a\n", "b\n", "\n", "a\n", "c\n", "a\r\n", "\r"][random.below(7)];
        for case in 0..20_000 {
            let text = |random: &mut Random| {
                let count = random.below(13);
                let mut text: String = (0..count).map(|_| letter(random)).collect();
                if random.below(4) == 0 {
                    text.pop();
                }
                text
            };
            let (old, new) = (text(&mut random), text(&mut random));
            assert_eq!(unified(&old, &new), similar_unified(&old, &new), "case {case}: {old:?} -> {new:?}");
        }
    }

    #[test]
    fn random_long_texts_with_few_changes_diff_as_similar_diffs_them() {
        // Manifest-like texts of up to 400 lines from a small set of lines, changed at a few
        // places (lines replaced, inserted, removed, blocks repeated): the shape of fixes,
        // long enough for the search to split ranges again and again.
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let pool = [
            "spec:\n",
            "  containers:\n",
            "  - name: app\n",
            "    image: x\n",
            "\n",
            "---\n",
            "    securityContext:\n",
            "      runAsNonRoot: true\n",
        ];
        for case in 0..2_000 {
            let count = random.below(400);
            let old: Vec<&str> = (0..count).map(|_| pool[random.below(pool.len())]).collect();
            let mut new = old.clone();
            for _ in 0..1 + random.below(12) {
                let at = random.below(new.len() + 1);
                match random.below(4) {
                    0 if at < new.len() => {
                        new.remove(at);
                    }
                    1 if at < new.len() => new[at] = pool[random.below(pool.len())],
                    2 => {
                        let block: Vec<&str> = new[at.saturating_sub(3)..at].to_vec();
                        new.splice(at..at, block);
                    }
                    _ => new.insert(at, pool[random.below(pool.len())]),
                }
            }
            let (old, new) = (old.concat(), new.concat());
            assert_eq!(unified(&old, &new), similar_unified(&old, &new), "case {case}");
        }
    }

    #[test]
    fn large_rewrites_diff_as_similar_diffs_them_below_its_large_range_paths() {
        // Ranges of 100 to 600 lines with many differences (short of `similar`'s own paths
        // for a side of at most 64 lines against one of 512 or more): the search's work
        // limit and the front-anchor peel come into play.
        let mut random = Random(0x1234_5678_9abc_def1);
        let lines = |random: &mut Random, count: usize, alphabet: usize| -> Vec<String> {
            (0..count).map(|_| format!("{}\n", random.below(alphabet))).collect()
        };
        for case in 0..300 {
            let (old, new): (Vec<String>, Vec<String>) = match case % 3 {
                // A few lines, then a long common run (a few lines changed in it), then as
                // many lines again or more: one side at least twice the other.
                0 => {
                    let alphabet = 2 + random.below(3);
                    let count = 97 + random.below(100);
                    let base = lines(&mut random, count, alphabet);
                    let skip = random.below(5);
                    let mut other = lines(&mut random, skip, alphabet);
                    let mut middle = base.clone();
                    for _ in 0..random.below(4) {
                        let at = random.below(middle.len());
                        middle[at] = format!("{}\n", random.below(alphabet));
                    }
                    other.extend(middle);
                    let extra = count + random.below(count);
                    other.extend(lines(&mut random, extra, alphabet));
                    if case % 2 == 0 {
                        (base, other)
                    } else {
                        (other, base)
                    }
                }
                // Unrelated lines: D in the hundreds, past the work limit.
                1 => {
                    let alphabet = [6, 40, 400][random.below(3)];
                    let (old_count, new_count) = (100 + random.below(400), 100 + random.below(400));
                    (lines(&mut random, old_count, alphabet), lines(&mut random, new_count, alphabet))
                }
                // Runs of 20 to 50 equal lines between replaced blocks.
                _ => {
                    let alphabet = 2 + random.below(30);
                    let count = 300 + random.below(200);
                    let base = lines(&mut random, count, alphabet);
                    let mut other = Vec::new();
                    let mut at = 0;
                    while at < base.len() {
                        let run = 20 + random.below(30);
                        other.extend_from_slice(&base[at..(at + run).min(base.len())]);
                        let replaced = random.below(60);
                        other.extend(lines(&mut random, replaced, alphabet));
                        at += run + random.below(60);
                    }
                    (base, other)
                }
            };
            let (old, new) = (old.concat(), new.concat());
            assert_eq!(unified(&old, &new), similar_unified(&old, &new), "case {case}");
        }
    }
}
