//! From source text to positioned documents.
//!
//! A source is split into its YAML documents first (at `---` and `...` marker lines), and
//! each document is parsed on its own, so a syntax error in one document is reported with
//! its line and column while the others are still read. JSON is YAML's flow style, so the
//! same parser reads it. The tree is built from the parser's events with hard bounds on
//! size, nesting depth and alias expansion: a hostile input is refused in bounded time and
//! memory instead of exhausting either.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};
use serde::Serialize;

use crate::tree::{Entry, Node, Span, Text, Value};

/// One input: a file name (or `-` for stdin, or a name the caller chooses) and its text.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source { name: name.into(), text: text.into() }
    }
}

/// The default of [`Limits::policy_cost`]: ten thousand times one expression's limit.
pub const POLICY_COST_BUDGET: u64 = 10_000_000_000;

/// Bounds that keep parsing (and custom policies) safe on hostile input.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest source accepted, in bytes.
    pub max_source_bytes: usize,
    /// Deepest nesting of mappings and sequences accepted.
    pub max_depth: usize,
    /// Most nodes one document may hold once aliases are expanded.
    pub max_nodes: usize,
    /// What the custom policies' CEL evaluations of one check may cost in all (in the
    /// units of the API server's cost model; each expression is held to its own limit as
    /// well): a policy that does too much work on every object stops being evaluated, with
    /// a notice, instead of holding a scan for hours.
    pub policy_cost: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_source_bytes: 64 * 1024 * 1024,
            max_depth: 100,
            max_nodes: 2_000_000,
            policy_cost: POLICY_COST_BUDGET,
        }
    }
}

