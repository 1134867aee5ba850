//! A fast path for the YAML that Kubernetes manifests are made of.
//!
//! Most manifests use a small part of YAML: block mappings and sequences, one-line plain or
//! quoted scalars, small one-line flow collections (`[a, b]`, `{}`), comments. This module
//! reads exactly that part, line by line, several times faster than the general parser,
//! and builds the same positioned tree. Anything else — anchors, aliases, tags, block or
//! multi-line scalars, complex keys, tabs, directives, anything it is not sure of — makes it
//! give up (`None`), and the caller parses the document with the general parser, which is
//! also the one that reports errors. A differential test holds the two to the same trees.

use crate::parse::resolve_plain;
use crate::tree::{Entry, Node, Span, Text, Value};

/// Parses one document (a chunk of a source starting at `byte_offset`, on `first_line`).
/// `None` means "not sure": use the general parser.
pub(crate) fn parse_document(text: &str, byte_offset: usize, first_line: u32, max_depth: usize) -> Option<Node> {
    // About one line in thirty bytes of manifest: sized once, not regrown line by line.
    let mut lines = Vec::with_capacity(text.len() / 30 + 4);
    // Tabs, carriage returns and NULs are left to the general parser (NUL ends its input,
    // "found unprintable character": it says where). Both scans read eight bytes at a time.
    let bytes = text.as_bytes();
    if crate::parse::has_tab_cr_or_nul(bytes) {
        return None;
    }
    let mut at = 0;
    let mut number = first_line;
    while at < bytes.len() {
        let start = at;
        at = crate::parse::spaces_from(bytes, at);
        let indent = at - start;
        let first = bytes.get(at).copied();
        at = crate::parse::newline_from(bytes, at);
        if !matches!(first, None | Some(b'\n' | b'#')) {
            // Directives and document end markers are left to the general parser.
            if indent == 0 && (first == Some(b'%') || bytes[start..].starts_with(b"...")) {
                return None;
            }
            lines.push(Line { start, indent, end: at, number });
        }
        at += 1;
        number += 1;
    }
    let mut parser = FastParser {
        text,
        byte_offset,
        // Columns count characters: in an ASCII document (nearly every manifest) they are
        // the byte columns, and no line's prefix is looked at again.
        ascii: bytes.is_ascii(),
        lines,
        position: 0,
        column_override: None,
        max_depth,
        entries: Vec::with_capacity(32),
        keys: Vec::with_capacity(32),
        items: Vec::with_capacity(16),
    };
    // A leading `---` line (alone, or with a comment) opens the document.
    if let Some(first) = parser.lines.first() {
        let content = &text[first.start + first.indent..first.end];
        if first.indent == 0 && content.starts_with("---") {
            let rest = content[3..].trim_start_matches(' ');
            if !(rest.is_empty() || rest.starts_with('#')) || !(content.len() == 3 || content.as_bytes()[3] == b' ') {
                return None;
            }
            parser.position = 1;
        }
    }
    let root = parser.block_node(0, 0)?;
    (parser.position == parser.lines.len()).then_some(root)
}

/// A line with content (blank and comment-only lines are left out).
struct Line {
    start: usize,
    indent: usize,
    end: usize,
    number: u32,
}

struct FastParser<'t> {
    text: &'t str,
    byte_offset: usize,
    /// The document is all ASCII: a byte column is a character column.
    ascii: bool,
    lines: Vec<Line>,
    /// The line being read.
    position: usize,
    /// When a mapping starts inside a sequence item (`- name: x`), the current line is read
    /// as if it started at this column.
    column_override: Option<usize>,
    max_depth: usize,
    /// The entries of the block mappings being read, innermost last: a mapping's entries
    /// are gathered here and moved into a vector of their exact length once it ends (one
    /// allocation per mapping instead of one per doubling, and no unused capacity kept).
    entries: Vec<Entry>,
    /// The keys of [`Self::entries`] as written, for the duplicate test (a comparison of two
    /// `&str`, not of a [`Text`] that first works out where its bytes are).
    keys: Vec<&'t str>,
    /// The same for the items of the block sequences being read.
    items: Vec<Node>,
}

