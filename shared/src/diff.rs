//! A line diff (Myers' O(ND) algorithm) for showing what fixes change, as a reviewer reads
//! a patch: changed lines with a few lines of context, in hunks. The web app shows it as
//! rows ([`diff_lines`], [`hunks`]).
//!
//! Fixes are minimal edits, so D (the number of changed lines) is small and the diff is
//! quick even for long manifests. Memory is O(D²) and D is capped (`MAX_EDITS`), so two
//! long texts with nothing in common still get a diff, in bounded memory.

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
    edit_script(&old, &new)
        .into_iter()
        .map(|(change, old_index, new_index)| DiffLine {
            change,
            old_line: (change != Change::Added).then_some(old_index + 1),
            new_line: (change != Change::Removed).then_some(new_index + 1),
            text: if change == Change::Added { new[new_index] } else { old[old_index] }.to_string(),
        })
        .collect()
}

/// The edit script of two lists of lines: `(change, index in old, index in new)` for every
/// line, where an added line carries the old index it is inserted at and a removed line the
/// new one.
fn edit_script(old: &[&str], new: &[&str]) -> Vec<(Change, usize, usize)> {
    // Common prefix and suffix first: fixes leave most of a manifest alone.
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    let old_middle = &old[prefix..old.len() - suffix];
    let new_middle = &new[prefix..new.len() - suffix];

    let mut script = Vec::with_capacity(old.len().max(new.len()) + 8);
    script.extend((0..prefix).map(|index| (Change::Same, index, index)));
    script.extend(
        myers(old_middle, new_middle)
            .into_iter()
            .map(|(change, old_index, new_index)| (change, prefix + old_index, prefix + new_index)),
    );
    script.extend((0..suffix).map(|offset| (Change::Same, old.len() - suffix + offset, new.len() - suffix + offset)));
    script
}

/// The most changed lines searched for a shortest edit script. The search keeps the d + 1
/// frontier points of every step d (4 bytes each), so memory is O(D²): at most about
/// 8 MB here, whatever the lengths of the texts. Two texts further apart than this (a
/// manifest replaced wholesale) get a correct diff that is not minimal: the shortest script
/// up to the furthest point the search reached, then the rest of both sides as removed
/// lines followed by added lines.
const MAX_EDITS: usize = 2_000;

/// Myers' shortest edit script: `(change, index in old, index in new)` for every line.
fn myers(old: &[&str], new: &[&str]) -> Vec<(Change, usize, usize)> {
    myers_bounded(old, new, MAX_EDITS)
}

