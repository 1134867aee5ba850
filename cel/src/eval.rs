//! The interpreter: a compiled [`Program`] evaluated over an [`Activation`] under a cost
//! budget.
//!
//! Cost is counted as the API server counts it, roughly: one unit per node evaluated plus
//! the size of what functions traverse (strings, lists, maps). Past the limit, evaluation
//! stops with an error, so no expression runs away with a check.

use std::cell::RefCell;
use std::rc::Rc;

use crate::functions;
use crate::parse::{self, Env, Expr, ExprKind, Macro};
use crate::value::{Map, Value};
use crate::Error;

/// The cost limit of one evaluation, as the API server's per-expression limit.
pub const DEFAULT_COST_LIMIT: u64 = 1_000_000;

/// A compiled expression: parsed, macros expanded, names resolved.
#[derive(Clone, Debug)]
pub struct Program {
    expr: Expr,
    slots: usize,
}

/// What an evaluation reads: the global variables (in the order of [`Env::globals`]) and the
/// lazily evaluated `variables.*` (each evaluated at most once per activation).
pub struct Activation<'a> {
    pub globals: &'a [Value],
    pub variables: &'a [Program],
    cache: RefCell<Vec<Option<Result<Value, Error>>>>,
    /// Cost left for this activation's evaluations.
    budget: std::cell::Cell<u64>,
    /// The budget it started with.
    limit: u64,
}

impl<'a> Activation<'a> {
    pub fn new(globals: &'a [Value], variables: &'a [Program], cost_limit: u64) -> Self {
        Activation {
            globals,
            variables,
            cache: RefCell::new(vec![None; variables.len()]),
            budget: std::cell::Cell::new(cost_limit),
            limit: cost_limit,
        }
    }

    /// The cost its evaluations have spent so far.
    pub fn spent(&self) -> u64 {
        self.limit - self.budget.get()
    }

    fn variable(&self, index: usize, offset: u32) -> Result<Value, Error> {
        if let Some(Some(result)) = self.cache.borrow().get(index) {
            return result.clone();
        }
        let program = self.variables.get(index).ok_or_else(|| Error::new("no such variable", offset))?;
        let result = program.eval(self).map_err(|mut error| {
            error.variable.get_or_insert(index);
            error
        });
        if let Some(slot) = self.cache.borrow_mut().get_mut(index) {
            *slot = Some(result.clone());
        }
        result
    }
}

