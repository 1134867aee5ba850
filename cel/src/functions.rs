//! The function library: CEL's standard functions and operators, and the extensions
//! Kubernetes enables (strings, lists, regex, sets, optionals, base64, math, URLs,
//! quantities, IPs and CIDRs).
//!
//! Names are resolved when an expression compiles ([`resolve`]): a name Rampart does not
//! implement is an error there. Overloads are chosen by the values at run time; a value of
//! a type no overload takes is a "no such overload" error, as in cel-go.

use std::cmp::Ordering;
use std::rc::Rc;

use crate::eval::{no_such_overload, Machine};
use crate::k8s;
use crate::parse::BinOp;
use crate::value::{format_double, Map, Value};
use crate::Error;

macro_rules! functions {
    ($($variant:ident: $name:literal, $receiver:tt, $min:tt, $max:tt;)*) => {
        /// A library function, resolved at compile time.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Func { $($variant),* }

        /// `(name, called on a receiver, fewest arguments, most arguments, function)`; the
        /// receiver is not counted.
        const TABLE: &[(&str, bool, usize, usize, Func)] = &[$(($name, $receiver, $min, $max, Func::$variant)),*];

        impl Func {
            pub fn name(self) -> &'static str {
                match self { $(Func::$variant => $name),* }
            }
        }
    };
}

functions! {
    Size: "size", false, 1, 1;
    SizeMethod: "size", true, 0, 0;
    Contains: "contains", true, 1, 1;
    StartsWith: "startsWith", true, 1, 1;
    EndsWith: "endsWith", true, 1, 1;
    Matches: "matches", false, 2, 2;
    MatchesMethod: "matches", true, 1, 1;
    Int: "int", false, 1, 1;
    Uint: "uint", false, 1, 1;
    Double: "double", false, 1, 1;
    String: "string", false, 1, 1;
    Bytes: "bytes", false, 1, 1;
    Bool: "bool", false, 1, 1;
    Dyn: "dyn", false, 1, 1;
    Type: "type", false, 1, 1;
    Duration: "duration", false, 1, 1;
    Timestamp: "timestamp", false, 1, 1;
    GetFullYear: "getFullYear", true, 0, 1;
    GetMonth: "getMonth", true, 0, 1;
    GetDate: "getDate", true, 0, 1;
    GetDayOfMonth: "getDayOfMonth", true, 0, 1;
    GetDayOfWeek: "getDayOfWeek", true, 0, 1;
    GetDayOfYear: "getDayOfYear", true, 0, 1;
    GetHours: "getHours", true, 0, 1;
    GetMinutes: "getMinutes", true, 0, 1;
    GetSeconds: "getSeconds", true, 0, 1;
    GetMilliseconds: "getMilliseconds", true, 0, 1;
    CharAt: "charAt", true, 1, 1;
    IndexOf: "indexOf", true, 1, 2;
    LastIndexOf: "lastIndexOf", true, 1, 2;
    LowerAscii: "lowerAscii", true, 0, 0;
    UpperAscii: "upperAscii", true, 0, 0;
    Replace: "replace", true, 2, 3;
    Split: "split", true, 1, 2;
    Substring: "substring", true, 1, 2;
    Trim: "trim", true, 0, 0;
    Join: "join", true, 0, 1;
    Quote: "strings.quote", false, 1, 1;
    Reverse: "reverse", true, 0, 0;
    Format: "format", true, 1, 1;
    IsSorted: "isSorted", true, 0, 0;
    Sum: "sum", true, 0, 0;
    Min: "min", true, 0, 0;
    Max: "max", true, 0, 0;
    Slice: "slice", true, 2, 2;
    Flatten: "flatten", true, 0, 1;
    Distinct: "distinct", true, 0, 0;
    Sort: "sort", true, 0, 0;
    First: "first", true, 0, 0;
    Last: "last", true, 0, 0;
    ListsRange: "lists.range", false, 1, 1;
    Find: "find", true, 1, 1;
    FindAll: "findAll", true, 1, 2;
    SetsContains: "sets.contains", false, 2, 2;
    SetsEquivalent: "sets.equivalent", false, 2, 2;
    SetsIntersects: "sets.intersects", false, 2, 2;
    OptionalOf: "optional.of", false, 1, 1;
    OptionalNone: "optional.none", false, 0, 0;
    OptionalOfNonZeroValue: "optional.ofNonZeroValue", false, 1, 1;
    HasValue: "hasValue", true, 0, 0;
    OptionalValue: "value", true, 0, 0;
    Or: "or", true, 1, 1;
    OrValue: "orValue", true, 1, 1;
    Base64Encode: "base64.encode", false, 1, 1;
    Base64Decode: "base64.decode", false, 1, 1;
    Greatest: "math.greatest", false, 1, 64;
    Least: "math.least", false, 1, 64;
    Url: "url", false, 1, 1;
    IsUrl: "isURL", false, 1, 1;
    GetScheme: "getScheme", true, 0, 0;
    GetHost: "getHost", true, 0, 0;
    GetHostname: "getHostname", true, 0, 0;
    GetPort: "getPort", true, 0, 0;
    GetEscapedPath: "getEscapedPath", true, 0, 0;
    GetQuery: "getQuery", true, 0, 0;
    Quantity: "quantity", false, 1, 1;
    IsQuantity: "isQuantity", false, 1, 1;
    Sign: "sign", true, 0, 0;
    SignOf: "sign", false, 1, 1;
    IsInteger: "isInteger", true, 0, 0;
    AsInteger: "asInteger", true, 0, 0;
    AsApproximateFloat: "asApproximateFloat", true, 0, 0;
    Add: "add", true, 1, 1;
    Sub: "sub", true, 1, 1;
    CompareTo: "compareTo", true, 1, 1;
    IsGreaterThan: "isGreaterThan", true, 1, 1;
    IsLessThan: "isLessThan", true, 1, 1;
    Ip: "ip", false, 1, 1;
    IpOfCidr: "ip", true, 0, 0;
    IsIp: "isIP", false, 1, 1;
    IsCanonical: "ip.isCanonical", false, 1, 1;
    Family: "family", true, 0, 0;
    IsUnspecified: "isUnspecified", true, 0, 0;
    IsLoopback: "isLoopback", true, 0, 0;
    IsLinkLocalMulticast: "isLinkLocalMulticast", true, 0, 0;
    IsLinkLocalUnicast: "isLinkLocalUnicast", true, 0, 0;
    IsGlobalUnicast: "isGlobalUnicast", true, 0, 0;
    Cidr: "cidr", false, 1, 1;
    IsCidr: "isCIDR", false, 1, 1;
    ContainsIp: "containsIP", true, 1, 1;
    ContainsCidr: "containsCIDR", true, 1, 1;
    Masked: "masked", true, 0, 0;
    PrefixLength: "prefixLength", true, 0, 0;
    FormatNamed: "format.named", false, 1, 1;
    FormatDns1123Label: "format.dns1123Label", false, 0, 0;
    FormatDns1123Subdomain: "format.dns1123Subdomain", false, 0, 0;
    FormatDns1035Label: "format.dns1035Label", false, 0, 0;
    FormatQualifiedName: "format.qualifiedName", false, 0, 0;
    FormatDns1123LabelPrefix: "format.dns1123LabelPrefix", false, 0, 0;
    FormatDns1123SubdomainPrefix: "format.dns1123SubdomainPrefix", false, 0, 0;
    FormatDns1035LabelPrefix: "format.dns1035LabelPrefix", false, 0, 0;
    FormatLabelValue: "format.labelValue", false, 0, 0;
    FormatUri: "format.uri", false, 0, 0;
    FormatUuid: "format.uuid", false, 0, 0;
    FormatByte: "format.byte", false, 0, 0;
    FormatDate: "format.date", false, 0, 0;
    FormatDatetime: "format.datetime", false, 0, 0;
    Validate: "validate", true, 1, 1;
    Semver: "semver", false, 1, 2;
    IsSemver: "isSemver", false, 1, 2;
    Major: "major", true, 0, 0;
    Minor: "minor", true, 0, 0;
    Patch: "patch", true, 0, 0;
}

