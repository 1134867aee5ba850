//! Kubernetes' CEL libraries: quantities, URLs, IPs and CIDRs, regex (with a bounded
//! cache of compiled patterns), `format`, base64.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::net::IpAddr;
use std::rc::Rc;

use crate::functions::{self, Func};
use crate::k8s_format::{self, go_quote, Semver};
pub use crate::k8s_quantity::Quantity;
use crate::netip;
use crate::value::{format_double, Value};

type Outcome = Result<Value, String>;

// ---------------------------------------------------------------------------------------
// Regex

const REGEX_CACHE_SIZE: usize = 256;
/// The largest compiled program a pattern may make (bounds memory and compile time).
const REGEX_SIZE_LIMIT: usize = 1 << 20;

thread_local! {
    static REGEXES: RefCell<HashMap<String, Rc<regex_lite::Regex>>> = RefCell::new(HashMap::new());
}

/// Compiles `pattern` (RE2 syntax), for compile-time validation of constant patterns.
pub fn compile_regex(pattern: &str) -> Result<Rc<regex_lite::Regex>, String> {
    if let Some(found) = REGEXES.with(|cache| cache.borrow().get(pattern).cloned()) {
        return Ok(found);
    }
    let regex = regex_lite::RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build().map_err(|error| {
        format!("invalid regular expression {pattern:?}: {}", error.to_string().lines().last().unwrap_or(""))
    })?;
    let regex = Rc::new(regex);
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= REGEX_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(pattern.to_string(), regex.clone());
    });
    Ok(regex)
}

pub fn with_regex<T>(pattern: &str, use_it: impl FnOnce(&regex_lite::Regex) -> T) -> Result<T, String> {
    compile_regex(pattern).map(|regex| use_it(&regex))
}

// ---------------------------------------------------------------------------------------
// format

/// cel-go's `string.format(list)`: `%s %d %f %e %b %o %x %X %%`, with `%.Nf` precision.
pub fn format(template: &str, args: &[Value]) -> Result<Rc<str>, String> {
    let mut out = String::new();
    let mut characters = template.chars().peekable();
    let mut next_arg = 0;
    while let Some(character) = characters.next() {
        if character != '%' {
            out.push(character);
            continue;
        }
        if characters.peek() == Some(&'%') {
            characters.next();
            out.push('%');
            continue;
        }
        let mut precision: Option<usize> = None;
        if characters.peek() == Some(&'.') {
            characters.next();
            let mut digits = String::new();
            while let Some(digit) = characters.peek().filter(|c| c.is_ascii_digit()) {
                digits.push(*digit);
                characters.next();
            }
            precision = Some(digits.parse().map_err(|_| "format: invalid precision".to_string())?);
        }
        let verb = characters.next().ok_or("format: unterminated formatting clause")?;
        let arg = args.get(next_arg).ok_or_else(|| format!("index {next_arg} out of range"))?;
        next_arg += 1;
        out.push_str(&format_clause(verb, precision, arg)?);
    }
    Ok(out.into())
}

