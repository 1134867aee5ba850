//! CEL text to a resolved tree: a lexer, a recursive-descent parser following the CEL
//! grammar's precedence, macro expansion, and resolution of identifiers and functions
//! against the [`Env`], so that everything an expression names is known before it runs.

use std::rc::Rc;

use crate::functions::{self, Func};
use crate::value::{Type, Value};
use crate::Error;

/// How deep expressions may nest (parentheses, calls, operators): bounds the recursion of
/// the parser and the interpreter, as cel-go's parser limit does.
pub const MAX_DEPTH: u32 = 48;
/// How deep the tree may grow with chains of operators, selections and calls besides
/// nesting (`a + b + … `, `x.f().g()…`): every phase after parsing recurses through it, so
/// it is bounded well within the smallest stack the engine runs on (WebAssembly's).
pub const MAX_TREE_DEPTH: u32 = 250;
/// The longest expression accepted, in bytes (Kubernetes' limit on an expression's size
/// is of the same order).
pub const MAX_LENGTH: usize = 100_000;

/// What an expression may name: its global variables (in order, read by index from the
/// activation), and the lazily evaluated `variables.*` it may use.
#[derive(Clone, Debug, Default)]
pub struct Env {
    pub globals: Vec<String>,
    pub variables: Vec<String>,
    /// Identifiers that are known but unsupported, with the error to give (`authorizer`).
    pub unsupported: Vec<(String, String)>,
}

/// A resolved expression node; `offset` is its byte position in the text.
#[derive(Clone, Debug)]
pub struct Expr {
    pub offset: u32,
    pub kind: ExprKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Macro {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
    /// cel-go's two-variable comprehensions (`transformList(i, v, …)` …).
    TransformList,
    TransformMap,
    TransformMapEntry,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Literal(Value),
    /// A global variable, by index in [`Env::globals`].
    Global(usize),
    /// A comprehension or binding variable, by slot.
    Local(usize),
    /// `variables.name`, by index in [`Env::variables`].
    Variable(usize),
    Select {
        operand: Box<Expr>,
        field: Rc<str>,
        optional: bool,
    },
    Has {
        operand: Box<Expr>,
        field: Rc<str>,
    },
    Index {
        operand: Box<Expr>,
        index: Box<Expr>,
        optional: bool,
    },
    Call {
        func: Func,
        args: Vec<Expr>,
    },
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    List(Vec<(Expr, bool)>),
    Map(Vec<(Expr, Expr, bool)>),
    Comprehension {
        kind: Macro,
        range: Box<Expr>,
        /// The slot of the iteration variable; with two variables, the first is the index
        /// or key and the second the value.
        slot: usize,
        two_variables: bool,
        /// The predicate or transform; for `map` with a filter, `[filter, transform]`.
        body: Vec<Expr>,
    },
    Bind {
        slot: usize,
        init: Box<Expr>,
        body: Box<Expr>,
    },
    OptMap {
        operand: Box<Expr>,
        slot: usize,
        body: Box<Expr>,
        flat: bool,
    },
}

// ---------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Int(u64),
    Uint(u64),
    Double(f64),
    String(String),
    Bytes(Vec<u8>),
    Punct(&'static str),
    End,
}

const PUNCTUATION: [&str; 26] = [
    "==", "!=", "<=", ">=", "&&", "||", ".?", "[?", "<", ">", "+", "-", "*", "/", "%", "!", "?", ":", ".", ",", "(",
    ")", "[", "]", "{", "}",
];

const RESERVED: [&str; 16] = [
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
];

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Lexer<'a> {
    fn skip_space(&mut self) {
        loop {
            while self.at < self.bytes.len() && matches!(self.bytes[self.at], b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
                self.at += 1;
            }
            if self.bytes[self.at..].starts_with(b"//") {
                while self.at < self.bytes.len() && self.bytes[self.at] != b'\n' {
                    self.at += 1;
                }
            } else {
                return;
            }
        }
    }