/// Something the parser could not read, with where it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, thiserror::Error)]
#[error("{source_name}:{line}:{column}: {message}")]
pub struct ParseError {
    #[serde(rename = "source")]
    pub source_name: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// One parsed YAML document of a source.
#[derive(Clone, Debug)]
pub struct Document {
    /// Position of the document in its source, counting the documents that hold content.
    pub index: usize,
    pub root: Node,
}

/// Parses every document of a source; returns what could be read and the errors met.
pub fn parse_source(source: &Source, limits: &Limits) -> (Vec<Document>, Vec<ParseError>) {
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    let error_at = |line: u32, column: u32, message: String| error_in(source, line, column, message);
    if let Some(error) = too_large(source, limits) {
        errors.push(error);
        return (documents, errors);
    }
    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    for chunk in split_documents(text) {
        match parse_chunk(&text[chunk.start..chunk.end], chunk.start, chunk.first_line, limits) {
            Ok(roots) => {
                for root in roots {
                    documents.push(Document { index: documents.len(), root });
                }
            }
            Err(ChunkError { line, column, message }) => {
                errors.push(error_at(line, column, message));
            }
        }
    }
    (documents, errors)
}

/// Parses a source one document at a time, handing each to `each` as soon as it is read,
/// so a host never holds more than one document's tree. A block-style `kind: List`
/// document (what `kubectl get -o yaml` prints for a whole cluster) is handed over item by
/// item, each item parsed on its own (with its real lines) as a document of its own with
/// the List's index: an export of any size never becomes one tree, and a broken item is an
/// error of its own while the others are read. Returns the errors met, as
/// [`parse_source`] would (the same limits apply, per item for a List).
pub fn for_each_document(source: &Source, limits: &Limits, mut each: impl FnMut(Document)) -> Vec<ParseError> {
    let mut errors = Vec::new();
    if let Some(error) = too_large(source, limits) {
        return vec![error];
    }
    let text = source.text.strip_prefix('\u{feff}').unwrap_or(&source.text);
    let mut index = 0;
    for chunk in split_documents(text) {
        let chunk_text = &text[chunk.start..chunk.end];
        let pieces = match split_list_items(chunk_text) {
            Some(items) => items,
            None => vec![(0, chunk_text.len(), 0)],
        };
        let is_list = pieces.len() > 1 || pieces.first().is_some_and(|piece| piece.0 > 0);
        let mut read_any = false;
        for (start, end, line) in pieces {
            match parse_chunk(&chunk_text[start..end], chunk.start + start, chunk.first_line + line, limits) {
                Ok(roots) => {
                    for root in roots {
                        read_any = true;
                        let root = match (is_list, root.value) {
                            // An item, parsed as a sequence of one.
                            (true, crate::tree::Value::Seq(items)) if items.len() == 1 => items.into_vec().remove(0),
                            (_, value) => Node { value, ..root },
                        };
                        each(Document { index, root });
                        if !is_list {
                            index += 1;
                        }
                    }
                }
                Err(ChunkError { line, column, message }) => errors.push(error_in(source, line, column, message)),
            }
        }
        if is_list && read_any {
            index += 1;
        }
    }
    errors
}

fn error_in(source: &Source, line: u32, column: u32, message: String) -> ParseError {
    ParseError { source_name: source.name.clone(), line, column, message }
}

/// The error of a source over the size limit.
fn too_large(source: &Source, limits: &Limits) -> Option<ParseError> {
    (source.text.len() > limits.max_source_bytes).then(|| {
        let message = format!(
            "input is {} bytes, more than the limit of {} bytes; split it into smaller files",
            source.text.len(),
            limits.max_source_bytes
        );
        error_in(source, 1, 1, message)
    })
}

/// The items of a block-style List document, as `(start, end, first line)` relative to the
/// document's text (each a `- …` block with what follows it), when the document is one:
/// a top-level `kind:` ending in `List` and a top-level `items:` followed by a block
/// sequence. `None` for anything else (flow style, JSON, no items), which is parsed whole.
fn split_list_items(text: &str) -> Option<Vec<(usize, usize, u32)>> {
    let first = text.lines().map(str::trim_start).find(|line| !line.is_empty() && !line.starts_with('#'))?;
    if first.starts_with('{') || first.starts_with('[') {
        return None;
    }
    let mut is_list = false;
    let mut items: Vec<(usize, usize, u32)> = Vec::new();
    // The column of the items' dashes, once inside `items:`; the current item's start.
    let mut in_items = false;
    let mut dash_column: Option<usize> = None;
    let mut current: Option<(usize, u32)> = None;
    let mut offset = 0;
    for (line_number, line) in (0u32..).zip(text.split_inclusive('\n')) {
        let content = line.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start_matches(' ');
        let indent = content.len() - trimmed.len();
        let blank = trimmed.is_empty() || trimmed.starts_with('#');
        if in_items && !blank {
            let dash = trimmed == "-" || trimmed.starts_with("- ");
            match dash_column {
                None if dash => {
                    dash_column = Some(indent);
                    current = Some((offset, line_number));
                }
                Some(column) if indent == column && dash => {
                    if let Some((start, first_line)) = current.replace((offset, line_number)) {
                        items.push((start, offset, first_line));
                    }
                }
                Some(column) if indent > column => {}
                _ => {
                    in_items = false;
                    if let Some((start, first_line)) = current.take() {
                        items.push((start, offset, first_line));
                    }
                }
            }
        }
        if !in_items && !blank && indent == 0 {
            let value = |key: &str| {
                trimmed.strip_prefix(key).map(|rest| {
                    let rest = rest.split(" #").next().unwrap_or("").trim();
                    rest.trim_matches(|c| c == '"' || c == '\'').to_string()
                })
            };
            if let Some(kind) = value("kind:") {
                is_list |= kind.ends_with("List");
            } else if value("items:").is_some_and(|rest| rest.is_empty()) {
                if dash_column.is_some() {
                    return None;
                }
                in_items = true;
            }
        }
        offset += line.len();
    }
    if let Some((start, first_line)) = current {
        items.push((start, text.len(), first_line));
    }
    (is_list && !items.is_empty()).then_some(items)
}

/// Checks the fast path against the general parser on every document of `text`: where the
/// fast path reads a document, both must build the very same tree (values, positions,
/// ends). Returns how many documents the fast path read. For the differential tests.
#[doc(hidden)]
pub fn fast_path_agrees(text: &str) -> Result<usize, String> {
    let limits = Limits::default();
    let mut fast = 0;
    for chunk in split_documents(text) {
        let chunk_text = &text[chunk.start..chunk.end];
        let Some(node) = crate::fastparse::parse_document(chunk_text, chunk.start, chunk.first_line, limits.max_depth)
        else {
            continue;
        };
        fast += 1;
        match parse_chunk_in_full(chunk_text, chunk.start, chunk.first_line, &limits) {
            Ok(roots) if roots.len() == 1 && roots[0] == node => {}
            Ok(roots) => {
                return Err(format!(
                    "the fast path and the general parser disagree on the document at line {}:\n{chunk_text}\nfast: {node:?}\nfull: {roots:?}",
                    chunk.first_line
                ))
            }
            Err(error) => {
                return Err(format!(
                    "the fast path accepted a document the general parser rejects ({}:{} {}):\n{chunk_text}",
                    error.line, error.column, error.message
                ))
            }
        }
    }
    Ok(fast)
}

/// A byte range of the source holding one document, and the line it starts on.
struct Chunk {
    start: usize,
    end: usize,
    first_line: u32,
}

/// Splits a stream at document markers. A marker line cannot occur inside a document's
/// content (YAML forbids `---` and `...` at column 0 there), so this split is exact.
/// Chunks without content (only comments, blank lines or directives) are dropped.
fn split_documents(text: &str) -> Vec<Chunk> {
    let mut split = Split::default();
    let bytes = text.as_bytes();
    let mut offset = 0;
    let mut line_number = 0u32;
    while offset < bytes.len() {
        line_number += 1;
        // The lines found eight bytes at a time ([`newline_from`]); one that starts with
        // neither `-` nor `.` is looked at only until the document is known to hold content.
        let next = (newline_from(bytes, offset) + 1).min(bytes.len());
        if !split.has_content || matches!(bytes[offset], b'-' | b'.') {
            // Both ends lie at the text's ends or right after a `\n`: character boundaries.
            split.line(&text[offset..next], offset, line_number);
        }
        offset = next;
    }
    split.end(text.len())
}

/// The documents found so far by [`split_documents`], line after line.
struct Split {
    chunks: Vec<Chunk>,
    start: usize,
    first_line: u32,
    has_content: bool,
}

impl Default for Split {
    fn default() -> Self {
        Split { chunks: Vec::new(), start: 0, first_line: 1, has_content: false }
    }
}

impl Split {
    /// Takes the line (with its `\n`) at `offset`, numbered `line_number`.
    fn line(&mut self, line: &str, offset: usize, line_number: u32) {
        let bytes = line.as_bytes();
        // Only lines starting with `---` or `...` can be markers; the rest matter only
        // until the current document is known to hold content.
        let marker =
            |mark: &[u8]| bytes.starts_with(mark) && matches!(bytes.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
        if marker(b"---") {
            // A new document starts here; the text before it is a document of its own
            // when it has content.
            if self.has_content {
                self.chunks.push(Chunk { start: self.start, end: offset, first_line: self.first_line });
                self.start = offset;
                self.first_line = line_number;
            }
            let rest = line[3..].trim();
            self.has_content = !rest.is_empty() && !rest.starts_with('#');
        } else if marker(b"...") {
            if self.has_content {
                self.chunks.push(Chunk { start: self.start, end: offset, first_line: self.first_line });
            }
            self.start = offset + line.len();
            self.first_line = line_number + 1;
            self.has_content = false;
        } else if !self.has_content {
            let trimmed = line.trim();
            if !(trimmed.is_empty() || trimmed.starts_with('#') || line.starts_with('%')) {
                self.has_content = true;
            }
        }
    }

    /// The documents, once the text (`length` bytes) is read.
    fn end(mut self, length: usize) -> Vec<Chunk> {
        if self.has_content {
            self.chunks.push(Chunk { start: self.start, end: length, first_line: self.first_line });
        }
        self.chunks
    }
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of each byte of `word` that equals `byte`, and possibly of bytes after
/// the first such one (never before it): the first set bit is the first match.
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let mask = word ^ (ONES * u64::from(byte));
    mask.wrapping_sub(ONES) & !mask & HIGHS
}

/// The offset of the first `\n` at or after `from`, or the text's length: eight bytes at
/// a time, then byte by byte for the last few.
pub(crate) fn newline_from(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let found = bytes_equal(word, b'\n');
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < bytes.len() && bytes[at] != b'\n' {
        at += 1;
    }
    at
}

/// Calls `each` with the offset of every `\n` of `bytes`, in order: eight bytes at a time,
/// with no call per line (a byte is a newline exactly where its word has a zero byte once
/// XORed with newlines, found without the carries of [`bytes_equal`]).
pub(crate) fn each_newline(bytes: &[u8], mut each: impl FnMut(usize)) {
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ (ONES * u64::from(b'\n'));
        let mut zeros = !(((word & LOWS) + LOWS) | word | LOWS);
        while zeros != 0 {
            each(at + (zeros.trailing_zeros() / 8) as usize);
            zeros &= zeros - 1;
        }
        at += 8;
    }
    for (index, byte) in chunks.remainder().iter().enumerate() {
        if *byte == b'\n' {
            each(at + index);
        }
    }
}

/// The offset of the first `a` or `b` in `bytes` (or their length), eight bytes at a time.
pub(crate) fn first_of(bytes: &[u8], a: u8, b: u8) -> usize {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let found = bytes_equal(word, a) | bytes_equal(word, b);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < bytes.len() && bytes[at] != a && bytes[at] != b {
        at += 1;
    }
    at
}

/// The offset of the first byte other than a space at or after `from` (or the text's
/// length): manifests are indented deeply, eight bytes at a time pays.
pub(crate) fn spaces_from(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let other = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ (ONES * u64::from(b' '));
        if other != 0 {
            return at + (other.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < bytes.len() && bytes[at] == b' ' {
        at += 1;
    }
    at
}

/// Whether the bytes hold a tab, a carriage return or a NUL, eight bytes at a time.
pub(crate) fn has_tab_cr_or_nul(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        if bytes_equal(word, b'\t') | bytes_equal(word, b'\r') | bytes_equal(word, 0) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|byte| matches!(byte, b'\t' | b'\r' | b'\0'))
}

#[derive(Debug)]
pub(crate) struct ChunkError {
    line: u32,
    column: u32,
    message: String,
}

enum Frame {
    Seq { span: Span, anchor: usize, items: Vec<Node> },
    Map { span: Span, anchor: usize, entries: Vec<Entry>, key: Option<(String, Span)> },
}

/// Builds trees from parser events within the limits.
struct Builder<'l, 't> {
    limits: &'l Limits,
    /// The chunk's text, its byte offset in the source and the first line it holds.
    text: &'t str,
    byte_offset: usize,
    line_offset: u32,
    /// Byte offset in the chunk where each of its lines starts.
    line_starts: Vec<usize>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    roots: Vec<Node>,
}

fn parse_chunk(text: &str, byte_offset: usize, first_line: u32, limits: &Limits) -> Result<Vec<Node>, ChunkError> {
    if let Some(root) = crate::fastparse::parse_document(text, byte_offset, first_line, limits.max_depth) {
        return Ok(vec![root]);
    }
    parse_chunk_in_full(text, byte_offset, first_line, limits)
}

/// Parses a chunk with the general YAML parser (what the fast path leaves to it).
pub(crate) fn parse_chunk_in_full(
    text: &str,
    byte_offset: usize,
    first_line: u32,
    limits: &Limits,
) -> Result<Vec<Node>, ChunkError> {
    let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(index, _)| index + 1)).collect();
    let mut builder = Builder {
        limits,
        text,
        byte_offset,
        line_offset: first_line - 1,
        line_starts,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        roots: Vec::new(),
    };
    for next in Parser::new_from_str(text) {
        let (event, span) = next.map_err(|error| {
            let marker = error.marker();
            ChunkError {
                line: marker.line() as u32 + builder.line_offset,
                column: marker.col() as u32 + 1,
                message: describe_scan_error(error.info()),
            }
        })?;
        if matches!(event, Event::StreamEnd) {
            break;
        }
        builder.on_event(event, span.start, span.end)?;
    }
    Ok(builder.roots)
}

