//! Routing by namespace: a subscription or a webhook may hear only of some namespaces, named
//! in a list or chosen by their labels (`owner=payments`), so that each namespace's owners
//! get the digests and alerts of their own namespaces.
//!
//! A label selector is matched against the labels each cluster's namespaces carried at the
//! latest scan that listed them (`namespace_labels`, written by [`Store::record_namespace_labels`]).
//! The syntax is kubectl's `-l`: requirements joined by commas, all of which must hold —
//! `key=value` (or `==`), `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key` (present),
//! `!key` (absent).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::{on_pool, Store};

/// The most namespaces a list names.
pub const MAX_NAMESPACES: usize = 100;
/// The longest selector accepted, in bytes.
const MAX_SELECTOR: usize = 1000;
/// The most namespaces of a cluster whose labels are kept.
pub const MAX_LABELLED_NAMESPACES: usize = 10_000;

/// Which namespaces a subscription or webhook hears of.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum NamespaceRoute {
    /// Every namespace (and cluster-scoped objects).
    #[default]
    All,
    /// These namespaces.
    Names(Vec<String>),
    /// The namespaces whose labels match.
    Selector(LabelSelector),
}

impl NamespaceRoute {
    /// The route of the stored columns (`namespaces`: a JSON list; `namespace_selector`).
    pub fn from_columns(namespaces: Option<&str>, selector: Option<&str>) -> NamespaceRoute {
        if let Some(selector) = selector.and_then(|text| text.parse::<LabelSelector>().ok()) {
            return NamespaceRoute::Selector(selector);
        }
        match namespaces.and_then(|text| serde_json::from_str::<Vec<String>>(text).ok()) {
            Some(names) => NamespaceRoute::Names(names),
            None => NamespaceRoute::All,
        }
    }

    /// The columns that store the route: `(namespaces, namespace_selector)`.
    pub fn to_columns(&self) -> (Option<String>, Option<String>) {
        match self {
            NamespaceRoute::All => (None, None),
            NamespaceRoute::Names(names) => (serde_json::to_string(names).ok(), None),
            NamespaceRoute::Selector(selector) => (None, Some(selector.to_string())),
        }
    }

    /// The route a request asks for: a list of namespace names, or a selector, or neither.
    /// The error says what is expected.
    pub fn parse(namespaces: Option<&[String]>, selector: Option<&str>) -> Result<NamespaceRoute, String> {
        match (namespaces, selector.map(str::trim).filter(|text| !text.is_empty())) {
            (Some(_), Some(_)) => {
                Err("give either \"namespaces\" (a list) or \"namespace_selector\" (labels), not both".to_string())
            }
            (None, None) => Ok(NamespaceRoute::All),
            (None, Some(selector)) => Ok(NamespaceRoute::Selector(selector.parse()?)),
            (Some(names), None) => {
                if names.is_empty() || names.len() > MAX_NAMESPACES {
                    return Err(format!(
                        "\"namespaces\" lists 1 to {MAX_NAMESPACES} namespace names; leave it out for every namespace"
                    ));
                }
                let mut cleaned: Vec<String> = Vec::with_capacity(names.len());
                for name in names {
                    let name = name.trim();
                    if !is_dns_label(name) {
                        return Err(format!(
                            "'{}' is not a namespace name: lowercase letters, digits and '-', at most 63",
                            name.chars().take(80).collect::<String>()
                        ));
                    }
                    if !cleaned.iter().any(|known| known == name) {
                        cleaned.push(name.to_string());
                    }
                }
                cleaned.sort();
                Ok(NamespaceRoute::Names(cleaned))
            }
        }
    }

    /// The route as the API shows it: `(namespaces, namespace_selector)`, at most one of them
    /// set (neither: every namespace).
    pub fn to_api(&self) -> (Option<Vec<String>>, Option<String>) {
        match self {
            NamespaceRoute::All => (None, None),
            NamespaceRoute::Names(names) => (Some(names.clone()), None),
            NamespaceRoute::Selector(selector) => (None, Some(selector.to_string())),
        }
    }
}

/// A namespace name (an RFC 1123 label).
fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// A label key (`prefix/name`) or value, as far as a selector needs: no spaces or syntax.
fn is_label_text(text: &str, max: usize) -> bool {
    text.len() <= max
        && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'/'))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A label selector in kubectl's `-l` syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Whether a namespace carrying `labels` is selected.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|requirement| match requirement {
            Requirement::Equals(key, value) => labels.get(key) == Some(value),
            Requirement::NotEquals(key, value) => labels.get(key) != Some(value),
            Requirement::In(key, values) => labels.get(key).is_some_and(|value| values.contains(value)),
            Requirement::NotIn(key, values) => labels.get(key).is_none_or(|value| !values.contains(value)),
            Requirement::Exists(key) => labels.contains_key(key),
            Requirement::NotExists(key) => !labels.contains_key(key),
        })
    }
}

