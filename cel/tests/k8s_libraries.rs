//! Kubernetes' `format` and `semver` CEL libraries, case by case: every case of the
//! upstream tests (k8s.io/apiserver/pkg/cel/library format_test.go and semver_test.go),
//! each asserting the exact value or the exact error message, plus the edges of each
//! format that the upstream validators define (lengths, prefixes, leap days, zones).

use rampart_cel::{Activation, Env, Program, Value, DEFAULT_COST_LIMIT};

enum Want {
    Value(Value),
    /// The exact runtime error message.
    Error(&'static str),
    /// The exact compile error (the API server's type checker refuses the expression when the
    /// policy is created).
    CompileError(&'static str),
}

fn none() -> Want {
    Want::Value(Value::Optional(None))
}

fn errors(messages: &[&str]) -> Want {
    let list = Value::from(messages.iter().map(|message| Value::from(*message)).collect::<Vec<_>>());
    Want::Value(Value::Optional(Some(std::rc::Rc::new(list))))
}

fn boolean(flag: bool) -> Want {
    Want::Value(Value::Bool(flag))
}

fn int(number: i64) -> Want {
    Want::Value(Value::Int(number))
}

fn eval(text: &str) -> Result<Value, String> {
    let env = Env { globals: vec!["object".into()], ..Env::default() };
    let program = Program::compile(text, &env)
        .map_err(|error| format!("compile: {} at {:?}", error.message, error.position(text)))?;
    let globals = vec![Value::Null];
    program.eval(&Activation::new(&globals, &[], DEFAULT_COST_LIMIT)).map_err(|error| error.message)
}

fn check(cases: &[(String, Want)]) {
    let mut failures = Vec::new();
    for (expression, want) in cases {
        let got = eval(expression);
        let ok = match (&got, want) {
            (Ok(value), Want::Value(expected)) => value.type_of() == expected.type_of() && value.equals(expected),
            (Err(message), Want::Error(expected)) => message == expected,
            (Err(message), Want::CompileError(expected)) => {
                message.strip_prefix("compile: ").is_some_and(|rest| rest.starts_with(&format!("{expected} at (")))
            }
            _ => false,
        };
        if !ok {
            let wanted = match want {
                Want::Value(value) => value.display(),
                Want::Error(message) => format!("error {message:?}"),
                Want::CompileError(message) => format!("compile error {message:?}"),
            };
            let got = match got {
                Ok(value) => value.display(),
                Err(message) => format!("error {message:?}"),
            };
            failures.push(format!("{expression}\n    want {wanted}\n    got  {got}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

fn cases(list: Vec<(&str, Want)>) -> Vec<(String, Want)> {
    list.into_iter().map(|(expression, want)| (expression.to_string(), want)).collect()
}

const LABEL_ERROR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_ERROR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_ERROR: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_ERROR: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_ERROR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const FORMATS: [&str; 13] = [
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

/// format_test.go, `TestFormat`, every case.
#[test]
fn upstream_format_cases() {
    let mut all = cases(vec![
        (r#"format.dns1123Label().validate("my-label-name")"#, none()),
        (r#"format.dns1123Subdomain().validate("apiextensions.k8s.io")"#, none()),
        (r#"format.qualifiedName().validate("apiextensions.k8s.io/v1beta1")"#, none()),
        (r#"format.dns1123LabelPrefix().validate("my-label-prefix-")"#, none()),
        (r#"format.dns1123SubdomainPrefix().validate("mysubdomain.prefix.-")"#, none()),
        (r#"format.dns1035LabelPrefix().validate("my-label-prefix-")"#, none()),
        (r#"format.uri().validate("http://example.com")"#, none()),
        (r#"format.uuid().validate("123e4567-e89b-12d3-a456-426614174000")"#, none()),
        (r#"format.byte().validate("aGVsbG8=")"#, none()),
        (r#"format.date().validate("2021-01-01")"#, none()),
        (r#"format.datetime().validate("2021-01-01T00:00:00Z")"#, none()),
        (r#"format.dns1123Label().validate("contains a space")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123Subdomain().validate("contains a space")"#, errors(&[SUBDOMAIN_ERROR])),
        (r#"format.dns1035Label().validate("contains a space")"#, errors(&[DNS1035_ERROR])),
        (r#"format.qualifiedName().validate("contains a space")"#, errors(&[NAME_PART_ERROR])),
        (r#"format.dns1123LabelPrefix().validate("contains a space-")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123SubdomainPrefix().validate("contains a space-")"#, errors(&[SUBDOMAIN_ERROR])),
        (r#"format.dns1035LabelPrefix().validate("contains a space-")"#, errors(&[DNS1035_ERROR])),
        (r#"format.dns1123Label().validate("my-label-name")"#, none()),
        (r#"format.dns1123Subdomain().validate("example.com")"#, none()),
        (r#"format.dns1035Label().validate("my-label-name")"#, none()),
        (r#"format.qualifiedName().validate("my.name")"#, none()),
        (r#"format.byte().validate("aGVsbG8=")"#, none()),
        (r#"format.byte().validate("aGVsbG8")"#, errors(&["invalid base64"])),
        (r#"format.date().validate("2020-01-01")"#, none()),
        (r#"format.date().validate("2020-01-32")"#, errors(&["invalid date"])),
        (r#"format.datetime().validate("2020-01-01T00:00:00Z")"#, none()),
        (r#"format.datetime().validate("2020-01-32T00:00:00Z")"#, errors(&["invalid datetime"])),
        (r#"format.named("unknown").hasValue()"#, boolean(false)),
        (r#"format.labelValue().validate("my-cool-label-Value")"#, none()),
        (r#"format.labelValue().validate("my-cool-label-Value!!\n\n!!!")"#, errors(&[LABEL_VALUE_ERROR])),
    ]);
    // "Also test format names and comparisons of all constants."
    for left in FORMATS {
        all.push((format!(r#"format.named("{left}").hasValue()"#), boolean(true)));
        all.push((format!(r#"format.named("{left}").value() == format.{left}()"#), boolean(true)));
        for right in FORMATS.iter().filter(|right| **right != left) {
            all.push((format!("format.{left}() == format.{right}()"), boolean(false)));
        }
    }
    check(&all);
}

/// The edges each validator defines (apimachinery's validation and strfmt).
#[test]
fn format_edges() {
    let long_label = "a".repeat(64);
    let long_subdomain = format!("{}.com", "a".repeat(250));
    let mut all = cases(vec![
        // A subdomain is not a label: the message says why.
        (r#"format.dns1123Label().validate("a.b")"#, errors(&["must not contain dots"])),
        (r#"format.dns1123Label().validate("")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123Label().validate("-a")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123Label().validate("a-")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123Label().validate("Upper")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123Label().validate("0abc")"#, none()),
        (r#"format.dns1035Label().validate("0abc")"#, errors(&[DNS1035_ERROR])),
        (r#"format.dns1123Subdomain().validate("a..b")"#, errors(&[SUBDOMAIN_ERROR])),
        (r#"format.dns1123Subdomain().validate("a.b-.c")"#, errors(&[SUBDOMAIN_ERROR])),
        // A prefix may end in a dash, not in anything else invalid.
        (r#"format.dns1123LabelPrefix().validate("web-")"#, none()),
        (r#"format.dns1123Label().validate("web-")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123LabelPrefix().validate("-")"#, errors(&[LABEL_ERROR])),
        (r#"format.dns1123LabelPrefix().validate("Web-")"#, errors(&[LABEL_ERROR])),
        // Qualified names: an optional DNS-subdomain prefix and a name part.
        (r#"format.qualifiedName().validate("example.com/MyName")"#, none()),
        (r#"format.qualifiedName().validate("/name")"#, errors(&["prefix part must be non-empty"])),
        (r#"format.qualifiedName().validate("Example.com/name")"#, errors(&[&format!("prefix part {SUBDOMAIN_ERROR}")])),
        (r#"format.qualifiedName().validate("example.com/")"#, errors(&["name part must be non-empty", NAME_PART_ERROR])),
        (
            r#"format.qualifiedName().validate("a/b/c")"#,
            errors(&["a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]),
        ),
        // Label values may be empty.
        (r#"format.labelValue().validate("")"#, none()),
        (r#"format.labelValue().validate("a_b.C-9")"#, none()),
        (r#"format.labelValue().validate("_a")"#, errors(&[LABEL_VALUE_ERROR])),
        // URIs as Go's url.ParseRequestURI reads them.
        (r#"format.uri().validate("/absolute/path")"#, none()),
        (r#"format.uri().validate("mailto:someone@example.com")"#, none()),
        (r#"format.uri().validate("relative/path")"#, errors(&[r#"parse "relative/path": invalid URI for request"#])),
        (r#"format.uri().validate("")"#, errors(&[r#"parse "": empty url"#])),
        (r#"format.uri().validate(":8080")"#, errors(&[r#"parse ":8080": missing protocol scheme"#])),
        // UUIDs: any case, dashes optional.
        (r#"format.uuid().validate("123E4567E89B12D3A456426614174000")"#, none()),
        (r#"format.uuid().validate("123e4567-e89b-12d3-a456-42661417400")"#, errors(&["does not match the UUID format"])),
        (r#"format.uuid().validate("g23e4567-e89b-12d3-a456-426614174000")"#, errors(&["does not match the UUID format"])),
        // Base64: standard alphabet, padded.
        (r#"format.byte().validate("aGk=")"#, none()),
        (r#"format.byte().validate("aGVsbG8+Lw==")"#, none()),
        (r#"format.byte().validate("")"#, errors(&["invalid base64"])),
        (r#"format.byte().validate("aGVsbG8_Lw==")"#, errors(&["invalid base64"])),
        (r#"format.byte().validate("a===")"#, errors(&["invalid base64"])),
        // Dates: the day must exist.
        (r#"format.date().validate("2024-02-29")"#, none()),
        (r#"format.date().validate("2023-02-29")"#, errors(&["invalid date"])),
        (r#"format.date().validate("2000-02-29")"#, none()),
        (r#"format.date().validate("1900-02-29")"#, errors(&["invalid date"])),
        (r#"format.date().validate("2020-13-01")"#, errors(&["invalid date"])),
        (r#"format.date().validate("2020-1-01")"#, errors(&["invalid date"])),
        // Date-times: fractions, offsets, either case; hours to 23, minutes and seconds to 59.
        (r#"format.datetime().validate("2020-01-01T23:59:59.123456+05:30")"#, none()),
        (r#"format.datetime().validate("2020-01-01t00:00:00z")"#, none()),
        (r#"format.datetime().validate("2020-01-01T24:00:00Z")"#, errors(&["invalid datetime"])),
        (r#"format.datetime().validate("2020-01-01T00:60:00Z")"#, errors(&["invalid datetime"])),
        (r#"format.datetime().validate("2020-01-01T00:00:00")"#, errors(&["invalid datetime"])),
        (r#"format.datetime().validate("2020-01-01 00:00:00Z")"#, errors(&["invalid datetime"])),
        (r#"format.datetime().validate("2020-01-01")"#, errors(&["invalid datetime"])),
        // As a policy uses it: the errors joined into a message.
        (
            r#"format.dns1123Label().validate("a.b").value().join("\n") == "must not contain dots""#,
            boolean(true),
        ),
        (r#"format.named("dns1123Label").value().validate("ok").hasValue()"#, boolean(false)),
        (r#"type(format.uri()) == type(format.uuid())"#, boolean(true)),
        // Wrong argument types are errors, not passes.
        (r#"format.dns1123Label().validate(1)"#, Want::Error("no such overload: validate(kubernetes.NamedFormat, int)")),
    ]);
    all.push((
        format!(r#"format.dns1123Label().validate("{long_label}")"#),
        errors(&["must be no more than 63 bytes"]),
    ));
    all.push((
        format!(r#"format.dns1123Subdomain().validate("{long_subdomain}")"#),
        // The pattern bounds no single label: only the length is wrong.
        errors(&["must be no more than 253 bytes"]),
    ));
    all.push((format!(r#"format.labelValue().validate("{long_label}")"#), errors(&["must be no more than 63 bytes"])));
    all.push((
        format!(r#"format.qualifiedName().validate("{long_label}")"#),
        errors(&["name part must be no more than 63 bytes"]),
    ));
    check(&all);
}

/// semver_test.go, `TestSemver`, every case.
#[test]
fn upstream_semver_cases() {
    check(&cases(vec![
        (r#"semver("1.2.3") == semver("1.2.3")"#, boolean(true)),
        (r#"semver("v1.0")"#, Want::Error("No Major.Minor.Patch elements found")),
        (r#"isSemver("1.2.3-beta.1+build.1")"#, boolean(true)),
        (r#"isSemver("")"#, boolean(false)),
        (r#"isSemver("v1.0.0")"#, boolean(false)),
        (r#"isSemver(" 1.0.0")"#, boolean(false)),
        (r#"isSemver("1. 0.0")"#, boolean(false)),
        (r#"isSemver("1.0.0 ")"#, boolean(false)),
        (r#"isSemver("01.01.01")"#, boolean(false)),
        (r#"isSemver("1")"#, boolean(false)),
        (r#"isSemver("1.1")"#, boolean(false)),
        (r#"isSemver("", true)"#, boolean(false)),
        (r#"isSemver(" 1.0.0", true)"#, boolean(false)),
        (r#"isSemver("1. 0.0", true)"#, boolean(false)),
        (r#"isSemver("1.0.0 ", true)"#, boolean(false)),
        (r#"isSemver("v1.0.0", true)"#, boolean(true)),
        (r#"isSemver("01.01.01", true)"#, boolean(true)),
        (r#"isSemver("1", true)"#, boolean(true)),
        (r#"isSemver("1.1", true)"#, boolean(true)),
        (r#"isSemver([1, 2, 3])"#, Want::CompileError("found no matching overload for 'isSemver' applied to '(list)'")),
        (r#"semver("v01.01", true) == semver("1.1.0")"#, boolean(true)),
        (r#"semver("1.2.3") == semver("1.2.3")"#, boolean(true)),
        (r#"semver("1.2.3") == semver("1.0.0")"#, boolean(false)),
        (r#"semver("1.0.0").isLessThan(semver("1.2.3"))"#, boolean(true)),
        (r#"semver("1.0.0").isLessThan(semver("1.0.0"))"#, boolean(false)),
        (r#"semver("1.2.3").isGreaterThan(semver("1.0.0"))"#, boolean(true)),
        (r#"semver("1.0.0").isGreaterThan(semver("1.0.0"))"#, boolean(false)),
        (r#"semver("1.2.3").compareTo(semver("1.2.3"))"#, int(0)),
        (r#"semver("1.0.0").compareTo(semver("1.2.3"))"#, int(-1)),
        (r#"semver("1.2.3").compareTo(semver("1.0.0"))"#, int(1)),
        (r#"semver("1.2.3").major()"#, int(1)),
        (r#"semver("1.2.3").minor()"#, int(2)),
        (r#"semver("1.2.3").patch()"#, int(3)),
    ]));
}

/// Precedence and the parser's messages (semver.org's rules, blang/semver's words).
#[test]
fn semver_edges() {
    check(&cases(vec![
        // semver.org §11's example chain, link by link.
        (r#"semver("1.0.0-alpha").isLessThan(semver("1.0.0-alpha.1"))"#, boolean(true)),
        (r#"semver("1.0.0-alpha.1").isLessThan(semver("1.0.0-alpha.beta"))"#, boolean(true)),
        (r#"semver("1.0.0-alpha.beta").isLessThan(semver("1.0.0-beta"))"#, boolean(true)),
        (r#"semver("1.0.0-beta").isLessThan(semver("1.0.0-beta.2"))"#, boolean(true)),
        (r#"semver("1.0.0-beta.2").isLessThan(semver("1.0.0-beta.11"))"#, boolean(true)),
        (r#"semver("1.0.0-beta.11").isLessThan(semver("1.0.0-rc.1"))"#, boolean(true)),
        (r#"semver("1.0.0-rc.1").isLessThan(semver("1.0.0"))"#, boolean(true)),
        (r#"semver("2.0.0").isGreaterThan(semver("1.99.99"))"#, boolean(true)),
        (r#"semver("1.10.0").isGreaterThan(semver("1.9.0"))"#, boolean(true)),
        // Build metadata does not count.
        (r#"semver("1.0.0+build.1") == semver("1.0.0+build.2")"#, boolean(true)),
        (r#"semver("1.0.0+build.1").compareTo(semver("1.0.0"))"#, int(0)),
        (r#"string(semver("1.2.3-rc.1+b.5")) == "1.2.3-rc.1+b.5""#, boolean(true)),
        (r#"semver("1.2", true).patch() == 0 && semver("v2", true).major() == 2"#, boolean(true)),
        (r#"semver("")"#, Want::Error("Version string empty")),
        (r#"semver("a.1.1")"#, Want::Error(r#"Invalid character(s) found in major number "a""#)),
        (r#"semver("01.1.1")"#, Want::Error(r#"Major number must not contain leading zeroes "01""#)),
        (r#"semver("1.01.1")"#, Want::Error(r#"Minor number must not contain leading zeroes "01""#)),
        (r#"semver("1.1.01")"#, Want::Error(r#"Patch number must not contain leading zeroes "01""#)),
        (r#"semver("1.1.x")"#, Want::Error(r#"Invalid character(s) found in patch number "x""#)),
        (r#"semver("1..1")"#, Want::Error(r#"strconv.ParseUint: parsing "": invalid syntax"#)),
        (r#"semver("1.1.1-")"#, Want::Error("Prerelease is empty")),
        (r#"semver("1.1.1-01")"#, Want::Error(r#"Numeric PreRelease version must not contain leading zeroes "01""#)),
        (r#"semver("1.1.1-a_b")"#, Want::Error(r#"Invalid character(s) found in prerelease "a_b""#)),
        (r#"semver("1.1.1+")"#, Want::Error("Build meta data is empty")),
        (r#"semver("1.1.1+a_b")"#, Want::Error(r#"Invalid character(s) found in build meta data "a_b""#)),
        (
            r#"semver("99999999999999999999.0.0")"#,
            Want::Error(r#"strconv.ParseUint: parsing "99999999999999999999": value out of range"#),
        ),
        (r#"semver("1.0-rc", true)"#, Want::Error("short version cannot contain PreRelease/Build meta data")),
        (
            r#"semver("1.2.3").isGreaterThan(quantity("1"))"#,
            Want::Error("no such overload: isGreaterThan(kubernetes.Semver, kubernetes.Quantity)"),
        ),
    ]));
}

fn text(value: &str) -> Want {
    Want::Value(Value::from(value))
}

/// Compares by CEL equality with the value of another expression (for IPs, CIDRs and
/// quantities, which have no literal).
fn same_as(expression: &'static str) -> Want {
    Want::Value(eval(expression).unwrap_or_else(|error| panic!("{expression}: {error}")))
}

/// ip_test.go, `TestIP`, every case.
#[test]
fn upstream_ip_cases() {
    check(&cases(vec![
        (r#"ip("192.168.0.1")"#, same_as(r#"ip("192.168.0.1")"#)),
        (
            r#"ip("192.168.0.1.0")"#,
            Want::Error(
                r#"IP Address "192.168.0.1.0" parse error during conversion from string: ParseAddr("192.168.0.1.0"): IPv4 address too long"#,
            ),
        ),
        (r#"isIP("192.168.0.1")"#, boolean(true)),
        (r#"isIP("192.168.0.1.0")"#, boolean(false)),
        (r#"ip.isCanonical("127.0.0.1")"#, boolean(true)),
        (
            r#"ip.isCanonical("127.0.0.1.0")"#,
            Want::Error(
                r#"IP Address "127.0.0.1.0" parse error during conversion from string: ParseAddr("127.0.0.1.0"): IPv4 address too long"#,
            ),
        ),
        (r#"ip("192.168.0.1").family()"#, int(4)),
        (r#"ip("0.0.0.0").isUnspecified()"#, boolean(true)),
        (r#"ip("127.0.0.1").isUnspecified()"#, boolean(false)),
        (r#"ip("127.0.0.1").isLoopback()"#, boolean(true)),
        (r#"ip("1.2.3.4").isLoopback()"#, boolean(false)),
        (r#"ip("224.0.0.1").isLinkLocalMulticast()"#, boolean(true)),
        (r#"ip("224.0.1.1").isLinkLocalMulticast()"#, boolean(false)),
        (r#"ip("169.254.169.254").isLinkLocalUnicast()"#, boolean(true)),
        (r#"ip("192.168.0.1").isLinkLocalUnicast()"#, boolean(false)),
        (r#"ip("192.168.0.1").isGlobalUnicast()"#, boolean(true)),
        (r#"ip("255.255.255.255").isGlobalUnicast()"#, boolean(false)),
        (r#"ip("2001:db8::68")"#, same_as(r#"ip("2001:db8::68")"#)),
        (
            r#"ip("2001:db8:::68")"#,
            Want::Error(
                r#"IP Address "2001:db8:::68" parse error during conversion from string: ParseAddr("2001:db8:::68"): each colon-separated field must have at least one digit (at ":68")"#,
            ),
        ),
        (r#"isIP("2001:db8::68")"#, boolean(true)),
        (r#"isIP("2001:db8:::68")"#, boolean(false)),
        (r#"ip.isCanonical("2001:db8::68")"#, boolean(true)),
        (r#"ip.isCanonical("2001:DB8::68")"#, boolean(false)),
        (
            r#"ip.isCanonical("2001:db8:::68")"#,
            Want::Error(
                r#"IP Address "2001:db8:::68" parse error during conversion from string: ParseAddr("2001:db8:::68"): each colon-separated field must have at least one digit (at ":68")"#,
            ),
        ),
        (r#"ip("2001:db8::68").family()"#, int(6)),
        (r#"ip("::").isUnspecified()"#, boolean(true)),
        (r#"ip("::1").isUnspecified()"#, boolean(false)),
        (r#"ip("::1").isLoopback()"#, boolean(true)),
        (r#"ip("2001:db8::abcd").isLoopback()"#, boolean(false)),
        (r#"ip("ff02::1").isLinkLocalMulticast()"#, boolean(true)),
        (r#"ip("fd00::1").isLinkLocalMulticast()"#, boolean(false)),
        (r#"ip("fe80::1").isLinkLocalUnicast()"#, boolean(true)),
        (r#"ip("fd80::1").isLinkLocalUnicast()"#, boolean(false)),
        (r#"ip("2001:db8::abcd").isGlobalUnicast()"#, boolean(true)),
        (r#"ip("ff00::1").isGlobalUnicast()"#, boolean(false)),
        // Upstream's type checker refuses this when the policy is created; the argument is
        // no literal here, so it fails when it runs.
        (r#"isIP(cidr("192.168.0.0/24"))"#, Want::Error("no such overload: isIP(net.CIDR)")),
        (r#"string(ip("192.168.0.1"))"#, text("192.168.0.1")),
        (r#"type(ip("192.168.0.1")) == net.IP"#, boolean(true)),
    ]));
}

/// cidr_test.go, `TestCIDR`, every case.
#[test]
fn upstream_cidr_cases() {
    check(&cases(vec![
        (r#"cidr(192168)"#, Want::CompileError("found no matching overload for 'cidr' applied to '(int)'")),
        (r#"cidr(dyn("192.168.0.0/24"))"#, same_as(r#"cidr("192.168.0.0/24")"#)),
        (
            r#"cidr("192.168.0.0/")"#,
            Want::Error(
                r#"network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("192.168.0.0/"): bad bits after slash: """#,
            ),
        ),
        (r#"cidr("192.168.0.0/24").containsIP(ip("192.168.0.1"))"#, boolean(true)),
        (r#"cidr("192.168.0.0/24").containsIP(ip("192.168.1.1"))"#, boolean(false)),
        (r#"cidr("192.168.0.0/24").containsIP("192.168.0.1")"#, boolean(true)),
        (r#"cidr("192.168.0.0/24").containsIP("192.168.1.1")"#, boolean(false)),
        (r#"cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/25"))"#, boolean(true)),
        (r#"cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/23"))"#, boolean(false)),
        (r#"cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25")"#, boolean(true)),
        (r#"cidr("192.168.0.0/24").containsCIDR("192.168.0.0/23")"#, boolean(false)),
        (r#"cidr("192.168.0.0/24").ip()"#, same_as(r#"ip("192.168.0.0")"#)),
        (r#"cidr("192.168.0.0/24").masked()"#, same_as(r#"cidr("192.168.0.0/24")"#)),
        (r#"cidr("192.168.0.1/24").masked()"#, same_as(r#"cidr("192.168.0.0/24")"#)),
        (r#"cidr("192.168.0.0/24").prefixLength()"#, int(24)),
        (r#"cidr("2001:db8::/32")"#, same_as(r#"cidr("2001:db8::/32")"#)),
        (
            r#"cidr("2001:db8::/")"#,
            Want::Error(
                r#"network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("2001:db8::/"): bad bits after slash: """#,
            ),
        ),
        (r#"cidr("2001:db8::/32").containsIP(ip("2001:db8::1"))"#, boolean(true)),
        (r#"cidr("2001:db8::/32").containsIP(ip("2001:dc8::1"))"#, boolean(false)),
        (r#"cidr("2001:db8::/32").containsIP("2001:db8::1")"#, boolean(true)),
        (r#"cidr("2001:db8::/32").containsIP("2001:dc8::1")"#, boolean(false)),
        (r#"cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/33"))"#, boolean(true)),
        (r#"cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/31"))"#, boolean(false)),
        (r#"cidr("2001:db8::/32").containsCIDR("2001:db8::/33")"#, boolean(true)),
        (r#"cidr("2001:db8::/32").containsCIDR("2001:db8::/31")"#, boolean(false)),
        (r#"cidr("2001:db8::/32").ip()"#, same_as(r#"ip("2001:db8::")"#)),
        (r#"cidr("2001:db8::/32").masked()"#, same_as(r#"cidr("2001:db8::/32")"#)),
        (r#"cidr("2001:db8:1::/32").masked()"#, same_as(r#"cidr("2001:db8::/32")"#)),
        (r#"cidr("2001:db8::/32").prefixLength()"#, int(32)),
        (r#"string(cidr("192.168.0.0/24"))"#, text("192.168.0.0/24")),
        (r#"type(cidr("192.168.0.0/24")) == net.CIDR"#, boolean(true)),
        // Kubernetes 1.33's fix (kubernetes#130450): a subnet anywhere inside is contained.
        (r#"cidr("192.168.0.0/16").containsCIDR("192.168.0.1/32")"#, boolean(true)),
        (r#"cidr("192.168.0.0/24").containsCIDR("192.168.0.128/25")"#, boolean(true)),
    ]));
}

/// Go's netip messages for the ways an address can be wrong.
#[test]
fn ip_and_cidr_parse_errors() {
    let prefix = |input: &str, message: &str| {
        format!("IP Address {input:?} parse error during conversion from string: ParseAddr({input:?}): {message}")
    };
    let mut all = Vec::new();
    for (input, message) in [
        ("", "unable to parse IP"),
        ("abc", "unable to parse IP"),
        ("%eth0", "missing IPv6 address"),
        ("1.2.3", "IPv4 address too short"),
        ("1.2.3.256", "IPv4 field has value >255"),
        ("01.2.3.4", "IPv4 field has octet with leading zero"),
        ("1..2.3", "IPv4 field must have at least one digit (at \".2.3\")"),
        ("1.2.3.4x", "unexpected character (at \"x\")"),
        ("1:2:3:4:5:6:7:8:9", "trailing garbage after address (at \"9\")"),
        ("1:2:3", "address string too short"),
        ("1::2::3", "multiple :: in address (at \":3\")"),
        ("12345::1", "each group must have 4 or less digits (at \"12345::1\")"),
        ("1:2:3:4:5:6:7::8", "the :: must expand to at least one field of zeros"),
        ("1:2:3:4:1.2.3.4", "embedded IPv4 address must replace the final 2 fields of the address (at \"1.2.3.4\")"),
        ("fe80::1%", "zone must be a non-empty string"),
        ("1:", "colon must be followed by more characters (at \":\")"),
        ("1:2:3:4:5:6:7:8x", "unexpected character, want colon (at \"x\")"),
    ] {
        all.push((format!("ip({input:?})"), Want::Error(Box::leak(prefix(input, message).into_boxed_str()))));
    }
    all.extend(cases(vec![
        (r#"ip("fe80::1%eth0")"#, Want::Error(r#"IP address "fe80::1%eth0" with zone value is not allowed"#)),
        (r#"ip("::ffff:1.2.3.4")"#, Want::Error(r#"IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed"#)),
        (r#"ip("::ffff:102:304")"#, Want::Error(r#"IPv4-mapped IPv6 address "::ffff:102:304" is not allowed"#)),
        (r#"ip("::1.2.3.4") == ip("::102:304")"#, boolean(true)),
        (r#"ip.isCanonical("::ffff:0:0:1")"#, boolean(true)),
        (r#"ip.isCanonical("0:0:0:0:ffff:0:0:1")"#, boolean(false)),
        (
            r#"cidr("10.0.0.0")"#,
            Want::Error(r#"network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("10.0.0.0"): no '/'"#),
        ),
        (
            r#"cidr("10.0.0.0/33")"#,
            Want::Error(r#"network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range"#),
        ),
        (
            r#"cidr("10.0.0.0/08")"#,
            Want::Error(r#"network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08""#),
        ),
        (
            r#"cidr("fe80::%eth0/64")"#,
            Want::Error(r#"network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("fe80::%eth0/64"): IPv6 zones cannot be present in a prefix"#),
        ),
        (
            r#"cidr("10.0.0/8")"#,
            Want::Error(r#"network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("10.0.0/8"): ParseAddr("10.0.0"): IPv4 address too short"#),
        ),
        (
            r#"cidr("::ffff:10.0.0.0/104")"#,
            Want::Error(r#"network address parse error during conversion from string: IPv4-mapped IPv6 address "::ffff:10.0.0.0/104" is not allowed"#),
        ),
        (r#"isCIDR("10.0.0.0/8") && !isCIDR("10.0.0.0/8 ")"#, boolean(true)),
        (r#"cidr("0.0.0.0/0").containsIP("255.255.255.255")"#, boolean(true)),
        (r#"cidr("::/0").containsIP("1.2.3.4")"#, boolean(false)),
    ]));
    check(&all);
}

/// quantity_test.go, `TestQuantity`: every case of the functions Kubernetes releases have
/// (`mul`, `div` and `divInt` are newer than any release and not implemented).
#[test]
fn upstream_quantity_cases() {
    check(&cases(vec![
        (r#"quantity("12Mi") == quantity("12582912")"#, boolean(true)),
        (
            r#"quantity("10Mo")"#,
            Want::Error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
        ),
        (r#"quantity("10Mm")"#, Want::Error("unable to parse quantity's suffix")),
        (r#"isQuantity("20")"#, boolean(true)),
        (r#"isQuantity("20M")"#, boolean(true)),
        (r#"isQuantity("20Mi")"#, boolean(true)),
        (r#"isQuantity("20Mo")"#, boolean(false)),
        (r#"isQuantity("10Mm")"#, boolean(false)),
        (
            r#"isQuantity([1, 2, 3])"#,
            Want::CompileError("found no matching overload for 'isQuantity' applied to '(list)'"),
        ),
        (r#"quantity("200M") == quantity("200M")"#, boolean(true)),
        (r#"quantity("200M") == quantity("0.2G") && quantity("0.2G") == quantity("200M")"#, boolean(true)),
        (
            r#"quantity("2M") == quantity("0.002G") && quantity("2000k") == quantity("2M") && quantity("0.002G") == quantity("2000k")"#,
            boolean(true),
        ),
        (r#"quantity("200M") == quantity("0.3G")"#, boolean(false)),
        (r#"quantity("50M").isLessThan(quantity("50Mi"))"#, boolean(true)),
        (r#"quantity("50M").isLessThan(quantity("100M"))"#, boolean(true)),
        (r#"quantity("100M").isLessThan(quantity("50M"))"#, boolean(false)),
        (r#"quantity("50Mi").isGreaterThan(quantity("50M"))"#, boolean(true)),
        (r#"quantity("150Mi").isGreaterThan(quantity("100Mi"))"#, boolean(true)),
        (r#"quantity("50M").isGreaterThan(quantity("100M"))"#, boolean(false)),
        (r#"quantity("200M").compareTo(quantity("0.2G"))"#, int(0)),
        (r#"quantity("50M").compareTo(quantity("50Mi"))"#, int(-1)),
        (r#"quantity("50Mi").compareTo(quantity("50M"))"#, int(1)),
        (r#"quantity("50k").add(quantity("20")) == quantity("50.02k")"#, boolean(true)),
        (r#"quantity("50k").add(20).isLessThan(quantity("50020"))"#, boolean(false)),
        (r#"quantity("50k").sub(quantity("20")) == quantity("49.98k")"#, boolean(true)),
        (r#"quantity("50k").sub(20) == quantity("49980")"#, boolean(true)),
        (r#"quantity("50k").add(20).sub(quantity("100k")).asInteger()"#, int(-49980)),
        (r#"quantity("50k").add(20).sub(quantity("100k")).sub(-50000).asInteger()"#, int(20)),
        (r#"quantity("50k").asInteger()"#, int(50000)),
        (
            r#"quantity("9999999999999999999999999999999999999G").asInteger()"#,
            Want::Error("cannot convert value to integer"),
        ),
        (r#"quantity("9999999999999999999999999999999999999G").isInteger()"#, boolean(false)),
        (r#"quantity("50").isInteger()"#, boolean(true)),
        (r#"quantity("50.703k").asApproximateFloat()"#, Want::Value(Value::Double(50703.0))),
        // The examples of the library's documentation.
        (r#"quantity("50000000G").isInteger()"#, boolean(true)),
        (r#"quantity("50k").isInteger()"#, boolean(true)),
        (r#"quantity("50k").sub(20000).asApproximateFloat() == 30000.0"#, boolean(true)),
        (r#"quantity("50k").add(quantity("20k")) == quantity("70k")"#, boolean(true)),
        (r#"quantity("50k").add(20) == quantity("50020")"#, boolean(true)),
        (r#"quantity("50k").sub(quantity("20k")) == quantity("30k")"#, boolean(true)),
        (r#"quantity("50k").add(20).sub(quantity("100k")).sub(-50000) == quantity("20")"#, boolean(true)),
        (r#"isQuantity("1.3G") && isQuantity("1.3Gi") && isQuantity("10000k")"#, boolean(true)),
        (r#"isQuantity("1,3G") || isQuantity("200K") || isQuantity("Three")"#, boolean(false)),
    ]));
}

/// apimachinery's parser: its invalid corpus, its lenient forms, rounding up to nano
/// units, the int64 cap, and which quantities convert to integers.
#[test]
fn quantity_parsing_as_apimachinery() {
    let mut all = Vec::new();
    for invalid in
        ["1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i", "-3.01e-", " 1", "1 ", "", "1e", "1KiB"]
    {
        all.push((format!("isQuantity({invalid:?})"), boolean(false)));
    }
    all.extend(cases(vec![
        // Lenient forms upstream accepts.
        (r#"quantity("1.") == quantity("1")"#, boolean(true)),
        (r#"quantity("1.G") == quantity("1G")"#, boolean(true)),
        (r#"quantity(".001") == quantity("1m")"#, boolean(true)),
        (r#"quantity("+5") == quantity("5")"#, boolean(true)),
        (r#"quantity("-0") == quantity("0")"#, boolean(true)),
        (r#"quantity("1e3") == quantity("1k") && quantity("1E+3") == quantity("1k")"#, boolean(true)),
        (r#"quantity("1e-3") == quantity("1m")"#, boolean(true)),
        // Rounded up to nano units, away from zero.
        (r#"quantity("0.000000000001Ki") == quantity("2n")"#, boolean(true)),
        (r#"quantity("1e-10") == quantity("1n")"#, boolean(true)),
        (r#"quantity("-1e-10") == quantity("-1n")"#, boolean(true)),
        (r#"quantity("1.0000000001") == quantity("1000000001n")"#, boolean(true)),
        // Capped at 2^63 - 1.
        (r#"quantity("10E") == quantity("9223372036854775807")"#, boolean(false)),
        (r#"quantity("10.5Ei").asApproximateFloat()"#, Want::Value(Value::Double(9223372036854775807.0))),
        // A small amount is not capped.
        (r#"quantity("10.5E").asApproximateFloat()"#, Want::Value(Value::Double(10.5e18))),
        (r#"quantity("-100000000000000000000.5").sign()"#, int(-1)),
        // Only an int64 amount with a scale of zero or more converts.
        (r#"quantity("1000m").isInteger()"#, boolean(false)),
        (r#"quantity("0.5k").asInteger()"#, int(500)),
        (r#"quantity("1.5Gi").isInteger()"#, boolean(false)),
        (r#"quantity("1Gi").asInteger()"#, int(1073741824)),
        // Past Ti, a binary amount is a big one, even a whole number.
        (r#"quantity("1Ei").isInteger()"#, boolean(false)),
        (r#"quantity("8Ei").isInteger()"#, boolean(false)),
        (r#"quantity("1e18").asInteger()"#, int(1_000_000_000_000_000_000)),
        (r#"quantity("1e19").isInteger()"#, boolean(false)),
        (r#"quantity("1k").sub(quantity("1k")).isInteger()"#, boolean(true)),
        (r#"quantity("2").sign() == 1 && quantity("-2").sign() == -1 && quantity("0").sign() == 0"#, boolean(true)),
        (r#"sign(quantity("-2"))"#, int(-1)),
        (r#"quantity("1Mi").isGreaterThan(quantity("1M"))"#, boolean(true)),
        (r#"quantity("1e100").isGreaterThan(quantity("1E"))"#, boolean(true)),
        (r#"quantity("1e400").sub(quantity("1e400")).asApproximateFloat()"#, Want::Value(Value::Double(0.0))),
        (r#"quantity("1e400").asApproximateFloat()"#, Want::Value(Value::Double(f64::INFINITY))),
    ]));
    // Long texts parse in bounded time: capped, or rounded.
    all.push((format!("quantity(\"{}Ei\") == quantity(\"9223372036854775807\")", "9".repeat(50_000)), boolean(true)));
    all.push((format!("quantity(\"0.{}1Ki\") == quantity(\"1n\")", "0".repeat(50_000)), boolean(true)));
    all.push((format!("quantity(\"1.{}Ki\") == quantity(\"1820.444444445\")", "7".repeat(20_000)), boolean(true)));
    check(&all);
}

/// cel-go's two-variable comprehensions (ext.TwoVarComprehensions, in Kubernetes since
/// 1.32): every case of comprehensions_test.go.
#[test]
fn upstream_two_variable_comprehension_cases() {
    let truths = [
        "[1, 2, 3, 4].all(i, v, i < 5 && v > 0)",
        "[1, 2, 3, 4].all(i, v, i < v)",
        "[1, 2, 3, 4].all(i, v, i > v) == false",
        "cel.bind(listA, [1, 2, 3, 4], cel.bind(listB, [1, 2, 3, 4, 5], listA.all(i, v, listB[?i].hasValue() && listB[i] == v)))",
        "cel.bind(listA, [1, 2, 3, 4, 5, 6], cel.bind(listB, [1, 2, 3, 4, 5], listA.all(i, v, listB[?i].hasValue() && listB[i] == v))) == false",
        "cel.bind(l, ['hello', 'world', 'hello!', 'worlds'], l.exists(i, v, v.startsWith('hello') && l[?(i+1)].optMap(next, next.endsWith('world')).orValue(false)))",
        "cel.bind(l, ['hello', 'world', 'hello!', 'worlds'], l.existsOne(i, v, v.startsWith('hello') && l[?(i+1)].optMap(next, next.endsWith('world')).orValue(false)))",
        "cel.bind(l, ['hello', 'goodbye', 'hello!', 'goodbye'], l.exists_one(i, v, v.startsWith('hello') && l[?(i+1)].optMap(next, next == \"goodbye\").orValue(false))) == false",
        "['Hello', 'world'].transformList(i, v, \"[%d]%s\".format([i, v.lowerAscii()])) == [\"[0]hello\", \"[1]world\"]",
        "['hello', 'world'].transformList(i, v, v.startsWith('greeting'), \"[%d]%s\".format([i, v])) == []",
        "[1, 2, 3].transformList(indexVar, valueVar, (indexVar * valueVar) + valueVar) == [1, 4, 9]",
        "[1, 2, 3].transformList(indexVar, valueVar, indexVar % 2 == 0, (indexVar * valueVar) + valueVar) == [1, 9]",
        "['Hello', 'world'].transformMap(i, v, [v.lowerAscii()]) == {0: ['hello'], 1: ['world']}",
        "// round-tripping example\n['world', 'Hello'].transformMap(i, v, [v.lowerAscii()])\n  .transformList(k, v, v) // extract the list back form the map\n  .flatten()\n  .sort() == ['hello', 'world']",
        "[1, 2, 3].transformMap(indexVar, valueVar, (indexVar * valueVar) + valueVar) == {0: 1, 1: 4, 2: 9}",
        "[1, 2, 3].transformMap(indexVar, valueVar, indexVar % 2 == 0, (indexVar * valueVar) + valueVar) == {0: 1, 2: 9}",
        "\"key1:value1 key2:value2 key3:value3\".split(\" \").transformMapEntry(i, v, cel.bind(entry, v.split(\":\"), entry.size() == 2 ? {entry[0]: entry[1]} : {})) == {'key1': 'value1', 'key2': 'value2', 'key3': 'value3'}",
        "\"key1:value1:extra key2:value2 key3\".split(\" \").transformMapEntry(i, v, cel.bind(entry, v.split(\":\"), {?entry[0]: entry[?1]})) == {'key1': 'value1', 'key2': 'value2'}",
        "{'hello': 'world', 'hello!': 'world'}.all(k, v, k.startsWith('hello') && v == 'world')",
        "{'hello': 'world', 'hello!': 'worlds'}.all(k, v, k.startsWith('hello') && v.endsWith('world')) == false",
        "{'hello': 'world', 'hello!': 'worlds'}.exists(k, v, k.startsWith('hello') && v.endsWith('world'))",
        "{'hello': 'world', 'hello!': 'worlds'}.existsOne(k, v, k.startsWith('hello') && v.endsWith('world'))",
        "{'hello': 'world', 'hello!': 'worlds'}.exists_one(k, v, k.startsWith('hello') && v.endsWith('world'))",
        "{'hello': 'world', 'hello!': 'wow, world'}.exists_one(k, v, k.startsWith('hello') && v.endsWith('world')) == false",
        "{'Hello': 'world'}.transformList(k, v, \"%s=%s\".format([k.lowerAscii(), v])) == [\"hello=world\"]",
        "dyn({'Hello': 'world'}).transformList(k, v, \"%s=%s\".format([k.lowerAscii(), v])) == [\"hello=world\"]",
        "{'hello': 'world'}.transformList(k, v, k.startsWith('greeting'), \"%s=%s\".format([k, v])) == []",
        "{'greeting': 'hello', 'farewell': 'goodbye'}.transformList(k, _, k).sort() == ['farewell', 'greeting']",
        "{'greeting': 'hello', 'farewell': 'goodbye'}.transformList(_, v, v).sort() == ['goodbye', 'hello']",
        "{'hello': 'world', 'goodbye': 'cruel world'}.transformMap(k, v, \"%s, %s!\".format([k, v])) == {'hello': 'hello, world!', 'goodbye': 'goodbye, cruel world!'}",
        "dyn({'hello': 'world', 'goodbye': 'cruel world'}).transformMap(k, v, \"%s, %s!\".format([k, v])) == {'hello': 'hello, world!', 'goodbye': 'goodbye, cruel world!'}",
        "{'hello': 'world', 'goodbye': 'cruel world'}.transformMap(k, v, v.startsWith('world'), \"%s, %s!\".format([k, v])) == {'hello': 'hello, world!'}",
        "{'hello': 'world', 'greetings': 'tacocat'}.transformMapEntry(k, v, {k.reverse(): v.reverse()}) == {'olleh': 'dlrow', 'sgniteerg': 'tacocat'}",
        "{'hello': 'world', 'greetings': 'tacocat'}.transformMapEntry(k, v, v.reverse() == v, {k.reverse(): v.reverse()}) == {'sgniteerg': 'tacocat'}",
        "{'hello': 'world', 'greetings': 'tacocat'}.transformMapEntry(k, v, {}) == {}",
    ];
    let mut all: Vec<(String, Want)> = truths.iter().map(|text| (text.to_string(), boolean(true))).collect();
    // TestTwoVarComprehensionsRuntimeErrors.
    all.extend(cases(vec![
        ("[1, 1].transformMapEntry(i, v, {v: i})", Want::Error("insert failed: key 1 already exists")),
        ("[0, 0u].transformMapEntry(i, v, {v: i})", Want::Error("insert failed: key 0 already exists")),
        // What the type checker refuses upstream fails here when it runs.
        (
            "{'a': 'b'}.transformMapEntry(j, k, 'bad filter', {k: j})",
            Want::Error("the filter must be a bool, found string"),
        ),
        (
            "{'hello': 'world'}.transformMapEntry(k, v, [])",
            Want::Error("transformMapEntry must produce a map, found list"),
        ),
        ("''.exists(j, k, j < k)", Want::Error("cannot iterate over string (a comprehension needs a list or a map)")),
    ]));
    check(&all);
}

/// TestTwoVarComprehensionsStaticErrors: refused when the expression compiles.
#[test]
fn upstream_two_variable_comprehension_compile_errors() {
    let env = Env { globals: vec!["object".into()], ..Env::default() };
    let mut failures = Vec::new();
    for (text, expected) in [
        ("[].all(i, i, i < i)", "duplicate variable name: i"),
        ("[].all(__result__, i, __result__ < i)", "iteration variable overwrites accumulator variable"),
        ("[].all(j, __result__, __result__ < j)", "iteration variable overwrites accumulator variable"),
        ("[].all(i.j, k, i.j < k)", "must be a simple name"),
        ("[].all(j, i.k, j < i.k)", "must be a simple name"),
        ("[].exists(i.j, k, i.j < k)", "must be a simple name"),
        ("[].exists(j, i.k, j < i.k)", "must be a simple name"),
        ("[].exists_one(i.j, k, i.j < k)", "must be a simple name"),
        ("[].existsOne(j, i.k, j < i.k)", "must be a simple name"),
        ("[].transformList(i.j, k, i.j + k)", "must be a simple name"),
        ("[].transformList(j, i.k, j + i.k)", "must be a simple name"),
        ("{}.transformMap(i.j, k, i.j + k)", "must be a simple name"),
        ("{}.transformMap(j, i.k, j + i.k)", "must be a simple name"),
        ("{}.transformMapEntry(j, i.k, {j: i.k})", "must be a simple name"),
        ("{}.transformMapEntry(i.j, k, {k: i.j})", "must be a simple name"),
    ] {
        match Program::compile(text, &env) {
            Err(error) if error.message.contains(expected) => {}
            other => failures.push(format!("{text}: want an error with {expected:?}, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// cel-go's strings extension (ext.Strings, as Kubernetes enables it): every case of
/// strings_test.go.
#[test]
fn upstream_strings_extension_cases() {
    let truths = [
        "'tacocat'.charAt(3) == 'o'",
        "'tacocat'.charAt(7) == ''",
        "'©αT'.charAt(0) == '©' && '©αT'.charAt(1) == 'α' && '©αT'.charAt(2) == 'T'",
        "'tacocat'.indexOf('') == 0",
        "'tacocat'.indexOf('ac') == 1",
        "'tacocat'.indexOf('none') == -1",
        "'tacocat'.indexOf('', 3) == 3",
        "'tacocat'.indexOf('a', 3) == 5",
        "'tacocat'.indexOf('at', 3) == 5",
        "'ta©o©αT'.indexOf('©') == 2",
        "'ta©o©αT'.indexOf('©', 3) == 4",
        "'ta©o©αT'.indexOf('©αT', 3) == 4",
        "'ta©o©αT'.indexOf('©α', 5) == -1",
        "'ijk'.indexOf('k') == 2",
        "'hello wello'.indexOf('hello wello') == 0",
        "'hello wello'.indexOf('ello', 6) == 7",
        "'hello wello'.indexOf('elbo room!!') == -1",
        "'hello wello'.indexOf('elbo room!!!') == -1",
        "'tacocat'.lastIndexOf('') == 7",
        "'tacocat'.lastIndexOf('at') == 5",
        "'tacocat'.lastIndexOf('none') == -1",
        "'tacocat'.lastIndexOf('', 3) == 3",
        "'tacocat'.lastIndexOf('a', 3) == 1",
        "'ta©o©αT'.lastIndexOf('©') == 4",
        "'ta©o©αT'.lastIndexOf('©', 3) == 2",
        "'ta©o©αT'.lastIndexOf('©α', 4) == 4",
        "'hello wello'.lastIndexOf('ello', 6) == 1",
        "'hello wello'.lastIndexOf('low') == -1",
        "'hello wello'.lastIndexOf('elbo room!!') == -1",
        "'hello wello'.lastIndexOf('elbo room!!!') == -1",
        "'hello wello'.lastIndexOf('hello wello') == 0",
        "'bananananana'.lastIndexOf('nana', 8) == 8",
        "\"12 days 12 hours\".replace(\"{0}\", \"2\") == \"12 days 12 hours\"",
        "\"{0} days {0} hours\".replace(\"{0}\", \"2\") == \"2 days 2 hours\"",
        "\"{0} days {0} hours\".replace(\"{0}\", \"2\", 1).replace(\"{0}\", \"23\") == \"2 days 23 hours\"",
        "\"1 ©αT taco\".replace(\"αT\", \"o©α\") == \"1 ©o©α taco\"",
        "\"hello world\".split(\" \") == [\"hello\", \"world\"]",
        "\"hello world events!\".split(\" \", 0) == []",
        "\"hello world events!\".split(\" \", 1) == [\"hello world events!\"]",
        "\"o©o©o©o\".split(\"©\", -1) == [\"o\", \"o\", \"o\", \"o\"]",
        "\"tacocat\".substring(4) == \"cat\"",
        "\"tacocat\".substring(7) == \"\"",
        "\"tacocat\".substring(0, 4) == \"taco\"",
        "\"tacocat\".substring(4, 4) == \"\"",
        "'ta©o©αT'.substring(2, 6) == \"©o©α\"",
        "'ta©o©αT'.substring(7, 7) == \"\"",
        "\" \\f\\n\\r\\t\\vtext  \".trim() == \"text\"",
        "\"\\u0085\\u00a0\\u1680text\".trim() == \"text\"",
        "\"text\\u2000\\u2001\\u2002\\u2003\\u2004\\u2004\\u2006\\u2007\\u2008\\u2009\".trim() == \"text\"",
        "\"\\u200atext\\u2028\\u2029\\u202F\\u205F\\u3000\".trim() == \"text\"",
        "\"\\u180etext\\u200b\\u200c\\u200d\\u2060\\ufeff\".trim()\n\t\t\t\t== \"\\u180etext\\u200b\\u200c\\u200d\\u2060\\ufeff\"",
    ];
    let mut all: Vec<(String, Want)> = truths.iter().map(|text| (text.to_string(), boolean(true))).collect();
    all.extend(cases(vec![
        ("'tacocat'.charAt(30) == ''", Want::Error("index out of range: 30")),
        ("'tacocat'.indexOf('a', 30) == -1", Want::Error("index out of range: 30")),
        ("'tacocat'.lastIndexOf('a', -1) == -1", Want::Error("index out of range: -1")),
        ("'tacocat'.lastIndexOf('a', 30) == -1", Want::Error("index out of range: 30")),
        ("\"tacocat\".substring(40) == \"cat\"", Want::Error("index out of range: 40")),
        ("\"tacocat\".substring(-1) == \"cat\"", Want::Error("index out of range: -1")),
        ("\"tacocat\".substring(1, 50) == \"cat\"", Want::Error("index out of range: 50")),
        ("\"tacocat\".substring(49, 50) == \"cat\"", Want::Error("index out of range: 49")),
        ("\"tacocat\".substring(4, 3) == \"\"", Want::Error("invalid substring range. start: 4, end: 3")),
    ]));
    check(&all);
    // Parse-only upstream (its type checker would refuse them): their literal arguments'
    // types fit no overload, which is a compile error here, before anything runs.
    let env = Env { globals: vec!["object".into()], ..Env::default() };
    for text in [
        "42.charAt(2) == \"\"",
        "'hello'.charAt(true) == \"\"",
        "24.indexOf('2') == 0",
        "'hello'.indexOf(true) == 1",
        "42.indexOf('4', 0) == 0",
        "'42'.indexOf(4, 0) == 0",
        "'42'.indexOf('4', '0') == 0",
        "42.split(\"2\") == [\"4\"]",
        "42.replace(2, 1) == \"41\"",
        "\"42\".replace(2, 1) == \"41\"",
        "\"42\".replace(\"2\", 1) == \"41\"",
        "42.replace(\"2\", \"1\", 1) == \"41\"",
        "\"42\".replace(2, \"1\", 1) == \"41\"",
        "\"42\".replace(\"2\", 1, 1) == \"41\"",
        "\"42\".replace(\"2\", \"1\", \"1\") == \"41\"",
        "42.split(\"\") == [\"4\", \"2\"]",
        "\"42\".split(2) == [\"4\"]",
        "42.split(\"2\", \"1\") == [\"4\"]",
        "\"42\".split(2, 1) == [\"4\"]",
        "\"42\".split(\"2\", \"1\") == [\"4\"]",
        "30.substring(true, 3) == \"\"",
        "\"tacocat\".substring(true, 3) == \"\"",
        "\"tacocat\".substring(0, false) == \"\"",
    ] {
        let error = Program::compile(text, &env).expect_err(text);
        assert!(error.message.starts_with("found no matching overload for '"), "{text}: {}", error.message);
    }
    // Too many arguments do not compile either.
    for text in [
        "'42'.indexOf('4', 0, 1) == 0",
        "\"42\".replace(\"2\", \"1\", 1, false) == \"41\"",
        "\"42\".split(\"2\", 1, 1) == [\"4\"]",
        "'hello'.substring(1, 2, 3) == \"\"",
    ] {
        let error = Program::compile(text, &env).expect_err(text);
        assert!(error.message.starts_with("no matching overload"), "{text}: {}", error.message);
    }
}

/// Generated inputs (a fixed pseudo-random sequence over the characters these parsers care
/// about, and some that are several bytes long): every parser answers a value or an error,
/// never a panic.
#[test]
fn parsers_answer_every_generated_input_without_panicking() {
    const ALPHABET: &[&str] = &[
        "0", "1", "9", ".", ":", "::", "+", "-", "e", "E", "i", "K", "M", "G", "P", "E", "k", "m", "n", "u", "/", "%",
        "a", "f", "v", "[", "]", "é", "©", " ", "T", "t", "Z", "z", "#", "?", "@", "ff", "1.2.3.4",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let calls = [
        "quantity(s)",
        "isQuantity(s)",
        "ip(s)",
        "isIP(s)",
        "cidr(s)",
        "isCIDR(s)",
        "semver(s)",
        "isSemver(s, true)",
        "url(s)",
        "format.datetime().validate(s)",
        "format.uri().validate(s)",
        "format.dns1123SubdomainPrefix().validate(s)",
        "format.qualifiedName().validate(s)",
        "format.uuid().validate(s)",
        "format.date().validate(s)",
        "format.byte().validate(s)",
        "format.labelValue().validate(s)",
    ];
    let env = Env { globals: vec!["s".into()], ..Env::default() };
    let programs: Vec<Program> = calls.iter().map(|call| Program::compile(call, &env).unwrap()).collect();
    let mut outcomes = (0, 0);
    for _ in 0..3_000 {
        let length = (next() % 24) as usize;
        let text: String = (0..length).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect();
        let globals = vec![Value::from(text.as_str())];
        for program in &programs {
            match program.eval(&Activation::new(&globals, &[], DEFAULT_COST_LIMIT)) {
                Ok(_) => outcomes.0 += 1,
                Err(_) => outcomes.1 += 1,
            }
        }
    }
    // Both kinds of answer occur: the inputs reach past the first check of each parser.
    assert!(outcomes.0 > 1_000 && outcomes.1 > 1_000, "{outcomes:?}");
}
