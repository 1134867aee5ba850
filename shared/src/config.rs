//! The `rampart.yaml` configuration: which rules run, at which severity, and the
//! organisation's own settings (registry allow-list, required labels, excluded namespaces).
//!
//! ```yaml
//! disable: [image-not-pinned-by-digest]
//! severity:
//!   cpu-limit-missing: info
//! allowedRegistries: [registry.company.com, ghcr.io/company]
//! requiredLabels: [app, environment, owner]
//! excludedNamespaces: [kube-system]
//! pssVersion: v1.37
//! kubeVersion: v1.33       # the Kubernetes version manifests are meant for (API versions)
//! policies: [policies/]    # custom policies (ValidatingAdmissionPolicy files or directories)
//! ```
//!
//! Unknown keys and unknown rule ids are errors, so a typo never silently disables nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::parse::{parse_source, Limits, ParseError, Source};
use crate::rules::{self, Severity};
use crate::tree::Node;

/// The labels `required-labels-missing` asks for when the configuration names none.
pub const DEFAULT_REQUIRED_LABELS: [&str; 3] = ["app", "environment", "owner"];

/// The newest Kubernetes minor version Rampart knows (the target when none is given).
pub const NEWEST_KUBE_MINOR: u32 = crate::pss::NEWEST_MINOR;

/// Reads a Kubernetes version, `v1.N` (or `1.N`, with an optional patch: `v1.29.3`) or
/// `latest`, into its minor number.
pub fn parse_kube_version(text: &str) -> Result<u32, String> {
    if text == "latest" {
        return Ok(NEWEST_KUBE_MINOR);
    }
    let rest = text.strip_prefix('v').unwrap_or(text);
    let minor = rest
        .strip_prefix("1.")
        .map(|rest| rest.split_once('.').map_or(rest, |(minor, _patch)| minor))
        .filter(|digits| !digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u32>().ok())
        .ok_or_else(|| {
            format!("invalid Kubernetes version '{text}': expected v1.N (such as v1.{NEWEST_KUBE_MINOR}) or latest")
        })?;
    Ok(minor)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Rules that do not run at all.
    pub disable: Vec<String>,
    /// Severity overrides by rule id.
    pub severity: BTreeMap<String, Severity>,
    /// Registries images may come from (`registry.company.com`, or a prefix such as
    /// `ghcr.io/company`); empty means no allow-list.
    pub allowed_registries: Vec<String>,
    pub required_labels: Vec<String>,
    /// Namespaces whose objects are not checked.
    pub excluded_namespaces: Vec<String>,
    /// Pod Security Standards version (`v1.N` or `latest`), when the config pins one.
    pub pss_version: Option<String>,
    /// The Kubernetes version the manifests are meant for (`v1.N` or `latest`), when the
    /// config pins one: which API versions are deprecated or removed, which fields exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// RBAC subjects allowed to hold cluster-admin (`Group:kubeadm:cluster-admins`,
    /// `User:alice@example.com`, `ServiceAccount:argocd/argocd-application-controller`).
    pub trusted_subjects: Vec<String>,
    /// Judge system namespaces and built-in `system:` RBAC objects too (left out by default).
    pub include_system_objects: bool,
    /// Files or directories of custom policies (ValidatingAdmissionPolicy objects with
    /// their bindings and params), relative to the configuration file; the host reads them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            disable: Vec::new(),
            severity: BTreeMap::new(),
            allowed_registries: Vec::new(),
            required_labels: DEFAULT_REQUIRED_LABELS.iter().map(|label| label.to_string()).collect(),
            excluded_namespaces: Vec::new(),
            pss_version: None,
            kube_version: None,
            trusted_subjects: Vec::new(),
            include_system_objects: false,
            policies: Vec::new(),
        }
    }
}