fn describe_scan_error(info: &str) -> String {
    if info.contains("recursion limit") {
        return "nesting deeper than the parser's limit; refusing to read it".to_string();
    }
    format!("invalid YAML: {info}")
}

impl Builder<'_, '_> {
    fn span(&self, marker: Marker) -> Span {
        Span {
            line: marker.line() as u32 + self.line_offset,
            column: marker.col() as u32 + 1,
            offset: self.byte_of(marker) as u32,
        }
    }

    /// The chunk's text, indexed by source byte offsets minus [`Self::byte_offset`].
    fn source_text(&self) -> (&str, usize) {
        (self.text, self.byte_offset)
    }

    /// Moves a source byte offset back over trailing white space, not before `floor`.
    fn trim_back(&self, offset: usize, floor: usize) -> usize {
        let local = offset - self.byte_offset;
        let floor = floor.saturating_sub(self.byte_offset);
        let trimmed = self.text[..local].trim_end_matches([' ', '\t', '\r', '\n']).len().max(floor);
        trimmed + self.byte_offset
    }

    /// The source byte offset just past the closing quote of the quoted scalar that starts
    /// at `start`, or the end of the chunk when there is none.
    fn closing_quote(&self, start: usize, style: ScalarStyle) -> usize {
        let local = start - self.byte_offset;
        let bytes = self.text.as_bytes();
        let quote = if style == ScalarStyle::DoubleQuoted { b'"' } else { b'\'' };
        if bytes.get(local) != Some(&quote) {
            return self.byte_offset + self.text.len();
        }
        let mut index = local + 1;
        while index < bytes.len() {
            match bytes[index] {
                b'\\' if quote == b'"' => index += 2,
                b'\'' if quote == b'\'' && bytes.get(index + 1) == Some(&b'\'') => index += 2,
                byte if byte == quote => return self.byte_offset + index + 1,
                _ => index += 1,
            }
        }
        self.byte_offset + self.text.len()
    }