impl<'t> FastParser<'t> {
    /// The indentation and content of the current line, if any.
    fn current(&self) -> Option<(usize, &'t str)> {
        let line = self.lines.get(self.position)?;
        let indent = self.column_override.unwrap_or(line.indent);
        Some((indent, &self.text[line.start + indent..line.end]))
    }

    /// The indentation of the next line after [`Self::advance`] (no column is overridden
    /// then), if any.
    fn next_indent(&self) -> Option<usize> {
        self.lines.get(self.position).map(|line| line.indent)
    }

    fn advance(&mut self) {
        self.position += 1;
        self.column_override = None;
    }

    /// The span of a byte offset within the current line (columns count characters).
    fn span_at(&self, line_position: usize, column_bytes: usize) -> Span {
        let line = &self.lines[line_position];
        let column = if self.ascii {
            column_bytes
        } else {
            let prefix = &self.text[line.start..line.start + column_bytes];
            if prefix.is_ascii() {
                column_bytes
            } else {
                prefix.chars().count()
            }
        };
        Span {
            line: line.number,
            column: column as u32 + 1,
            offset: (self.byte_offset + line.start + column_bytes) as u32,
        }
    }

    fn offset_of(&self, line_position: usize, column_bytes: usize) -> u32 {
        (self.byte_offset + self.lines[line_position].start + column_bytes) as u32
    }