/// Functions of Kubernetes' CEL environment that Rampart does not implement, with why.
const KNOWN_UNSUPPORTED: &[(&str, &str)] = &[
    ("image", "Kubernetes' image library"),
    ("isImage", "Kubernetes' image library"),
    ("containsDigest", "Kubernetes' image library"),
    ("registry", "Kubernetes' image library"),
    ("repository", "Kubernetes' image library"),
    ("identifier", "Kubernetes' image library"),
    ("tag", "Kubernetes' image library"),
    ("digest", "Kubernetes' image library"),
    ("mul", "Kubernetes' quantity arithmetic"),
    ("div", "Kubernetes' quantity arithmetic"),
    ("divInt", "Kubernetes' quantity arithmetic"),
    ("check", "the authorizer"),
    ("allowed", "the authorizer"),
    ("path", "the authorizer"),
    ("group", "the authorizer"),
    ("resource", "the authorizer"),
    ("serviceAccount", "the authorizer"),
    ("getTimestamp", "timestamps from the clock"),
];

/// Whether `name` (qualified, as `sets.contains`) is a function called without receiver.
pub fn is_global(name: &str) -> bool {
    TABLE.iter().any(|(candidate, receiver, ..)| *candidate == name && !receiver)
}

/// Resolves a call's name, style and argument count to a function, or says why not.
pub fn resolve(name: &str, receiver: bool, arity: usize) -> Result<Func, String> {
    let candidates: Vec<_> = TABLE.iter().filter(|(candidate, ..)| *candidate == name).collect();
    if let Some((.., func)) = candidates
        .iter()
        .find(|(_, is_receiver, min, max, _)| *is_receiver == receiver && (*min..=*max).contains(&arity))
    {
        return Ok(*func);
    }
    if candidates.is_empty() {
        if let Some((_, library)) = KNOWN_UNSUPPORTED.iter().find(|(unsupported, _)| *unsupported == name) {
            return Err(format!("function '{name}' ({library}) is not supported by Rampart"));
        }
        return Err(format!("function '{name}' is not supported by Rampart (undeclared reference to '{name}')"));
    }
    let style = |is_receiver: bool| if is_receiver { "called on a value (x.f(…))" } else { "called as f(…)" };
    let forms: Vec<String> = candidates
        .iter()
        .map(|(_, is_receiver, min, max, _)| {
            let count = if min == max { format!("{min}") } else { format!("{min} to {max}") };
            format!("{} with {count} argument(s)", style(*is_receiver))
        })
        .collect();
    Err(format!("no matching overload for '{name}' with {arity} argument(s): it is {}", forms.join(", or ")))
}

