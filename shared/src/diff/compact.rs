//! Compaction of an edit script, as `similar` (3.x, `algorithms/compact.rs`, after diffy)
//! does it: every run of removed lines, then every run of added lines, is slid up and then
//! down over the equal lines around it as far as the texts allow, merging with the runs it
//! meets. Where a change could be shown at several places (a repeated line, a blank line
//! added among blank lines), it ends up where `similar` puts it, so the CLI's unified diff
//! reads as it always has; and runs that can touch become one.
//!
//! The operations are kept in a gap buffer: the passes only insert and remove next to their
//! cursor, so each edit is O(1) and a script of many operations compacts in linear time.

use super::myers::{common_prefix, common_suffix};
use super::{Op, Tag};

/// Compacts `ops` (contiguous operations covering both texts) in place.
pub(super) fn compact<T: PartialEq>(old: &[T], new: &[T], ops: &mut Vec<Op>) {
    let mut buffer = Buffer::new(std::mem::take(ops));
    shift_all(&mut buffer, old, new);
    *ops = buffer.into_vec();
    normalize_cursors(ops);
}

/// Operations in two stacks that meet at the cursor; `back` is reversed, so the operation
/// right after the gap is its last element.
struct Buffer {
    front: Vec<Op>,
    back: Vec<Op>,
}

impl Buffer {
    fn new(mut ops: Vec<Op>) -> Self {
        ops.reverse();
        Buffer { front: Vec::with_capacity(ops.len()), back: ops }
    }

    fn into_vec(mut self) -> Vec<Op> {
        self.front.extend(self.back.drain(..).rev());
        self.front
    }

    fn len(&self) -> usize {
        self.front.len() + self.back.len()
    }

    fn move_gap(&mut self, index: usize) {
        while self.front.len() > index {
            let op = self.front.pop().expect("front is longer than index");
            self.back.push(op);
        }
        while self.front.len() < index {
            let op = self.back.pop().expect("index within the buffer");
            self.front.push(op);
        }
    }

    fn get(&self, index: usize) -> Option<Op> {
        if index < self.front.len() {
            Some(self.front[index])
        } else {
            let offset = index - self.front.len();
            (offset < self.back.len()).then(|| self.back[self.back.len() - 1 - offset])
        }
    }

    fn tag(&self, index: usize) -> Option<Tag> {
        self.get(index).map(|op| op.tag)
    }

    fn at(&self, index: usize) -> Op {
        self.get(index).expect("index within the buffer")
    }

    fn at_mut(&mut self, index: usize) -> &mut Op {
        if index < self.front.len() {
            &mut self.front[index]
        } else {
            let offset = index - self.front.len();
            let back_len = self.back.len();
            &mut self.back[back_len - 1 - offset]
        }
    }

    fn insert(&mut self, index: usize, op: Op) {
        self.move_gap(index);
        self.front.push(op);
    }

    fn remove(&mut self, index: usize) {
        self.move_gap(index);
        self.back.pop().expect("index within the buffer");
    }

    fn seek(&mut self, index: usize) {
        self.move_gap(index.min(self.len()));
    }
}

/// Removed runs first, then added runs: each slid up, then down.
fn shift_all<T: PartialEq>(ops: &mut Buffer, old: &[T], new: &[T]) {
    for tag in [Tag::Delete, Tag::Insert] {
        let mut pointer = 0;
        ops.seek(0);
        while let Some(op) = ops.get(pointer) {
            if op.tag == tag {
                pointer = shift_up(ops, old, new, pointer);
                pointer = shift_down(ops, old, new, pointer);
            }
            pointer += 1;
            ops.seek(pointer);
        }
    }
}

/// Sets the side a removal or an insertion does not consume to where the other operations
/// leave it.
fn normalize_cursors(ops: &mut [Op]) {
    let (mut old_cursor, mut new_cursor) = ops.first().map_or((0, 0), |op| (op.old, op.new));
    for op in ops.iter_mut() {
        match op.tag {
            Tag::Delete => op.new = new_cursor,
            Tag::Insert => op.old = old_cursor,
            Tag::Equal | Tag::Replace => {}
        }
        if op.tag != Tag::Insert {
            old_cursor = op.old + op.old_len;
        }
        if op.tag != Tag::Delete {
            new_cursor = op.new + op.new_len;
        }
    }
}

/// Swaps a removal and an insertion side by side, keeping the script contiguous.
fn swap_adjacent(ops: &mut Buffer, left: usize) {
    let right = left + 1;
    let (left_op, right_op) = (ops.at(left), ops.at(right));
    let (old_start, new_start) = (left_op.old, left_op.new);
    let (old_end, new_end) = (right_op.old + right_op.old_len, right_op.new + right_op.new_len);
    *ops.at_mut(left) = right_op;
    *ops.at_mut(right) = left_op;
    for (index, old, new) in [(left, old_start, new_start), (right, old_end, new_end)] {
        let op = ops.at_mut(index);
        match op.tag {
            Tag::Insert => op.old = old,
            Tag::Delete => op.new = new,
            _ => unreachable!("an insertion and a removal are swapped"),
        }
    }
}

