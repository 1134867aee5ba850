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

    /// Whether the label `key` reads as `value` does (`label(key) == value.as_text()`: both
    /// absent counts as equal). Selectors ask this of every pod template for every policy
    /// and Service; strings are compared where they are, not copied.
    fn label_reads_as(&self, key: &str, value: &Node) -> bool {
        match (self.label_str(key), value.as_str()) {
            (Some(Some(label)), Some(value)) => label == value,
            _ => self.label(key) == value.as_text(),
        }
    }

    /// The label's text where it is kept as a string already (`Some(None)` when it is
    /// absent); `None` when only [`Labels::label`] can tell.
    fn label_str(&self, _key: &str) -> Option<Option<&str>> {
        None
    }
}

/// A mapping node (or null, for no labels).
impl Labels for Node {
    fn label(&self, key: &str) -> Option<String> {
        self.get(key).and_then(Node::as_text)
    }

    fn label_str(&self, key: &str) -> Option<Option<&str>> {
        match self.get(key) {
            None => Some(None),
            Some(node) => node.as_str().map(Some),
        }
    }
}

/// Whether `selector` selects an object carrying `labels` (a mapping node or null, or
/// another set of labels).
pub fn matches<L: Labels + ?Sized>(selector: &Node, labels: &L) -> bool {
    let label = |key: &str| labels.label(key);
    for entry in selector.field("matchLabels").entries() {
        if !labels.label_reads_as(&entry.key, &entry.value) {
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
    fn a_label_reads_as_a_value_exactly_when_their_texts_are_equal() {
        let labels = node("a: x\nb: 5\nc: true\nd: '5'\ne: null\nf: [1]\n");
        let values = node("- x\n- 5\n- '5'\n- true\n- 'true'\n- null\n- y\n- {k: v}\n");
        let set = crate::index::LabelSet::of(&labels);
        for key in ["a", "b", "c", "d", "e", "f", "missing"] {
            for value in values.items() {
                let expected = labels.label(key) == value.as_text();
                assert_eq!(labels.label_reads_as(key, value), expected, "{key} {value:?}");
                assert_eq!(set.label_reads_as(key, value), set.label(key) == value.as_text(), "{key} {value:?}");
            }
        }
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