type Outcome = Result<Value, String>;

/// The type error of a call whose arguments are all constants, as the API server's type
/// checker reports it when the policy is created (`found no matching overload for 'cidr'
/// applied to '(int)'`): no overload takes arguments of these types. Errors that depend on
/// the values (an invalid quantity, a mixed list to sort) stay errors of evaluation.
pub(crate) fn constant_type_error(func: Func, args: &[Value]) -> Option<String> {
    // Compiling has no cost budget: only small arguments, and nothing that makes a large
    // value out of a small one, are tried.
    if func == Func::ListsRange || args.iter().map(Value::cost_size).sum::<u64>() > 256 {
        return None;
    }
    let message = call_inner(func, args).err()?;
    if message != overload(func, args) {
        return None;
    }
    let types: Vec<&str> = args.iter().map(Value::type_name).collect();
    Some(format!("found no matching overload for '{}' applied to '({})'", func.name(), types.join(", ")))
}

fn int(value: i64) -> Outcome {
    Ok(Value::Int(value))
}

fn text(value: impl Into<Rc<str>>) -> Outcome {
    Ok(Value::String(value.into()))
}

fn boolean(flag: bool) -> Outcome {
    Ok(Value::Bool(flag))
}

/// Calls `func` with evaluated arguments (the receiver first).
pub fn call(func: Func, args: &[Value], machine: &Machine<'_, '_>, offset: u32) -> Result<Value, Error> {
    let cost: u64 = args.iter().map(Value::cost_size).sum();
    machine.spend(cost, offset)?;
    let result = call_inner(func, args).map_err(|message| Error::new(message, offset))?;
    machine.spend(result.cost_size(), offset)?;
    Ok(result)
}

fn overload(func: Func, args: &[Value]) -> String {
    let refs: Vec<&Value> = args.iter().collect();
    no_such_overload(func.name(), &refs)
}