    /// The byte offset in the source of a marker (markers count characters).
    fn byte_of(&self, marker: Marker) -> usize {
        let line_start = self.line_starts.get(marker.line().saturating_sub(1)).copied().unwrap_or(self.text.len());
        let line = &self.text[line_start..];
        let within = if line.is_char_boundary(marker.col().min(line.len()))
            && line.as_bytes()[..marker.col().min(line.len())].is_ascii()
        {
            marker.col().min(line.len())
        } else {
            line.char_indices().nth(marker.col()).map_or(line.len(), |(index, _)| index)
        };
        self.byte_offset + line_start + within
    }

    fn fail(&self, span: Span, message: String) -> ChunkError {
        ChunkError { line: span.line, column: span.column, message }
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), ChunkError> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(self.fail(
                span,
                format!(
                    "document expands to more than {} values (aliases repeating aliases?); refusing to read it",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event<'_>, marker: Marker, end_marker: Marker) -> Result<(), ChunkError> {
        let span = self.span(marker);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // Block scalars end where the next token starts; the value ends at its text.
                let mut end = self.trim_back(self.byte_of(end_marker), span.offset as usize) as u32;
                if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
                    // The parser marks a quoted scalar's end at the next token, past a comment
                    // on its line; the value ends at its closing quote.
                    end = end.min(self.closing_quote(span.offset as usize, style) as u32);
                }
                self.count(1, span)?;
                if let Some(Frame::Map { key: key @ None, span: map_span, entries, .. }) = self.stack.last_mut() {
                    // Keys keep their written text: `y:` is the key "y", not a boolean.
                    if anchor == 0 {
                        if entries.is_empty() && span < *map_span {
                            // A block mapping's start event is marked at its first `:`;
                            // the mapping starts where its first key does.
                            *map_span = span;
                        }
                        *key = Some((text.into_owned(), span));
                        return Ok(());
                    }
                }
                let value = resolve_scalar(text.into_owned(), style, tag.as_deref());
                self.finish(Node { value, span, end }, anchor)
            }
            Event::Alias(anchor) => {
                let Some(size) = self.anchors.get(&anchor).map(Node::size) else {
                    return Err(self.fail(span, "alias to an unknown anchor".to_string()));
                };
                self.count(size, span)?;
                let node = self.anchors[&anchor].clone();
                self.finish(node, 0)
            }
            Event::SequenceStart(anchor, _) => {
                self.open(span)?;
                self.stack.push(Frame::Seq { span, anchor, items: Vec::new() });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.open(span)?;
                self.stack.push(Frame::Map { span, anchor, entries: Vec::new(), key: None });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let parser_end = self.trim_back(self.byte_of(end_marker), 0) as u32;
                let node = match self.stack.pop() {
                    Some(Frame::Seq { span, anchor, items }) => {
                        let end =
                            collection_end(self.source_text(), span, items.last().map(|item| item.end), parser_end);
                        (Node { value: Value::Seq(items.into()), span, end }, anchor)
                    }
                    Some(Frame::Map { span, anchor, entries, .. }) => {
                        let last = entries.last().map(|entry| entry.value.end);
                        let end = collection_end(self.source_text(), span, last, parser_end);
                        (Node { value: Value::Map(merge_keys(entries).into()), span, end }, anchor)
                    }
                    None => return Ok(()),
                };
                self.finish(node.0, node.1)
            }
            Event::DocumentStart(_) => {
                self.anchors.clear();
                Ok(())
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
        }
    }

