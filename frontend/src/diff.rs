//! A line diff for showing what fixes change, as a reviewer reads a patch: changed lines
//! with a few lines of context, in hunks. The diff itself is `similar`'s, the crate the
//! command line's `--diff` uses, so the page and the CLI show the same changes.

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

/// The full line diff of two texts, line by line as `str::lines` splits them (so a last
/// line with or without its newline is the same line). `similar` computes it, as it computes
/// `rampart check --fix --diff`: Myers' algorithm in linear space (divide and conquer)
/// after the common prefix and suffix, so memory stays proportional to the texts however
/// much they differ.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    similar::TextDiff::from_slices(&old, &new)
        .iter_all_changes()
        .map(|line| DiffLine {
            change: match line.tag() {
                similar::ChangeTag::Equal => Change::Same,
                similar::ChangeTag::Delete => Change::Removed,
                similar::ChangeTag::Insert => Change::Added,
            },
            old_line: line.old_index().map(|index| index + 1),
            new_line: line.new_index().map(|index| index + 1),
            text: line.value().to_string(),
        })
        .collect()
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
}