    /// A block node whose lines are indented at least `minimum`.
    fn block_node(&mut self, minimum: usize, depth: usize) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let (indent, content) = self.current()?;
        if indent < minimum {
            return None;
        }
        if content == "-" || content.starts_with("- ") {
            self.sequence(indent, depth + 1, false)
        } else {
            self.mapping(indent, depth + 1)
        }
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let first = self.entries.len();
        let mut span = None;
        while let Some((line_indent, content)) = self.current() {
            if line_indent < indent {
                break;
            }
            if line_indent > indent || content.starts_with("- ") || content == "-" {
                return None;
            }
            let line_position = self.position;
            let (key, key_length) = read_key(content)?;
            // Keys of equal length mostly differ in their first byte: tested before the rest.
            let duplicate = self.keys[first..].iter().any(|seen| {
                seen.len() == key.len() && seen.as_bytes().first() == key.as_bytes().first() && *seen == key
            });
            if key == "<<" || duplicate {
                return None;
            }
            let key_span = self.span_at(line_position, indent);
            span.get_or_insert(key_span);
            // After the key: `:` then a space, or the end of the line.
            let after_colon = indent + key_length + 1;
            let rest = &self.text[self.lines[line_position].start + after_colon..self.lines[line_position].end];
            let value_text = rest.trim_start_matches(' ');
            let value_start = after_colon + (rest.len() - value_text.len());
            let value = if value_text.starts_with('|') {
                self.literal_block(line_position, value_start, indent)?
            } else if value_text.is_empty() || value_text.starts_with('#') {
                self.advance();
                match self.current() {
                    Some((next_indent, _)) if next_indent > indent => self.block_node(indent + 1, depth)?,
                    // A sequence may sit at its key's own indentation.
                    Some((next_indent, next)) if next_indent == indent && (next.starts_with("- ") || next == "-") => {
                        self.sequence(indent, depth + 1, true)?
                    }
                    _ => {
                        // An empty value sits at its key's colon.
                        let colon_span = self.span_at(line_position, indent + key_length);
                        Node { value: Value::Null, span: colon_span, end: colon_span.offset }
                    }
                }
            } else {
                let node = self.inline_value(line_position, value_start, depth)?;
                self.advance();
                // A more indented line after a one-line value would continue a multi-line
                // scalar (or be an error): leave that to the general parser.
                if self.next_indent().is_some_and(|next_indent| next_indent > indent) {
                    return None;
                }
                node
            };
            self.entries.push(Entry { key: Text::from(key), key_span, value });
            self.keys.push(key);
        }
        let span = span?;
        let end = self.entries.last().filter(|_| self.entries.len() > first)?.value.end;
        let entries: Box<[Entry]> = self.entries.drain(first..).collect();
        self.keys.truncate(first);
        Some(Node { value: Value::Map(entries), span, end })
    }

    /// A block sequence at `indent`. The general parser marks an indented sequence at its
    /// first `-`, and one at its key's own indentation ("indentless") at its first item.
    fn sequence(&mut self, indent: usize, depth: usize, indentless: bool) -> Option<Node> {
        if depth >= self.max_depth {
            return None;
        }
        let first = self.items.len();
        let dash_span = self.span_at(self.position, indent);
        while let Some((line_indent, content)) = self.current() {
            if line_indent < indent || !(content.starts_with("- ") || content == "-") {
                if line_indent > indent {
                    return None;
                }
                break;
            }
            if line_indent > indent {
                return None;
            }
            let line_position = self.position;
            let after_dash = &content[1..];
            let spaces = after_dash.len() - after_dash.trim_start_matches(' ').len();
            let item_text = &after_dash[spaces..];
            let item_column = indent + 1 + spaces;
            if item_text.is_empty() || item_text.starts_with('#') || item_text.starts_with("- ") || item_text == "-" {
                return None;
            }
            let item = if read_key(item_text).is_some() && !starts_inline_value(item_text) {
                // A mapping starting on the item's line, continued at the key's column.
                self.column_override = Some(item_column);
                self.mapping(item_column, depth + 1)?
            } else {
                let node = self.inline_value(line_position, item_column, depth)?;
                self.advance();
                if self.next_indent().is_some_and(|next_indent| next_indent > indent) {
                    return None;
                }
                node
            };
            self.items.push(item);
        }
        let span = if indentless { self.items.get(first)?.span } else { dash_span };
        let end = self.items.last().filter(|_| self.items.len() > first)?.end;
        let items: Box<[Node]> = self.items.drain(first..).collect();
        Some(Node { value: Value::Seq(items), span, end })
    }

    /// A literal block scalar (`|`, `|-`, `|+`) whose header is on the current line at
    /// `column`, under a mapping key at `parent_indent`. Leaves the position on the first
    /// line after the block.
    fn literal_block(&mut self, line_position: usize, column: usize, parent_indent: usize) -> Option<Node> {
        let line = &self.lines[line_position];
        let header = &self.text[line.start + column..line.end];
        let (chomping, rest) = match header.as_bytes().get(1) {
            Some(b'-') => (Chomping::Strip, &header[2..]),
            Some(b'+') => (Chomping::Keep, &header[2..]),
            _ => (Chomping::Clip, &header[1..]),
        };
        let rest_trimmed = rest.trim_start_matches(' ');
        if !(rest_trimmed.is_empty() || (rest_trimmed.starts_with('#') && rest.starts_with(' '))) {
            return None;
        }
        // Read raw lines (comment-looking lines inside the block are content).
        let mut at = line.end + 1;
        if at > self.text.len() {
            return None;
        }
        let mut content_indent = None;
        let mut value = Text::default();
        let mut first_content: Option<(usize, usize)> = None;
        let mut last_content_end = 0;
        let mut pending_newlines = 0;
        let mut block_end = at;
        while at < self.text.len() {
            let line_end = self.text[at..].find('\n').map_or(self.text.len(), |index| at + index);
            let raw = &self.text[at..line_end];
            let content = raw.trim_start_matches(' ');
            let indent = raw.len() - content.len();
            if content.is_empty() {
                if !raw.is_empty() || first_content.is_none() {
                    // Spaces-only lines and leading empty lines have subtle rules.
                    return None;
                }
                pending_newlines += 1;
            } else {
                let required = *content_indent.get_or_insert(indent);
                if indent < required {
                    break;
                }
                if required <= parent_indent {
                    return None;
                }
                if line_end == self.text.len() {
                    // A last line without a line break: left to the general parser.
                    return None;
                }
                for _ in 0..pending_newlines {
                    value.push('\n');
                }
                pending_newlines = 0;
                if first_content.is_none() {
                    first_content = Some((at, required));
                } else {
                    value.push('\n');
                }
                value.push_str(&raw[required..]);
                last_content_end = at + raw.trim_end_matches(' ').len();
            }
            block_end = line_end + 1;
            at = line_end + 1;
        }
        let (first_start, first_indent) = first_content?;
        match chomping {
            Chomping::Strip => {}
            Chomping::Clip => value.push('\n'),
            Chomping::Keep => {
                value.push('\n');
                for _ in 0..pending_newlines {
                    value.push('\n');
                }
            }
        }
        // Continue at the first line with content after the block.
        while self.lines.get(self.position).is_some_and(|line| line.start < block_end) {
            self.position += 1;
        }
        self.column_override = None;
        let first_line = self.lines.iter().position(|line| line.start == first_start)?;
        let span = self.span_at(first_line, first_indent);
        let end = (self.byte_offset + last_content_end) as u32;
        Some(Node { value: Value::String(value), span, end })
    }

    /// A value that fits on its line from `column` on: a flow collection or a scalar,
    /// followed by nothing but a comment.
    fn inline_value(&self, line_position: usize, column: usize, depth: usize) -> Option<Node> {
        let line = &self.lines[line_position];
        let text = &self.text[line.start..line.end];
        let mut reader = Inline { text, at: column };
        let node = reader.value(self, line_position, depth, false)?;
        reader.skip_spaces();
        let rest = &text[reader.at..];
        (rest.is_empty() || (rest.starts_with('#') && text.as_bytes()[reader.at - 1] == b' ')).then_some(node)
    }
}