    fn open(&mut self, span: Span) -> Result<(), ChunkError> {
        self.count(1, span)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(
                self.fail(span, format!("nesting deeper than {} levels; refusing to read it", self.limits.max_depth))
            );
        }
        Ok(())
    }

    /// Places a completed node into its parent (or makes it a document root).
    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), ChunkError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.roots.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, span: map_span, .. }) => match key.take() {
                None => {
                    if entries.is_empty() && node.span < *map_span {
                        *map_span = node.span;
                    }
                    *key = Some((key_text(&node), node.span))
                }
                Some((key, key_span)) => entries.push(Entry { key: key.into(), key_span, value: node }),
            },
        }
        Ok(())
    }
}

/// Where a collection ends: after its last value, or, for a flow collection (`[…]`,
/// `{…}`), after its closing bracket. An empty collection ends where the parser says.
fn collection_end((text, byte_offset): (&str, usize), span: Span, last_child_end: Option<u32>, parser_end: u32) -> u32 {
    let start = span.offset as usize - byte_offset;
    let flow = matches!(text.as_bytes().get(start), Some(b'[' | b'{'));
    let Some(last) = last_child_end else {
        if flow {
            // An empty flow collection (`{}`, `[ ]`) ends at its closing bracket; the
            // parser's end is past a comment on its line.
            let inside = &text[start + 1..];
            let skipped = inside.len() - inside.trim_start_matches([' ', '\t', '\r', '\n']).len();
            if matches!(inside.as_bytes().get(skipped), Some(b']' | b'}')) {
                return (span.offset + skipped as u32 + 2).min(parser_end.max(span.offset));
            }
        }
        return parser_end.max(span.offset);
    };
    if !flow {
        return last;
    }
    let after = &text[last as usize - byte_offset..];
    let skipped = after.len() - after.trim_start_matches([' ', '\t', '\r', '\n', ',']).len();
    match after.as_bytes().get(skipped) {
        Some(b']' | b'}') => last + skipped as u32 + 1,
        _ => last,
    }
}