/// Myers' search with at most `max_edits` steps (see [`MAX_EDITS`]). `frontiers` holds, for
/// each step d, the furthest x reached on each diagonal k = x - y in -d, -d + 2, …, d (the
/// diagonals step d can reach), at `d(d + 1)/2 + (k + d)/2`: the steps before d take
/// 1 + 2 + … + d entries. Only the steps the search takes are stored, O(D²) in all, where
/// a copy of the whole frontier per step would be O(D·(N + M)).
fn myers_bounded(old: &[&str], new: &[&str], max_edits: usize) -> Vec<(Change, usize, usize)> {
    let (n, m) = (old.len() as isize, new.len() as isize);
    let last_step = (n + m).min(max_edits as isize);
    let at = |d: isize, k: isize| (d * (d + 1) / 2 + (k + d) / 2) as usize;
    let mut frontiers: Vec<u32> = Vec::new();
    // The point the script ends at: (n, m), or the furthest point reached when the search stops.
    let mut end = None;
    'search: for d in 0..=last_step {
        for k in (-d..=d).step_by(2) {
            // Down from diagonal k + 1 (an added line) or right from k - 1 (a removed line),
            // whichever got further in step d - 1.
            let mut x = if d == 0 {
                0
            } else if k == -d || (k != d && frontiers[at(d - 1, k - 1)] < frontiers[at(d - 1, k + 1)]) {
                frontiers[at(d - 1, k + 1)] as isize
            } else {
                frontiers[at(d - 1, k - 1)] as isize + 1
            };
            let mut y = x - k;
            while x < n && y < m && old[x as usize] == new[y as usize] {
                x += 1;
                y += 1;
            }
            frontiers.push(x as u32);
            if x >= n && y >= m {
                end = Some((d, n, m));
                break 'search;
            }
        }
    }
    let (last_d, end_x, end_y) = end.unwrap_or_else(|| {
        // Too far apart: end at the point of the last step furthest along both texts.
        let d = last_step;
        (-d..=d)
            .step_by(2)
            .map(|k| {
                let x = frontiers[at(d, k)] as isize;
                (x, x - k)
            })
            .filter(|&(x, y)| x <= n && y <= m)
            .max_by_key(|&(x, y)| (x + y, x))
            .map_or((0, 0, 0), |(x, y)| (d, x, y))
    });

    // Walk the steps back from the end to recover the script.
    let mut tail = Vec::new();
    for old_index in end_x..n {
        tail.push((Change::Removed, old_index as usize, end_y as usize));
    }
    for new_index in end_y..m {
        tail.push((Change::Added, n as usize, new_index as usize));
    }
    let mut script = Vec::new();
    let (mut x, mut y) = (end_x, end_y);
    for d in (1..=last_d).rev() {
        let k = x - y;
        let previous_k = if k == -d || (k != d && frontiers[at(d - 1, k - 1)] < frontiers[at(d - 1, k + 1)]) {
            k + 1
        } else {
            k - 1
        };
        let previous_x = frontiers[at(d - 1, previous_k)] as isize;
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
    script.extend(tail);
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

    /// The search as it was before its memory was bounded (a copy of the whole frontier per
    /// step): the reference the bounded search must match while D is within its cap.
    fn reference_myers(old: &[&str], new: &[&str]) -> Vec<(Change, usize, usize)> {
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

    fn edits<T>(script: &[(Change, T, T)]) -> usize {
        script.iter().filter(|(change, _, _)| *change != Change::Same).count()
    }

    #[test]
    fn random_pairs_match_the_unbounded_search_and_transform_old_into_new() {
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5_000 {
            let (old, new) = (random.lines(), random.lines());
            let (old, new): (Vec<&str>, Vec<&str>) =
                (old.iter().map(String::as_str).collect(), new.iter().map(String::as_str).collect());
            let expected = reference_myers(&old, &new);
            assert_eq!(myers(&old, &new), expected, "{old:?} -> {new:?}");
            let (old_text, new_text) = (old.join("\n"), new.join("\n"));
            assert_transforms(&diff_lines(&old_text, &new_text), &old, &new);

            // With the search cut short the script still turns old into new, and is minimal
            // whenever the cap is at least the edit distance.
            let distance = edits(&expected);
            for cap in [0, distance / 2, distance.saturating_sub(1), distance] {
                let script = myers_bounded(&old, &new, cap);
                assert_eq!(script.iter().filter(|(change, _, _)| *change != Change::Added).count(), old.len());
                for (change, old_index, new_index) in &script {
                    match change {
                        Change::Same => assert_eq!(old[*old_index], new[*new_index]),
                        Change::Removed => assert!(*old_index < old.len()),
                        Change::Added => assert!(*new_index < new.len()),
                    }
                }
                let old_side: Vec<usize> = script
                    .iter()
                    .filter(|(change, _, _)| *change != Change::Added)
                    .map(|(_, index, _)| *index)
                    .collect();
                let new_side: Vec<usize> = script
                    .iter()
                    .filter(|(change, _, _)| *change != Change::Removed)
                    .map(|(_, _, index)| *index)
                    .collect();
                assert_eq!(old_side, (0..old.len()).collect::<Vec<_>>(), "cap {cap}: {old:?} -> {new:?}");
                assert_eq!(new_side, (0..new.len()).collect::<Vec<_>>(), "cap {cap}: {old:?} -> {new:?}");
                if cap >= distance {
                    assert_eq!(script, expected);
                } else {
                    assert!(edits(&script) >= distance);
                }
            }
        }
    }

    #[test]
    fn texts_with_nothing_in_common_beyond_the_cap_are_removed_then_added() {
        // 100,000 changed lines: a copy of the frontier per step would need D·(N + M) = 10¹⁰
        // entries.
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
    fn far_apart_texts_keep_the_shortest_script_up_to_the_cap() {
        // Every tenth of 50,000 lines changed: D = 10,000, beyond the cap. The diff is
        // minimal as far as the search got, then removes and adds the rest.
        let old: Vec<String> = (0..50_000).map(|n| format!("line {n}")).collect();
        let new: Vec<String> =
            (0..50_000).map(|n| if n % 10 == 5 { format!("changed {n}") } else { format!("line {n}") }).collect();
        let lines = diff_lines(&old.join("\n"), &new.join("\n"));
        let (old, new): (Vec<&str>, Vec<&str>) =
            (old.iter().map(String::as_str).collect(), new.iter().map(String::as_str).collect());
        assert_transforms(&lines, &old, &new);
        // The first lines: changed line by line, as the minimal script has it.
        let head: Vec<Change> = lines.iter().take(60).map(|line| line.change).collect();
        let expected: Vec<Change> = (0..60)
            .flat_map(|n| if n % 10 == 5 { vec![Change::Removed, Change::Added] } else { vec![Change::Same] })
            .take(60)
            .collect();
        assert_eq!(head, expected);
        let edits = lines.iter().filter(|line| line.change != Change::Same).count();
        assert!(edits > 10_000 && edits < 100_000, "{edits} changed lines");
    }
}