impl Program {
    pub fn compile(text: &str, env: &Env) -> Result<Program, Error> {
        let (expr, slots) = parse::compile(text, env)?;
        Ok(Program { expr, slots })
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Evaluates the program. Errors are at the offset of the node that failed.
    pub fn eval(&self, activation: &Activation<'_>) -> Result<Value, Error> {
        let mut machine = Machine { activation, locals: vec![Value::Null; self.slots] };
        machine.eval(&self.expr)
    }

    /// The indexes of the `variables.*` this expression reads.
    pub fn variables_used(&self) -> Vec<usize> {
        let mut used = Vec::new();
        collect_variables(&self.expr, &mut used);
        used
    }

    /// The field paths under global `global` this expression reads, outermost selection
    /// first (`object.spec.replicas` → `["spec", "replicas"]`): where a finding can point.
    pub fn paths_under(&self, global: usize) -> Vec<Vec<Rc<str>>> {
        let mut paths = Vec::new();
        collect_paths(&self.expr, global, &mut paths);
        paths
    }
}

fn collect_variables(expr: &Expr, used: &mut Vec<usize>) {
    if let ExprKind::Variable(index) = expr.kind {
        if !used.contains(&index) {
            used.push(index);
        }
        return;
    }
    for_each_child(expr, &mut |child| collect_variables(child, used));
}

/// Calls `visit` on each direct child of `expr`.
fn for_each_child(expr: &Expr, visit: &mut dyn FnMut(&Expr)) {
    match &expr.kind {
        ExprKind::Select { operand, .. }
        | ExprKind::Has { operand, .. }
        | ExprKind::Not(operand)
        | ExprKind::Neg(operand) => visit(operand),
        ExprKind::Index { operand, index, .. } => {
            visit(operand);
            visit(index);
        }
        ExprKind::Call { args, .. } => args.iter().for_each(visit),
        ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Binary(_, a, b) => {
            visit(a);
            visit(b);
        }
        ExprKind::Conditional(a, b, c) => {
            visit(a);
            visit(b);
            visit(c);
        }
        ExprKind::List(items) => items.iter().for_each(|(item, _)| visit(item)),
        ExprKind::Map(entries) => entries.iter().for_each(|(key, value, _)| {
            visit(key);
            visit(value);
        }),
        ExprKind::Comprehension { range, body, .. } => {
            visit(range);
            body.iter().for_each(&mut *visit);
        }
        ExprKind::Bind { init, body, .. } => {
            visit(init);
            visit(body);
        }
        ExprKind::OptMap { operand, body, .. } => {
            visit(operand);
            visit(body);
        }
        ExprKind::Literal(_) | ExprKind::Global(_) | ExprKind::Local(_) | ExprKind::Variable(_) => {}
    }
}

fn collect_paths(expr: &Expr, global: usize, paths: &mut Vec<Vec<Rc<str>>>) {
    // A chain of selections (and constant indexes) ending at the global.
    fn chain(expr: &Expr, global: usize) -> Option<Vec<Rc<str>>> {
        match &expr.kind {
            ExprKind::Global(index) if *index == global => Some(Vec::new()),
            ExprKind::Select { operand, field, .. } | ExprKind::Has { operand, field } => {
                let mut path = chain(operand, global)?;
                path.push(field.clone());
                Some(path)
            }
            ExprKind::Index { operand, index, .. } => {
                let mut path = chain(operand, global)?;
                match &index.kind {
                    ExprKind::Literal(Value::String(key)) => path.push(key.clone()),
                    ExprKind::Literal(Value::Int(position)) => path.push(format!("[{position}]").into()),
                    _ => return Some(path),
                }
                Some(path)
            }
            _ => None,
        }
    }
    if let Some(path) = chain(expr, global) {
        if !path.is_empty() {
            paths.push(path);
        }
        return;
    }
    for_each_child(expr, &mut |child| collect_paths(child, global, paths));
}

pub(crate) struct Machine<'a, 'b> {
    activation: &'a Activation<'b>,
    locals: Vec<Value>,
}

pub(crate) fn no_such_overload(name: &str, args: &[&Value]) -> String {
    let types: Vec<&str> = args.iter().map(|arg| arg.type_name()).collect();
    format!("no such overload: {name}({})", types.join(", "))
}

impl Machine<'_, '_> {
    /// Spends `units` of the budget, failing once it is exhausted.
    pub(crate) fn spend(&self, units: u64, offset: u32) -> Result<(), Error> {
        let left = self.activation.budget.get();
        if units > left {
            self.activation.budget.set(0);
            return Err(Error::new(
                "operation cancelled: actual cost limit exceeded (the expression does too much work; the API server would stop it too)",
                offset,
            ));
        }
        self.activation.budget.set(left - units);
        Ok(())
    }

