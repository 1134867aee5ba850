//! The Common Expression Language (CEL) as Kubernetes evaluates it in a
//! ValidatingAdmissionPolicy.
//!
//! [`Program::compile`] parses an expression, expands its macros (`has`, `all`, `exists`,
//! `exists_one`, `map`, `filter`, `cel.bind`, `optMap`, `optFlatMap`) and resolves every
//! identifier and function against what the environment declares, so a function Rampart
//! does not implement is an error at its position when the policy is read, never a silent
//! pass at run time. [`Program::eval`] runs it over an [`Activation`] under a cost budget,
//! as the API server's cost limit does: a runaway expression stops with an error.
//!
//! The library is CEL's standard one plus the extensions Kubernetes enables: strings
//! (`charAt`, `indexOf`, `split`, `format` …), lists (`isSorted`, `sum`, `slice` …), regex
//! (`find`, `findAll`), URLs, quantities, IP addresses and CIDRs, sets, optionals and
//! base64, `format` (named string formats) and semantic versions. Pure: no I/O, no clock, no threads; it builds for `wasm32-unknown-unknown`.

mod eval;
mod functions;
mod k8s;
mod k8s_format;
mod k8s_quantity;
mod netip;
mod parse;
mod value;

pub use eval::{Activation, Program, DEFAULT_COST_LIMIT};
pub use parse::{Env, Expr, ExprKind};
pub use value::{Map, Value};

/// An error of compilation or evaluation, at a byte offset into the expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub message: String,
    /// Byte offset into the expression text (of the variable's, when `variable` is set).
    pub offset: u32,
    /// The index of the lazily evaluated variable the error arose in, if any: its offset
    /// is into that variable's expression.
    pub variable: Option<usize>,
}

impl Error {
    pub fn new(message: impl Into<String>, offset: u32) -> Error {
        Error { message: message.into(), offset, variable: None }
    }

    /// The 1-based line and column (in characters) of the error within `expression`.
    pub fn position(&self, expression: &str) -> (u32, u32) {
        position(expression, self.offset)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.message)
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn position(text: &str, offset: u32) -> (u32, u32) {
    let offset = (offset as usize).min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before[line_start..].chars().count() as u32 + 1;
    (line, column)
}