fn call_inner(func: Func, args: &[Value]) -> Outcome {
    use Func as F;
    use Value as V;
    let fail = || Err(overload(func, args));
    match (func, args) {
        (F::Size | F::SizeMethod, [value]) => match value {
            V::String(text) => int(text.chars().count() as i64),
            V::Bytes(bytes) => int(bytes.len() as i64),
            V::List(items) => int(items.len() as i64),
            V::Map(map) => int(map.entries.len() as i64),
            _ => fail(),
        },
        (F::Contains, [V::String(a), V::String(b)]) => boolean(a.contains(&**b)),
        (F::StartsWith, [V::String(a), V::String(b)]) => boolean(a.starts_with(&**b)),
        (F::EndsWith, [V::String(a), V::String(b)]) => boolean(a.ends_with(&**b)),
        (F::Matches | F::MatchesMethod, [V::String(subject), V::String(pattern)]) => {
            k8s::with_regex(pattern, |regex| regex.is_match(subject)).map(V::Bool)
        }
        (F::Int, [value]) => convert_int(value),
        (F::Uint, [value]) => convert_uint(value),
        (F::Double, [value]) => match value {
            V::Double(number) => Ok(V::Double(*number)),
            V::Int(number) => Ok(V::Double(*number as f64)),
            V::Uint(number) => Ok(V::Double(*number as f64)),
            V::String(text) => {
                text.trim().parse::<f64>().map(V::Double).map_err(|_| format!("cannot convert {text:?} to double"))
            }
            _ => fail(),
        },
        (F::String, [value]) => match value {
            V::Bytes(bytes) => {
                std::str::from_utf8(bytes).map(text).map_err(|_| "invalid UTF-8 in bytes".to_string())?
            }
            V::List(_) | V::Map(_) | V::Null | V::Optional(_) => fail(),
            other => text(other.to_text().unwrap_or_default()),
        },
        (F::Bytes, [value]) => match value {
            V::String(text) => Ok(V::Bytes(text.as_bytes().into())),
            V::Bytes(_) => Ok(value.clone()),
            _ => fail(),
        },
        (F::Bool, [value]) => match value {
            V::Bool(_) => Ok(value.clone()),
            V::String(text) => match &**text {
                "1" | "t" | "true" | "TRUE" | "True" => boolean(true),
                "0" | "f" | "false" | "FALSE" | "False" => boolean(false),
                _ => Err(format!("type conversion error from 'string' to 'bool': {text:?}")),
            },
            _ => fail(),
        },
        (F::Dyn, [value]) => Ok(value.clone()),
        (F::Type, [value]) => Ok(V::Type(value.type_of())),
        (F::Duration, [value]) => match value {
            V::String(text) => parse_duration(text).map(V::Duration),
            V::Duration(_) => Ok(value.clone()),
            _ => fail(),
        },
        (F::Timestamp, [value]) => match value {
            V::String(text) => parse_timestamp(text).map(V::Timestamp),
            V::Timestamp(_) => Ok(value.clone()),
            V::Int(seconds) => Ok(V::Timestamp(i128::from(*seconds) * 1_000_000_000)),
            _ => fail(),
        },
        (
            F::GetFullYear
            | F::GetMonth
            | F::GetDate
            | F::GetDayOfMonth
            | F::GetDayOfWeek
            | F::GetDayOfYear
            | F::GetHours
            | F::GetMinutes
            | F::GetSeconds
            | F::GetMilliseconds,
            [receiver, rest @ ..],
        ) => time_part(func, receiver, rest),
        (F::CharAt, [V::String(s), V::Int(index)]) => {
            let count = s.chars().count() as i64;
            if *index < 0 || *index > count {
                return Err(format!("index out of range: {index}"));
            }
            text(s.chars().nth(*index as usize).map(String::from).unwrap_or_default())
        }
        (F::IndexOf | F::LastIndexOf, [V::String(s), V::String(needle), rest @ ..])
            if matches!(rest, [] | [V::Int(_)]) =>
        {
            string_index(func == F::LastIndexOf, s, needle, rest)
        }
        (F::IndexOf, [V::List(items), needle]) => {
            int(items.iter().position(|item| item.equals(needle)).map_or(-1, |p| p as i64))
        }
        (F::LastIndexOf, [V::List(items), needle]) => {
            int(items.iter().rposition(|item| item.equals(needle)).map_or(-1, |p| p as i64))
        }
        (F::LowerAscii, [V::String(s)]) => text(s.to_ascii_lowercase()),
        (F::UpperAscii, [V::String(s)]) => text(s.to_ascii_uppercase()),
        (F::Replace, [V::String(s), V::String(from), V::String(to), rest @ ..]) => {
            let limit = match rest {
                [] => -1,
                [V::Int(limit)] => *limit,
                _ => return fail(),
            };
            if limit < 0 {
                text(s.replace(&**from, to))
            } else {
                text(s.replacen(&**from, to, limit as usize))
            }
        }
        (F::Split, [V::String(s), V::String(separator), rest @ ..]) => {
            let limit = match rest {
                [] => -1,
                [V::Int(limit)] => *limit,
                _ => return fail(),
            };
            split(s, separator, limit)
        }
        (F::Substring, [V::String(s), V::Int(start), rest @ ..]) => {
            let count = s.chars().count() as i64;
            let end = match rest {
                [] => count,
                [V::Int(end)] => *end,
                _ => return fail(),
            };
            if *start < 0 || *start > count {
                return Err(format!("index out of range: {start}"));
            }
            if end < 0 || end > count {
                return Err(format!("index out of range: {end}"));
            }
            if *start > end {
                return Err(format!("invalid substring range. start: {start}, end: {end}"));
            }
            text(s.chars().skip(*start as usize).take((end - start) as usize).collect::<String>())
        }
        (F::Trim, [V::String(s)]) => text(s.trim()),
        (F::Join, [V::List(items), rest @ ..]) => {
            let separator = match rest {
                [] => "",
                [V::String(separator)] => separator,
                _ => return fail(),
            };
            let mut parts = Vec::with_capacity(items.len());
            for item in items.iter() {
                match item {
                    V::String(part) => parts.push(&**part),
                    other => return Err(format!("join: list element is {}, not a string", other.type_name())),
                }
            }
            text(parts.join(separator))
        }
        (F::Quote, [V::String(s)]) => text(quote(s)),
        (F::Reverse, [V::String(s)]) => text(s.chars().rev().collect::<String>()),
        (F::Reverse, [V::List(items)]) => Ok(V::List(items.iter().rev().cloned().collect::<Vec<_>>().into())),
        (F::Format, [V::String(template), V::List(items)]) => crate::k8s::format(template, items).map(V::String),
        (F::IsSorted, [V::List(items)]) => {
            for pair in items.windows(2) {
                match pair[0].compare(&pair[1]) {
                    Some(Ordering::Greater) => return boolean(false),
                    Some(_) => {}
                    None => return Err(no_such_overload("isSorted", &[&pair[0], &pair[1]])),
                }
            }
            boolean(true)
        }
        (F::Sum, [V::List(items)]) => {
            let mut total = match items.first() {
                None => return int(0),
                Some(first) => first.clone(),
            };
            for item in &items[1..] {
                total = arithmetic(BinOp::Add, &total, item)?;
            }
            Ok(total)
        }
        (F::Min | F::Max, [V::List(items)]) => {
            let want = if func == F::Min { Ordering::Less } else { Ordering::Greater };
            let mut best = items.first().ok_or_else(|| format!("{}: the list is empty", func.name()))?;
            for item in &items[1..] {
                match item.compare(best) {
                    Some(order) if order == want => best = item,
                    Some(_) => {}
                    None => return Err(no_such_overload(func.name(), &[best, item])),
                }
            }
            Ok(best.clone())
        }
        (F::Slice, [V::List(items), V::Int(start), V::Int(end)]) => {
            if *start < 0 || *end < 0 || start > end || *end as usize > items.len() {
                return Err(format!("cannot slice({start}, {end}) a list of size {}", items.len()));
            }
            Ok(V::List(items[*start as usize..*end as usize].to_vec().into()))
        }
        (F::Flatten, [V::List(items), rest @ ..]) => {
            let depth = match rest {
                [] => 1,
                [V::Int(depth)] if *depth >= 0 => *depth,
                [V::Int(_)] => return Err("flatten: level must be non-negative".to_string()),
                _ => return fail(),
            };
            let mut out = Vec::new();
            flatten(items, depth, &mut out);
            Ok(V::List(out.into()))
        }
        (F::Distinct, [V::List(items)]) => {
            let mut out: Vec<Value> = Vec::new();
            for item in items.iter() {
                if !out.iter().any(|seen| seen.equals(item)) {
                    out.push(item.clone());
                }
            }
            Ok(V::List(out.into()))
        }
        (F::Sort, [V::List(items)]) => {
            let mut out = items.to_vec();
            for pair in out.windows(2) {
                if pair[0].compare(&pair[1]).is_none() {
                    return Err(no_such_overload("sort", &[&pair[0], &pair[1]]));
                }
            }
            out.sort_by(|a, b| a.compare(b).unwrap_or(Ordering::Equal));
            Ok(V::List(out.into()))
        }
        (F::First, [V::List(items)]) => Ok(V::Optional(items.first().cloned().map(Rc::new))),
        (F::Last, [V::List(items)]) => Ok(V::Optional(items.last().cloned().map(Rc::new))),
        (F::ListsRange, [V::Int(count)]) => {
            if !(0..=1_000_000).contains(count) {
                return Err(format!("lists.range: {count} is out of range"));
            }
            Ok(V::List((0..*count).map(V::Int).collect::<Vec<_>>().into()))
        }
        (F::Find, [V::String(subject), V::String(pattern)]) => k8s::with_regex(pattern, |regex| {
            regex.find(subject).map_or(String::new(), |found| found.as_str().to_string())
        })
        .map(V::from),
        (F::FindAll, [V::String(subject), V::String(pattern), rest @ ..]) => {
            let limit = match rest {
                [] => -1,
                [V::Int(limit)] => *limit,
                _ => return fail(),
            };
            if limit == 0 {
                return Ok(V::List(Vec::new().into()));
            }
            k8s::with_regex(pattern, |regex| {
                let found = regex.find_iter(subject).map(|found| V::from(found.as_str()));
                if limit < 0 {
                    found.collect::<Vec<_>>()
                } else {
                    found.take(limit as usize).collect::<Vec<_>>()
                }
            })
            .map(V::from)
        }
        (F::SetsContains, [V::List(a), V::List(b)]) => {
            boolean(b.iter().all(|item| a.iter().any(|other| other.equals(item))))
        }
        (F::SetsEquivalent, [V::List(a), V::List(b)]) => boolean(
            b.iter().all(|item| a.iter().any(|other| other.equals(item)))
                && a.iter().all(|item| b.iter().any(|other| other.equals(item))),
        ),
        (F::SetsIntersects, [V::List(a), V::List(b)]) => {
            boolean(a.iter().any(|item| b.iter().any(|other| other.equals(item))))
        }
        (F::OptionalOf, [value]) => Ok(V::Optional(Some(Rc::new(value.clone())))),
        (F::OptionalNone, []) => Ok(V::Optional(None)),
        (F::OptionalOfNonZeroValue, [value]) => {
            Ok(V::Optional(if value.is_zero() { None } else { Some(Rc::new(value.clone())) }))
        }
        (F::HasValue, [V::Optional(inner)]) => boolean(inner.is_some()),
        (F::OptionalValue, [V::Optional(inner)]) => {
            inner.as_ref().map(|value| (**value).clone()).ok_or_else(|| "optional.none() dereference".to_string())
        }
        (F::Or, [V::Optional(inner), other @ V::Optional(_)]) => {
            Ok(if inner.is_some() { args[0].clone() } else { other.clone() })
        }
        (F::OrValue, [V::Optional(inner), other]) => {
            Ok(inner.as_ref().map_or_else(|| other.clone(), |value| (**value).clone()))
        }
        (F::Base64Encode, [V::Bytes(bytes)]) => text(k8s::base64_encode(bytes)),
        (F::Base64Decode, [V::String(s)]) => k8s::base64_decode(s).map(|bytes| V::Bytes(bytes.into())),
        (F::Greatest | F::Least, values) => {
            let values: &[Value] = match values {
                [V::List(items)] => items,
                _ => values,
            };
            let want = if func == F::Greatest { Ordering::Greater } else { Ordering::Less };
            let mut best = values.first().ok_or_else(|| format!("{}: no arguments", func.name()))?;
            for value in &values[1..] {
                if !matches!(value, V::Int(_) | V::Uint(_) | V::Double(_)) {
                    return Err(no_such_overload(func.name(), &[value]));
                }
                if value.compare(best) == Some(want) {
                    best = value;
                }
            }
            if !matches!(best, V::Int(_) | V::Uint(_) | V::Double(_)) {
                return Err(no_such_overload(func.name(), &[best]));
            }
            Ok(best.clone())
        }
        _ => k8s::call(func, args).unwrap_or_else(fail),
    }
}

