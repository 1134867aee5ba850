//! SARIF 2.1.0, the format code-scanning services read (GitHub code scanning, Azure DevOps,
//! IDE viewers).
//!
//! One run; the driver lists every rule of the registry with its documentation as help
//! Markdown, so a viewer can explain a finding without Rampart installed, then each custom
//! policy applied (`vap/<name>`: where the policy is, its remediation, its level from its
//! findings' severity when it has any). Each finding is a
//! result placed on its file, line and column (columns count Unicode code points, as the
//! engine does, and the run says so with `columnKind`), with the end of the offending key
//! or value and the line as a snippet, plus a logical location naming the object and field. Exempted findings are kept, with an `inSource` suppression carrying
//! the reason, so the service shows them as dismissed instead of forgetting them. Parse
//! errors become tool execution notifications, and the invocation is then not successful.
//!
//! `partialFingerprints["rampart/v1"]` identifies a finding across runs independently of
//! its line: a 64-bit FNV-1a hash of the rule, the file, and the object's kind, namespace,
//! name and field path. Moving a block within a file keeps the alert; renaming the object
//! or the file opens a new one.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::engine::{Finding, Report};
use crate::parse::{ParseError, Source};
use crate::policy::{PolicySummary, REMEDIATION};
use crate::rules::{Rule, Severity, RULES};

use super::{qualified_name, source_line, token_length};

/// Where the SARIF schema lives.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where people learn about the tool (the driver's `informationUri`).
pub const INFORMATION_URI: &str = "https://rampart.dev/";
/// The key of Rampart's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "rampart/v1";

/// Renders the report as a SARIF 2.1.0 log (pretty-printed, ending with a newline);
/// `sources` supply each region's snippet and end column (a finding whose source is not
/// among them gets its start position only).
pub fn render(report: &Report, sources: &[Source]) -> String {
    let mut text = serde_json::to_string_pretty(&log(report, sources)).unwrap_or_default();
    text.push('\n');
    text
}

/// The SARIF log as a JSON value.
pub fn log(report: &Report, sources: &[Source]) -> Value {
    let texts = SourceTexts::new(sources);
    let mut rules: Vec<Value> = RULES.iter().map(|rule| rule_descriptor(rule)).collect();
    rules.extend(report.policies.policies.iter().map(|policy| policy_descriptor(policy, report)));
    let results: Vec<Value> = report.findings.iter().map(|finding| result(finding, report, &texts)).collect();
    let notifications: Vec<Value> = report.errors.iter().map(|error| notification(error, &texts)).collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "rampart",
                    "informationUri": INFORMATION_URI,
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "score": report.score,
                "grade": report.grade,
                "scoreFormulaVersion": report.score_formula_version,
                "pssVersion": report.pss_version,
            },
        }],
    })
}

/// SARIF's result level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The `security-severity` score (0–10) code-scanning services rank alerts by.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.0",
        Severity::High => "7.0",
        Severity::Medium => "5.0",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn rule_descriptor(rule: &Rule) -> Value {
    let mut tags = vec![rule.family.as_str().to_string(), "security".to_string(), "kubernetes".to_string()];
    if let Some(check) = rule.pss {
        tags.push(format!("pss-{}", check.level.as_str()));
    }
    // The Pod Security checks reproduce upstream admission exactly; the other rules judge
    // manifests that may be completed elsewhere (by an admission webhook, an overlay).
    let precision = if rule.pss.is_some() { "very-high" } else { "high" };
    let full_description = rule.doc_section("What it checks").unwrap_or_else(|| rule.title.to_string());
    json!({
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": full_description },
        "help": {
            "text": format!("{} Run `rampart explain {}` for the rule's documentation.", rule.remediation, rule.id),
            "markdown": rule.documentation(),
        },
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(rule.severity),
            "precision": precision,
        },
    })
}

