//! The positioned document tree every rule reads.
//!
//! YAML and JSON both parse into [`Node`]s that remember where they start in the source
//! (line and column, 1-based), so a finding can point at the line of the field it is about.
//! Scalars are typed the way Kubernetes' own YAML decoder types them (YAML 1.1: `yes`/`no`
//! and `on`/`off` are booleans), so a rule sees what the API server would see.

use std::fmt;

/// The text of a mapping key or a string scalar: kept inline when short (up to 24 bytes on
/// 64-bit targets, 12 on wasm32), as most keys and scalars of a manifest are, so reading a
/// document allocates once per collection rather than once per key and per scalar.
/// It reads as a `&str` (`Deref`, `as_str`); make one with `Text::from` or `.into()`.
pub use compact_str::CompactString as Text;

/// A position in a source: 1-based line and column (columns count characters), and the
/// byte offset from the start of the source (what text edits work with).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    pub offset: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.line, self.column)
    }
}

/// One value of a document with the position where it starts and the byte offset where it
/// ends (exclusive; for a block collection, where the parser saw its end, which may be past
/// trailing comments).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    pub end: u32,
}

/// One entry of a mapping: the key (always text, as Kubernetes keys are) and its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Text,
    pub key_span: Span,
    pub value: Node,
}

/// A node's value. Collections are boxed slices and strings [`Text`], which keeps a
/// value to 24 bytes (the string's spare byte tells the variants apart), a [`Node`] to 40
/// and an [`Entry`] to 80 on 64-bit targets: a tree is mostly entries (about 750,000 for
/// ten thousand manifests), all held until the check is done.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string (a quoted scalar, or a plain one that is no other type).
    String(Text),
    Seq(Box<[Node]>),
    Map(Box<[Entry]>),
}

/// Changes a mapping's entries or a sequence's items as a vector: a tree keeps them as a
/// boxed slice (no spare capacity, and a node 8 bytes smaller), which cannot grow.
pub fn edit_vec<T>(items: &mut Box<[T]>, edit: impl FnOnce(&mut Vec<T>)) {
    let mut vector = std::mem::take(items).into_vec();
    edit(&mut vector);
    *items = vector.into_boxed_slice();
}

// The sizes above, held at compile time: a field that grows them costs every tree.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<Value>() == 24 && size_of::<Node>() == 40 && size_of::<Entry>() == 80);

static NULL_NODE: Node = Node { value: Value::Null, span: Span { line: 0, column: 0, offset: 0 }, end: 0 };

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span, end: span.offset }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The entry (key position included) under `key` when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|entry| {
                // Keys of equal length mostly differ in their first byte (`template` and
                // `selector`, `spec` and `kind`): tested before a call to compare them whole.
                let (have, want) = (entry.key.as_bytes(), key.as_bytes());
                have.len() == want.len() && have.first() == want.first() && have == want
            }),
            _ => None,
        }
    }

    /// Follows a chain of mapping keys.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The value under `key`, or a null node when it is absent; handy for chained reads.
    pub fn field(&self, key: &str) -> &Node {
        self.get(key).unwrap_or(&NULL_NODE)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The value as Kubernetes would read it into a string field: numbers and booleans
    /// written without quotes keep their text form.
    pub fn as_text(&self) -> Option<String> {
        match &self.value {
            Value::String(text) => Some(text.to_string()),
            Value::Int(number) => Some(number.to_string()),
            Value::Float(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(flag) => Some(flag),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(number) => Some(number),
            Value::Float(number) if number.fract() == 0.0 && number.abs() < 9.0e15 => Some(number as i64),
            _ => None,
        }
    }

    /// The items when this node is a sequence; an empty slice otherwise.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entries when this node is a mapping; an empty slice otherwise.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// The position of the field at `path` (as findings write it:
    /// `spec.containers[0].securityContext`), or of its nearest existing parent.
    pub fn locate(&self, path: &str) -> Span {
        let mut node = self;
        let mut span = self.span;
        for step in PathSteps::new(path) {
            let next = match step {
                Step::Key(key) => node.entry(key).map(|entry| (entry.key_span, &entry.value)),
                Step::Index(index) => node.items().get(index).map(|item| (item.span, item)),
            };
            match next {
                Some((found_span, found)) => {
                    span = found_span;
                    node = found;
                }
                None => break,
            }
        }
        span
    }

    /// Counts the nodes of this subtree, itself included.
    pub fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|entry| entry.value.size()).sum(),
            _ => 0,
        }
    }

    /// Converts to JSON (for reports and tests); positions are dropped.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(flag) => serde_json::Value::Bool(*flag),
            Value::Int(number) => serde_json::Value::from(*number),
            Value::Float(number) => {
                serde_json::Number::from_f64(*number).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
            }
            Value::String(text) => serde_json::Value::String(text.to_string()),
            Value::Seq(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => serde_json::Value::Object(
                entries.iter().map(|entry| (entry.key.to_string(), entry.value.to_json())).collect(),
            ),
        }
    }
}

/// One step of a field path.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[2].c` into steps. Keys holding dots or brackets (annotation names) are
/// written in brackets and quotes: `metadata.annotations["rampart.dev/ignore"]`.
pub struct PathSteps<'a> {
    rest: &'a str,
}

impl<'a> PathSteps<'a> {
    pub fn new(path: &'a str) -> Self {
        PathSteps { rest: path }
    }

    /// What is left of the path after the steps taken so far.
    pub fn rest(&self) -> &'a str {
        self.rest
    }
}

impl<'a> Iterator for PathSteps<'a> {
    type Item = Step<'a>;

    fn next(&mut self) -> Option<Step<'a>> {
        let rest = self.rest.strip_prefix('.').unwrap_or(self.rest);
        if rest.is_empty() {
            return None;
        }
        if let Some(inner) = rest.strip_prefix("[\"") {
            let end = inner.find("\"]")?;
            self.rest = &inner[end + 2..];
            return Some(Step::Key(&inner[..end]));
        }
        if let Some(inner) = rest.strip_prefix('[') {
            // Byte by byte: an index is a few digits, too short for a searcher to pay.
            let end = inner.bytes().position(|byte| byte == b']')?;
            self.rest = &inner[end + 1..];
            let digits = &inner.as_bytes()[..end];
            if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
                return inner[..end].parse().ok().map(Step::Index);
            }
            return Some(Step::Index(digits.iter().fold(0, |index, digit| index * 10 + usize::from(digit - b'0'))));
        }
        // Both stops are ASCII: searched eight bytes at a time.
        let end = crate::parse::first_of(rest.as_bytes(), b'.', b'[');
        self.rest = &rest[end..];
        Some(Step::Key(&rest[..end]))
    }
}

/// Appends a key to a field path, quoting it when it holds characters that would
/// otherwise split it.
pub fn join_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && !key.bytes().any(|byte| matches!(byte, b'.' | b'[' | b']' | b'"'));
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[\"{key}\"]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_steps_split_keys_indices_and_quoted_keys() {
        let steps: Vec<_> = PathSteps::new("spec.containers[1].x[\"a.b/c\"].y").collect();
        assert_eq!(
            steps,
            vec![
                Step::Key("spec"),
                Step::Key("containers"),
                Step::Index(1),
                Step::Key("x"),
                Step::Key("a.b/c"),
                Step::Key("y")
            ]
        );
        assert_eq!(
            join_key("metadata.annotations", "rampart.dev/ignore"),
            "metadata.annotations[\"rampart.dev/ignore\"]"
        );
        assert_eq!(join_key("", "spec"), "spec");
    }
}
