//! Kubernetes' `format` and `semver` CEL libraries, case by case: every case of the
//! upstream tests (k8s.io/apiserver/pkg/cel/library format_test.go and semver_test.go),
//! each asserting the exact value or the exact error message, plus the edges of each
//! format that the upstream validators define (lengths, prefixes, leap days, zones).

use rampart_cel::{Activation, Env, Program, Value, DEFAULT_COST_LIMIT};

enum Want {
    Value(Value),
    /// The exact runtime error message.
    Error(&'static str),
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
            _ => false,
        };
        if !ok {
            let wanted = match want {
                Want::Value(value) => value.display(),
                Want::Error(message) => format!("error {message:?}"),
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
        // Upstream rejects this when the expression is type-checked; here it is an error
        // when it runs: never a pass either way.
        (r#"isSemver([1, 2, 3])"#, Want::Error("no such overload: isSemver(list)")),
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
