//! Myers' O(ND) difference algorithm in linear space: the middle snake of an optimal path
//! splits the texts, and each side is diffed again (divide and conquer). It follows the
//! `similar` crate's `Myers` step for step (version 3: the same search order, the same
//! tie-breaks, its front-anchor peel of a skewed range and its work limit, after which the
//! best split reached so far is taken, as Git's xdiff does), so the edit scripts are the
//! ones `similar` finds. Not taken over: `similar`'s paths for large ranges (an exact
//! small-side search when one side of a range has at most 64 lines and the other at least
//! 512, and the removal of lines without a match when both sides of the changed middle
//! have at least 512 lines). There the script is still a correct one, found by the search
//! below.
//!
//! Memory is two frontiers of (N + M)/2 + 1 entries, whatever the distance; time is
//! bounded by the work limit (√(N + M), at least 256 steps per split).

use super::Op;
use std::ops::Range;

/// The search without a work limit (exact), or with it (a range whose split cost more steps
/// than the limit is split at the furthest point reached).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Exact,
    Limited,
}

/// The edit script of a range of `old` and `new` with no common first or last line: raw
/// operations, not yet merged or compacted.
pub(super) fn diff<T: PartialEq>(
    ops: &mut Vec<Op>,
    old: &[T],
    old_range: Range<usize>,
    new: &[T],
    new_range: Range<usize>,
) {
    let max_d = max_d(old_range.len(), new_range.len());
    let mut forward = Frontier::new(max_d);
    let mut backward = Frontier::new(max_d);
    conquer(ops, old, old_range, new, new_range, &mut forward, &mut backward, Mode::Limited);
}

/// The furthest x reached on each diagonal k (negative k included).
struct Frontier {
    offset: isize,
    x: Vec<usize>,
}

impl Frontier {
    fn new(max_d: usize) -> Self {
        Frontier { offset: max_d as isize, x: vec![0; 2 * max_d] }
    }
}

impl std::ops::Index<isize> for Frontier {
    type Output = usize;

    fn index(&self, k: isize) -> &usize {
        &self.x[(k + self.offset) as usize]
    }
}

impl std::ops::IndexMut<isize> for Frontier {
    fn index_mut(&mut self, k: isize) -> &mut usize {
        &mut self.x[(k + self.offset) as usize]
    }
}

fn max_d(old_len: usize, new_len: usize) -> usize {
    (old_len + new_len).div_ceil(2) + 1
}

/// The lines `old[old_range]` and `new[new_range]` have in common at their start.
pub(super) fn common_prefix<T: PartialEq>(
    old: &[T],
    old_range: Range<usize>,
    new: &[T],
    new_range: Range<usize>,
) -> usize {
    old[old_range].iter().zip(&new[new_range]).take_while(|(a, b)| a == b).count()
}

/// The lines `old[old_range]` and `new[new_range]` have in common at their end.
pub(super) fn common_suffix<T: PartialEq>(
    old: &[T],
    old_range: Range<usize>,
    new: &[T],
    new_range: Range<usize>,
) -> usize {
    old[old_range].iter().rev().zip(new[new_range].iter().rev()).take_while(|(a, b)| a == b).count()
}

// Past this many steps a long diagonal (a snake of at least `GOOD_SNAKE` lines that
// advanced well) is taken as the split even if it is not known to be on a shortest path.
const GOOD_SPLIT_MIN_COST: usize = 256;
const GOOD_SNAKE: usize = 20;
const GOOD_SPLIT_PROGRESS_FACTOR: usize = 4;
// The work limit is √(N + M) steps, at least this many.
const MIN_MAX_COST: usize = 256;

#[allow(clippy::too_many_arguments)]
fn conquer<T: PartialEq>(
    ops: &mut Vec<Op>,
    old: &[T],
    mut old_range: Range<usize>,
    new: &[T],
    mut new_range: Range<usize>,
    forward: &mut Frontier,
    backward: &mut Frontier,
    mode: Mode,
) {
    let prefix = common_prefix(old, old_range.clone(), new, new_range.clone());
    if prefix > 0 {
        ops.push(Op::equal(old_range.start, new_range.start, prefix));
    }
    old_range.start += prefix;
    new_range.start += prefix;
    let suffix = common_suffix(old, old_range.clone(), new, new_range.clone());
    let suffix_start = (old_range.end - suffix, new_range.end - suffix);
    old_range.end -= suffix;
    new_range.end -= suffix;

    while !old_range.is_empty() && !new_range.is_empty() {
        let before = (old_range.start, new_range.start);
        peel_front_anchor(ops, old, &mut old_range, new, &mut new_range);
        if (old_range.start, new_range.start) == before {
            break;
        }
    }

    if old_range.is_empty() && new_range.is_empty() {
    } else if new_range.is_empty() {
        ops.push(Op::delete(old_range.start, old_range.len(), new_range.start));
    } else if old_range.is_empty() {
        ops.push(Op::insert(old_range.start, new_range.start, new_range.len()));
    } else if let Some(split) = middle_snake(old, old_range.clone(), new, new_range.clone(), forward, backward, mode) {
        conquer(ops, old, old_range.start..split.old, new, new_range.start..split.new, forward, backward, split.left);
        conquer(ops, old, split.old..old_range.end, new, split.new..new_range.end, forward, backward, split.right);
    } else {
        ops.push(Op::delete(old_range.start, old_range.len(), new_range.start));
        ops.push(Op::insert(old_range.start, new_range.start, new_range.len()));
    }

    if suffix > 0 {
        ops.push(Op::equal(suffix_start.0, suffix_start.1, suffix));
    }
}