fn convert_int(value: &Value) -> Outcome {
    match value {
        Value::Int(_) => Ok(value.clone()),
        Value::Uint(number) => i64::try_from(*number).map(Value::Int).map_err(|_| "integer overflow".to_string()),
        Value::Double(number) => {
            if number.is_nan() || *number <= -9.223_372_036_854_776e18 || *number >= 9.223_372_036_854_776e18 {
                return Err("integer overflow".to_string());
            }
            Ok(Value::Int(number.trunc() as i64))
        }
        Value::String(text) => {
            text.parse::<i64>().map(Value::Int).map_err(|_| format!("cannot convert {text:?} to int"))
        }
        Value::Timestamp(nanos) => Ok(Value::Int(nanos.div_euclid(1_000_000_000) as i64)),
        Value::Duration(nanos) => Ok(Value::Int((nanos / 1_000_000_000) as i64)),
        _ => Err(no_such_overload("int", &[value])),
    }
}

fn convert_uint(value: &Value) -> Outcome {
    match value {
        Value::Uint(_) => Ok(value.clone()),
        Value::Int(number) => {
            u64::try_from(*number).map(Value::Uint).map_err(|_| "unsigned integer overflow".to_string())
        }
        Value::Double(number) => {
            if number.is_nan() || *number <= -1.0 || *number >= 1.844_674_407_370_955_2e19 {
                return Err("unsigned integer overflow".to_string());
            }
            Ok(Value::Uint(number.trunc() as u64))
        }
        Value::String(text) => {
            text.parse::<u64>().map(Value::Uint).map_err(|_| format!("cannot convert {text:?} to uint"))
        }
        _ => Err(no_such_overload("uint", &[value])),
    }
}