    fn next(&mut self) -> Result<(Token, u32), Error> {
        self.skip_space();
        let start = self.at;
        let offset = start as u32;
        let Some(&first) = self.bytes.get(start) else { return Ok((Token::End, offset)) };
        if first.is_ascii_alphabetic() || first == b'_' {
            while self.at < self.bytes.len()
                && (self.bytes[self.at].is_ascii_alphanumeric() || self.bytes[self.at] == b'_')
            {
                self.at += 1;
            }
            let word = &self.text[start..self.at];
            // String and bytes prefixes.
            let next = self.bytes.get(self.at).copied();
            if matches!(next, Some(b'"' | b'\'')) {
                let lower = word.to_ascii_lowercase();
                if matches!(lower.as_str(), "r" | "b" | "rb" | "br") {
                    let raw = lower.contains('r');
                    let bytes = lower.contains('b');
                    let content = self.quoted(raw, bytes)?;
                    return Ok((
                        if bytes {
                            Token::Bytes(content)
                        } else {
                            Token::String(
                                String::from_utf8(content)
                                    .map_err(|_| Error::new("invalid UTF-8 in string", offset))?,
                            )
                        },
                        offset,
                    ));
                }
            }
            return Ok((Token::Ident(word.to_string()), offset));
        }
        if first.is_ascii_digit() || (first == b'.' && self.bytes.get(start + 1).is_some_and(u8::is_ascii_digit)) {
            return self.number().map(|token| (token, offset));
        }
        if first == b'"' || first == b'\'' {
            let content = self.quoted(false, false)?;
            return Ok((
                Token::String(String::from_utf8(content).map_err(|_| Error::new("invalid UTF-8 in string", offset))?),
                offset,
            ));
        }
        for punct in PUNCTUATION {
            if self.bytes[start..].starts_with(punct.as_bytes()) {
                // `.?` must be followed by an identifier, else `a.?b` vs `x ?.5:…` ambiguity;
                // CEL only has `.?field`, so take it only before a letter.
                if punct == ".?"
                    && !self.bytes.get(start + 2).is_some_and(|byte| byte.is_ascii_alphabetic() || *byte == b'_')
                {
                    continue;
                }
                self.at += punct.len();
                return Ok((Token::Punct(punct), offset));
            }
        }
        let character = self.text[start..].chars().next().unwrap_or('?');
        Err(Error::new(format!("unexpected character '{character}'"), offset))
    }

    fn number(&mut self) -> Result<Token, Error> {
        let start = self.at;
        let bytes = self.bytes;
        if bytes[start] == b'0' && matches!(bytes.get(start + 1), Some(b'x' | b'X')) {
            self.at += 2;
            let digits_start = self.at;
            while self.at < bytes.len() && bytes[self.at].is_ascii_hexdigit() {
                self.at += 1;
            }
            let digits = &self.text[digits_start..self.at];
            let value = u64::from_str_radix(digits, 16).map_err(|_| {
                Error::new(format!("invalid hexadecimal literal '{}'", &self.text[start..self.at]), start as u32)
            })?;
            return Ok(self.int_suffix(value));
        }
        while self.at < bytes.len() && bytes[self.at].is_ascii_digit() {
            self.at += 1;
        }
        let mut is_double = false;
        if self.at < bytes.len() && bytes[self.at] == b'.' && bytes.get(self.at + 1).is_some_and(u8::is_ascii_digit) {
            is_double = true;
            self.at += 1;
            while self.at < bytes.len() && bytes[self.at].is_ascii_digit() {
                self.at += 1;
            }
        }
        if self.at < bytes.len() && matches!(bytes[self.at], b'e' | b'E') {
            let mut probe = self.at + 1;
            if matches!(bytes.get(probe), Some(b'+' | b'-')) {
                probe += 1;
            }
            if bytes.get(probe).is_some_and(u8::is_ascii_digit) {
                is_double = true;
                self.at = probe;
                while self.at < bytes.len() && bytes[self.at].is_ascii_digit() {
                    self.at += 1;
                }
            }
        }
        let text = &self.text[start..self.at];
        if is_double {
            return text
                .parse::<f64>()
                .map(Token::Double)
                .map_err(|_| Error::new(format!("invalid number '{text}'"), start as u32));
        }
        let value = text
            .parse::<u64>()
            .map_err(|_| Error::new(format!("integer literal '{text}' is out of range"), start as u32))?;
        Ok(self.int_suffix(value))
    }

    fn int_suffix(&mut self, value: u64) -> Token {
        if matches!(self.bytes.get(self.at), Some(b'u' | b'U')) {
            self.at += 1;
            Token::Uint(value)
        } else {
            Token::Int(value)
        }
    }