impl Config {
    /// Reads a configuration file's text; `name` is used in error messages.
    pub fn parse(name: &str, text: &str) -> Result<Config, ParseError> {
        let (documents, mut errors) = parse_source(&Source::new(name, text), &Limits::default());
        if let Some(error) = errors.drain(..).next() {
            return Err(error);
        }
        let mut config = Config::default();
        let Some(document) = documents.into_iter().next() else { return Ok(config) };
        let root = document.root;
        let error = |node: &Node, message: String| ParseError {
            source_name: name.to_string(),
            line: node.span.line,
            column: node.span.column,
            message,
        };
        if !root.is_map() {
            return Err(error(&root, "the configuration must be a mapping of settings".to_string()));
        }
        for entry in root.entries() {
            let value = &entry.value;
            match entry.key.as_str() {
                "disable" => {
                    config.disable = strings(value).map_err(|message| error(value, message))?;
                    for (id, item) in config.disable.iter().zip(value.items()) {
                        known_rule(id).map_err(|message| error(item, message))?;
                    }
                }
                "severity" => {
                    for item in value.entries() {
                        known_rule(&item.key).map_err(|message| error(&item.value, message))?;
                        let severity = item.value.as_str().and_then(Severity::parse).ok_or_else(|| {
                            error(&item.value, "severity must be one of critical, high, medium, low, info".to_string())
                        })?;
                        config.severity.insert(item.key.to_string(), severity);
                    }
                }
                "allowedRegistries" => {
                    config.allowed_registries = strings(value).map_err(|message| error(value, message))?
                }
                "requiredLabels" => config.required_labels = strings(value).map_err(|message| error(value, message))?,
                "excludedNamespaces" => {
                    config.excluded_namespaces = strings(value).map_err(|message| error(value, message))?
                }
                "trustedSubjects" => {
                    config.trusted_subjects = strings(value).map_err(|message| error(value, message))?;
                    for (subject, item) in config.trusted_subjects.iter().zip(value.items()) {
                        let kind = subject.split_once(':').map(|(kind, _)| kind);
                        if !matches!(kind, Some("User" | "Group" | "ServiceAccount")) {
                            return Err(error(
                                item,
                                format!("trusted subject '{subject}' must be written Kind:name (User:…, Group:…, or ServiceAccount:namespace/name)"),
                            ));
                        }
                    }
                }
                "includeSystemObjects" => {
                    config.include_system_objects = value
                        .as_bool()
                        .ok_or_else(|| error(value, "includeSystemObjects must be true or false".to_string()))?
                }
                "policies" => config.policies = strings(value).map_err(|message| error(value, message))?,
                "pssVersion" => {
                    let text = value.as_text().unwrap_or_default();
                    crate::pss::parse_version(&text).map_err(|message| error(value, message))?;
                    config.pss_version = Some(text);
                }
                "kubeVersion" => {
                    let text = value.as_text().unwrap_or_default();
                    parse_kube_version(&text).map_err(|message| error(value, message))?;
                    config.kube_version = Some(text);
                }
                other => {
                    let span = entry.key_span;
                    return Err(ParseError {
                        source_name: name.to_string(),
                        line: span.line,
                        column: span.column,
                        message: format!(
                            "unknown setting '{other}'; known settings: disable, severity, allowedRegistries, requiredLabels, excludedNamespaces, trustedSubjects, includeSystemObjects, pssVersion, kubeVersion, policies"
                        ),
                    });
                }
            }
        }
        Ok(config)
    }

    /// The configuration in the file format, every setting written out (defaults too).
    pub fn to_yaml(&self) -> String {
        let list =
            |items: &[String]| format!("[{}]", items.iter().map(|item| quote(item)).collect::<Vec<_>>().join(", "));
        let mut text = format!("disable: {}\n", list(&self.disable));
        if self.severity.is_empty() {
            text.push_str("severity: {}\n");
        } else {
            text.push_str("severity:\n");
            for (id, severity) in &self.severity {
                text.push_str(&format!("  {id}: {severity}\n"));
            }
        }
        text.push_str(&format!("allowedRegistries: {}\n", list(&self.allowed_registries)));
        text.push_str(&format!("requiredLabels: {}\n", list(&self.required_labels)));
        text.push_str(&format!("excludedNamespaces: {}\n", list(&self.excluded_namespaces)));
        text.push_str(&format!("trustedSubjects: {}\n", list(&self.trusted_subjects)));
        text.push_str(&format!("includeSystemObjects: {}\n", self.include_system_objects));
        text.push_str(&format!("pssVersion: {}\n", self.pss_version.as_deref().unwrap_or("latest")));
        if let Some(version) = &self.kube_version {
            text.push_str(&format!("kubeVersion: {version}\n"));
        }
        if !self.policies.is_empty() {
            text.push_str(&format!("policies: {}\n", list(&self.policies)));
        }
        text
    }

    /// Whether an RBAC subject (`Group`, `system:masters`) is trusted with cluster-admin.
    pub fn is_trusted_subject(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        let written = match namespace {
            Some(namespace) if kind == "ServiceAccount" => format!("{kind}:{namespace}/{name}"),
            _ => format!("{kind}:{name}"),
        };
        self.trusted_subjects.contains(&written)
    }

    /// Whether rules about namespaces and RBAC leave out this namespace (a system one,
    /// unless the configuration includes them).
    pub fn leaves_out_namespace(&self, namespace: &str) -> bool {
        !self.include_system_objects && crate::index::is_system_namespace(namespace)
    }

    /// The target Kubernetes version as the minor of `v1.N`: the configured one, else the
    /// newest.
    pub fn kube_minor(&self) -> u32 {
        self.kube_version.as_deref().and_then(|text| parse_kube_version(text).ok()).unwrap_or(NEWEST_KUBE_MINOR)
    }

    pub fn is_disabled(&self, rule_id: &str) -> bool {
        self.disable.iter().any(|id| id == rule_id)
    }