fn string_index(last: bool, s: &str, needle: &str, rest: &[Value]) -> Outcome {
    let characters: Vec<char> = s.chars().collect();
    let needle: Vec<char> = needle.chars().collect();
    let count = characters.len() as i64;
    let start = match rest {
        [] => {
            if last {
                count
            } else {
                0
            }
        }
        [Value::Int(start)] => *start,
        _ => return Err("no such overload: indexOf with a non-int start".to_string()),
    };
    if start < 0 || start > count {
        return Err(format!("index out of range: {start}"));
    }
    let fits = |position: usize| {
        characters.get(position..position + needle.len()).is_some_and(|window| window == needle.as_slice())
    };
    if last {
        let highest = (start as usize).min(characters.len().saturating_sub(needle.len()));
        if needle.len() > characters.len() {
            return int(-1);
        }
        int((0..=highest).rev().find(|&position| fits(position)).map_or(-1, |position| position as i64))
    } else {
        int((start as usize..=characters.len()).find(|&position| fits(position)).map_or(-1, |position| position as i64))
    }
}

fn split(s: &str, separator: &str, limit: i64) -> Outcome {
    let parts: Vec<Value> = match limit {
        0 => Vec::new(),
        1 => vec![Value::from(s)],
        _ if separator.is_empty() => {
            let characters: Vec<String> = s.chars().map(String::from).collect();
            if limit < 0 || characters.len() <= limit as usize {
                characters.into_iter().map(Value::from).collect()
            } else {
                let mut out: Vec<Value> =
                    characters[..limit as usize - 1].iter().map(|c| Value::from(c.as_str())).collect();
                out.push(Value::from(characters[limit as usize - 1..].concat()));
                out
            }
        }
        _ if limit < 0 => s.split(separator).map(Value::from).collect(),
        _ => s.splitn(limit as usize, separator).map(Value::from).collect(),
    };
    Ok(Value::List(parts.into()))
}

fn flatten(items: &[Value], depth: i64, out: &mut Vec<Value>) {
    for item in items {
        match item {
            Value::List(inner) if depth > 0 => flatten(inner, depth - 1, out),
            other => out.push(other.clone()),
        }
    }
}