/// Splits at commas outside parentheses.
fn split_requirements(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

impl FromStr for LabelSelector {
    type Err = String;

    fn from_str(text: &str) -> Result<LabelSelector, String> {
        let expected = "write a label selector as kubectl -l takes it: owner=payments, tier!=test, \
                        env in (prod,staging), team (has the label) or !legacy (has not)";
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_SELECTOR {
            return Err(format!("the namespace selector is 1 to {MAX_SELECTOR} characters: {expected}"));
        }
        let key = |key: &str| -> Result<String, String> {
            let key = key.trim();
            if key.is_empty() || !is_label_text(key, 317) {
                return Err(format!("'{key}' is not a label key: {expected}"));
            }
            Ok(key.to_string())
        };
        let value = |value: &str| -> Result<String, String> {
            let value = value.trim();
            if !is_label_text(value, 63) || value.contains('/') {
                return Err(format!("'{value}' is not a label value: {expected}"));
            }
            Ok(value.to_string())
        };
        let set = |list: &str| -> Result<Vec<String>, String> {
            let inner = list
                .trim()
                .strip_prefix('(')
                .and_then(|rest| rest.strip_suffix(')'))
                .ok_or_else(|| format!("'{list}' is not a list of values in parentheses: {expected}"))?;
            inner.split(',').map(value).collect()
        };
        let mut requirements = Vec::new();
        for part in split_requirements(text) {
            let part = part.trim();
            let requirement = if let Some((left, right)) = part.split_once("!=") {
                Requirement::NotEquals(key(left)?, value(right)?)
            } else if let Some((left, right)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Equals(key(left)?, value(right)?)
            } else if let Some((left, right)) = part.split_once(" notin ") {
                Requirement::NotIn(key(left)?, set(right)?)
            } else if let Some((left, right)) = part.split_once(" in ") {
                Requirement::In(key(left)?, set(right)?)
            } else if let Some(rest) = part.strip_prefix('!') {
                Requirement::NotExists(key(rest)?)
            } else {
                Requirement::Exists(key(part)?)
            };
            requirements.push(requirement);
        }
        Ok(LabelSelector { requirements })
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .requirements
            .iter()
            .map(|requirement| match requirement {
                Requirement::Equals(key, value) => format!("{key}={value}"),
                Requirement::NotEquals(key, value) => format!("{key}!={value}"),
                Requirement::In(key, values) => format!("{key} in ({})", values.join(",")),
                Requirement::NotIn(key, values) => format!("{key} notin ({})", values.join(",")),
                Requirement::Exists(key) => key.clone(),
                Requirement::NotExists(key) => format!("!{key}"),
            })
            .collect();
        formatter.write_str(&parts.join(","))
    }
}

impl Store {
    /// Records the labels of a cluster's namespaces as a scan saw them (`labels`: a JSON
    /// object per namespace). Namespaces no longer seen keep their last labels: they have no
    /// open findings to route. A namespace whose labels did not change is not written, so
    /// an unchanged rescan writes no row here (`scan_id` is the scan that stored its labels).
    pub async fn record_namespace_labels(
        &self,
        cluster_id: i64,
        scan_id: i64,
        namespaces: &[(String, String)],
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for (namespace, labels) in namespaces.iter().take(MAX_LABELLED_NAMESPACES) {
                sqlx::query(
                    "INSERT INTO namespace_labels (cluster_id, namespace, labels, scan_id) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (cluster_id, namespace) DO UPDATE SET labels = $3, scan_id = $4 \
                     WHERE namespace_labels.labels <> $3",
                )
                .bind(cluster_id)
                .bind(namespace)
                .bind(labels)
                .bind(scan_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })
    }

    /// The namespaces of a cluster a route lets through; `None` for every namespace.
    pub async fn routed_namespaces(
        &self,
        cluster_id: i64,
        route: &NamespaceRoute,
    ) -> Result<Option<Vec<String>>, sqlx::Error> {
        match route {
            NamespaceRoute::All => Ok(None),
            NamespaceRoute::Names(names) => Ok(Some(names.clone())),
            NamespaceRoute::Selector(selector) => {
                let rows = on_pool!(self, |pool| {
                    sqlx::query_as::<_, (String, String)>(
                        "SELECT namespace, labels FROM namespace_labels WHERE cluster_id = $1 ORDER BY namespace",
                    )
                    .bind(cluster_id)
                    .fetch_all(pool)
                    .await
                })?;
                Ok(Some(
                    rows.into_iter()
                        .filter(|(_, labels)| selector.matches(&label_map(labels)))
                        .map(|(namespace, _)| namespace)
                        .collect(),
                ))
            }
        }
    }
}

/// Stored labels (a JSON object) as text: a value YAML read as a number or a boolean is
/// compared as the text it was written as.
fn label_map(json: &str) -> BTreeMap<String, String> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    object
        .into_iter()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            (key, text)
        })
        .collect()
}