fn format_clause(verb: char, precision: Option<usize>, arg: &Value) -> Result<String, String> {
    let wrong = |kind: &str| {
        Err(format!(
            "error during formatting: {kind} clause can only be used on {}, was given {}",
            clause_types(verb),
            arg.type_name()
        ))
    };
    match verb {
        's' => format_string(arg),
        'd' => match arg {
            Value::Int(number) => Ok(number.to_string()),
            Value::Uint(number) => Ok(number.to_string()),
            Value::Double(number) if number.is_nan() || number.is_infinite() => Ok(format_double(*number)),
            _ => wrong("decimal"),
        },
        'f' | 'e' => {
            let number = match arg {
                Value::Double(number) => *number,
                Value::Int(number) => *number as f64,
                Value::Uint(number) => *number as f64,
                _ => return wrong(if verb == 'f' { "fixed-point" } else { "scientific" }),
            };
            let precision = precision.unwrap_or(6);
            if verb == 'f' {
                Ok(functions::fixed(number, precision))
            } else if number.is_finite() {
                let text = format!("{number:.precision$e}");
                let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
                let exponent: i32 = exponent.parse().unwrap_or(0);
                Ok(format!("{mantissa}e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs()))
            } else {
                Ok(format_double(number))
            }
        }
        'b' | 'o' | 'x' | 'X' => {
            let radix_text = |number: u128, negative: bool| {
                let digits = match verb {
                    'b' => format!("{number:b}"),
                    'o' => format!("{number:o}"),
                    'x' => format!("{number:x}"),
                    _ => format!("{number:X}"),
                };
                if negative {
                    format!("-{digits}")
                } else {
                    digits
                }
            };
            match arg {
                Value::Int(number) => Ok(radix_text(number.unsigned_abs().into(), *number < 0)),
                Value::Uint(number) => Ok(radix_text((*number).into(), false)),
                Value::Bool(flag) if verb == 'b' => Ok(if *flag { "1" } else { "0" }.to_string()),
                Value::String(text) if verb != 'b' && verb != 'o' => Ok(text
                    .bytes()
                    .map(|byte| if verb == 'x' { format!("{byte:02x}") } else { format!("{byte:02X}") })
                    .collect()),
                Value::Bytes(bytes) if verb != 'b' && verb != 'o' => Ok(bytes
                    .iter()
                    .map(|byte| if verb == 'x' { format!("{byte:02x}") } else { format!("{byte:02X}") })
                    .collect()),
                _ => wrong(match verb {
                    'b' => "binary",
                    'o' => "octal",
                    _ => "hex",
                }),
            }
        }
        other => Err(format!("could not parse formatting clause: unrecognized formatting clause \"{other}\"")),
    }
}

fn clause_types(verb: char) -> &'static str {
    match verb {
        'd' => "integers",
        'f' | 'e' => "doubles",
        'b' => "integers and bools",
        'o' => "integers",
        _ => "integers, byte buffers, and strings",
    }
}

fn format_string(arg: &Value) -> Result<String, String> {
    Ok(match arg {
        Value::String(text) => text.to_string(),
        Value::List(items) => {
            let parts: Result<Vec<String>, String> = items.iter().map(format_string).collect();
            format!("[{}]", parts?.join(", "))
        }
        Value::Map(map) => {
            let mut parts = Vec::new();
            for (key, value) in &map.entries {
                parts.push(format!("{}: {}", format_string(key)?, format_string(value)?));
            }
            parts.sort();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Null => "null".to_string(),
        Value::Double(number) => format_double(*number),
        other => other.to_text().ok_or_else(|| format!("format: cannot format {}", other.type_name()))?,
    })
}

// ---------------------------------------------------------------------------------------
// base64

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let block = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(BASE64[(block >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let trimmed = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in trimmed.bytes() {
        let value = BASE64.iter().position(|&c| c == byte).ok_or_else(|| format!("invalid base64 {text:?}"))? as u32;
        buffer = buffer << 6 | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if trimmed.len() % 4 == 1 {
        return Err(format!("invalid base64 {text:?}"));
    }
    Ok(out)
}

fn quantity_arg(value: &Value) -> Option<Quantity> {
    match value {
        Value::Quantity(quantity) => Some((**quantity).clone()),
        Value::Int(number) => Some(Quantity::from_int(*number)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// URLs

/// A URL as Kubernetes' URL library reads it (an absolute URI or an absolute path).
#[derive(Clone, Debug)]
pub struct Url {
    pub text: String,
    scheme: String,
    host: String,
    path: String,
    query: String,
}

impl Url {
    pub fn parse(text: &str) -> Result<Url, String> {
        parse_request_uri(text).map_err(|error| format!("URL parse error during conversion from string: {error}"))
    }
}

/// Go's `url.ParseRequestURI`, with its error text (`parse "x": invalid URI for request`).
pub fn parse_request_uri(text: &str) -> Result<Url, String> {
    {
        let error = |why: &str| format!("parse {}: {why}", crate::k8s_format::go_quote(text));
        if text.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(error("net/url: invalid control character in URL"));
        }
        if text.is_empty() {
            return Err(error("empty url"));
        }
        if text.starts_with(':') {
            return Err(error("missing protocol scheme"));
        }
        let without_fragment = text.split_once('#').map_or(text, |(before, _)| before);
        let (before_query, query) = without_fragment.split_once('?').unwrap_or((without_fragment, ""));
        let (scheme, rest) = match before_query.find(':') {
            Some(colon)
                if colon > 0
                    && before_query[..colon].starts_with(|c: char| c.is_ascii_alphabetic())
                    && before_query[..colon]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
            {
                (&before_query[..colon], &before_query[colon + 1..])
            }
            _ => ("", before_query),
        };
        if scheme.is_empty() && !rest.starts_with('/') {
            return Err(error("invalid URI for request"));
        }
        let (host, path) = match rest.strip_prefix("//") {
            Some(authority_and_path) => {
                let end = authority_and_path.find('/').unwrap_or(authority_and_path.len());
                let authority = &authority_and_path[..end];
                let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
                if host.starts_with('[') && !host.contains(']') {
                    return Err(error("missing ']' in host"));
                }
                if let Some((_, port)) =
                    host.rsplit_once(']').map_or_else(|| host.rsplit_once(':'), |(_, after)| after.split_once(':'))
                {
                    if !port.chars().all(|c| c.is_ascii_digit()) {
                        return Err(error(&format!("invalid port {:?} after host", format!(":{port}"))));
                    }
                }
                (host.to_string(), authority_and_path[end..].to_string())
            }
            None => (String::new(), rest.to_string()),
        };
        Ok(Url { text: text.to_string(), scheme: scheme.to_string(), host, path, query: query.to_string() })
    }
}

impl Url {
    fn hostname(&self) -> &str {
        if let Some(inner) = self.host.strip_prefix('[') {
            return inner.split(']').next().unwrap_or("");
        }
        self.host.rsplit_once(':').map_or(&self.host, |(name, _)| name)
    }

    fn port(&self) -> &str {
        let after = match self.host.rfind(']') {
            Some(close) => &self.host[close + 1..],
            None => &self.host,
        };
        after.rsplit_once(':').map_or("", |(_, port)| port)
    }

    fn query_map(&self) -> Value {
        let mut entries: Vec<(String, Vec<Value>)> = Vec::new();
        for pair in self.query.split(['&']).filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (percent_decode(key), percent_decode(value));
            match entries.iter_mut().find(|(existing, _)| *existing == key) {
                Some((_, values)) => values.push(Value::from(value)),
                None => entries.push((key, vec![Value::from(value)])),
            }
        }
        functions::string_map(entries.into_iter().map(|(key, values)| (key, Value::from(values))).collect())
    }
}

/// The path as Go's `URL.EscapedPath` writes it: characters outside a path's own set are
/// percent-encoded, existing escapes kept.
fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/%".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 3 <= bytes.len() && text.is_char_boundary(index + 3) => {
                match u8::from_str_radix(&text[index + 1..index + 3], 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------
// IPs and CIDRs

/// The IP library's parse: Go's, refusing zones and IPv4-mapped IPv6 addresses.
fn parse_ip(text: &str) -> Result<IpAddr, String> {
    let parsed = netip::parse_addr(text)
        .map_err(|error| format!("IP Address {} parse error during conversion from string: {error}", go_quote(text)))?;
    if parsed.zone {
        return Err(format!("IP address {} with zone value is not allowed", go_quote(text)));
    }
    if is_4in6(parsed.address) {
        return Err(format!("IPv4-mapped IPv6 address {} is not allowed", go_quote(text)));
    }
    Ok(parsed.address)
}

fn is_4in6(address: IpAddr) -> bool {
    matches!(address, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some())
}

/// The CIDR library's parse: Go's `ParsePrefix`, refusing IPv4-mapped IPv6 addresses.
fn parse_cidr(text: &str) -> Result<(IpAddr, u8), String> {
    const PARSE_ERROR: &str = "network address parse error during conversion from string";
    let (address, prefix) =
        netip::parse_prefix(text).map_err(|error| format!("{PARSE_ERROR}: {PARSE_ERROR}: {error}"))?;
    if is_4in6(address) {
        return Err(format!("{PARSE_ERROR}: IPv4-mapped IPv6 address {} is not allowed", go_quote(text)));
    }
    Ok((address, prefix))
}

fn bits_of(address: IpAddr) -> (u128, u8) {
    match address {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    let (bits, width) = bits_of(address);
    let mask = if prefix == 0 { 0 } else { (!0u128) << (width - prefix) };
    let masked = bits & mask & if width == 32 { 0xffff_ffff } else { !0 };
    match address {
        IpAddr::V4(_) => IpAddr::V4((masked as u32).into()),
        IpAddr::V6(_) => IpAddr::V6(masked.into()),
    }
}

fn cidr_contains(network: IpAddr, prefix: u8, address: IpAddr) -> bool {
    network.is_ipv4() == address.is_ipv4() && masked(address, prefix) == masked(network, prefix)
}

fn is_global_unicast(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified() || v4.is_loopback() || v4.is_multicast() || v4.is_link_local() || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_unspecified() || v6.is_loopback() || first & 0xff00 == 0xff00 || first & 0xffc0 == 0xfe80)
        }
    }
}

/// The Kubernetes-library functions not handled by the standard table.
pub fn call(func: Func, args: &[Value]) -> Option<Outcome> {
    use Func as F;
    use Value as V;
    let result = match (func, args) {
        (F::Url, [V::String(text)]) => Url::parse(text).map(|url| V::Url(Rc::new(url))),
        (F::IsUrl, [V::String(text)]) => Ok(V::Bool(Url::parse(text).is_ok())),
        (F::GetScheme, [V::Url(url)]) => Ok(V::from(url.scheme.as_str())),
        (F::GetHost, [V::Url(url)]) => Ok(V::from(url.host.as_str())),
        (F::GetHostname, [V::Url(url)]) => Ok(V::from(url.hostname())),
        (F::GetPort, [V::Url(url)]) => Ok(V::from(url.port())),
        (F::GetEscapedPath, [V::Url(url)]) => Ok(V::from(escape_path(&url.path))),
        (F::GetQuery, [V::Url(url)]) => Ok(url.query_map()),
        (F::Quantity, [V::String(text)]) => Quantity::parse(text).map(|quantity| V::Quantity(Rc::new(quantity))),
        (F::IsQuantity, [V::String(text)]) => Ok(V::Bool(Quantity::parse(text).is_ok())),
        (F::Sign | F::SignOf, [V::Quantity(quantity)]) => Ok(V::Int(quantity.sign())),
        (F::IsInteger, [V::Quantity(quantity)]) => Ok(V::Bool(quantity.as_int64().is_some())),
        (F::AsInteger, [V::Quantity(quantity)]) => {
            quantity.as_int64().map(V::Int).ok_or_else(|| "cannot convert value to integer".to_string())
        }
        (F::AsApproximateFloat, [V::Quantity(quantity)]) => Ok(V::Double(quantity.approximate())),
        (F::Add | F::Sub, [V::Quantity(quantity), other]) => match quantity_arg(other) {
            Some(other) => quantity.plus(&other, func == F::Sub).map(|sum| V::Quantity(Rc::new(sum))),
            None => return None,
        },
        (F::CompareTo | F::IsGreaterThan | F::IsLessThan, [V::Quantity(quantity), V::Quantity(other)]) => {
            Ok(comparison(func, quantity.compare(other)))
        }
        (F::Ip, [V::String(text)]) => parse_ip(text).map(V::Ip),
        (F::IpOfCidr, [V::Cidr(address, _)]) => Ok(V::Ip(*address)),
        (F::IsIp, [V::String(text)]) => Ok(V::Bool(parse_ip(text).is_ok())),
        (F::IsCanonical, [V::String(text)]) => parse_ip(text).map(|address| V::Bool(address.to_string() == **text)),
        (F::Family, [V::Ip(address)]) => Ok(V::Int(if address.is_ipv4() { 4 } else { 6 })),
        (F::IsUnspecified, [V::Ip(address)]) => Ok(V::Bool(address.is_unspecified())),
        (F::IsLoopback, [V::Ip(address)]) => Ok(V::Bool(address.is_loopback())),
        (F::IsLinkLocalMulticast, [V::Ip(address)]) => Ok(V::Bool(match address {
            IpAddr::V4(v4) => v4.octets()[..3] == [224, 0, 0],
            IpAddr::V6(v6) => v6.segments()[0] & 0xff0f == 0xff02,
        })),
        (F::IsLinkLocalUnicast, [V::Ip(address)]) => Ok(V::Bool(match address {
            IpAddr::V4(v4) => v4.is_link_local(),
            IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
        })),
        (F::IsGlobalUnicast, [V::Ip(address)]) => Ok(V::Bool(is_global_unicast(*address))),
        (F::Cidr, [V::String(text)]) => parse_cidr(text).map(|(address, prefix)| V::Cidr(address, prefix)),
        (F::IsCidr, [V::String(text)]) => Ok(V::Bool(parse_cidr(text).is_ok())),
        (F::ContainsIp, [V::Cidr(network, prefix), other]) => {
            let address = match other {
                V::Ip(address) => *address,
                V::String(text) => match parse_ip(text) {
                    Ok(address) => address,
                    Err(error) => return Some(Err(error)),
                },
                _ => return None,
            };
            Ok(V::Bool(cidr_contains(*network, *prefix, address)))
        }
        (F::ContainsCidr, [V::Cidr(network, prefix), other]) => {
            let (address, other_prefix) = match other {
                V::Cidr(address, other_prefix) => (*address, *other_prefix),
                V::String(text) => match parse_cidr(text) {
                    Ok(parsed) => parsed,
                    Err(error) => return Some(Err(error)),
                },
                _ => return None,
            };
            Ok(V::Bool(other_prefix >= *prefix && cidr_contains(*network, *prefix, address)))
        }
        (F::Masked, [V::Cidr(address, prefix)]) => Ok(V::Cidr(masked(*address, *prefix), *prefix)),
        (F::PrefixLength, [V::Cidr(_, prefix)]) => Ok(V::Int(i64::from(*prefix))),
        (F::String, [V::Ip(address)]) => Ok(V::from(address.to_string())),
        (F::FormatNamed, [V::String(name)]) => {
            Ok(V::Optional(k8s_format::named(name).map(|format| Rc::new(V::Format(format)))))
        }
        (F::Validate, [V::Format(format), V::String(text)]) => {
            let errors = format.validate(text);
            Ok(V::Optional(
                (!errors.is_empty())
                    .then(|| Rc::new(V::List(errors.into_iter().map(V::from).collect::<Vec<_>>().into()))),
            ))
        }
        (_, []) if func.name().starts_with("format.") => {
            let name = &func.name()["format.".len()..];
            return k8s_format::named(name).map(|format| Ok(V::Format(format)));
        }
        (F::Semver | F::IsSemver, [V::String(text), rest @ ..]) => {
            let normalize = match rest {
                [] => false,
                [V::Bool(flag)] => *flag,
                _ => return None,
            };
            let parsed = if normalize { Semver::parse_normalized(text) } else { Semver::parse(text) };
            if func == F::IsSemver {
                Ok(V::Bool(parsed.is_ok()))
            } else {
                parsed.map(|version| V::Semver(Rc::new(version)))
            }
        }
        (F::Major, [V::Semver(version)]) => Ok(int_of(version.major)),
        (F::Minor, [V::Semver(version)]) => Ok(int_of(version.minor)),
        (F::Patch, [V::Semver(version)]) => Ok(int_of(version.patch)),
        (F::CompareTo | F::IsGreaterThan | F::IsLessThan, [V::Semver(version), V::Semver(other)]) => {
            Ok(comparison(func, version.compare(other)))
        }
        _ => return None,
    };
    Some(result)
}

/// A version number as CEL's int (Go converts the uint64 the same way).
fn int_of(number: u64) -> Value {
    Value::Int(number as i64)
}

/// `compareTo`, `isGreaterThan` and `isLessThan` of quantities and versions.
fn comparison(func: Func, order: Ordering) -> Value {
    match func {
        Func::CompareTo => Value::Int(order as i64),
        Func::IsGreaterThan => Value::Bool(order == Ordering::Greater),
        _ => Value::Bool(order == Ordering::Less),
    }
}