/// `strings.quote`: the string in double quotes with CEL's escapes.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for character in s.chars() {
        match character {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// The binary operators.
pub fn binary(op: BinOp, left: &Value, right: &Value, machine: &Machine<'_, '_>, offset: u32) -> Result<Value, Error> {
    let result = match op {
        BinOp::Eq => Ok(Value::Bool(left.equals(right))),
        BinOp::Ne => Ok(Value::Bool(!left.equals(right))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let name = match op {
                BinOp::Lt => "_<_",
                BinOp::Le => "_<=_",
                BinOp::Gt => "_>_",
                _ => "_>=_",
            };
            let comparable = left.type_of() == right.type_of()
                || matches!(
                    (left, right),
                    (
                        Value::Int(_) | Value::Uint(_) | Value::Double(_),
                        Value::Int(_) | Value::Uint(_) | Value::Double(_)
                    )
                );
            match left.compare(right) {
                Some(order) if comparable => Ok(Value::Bool(match op {
                    BinOp::Lt => order == Ordering::Less,
                    BinOp::Le => order != Ordering::Greater,
                    BinOp::Gt => order == Ordering::Greater,
                    _ => order != Ordering::Less,
                })),
                // NaN compares false to everything.
                None if matches!(left, Value::Double(_)) || matches!(right, Value::Double(_)) => {
                    if comparable {
                        Ok(Value::Bool(false))
                    } else {
                        Err(no_such_overload(name, &[left, right]))
                    }
                }
                _ => Err(no_such_overload(name, &[left, right])),
            }
        }
        BinOp::In => {
            machine.spend(right.cost_size(), offset)?;
            match right {
                Value::List(items) => Ok(Value::Bool(items.iter().any(|item| item.equals(left)))),
                Value::Map(map) => Ok(Value::Bool(map.get(left).is_some())),
                _ => Err(no_such_overload("@in", &[left, right])),
            }
        }
        _ => {
            machine.spend(left.cost_size() + right.cost_size(), offset)?;
            arithmetic(op, left, right)
        }
    };
    result.map_err(|message| Error::new(message, offset))
}

fn arithmetic(op: BinOp, left: &Value, right: &Value) -> Outcome {
    use Value as V;
    let overflow = || "integer overflow".to_string();
    let name = match op {
        BinOp::Add => "_+_",
        BinOp::Sub => "_-_",
        BinOp::Mul => "_*_",
        BinOp::Div => "_/_",
        _ => "_%_",
    };
    match (op, left, right) {
        (_, V::Int(a), V::Int(b)) => match op {
            BinOp::Add => a.checked_add(*b).map(V::Int).ok_or_else(overflow),
            BinOp::Sub => a.checked_sub(*b).map(V::Int).ok_or_else(overflow),
            BinOp::Mul => a.checked_mul(*b).map(V::Int).ok_or_else(overflow),
            BinOp::Div if *b == 0 => Err("division by zero".to_string()),
            BinOp::Div => a.checked_div(*b).map(V::Int).ok_or_else(overflow),
            _ if *b == 0 => Err("modulus by zero".to_string()),
            _ => a.checked_rem(*b).map(V::Int).ok_or_else(overflow),
        },
        (_, V::Uint(a), V::Uint(b)) => match op {
            BinOp::Add => a.checked_add(*b).map(V::Uint).ok_or_else(overflow),
            BinOp::Sub => a.checked_sub(*b).map(V::Uint).ok_or_else(overflow),
            BinOp::Mul => a.checked_mul(*b).map(V::Uint).ok_or_else(overflow),
            BinOp::Div if *b == 0 => Err("division by zero".to_string()),
            BinOp::Div => Ok(V::Uint(a / b)),
            _ if *b == 0 => Err("modulus by zero".to_string()),
            _ => Ok(V::Uint(a % b)),
        },
        (_, V::Double(a), V::Double(b)) => match op {
            BinOp::Add => Ok(V::Double(a + b)),
            BinOp::Sub => Ok(V::Double(a - b)),
            BinOp::Mul => Ok(V::Double(a * b)),
            BinOp::Div => Ok(V::Double(a / b)),
            _ => Err(no_such_overload(name, &[left, right])),
        },
        (BinOp::Add, V::String(a), V::String(b)) => {
            let mut joined = String::with_capacity(a.len() + b.len());
            joined.push_str(a);
            joined.push_str(b);
            text(joined)
        }
        (BinOp::Add, V::Bytes(a), V::Bytes(b)) => Ok(V::Bytes([&a[..], &b[..]].concat().into())),
        (BinOp::Add, V::List(a), V::List(b)) => {
            let mut joined = Vec::with_capacity(a.len() + b.len());
            joined.extend(a.iter().cloned());
            joined.extend(b.iter().cloned());
            Ok(V::List(joined.into()))
        }
        (BinOp::Add, V::Duration(a), V::Duration(b)) => checked_duration(a + b).map(V::Duration),
        (BinOp::Sub, V::Duration(a), V::Duration(b)) => checked_duration(a - b).map(V::Duration),
        (BinOp::Add, V::Timestamp(a), V::Duration(b)) | (BinOp::Add, V::Duration(b), V::Timestamp(a)) => {
            checked_timestamp(a + b).map(V::Timestamp)
        }
        (BinOp::Sub, V::Timestamp(a), V::Duration(b)) => checked_timestamp(a - b).map(V::Timestamp),
        (BinOp::Sub, V::Timestamp(a), V::Timestamp(b)) => checked_duration(a - b).map(V::Duration),
        _ => Err(no_such_overload(name, &[left, right])),
    }
}

// ---------------------------------------------------------------------------------------
// Durations and timestamps (UTC; a time zone argument other than UTC is refused).

const NANOS: i128 = 1_000_000_000;
/// The range of `google.protobuf.Duration` (about ±10,000 years).
const MAX_DURATION: i128 = 315_576_000_000 * NANOS + 999_999_999;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z.
const MIN_TIMESTAMP: i128 = -62_135_596_800 * NANOS;
const MAX_TIMESTAMP: i128 = 253_402_300_799 * NANOS + 999_999_999;

fn checked_duration(nanos: i128) -> Result<i128, String> {
    if nanos.abs() > MAX_DURATION {
        return Err("duration out of range".to_string());
    }
    Ok(nanos)
}

fn checked_timestamp(nanos: i128) -> Result<i128, String> {
    if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&nanos) {
        return Err("timestamp out of range".to_string());
    }
    Ok(nanos)
}