/// When one side is at least twice the other and, after skipping at most 4 lines of the
/// longer side, at least 96 lines match, those lines are taken as they are (a block added
/// or removed in front of a long common run).
fn peel_front_anchor<T: PartialEq>(
    ops: &mut Vec<Op>,
    old: &[T],
    old_range: &mut Range<usize>,
    new: &[T],
    new_range: &mut Range<usize>,
) {
    const MAX_SKIP: usize = 4;
    const MIN_ANCHOR_COMMON: usize = 96;
    let (old_len, new_len) = (old_range.len(), new_range.len());
    if old_len <= MIN_ANCHOR_COMMON || new_len <= MIN_ANCHOR_COMMON {
        return;
    }
    if old_len.max(new_len) < old_len.min(new_len) * 2 {
        return;
    }
    let prefer_insert = new_len > old_len;
    let max_old_skip = if prefer_insert { 0 } else { (old_len - 1).min(MAX_SKIP) };
    let max_new_skip = if prefer_insert { (new_len - 1).min(MAX_SKIP) } else { 0 };
    // (common, skip) of the best anchor: the longest run, then the shortest skip.
    let mut best: Option<(usize, usize, usize)> = None;
    'search: for old_skip in 0..=max_old_skip {
        for new_skip in 0..=max_new_skip {
            if old_skip == 0 && new_skip == 0 {
                continue;
            }
            let common = common_prefix(
                old,
                old_range.start + old_skip..old_range.end,
                new,
                new_range.start + new_skip..new_range.end,
            );
            if common < MIN_ANCHOR_COMMON {
                continue;
            }
            if common >= MIN_ANCHOR_COMMON * 8 {
                best = Some((old_skip, new_skip, common));
                break 'search;
            }
            let better = best.is_none_or(|(best_old, best_new, best_common)| {
                (common, std::cmp::Reverse(old_skip.max(new_skip)), old_skip, new_skip)
                    > (best_common, std::cmp::Reverse(best_old.max(best_new)), best_old, best_new)
            });
            if better {
                best = Some((old_skip, new_skip, common));
            }
        }
    }
    let Some((old_skip, new_skip, common)) = best else {
        return;
    };
    if old_skip > 0 {
        ops.push(Op::delete(old_range.start, old_skip, new_range.start));
    }
    if new_skip > 0 {
        ops.push(Op::insert(old_range.start, new_range.start, new_skip));
    }
    ops.push(Op::equal(old_range.start + old_skip, new_range.start + new_skip, common));
    old_range.start += old_skip + common;
    new_range.start += new_skip + common;
}

/// Where a range is split, and how each side is searched.
struct Split {
    old: usize,
    new: usize,
    left: Mode,
    right: Mode,
}

/// A split found by the limited search: from the start (forward) or the end (backward).
#[derive(Clone, Copy)]
struct Candidate {
    old: usize,
    new: usize,
    progress: usize,
    forward: bool,
}

impl Candidate {
    /// The side searched past the split keeps the limit; the other side, reached by a path
    /// known to be shortest, is searched exactly.
    fn split(self, old_start: usize, new_start: usize) -> Split {
        let (left, right) = if self.forward { (Mode::Exact, Mode::Limited) } else { (Mode::Limited, Mode::Exact) };
        Split { old: old_start + self.old, new: new_start + self.new, left, right }
    }
}

fn keep_best(best: &mut Option<Candidate>, candidate: Candidate) {
    if best.as_ref().is_none_or(|current| candidate.progress > current.progress) {
        *best = Some(candidate);
    }
}

fn is_interior(old: usize, new: usize, old_len: usize, new_len: usize) -> bool {
    old <= old_len && new <= new_len && (old != 0 || new != 0) && (old != old_len || new != new_len)
}

/// The point of diagonal `k` nearest to x = `old` inside the range.
fn clamp_to_diagonal(old: usize, k: isize, old_len: usize, new_len: usize) -> Option<(usize, usize)> {
    if k < 0 && k.unsigned_abs() > new_len {
        return None;
    }
    let min_old = k.max(0) as usize;
    let max_old = if k >= 0 {
        old_len.min(new_len.saturating_add(k as usize))
    } else {
        old_len.min(new_len.saturating_sub(k.unsigned_abs()))
    };
    if min_old > max_old {
        return None;
    }
    let old = old.clamp(min_old, max_old);
    Some((old, (old as isize - k) as usize))
}

