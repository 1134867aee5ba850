//! Kubernetes label selectors, exactly as the API server evaluates them.
//!
//! `matchLabels` and `matchExpressions` are ANDed; an empty selector (`{}`) selects
//! everything, while an absent one is the caller's decision (a NetworkPolicy's
//! `podSelector` is required; a missing `namespaceSelector` means "this namespace").
//! An operator this code does not know (or a malformed expression) selects nothing, as
//! the API server would refuse such an object.

use crate::tree::Node;

/// An object's labels, as a selector reads them: the value of a key, as text.
pub trait Labels {
    fn label(&self, key: &str) -> Option<String>;
}

/// A mapping node (or null, for no labels).
impl Labels for Node {
    fn label(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Node::as_text)
    }
}

/// Whether `selector` selects an object carrying `labels` (a mapping node or null, or
/// another set of labels).
pub fn matches<L: Labels + ?Sized>(selector: &Node, labels: &L) -> bool {
    let label = |key: &str| labels.label(key);
    for entry in selector.field("matchLabels").entries() {
        if label(&entry.key) != entry.value.as_text() {
            return false;
        }
    }
    for expression in selector.field("matchExpressions").items() {
        let Some(key) = expression.field("key").as_str() else { return false };
        let values: Vec<String> = expression.field("values").items().iter().filter_map(Node::as_text).collect();
        let present = label(key);
        let selected = match expression.field("operator").as_str() {
            Some("In") => present.is_some_and(|value| values.contains(&value)),
            Some("NotIn") => present.is_none_or(|value| !values.contains(&value)),
            Some("Exists") => present.is_some(),
            Some("DoesNotExist") => present.is_none(),
            _ => false,
        };
        if !selected {
            return false;
        }
    }
    true
}

/// Whether a selector is empty (`{}` or only empty lists): it selects everything.
pub fn is_empty(selector: &Node) -> bool {
    selector.field("matchLabels").entries().is_empty() && selector.field("matchExpressions").items().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_source, Limits, Source};

    fn node(text: &str) -> Node {
        parse_source(&Source::new("t", text), &Limits::default()).0.remove(0).root
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let labels = node("app: web\ntier: front\n");
        assert!(matches(&node("{}"), &labels));
        assert!(matches(&node("matchLabels: {app: web}"), &labels));
        assert!(!matches(&node("matchLabels: {app: api}"), &labels));
        let expression = |operator: &str, values: &str| {
            node(&format!("matchExpressions: [{{key: tier, operator: {operator}, values: [{values}]}}]"))
        };
        assert!(matches(&expression("In", "front, back"), &labels));
        assert!(!matches(&expression("In", "back"), &labels));
        assert!(matches(&expression("NotIn", "back"), &labels));
        assert!(!matches(&expression("NotIn", "front"), &labels));
        assert!(matches(&expression("Exists", ""), &labels));
        assert!(!matches(&expression("DoesNotExist", ""), &labels));
        assert!(!matches(&expression("Sideways", "front"), &labels));
        // NotIn and DoesNotExist select objects without the label at all.
        let bare = node("app: web\n");
        assert!(matches(&expression("NotIn", "front"), &bare));
        assert!(matches(&expression("DoesNotExist", ""), &bare));
        assert!(!matches(&node("matchLabels: {app: web}\nmatchExpressions: [{key: tier, operator: Exists}]"), &bare));
        assert!(is_empty(&node("{matchLabels: {}}")));
    }
}