/// Go's duration syntax: `1h30m`, `-1.5s`, `300ms`, `2us`, `10ns`.
pub fn parse_duration(text: &str) -> Result<i128, String> {
    let error = || format!("invalid duration {text:?}");
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(error());
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(error)?;
        let number = &rest[..number_end];
        if number.is_empty() || number == "." {
            return Err(error());
        }
        rest = &rest[number_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => NANOS,
            "m" => 60 * NANOS,
            "h" => 3_600 * NANOS,
            _ => return Err(error()),
        };
        rest = &rest[unit_end..];
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let whole: i128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| error())? };
        let mut part = whole.checked_mul(unit).ok_or_else(error)?;
        let mut scale = unit;
        for digit in fraction.chars().take(18) {
            scale /= 10;
            part += i128::from(digit.to_digit(10).unwrap_or(0)) * scale;
        }
        total = total.checked_add(part).ok_or_else(error)?;
        if total > MAX_DURATION {
            return Err(error());
        }
    }
    Ok(if negative { -total } else { total })
}

pub fn format_duration(nanos: i128) -> String {
    let seconds = nanos / NANOS;
    let fraction = (nanos % NANOS).abs();
    if fraction == 0 {
        return format!("{seconds}s");
    }
    let sign = if nanos < 0 && seconds == 0 { "-" } else { "" };
    let digits = format!("{fraction:09}");
    format!("{sign}{seconds}.{}s", digits.trim_end_matches('0'))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// RFC 3339: `2024-01-02T03:04:05Z`, with fractional seconds and offsets.
pub fn parse_timestamp(text: &str) -> Result<i128, String> {
    let error = || format!("invalid timestamp {text:?}");
    let bytes = text.as_bytes();
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return Err(error());
    }
    let number = |range: std::ops::Range<usize>| -> Result<i64, String> {
        text.get(range)
            .filter(|part| part.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|part| part.parse().ok())
            .ok_or_else(error)
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return Err(error());
    }
    let mut at = 19;
    let mut fraction_nanos: i128 = 0;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        let digits = &text[start..at];
        if digits.is_empty() || digits.len() > 9 {
            return Err(error());
        }
        fraction_nanos = format!("{digits:0<9}").parse().map_err(|_| error())?;
    }
    let offset_seconds: i64 = match &text[at..] {
        "Z" | "z" => 0,
        zone if zone.len() == 6 && matches!(zone.as_bytes()[0], b'+' | b'-') && zone.as_bytes()[3] == b':' => {
            let hours = number(at + 1..at + 3)?;
            let minutes = number(at + 4..at + 6)?;
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return Err(error()),
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    checked_timestamp(i128::from(seconds) * NANOS + fraction_nanos).map_err(|_| error())
}

pub fn format_timestamp(nanos: i128) -> String {
    let seconds = nanos.div_euclid(NANOS) as i64;
    let fraction = nanos.rem_euclid(NANOS);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    let mut out =
        format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", of_day / 3600, of_day % 3600 / 60, of_day % 60);
    if fraction != 0 {
        let digits = format!("{fraction:09}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

fn time_part(func: Func, receiver: &Value, rest: &[Value]) -> Outcome {
    match rest {
        [] => {}
        [Value::String(zone)] if matches!(&**zone, "UTC" | "Z" | "+00:00" | "00:00") => {}
        [Value::String(zone)] => return Err(format!("time zone {zone:?} is not supported by Rampart (only UTC)")),
        _ => return Err(overload(func, std::slice::from_ref(receiver))),
    }
    match receiver {
        Value::Timestamp(nanos) => {
            let seconds = nanos.div_euclid(NANOS) as i64;
            let days = seconds.div_euclid(86_400);
            let of_day = seconds.rem_euclid(86_400);
            let (year, month, day) = civil_from_days(days);
            int(match func {
                Func::GetFullYear => year,
                Func::GetMonth => month - 1,
                Func::GetDate => day,
                Func::GetDayOfMonth => day - 1,
                Func::GetDayOfWeek => (days + 4).rem_euclid(7),
                Func::GetDayOfYear => days - days_from_civil(year, 1, 1),
                Func::GetHours => of_day / 3600,
                Func::GetMinutes => of_day % 3600 / 60,
                Func::GetSeconds => of_day % 60,
                _ => (nanos.rem_euclid(NANOS) / 1_000_000) as i64,
            })
        }
        Value::Duration(nanos) if rest.is_empty() => int(match func {
            Func::GetHours => (nanos / (3600 * NANOS)) as i64,
            Func::GetMinutes => (nanos / (60 * NANOS)) as i64,
            Func::GetSeconds => (nanos / NANOS) as i64,
            Func::GetMilliseconds => ((nanos % NANOS) / 1_000_000) as i64,
            _ => return Err(overload(func, std::slice::from_ref(receiver))),
        }),
        _ => Err(overload(func, std::slice::from_ref(receiver))),
    }
}

/// Builds a map value from string keys (for `getQuery`).
pub fn string_map(entries: Vec<(String, Value)>) -> Value {
    Value::Map(Rc::new(Map { entries: entries.into_iter().map(|(key, value)| (Value::from(key), value)).collect() }))
}

/// `%f`-style formatting of a double with `precision` digits.
pub fn fixed(number: f64, precision: usize) -> String {
    if number.is_nan() || number.is_infinite() {
        return format_double(number);
    }
    format!("{number:.precision$}")
}
