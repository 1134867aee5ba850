//! Text edits that change one field of a YAML (or JSON) document and leave every other byte
//! alone.
//!
//! The positioned tree says where each key and value starts and ends; these helpers turn
//! "set `securityContext.allowPrivilegeEscalation` to `false` under this container" into
//! the smallest edit that does it: a scalar replaced in place, whole lines inserted after
//! the last line of a block mapping (creating missing parents at the document's own
//! indentation, with sequences indented under their key or not, as the document does), or
//! `, key: value` inserted before the closing brace of a flow mapping. Nodes that come from
//! an alias or a merge key are refused: editing the anchor would change every place that
//! uses it.

use crate::tree::{Entry, Node, PathSteps, Span, Step, Value};

use super::Edit;

/// A scalar to write: YAML plain text where that reads back as the same string, quoted
/// otherwise (and always in JSON documents).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar<'a> {
    Bool(bool),
    Str(&'a str),
}

/// What to write at a path: one scalar, or a sequence of scalars.
#[derive(Clone, Copy, Debug)]
pub enum Leaf<'a> {
    Scalar(Scalar<'a>),
    Seq(&'a [Scalar<'a>]),
}

/// How a document is laid out, so inserted lines look like their neighbours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Spaces from a key to the keys of the block mapping under it.
    pub indent: usize,
    /// Spaces from a key to the dashes of the block sequence under it (0: not indented).
    pub sequence_indent: usize,
    /// `"\r\n"` when the document's lines end that way.
    pub newline: &'static str,
    /// The document is JSON: keys and strings are written quoted.
    pub json: bool,
}

impl Style {
    /// Reads the style of the document holding `root` from its block collections: the most
    /// common indentation step wins (2 spaces, sequences not indented, when nothing shows).
    pub fn detect(text: &str, root: &Node) -> Style {
        let mut indents = [0usize; 9];
        let mut sequence_indents = [0usize; 9];
        collect_indents(text, root, &mut indents, &mut sequence_indents, 0);
        let most_common = |counts: &[usize; 9], fallback: usize| {
            let best = (0..counts.len()).max_by_key(|&width| (counts[width], std::cmp::Reverse(width)));
            best.filter(|&width| counts[width] > 0).unwrap_or(fallback)
        };
        let first_newline = text.find('\n');
        let crlf = first_newline.is_some_and(|index| index > 0 && text.as_bytes()[index - 1] == b'\r');
        Style {
            indent: most_common(&indents, 2).max(1),
            sequence_indent: most_common(&sequence_indents, 0),
            newline: if crlf { "\r\n" } else { "\n" },
            json: byte_at(text, root.span.offset as usize) == Some(b'{'),
        }
    }
}