    fn eval(&mut self, expr: &Expr) -> Result<Value, Error> {
        self.spend(1, expr.offset)?;
        let offset = expr.offset;
        match &expr.kind {
            ExprKind::Literal(value) => Ok(value.clone()),
            ExprKind::Global(index) => Ok(self.activation.globals.get(*index).cloned().unwrap_or(Value::Null)),
            ExprKind::Local(slot) => Ok(self.locals[*slot].clone()),
            ExprKind::Variable(index) => self.activation.variable(*index, offset),
            ExprKind::Select { operand, field, optional } => {
                let value = self.eval(operand)?;
                select(&value, field, *optional, offset)
            }
            ExprKind::Has { operand, field } => {
                let value = self.eval(operand)?;
                match &value {
                    Value::Map(map) => Ok(Value::Bool(field_of(map, field).is_some())),
                    Value::Optional(None) => Ok(Value::Bool(false)),
                    Value::Optional(Some(inner)) => match &**inner {
                        Value::Map(map) => Ok(Value::Bool(map.get_str(field).is_some())),
                        other => {
                            Err(Error::new(format!("invalid type for field selection: {}", other.type_name()), offset))
                        }
                    },
                    other => {
                        Err(Error::new(format!("invalid type for field selection: {}", other.type_name()), offset))
                    }
                }
            }
            ExprKind::Index { operand, index, optional } => {
                let container = self.eval(operand)?;
                let key = self.eval(index)?;
                index_value(&container, &key, *optional, offset)
            }
            ExprKind::Call { func, args } => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg)?);
                }
                functions::call(*func, &values, self, offset)
            }
            ExprKind::And(left, right) => self.logical(left, right, false),
            ExprKind::Or(left, right) => self.logical(left, right, true),
            ExprKind::Not(operand) => match self.eval(operand)? {
                Value::Bool(flag) => Ok(Value::Bool(!flag)),
                other => Err(Error::new(no_such_overload("!_", &[&other]), offset)),
            },
            ExprKind::Neg(operand) => match self.eval(operand)? {
                Value::Int(number) => {
                    number.checked_neg().map(Value::Int).ok_or_else(|| Error::new("integer overflow", offset))
                }
                Value::Double(number) => Ok(Value::Double(-number)),
                Value::Duration(nanos) => Ok(Value::Duration(-nanos)),
                other => Err(Error::new(no_such_overload("-_", &[&other]), offset)),
            },
            ExprKind::Conditional(condition, then, otherwise) => match self.eval(condition)? {
                Value::Bool(true) => self.eval(then),
                Value::Bool(false) => self.eval(otherwise),
                other => Err(Error::new(no_such_overload("_?_:_", &[&other]), offset)),
            },
            ExprKind::Binary(op, left, right) => {
                let left = self.eval(left)?;
                let right = self.eval(right)?;
                functions::binary(*op, &left, &right, self, offset)
            }
            ExprKind::List(items) => {
                let mut values = Vec::with_capacity(items.len());
                for (item, optional) in items {
                    let value = self.eval(item)?;
                    if *optional {
                        match value {
                            Value::Optional(Some(inner)) => values.push((*inner).clone()),
                            Value::Optional(None) => {}
                            other => {
                                return Err(Error::new(
                                    format!(
                                        "an optional list element must be an optional value, found {}",
                                        other.type_name()
                                    ),
                                    item.offset,
                                ))
                            }
                        }
                    } else {
                        values.push(value);
                    }
                }
                Ok(Value::List(values.into()))
            }
            ExprKind::Map(entries) => {
                let mut map = Map::default();
                for (key_expr, value_expr, optional) in entries {
                    let key = self.eval(key_expr)?;
                    if !matches!(key, Value::String(_) | Value::Int(_) | Value::Uint(_) | Value::Bool(_)) {
                        return Err(Error::new(format!("unsupported key type: {}", key.type_name()), key_expr.offset));
                    }
                    let mut value = self.eval(value_expr)?;
                    if *optional {
                        match value {
                            Value::Optional(Some(inner)) => value = (*inner).clone(),
                            Value::Optional(None) => continue,
                            other => {
                                return Err(Error::new(
                                    format!(
                                        "an optional map entry must be an optional value, found {}",
                                        other.type_name()
                                    ),
                                    value_expr.offset,
                                ))
                            }
                        }
                    }
                    if map.get(&key).is_some() {
                        return Err(Error::new(
                            format!("Failed with repeated key: {}", key.display()),
                            key_expr.offset,
                        ));
                    }
                    map.entries.push((key, value));
                }
                Ok(Value::Map(Rc::new(map)))
            }
            ExprKind::Comprehension { kind, range, slot, two_variables, body } => {
                self.comprehension(*kind, range, *slot, *two_variables, body, offset)
            }
            ExprKind::Bind { slot, init, body } => {
                let value = self.eval(init)?;
                let saved = std::mem::replace(&mut self.locals[*slot], value);
                let result = self.eval(body);
                self.locals[*slot] = saved;
                result
            }
            ExprKind::OptMap { operand, slot, body, flat } => match self.eval(operand)? {
                Value::Optional(None) => Ok(Value::Optional(None)),
                Value::Optional(Some(inner)) => {
                    let saved = std::mem::replace(&mut self.locals[*slot], (*inner).clone());
                    let result = self.eval(body);
                    self.locals[*slot] = saved;
                    let result = result?;
                    if *flat {
                        match result {
                            Value::Optional(_) => Ok(result),
                            other => Err(Error::new(
                                format!("optFlatMap must produce an optional value, found {}", other.type_name()),
                                offset,
                            )),
                        }
                    } else {
                        Ok(Value::Optional(Some(Rc::new(result))))
                    }
                }
                other => Err(Error::new(no_such_overload("optMap", &[&other]), offset)),
            },
        }
    }

    /// `&&` and `||` as CEL defines them: commutative over errors (`false && error` and
    /// `error && false` are both false).
    fn logical(&mut self, left: &Expr, right: &Expr, is_or: bool) -> Result<Value, Error> {
        let decisive = is_or;
        let left_value = self.eval(left);
        if let Ok(Value::Bool(flag)) = left_value {
            if flag == decisive {
                return Ok(Value::Bool(flag));
            }
        }
        let right_value = self.eval(right)?;
        let name = if is_or { "_||_" } else { "_&&_" };
        match right_value {
            Value::Bool(flag) if flag == decisive => Ok(Value::Bool(flag)),
            Value::Bool(flag) => match left_value? {
                Value::Bool(_) => Ok(Value::Bool(flag)),
                other => Err(Error::new(no_such_overload(name, &[&other, &Value::Bool(flag)]), left.offset)),
            },
            other => {
                let left_value = left_value?;
                Err(Error::new(no_such_overload(name, &[&left_value, &other]), right.offset))
            }
        }
    }

    fn comprehension(
        &mut self,
        kind: Macro,
        range: &Expr,
        slot: usize,
        two_variables: bool,
        body: &[Expr],
        offset: u32,
    ) -> Result<Value, Error> {
        let range_value = self.eval(range)?;
        // Each element: (the first variable, the second when there are two).
        let elements: Vec<(Value, Option<Value>)> = match &range_value {
            Value::List(items) => {
                if two_variables {
                    items
                        .iter()
                        .enumerate()
                        .map(|(index, item)| (Value::Int(index as i64), Some(item.clone())))
                        .collect()
                } else {
                    items.iter().map(|item| (item.clone(), None)).collect()
                }
            }
            Value::Map(map) => {
                if two_variables {
                    map.entries.iter().map(|(key, value)| (key.clone(), Some(value.clone()))).collect()
                } else {
                    map.entries.iter().map(|(key, _)| (key.clone(), None)).collect()
                }
            }
            other => {
                return Err(Error::new(
                    format!("cannot iterate over {} (a comprehension needs a list or a map)", other.type_name()),
                    range.offset,
                ))
            }
        };
        let saved = (self.locals[slot].clone(), if two_variables { Some(self.locals[slot + 1].clone()) } else { None });
        let result = self.iterate(kind, elements, slot, body, offset);
        self.locals[slot] = saved.0;
        if let Some(second) = saved.1 {
            self.locals[slot + 1] = second;
        }
        result
    }

    fn iterate(
        &mut self,
        kind: Macro,
        elements: Vec<(Value, Option<Value>)>,
        slot: usize,
        body: &[Expr],
        offset: u32,
    ) -> Result<Value, Error> {
        let mut first_error: Option<Error> = None;
        let mut count = 0;
        let mut out = Vec::new();
        let mut entries = Map::default();
        for (first, second) in elements {
            self.locals[slot] = first.clone();
            let key = first.clone();
            let element = match second {
                Some(second) => {
                    self.locals[slot + 1] = second.clone();
                    second
                }
                None => first,
            };
            match kind {
                Macro::All | Macro::Exists => {
                    let decisive = kind == Macro::Exists;
                    match self.eval(&body[0]) {
                        Ok(Value::Bool(flag)) if flag == decisive => return Ok(Value::Bool(decisive)),
                        Ok(Value::Bool(_)) => {}
                        Ok(other) => {
                            first_error.get_or_insert(Error::new(
                                format!("the predicate must be a bool, found {}", other.type_name()),
                                body[0].offset,
                            ));
                        }
                        // A budget exhausted is final, whatever later elements would say.
                        Err(error) if self.activation.budget.get() == 0 => return Err(error),
                        Err(error) => {
                            first_error.get_or_insert(error);
                        }
                    }
                }
                Macro::ExistsOne => match self.eval(&body[0])? {
                    Value::Bool(true) => count += 1,
                    Value::Bool(false) => {}
                    other => {
                        return Err(Error::new(
                            format!("the predicate must be a bool, found {}", other.type_name()),
                            body[0].offset,
                        ))
                    }
                },
                Macro::Filter => match self.eval(&body[0])? {
                    Value::Bool(true) => out.push(element),
                    Value::Bool(false) => {}
                    other => {
                        return Err(Error::new(
                            format!("the predicate must be a bool, found {}", other.type_name()),
                            body[0].offset,
                        ))
                    }
                },
                Macro::Map | Macro::TransformList | Macro::TransformMap | Macro::TransformMapEntry => {
                    if body.len() == 2 {
                        match self.eval(&body[0])? {
                            Value::Bool(true) => {}
                            Value::Bool(false) => continue,
                            other => {
                                return Err(Error::new(
                                    format!("the filter must be a bool, found {}", other.type_name()),
                                    body[0].offset,
                                ))
                            }
                        }
                    }
                    let transform = body.last().expect("a transform");
                    let transformed = self.eval(transform)?;
                    match kind {
                        Macro::TransformMap => entries.entries.push((key, transformed)),
                        Macro::TransformMapEntry => match transformed {
                            Value::Map(map) => {
                                for (key, value) in &map.entries {
                                    if entries.get(key).is_some() {
                                        return Err(Error::new(
                                            format!(
                                                "insert failed: key {} already exists",
                                                key.to_text().unwrap_or_else(|| key.display())
                                            ),
                                            transform.offset,
                                        ));
                                    }
                                    entries.entries.push((key.clone(), value.clone()));
                                }
                            }
                            other => {
                                return Err(Error::new(
                                    format!("transformMapEntry must produce a map, found {}", other.type_name()),
                                    transform.offset,
                                ))
                            }
                        },
                        _ => out.push(transformed),
                    }
                }
            }
        }
        match kind {
            Macro::All | Macro::Exists => match first_error {
                Some(error) => Err(error),
                None => Ok(Value::Bool(kind == Macro::All)),
            },
            Macro::ExistsOne => Ok(Value::Bool(count == 1)),
            Macro::Filter | Macro::Map | Macro::TransformList => {
                self.spend(out.len() as u64, offset)?;
                Ok(Value::List(out.into()))
            }
            Macro::TransformMap | Macro::TransformMapEntry => {
                self.spend(entries.entries.len() as u64, offset)?;
                Ok(Value::Map(Rc::new(entries)))
            }
        }
    }
}