/// Mapping keys are text in Kubernetes objects; a scalar key keeps its written form.
fn key_text(node: &Node) -> String {
    match &node.value {
        Value::Null => String::new(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".to_string(),
        _ => node.as_text().unwrap_or_default(),
    }
}

/// Applies YAML merge keys (`<<: *defaults`), which Kubernetes' decoder honours: entries
/// of the merged mappings are added unless the mapping sets them itself.
fn merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(|entry| entry.key == "<<") {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(|entry| entry.key == "<<");
    for merge in merges {
        let sources: Vec<Node> = match merge.value.value {
            Value::Map(_) => vec![merge.value],
            Value::Seq(items) => items.into_vec(),
            _ => Vec::new(),
        };
        for source in sources {
            if let Value::Map(merged) = source.value {
                for entry in merged {
                    if !own.iter().any(|existing| existing.key == entry.key) {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}

/// Types a scalar the way Kubernetes' YAML decoder (YAML 1.1 rules) does.
fn resolve_scalar(text: String, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
            if tag.suffix == "str" {
                return Value::String(text.into());
            }
            if tag.suffix == "null" {
                return Value::Null;
            }
        }
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.into());
    }
    resolve_plain_typed(&text).unwrap_or_else(|| Value::String(text.into()))
}

/// A plain scalar typed as [`resolve_scalar`] types it, its text copied only when it is a
/// string.
pub(crate) fn resolve_plain(text: &str) -> Value {
    resolve_plain_typed(text).unwrap_or_else(|| Value::String(Text::from(text)))
}

/// The type of a plain scalar other than a string (`None`: a string).
fn resolve_plain_typed(text: &str) -> Option<Value> {
    // Most plain scalars are names: one starting with a letter that starts none of YAML's
    // words below is a string (numbers start with a digit, a sign or a dot).
    if text.as_bytes().first().is_some_and(|first| {
        first.is_ascii_alphabetic()
            && !matches!(first, b'y' | b'Y' | b'n' | b'N' | b'o' | b'O' | b't' | b'T' | b'f' | b'F')
    }) {
        return None;
    }
    // The words below are at most five bytes long: longer text skips their comparisons.
    let word = if text.len() <= 5 { text } else { "-" };
    let value = match word {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => Value::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => {
            if let Some(number) = parse_int(text) {
                return Some(Value::Int(number));
            }
            if looks_like_float(text) {
                let cleaned: std::borrow::Cow<'_, str> =
                    if text.contains('_') { text.replace('_', "").into() } else { text.into() };
                if let Ok(number) = cleaned.parse::<f64>() {
                    return Some(Value::Float(number));
                }
            }
            return None;
        }
    };
    Some(value)
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    // Underscores are rare: the text is copied only to drop them.
    let cleaned: std::borrow::Cow<'_, str> =
        if digits.contains('_') { digits.replace('_', "").into() } else { digits.into() };
    let magnitude = if let Some(hex) = cleaned.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(binary) = cleaned.strip_prefix("0b") {
        i64::from_str_radix(binary, 2).ok()?
    } else if let Some(octal) = cleaned.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()?
    } else if cleaned.len() > 1 && cleaned.starts_with('0') {
        i64::from_str_radix(&cleaned[1..], 8).ok()?
    } else {
        if !cleaned.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        cleaned.parse().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn looks_like_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut digits = 0;
    let mut dots = 0;
    let mut exponent = false;
    let mut previous = ' ';
    for character in body.chars() {
        match character {
            '0'..='9' => digits += 1,
            '_' if digits > 0 => {}
            '.' if dots == 0 && !exponent => dots += 1,
            'e' | 'E' if digits > 0 && !exponent => exponent = true,
            '-' | '+' if matches!(previous, 'e' | 'E') => {}
            _ => return false,
        }
        previous = character;
    }
    digits > 0 && (dots == 1 || exponent) && !matches!(previous, 'e' | 'E' | '-' | '+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_at_a_time_scans_find_what_byte_by_byte_finds() {
        let mut texts: Vec<String> = vec![String::new(), "a".into(), "\n".into(), "é\u{80}\u{FF}ÿ".into()];
        for length in 0..20 {
            for at in 0..length {
                for (byte, filler) in
                    ['\n', '\t', '\r', '\0', 'a', 'é', 'x'].into_iter().flat_map(|byte| [(byte, "x"), (byte, " ")])
                {
                    let mut text: String = filler.repeat(length);
                    text.replace_range(at..at + 1, &byte.to_string());
                    texts.push(text);
                }
            }
        }
        for text in &texts {
            let bytes = text.as_bytes();
            for from in 0..=bytes.len() {
                let naive = bytes[from..].iter().position(|&byte| byte == b'\n').map_or(bytes.len(), |at| from + at);
                assert_eq!(newline_from(bytes, from), naive, "{text:?} from {from}");
            }
            for from in 0..=bytes.len() {
                let naive = bytes[from..].iter().position(|&byte| byte != b' ').map_or(bytes.len(), |at| from + at);
                assert_eq!(spaces_from(bytes, from), naive, "{text:?} from {from}");
            }
            let mut newlines = Vec::new();
            each_newline(bytes, |at| newlines.push(at));
            let naive: Vec<usize> = (0..bytes.len()).filter(|&at| bytes[at] == b'\n').collect();
            assert_eq!(newlines, naive, "{text:?}");
            let naive = bytes.iter().any(|byte| matches!(byte, b'\t' | b'\r' | b'\0'));
            assert_eq!(has_tab_cr_or_nul(bytes), naive, "{text:?}");
            let naive = bytes.iter().position(|&byte| byte == b'\t' || byte == b'a').unwrap_or(bytes.len());
            assert_eq!(first_of(bytes, b'\t', b'a'), naive, "{text:?}");
        }
    }

    /// The split with every line looked at, as `split_inclusive` gives them.
    fn split_documents_line_by_line(text: &str) -> Vec<(usize, usize, u32)> {
        let mut split = Split::default();
        let mut offset = 0;
        for (line_number, line) in (1u32..).zip(text.split_inclusive('\n')) {
            split.line(line, offset, line_number);
            offset += line.len();
        }
        split.end(text.len()).into_iter().map(|chunk| (chunk.start, chunk.end, chunk.first_line)).collect()
    }

    #[test]
    fn documents_split_where_every_line_looked_at_splits_them() {
        let lines = [
            "---\n",
            "--- # c\n",
            "--- a: 1\n",
            "---x\n",
            "...\n",
            "... \n",
            "....\n",
            "a: 1\n",
            "  - b\n",
            "# c\n",
            "\n",
            "%YAML 1.2\n",
            "\u{a0}\n",
            "-\n",
            ".\n",
            "- x\n",
            "---",
            "...",
            "a: é\r\n",
            "---\r\n",
        ];
        let mut random = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut text = String::new();
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            let mut pick = random;
            for _ in 0..(random % 9) {
                text.push_str(lines[(pick % lines.len() as u64) as usize]);
                pick /= lines.len() as u64;
            }
            let ours: Vec<_> =
                split_documents(&text).into_iter().map(|chunk| (chunk.start, chunk.end, chunk.first_line)).collect();
            assert_eq!(ours, split_documents_line_by_line(&text), "{text:?}");
        }
    }

    fn lc(span: Span) -> (u32, u32) {
        (span.line, span.column)
    }

    fn parse(text: &str) -> (Vec<Document>, Vec<ParseError>) {
        parse_source(&Source::new("test.yaml", text), &Limits::default())
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let (documents, errors) = parse("a: 1\nb:\n  c: [x, \"y\"]\n");
        assert!(errors.is_empty());
        let root = &documents[0].root;
        assert_eq!(lc(root.entry("b").unwrap().key_span), (2, 1));
        assert_eq!(lc(root.locate("b.c")), (3, 3));
        assert_eq!(lc(root.locate("b.c[1]")), (3, 10));
        assert_eq!(lc(root.locate("b.c[7].missing")), (3, 3));
        let (documents, _) = parse("items:\n- name: app\n  image: x\n");
        assert_eq!(lc(documents[0].root.locate("items[0]")), (2, 3));
        assert_eq!(lc(documents[0].root.span), (1, 1));
    }

    #[test]
    fn nodes_know_their_byte_range() {
        let text = "a: 1\nb: \"héllo\"\nc: [x, yz]\n---\nd: é2\n";
        let (documents, _) = parse(text);
        let root = &documents[0].root;
        let b = root.field("b");
        assert_eq!(&text[b.span.offset as usize..b.end as usize], "\"héllo\"");
        let yz = &root.field("c").items()[1];
        assert_eq!(&text[yz.span.offset as usize..yz.end as usize], "yz");
        let c = root.field("c");
        assert_eq!(&text[c.span.offset as usize..c.end as usize], "[x, yz]");
        let d = documents[1].root.field("d");
        assert_eq!(&text[d.span.offset as usize..d.end as usize], "é2");
        assert_eq!(documents[1].root.entry("d").unwrap().key_span.offset as usize, text.find("d:").unwrap());
    }

    #[test]
    fn a_quoted_value_ends_at_its_closing_quote_before_a_comment() {
        let text = "a: \"x \\\" y\" # why\nb: 'it''s' # note\nc: \"two\n  lines\"   # end\nd: plain # comment\ne: {}  # none\nf: [ ] # none\n";
        let (documents, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        let root = &documents[0].root;
        let text_of = |key: &str| {
            let node = root.field(key);
            &text[node.span.offset as usize..node.end as usize]
        };
        assert_eq!(text_of("a"), "\"x \\\" y\"");
        assert_eq!(text_of("b"), "'it''s'");
        assert_eq!(text_of("c"), "\"two\n  lines\"");
        assert_eq!(text_of("d"), "plain");
        assert_eq!(text_of("e"), "{}");
        assert_eq!(text_of("f"), "[ ]");
        // The fast path reads the same document to the same ends.
        fast_path_agrees(text).unwrap();
    }

    #[test]
    fn a_dash_before_a_flow_indicator_is_left_to_the_general_parser() {
        // The general parser reads ` -` before `]`, `,` or `}` inside a flow collection as a
        // scalar starting with `-` and refuses it; the fast path agrees (found by fuzzing).
        for text in ["a: [x -]\n", "a: [x  -, y]\n", "a: {k: x -}\n"] {
            let (documents, errors) = parse(text);
            assert!(documents.is_empty(), "{text}");
            assert_eq!(errors.len(), 1, "{text}: {errors:?}");
            assert_eq!(fast_path_agrees(text), Ok(0), "{text}");
        }
        for text in ["a: [x-]\n", "a: [x - y]\n", "a: [-1, -x]\n"] {
            let (documents, errors) = parse(text);
            assert!(errors.is_empty() && documents.len() == 1, "{text}: {errors:?}");
            assert_eq!(fast_path_agrees(text), Ok(1), "{text}");
        }
    }

    #[test]
    fn a_plain_key_longer_than_yaml_allows_is_refused_by_both_parsers() {
        // YAML limits an implicit key to 1,024 characters; the fast path must not accept
        // what the general parser refuses (found by fuzzing).
        let long = format!("{}: b\n", "a".repeat(1025));
        let (documents, errors) = parse(&long);
        assert!(documents.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(fast_path_agrees(&long), Ok(0), "the fast path leaves it to the general parser");
        // Characters, not bytes: 1,024 two-byte characters still make a key.
        let fits = format!("{}: b\n", "é".repeat(1024));
        let (documents, errors) = parse(&fits);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(documents.len(), 1);
        assert_eq!(fast_path_agrees(&fits), Ok(1));
    }

    #[test]
    fn documents_are_split_and_a_broken_one_does_not_hide_the_others() {
        let text = "---\na: 1\n---\n# only a comment\n---\nb: [1, 2\nc: 3\n---\nd: 4\n...\n";
        let (documents, errors) = parse(text);
        assert_eq!(documents.len(), 2);
        assert_eq!(lc(documents[1].root.locate("d")), (9, 1));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 7, "{errors:?}");
    }

    #[test]
    fn crlf_json_and_bom_are_read() {
        let (documents, errors) = parse("\u{feff}a: 1\r\nb:\r\n  - x\r\n");
        assert!(errors.is_empty());
        assert_eq!(lc(documents[0].root.locate("b[0]")), (3, 5));
        let (documents, errors) = parse("{\n  \"kind\": \"Pod\",\n  \"spec\": {\"hostPID\": true}\n}\n");
        assert!(errors.is_empty());
        assert_eq!(documents[0].root.at(&["spec", "hostPID"]).unwrap().as_bool(), Some(true));
        assert_eq!(lc(documents[0].root.locate("spec.hostPID")), (3, 12));
    }

    #[test]
    fn scalars_are_typed_as_kubernetes_reads_them() {
        let (documents, _) = parse("a: yes\nb: 'yes'\nc: 0755\nd: 1.5\ne: ~\nf: 1e3\ng: v1.2\nh: 10000\n");
        let root = &documents[0].root;
        assert_eq!(root.field("a").as_bool(), Some(true));
        assert_eq!(root.field("b").as_str(), Some("yes"));
        assert_eq!(root.field("c").as_i64(), Some(0o755));
        assert_eq!(root.field("d").value, Value::Float(1.5));
        assert!(root.field("e").is_null());
        assert_eq!(root.field("f").value, Value::Float(1000.0));
        assert_eq!(root.field("g").as_str(), Some("v1.2"));
        assert_eq!(root.field("h").as_i64(), Some(10000));
    }

    #[test]
    fn anchors_and_merge_keys_expand() {
        let (documents, errors) = parse("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
        assert!(errors.is_empty(), "{errors:?}");
        let other = documents[0].root.field("other");
        assert_eq!(other.field("x").as_i64(), Some(1));
        assert_eq!(other.field("y").as_i64(), Some(3));
    }

    #[test]
    fn alias_bombs_deep_nesting_and_huge_inputs_are_refused() {
        let mut bomb =
            String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        let mut previous = 'a';
        for name in 'b'..='k' {
            bomb.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
            previous = name;
        }
        let (documents, errors) = parse(&bomb);
        assert!(documents.is_empty());
        assert!(errors[0].message.contains("expands to more than"), "{errors:?}");

        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let (documents, errors) = parse(&deep);
        assert!(documents.is_empty());
        assert!(errors[0].message.contains("nesting deeper"), "{errors:?}");

        let limits = Limits { max_source_bytes: 10, ..Limits::default() };
        let (_, errors) = parse_source(&Source::new("big.yaml", "a: 123456789\n"), &limits);
        assert!(errors[0].message.contains("more than the limit"));
    }
}