fn collect_indents(text: &str, node: &Node, indents: &mut [usize; 9], sequences: &mut [usize; 9], depth: usize) {
    if depth > 64 {
        return;
    }
    match &node.value {
        Value::Map(entries) => {
            // Only collections say anything about indentation: a scalar's entry is passed by
            // without working out its key's column or walking into it.
            for entry in entries.iter().filter(|entry| entry.value.is_map() || entry.value.is_seq()) {
                if !own_entry(node, entry) {
                    continue;
                }
                let key_column = span_column(text, entry.key_span);
                match &entry.value.value {
                    Value::Map(children) if !is_flow(text, &entry.value) => {
                        if let Some(first) = children.first() {
                            let child = span_column(text, first.key_span);
                            if let Some(step) = child.checked_sub(key_column).filter(|step| (1..9).contains(step)) {
                                indents[step] += 1;
                            }
                        }
                    }
                    Value::Seq(items) if !is_flow(text, &entry.value) => {
                        if let Some((dash, line)) = items.first().and_then(|item| dash_in_line_of(text, item.span)) {
                            if let Some(step) = (dash - line).checked_sub(key_column).filter(|step| *step < 9) {
                                sequences[step] += 1;
                            }
                        }
                    }
                    _ => {}
                }
                if entry.value.span.offset >= entry.key_span.offset {
                    collect_indents(text, &entry.value, indents, sequences, depth + 1);
                }
            }
        }
        Value::Seq(items) => {
            for item in items.iter().filter(|item| item.span.offset >= node.span.offset) {
                if item.is_map() || item.is_seq() {
                    collect_indents(text, item, indents, sequences, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// The edits that set the field at `path` (below `root`) to `leaf`: the scalar is replaced
/// when it exists, otherwise the missing keys are created. `None` when no sound edit exists
/// (the path crosses a sequence index that does not exist, an alias, a block scalar) or
/// when the field already holds the value.
pub fn set(text: &str, root: &Node, path: &str, leaf: Leaf<'_>, style: &Style) -> Option<Vec<Edit>> {
    let steps: Vec<Step<'_>> = PathSteps::new(path).collect();
    let walk = walk(root, &steps)?;
    let rest = &steps[walk.chain.len()..];
    let node = walk.node;
    if rest.is_empty() {
        return match (&node.value, leaf) {
            (Value::Map(_) | Value::Seq(_), _) => None,
            (Value::Null, _) if node.end == node.span.offset => {
                // `key:` with nothing after it.
                let (parent, _) = *walk.chain.last()?;
                let flow = is_flow(text, parent);
                insert_under_key(text, walk.key_entry()?, &[], leaf, style, flow)
            }
            (_, Leaf::Scalar(scalar)) => {
                let range = node.span.offset as usize..node.end as usize;
                if !replaceable_scalar(text, node) {
                    return None;
                }
                let written = render_scalar(scalar, style.json || quoted(text, node));
                if text.get(range.clone())? == written || scalar_matches(node, scalar) && !quoted(text, node) {
                    return None;
                }
                Some(vec![Edit::new(range, written)])
            }
            (_, Leaf::Seq(_)) => None,
        };
    }
    let keys: Vec<&str> = rest
        .iter()
        .map(|step| match step {
            Step::Key(key) => Some(*key),
            Step::Index(_) => None,
        })
        .collect::<Option<_>>()?;
    match &node.value {
        Value::Map(_) => insert_into_map(text, node, &keys, leaf, style),
        Value::Null => {
            let entry = walk.key_entry()?;
            if node.end == node.span.offset {
                let (parent, _) = *walk.chain.last()?;
                insert_under_key(text, entry, &keys, leaf, style, is_flow(text, parent))
            } else if replaceable_scalar(text, node) {
                // `key: ~` or `key: null`: the null becomes a flow mapping.
                let written = format!("{{{}}}", render_flow_entry(&keys, leaf, style.json));
                Some(vec![Edit::new(node.span.offset as usize..node.end as usize, written)])
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The edits that remove the field or sequence item at `path`, with its whole lines in
/// block style (comments on those lines go with it) or its separator in flow style.
pub fn remove(text: &str, root: &Node, path: &str) -> Option<Vec<Edit>> {
    let steps: Vec<Step<'_>> = PathSteps::new(path).collect();
    let walk = walk(root, &steps)?;
    if walk.chain.len() != steps.len() {
        return None;
    }
    let (parent, position) = *walk.chain.last()?;
    let range = match &parent.value {
        Value::Map(entries) => {
            let entry = &entries[position];
            let key_start = entry.key_span.offset as usize;
            let mut siblings: Vec<&Entry> = entries.iter().filter(|other| own_entry(parent, other)).collect();
            siblings.sort_by_key(|other| other.key_span.offset);
            let at = siblings.iter().position(|other| std::ptr::eq(*other, entry))?;
            let end = entry_content_end(text, entry);
            if is_flow(text, parent) {
                flow_removal(
                    key_start,
                    end,
                    siblings.get(at + 1).map(|next| next.key_span.offset as usize),
                    at.checked_sub(1).map(|previous| entry_content_end(text, siblings[previous])),
                )
            } else if text[line_start(text, key_start)..key_start].bytes().all(|byte| byte == b' ') {
                line_start(text, key_start)..line_end_after(text, end)
            } else if let Some(next) = siblings.get(at + 1) {
                // The first key of a sequence item (`- hostPort: 80`): the dash stays and the
                // next key moves up beside it.
                key_start..next.key_span.offset as usize
            } else {
                return Some(vec![Edit::new(key_start..end, "{}".to_string())]);
            }
        }
        Value::Seq(items) => {
            let item = &items[position];
            let start = item.span.offset as usize;
            let end = content_end(text, item);
            if is_flow(text, parent) {
                flow_removal(
                    start,
                    end,
                    items.get(position + 1).map(|next| next.span.offset as usize),
                    position.checked_sub(1).map(|previous| content_end(text, &items[previous])),
                )
            } else {
                let dash = dash_before(text, start)?;
                let line = line_start(text, dash);
                if !text[line..dash].bytes().all(|byte| byte == b' ') {
                    return None;
                }
                line..line_end_after(text, end)
            }
        }
        _ => return None,
    };
    Some(vec![Edit::new(range, String::new())])
}

/// The edits that replace the entry at `path` (key and value) with `key: value`, where
/// `value` is written as given (a flow value such as `{}`).
pub fn replace_entry(text: &str, root: &Node, path: &str, key: &str, value: &str, style: &Style) -> Option<Vec<Edit>> {
    let steps: Vec<Step<'_>> = PathSteps::new(path).collect();
    let walk = walk(root, &steps)?;
    if walk.chain.len() != steps.len() {
        return None;
    }
    let entry = walk.key_entry()?;
    let start = entry.key_span.offset as usize;
    let end = entry_content_end(text, entry);
    Some(vec![Edit::new(start..end, format!("{}: {value}", render_key(key, style.json)))])
}

/// The edits that append `item` to the sequence at `path`, creating the sequence (and its
/// missing parents) when it does not exist. `None` when the item is already there.
pub fn add_item(text: &str, root: &Node, path: &str, item: Scalar<'_>, style: &Style) -> Option<Vec<Edit>> {
    let steps: Vec<Step<'_>> = PathSteps::new(path).collect();
    let walk = walk(root, &steps)?;
    let node = walk.node;
    if walk.chain.len() != steps.len() || node.is_null() {
        return set(text, root, path, Leaf::Seq(&[item]), style);
    }
    let items = match &node.value {
        Value::Seq(items) => items,
        _ => return None,
    };
    if items.iter().any(|existing| scalar_matches(existing, item)) {
        return None;
    }
    if is_flow(text, node) {
        let quote = style.json || items.first().is_some_and(|first| quoted(text, first));
        let written = render_scalar(item, quote);
        return Some(match items.last() {
            Some(last) => vec![Edit::insert(content_end(text, last), format!(", {written}"))],
            None => vec![Edit::insert(node.span.offset as usize + 1, written)],
        });
    }
    let first = items.first()?;
    let dash = dash_before(text, first.span.offset as usize)?;
    let quote = quoted(text, first);
    let line = format!("{}- {}{}", " ".repeat(column(text, dash)), render_scalar(item, quote), style.newline);
    Some(vec![insert_lines(text, content_end(text, node), line)])
}

/// The node a walk along a path reached, and the parents it went through.
struct Walk<'n> {
    node: &'n Node,
    /// For each step taken: the collection it was taken in and the entry or item index.
    chain: Vec<(&'n Node, usize)>,
}

impl<'n> Walk<'n> {
    /// The mapping entry the last step went through, when it was a key.
    fn key_entry(&self) -> Option<&'n Entry> {
        let (parent, position) = *self.chain.last()?;
        parent.entries().get(position)
    }
}

/// Follows the steps as far as they exist. `None` when a step leads into a node that was
/// not written at that place (an alias, a merged key): no edit there is sound.
fn walk<'n>(root: &'n Node, steps: &[Step<'_>]) -> Option<Walk<'n>> {
    let mut node = root;
    let mut chain = Vec::with_capacity(steps.len());
    for step in steps {
        let next = match step {
            Step::Key(key) => node
                .entries()
                .iter()
                .position(|entry| same_key(&entry.key, key))
                .map(|position| (position, &node.entries()[position].value)),
            Step::Index(index) => node.items().get(*index).map(|item| (*index, item)),
        };
        let Some((position, child)) = next else { break };
        let written_here = match step {
            Step::Key(_) => {
                let entry = &node.entries()[position];
                own_entry(node, entry) && child.span.offset >= entry.key_span.offset
            }
            Step::Index(_) => child.span.offset >= node.span.offset,
        };
        if !written_here {
            return None;
        }
        chain.push((node, position));
        node = child;
    }
    Some(Walk { node, chain })
}

/// Whether an entry was written inside this mapping (not brought in by a merge key).
fn own_entry(map: &Node, entry: &Entry) -> bool {
    entry.key_span.offset >= map.span.offset && !same_key(&entry.key, "<<")
}

/// Whether a mapping key is `key`: keys of equal length mostly differ in their first byte,
/// which is tested before the rest.
fn same_key(have: &str, want: &str) -> bool {
    let (have, want) = (have.as_bytes(), want.as_bytes());
    have.len() == want.len() && have.first() == want.first() && have == want
}

/// Inserts the nested `keys` (possibly none) with `leaf` under an existing key whose value
/// is empty (`securityContext:` with nothing after it).
fn insert_under_key(
    text: &str,
    entry: &Entry,
    keys: &[&str],
    leaf: Leaf<'_>,
    style: &Style,
    flow: bool,
) -> Option<Vec<Edit>> {
    // An empty value is marked at its key's colon.
    let mut after_colon = entry.value.span.offset as usize;
    if byte_at(text, after_colon) == Some(b':') {
        after_colon += 1;
    }
    if flow {
        let written = if keys.is_empty() {
            render_flow_leaf(leaf, style.json)
        } else {
            format!("{{{}}}", render_flow_entry(keys, leaf, style.json))
        };
        return Some(vec![Edit::insert(after_colon, format!(" {written}"))]);
    }
    if keys.is_empty() {
        if let Leaf::Scalar(scalar) = leaf {
            return Some(vec![Edit::insert(after_colon, format!(" {}", render_scalar(scalar, style.json)))]);
        }
    }
    let key_column = column(text, entry.key_span.offset as usize);
    let lines = if keys.is_empty() {
        render_block_leaf_items(key_column, leaf, style)
    } else {
        render_block(key_column + style.indent, keys, leaf, style)
    };
    Some(vec![insert_lines(text, after_colon, lines)])
}

/// Inserts the nested `keys` with `leaf` as the last entry of an existing mapping.
fn insert_into_map(text: &str, map: &Node, keys: &[&str], leaf: Leaf<'_>, style: &Style) -> Option<Vec<Edit>> {
    let own: Vec<&Entry> = map.entries().iter().filter(|entry| own_entry(map, entry)).collect();
    if is_flow(text, map) {
        let written = render_flow_entry(keys, leaf, style.json);
        let last_end = own.iter().map(|entry| entry_content_end(text, entry)).max();
        return Some(vec![match last_end {
            Some(end) => Edit::insert(end, format!(", {written}")),
            None => Edit::insert(map.span.offset as usize + 1, written),
        }]);
    }
    let first = own.iter().min_by_key(|entry| entry.key_span.offset)?;
    let key_column = column(text, first.key_span.offset as usize);
    let end = content_end(text, map);
    Some(vec![insert_lines(text, end, render_block(key_column, keys, leaf, style))])
}

/// An insertion of whole lines after the line holding `position`; at the end of a text
/// without a final newline, a newline ends the last line first.
fn insert_lines(text: &str, position: usize, lines: String) -> Edit {
    let at = line_end_after(text, position);
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        // The last line gets its newline, then the new lines follow with theirs.
        let newline = if lines.ends_with("\r\n") { "\r\n" } else { "\n" };
        return Edit::insert(at, format!("{newline}{lines}"));
    }
    Edit::insert(at, lines)
}

/// `k1:\n  k2: value\n` at `column`, each level `style.indent` deeper. Built with
/// `push_str` (no `format!`): every fix that creates a field writes one.
fn render_block(column: usize, keys: &[&str], leaf: Leaf<'_>, style: &Style) -> String {
    let mut out = String::with_capacity(keys.len() * (column + 24));
    for (depth, key) in keys.iter().enumerate() {
        let indent = column + depth * style.indent;
        push_spaces(&mut out, indent);
        push_scalar(&mut out, Scalar::Str(key), style.json);
        out.push(':');
        if depth + 1 < keys.len() {
            out.push_str(style.newline);
            continue;
        }
        match leaf {
            Leaf::Scalar(scalar) => {
                out.push(' ');
                push_scalar(&mut out, scalar, style.json);
                out.push_str(style.newline);
            }
            Leaf::Seq(_) => {
                out.push_str(style.newline);
                out.push_str(&render_block_leaf_items(indent, leaf, style));
            }
        }
    }
    out
}

fn push_spaces(out: &mut String, count: usize) {
    // Sixteen at a time: a character at a time costs a check of its width each.
    const SPACES: &str = "                ";
    let mut left = count;
    while left > 0 {
        let now = left.min(SPACES.len());
        out.push_str(&SPACES[..now]);
        left -= now;
    }
}

/// The `- item` lines of a sequence under a key at `key_column`.
fn render_block_leaf_items(key_column: usize, leaf: Leaf<'_>, style: &Style) -> String {
    let Leaf::Seq(items) = leaf else { return String::new() };
    let mut out = String::new();
    for item in items {
        push_spaces(&mut out, key_column + style.sequence_indent);
        out.push_str("- ");
        push_scalar(&mut out, *item, style.json);
        out.push_str(style.newline);
    }
    out
}

/// `k1: {k2: value}` for a flow mapping.
fn render_flow_entry(keys: &[&str], leaf: Leaf<'_>, json: bool) -> String {
    let (key, rest) = keys.split_first().expect("at least one key");
    let value = if rest.is_empty() {
        render_flow_leaf(leaf, json)
    } else {
        format!("{{{}}}", render_flow_entry(rest, leaf, json))
    };
    format!("{}: {value}", render_key(key, json))
}

fn render_flow_leaf(leaf: Leaf<'_>, json: bool) -> String {
    match leaf {
        Leaf::Scalar(scalar) => render_scalar(scalar, json),
        Leaf::Seq(items) => {
            format!("[{}]", items.iter().map(|item| render_scalar(*item, json)).collect::<Vec<_>>().join(", "))
        }
    }
}

fn render_key(key: &str, json: bool) -> String {
    render_scalar(Scalar::Str(key), json)
}

/// A scalar as YAML or JSON text; strings stay plain only when they read back as the same
/// string (no quotes needed, not a boolean, number or null in YAML 1.1).
pub fn render_scalar(scalar: Scalar<'_>, quote: bool) -> String {
    let mut out = String::new();
    push_scalar(&mut out, scalar, quote);
    out
}

/// [`render_scalar`], written at the end of `out` (no string of its own).
fn push_scalar(out: &mut String, scalar: Scalar<'_>, quote: bool) {
    match scalar {
        Scalar::Bool(flag) => out.push_str(if flag { "true" } else { "false" }),
        Scalar::Str(text) if !quote && plain_safe(text) => out.push_str(text),
        Scalar::Str(text) => out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))),
    }
}

fn plain_safe(text: &str) -> bool {
    let first_ok = text.bytes().next().is_some_and(|byte| byte.is_ascii_alphabetic());
    let chars_ok = text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_./".contains(&byte));
    let typed = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
        .iter()
        .any(|word| text.eq_ignore_ascii_case(word));
    first_ok && chars_ok && !typed
}

/// Whether a node holds this scalar (as Kubernetes reads it).
fn scalar_matches(node: &Node, scalar: Scalar<'_>) -> bool {
    match scalar {
        Scalar::Bool(flag) => node.as_bool() == Some(flag),
        Scalar::Str(text) => node.as_str() == Some(text),
    }
}

/// Whether a scalar is written in quotes.
fn quoted(text: &str, node: &Node) -> bool {
    matches!(byte_at(text, node.span.offset as usize), Some(b'"' | b'\''))
}

/// Whether a scalar is written on one line right after its key, dash or flow separator,
/// without tag or anchor, so that replacing its byte range replaces exactly the value.
fn replaceable_scalar(text: &str, node: &Node) -> bool {
    let (start, end) = (node.span.offset as usize, node.end as usize);
    let Some(value) = text.get(start..end) else { return false };
    let before = text[..start].trim_end_matches(' ');
    !value.contains('\n') && before.ends_with([':', '-', ',', '[', '{'])
}

fn is_flow(text: &str, node: &Node) -> bool {
    matches!(
        (&node.value, byte_at(text, node.span.offset as usize)),
        (Value::Map(_), Some(b'{')) | (Value::Seq(_), Some(b'['))
    )
}

fn byte_at(text: &str, offset: usize) -> Option<u8> {
    text.as_bytes().get(offset).copied()
}

/// Where the written content of a node ends: for block collections, the end of their last
/// value (the parser's end marker may lie past trailing comments and blank lines).
///
/// A parsed node's content never ends past its end marker (`end`), nor an entry's past its
/// key and its value's end marker: the entries and items are visited last to first (in
/// source order the last written ends furthest), and one whose marker lies at or before the
/// furthest end found so far is not walked into (the walk was most of a fix's work: a
/// container's or a pod's whole subtree for every field inserted at its end).
pub fn content_end(text: &str, node: &Node) -> usize {
    match &node.value {
        Value::Map(entries) if !is_flow(text, node) => {
            let mut furthest = None;
            for entry in entries.iter().rev().filter(|entry| own_entry(node, entry)) {
                let bound = (entry.key_span.offset.max(entry.value.end) as usize).min(text.len());
                if furthest.is_some_and(|furthest| bound <= furthest) {
                    continue;
                }
                let end = entry_content_end(text, entry);
                furthest = Some(furthest.map_or(end, |furthest: usize| furthest.max(end)));
            }
            furthest.unwrap_or(node.span.offset as usize)
        }
        Value::Seq(items) if !is_flow(text, node) => {
            let mut furthest = None;
            for item in items.iter().rev().filter(|item| item.span.offset >= node.span.offset) {
                if furthest.is_some_and(|furthest| item.end as usize <= furthest) {
                    continue;
                }
                let end = content_end(text, item);
                furthest = Some(furthest.map_or(end, |furthest: usize| furthest.max(end)));
            }
            furthest.unwrap_or(node.end as usize)
        }
        _ => node.end as usize,
    }
}

/// [`content_end`] walking every entry and item (what it gives, held by a test).
#[cfg(test)]
fn content_end_in_full(text: &str, node: &Node) -> usize {
    let entry_end = |entry: &Entry| {
        let key = entry.key_span.offset as usize;
        let value = &entry.value;
        if value.span.offset < entry.key_span.offset || (value.is_null() && value.end == value.span.offset) {
            return key.max(value.end as usize).min(text.len());
        }
        content_end_in_full(text, value).max(key)
    };
    match &node.value {
        Value::Map(entries) if !is_flow(text, node) => entries
            .iter()
            .filter(|entry| own_entry(node, entry))
            .map(entry_end)
            .max()
            .unwrap_or(node.span.offset as usize),
        Value::Seq(items) if !is_flow(text, node) => items
            .iter()
            .filter(|item| item.span.offset >= node.span.offset)
            .map(|item| content_end_in_full(text, item))
            .max()
            .unwrap_or(node.end as usize),
        _ => node.end as usize,
    }
}

/// Where an entry's content ends: its value's end, or its key's line for an empty or
/// aliased value.
fn entry_content_end(text: &str, entry: &Entry) -> usize {
    let key = entry.key_span.offset as usize;
    let value = &entry.value;
    if value.span.offset < entry.key_span.offset || (value.is_null() && value.end == value.span.offset) {
        return key.max(value.end as usize).min(text.len());
    }
    content_end(text, value).max(key)
}

/// The range removing a flow item or entry with the separator on one side of it.
fn flow_removal(
    start: usize,
    end: usize,
    next_start: Option<usize>,
    previous_end: Option<usize>,
) -> std::ops::Range<usize> {
    match (next_start, previous_end) {
        (Some(next), _) => start..next,
        (None, Some(previous)) => previous..end,
        (None, None) => start..end,
    }
}

/// The offset of the `-` that opens the block sequence item starting at `offset`.
fn dash_before(text: &str, offset: usize) -> Option<usize> {
    dash_in_line(text, offset).map(|(dash, _)| dash)
}

/// [`dash_in_line`] of a parsed position, whose line starts `column - 1` bytes before it
/// when what precedes it on its line is ASCII (as indentation and dashes are): found
/// without searching back for the line's start.
fn dash_in_line_of(text: &str, span: Span) -> Option<(usize, usize)> {
    let offset = span.offset as usize;
    let bytes = text.as_bytes();
    if let Some(line) = offset.checked_sub((span.column as usize).saturating_sub(1)) {
        let line_starts_there = line == 0 || bytes.get(line - 1) == Some(&b'\n');
        if line_starts_there && bytes.get(line..offset).is_some_and(|before| before.is_ascii()) {
            let trimmed = text[line..offset].trim_end_matches(' ');
            return trimmed.ends_with('-').then(|| (line + trimmed.len() - 1, line));
        }
    }
    dash_in_line(text, offset)
}

/// [`dash_before`], with the start of its line.
fn dash_in_line(text: &str, offset: usize) -> Option<(usize, usize)> {
    let line = line_start(text, offset);
    let before = text.get(line..offset)?;
    let trimmed = before.trim_end_matches(' ');
    trimmed.ends_with('-').then(|| (line + trimmed.len() - 1, line))
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].rfind('\n').map_or(0, |index| index + 1)
}

/// The start of the line after the one holding `offset` (the offset itself when it already
/// starts a line; the end of the text on the last line).
fn line_end_after(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    if offset > 0 && text.as_bytes()[offset - 1] == b'\n' {
        return offset;
    }
    text[offset..].find('\n').map_or(text.len(), |index| offset + index + 1)
}

/// Column (0-based, in bytes) of an offset within its line.
fn column(text: &str, offset: usize) -> usize {
    offset - line_start(text, offset)
}

/// [`column`] of a parsed position, read from its span without searching for the line's
/// start when what precedes it on its line is ASCII (indentation and dashes are), so its
/// character column is its byte column.
fn span_column(text: &str, span: Span) -> usize {
    let offset = span.offset as usize;
    let guess = (span.column as usize).saturating_sub(1);
    let bytes = text.as_bytes();
    if let Some(start) = offset.checked_sub(guess) {
        let line_starts_there = start == 0 || bytes.get(start - 1) == Some(&b'\n');
        if line_starts_there && bytes.get(start..offset).is_some_and(|before| before.is_ascii()) {
            return guess;
        }
    }
    column(text, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_source, Limits};
    use crate::Source;

    fn apply(text: &str, edits: &[Edit]) -> String {
        super::super::apply_edits(text, edits)
    }

    fn parse_root(text: &str) -> Node {
        let (documents, errors) = parse_source(&Source::new("t.yaml", text), &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        documents.into_iter().next().unwrap().root
    }

    fn set_text(text: &str, path: &str, leaf: Leaf<'_>) -> String {
        let root = parse_root(text);
        let style = Style::detect(text, &root);
        let edits = set(text, &root, path, leaf, &style).expect("an edit");
        let fixed = apply(text, &edits);
        // The result must still parse.
        parse_root(&fixed);
        fixed
    }

    const FALSE: Leaf<'static> = Leaf::Scalar(Scalar::Bool(false));

    fn yaml_files_under(directory: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(directory) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files_under(&path, found);
            } else {
                found.push(path);
            }
        }
    }

    fn assert_content_ends_agree(text: &str, node: &Node, name: &str) {
        assert_eq!(content_end(text, node), content_end_in_full(text, node), "{name}: the node at {}", node.span);
        for item in node.items() {
            assert_content_ends_agree(text, item, name);
        }
        for entry in node.entries() {
            assert_content_ends_agree(text, &entry.value, name);
        }
    }

    /// The walk that skips entries and items ending before what was found gives what the
    /// full walk gives, on every node of the examples and the fuzzers' corpora (anchors,
    /// aliases, merge keys, flow collections, comments, broken indentation).
    #[test]
    fn content_end_skips_only_what_cannot_end_further() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for directory in ["examples", "fuzz/corpus", "fuzz/seeds", "fuzz/regressions", "../shared/conformance"] {
            yaml_files_under(&root.join(directory), &mut files);
        }
        assert!(files.len() > 3000, "{} files", files.len());
        let mut nodes = 0;
        for file in &files {
            let Ok(bytes) = std::fs::read(file) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            let (documents, _) = parse_source(&Source::new("t.yaml", text.as_ref()), &Limits::default());
            // Positions count from after a byte-order mark.
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            for document in &documents {
                nodes += document.root.size();
                assert_content_ends_agree(text, &document.root, &file.display().to_string());
            }
        }
        assert!(nodes > 100_000, "{nodes} nodes");
    }

    #[test]
    fn replaces_a_scalar_in_place_keeping_its_comment() {
        let text = "a:\n  b: true   # keep\n  c: 1\n";
        assert_eq!(set_text(text, "a.b", FALSE), "a:\n  b: false   # keep\n  c: 1\n");
        let root = parse_root(text);
        let style = Style::detect(text, &root);
        assert!(set(text, &root, "a.c", Leaf::Scalar(Scalar::Str("x")), &style).is_some());
        let text = "a:\n  b: false\n";
        let root = parse_root(text);
        assert!(set(text, &root, "a.b", FALSE, &Style::detect(text, &root)).is_none(), "no change, no edit");
    }

    #[test]
    fn creates_missing_parents_with_the_documents_indentation() {
        let text = "spec:\n    containers:\n    -   name: app\n        image: x\n    # trailing\nother: 1\n";
        let fixed = set_text(text, "spec.containers[0].securityContext.allowPrivilegeEscalation", FALSE);
        assert_eq!(
            fixed,
            "spec:\n    containers:\n    -   name: app\n        image: x\n        securityContext:\n            allowPrivilegeEscalation: false\n    # trailing\nother: 1\n"
        );
        let text = "spec:\n  containers:\n  - name: app\n    image: x";
        let fixed = set_text(text, "spec.containers[0].securityContext.runAsNonRoot", Leaf::Scalar(Scalar::Bool(true)));
        assert_eq!(
            fixed,
            "spec:\n  containers:\n  - name: app\n    image: x\n    securityContext:\n      runAsNonRoot: true\n"
        );
    }

    #[test]
    fn sequences_follow_the_document_style() {
        let items = [Scalar::Str("ALL")];
        let indented = "a:\n  list:\n    - x\n  c:\n    k: 1\n";
        assert_eq!(
            set_text(indented, "a.c.drop", Leaf::Seq(&items)),
            "a:\n  list:\n    - x\n  c:\n    k: 1\n    drop:\n      - ALL\n"
        );
        let flat = "a:\n  list:\n  - x\n  c:\n    k: 1\n";
        assert_eq!(
            set_text(flat, "a.c.drop", Leaf::Seq(&items)),
            "a:\n  list:\n  - x\n  c:\n    k: 1\n    drop:\n    - ALL\n"
        );
        let text = "c:\n  drop:\n  - NET_RAW\n  add: [\"X\"]\n";
        let root = parse_root(text);
        let style = Style::detect(text, &root);
        let edits = add_item(text, &root, "c.drop", Scalar::Str("ALL"), &style).unwrap();
        assert_eq!(apply(text, &edits), "c:\n  drop:\n  - NET_RAW\n  - ALL\n  add: [\"X\"]\n");
        let edits = add_item(text, &root, "c.add", Scalar::Str("ALL"), &style).unwrap();
        assert_eq!(apply(text, &edits), "c:\n  drop:\n  - NET_RAW\n  add: [\"X\", \"ALL\"]\n");
    }

    #[test]
    fn flow_mappings_get_an_entry_before_their_brace() {
        let text = "spec: {containers: [{name: app, image: x}]}\n";
        assert_eq!(
            set_text(text, "spec.containers[0].securityContext.privileged", FALSE),
            "spec: {containers: [{name: app, image: x, securityContext: {privileged: false}}]}\n"
        );
        let text = "a: {}\n";
        assert_eq!(set_text(text, "a.b", FALSE), "a: {b: false}\n");
        let json = "{\"spec\": {\"x\": 1}}";
        assert_eq!(
            set_text(json, "spec.securityContext.seccompProfile.type", Leaf::Scalar(Scalar::Str("RuntimeDefault"))),
            "{\"spec\": {\"x\": 1, \"securityContext\": {\"seccompProfile\": {\"type\": \"RuntimeDefault\"}}}}"
        );
    }

    #[test]
    fn empty_keys_get_their_value() {
        assert_eq!(set_text("a:\n  b:\nc: 1\n", "a.b.c", FALSE), "a:\n  b:\n    c: false\nc: 1\n");
        assert_eq!(set_text("a:\n  b:\nc: 1\n", "a.b", FALSE), "a:\n  b: false\nc: 1\n");
        assert_eq!(set_text("a:\n  b: ~\n", "a.b.c", FALSE), "a:\n  b: {c: false}\n");
    }

    #[test]
    fn crlf_is_kept() {
        let text = "a:\r\n  b: 1\r\n";
        assert_eq!(set_text(text, "a.c", FALSE), "a:\r\n  b: 1\r\n  c: false\r\n");
    }

    fn remove_text(text: &str, path: &str) -> String {
        let root = parse_root(text);
        apply(text, &remove(text, &root, path).expect("an edit"))
    }

    #[test]
    fn removal_takes_whole_lines_or_the_flow_separator() {
        let text = "a:\n  b: 1  # gone\n  c:\n    d: 2\n  e: 3\n";
        assert_eq!(remove_text(text, "a.b"), "a:\n  c:\n    d: 2\n  e: 3\n");
        assert_eq!(remove_text(text, "a.c"), "a:\n  b: 1  # gone\n  e: 3\n");
        assert_eq!(remove_text("p:\n- x: 1\n  y: 2\n", "p[0].x"), "p:\n- y: 2\n");
        assert_eq!(remove_text("a: {b: 1, c: 2}\n", "a.b"), "a: {c: 2}\n");
        assert_eq!(remove_text("a: {b: 1, c: 2}\n", "a.c"), "a: {b: 1}\n");
        assert_eq!(remove_text("a: [x, y, z]\n", "a[1]"), "a: [x, z]\n");
        assert_eq!(remove_text("a:\n- x\n- y\n", "a[0]"), "a:\n- y\n");
    }

    #[test]
    fn aliases_and_merge_keys_are_refused() {
        let text = "base: &b\n  x: 1\nc:\n  <<: *b\n  y: 2\nd: *b\n";
        let root = parse_root(text);
        let style = Style::detect(text, &root);
        assert!(set(text, &root, "c.x", FALSE, &style).is_none());
        assert!(set(text, &root, "d.z", FALSE, &style).is_none());
        assert!(set(text, &root, "c.z", FALSE, &style).is_some());
    }

    #[test]
    fn entries_are_replaced_with_their_multi_line_values() {
        let text = "v:\n- name: a\n  hostPath:\n    path: /etc   # host\n- name: b\n";
        let root = parse_root(text);
        let style = Style::detect(text, &root);
        let edits = replace_entry(text, &root, "v[0].hostPath", "emptyDir", "{}", &style).unwrap();
        assert_eq!(apply(text, &edits), "v:\n- name: a\n  emptyDir: {}   # host\n- name: b\n");
    }
}