    pub fn severity_of(&self, rule: &rules::Rule) -> Severity {
        self.severity.get(rule.id).copied().unwrap_or(rule.severity)
    }
}

/// Quotes a string for YAML when it would otherwise read as something else.
fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|character| character.is_ascii_alphanumeric() || "-_./:".contains(character))
        && !text.starts_with(['-', ':', '.'])
        && text.parse::<f64>().is_err()
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        text.to_string()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn strings(node: &Node) -> Result<Vec<String>, String> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err("expected a list of strings".to_string());
    }
    node.items().iter().map(|item| item.as_text().ok_or_else(|| "expected a list of strings".to_string())).collect()
}

/// `Ok` for the id of a registered rule, else a message naming it, with a suggestion when
/// a rule's id resembles it.
pub fn known_rule(id: &str) -> Result<(), String> {
    // A custom policy's rule: its name is the policy's, which the configuration cannot know.
    if rules::find(id).is_some() || id.strip_prefix(crate::policy::RULE_PREFIX).is_some_and(|name| !name.is_empty()) {
        return Ok(());
    }
    let suggestion = rules::RULES
        .iter()
        .map(|rule| rule.id)
        .find(|candidate| candidate.contains(id) || id.contains(candidate))
        .map(|candidate| format!(" (did you mean '{candidate}'?)"))
        .unwrap_or_default();
    Err(format!("unknown rule '{id}'{suggestion}; `rampart rules` lists them"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_setting() {
        let config = Config::parse(
            "rampart.yaml",
            "disable: [cpu-limit-missing]\nseverity:\n  image-tag-latest: high\nallowedRegistries: [ghcr.io/acme]\nrequiredLabels: [team]\nexcludedNamespaces: [kube-system]\npssVersion: v1.30\ntrustedSubjects: ['Group:kubeadm:cluster-admins', 'ServiceAccount:argocd/controller']\nincludeSystemObjects: yes\n",
        )
        .unwrap();
        assert!(config.is_disabled("cpu-limit-missing"));
        assert_eq!(config.severity["image-tag-latest"], Severity::High);
        assert_eq!(config.allowed_registries, ["ghcr.io/acme"]);
        assert_eq!(config.required_labels, ["team"]);
        assert_eq!(config.excluded_namespaces, ["kube-system"]);
        assert_eq!(config.pss_version.as_deref(), Some("v1.30"));
        assert!(config.is_trusted_subject("Group", None, "kubeadm:cluster-admins"));
        assert!(config.is_trusted_subject("ServiceAccount", Some("argocd"), "controller"));
        assert!(!config.is_trusted_subject("User", None, "kubeadm:cluster-admins"));
        assert!(config.include_system_objects);
        assert_eq!(parse_kube_version("v1.24"), Ok(24));
        assert_eq!(parse_kube_version("1.29.3"), Ok(29));
        assert_eq!(parse_kube_version("latest"), Ok(NEWEST_KUBE_MINOR));
        assert!(parse_kube_version("v2.1").unwrap_err().contains("expected v1.N"));
        assert!(parse_kube_version("v1.").is_err());
        assert_eq!(Config::parse("rampart.yaml", "kubeVersion: v1.24\n").unwrap().kube_minor(), 24);
        assert_eq!(Config::default().kube_minor(), NEWEST_KUBE_MINOR);
        assert!(Config::parse("rampart.yaml", "kubeVersion: one\n").is_err());
        assert!(!config.leaves_out_namespace("kube-system"));
        let error = Config::parse("rampart.yaml", "trustedSubjects: [alice]\n").unwrap_err();
        assert!(error.message.contains("Kind:name"), "{}", error.message);
    }

    #[test]
    fn the_printed_configuration_reads_back_the_same() {
        let config = Config::parse(
            "rampart.yaml",
            "disable: [cpu-limit-missing]\nseverity: {image-tag-latest: high}\nallowedRegistries: [ghcr.io/acme, 'yes']\n",
        )
        .unwrap();
        let text = config.to_yaml();
        assert!(text.contains("requiredLabels: [app, environment, owner]\n"), "{text}");
        let mut expected = config.clone();
        expected.pss_version = Some("latest".to_string());
        assert_eq!(Config::parse("printed.yaml", &text).unwrap(), expected);
    }

    #[test]
    fn typos_are_errors_with_positions() {
        let error = Config::parse("rampart.yaml", "disable: [cpu-limit]\n").unwrap_err();
        assert_eq!((error.line, error.column), (1, 11));
        assert!(error.message.contains("did you mean 'cpu-limit-missing'"), "{}", error.message);
        let error = Config::parse("rampart.yaml", "severity:\n  image-tag-latest: urgent\n").unwrap_err();
        assert_eq!(error.line, 2);
        let error = Config::parse("rampart.yaml", "disabled: []\n").unwrap_err();
        assert!(error.message.contains("unknown setting 'disabled'"));
    }
}
