//! Kubernetes' `format` library (`format.dns1123Label().validate(name)`) and its `semver`
//! library (`semver('1.2.3').isGreaterThan(semver('1.0.0'))`), with the API server's
//! messages word for word: a policy's `messageExpression` shows them to people.

use std::cmp::Ordering;

/// A named string format of Kubernetes' format library.
#[derive(Debug)]
pub struct NamedFormat {
    /// The name `format.named` takes and `format.<name>()` calls.
    pub name: &'static str,
    validate: fn(&str) -> Vec<String>,
}

impl NamedFormat {
    /// The errors of `text` against the format; empty when it is valid.
    pub fn validate(&self, text: &str) -> Vec<String> {
        (self.validate)(text)
    }
}

/// Every format the library names, in the documentation's order.
pub static FORMATS: [NamedFormat; 13] = [
    NamedFormat { name: "dns1123Label", validate: |text| dns1123_label(text) },
    NamedFormat { name: "dns1123Subdomain", validate: |text| dns1123_subdomain(text) },
    NamedFormat { name: "dns1035Label", validate: |text| dns1035_label(text) },
    NamedFormat { name: "qualifiedName", validate: qualified_name },
    NamedFormat { name: "dns1123LabelPrefix", validate: |text| dns1123_label(&mask_trailing_dash(text)) },
    NamedFormat { name: "dns1123SubdomainPrefix", validate: |text| dns1123_subdomain(&mask_trailing_dash(text)) },
    NamedFormat { name: "dns1035LabelPrefix", validate: |text| dns1035_label(&mask_trailing_dash(text)) },
    NamedFormat { name: "labelValue", validate: label_value },
    NamedFormat { name: "uri", validate: uri },
    NamedFormat { name: "uuid", validate: uuid },
    NamedFormat { name: "byte", validate: byte },
    NamedFormat { name: "date", validate: date },
    NamedFormat { name: "datetime", validate: datetime },
];

/// The format called `name`, if the library has one.
pub fn named(name: &str) -> Option<&'static NamedFormat> {
    FORMATS.iter().find(|format| format.name == name)
}

/// A generated name's prefix may end in a dash (the API server appends a suffix): the
/// last characters are replaced as apimachinery's `maskTrailingDash` does.
fn mask_trailing_dash(text: &str) -> String {
    if text.len() > 1 && text.ends_with('-') {
        // apimachinery drops the last two bytes and appends "a"; a multi-byte character
        // before the dash cannot be cut in half here, and is invalid either way.
        let mut cut = text.len() - 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        return format!("{}a", &text[..cut]);
    }
    text.to_string()
}

fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} bytes")
}

fn regex_error(message: &str, pattern: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{message} (regex used for validation is '{pattern}')");
    }
    let mut out = format!("{message} (e.g. ");
    for (index, example) in examples.iter().enumerate() {
        if index > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{example}', "));
    }
    out.push_str(&format!("regex used for validation is '{pattern}')"));
    out
}

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

/// `[first]([-middle]*[last])?`: one label of lowercase letters, digits and dashes.
fn is_label(text: &str, first: fn(u8) -> bool) -> bool {
    let bytes = text.as_bytes();
    let lower_or_digit = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match bytes {
        [] => false,
        [only] => first(*only),
        [head, middle @ .., tail] => {
            first(*head) && lower_or_digit(*tail) && middle.iter().all(|&b| lower_or_digit(b) || b == b'-')
        }
    }
}