#[derive(Clone, Copy)]
enum Chomping {
    Clip,
    Strip,
    Keep,
}

/// Whether a sequence item's text starts a value rather than a mapping key.
fn starts_inline_value(text: &str) -> bool {
    text.starts_with(['[', '{', '"', '\''])
}

/// Reads a block mapping key at the start of `content`: a plain scalar ending at `: ` or at
/// a `:` that ends the line. Returns the key and its length in bytes.
fn read_key(content: &str) -> Option<(&str, usize)> {
    let first = content.as_bytes().first()?;
    if is_indicator(*first) || matches!(first, b'\'' | b'"') {
        return None;
    }
    let bytes = content.as_bytes();
    let mut index = 0;
    // From one `:` or `#` to the next, eight bytes at a time (keys are a dozen bytes).
    while index < bytes.len() {
        index += crate::parse::first_of(&bytes[index..], b':', b'#');
        match bytes.get(index)? {
            b':' if index + 1 == bytes.len() || bytes[index + 1] == b' ' => {
                let key = content[..index].trim_end_matches(' ');
                if key.len() != index || !within_key_limit(key) {
                    return None;
                }
                return Some((key, index));
            }
            b'#' if index > 0 && bytes[index - 1] == b' ' => return None,
            _ => index += 1,
        }
    }
    None
}

/// YAML allows an implicit key of at most 1,024 characters; the general parser refuses a
/// longer one, so the fast path leaves such a document to it (and its error).
fn within_key_limit(key: &str) -> bool {
    const MAX_IMPLICIT_KEY: usize = 1024;
    key.len() <= MAX_IMPLICIT_KEY || key.chars().count() <= MAX_IMPLICIT_KEY
}