/// A field of a map, by its name or by Kubernetes' escaped form of it (`x__dash__prop` for
/// `x-prop`, `__namespace__` for `namespace`).
fn field_of<'v>(map: &'v Map, field: &str) -> Option<&'v Value> {
    map.get_str(field).or_else(|| {
        if !field.contains("__") {
            return None;
        }
        let mut name = field.to_string();
        if let Some(inner) = name.strip_prefix("__").and_then(|rest| rest.strip_suffix("__")) {
            if !inner.contains("__") {
                name = inner.to_string();
            }
        }
        let name = name
            .replace("__underscores__", "\u{0}")
            .replace("__dot__", ".")
            .replace("__dash__", "-")
            .replace("__slash__", "/")
            .replace("\u{0}", "__");
        map.get_str(&name)
    })
}

pub(crate) fn select(value: &Value, field: &str, optional: bool, offset: u32) -> Result<Value, Error> {
    match value {
        Value::Map(map) => match field_of(map, field) {
            Some(found) if optional => Ok(Value::Optional(Some(Rc::new(found.clone())))),
            Some(found) => Ok(found.clone()),
            None if optional => Ok(Value::Optional(None)),
            None => Err(Error::new(format!("no such key: {field}"), offset)),
        },
        Value::Optional(None) => Ok(Value::Optional(None)),
        Value::Optional(Some(inner)) => match &**inner {
            Value::Map(map) => Ok(Value::Optional(field_of(map, field).map(|found| Rc::new(found.clone())))),
            other => Err(Error::new(format!("invalid type for field selection: {}", other.type_name()), offset)),
        },
        Value::Null => Err(Error::new(format!("no such key: {field} (the value is null)"), offset)),
        other => Err(Error::new(
            format!("invalid type for field selection: {} has no field '{field}'", other.type_name()),
            offset,
        )),
    }
}

