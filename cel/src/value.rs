//! CEL values, with CEL's equality (heterogeneous: `1 == 1u == 1.0`) and ordering.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::rc::Rc;

use crate::k8s::{Quantity, Url};
use crate::k8s_format::{NamedFormat, Semver};

/// A CEL value. Collections are shared (`Rc`), so copying a value is cheap.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(Rc<str>),
    Bytes(Rc<[u8]>),
    List(Rc<[Value]>),
    Map(Rc<Map>),
    /// Nanoseconds.
    Duration(i128),
    /// Nanoseconds since the Unix epoch, UTC.
    Timestamp(i128),
    Type(Type),
    Optional(Option<Rc<Value>>),
    Quantity(Rc<Quantity>),
    Ip(IpAddr),
    Cidr(IpAddr, u8),
    Url(Rc<Url>),
    /// A format of Kubernetes' format library (`format.dns1123Label()`).
    Format(&'static NamedFormat),
    Semver(Rc<Semver>),
}

/// A map, in insertion order; Kubernetes objects' maps are small, so lookups scan.
#[derive(Clone, Debug, Default)]
pub struct Map {
    pub entries: Vec<(Value, Value)>,
}

impl Map {
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries.iter().find(|(candidate, _)| candidate.equals(key)).map(|(_, value)| value)
    }

    /// Lookup by a string key without building a value.
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(candidate, _)| matches!(candidate, Value::String(text) if &**text == key))
            .map(|(_, value)| value)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub enum Type {
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    List,
    Map,
    Duration,
    Timestamp,
    Type,
    Optional,
    Quantity,
    Ip,
    Cidr,
    Url,
    Format,
    Semver,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Null => "null_type",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Uint => "uint",
            Type::Double => "double",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::List => "list",
            Type::Map => "map",
            Type::Duration => "google.protobuf.Duration",
            Type::Timestamp => "google.protobuf.Timestamp",
            Type::Type => "type",
            Type::Optional => "optional_type",
            Type::Quantity => "kubernetes.Quantity",
            Type::Ip => "net.IP",
            Type::Cidr => "net.CIDR",
            Type::Url => "kubernetes.URL",
            Type::Format => "kubernetes.NamedFormat",
            Type::Semver => "kubernetes.Semver",
        }
    }

    /// The type an identifier names, when it names one.
    pub fn named(name: &str) -> Option<Type> {
        Some(match name {
            "null_type" => Type::Null,
            "bool" => Type::Bool,
            "int" => Type::Int,
            "uint" => Type::Uint,
            "double" => Type::Double,
            "string" => Type::String,
            "bytes" => Type::Bytes,
            "list" => Type::List,
            "map" => Type::Map,
            "type" => Type::Type,
            "optional_type" => Type::Optional,
            "google.protobuf.Duration" => Type::Duration,
            "google.protobuf.Timestamp" => Type::Timestamp,
            "kubernetes.Quantity" => Type::Quantity,
            "net.IP" => Type::Ip,
            "net.CIDR" => Type::Cidr,
            "kubernetes.URL" => Type::Url,
            "kubernetes.NamedFormat" => Type::Format,
            "kubernetes.Semver" => Type::Semver,
            _ => return None,
        })
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(value.into())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(value.into())
    }
}

impl From<Vec<Value>> for Value {
    fn from(values: Vec<Value>) -> Self {
        Value::List(values.into())
    }
}

impl Value {
    pub fn type_of(&self) -> Type {
        match self {
            Value::Null => Type::Null,
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Uint(_) => Type::Uint,
            Value::Double(_) => Type::Double,
            Value::String(_) => Type::String,
            Value::Bytes(_) => Type::Bytes,
            Value::List(_) => Type::List,
            Value::Map(_) => Type::Map,
            Value::Duration(_) => Type::Duration,
            Value::Timestamp(_) => Type::Timestamp,
            Value::Type(_) => Type::Type,
            Value::Optional(_) => Type::Optional,
            Value::Quantity(_) => Type::Quantity,
            Value::Ip(_) => Type::Ip,
            Value::Cidr(..) => Type::Cidr,
            Value::Url(_) => Type::Url,
            Value::Format(_) => Type::Format,
            Value::Semver(_) => Type::Semver,
        }
    }