/// The SQL condition that keeps the findings of `namespaces` (a Namespace object counts as
/// in itself), with its parameters numbered from `first`; `None` adds no condition. An
/// empty list keeps nothing.
pub fn namespace_condition(namespaces: Option<&[String]>, first: usize) -> String {
    match namespaces {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_string(),
        Some(names) => {
            let placeholders: Vec<String> = (0..names.len()).map(|index| format!("${}", first + index)).collect();
            let list = placeholders.join(", ");
            format!(" AND (namespace IN ({list}) OR (kind = 'Namespace' AND namespace = '' AND name IN ({list})))")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
    }

    #[test]
    fn selectors_parse_and_match_as_kubectl_does() {
        let selector: LabelSelector = "owner=payments, tier!=test,env in (prod, staging),team,!legacy".parse().unwrap();
        assert_eq!(selector.to_string(), "owner=payments,tier!=test,env in (prod,staging),team,!legacy");
        assert_eq!(selector.to_string().parse::<LabelSelector>().unwrap(), selector);
        let good = labels(&[("owner", "payments"), ("env", "prod"), ("team", "")]);
        assert!(selector.matches(&good));
        let mut other = good.clone();
        other.insert("owner".into(), "search".into());
        assert!(!selector.matches(&other));
        let mut legacy = good.clone();
        legacy.insert("legacy".into(), "yes".into());
        assert!(!selector.matches(&legacy));
        let mut test = good.clone();
        test.insert("tier".into(), "test".into());
        assert!(!selector.matches(&test));
        assert!(!selector.matches(&labels(&[("owner", "payments"), ("team", "a")])), "env is required");
        let not_in: LabelSelector = "env notin (dev)".parse().unwrap();
        assert!(not_in.matches(&labels(&[])) && !not_in.matches(&labels(&[("env", "dev")])));
        assert!("example.com/owner==a"
            .parse::<LabelSelector>()
            .unwrap()
            .matches(&labels(&[("example.com/owner", "a")])));
    }

    #[test]
    fn bad_selectors_and_names_say_what_is_expected() {
        for bad in ["", "owner=pay ments", "a in b", "a in (b", "=x", "a=b/c", &"k".repeat(2000)] {
            let error = bad.parse::<LabelSelector>().unwrap_err();
            assert!(error.contains("kubectl -l"), "{bad}: {error}");
        }
        let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect::<Vec<_>>();
        assert_eq!(
            NamespaceRoute::parse(Some(&names(&["prod", "dev", "prod"])), None).unwrap(),
            NamespaceRoute::Names(names(&["dev", "prod"]))
        );
        assert!(NamespaceRoute::parse(Some(&names(&["Prod"])), None).unwrap_err().contains("namespace name"));
        assert!(NamespaceRoute::parse(Some(&[]), None).unwrap_err().contains("1 to 100"));
        assert!(NamespaceRoute::parse(Some(&names(&["a"])), Some("b=c")).unwrap_err().contains("not both"));
        assert_eq!(NamespaceRoute::parse(None, Some("  ")).unwrap(), NamespaceRoute::All);
        let route = NamespaceRoute::parse(None, Some("owner=a")).unwrap();
        let (namespaces, selector) = route.to_columns();
        assert_eq!(NamespaceRoute::from_columns(namespaces.as_deref(), selector.as_deref()), route);
    }

    #[test]
    fn the_condition_keeps_the_listed_namespaces_only() {
        assert_eq!(namespace_condition(None, 3), "");
        assert_eq!(namespace_condition(Some(&[]), 3), " AND 1 = 0");
        let names = ["a".to_string(), "b".to_string()];
        assert_eq!(
            namespace_condition(Some(&names), 3),
            " AND (namespace IN ($3, $4) OR (kind = 'Namespace' AND namespace = '' AND name IN ($3, $4)))"
        );
    }
}
