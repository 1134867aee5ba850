//! An index of the whole input, so a rule can look past its own object: a pod's
//! ServiceAccount, an object's Namespace.

use std::collections::HashMap;

use crate::object::Object;
use crate::tree::Node;

/// Lookups across every object of one check.
#[derive(Debug, Default)]
pub struct Index {
    /// `automountServiceAccountToken` of each ServiceAccount by (namespace, name);
    /// `None` when the ServiceAccount does not set it.
    service_accounts: HashMap<(String, String), Option<bool>>,
    /// Namespace objects by name (index into the objects).
    namespaces: HashMap<String, usize>,
}

impl Index {
    pub fn build(objects: &[Object]) -> Index {
        let mut index = Index::default();
        for (position, object) in objects.iter().enumerate() {
            if object.is("", "ServiceAccount") {
                let namespace = object.namespace.clone().unwrap_or_else(|| "default".to_string());
                let automount = object.root.field("automountServiceAccountToken").as_bool();
                index.service_accounts.insert((namespace, object.name.clone()), automount);
            } else if object.is("", "Namespace") {
                index.namespaces.insert(object.name.clone(), position);
            }
        }
        index
    }

    /// The ServiceAccount's `automountServiceAccountToken`: `None` when the account is not
    /// in the input, `Some(None)` when it is but leaves the field unset.
    pub fn service_account_automount(&self, namespace: &str, name: &str) -> Option<Option<bool>> {
        self.service_accounts.get(&(namespace.to_string(), name.to_string())).copied()
    }

    /// The position of the Namespace object of that name, when the input holds it.
    pub fn namespace(&self, name: &str) -> Option<usize> {
        self.namespaces.get(name).copied()
    }
}

/// The namespace an object lives in as the API server would place it: its own, or
/// `default` for namespaced objects that name none.
pub fn effective_namespace(object: &Object) -> &str {
    object.namespace.as_deref().unwrap_or("default")
}

/// Reads a comma-separated annotation value (`"a, b,c"`) into its items.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|item| !item.is_empty())
}

/// The `metadata.annotations` of a node.
pub fn annotations(root: &Node) -> &Node {
    root.field("metadata").field("annotations")
}
