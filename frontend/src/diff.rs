//! A line diff (Myers' O(ND) algorithm) for showing what fixes change, as a reviewer reads
//! a patch: changed lines with a few lines of context, in hunks.
//!
//! Fixes are minimal edits, so D (the number of changed lines) is small and the diff is
//! quick even for long manifests.

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

/// The full line diff of two texts.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // Common prefix and suffix first: fixes leave most of a manifest alone.
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    let old_middle = &old[prefix..old.len() - suffix];
    let new_middle = &new[prefix..new.len() - suffix];

    let mut lines = Vec::with_capacity(old.len().max(new.len()) + 8);
    for (index, text) in old[..prefix].iter().enumerate() {
        lines.push(DiffLine {
            change: Change::Same,
            old_line: Some(index + 1),
            new_line: Some(index + 1),
            text: text.to_string(),
        });
    }
    for (change, old_index, new_index) in myers(old_middle, new_middle) {
        let text = match change {
            Change::Added => new_middle[new_index],
            _ => old_middle[old_index],
        };
        lines.push(DiffLine {
            change,
            old_line: (change != Change::Added).then_some(prefix + old_index + 1),
            new_line: (change != Change::Removed).then_some(prefix + new_index + 1),
            text: text.to_string(),
        });
    }
    for offset in 0..suffix {
        let old_index = old.len() - suffix + offset;
        let new_index = new.len() - suffix + offset;
        lines.push(DiffLine {
            change: Change::Same,
            old_line: Some(old_index + 1),
            new_line: Some(new_index + 1),
            text: old[old_index].to_string(),
        });
    }
    lines
}

/// Myers' shortest edit script: `(change, index in old, index in new)` for every line.
fn myers(old: &[&str], new: &[&str]) -> Vec<(Change, usize, usize)> {
    let (n, m) = (old.len() as isize, new.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut frontier = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'search: for d in 0..=max as isize {
        trace.push(frontier.clone());
        let mut k = -d;
        while k <= d {
            let index = (k + offset) as usize;
            let mut x = if k == -d || (k != d && frontier[index - 1] < frontier[index + 1]) {
                frontier[index + 1]
            } else {
                frontier[index - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && old[x as usize] == new[y as usize] {
                x += 1;
                y += 1;
            }
            frontier[index] = x;
            if x >= n && y >= m {
                trace.push(frontier.clone());
                break 'search;
            }
            k += 2;
        }
    }
    // Walk the trace back from the end to recover the script.
    let mut script = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..trace.len() as isize - 1).rev() {
        let frontier = &trace[d as usize];
        let k = x - y;
        let previous_k =
            if k == -d || (k != d && frontier[(k - 1 + offset) as usize] < frontier[(k + 1 + offset) as usize]) {
                k + 1
            } else {
                k - 1
            };
        let previous_x = frontier[(previous_k + offset) as usize];
        let previous_y = previous_x - previous_k;
        while x > previous_x && y > previous_y {
            x -= 1;
            y -= 1;
            script.push((Change::Same, x as usize, y as usize));
        }
        if x == previous_x {
            y -= 1;
            script.push((Change::Added, x as usize, y as usize));
        } else {
            x -= 1;
            script.push((Change::Removed, x as usize, y as usize));
        }
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        script.push((Change::Same, x as usize, y as usize));
    }
    script.reverse();
    script
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