/// The middle snake of an optimal path (forward and backward searches until they meet), or
/// with the limit a long snake or the furthest point reached.
fn middle_snake<T: PartialEq>(
    old: &[T],
    old_range: Range<usize>,
    new: &[T],
    new_range: Range<usize>,
    forward: &mut Frontier,
    backward: &mut Frontier,
    mode: Mode,
) -> Option<Split> {
    let (n, m) = (old_range.len(), new_range.len());
    let delta = n as isize - m as isize;
    let odd = delta & 1 == 1;
    forward[1] = 0;
    backward[1] = 0;
    let d_max = max_d(n, m);
    let max_cost = match mode {
        Mode::Limited => (n + m).isqrt().max(MIN_MAX_COST),
        Mode::Exact => usize::MAX,
    };

    for d in 0..d_max as isize {
        let mut good = None;
        let mut forward_best = None;
        let mut backward_best = None;
        let track_limit = mode == Mode::Limited && d as usize >= max_cost;
        let track_good = mode == Mode::Limited && d as usize > GOOD_SPLIT_MIN_COST;

        let mut k = d;
        while k >= -d {
            let mut x = if k == -d || (k != d && forward[k - 1] < forward[k + 1]) {
                forward[k + 1]
            } else {
                forward[k - 1] + 1
            };
            let y = (x as isize - k) as usize;
            let (x0, y0) = (x, y);
            if x < n && y < m {
                x += common_prefix(old, old_range.start + x..old_range.end, new, new_range.start + y..new_range.end);
            }
            let snake = x - x0;
            forward[k] = x;
            if odd && (k - delta).abs() < d && forward[k] + backward[-(k - delta)] >= n {
                return Some(exact(x0 + old_range.start, y0 + new_range.start));
            }
            if track_limit {
                if let Some((split_old, split_new)) = clamp_to_diagonal(x, k, n, m) {
                    if is_interior(split_old, split_new, n, m) {
                        let progress = split_old.saturating_add(split_new);
                        let candidate = Candidate { old: split_old, new: split_new, progress, forward: true };
                        keep_best(&mut forward_best, candidate);
                    }
                }
            }
            if track_good && snake >= GOOD_SNAKE && x < n && y < m {
                let progress = x.saturating_add(y).saturating_sub(k.unsigned_abs());
                if progress > GOOD_SPLIT_PROGRESS_FACTOR.saturating_mul(d as usize) && is_interior(x0, y0, n, m) {
                    keep_best(&mut good, Candidate { old: x0, new: y0, progress, forward: true });
                }
            }
            k -= 2;
        }

        let mut k = d;
        while k >= -d {
            let mut x = if k == -d || (k != d && backward[k - 1] < backward[k + 1]) {
                backward[k + 1]
            } else {
                backward[k - 1] + 1
            };
            let mut y = (x as isize - k) as usize;
            let x0 = x;
            if x < n && y < m {
                let advance = common_suffix(
                    old,
                    old_range.start..old_range.start + n - x,
                    new,
                    new_range.start..new_range.start + m - y,
                );
                x += advance;
                y += advance;
            }
            let snake = x - x0;
            backward[k] = x;
            if !odd && (k - delta).abs() <= d && backward[k] + forward[-(k - delta)] >= n {
                return Some(exact(n - x + old_range.start, m - y + new_range.start));
            }
            if track_limit {
                if let Some((distance_old, distance_new)) = clamp_to_diagonal(x, k, n, m) {
                    let (split_old, split_new) = (n - distance_old, m - distance_new);
                    if is_interior(split_old, split_new, n, m) {
                        let progress = distance_old.saturating_add(distance_new);
                        let candidate = Candidate { old: split_old, new: split_new, progress, forward: false };
                        keep_best(&mut backward_best, candidate);
                    }
                }
            }
            if track_good && snake >= GOOD_SNAKE && x <= n && y <= m {
                let (split_old, split_new) = (n - x, m - y);
                let progress = x.saturating_add(y).saturating_sub(k.unsigned_abs());
                if split_old > 0 && split_new > 0 && progress > GOOD_SPLIT_PROGRESS_FACTOR.saturating_mul(d as usize) {
                    keep_best(&mut good, Candidate { old: split_old, new: split_new, progress, forward: false });
                }
            }
            k -= 2;
        }

        if let Some(candidate) = good {
            return Some(candidate.split(old_range.start, new_range.start));
        }
        if d as usize >= max_cost {
            let candidate = match (forward_best, backward_best) {
                (Some(forward), Some(backward)) => {
                    if forward.progress > backward.progress {
                        forward
                    } else {
                        backward
                    }
                }
                (Some(candidate), None) | (None, Some(candidate)) => candidate,
                (None, None) => break,
            };
            return Some(candidate.split(old_range.start, new_range.start));
        }
    }
    None
}

fn exact(old: usize, new: usize) -> Split {
    Split { old, new, left: Mode::Exact, right: Mode::Exact }
}