/// A custom policy's descriptor: its id and name from the policy, where it is defined, what
/// its findings suggest; its level from the severity of its findings (the annotation
/// `rampart.dev/severity` or its binding's validationActions decide it), when it has any.
fn policy_descriptor(policy: &PolicySummary, report: &Report) -> Value {
    let place = format!("{}, line {}", policy.source, policy.line);
    let how = if policy.assumed_binding {
        "evaluated as if bound with validationActions [Deny] (it has no binding)".to_string()
    } else if policy.bindings.is_empty() {
        "not evaluated: it has no binding".to_string()
    } else {
        format!("evaluated through its binding(s) {}", policy.bindings.join(", "))
    };
    let mut descriptor = json!({
        "id": policy.rule,
        "name": pascal_case(&format!("vap-{}", policy.name).replace('.', "-")),
        "shortDescription": { "text": format!("ValidatingAdmissionPolicy {}", policy.name) },
        "fullDescription": { "text": format!("The custom policy {} ({place}), {how}.", policy.name) },
        "help": { "text": REMEDIATION },
        "properties": { "tags": ["custom-policy", "kubernetes"], "precision": "high" },
    });
    if let Some(finding) = report.findings.iter().find(|finding| finding.rule == policy.rule) {
        descriptor["defaultConfiguration"] = json!({ "level": level(finding.severity) });
        descriptor["properties"]["security-severity"] = json!(security_severity(finding.severity));
    }
    descriptor
}

fn result(finding: &Finding, report: &Report, texts: &SourceTexts<'_>) -> Value {
    let rule_index = RULES.iter().position(|rule| rule.id == finding.rule).or_else(|| {
        let policies = &report.policies.policies;
        policies.iter().position(|policy| policy.rule == finding.rule).map(|index| RULES.len() + index)
    });
    let uri = artifact_uri(&finding.resource.source);
    let object = qualified_name(&finding.resource);
    let logical = if finding.path.is_empty() {
        json!({ "name": finding.resource.name, "fullyQualifiedName": object, "kind": "resource" })
    } else {
        json!({ "name": finding.path, "fullyQualifiedName": format!("{object}/{}", finding.path), "kind": "property" })
    };
    let mut result = json!({
        "ruleId": finding.rule,
        "level": level(finding.severity),
        "message": { "text": sentence(&finding.message) },
        "locations": [{
            "physicalLocation": physical_location(&uri, region(texts, &finding.resource.source, finding.line, finding.column, true)),
            "logicalLocations": [logical],
        }],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint(finding, &uri) },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if finding.exempted {
        result["suppressions"] = json!([{
            "kind": "inSource",
            "justification": finding.exemption_reason.as_deref().unwrap_or("exempted by annotation"),
        }]);
    }
    result
}

fn notification(error: &ParseError, texts: &SourceTexts<'_>) -> Value {
    json!({
        "level": "error",
        "message": { "text": sentence(&error.message) },
        "locations": [{
            "physicalLocation": physical_location(
                &artifact_uri(&error.source_name),
                region(texts, &error.source_name, error.line, error.column, false),
            ),
        }],
    })
}

fn physical_location(uri: &str, region: Value) -> Value {
    json!({ "artifactLocation": { "uri": uri }, "region": region })
}

/// The region of a position: its line and column, and when the source is known, the end
/// of the key or value token there (`endColumn` is exclusive) and the line as a snippet.
fn region(texts: &SourceTexts<'_>, source: &str, line: u32, column: u32, whole_token: bool) -> Value {
    let (line, column) = (line.max(1), column.max(1));
    let mut region = json!({ "startLine": line, "startColumn": column });
    if let Some(text) = texts.line(source, line) {
        let chars: Vec<char> = text.chars().collect();
        let start = column as usize - 1;
        if start < chars.len() {
            let length = if whole_token { token_length(&chars, start) } else { 1 };
            region["endColumn"] = json!(column as usize + length);
        }
        region["snippet"] = json!({ "text": text });
    }
    region
}

/// Source texts by name.
struct SourceTexts<'a> {
    texts: HashMap<&'a str, &'a str>,
}

impl<'a> SourceTexts<'a> {
    fn new(sources: &'a [Source]) -> Self {
        let mut texts = HashMap::new();
        for source in sources {
            texts.entry(source.name.as_str()).or_insert(source.text.as_str());
        }
        SourceTexts { texts }
    }

    fn line(&self, source: &str, line: u32) -> Option<&'a str> {
        self.texts.get(source).and_then(|text| source_line(text, line))
    }
}

/// A message as SARIF viewers expect it: a sentence ending with a period.
fn sentence(message: &str) -> String {
    let trimmed = message.trim_end();
    if trimmed.ends_with(['.', '!', '?']) {
        trimmed.to_string()
    } else {
        format!("{trimmed}.")
    }
}