fn is_dns1123_label(text: &str) -> bool {
    is_label(text, |b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_dns1123_subdomain(text: &str) -> bool {
    text.split('.').all(is_dns1123_label)
}

fn dns1123_label(text: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if text.len() > 63 {
        errors.push(max_len_error(63));
    }
    if !is_dns1123_label(text) {
        if is_dns1123_subdomain(text) {
            errors.push("must not contain dots".to_string());
        } else {
            errors.push(regex_error(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errors
}

fn dns1123_subdomain(text: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if text.len() > 253 {
        errors.push(max_len_error(253));
    }
    if !is_dns1123_subdomain(text) {
        errors.push(regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errors
}

fn dns1035_label(text: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if text.len() > 63 {
        errors.push(max_len_error(63));
    }
    if !is_label(text, |b| b.is_ascii_lowercase()) {
        errors.push(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errors
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_label_key_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    match bytes {
        [] => false,
        [only] => only.is_ascii_alphanumeric(),
        [head, middle @ .., tail] => {
            head.is_ascii_alphanumeric()
                && tail.is_ascii_alphanumeric()
                && middle.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        }
    }
}

const LABEL_KEY_MESSAGE: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

fn qualified_name(text: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let parts: Vec<&str> = text.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_string());
            } else {
                errors.extend(dns1123_subdomain(prefix).into_iter().map(|error| format!("prefix part {error}")));
            }
            *name
        }
        _ => {
            return vec![format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_MESSAGE, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            )]
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errors.push(format!("name part {}", max_len_error(63)));
    }
    if !is_label_key_name(name) {
        errors.push(format!(
            "name part {}",
            regex_error(LABEL_KEY_MESSAGE, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
        ));
    }
    errors
}

fn label_value(text: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if text.len() > 63 {
        errors.push(max_len_error(63));
    }
    if !text.is_empty() && !is_label_key_name(text) {
        errors.push(regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errors
}

fn uri(text: &str) -> Vec<String> {
    match crate::k8s::parse_request_uri(text) {
        Ok(_) => Vec::new(),
        Err(error) => vec![error],
    }
}

/// `(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$`
fn uuid(text: &str) -> Vec<String> {
    let mut rest = text.as_bytes();
    let mut valid = true;
    for (index, width) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if index > 0 {
            if let [b'-', after @ ..] = rest {
                rest = after;
            }
        }
        if rest.len() < width || !rest[..width].iter().all(u8::is_ascii_hexdigit) {
            valid = false;
            break;
        }
        rest = &rest[width..];
    }
    if valid && rest.is_empty() {
        Vec::new()
    } else {
        vec!["does not match the UUID format".to_string()]
    }
}

/// Standard base64 with padding, at least one quantum (govalidator's `IsBase64`).
fn byte(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let alphabet = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    let valid = !bytes.is_empty()
        && bytes.len() % 4 == 0
        && match bytes {
            [body @ .., a, b'=', b'='] => body.iter().all(alphabet) && alphabet(a),
            [body @ .., b'='] => body.iter().all(alphabet),
            _ => bytes.iter().all(alphabet),
        };
    if valid {
        Vec::new()
    } else {
        vec!["invalid base64".to_string()]
    }
}

/// A full date, `YYYY-MM-DD`, as Go's `time.Parse("2006-01-02", …)` reads it: the day must
/// exist in its month.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok()).flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn date(text: &str) -> Vec<String> {
    if is_date(text) {
        Vec::new()
    } else {
        vec!["invalid date".to_string()]
    }
}

/// strfmt's `IsDateTime`: a date, `T`, then
/// `^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$` (case-insensitive)
/// with hours ≤ 23, minutes and seconds ≤ 59.
fn is_datetime(text: &str) -> bool {
    if text.len() < 4 {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    let mut parts = lower.split('t');
    let (Some(day), Some(time)) = (parts.next(), parts.next()) else {
        return false;
    };
    if !is_date(day) {
        return false;
    }
    let bytes = time.as_bytes();
    let two_digits = |at: usize| bytes.get(at..at + 2).is_some_and(|pair| pair.iter().all(u8::is_ascii_digit));
    if !(two_digits(0) && bytes.get(2) == Some(&b':') && two_digits(3) && bytes.get(5) == Some(&b':') && two_digits(6))
    {
        return false;
    }
    let mut rest = &time[8..];
    // `(.[0-9]+)?`: any one character but a newline, then digits.
    if let Some(first) = rest.chars().next().filter(|&first| first != '\n') {
        let after = &rest[first.len_utf8()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let zone = &after[digits..];
        if digits > 0 && is_zone(zone) {
            rest = zone;
        }
    }
    if !is_zone(rest) {
        return false;
    }
    &time[0..2] <= "23" && &time[3..5] <= "59" && &time[6..8] <= "59"
}

fn is_zone(zone: &str) -> bool {
    let bytes = zone.as_bytes();
    zone == "z"
        || (bytes.len() == 6
            && matches!(bytes[0], b'+' | b'-')
            && bytes[1].is_ascii_digit()
            && bytes[2].is_ascii_digit()
            && bytes[3] == b':'
            && bytes[4].is_ascii_digit()
            && bytes[5].is_ascii_digit())
}

fn datetime(text: &str) -> Vec<String> {
    if is_datetime(text) {
        Vec::new()
    } else {
        vec!["invalid datetime".to_string()]
    }
}

// ---------------------------------------------------------------------------------------
// Semantic versions (Kubernetes' semver library, blang/semver's rules and messages).

/// A semantic version: `major.minor.patch[-pre][+build]`.
#[derive(Clone, Debug)]
pub struct Semver {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pre: Vec<Prerelease>,
    build: Vec<String>,
}

#[derive(Clone, Debug)]
enum Prerelease {
    Number(u64),
    Text(String),
}

fn only(text: &str, allowed: fn(char) -> bool) -> bool {
    text.chars().all(allowed)
}

fn numeric(c: char) -> bool {
    c.is_ascii_digit()
}

fn alphanumeric(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

fn leading_zeroes(text: &str) -> bool {
    text.len() > 1 && text.starts_with('0')
}

/// Go's `strconv.ParseUint(text, 10, 64)`, with its messages.
fn parse_u64(text: &str) -> Result<u64, String> {
    if text.is_empty() || !only(text, numeric) {
        return Err(format!("strconv.ParseUint: parsing {}: invalid syntax", go_quote(text)));
    }
    text.parse().map_err(|_| format!("strconv.ParseUint: parsing {}: value out of range", go_quote(text)))
}

/// Go's `%q` of a string (the escapes printable text needs).
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Semver {
    /// blang/semver's strict `Parse`.
    pub fn parse(text: &str) -> Result<Semver, String> {
        if text.is_empty() {
            return Err("Version string empty".to_string());
        }
        let parts: Vec<&str> = text.splitn(3, '.').collect();
        let [major, minor, rest] = parts.as_slice() else {
            return Err("No Major.Minor.Patch elements found".to_string());
        };
        let number = |part: &str, which: &str| -> Result<u64, String> {
            if !only(part, numeric) {
                return Err(format!("Invalid character(s) found in {} number {}", which, go_quote(part)));
            }
            if leading_zeroes(part) {
                let mut capital = which.to_string();
                capital[..1].make_ascii_uppercase();
                return Err(format!("{capital} number must not contain leading zeroes {}", go_quote(part)));
            }
            parse_u64(part)
        };
        let major = number(major, "major")?;
        let minor = number(minor, "minor")?;
        let mut patch_text = *rest;
        let mut build = Vec::new();
        let mut pre = Vec::new();
        if let Some((before, after)) = patch_text.split_once('+') {
            build = after.split('.').map(str::to_string).collect();
            patch_text = before;
        }
        let mut pre_texts = Vec::new();
        if let Some((before, after)) = patch_text.split_once('-') {
            pre_texts = after.split('.').collect();
            patch_text = before;
        }
        let patch = number(patch_text, "patch")?;
        for part in pre_texts {
            if part.is_empty() {
                return Err("Prerelease is empty".to_string());
            }
            if only(part, numeric) {
                if leading_zeroes(part) {
                    return Err(format!(
                        "Numeric PreRelease version must not contain leading zeroes {}",
                        go_quote(part)
                    ));
                }
                pre.push(Prerelease::Number(parse_u64(part)?));
            } else if only(part, alphanumeric) {
                pre.push(Prerelease::Text(part.to_string()));
            } else {
                return Err(format!("Invalid character(s) found in prerelease {}", go_quote(part)));
            }
        }
        for part in &build {
            if part.is_empty() {
                return Err("Build meta data is empty".to_string());
            }
            if !only(part, alphanumeric) {
                return Err(format!("Invalid character(s) found in build meta data {}", go_quote(part)));
            }
        }
        Ok(Semver { major, minor, patch, pre, build })
    }

    /// The library's normalizing parse: no `v` prefix, leading zeros dropped, missing
    /// minor and patch filled with 0.
    pub fn parse_normalized(text: &str) -> Result<Semver, String> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let mut parts: Vec<String> = text
            .splitn(3, '.')
            .map(|part| {
                if part.len() > 1 {
                    let trimmed = part.trim_start_matches('0');
                    if trimmed.is_empty() || !trimmed.starts_with(|c: char| c.is_ascii_digit()) {
                        return format!("0{trimmed}");
                    }
                    return trimmed.to_string();
                }
                part.to_string()
            })
            .collect();
        if parts.len() < 3 {
            if parts.last().is_some_and(|last| last.contains(['+', '-'])) {
                return Err("short version cannot contain PreRelease/Build meta data".to_string());
            }
            parts.resize(3, "0".to_string());
        }
        Semver::parse(&parts.join("."))
    }

    /// Precedence as semver.org defines it; build metadata does not count.
    pub fn compare(&self, other: &Semver) -> Ordering {
        let order = (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if order != Ordering::Equal {
            return order;
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            _ => {}
        }
        for (mine, theirs) in self.pre.iter().zip(&other.pre) {
            let order = match (mine, theirs) {
                (Prerelease::Number(a), Prerelease::Number(b)) => a.cmp(b),
                (Prerelease::Text(a), Prerelease::Text(b)) => a.cmp(b),
                (Prerelease::Number(_), Prerelease::Text(_)) => Ordering::Less,
                (Prerelease::Text(_), Prerelease::Number(_)) => Ordering::Greater,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl std::fmt::Display for Semver {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (index, part) in self.pre.iter().enumerate() {
            formatter.write_str(if index == 0 { "-" } else { "." })?;
            match part {
                Prerelease::Number(number) => write!(formatter, "{number}")?,
                Prerelease::Text(text) => formatter.write_str(text)?,
            }
        }
        if !self.build.is_empty() {
            write!(formatter, "+{}", self.build.join("."))?;
        }
        Ok(())
    }
}