    /// Reads a quoted string starting at `self.at` (the quote), with CEL's escapes.
    fn quoted(&mut self, raw: bool, bytes_literal: bool) -> Result<Vec<u8>, Error> {
        let start = self.at;
        let quote = self.bytes[start];
        let triple = self.bytes[start..].starts_with(&[quote, quote, quote]);
        self.at += if triple { 3 } else { 1 };
        let mut out = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(Error::new("unterminated string", start as u32));
            };
            if triple {
                if self.bytes[self.at..].starts_with(&[quote, quote, quote]) {
                    self.at += 3;
                    return Ok(out);
                }
            } else if byte == quote {
                self.at += 1;
                return Ok(out);
            } else if byte == b'\n' || byte == b'\r' {
                return Err(Error::new("newline in a single-quoted string", self.at as u32));
            }
            if byte == b'\\' && !raw {
                self.escape(&mut out, bytes_literal)?;
            } else {
                out.push(byte);
                self.at += 1;
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>, bytes_literal: bool) -> Result<(), Error> {
        let at = self.at;
        let Some(&kind) = self.bytes.get(at + 1) else { return Err(Error::new("unterminated escape", at as u32)) };
        self.at += 2;
        let simple = match kind {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' | b'\'' | b'"' | b'`' | b'?' => Some(kind),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            return Ok(());
        }
        let (count, radix, is_byte) = match kind {
            b'x' | b'X' => (2, 16, true),
            b'u' => (4, 16, false),
            b'U' => (8, 16, false),
            b'0'..=b'3' => {
                self.at -= 1;
                (3, 8, true)
            }
            _ => return Err(Error::new(format!("invalid escape '\\{}'", kind as char), at as u32)),
        };
        let digits =
            self.text.get(self.at..self.at + count).ok_or_else(|| Error::new("truncated escape", at as u32))?;
        let code = u32::from_str_radix(digits, radix)
            .map_err(|_| Error::new(format!("invalid escape '\\{}{digits}'", kind as char), at as u32))?;
        self.at += count;
        if is_byte && bytes_literal {
            out.push(code as u8);
            return Ok(());
        }
        if !is_byte && bytes_literal {
            return Err(Error::new("unicode escapes are not allowed in bytes literals", at as u32));
        }
        let character = char::from_u32(code).ok_or_else(|| Error::new("invalid code point in escape", at as u32))?;
        let mut buffer = [0; 4];
        out.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Parser: syntax to an unresolved tree.

/// The syntax tree before resolution.
#[derive(Clone, Debug)]
struct Syntax {
    offset: u32,
    kind: SyntaxKind,
}

#[derive(Clone, Debug)]
enum SyntaxKind {
    Literal(Value),
    Ident(String),
    Select(Box<Syntax>, String, bool),
    Index(Box<Syntax>, Box<Syntax>, bool),
    Call(Option<Box<Syntax>>, String, Vec<Syntax>),
    Unary(&'static str, Box<Syntax>),
    Binary(&'static str, Box<Syntax>, Box<Syntax>),
    Conditional(Box<Syntax>, Box<Syntax>, Box<Syntax>),
    List(Vec<(Syntax, bool)>),
    Map(Vec<(Syntax, Syntax, bool)>),
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    token: Token,
    offset: u32,
    depth: u32,
    /// The depth that chains (left-deep operators, member selections) add to the tree.
    chain: u32,
}

impl Parser<'_> {
    /// One more link of a left-deep chain.
    fn link(&mut self) -> Result<(), Error> {
        self.chain += 1;
        if self.depth + self.chain > MAX_TREE_DEPTH {
            return Err(Error::new(
                format!(
                    "expression is deeper than {MAX_TREE_DEPTH} levels (a chain of operators or selections that long)"
                ),
                self.offset,
            ));
        }
        Ok(())
    }

    fn advance(&mut self) -> Result<(), Error> {
        let (token, offset) = self.lexer.next()?;
        self.token = token;
        self.offset = offset;
        Ok(())
    }

    fn is(&self, punct: &str) -> bool {
        matches!(&self.token, Token::Punct(found) if *found == punct)
    }

    fn eat(&mut self, punct: &str) -> Result<bool, Error> {
        if self.is(punct) {
            self.advance()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn expect(&mut self, punct: &str) -> Result<(), Error> {
        if self.eat(punct)? {
            return Ok(());
        }
        Err(Error::new(format!("expected '{punct}', found {}", describe(&self.token)), self.offset))
    }

    fn deeper(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(format!("expression nests deeper than {MAX_DEPTH} levels"), self.offset));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Syntax, Error> {
        self.deeper()?;
        let condition = self.or()?;
        let result = if self.is("?") {
            let offset = self.offset;
            self.advance()?;
            let then = self.or()?;
            self.expect(":")?;
            let otherwise = self.expr()?;
            Syntax { offset, kind: SyntaxKind::Conditional(Box::new(condition), Box::new(then), Box::new(otherwise)) }
        } else {
            condition
        };
        self.depth -= 1;
        Ok(result)
    }

    /// `a || b || …`, balanced as cel-go balances it: `||` and `&&` are associative, and a
    /// long chain stays a shallow tree.
    fn or(&mut self) -> Result<Syntax, Error> {
        let mut terms = vec![self.and()?];
        let mut offsets = Vec::new();
        while self.is("||") {
            offsets.push(self.offset);
            self.advance()?;
            terms.push(self.and()?);
        }
        Ok(balance("||", terms, &offsets))
    }

    fn and(&mut self) -> Result<Syntax, Error> {
        let mut terms = vec![self.relation()?];
        let mut offsets = Vec::new();
        while self.is("&&") {
            offsets.push(self.offset);
            self.advance()?;
            terms.push(self.relation()?);
        }
        Ok(balance("&&", terms, &offsets))
    }

    fn relation(&mut self) -> Result<Syntax, Error> {
        let start = self.chain;
        let mut left = self.addition()?;
        loop {
            let op = match &self.token {
                Token::Punct(op @ ("<" | "<=" | ">" | ">=" | "==" | "!=")) => *op,
                Token::Ident(word) if word == "in" => "in",
                _ => {
                    self.chain = start;
                    return Ok(left);
                }
            };
            let offset = self.offset;
            self.link()?;
            self.advance()?;
            let right = self.addition()?;
            left = Syntax { offset, kind: SyntaxKind::Binary(op, Box::new(left), Box::new(right)) };
        }
    }

    fn addition(&mut self) -> Result<Syntax, Error> {
        let start = self.chain;
        let mut left = self.multiplication()?;
        while let Token::Punct(op @ ("+" | "-")) = &self.token {
            let op = *op;
            let offset = self.offset;
            self.link()?;
            self.advance()?;
            let right = self.multiplication()?;
            left = Syntax { offset, kind: SyntaxKind::Binary(op, Box::new(left), Box::new(right)) };
        }
        self.chain = start;
        Ok(left)
    }

    fn multiplication(&mut self) -> Result<Syntax, Error> {
        let start = self.chain;
        let mut left = self.unary()?;
        while let Token::Punct(op @ ("*" | "/" | "%")) = &self.token {
            let op = *op;
            let offset = self.offset;
            self.link()?;
            self.advance()?;
            let right = self.unary()?;
            left = Syntax { offset, kind: SyntaxKind::Binary(op, Box::new(left), Box::new(right)) };
        }
        self.chain = start;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Syntax, Error> {
        let offset = self.offset;
        if self.is("!") {
            self.advance()?;
            self.deeper()?;
            let operand = self.unary()?;
            self.depth -= 1;
            return Ok(Syntax { offset, kind: SyntaxKind::Unary("!", Box::new(operand)) });
        }
        if self.is("-") {
            self.advance()?;
            // A negative integer literal, so that the smallest int64 can be written.
            if let Token::Int(magnitude) = self.token {
                if magnitude == 1u64 << 63 {
                    self.advance()?;
                    return self.member(Syntax { offset, kind: SyntaxKind::Literal(Value::Int(i64::MIN)) });
                }
            }
            self.deeper()?;
            let operand = self.unary()?;
            self.depth -= 1;
            return Ok(Syntax { offset, kind: SyntaxKind::Unary("-", Box::new(operand)) });
        }
        let primary = self.primary()?;
        self.member(primary)
    }

    fn member(&mut self, mut operand: Syntax) -> Result<Syntax, Error> {
        let start = self.chain;
        loop {
            let offset = self.offset;
            if self.is(".") || self.is(".?") || self.is("[") || self.is("[?") {
                self.link()?;
            }
            if self.is(".") || self.is(".?") {
                let optional = self.is(".?");
                self.advance()?;
                let Token::Ident(name) = self.token.clone() else {
                    return Err(Error::new(
                        format!("expected a field name after '.', found {}", describe(&self.token)),
                        self.offset,
                    ));
                };
                let name_offset = self.offset;
                self.advance()?;
                if !optional && self.is("(") {
                    self.advance()?;
                    let args = self.expr_list(")")?;
                    operand =
                        Syntax { offset: name_offset, kind: SyntaxKind::Call(Some(Box::new(operand)), name, args) };
                } else {
                    operand = Syntax { offset, kind: SyntaxKind::Select(Box::new(operand), name, optional) };
                }
            } else if self.is("[") || self.is("[?") {
                let optional = self.is("[?");
                self.advance()?;
                let index = self.expr()?;
                self.expect("]")?;
                operand = Syntax { offset, kind: SyntaxKind::Index(Box::new(operand), Box::new(index), optional) };
            } else if self.is("{") {
                // Message construction (`google.protobuf.Int64Value{value: 1}`): not part
                // of what Kubernetes policies can use.
                return Err(Error::new("message construction is not supported in Kubernetes policies", offset));
            } else {
                self.chain = start;
                return Ok(operand);
            }
        }
    }

    fn expr_list(&mut self, close: &str) -> Result<Vec<Syntax>, Error> {
        let mut items = Vec::new();
        if self.eat(close)? {
            return Ok(items);
        }
        loop {
            items.push(self.expr()?);
            if self.eat(close)? {
                return Ok(items);
            }
            self.expect(",")?;
        }
    }

    fn primary(&mut self) -> Result<Syntax, Error> {
        let offset = self.offset;
        let token = self.token.clone();
        let literal = |value| Ok(Syntax { offset, kind: SyntaxKind::Literal(value) });
        match token {
            Token::Int(value) => {
                self.advance()?;
                let value = i64::try_from(value).map_err(|_| Error::new("integer literal is out of range", offset))?;
                literal(Value::Int(value))
            }
            Token::Uint(value) => {
                self.advance()?;
                literal(Value::Uint(value))
            }
            Token::Double(value) => {
                self.advance()?;
                literal(Value::Double(value))
            }
            Token::String(text) => {
                self.advance()?;
                literal(Value::String(text.into()))
            }
            Token::Bytes(bytes) => {
                self.advance()?;
                literal(Value::Bytes(bytes.into()))
            }
            Token::Ident(word) => {
                self.advance()?;
                match word.as_str() {
                    "true" => return literal(Value::Bool(true)),
                    "false" => return literal(Value::Bool(false)),
                    "null" => return literal(Value::Null),
                    "in" => return Err(Error::new("unexpected 'in'", offset)),
                    _ if RESERVED.contains(&word.as_str()) => {
                        return Err(Error::new(format!("'{word}' is a reserved word"), offset));
                    }
                    _ => {}
                }
                if self.eat("(")? {
                    let args = self.expr_list(")")?;
                    return Ok(Syntax { offset, kind: SyntaxKind::Call(None, word, args) });
                }
                Ok(Syntax { offset, kind: SyntaxKind::Ident(word) })
            }
            Token::Punct("(") => {
                self.advance()?;
                let inner = self.expr()?;
                self.expect(")")?;
                Ok(inner)
            }
            Token::Punct(open @ ("[" | "[?")) => {
                self.advance()?;
                let mut items = Vec::new();
                // `[?x, …]`: the lexer reads the first element's `?` with the bracket.
                let mut first_optional = open == "[?";
                while first_optional || !self.eat("]")? {
                    let optional = std::mem::take(&mut first_optional) || self.eat("?")?;
                    items.push((self.expr()?, optional));
                    if !self.eat(",")? {
                        self.expect("]")?;
                        break;
                    }
                }
                Ok(Syntax { offset, kind: SyntaxKind::List(items) })
            }
            Token::Punct("{") => {
                self.advance()?;
                let mut entries = Vec::new();
                while !self.eat("}")? {
                    let optional = self.eat("?")?;
                    let key = self.expr()?;
                    self.expect(":")?;
                    let value = self.expr()?;
                    entries.push((key, value, optional));
                    if !self.eat(",")? {
                        self.expect("}")?;
                        break;
                    }
                }
                Ok(Syntax { offset, kind: SyntaxKind::Map(entries) })
            }
            Token::Punct(".") => {
                self.advance()?;
                // A leading dot names the root scope: `.object`.
                match self.token.clone() {
                    Token::Ident(word) => {
                        self.advance()?;
                        Ok(Syntax { offset, kind: SyntaxKind::Ident(word) })
                    }
                    other => Err(Error::new(
                        format!("expected an identifier after '.', found {}", describe(&other)),
                        self.offset,
                    )),
                }
            }
            Token::End => Err(Error::new("unexpected end of expression", offset)),
            other => Err(Error::new(format!("unexpected {}", describe(&other)), offset)),
        }
    }
}

/// `terms` joined by `op` into a balanced tree (`offsets[i]` is the operator between terms
/// `i` and `i + 1`).
fn balance(op: &'static str, mut terms: Vec<Syntax>, offsets: &[u32]) -> Syntax {
    if terms.len() == 1 {
        return terms.pop().expect("one term");
    }
    let middle = terms.len() / 2;
    let right = terms.split_off(middle);
    let left = balance(op, terms, &offsets[..middle - 1]);
    let right = balance(op, right, &offsets[middle..]);
    Syntax { offset: offsets[middle - 1], kind: SyntaxKind::Binary(op, Box::new(left), Box::new(right)) }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Ident(word) => format!("'{word}'"),
        Token::Int(value) | Token::Uint(value) => format!("number {value}"),
        Token::Double(value) => format!("number {value}"),
        Token::String(_) => "a string".to_string(),
        Token::Bytes(_) => "bytes".to_string(),
        Token::Punct(punct) => format!("'{punct}'"),
        Token::End => "the end of the expression".to_string(),
    }
}

fn parse_syntax(text: &str) -> Result<Syntax, Error> {
    if text.len() > MAX_LENGTH {
        return Err(Error::new(format!("expression is longer than {MAX_LENGTH} bytes"), 0));
    }
    let mut parser = Parser {
        lexer: Lexer { text, bytes: text.as_bytes(), at: 0 },
        token: Token::End,
        offset: 0,
        depth: 0,
        chain: 0,
    };
    parser.advance()?;
    let syntax = parser.expr()?;
    if parser.token != Token::End {
        return Err(Error::new(format!("unexpected {} after the expression", describe(&parser.token)), parser.offset));
    }
    Ok(syntax)
}

// ---------------------------------------------------------------------------------------
// Resolution: identifiers to globals, locals and types; calls to functions and macros.

struct Resolver<'a> {
    env: &'a Env,
    /// Names of the locals in scope, innermost last; a local's slot is its position.
    locals: Vec<String>,
    /// The most locals in scope at once: the size of the interpreter's slot stack.
    max_locals: usize,
}

/// Namespaces of functions called as `namespace.function(…)`.
const NAMESPACES: [&str; 9] = ["sets", "strings", "optional", "base64", "math", "lists", "ip", "cel", "format"];

impl Resolver<'_> {
    fn local(&self, name: &str) -> Option<usize> {
        self.locals.iter().rposition(|local| local == name)
    }

    fn is_variable(&self, name: &str) -> bool {
        self.local(name).is_some() || self.env.globals.iter().any(|global| global == name)
    }

    fn resolve(&mut self, syntax: Syntax) -> Result<Expr, Error> {
        let offset = syntax.offset;
        let boxed = |resolver: &mut Self, syntax: Syntax| resolver.resolve(syntax).map(Box::new);
        let kind = match syntax.kind {
            SyntaxKind::Literal(value) => ExprKind::Literal(value),
            SyntaxKind::Ident(name) => self.ident(&name, offset)?,
            SyntaxKind::Select(operand, field, optional) => {
                if let SyntaxKind::Ident(name) = &operand.kind {
                    if name == "variables" && !self.is_variable("variables") {
                        return self.variable(&field, offset);
                    }
                }
                // A qualified type name: `net.IP`, `google.protobuf.Duration`.
                if !optional {
                    if let Some(type_value) = self.qualified_type(&operand, &field) {
                        return Ok(Expr { offset, kind: ExprKind::Literal(Value::Type(type_value)) });
                    }
                }
                ExprKind::Select { operand: boxed(self, *operand)?, field: field.into(), optional }
            }
            SyntaxKind::Index(operand, index, optional) => {
                ExprKind::Index { operand: boxed(self, *operand)?, index: boxed(self, *index)?, optional }
            }
            SyntaxKind::Unary(op, operand) => {
                let operand = boxed(self, *operand)?;
                if op == "!" {
                    ExprKind::Not(operand)
                } else {
                    ExprKind::Neg(operand)
                }
            }
            SyntaxKind::Binary(op, left, right) => {
                let left = boxed(self, *left)?;
                let right = boxed(self, *right)?;
                match op {
                    "&&" => ExprKind::And(left, right),
                    "||" => ExprKind::Or(left, right),
                    _ => {
                        let op = match op {
                            "+" => BinOp::Add,
                            "-" => BinOp::Sub,
                            "*" => BinOp::Mul,
                            "/" => BinOp::Div,
                            "%" => BinOp::Rem,
                            "==" => BinOp::Eq,
                            "!=" => BinOp::Ne,
                            "<" => BinOp::Lt,
                            "<=" => BinOp::Le,
                            ">" => BinOp::Gt,
                            ">=" => BinOp::Ge,
                            _ => BinOp::In,
                        };
                        ExprKind::Binary(op, left, right)
                    }
                }
            }
            SyntaxKind::Conditional(condition, then, otherwise) => {
                ExprKind::Conditional(boxed(self, *condition)?, boxed(self, *then)?, boxed(self, *otherwise)?)
            }
            SyntaxKind::List(items) => ExprKind::List(
                items
                    .into_iter()
                    .map(|(item, optional)| Ok((self.resolve(item)?, optional)))
                    .collect::<Result<_, Error>>()?,
            ),
            SyntaxKind::Map(entries) => ExprKind::Map(
                entries
                    .into_iter()
                    .map(|(key, value, optional)| Ok((self.resolve(key)?, self.resolve(value)?, optional)))
                    .collect::<Result<_, Error>>()?,
            ),
            SyntaxKind::Call(target, name, args) => return self.call(target, name, args, offset),
        };
        Ok(Expr { offset, kind })
    }

    /// The type a dotted name of plain identifiers names (`net.IP`), unless its first name
    /// is a variable.
    fn qualified_type(&self, operand: &Syntax, field: &str) -> Option<Type> {
        let mut names = vec![field];
        let mut at = operand;
        loop {
            match &at.kind {
                SyntaxKind::Ident(name) => {
                    if self.is_variable(name) {
                        return None;
                    }
                    names.push(name);
                    break;
                }
                SyntaxKind::Select(inner, name, false) => {
                    names.push(name);
                    at = inner;
                }
                _ => return None,
            }
        }
        names.reverse();
        Type::named(&names.join("."))
    }

    fn ident(&self, name: &str, offset: u32) -> Result<ExprKind, Error> {
        if let Some(slot) = self.local(name) {
            return Ok(ExprKind::Local(slot));
        }
        if let Some(index) = self.env.globals.iter().position(|global| global == name) {
            return Ok(ExprKind::Global(index));
        }
        if let Some((_, message)) = self.env.unsupported.iter().find(|(unsupported, _)| unsupported == name) {
            return Err(Error::new(message.clone(), offset));
        }
        if let Some(type_value) = Type::named(name) {
            return Ok(ExprKind::Literal(Value::Type(type_value)));
        }
        if name == "variables" {
            return Err(Error::new("'variables' must be followed by a variable's name (variables.name)", offset));
        }
        Err(Error::new(format!("undeclared reference to '{name}'"), offset))
    }

    fn variable(&self, name: &str, offset: u32) -> Result<Expr, Error> {
        match self.env.variables.iter().position(|variable| variable == name) {
            Some(index) => Ok(Expr { offset, kind: ExprKind::Variable(index) }),
            None if self.env.variables.is_empty() => Err(Error::new(
                format!("undefined variable 'variables.{name}': no variable is declared before this expression"),
                offset,
            )),
            None => Err(Error::new(
                format!(
                    "undefined variable 'variables.{name}' (declared before this expression: {})",
                    self.env.variables.join(", ")
                ),
                offset,
            )),
        }
    }

    fn bind_local<T>(
        &mut self,
        name: &str,
        inside: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<(usize, T), Error> {
        self.locals.push(name.to_string());
        let slot = self.locals.len() - 1;
        self.max_locals = self.max_locals.max(self.locals.len());
        let result = inside(self);
        self.locals.pop();
        result.map(|value| (slot, value))
    }

    fn call(
        &mut self,
        target: Option<Box<Syntax>>,
        name: String,
        args: Vec<Syntax>,
        offset: u32,
    ) -> Result<Expr, Error> {
        let macro_arg = |args: &[Syntax], index: usize| -> Result<String, Error> {
            match &args[index].kind {
                SyntaxKind::Ident(name) => Ok(name.clone()),
                _ => Err(Error::new(
                    format!("argument {} of '{name}' must be a simple name", index + 1),
                    args[index].offset,
                )),
            }
        };
        // has(a.b)
        if target.is_none() && name == "has" {
            let [argument] =
                <[Syntax; 1]>::try_from(args).map_err(|_| Error::new("has() takes exactly one argument", offset))?;
            let SyntaxKind::Select(operand, field, false) = argument.kind else {
                return Err(Error::new(
                    "invalid argument to has() macro: it must be a field selection (has(a.b))",
                    argument.offset,
                ));
            };
            let operand = Box::new(self.resolve(*operand)?);
            return Ok(Expr { offset, kind: ExprKind::Has { operand, field: field.into() } });
        }
        if let Some(target) = target {
            // Comprehension macros on a receiver.
            let kind = match (name.as_str(), args.len()) {
                ("all", 2 | 3) => Some(Macro::All),
                ("exists", 2 | 3) => Some(Macro::Exists),
                ("exists_one" | "existsOne", 2 | 3) => Some(Macro::ExistsOne),
                ("map", 2 | 3) => Some(Macro::Map),
                ("filter", 2 | 3) => Some(Macro::Filter),
                ("transformList", 3 | 4) => Some(Macro::TransformList),
                ("transformMap", 3 | 4) => Some(Macro::TransformMap),
                ("transformMapEntry", 3 | 4) => Some(Macro::TransformMapEntry),
                _ => None,
            };
            if let Some(kind) = kind {
                // `map` with three arguments is map-with-filter; the others with three take
                // two variables (index or key, value).
                let transform = matches!(kind, Macro::TransformList | Macro::TransformMap | Macro::TransformMapEntry);
                let two_variables = transform || (args.len() == 3 && kind != Macro::Map);
                let range = Box::new(self.resolve(*target)?);
                let first = macro_arg(&args, 0)?;
                if first == "__result__" {
                    return Err(Error::new("iteration variable overwrites accumulator variable", args[0].offset));
                }
                let mut rest: Vec<Syntax> = args.into_iter().skip(1).collect();
                let (slot, body) = if two_variables {
                    let second = macro_arg(&rest, 0)?;
                    if second == first {
                        return Err(Error::new(format!("duplicate variable name: {first}"), rest[0].offset));
                    }
                    if second == "__result__" {
                        return Err(Error::new("iteration variable overwrites accumulator variable", rest[0].offset));
                    }
                    rest.remove(0);
                    let (slot, (_, body)) = self.bind_local(&first, |resolver| {
                        resolver.bind_local(&second, |resolver| {
                            rest.into_iter().map(|syntax| resolver.resolve(syntax)).collect::<Result<Vec<_>, Error>>()
                        })
                    })?;
                    (slot, body)
                } else {
                    self.bind_local(&first, |resolver| {
                        rest.into_iter().map(|syntax| resolver.resolve(syntax)).collect::<Result<Vec<_>, Error>>()
                    })?
                };
                return Ok(Expr { offset, kind: ExprKind::Comprehension { kind, range, slot, two_variables, body } });
            }
            if matches!(name.as_str(), "optMap" | "optFlatMap") && args.len() == 2 {
                let operand = Box::new(self.resolve(*target)?);
                let variable = macro_arg(&args, 0)?;
                let body_syntax = args.into_iter().nth(1).expect("two arguments");
                let (slot, body) = self.bind_local(&variable, |resolver| resolver.resolve(body_syntax))?;
                return Ok(Expr {
                    offset,
                    kind: ExprKind::OptMap { operand, slot, body: Box::new(body), flat: name == "optFlatMap" },
                });
            }
            // `namespace.function(…)`.
            if let SyntaxKind::Ident(namespace) = &target.kind {
                if NAMESPACES.contains(&namespace.as_str()) && !self.is_variable(namespace) {
                    let qualified = format!("{namespace}.{name}");
                    if qualified == "cel.bind" {
                        let [variable, init, body] = <[Syntax; 3]>::try_from(args)
                            .map_err(|_| Error::new("cel.bind() takes exactly three arguments", offset))?;
                        let SyntaxKind::Ident(variable) = variable.kind else {
                            return Err(Error::new(
                                "the first argument of cel.bind must be a simple name",
                                variable.offset,
                            ));
                        };
                        let init = Box::new(self.resolve(init)?);
                        let (slot, body) = self.bind_local(&variable, |resolver| resolver.resolve(body))?;
                        return Ok(Expr { offset, kind: ExprKind::Bind { slot, init, body: Box::new(body) } });
                    }
                    let offset = target.offset;
                    if functions::is_global(&qualified) {
                        let func = functions::resolve(&qualified, false, args.len())
                            .map_err(|message| Error::new(message, offset))?;
                        let args = args.into_iter().map(|arg| self.resolve(arg)).collect::<Result<_, Error>>()?;
                        return checked_call(func, args, offset);
                    }
                    return Err(Error::new(format!("function '{qualified}' is not supported by Rampart"), offset));
                }
            }
            // The receiver first, so that the error is at the first unknown name.
            let mut resolved = vec![self.resolve(*target)?];
            let func = functions::resolve(&name, true, args.len()).map_err(|message| Error::new(message, offset))?;
            for arg in args {
                resolved.push(self.resolve(arg)?);
            }
            return checked_call(func, resolved, offset);
        }
        let func = functions::resolve(&name, false, args.len()).map_err(|message| Error::new(message, offset))?;
        let args = args.into_iter().map(|arg| self.resolve(arg)).collect::<Result<_, Error>>()?;
        checked_call(func, args, offset)
    }
}

/// A call, with what can be checked before running it: a constant regular expression
/// must compile (as the API server checks it when the policy is created).
fn checked_call(func: Func, args: Vec<Expr>, offset: u32) -> Result<Expr, Error> {
    if matches!(func, Func::Matches | Func::MatchesMethod | Func::Find | Func::FindAll) {
        if let Some(Expr { offset, kind: ExprKind::Literal(Value::String(pattern)) }) = args.get(1) {
            crate::k8s::compile_regex(pattern).map_err(|message| Error::new(message, *offset))?;
        }
    }
    // Constant arguments of types no overload takes: refused now, as the type checker does.
    let constants: Option<Vec<Value>> = args.iter().map(constant).collect();
    if let Some(message) = constants.and_then(|values| functions::constant_type_error(func, &values)) {
        return Err(Error::new(message, offset));
    }
    Ok(Expr { offset, kind: ExprKind::Call { func, args } })
}

/// The value of a literal, or of a list or map of literals.
fn constant(expr: &Expr) -> Option<Value> {
    match &expr.kind {
        ExprKind::Literal(value) => Some(value.clone()),
        ExprKind::List(items) => items
            .iter()
            .map(|(item, optional)| if *optional { None } else { constant(item) })
            .collect::<Option<Vec<_>>>()
            .map(Value::from),
        ExprKind::Map(entries) if entries.is_empty() => Some(Value::map(Vec::new())),
        _ => None,
    }
}

/// Parses and resolves `text` in `env`; also returns how many local slots it needs.
pub(crate) fn compile(text: &str, env: &Env) -> Result<(Expr, usize), Error> {
    let syntax = parse_syntax(text)?;
    let mut resolver = Resolver { env, locals: Vec::new(), max_locals: 0 };
    let expr = resolver.resolve(syntax)?;
    Ok((expr, resolver.max_locals))
}