fn shift_up<T: PartialEq>(ops: &mut Buffer, old: &[T], new: &[T], mut pointer: usize) -> usize {
    while let Some(previous) = pointer.checked_sub(1).and_then(|index| ops.get(index)) {
        let this = ops.at(pointer);
        match (this.tag, previous.tag) {
            (Tag::Insert | Tag::Delete, Tag::Equal) => {
                // A removal only moves to join the removal before the equal lines.
                if this.tag == Tag::Delete && (pointer < 2 || ops.tag(pointer - 2) != Some(Tag::Delete)) {
                    break;
                }
                let shift = if this.tag == Tag::Insert {
                    common_suffix(old, previous.old_range(), new, this.new_range())
                } else {
                    common_suffix(old, this.old_range(), new, previous.new_range())
                };
                if shift > 0 {
                    if ops.tag(pointer + 1) == Some(Tag::Equal) {
                        ops.at_mut(pointer + 1).grow_left(shift);
                    } else {
                        let (old_end, new_end) = if this.tag == Tag::Insert {
                            (previous.old_range().end, this.new_range().end)
                        } else {
                            (this.old_range().end, previous.new_range().end)
                        };
                        ops.insert(pointer + 1, Op::equal(old_end - shift, new_end - shift, shift));
                    }
                    ops.at_mut(pointer).shift_left(shift);
                    ops.at_mut(pointer - 1).shrink_left(shift);
                    if ops.at(pointer - 1).is_empty() {
                        ops.remove(pointer - 1);
                        pointer -= 1;
                    }
                } else if ops.at(pointer - 1).is_empty() {
                    ops.remove(pointer - 1);
                    pointer -= 1;
                } else {
                    break;
                }
            }
            (Tag::Insert, Tag::Delete) | (Tag::Delete, Tag::Insert) => {
                swap_adjacent(ops, pointer - 1);
                pointer -= 1;
            }
            (Tag::Insert, Tag::Insert) | (Tag::Delete, Tag::Delete) => {
                ops.at_mut(pointer - 1).grow_right(this.len());
                ops.remove(pointer);
                pointer -= 1;
            }
            _ => unreachable!("only removals and insertions are shifted"),
        }
    }
    pointer
}

fn shift_down<T: PartialEq>(ops: &mut Buffer, old: &[T], new: &[T], mut pointer: usize) -> usize {
    while let Some(next) = ops.get(pointer + 1) {
        let this = ops.at(pointer);
        match (this.tag, next.tag) {
            (Tag::Insert | Tag::Delete, Tag::Equal) => {
                // A removal only moves to join the removal after the equal lines.
                if this.tag == Tag::Delete && ops.tag(pointer + 2) != Some(Tag::Delete) {
                    break;
                }
                let (shift, equal_old) = if this.tag == Tag::Insert {
                    (common_prefix(old, next.old_range(), new, this.new_range()), next.old)
                } else {
                    (common_prefix(old, this.old_range(), new, next.new_range()), this.old)
                };
                if shift > 0 {
                    if pointer.checked_sub(1).and_then(|index| ops.tag(index)) == Some(Tag::Equal) {
                        ops.at_mut(pointer - 1).grow_right(shift);
                    } else {
                        ops.insert(pointer, Op::equal(equal_old, this.new, shift));
                        pointer += 1;
                    }
                    ops.at_mut(pointer).shift_right(shift);
                    ops.at_mut(pointer + 1).shrink_right(shift);
                    if ops.at(pointer + 1).is_empty() {
                        ops.remove(pointer + 1);
                    }
                } else if ops.at(pointer + 1).is_empty() {
                    ops.remove(pointer + 1);
                } else {
                    break;
                }
            }
            (Tag::Insert, Tag::Delete) | (Tag::Delete, Tag::Insert) => {
                swap_adjacent(ops, pointer);
                pointer += 1;
            }
            (Tag::Insert, Tag::Insert) | (Tag::Delete, Tag::Delete) => {
                ops.at_mut(pointer).grow_right(next.len());
                ops.remove(pointer + 1);
            }
            _ => unreachable!("only removals and insertions are shifted"),
        }
    }
    pointer
}

/// Merges the compacted script as `similar`'s `Replace` hook does: adjacent equal runs
/// become one, and the removals and insertions between two equal runs one operation
/// (removals shown first).
pub(super) fn merge(ops: &[Op]) -> Vec<Op> {
    let mut merged = Vec::with_capacity(ops.len());
    let mut equal: Option<Op> = None;
    let mut removed: Option<Op> = None;
    let mut inserted: Option<Op> = None;
    let flush_changes = |merged: &mut Vec<Op>, removed: &mut Option<Op>, inserted: &mut Option<Op>| match (
        removed.take(),
        inserted.take(),
    ) {
        (Some(removed), Some(inserted)) => {
            merged.push(Op { tag: Tag::Replace, new: inserted.new, new_len: inserted.new_len, ..removed })
        }
        (Some(op), None) | (None, Some(op)) => merged.push(op),
        (None, None) => {}
    };
    for &op in ops {
        match op.tag {
            Tag::Equal => {
                flush_changes(&mut merged, &mut removed, &mut inserted);
                equal = Some(match equal {
                    Some(run) => Op { old_len: run.old_len + op.old_len, new_len: run.new_len + op.new_len, ..run },
                    None => op,
                });
            }
            Tag::Delete | Tag::Insert | Tag::Replace => {
                merged.extend(equal.take());
                let pending = if op.tag == Tag::Insert { &mut inserted } else { &mut removed };
                *pending = Some(match *pending {
                    Some(run) => Op { old_len: run.old_len + op.old_len, new_len: run.new_len + op.new_len, ..run },
                    None => op,
                });
            }
        }
    }
    merged.extend(equal);
    flush_changes(&mut merged, &mut removed, &mut inserted);
    merged
}