/// Whether a byte is a YAML indicator that cannot start a plain scalar without care.
fn is_indicator(byte: u8) -> bool {
    matches!(
        byte,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// Reads values within one line.
struct Inline<'t> {
    text: &'t str,
    at: usize,
}

impl Inline<'_> {
    fn skip_spaces(&mut self) {
        while self.text.as_bytes().get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// A scalar or a flow collection at the current position. `in_flow`: inside `[…]` or
    /// `{…}`, where `,` `]` `}` end a plain scalar.
    fn value(&mut self, parser: &FastParser<'_>, line_position: usize, depth: usize, in_flow: bool) -> Option<Node> {
        if depth >= parser.max_depth {
            return None;
        }
        let start = self.at;
        let span = parser.span_at(line_position, start);
        match self.peek()? {
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_spaces();
                    if self.peek()? == b']' {
                        self.at += 1;
                        break;
                    }
                    items.push(self.value(parser, line_position, depth + 1, true)?);
                    self.skip_spaces();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                let end = parser.offset_of(line_position, self.at);
                Some(Node { value: Value::Seq(items.into()), span, end })
            }
            b'{' => {
                self.at += 1;
                let mut entries: Vec<Entry> = Vec::new();
                loop {
                    self.skip_spaces();
                    if self.peek()? == b'}' {
                        self.at += 1;
                        break;
                    }
                    let key_start = self.at;
                    let key_node = self.scalar(parser, line_position, true, true)?;
                    let Value::String(_) = &key_node.value else { return None };
                    let key = self.text[key_start..].get(..(key_node.end - key_node.span.offset) as usize)?;
                    if key.starts_with(['"', '\''])
                        || key == "<<"
                        || !within_key_limit(key)
                        || entries.iter().any(|entry| entry.key == key)
                    {
                        return None;
                    }
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.at += 1;
                    if self.peek()? != b' ' {
                        return None;
                    }
                    self.skip_spaces();
                    let value = self.value(parser, line_position, depth + 1, true)?;
                    entries.push(Entry { key: Text::from(key), key_span: key_node.span, value });
                    self.skip_spaces();
                    match self.peek()? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                let end = parser.offset_of(line_position, self.at);
                Some(Node { value: Value::Map(entries.into()), span, end })
            }
            _ => self.scalar_at(parser, line_position, span, in_flow, false),
        }
    }

    /// A plain or quoted scalar. A plain key inside a flow mapping stops at `:`.
    fn scalar(&mut self, parser: &FastParser<'_>, line_position: usize, in_flow: bool, is_key: bool) -> Option<Node> {
        let span = parser.span_at(line_position, self.at);
        self.scalar_at(parser, line_position, span, in_flow, is_key)
    }

    /// [`Inline::scalar`] starting here, at `span` (already worked out by the caller).
    fn scalar_at(
        &mut self,
        parser: &FastParser<'_>,
        line_position: usize,
        span: Span,
        in_flow: bool,
        is_key: bool,
    ) -> Option<Node> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        match bytes[start] {
            b'\'' => {
                let mut index = start + 1;
                // Most quoted scalars hold no quote of their own: made in one go.
                let close = self.text[index..].find('\'')? + index;
                if bytes.get(close + 1) != Some(&b'\'') {
                    self.at = close + 1;
                    let end = parser.offset_of(line_position, self.at);
                    return Some(Node { value: Value::String(Text::from(&self.text[index..close])), span, end });
                }
                let mut value = Text::default();
                loop {
                    let next = self.text[index..].find('\'')? + index;
                    value.push_str(&self.text[index..next]);
                    if bytes.get(next + 1) == Some(&b'\'') {
                        value.push('\'');
                        index = next + 2;
                    } else {
                        self.at = next + 1;
                        break;
                    }
                }
                let end = parser.offset_of(line_position, self.at);
                Some(Node { value: Value::String(value), span, end })
            }
            b'"' => {
                let mut index = start + 1;
                // The closing quote or an escape, eight bytes at a time; most quoted scalars
                // hold no escape and are made in one go.
                let first_stop = index + crate::parse::first_of(&bytes[index..], b'"', b'\\');
                if bytes.get(first_stop) == Some(&b'"') {
                    self.at = first_stop + 1;
                    let end = parser.offset_of(line_position, self.at);
                    return Some(Node { value: Value::String(Text::from(&self.text[index..first_stop])), span, end });
                }
                let mut value = Text::default();
                loop {
                    let next = index + crate::parse::first_of(&bytes[index..], b'"', b'\\');
                    if next >= bytes.len() {
                        return None;
                    }
                    value.push_str(&self.text[index..next]);
                    if bytes[next] == b'"' {
                        self.at = next + 1;
                        break;
                    }
                    let escaped = match bytes.get(next + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'n' => '\n',
                        b't' => '\t',
                        b'r' => '\r',
                        b'0' => '\0',
                        _ => return None,
                    };
                    value.push(escaped);
                    index = next + 2;
                }
                let end = parser.offset_of(line_position, self.at);
                Some(Node { value: Value::String(value), span, end })
            }
            first => {
                if is_indicator(first) {
                    // A plain scalar may start with `-` when a non-space follows (`-1`,
                    // `--port=8080`); the other indicators are left to the general parser.
                    let safe_next = bytes.get(start + 1).is_some_and(|next| {
                        *next != b' ' && !(in_flow && matches!(next, b',' | b'[' | b']' | b'{' | b'}'))
                    });
                    if !(first == b'-' && safe_next) {
                        return None;
                    }
                }
                let mut index = start;
                let mut last_content = start;
                if !in_flow {
                    // Outside flow collections only `: ` (or a `:` ending the line) and ` #`
                    // end a plain scalar: searched from one `:` or `#` to the next, eight
                    // bytes at a time, and the trailing spaces trimmed once.
                    while index < bytes.len() {
                        index += crate::parse::first_of(&bytes[index..], b':', b'#');
                        let Some(&byte) = bytes.get(index) else { break };
                        let ends_plain = if byte == b':' {
                            index + 1 == bytes.len() || bytes[index + 1] == b' '
                        } else {
                            index > start && bytes[index - 1] == b' '
                        };
                        if ends_plain {
                            break;
                        }
                        index += 1;
                    }
                    let index = index.min(bytes.len());
                    last_content = start + self.text[start..index].trim_end_matches(' ').len();
                    if index < bytes.len() && bytes[index] == b':' && !is_key {
                        return None;
                    }
                    let plain = &self.text[start..last_content];
                    self.at = last_content;
                    let end = parser.offset_of(line_position, last_content);
                    return Some(Node { value: resolve_plain(plain), span, end });
                }
                while index < bytes.len() {
                    let byte = bytes[index];
                    let next = bytes.get(index + 1).copied();
                    let ends_plain = match byte {
                        b':' => {
                            next.is_none()
                                || next == Some(b' ')
                                || (in_flow && matches!(next, Some(b',' | b']' | b'}')))
                        }
                        b'#' => index > start && bytes[index - 1] == b' ',
                        b',' | b']' | b'}' | b'[' | b'{' => in_flow,
                        // In a flow collection the general parser reads ` -` before a flow
                        // indicator as a new scalar starting with `-` and refuses it.
                        b'-' if in_flow
                            && index > start
                            && bytes[index - 1] == b' '
                            && matches!(next, Some(b',' | b'[' | b']' | b'{' | b'}')) =>
                        {
                            return None
                        }
                        _ => false,
                    };
                    if ends_plain {
                        break;
                    }
                    if byte != b' ' {
                        last_content = index + 1;
                    }
                    index += 1;
                }
                if index < bytes.len() && bytes[index] == b':' && !is_key {
                    // `a: b: c` is an error; `key: value` inside a sequence item is a mapping.
                    return None;
                }
                if in_flow && !is_key && index < bytes.len() && matches!(bytes[index], b'[' | b'{') {
                    return None;
                }
                let plain = &self.text[start..last_content];
                self.at = last_content;
                let end = parser.offset_of(line_position, last_content);
                Some(Node { value: resolve_plain(plain), span, end })
            }
        }
    }
}