fn index_value(container: &Value, key: &Value, optional: bool, offset: u32) -> Result<Value, Error> {
    let wrap = |found: Option<&Value>, missing: String| -> Result<Value, Error> {
        match (found, optional) {
            (Some(value), false) => Ok(value.clone()),
            (Some(value), true) => Ok(Value::Optional(Some(Rc::new(value.clone())))),
            (None, true) => Ok(Value::Optional(None)),
            (None, false) => Err(Error::new(missing, offset)),
        }
    };
    match container {
        Value::List(items) => {
            let position = match key {
                Value::Int(number) => Some(*number),
                Value::Uint(number) => i64::try_from(*number).ok(),
                Value::Double(number) if number.fract() == 0.0 => Some(*number as i64),
                _ => return Err(Error::new(no_such_overload("_[_]", &[container, key]), offset)),
            };
            let found =
                position.and_then(|position| usize::try_from(position).ok()).and_then(|position| items.get(position));
            wrap(found, format!("index out of bounds: {}", key.display()))
        }
        Value::Map(map) => {
            if !matches!(key, Value::String(_) | Value::Int(_) | Value::Uint(_) | Value::Bool(_) | Value::Double(_)) {
                return Err(Error::new(no_such_overload("_[_]", &[container, key]), offset));
            }
            wrap(map.get(key), format!("no such key: {}", key.to_text().unwrap_or_else(|| key.display())))
        }
        Value::Optional(None) => Ok(Value::Optional(None)),
        Value::Optional(Some(inner)) => match index_value(inner, key, true, offset)? {
            Value::Optional(found) => Ok(Value::Optional(found)),
            other => Ok(Value::Optional(Some(Rc::new(other)))),
        },
        _ => Err(Error::new(no_such_overload("_[_]", &[container, key]), offset)),
    }
}