    pub fn type_name(&self) -> &'static str {
        self.type_of().name()
    }

    pub fn map(entries: Vec<(Value, Value)>) -> Value {
        Value::Map(Rc::new(Map { entries }))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// CEL's `==`: numbers compare across int, uint and double; other values of different
    /// types are unequal (never an error).
    pub fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| a.equals(b)),
            (Value::Map(a), Value::Map(b)) => {
                a.entries.len() == b.entries.len()
                    && a.entries.iter().all(|(key, value)| b.get(key).is_some_and(|other| other.equals(value)))
            }
            (Value::Duration(a), Value::Duration(b)) | (Value::Timestamp(a), Value::Timestamp(b)) => a == b,
            (Value::Type(a), Value::Type(b)) => a == b,
            (Value::Optional(a), Value::Optional(b)) => match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.equals(b),
                _ => false,
            },
            (Value::Quantity(a), Value::Quantity(b)) => a.compare(b) == Ordering::Equal,
            (Value::Ip(a), Value::Ip(b)) => a == b,
            (Value::Cidr(a, x), Value::Cidr(b, y)) => a == b && x == y,
            (Value::Url(a), Value::Url(b)) => a.text == b.text,
            (Value::Format(a), Value::Format(b)) => a.name == b.name,
            (Value::Semver(a), Value::Semver(b)) => a.compare(b) == Ordering::Equal,
            _ => numeric_order(self, other) == Some(Ordering::Equal),
        }
    }

    /// CEL's ordering, where it is defined (numbers across types, strings, bytes, bools,
    /// durations, timestamps); `None` for values that do not order.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
            (Value::Bytes(a), Value::Bytes(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Duration(a), Value::Duration(b)) | (Value::Timestamp(a), Value::Timestamp(b)) => Some(a.cmp(b)),
            _ => numeric_order(self, other),
        }
    }

    /// The value as `string()` converts it, for the types that convert.
    pub fn to_text(&self) -> Option<String> {
        Some(match self {
            Value::String(text) => text.to_string(),
            Value::Int(number) => number.to_string(),
            Value::Uint(number) => number.to_string(),
            Value::Double(number) => format_double(*number),
            Value::Bool(flag) => flag.to_string(),
            Value::Bytes(bytes) => String::from_utf8(bytes.to_vec()).ok()?,
            Value::Duration(nanos) => crate::functions::format_duration(*nanos),
            Value::Timestamp(nanos) => crate::functions::format_timestamp(*nanos),
            Value::Quantity(quantity) => quantity.text.clone(),
            Value::Ip(address) => address.to_string(),
            Value::Cidr(address, prefix) => format!("{address}/{prefix}"),
            Value::Url(url) => url.text.clone(),
            Value::Semver(version) => version.to_string(),
            Value::Type(type_value) => type_value.name().to_string(),
            _ => return None,
        })
    }

    /// A readable rendering, for messages (strings quoted, collections in CEL syntax).
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.write_display(&mut out, 0);
        out
    }

    fn write_display(&self, out: &mut String, depth: usize) {
        if out.len() > 2_000 || depth > 16 {
            out.push('…');
            return;
        }
        match self {
            Value::Null => out.push_str("null"),
            Value::String(text) => {
                let _ = write!(out, "{:?}", &**text);
            }
            Value::Uint(number) => {
                let _ = write!(out, "{number}u");
            }
            Value::Bytes(bytes) => {
                let _ = write!(out, "b{:?}", String::from_utf8_lossy(bytes));
            }
            Value::List(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    item.write_display(out, depth + 1);
                }
                out.push(']');
            }
            Value::Map(map) => {
                out.push('{');
                for (index, (key, value)) in map.entries.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    key.write_display(out, depth + 1);
                    out.push_str(": ");
                    value.write_display(out, depth + 1);
                }
                out.push('}');
            }
            Value::Optional(None) => out.push_str("optional.none()"),
            Value::Format(format) => {
                let _ = write!(out, "format.{}()", format.name);
            }
            Value::Optional(Some(value)) => {
                out.push_str("optional.of(");
                value.write_display(out, depth + 1);
                out.push(')');
            }
            other => out.push_str(&other.to_text().unwrap_or_default()),
        }
    }

    /// Whether the value is its type's zero value (`optional.ofNonZeroValue`).
    pub fn is_zero(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Bool(flag) => !flag,
            Value::Int(number) => *number == 0,
            Value::Uint(number) => *number == 0,
            Value::Double(number) => *number == 0.0,
            Value::String(text) => text.is_empty(),
            Value::Bytes(bytes) => bytes.is_empty(),
            Value::List(items) => items.is_empty(),
            Value::Map(map) => map.entries.is_empty(),
            Value::Duration(nanos) | Value::Timestamp(nanos) => *nanos == 0,
            Value::Optional(value) => value.is_none(),
            _ => false,
        }
    }

    /// A rough size, for the cost of operations proportional to their operands.
    pub fn cost_size(&self) -> u64 {
        match self {
            Value::String(text) => text.len() as u64 / 8 + 1,
            Value::Bytes(bytes) => bytes.len() as u64 / 8 + 1,
            Value::List(items) => items.len() as u64 + 1,
            Value::Map(map) => map.entries.len() as u64 + 1,
            _ => 1,
        }
    }
}

/// Formats a double as CEL's `string()` does (shortest form that reads back).
pub fn format_double(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_string();
    }
    if number.is_infinite() {
        return if number > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let text = format!("{number}");
    if number.abs() >= 1e21 || (number != 0.0 && number.abs() < 1e-6) {
        return format!("{number:e}").replace('e', "e+").replace("e+-", "e-");
    }
    text
}

fn numeric_order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
        (Value::Uint(a), Value::Uint(b)) => Some(a.cmp(b)),
        (Value::Double(a), Value::Double(b)) => a.partial_cmp(b),
        (Value::Int(a), Value::Uint(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
        (Value::Uint(a), Value::Int(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
        (Value::Int(a), Value::Double(b)) => compare_integer_double(i128::from(*a), *b),
        (Value::Uint(a), Value::Double(b)) => compare_integer_double(i128::from(*a), *b),
        (Value::Double(a), Value::Int(b)) => compare_integer_double(i128::from(*b), *a).map(Ordering::reverse),
        (Value::Double(a), Value::Uint(b)) => compare_integer_double(i128::from(*b), *a).map(Ordering::reverse),
        _ => None,
    }
}

fn compare_integer_double(integer: i128, double: f64) -> Option<Ordering> {
    if double.is_nan() {
        return None;
    }
    if double >= 1.8e19 {
        return Some(Ordering::Less);
    }
    if double <= -9.3e18 {
        return Some(Ordering::Greater);
    }
    let whole = double.trunc() as i128;
    match integer.cmp(&whole) {
        Ordering::Equal => {
            let fraction = double - double.trunc();
            Some(if fraction > 0.0 {
                Ordering::Less
            } else if fraction < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            })
        }
        other => Some(other),
    }
}