/// `pss-privileged` → `PssPrivileged`: the "friendly name" SARIF asks rules to carry.
fn pascal_case(id: &str) -> String {
    id.split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// A source name as an artifact URI: relative paths stay relative (with `/` separators and
/// percent-encoding), absolute paths become `file:` URIs, and stdin (`-`) is `stdin`.
pub fn artifact_uri(source: &str) -> String {
    if source == "-" {
        return "stdin".to_string();
    }
    let mut path = source.replace('\\', "/");
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.to_string();
    }
    let bytes = path.as_bytes();
    let has_drive = bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if has_drive {
        return format!("file:///{}:{}", &path[..1], percent_encode(&path[2..]));
    }
    if path.starts_with('/') {
        return format!("file://{}", percent_encode(&path));
    }
    percent_encode(&path)
}

/// Percent-encodes everything but unreserved characters, `/` and the sub-delimiters that
/// are safe in a path. A `:` is encoded too, so `a:b.yaml` is not read as a URI scheme.
fn percent_encode(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte);
        if keep {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The stable identity of a finding (see the module documentation).
fn fingerprint(finding: &Finding, uri: &str) -> String {
    let resource = &finding.resource;
    let parts = [
        finding.rule.as_ref(),
        uri,
        resource.kind.as_str(),
        resource.namespace.as_deref().unwrap_or(""),
        resource.name.as_str(),
        finding.path.as_str(),
    ];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{check, Options};

    const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: dev
spec:
  containers:
  - name: shell
    image: busybox:1.36
    securityContext:
      privileged: true
";

    fn sarif_of(sources: &[Source]) -> Value {
        log(&check(sources, &Options::default()), sources)
    }

    fn privileged_result(log: &Value) -> &Value {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|result| result["ruleId"] == "pss-privileged")
            .unwrap()
    }

    #[test]
    fn header_and_driver() {
        let log = sarif_of(&[Source::new("pod.yaml", POD)]);
        assert_eq!(log["$schema"], SCHEMA_URI);
        assert_eq!(log["version"], "2.1.0");
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "rampart");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(driver["rules"].as_array().unwrap().len(), RULES.len());
        let index = RULES.iter().position(|rule| rule.id == "pss-privileged").unwrap();
        let rule = &driver["rules"][index];
        assert_eq!(rule["id"], "pss-privileged");
        assert_eq!(rule["name"], "PssPrivileged");
        assert_eq!(rule["shortDescription"]["text"], "Privileged container");
        assert!(rule["fullDescription"]["text"].as_str().unwrap().starts_with("Every container"));
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("## Why it matters"));
        assert_eq!(rule["defaultConfiguration"]["level"], "error");
        assert_eq!(rule["properties"]["security-severity"], "9.0");
        assert_eq!(rule["properties"]["tags"], json!(["pss", "security", "kubernetes", "pss-baseline"]));
        assert_eq!(rule["properties"]["precision"], "very-high");
        assert_eq!(log["runs"][0]["invocations"][0]["executionSuccessful"], true);
    }

    #[test]
    fn custom_policies_have_rule_descriptors_their_results_point_at() {
        let policy = include_str!("../../../examples/policies/replica-limit.yaml");
        let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 9\n";
        let sources = [Source::new("deploy.yaml", manifest)];
        let options = Options {
            policies: crate::policy::PolicyOptions {
                sources: vec![Source::new("policies/replica-limit.yaml", policy)],
                ..Default::default()
            },
            ..Options::default()
        };
        let log = log(&check(&sources, &options), &sources);
        let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), RULES.len() + 1);
        let descriptor = &rules[RULES.len()];
        assert_eq!(descriptor["id"], "vap/replica-limit");
        assert_eq!(descriptor["name"], "VapReplicaLimit");
        assert_eq!(descriptor["shortDescription"]["text"], "ValidatingAdmissionPolicy replica-limit");
        let full = descriptor["fullDescription"]["text"].as_str().unwrap();
        assert!(
            full.contains("policies/replica-limit.yaml, line ") && full.contains("binding(s) replica-limit"),
            "{full}"
        );
        assert_eq!(descriptor["help"]["text"], REMEDIATION);
        assert_eq!(descriptor["defaultConfiguration"]["level"], "error");
        assert_eq!(descriptor["properties"]["security-severity"], "7.0");
        let result = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|result| result["ruleId"] == "vap/replica-limit")
            .unwrap();
        assert_eq!(result["ruleIndex"], RULES.len());
        assert_eq!(result["message"]["text"], "replicas must be at most 5, not 9.");
    }

    #[test]
    fn results_carry_level_location_and_fingerprint() {
        let log = sarif_of(&[Source::new("./k8s/my pod.yaml", POD)]);
        let result = privileged_result(&log);
        let index = RULES.iter().position(|rule| rule.id == "pss-privileged").unwrap();
        assert_eq!(result["ruleIndex"], index);
        assert_eq!(result["level"], "error");
        assert_eq!(result["message"]["text"], "container \"shell\" runs privileged.");
        let location = &result["locations"][0];
        assert_eq!(
            location["physicalLocation"],
            json!({
                "artifactLocation": { "uri": "k8s/my%20pod.yaml" },
                "region": { "startLine": 11, "startColumn": 7, "endColumn": 17, "snippet": { "text": "      privileged: true" } },
            })
        );
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            "Pod/dev/debug/spec.containers[0].securityContext.privileged"
        );
        let fingerprint = result["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap();
        assert_eq!(fingerprint.len(), 16);
        // The fingerprint does not depend on the line.
        let moved = sarif_of(&[Source::new("./k8s/my pod.yaml", format!("# a comment\n\n{POD}"))]);
        assert_eq!(privileged_result(&moved)["partialFingerprints"][FINGERPRINT_KEY], fingerprint);
        assert_eq!(privileged_result(&moved)["locations"][0]["physicalLocation"]["region"]["startLine"], 13);
        assert!(result.get("suppressions").is_none());
    }

    #[test]
    fn exempted_findings_are_suppressed_in_source() {
        let exempted = POD.replace(
            "  namespace: dev\n",
            "  namespace: dev\n  annotations:\n    rampart.dev/ignore: pss-privileged\n",
        );
        let log = sarif_of(&[Source::new("pod.yaml", exempted)]);
        let suppression = &privileged_result(&log)["suppressions"][0];
        assert_eq!(suppression["kind"], "inSource");
        assert!(suppression["justification"].as_str().unwrap().contains("rampart.dev/ignore"));
    }

    #[test]
    fn parse_errors_are_notifications() {
        let log = sarif_of(&[Source::new("-", "a: [1, 2\nb: 3\n")]);
        let invocation = &log["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        let notification = &invocation["toolExecutionNotifications"][0];
        assert_eq!(notification["level"], "error");
        assert_eq!(notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "stdin");
        assert!(notification["message"]["text"].as_str().unwrap().ends_with('.'));
    }

    #[test]
    fn levels_and_security_severities() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        let scores: Vec<_> = Severity::ALL.into_iter().map(security_severity).collect();
        assert_eq!(scores, ["9.0", "7.0", "5.0", "3.0", "1.0"]);
    }

    #[test]
    fn uris() {
        assert_eq!(artifact_uri("-"), "stdin");
        assert_eq!(artifact_uri("deploy.yaml"), "deploy.yaml");
        assert_eq!(artifact_uri("./k8s/./a b.yaml"), "k8s/./a%20b.yaml");
        assert_eq!(artifact_uri("k8s\\prod\\web.yaml"), "k8s/prod/web.yaml");
        assert_eq!(artifact_uri("/srv/k8s/web#1.yaml"), "file:///srv/k8s/web%231.yaml");
        assert_eq!(artifact_uri("C:\\k8s\\web.yaml"), "file:///C:/k8s/web.yaml");
        assert_eq!(artifact_uri("a:b/ü.yaml"), "a%3Ab/%C3%BC.yaml");
        assert_eq!(artifact_uri("100%.yaml"), "100%25.yaml");
    }

    #[test]
    fn names_and_sentences() {
        assert_eq!(pascal_case("pss-privileged"), "PssPrivileged");
        assert_eq!(pascal_case("read-only-root-filesystem"), "ReadOnlyRootFilesystem");
        assert_eq!(sentence("runs privileged"), "runs privileged.");
        assert_eq!(sentence("done."), "done.");
    }
}
