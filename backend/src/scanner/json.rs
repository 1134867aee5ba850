//! From listed JSON items to the engine's [`Object`]s: `apiVersion` and `kind` filled in
//! (list items lack them), what no rule reads and a scan must not keep dropped, owned
//! objects left out, and each item turned into a [`Node`] tree.
//!
//! Live objects have no source text, so every node sits at line 0: findings of a scan are
//! placed by their field path alone.

use std::collections::HashSet;
use std::sync::Arc;

use rampart_core::object::Object;
use rampart_core::tree::{Entry, Node, Span, Value};

use super::kinds::Kind;

/// The annotation `kubectl apply` keeps the last applied object in: for a Secret, that is
/// its data, which a scan must never hold.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Owner kinds whose children are not checked on their own: the owner's pod template is
/// what made them, so its findings are theirs.
fn owner_is_checked(child: &Kind, owner_api_version: &str, owner_kind: &str) -> bool {
    let owner_group = owner_api_version.rsplit_once('/').map_or("", |(group, _)| group);
    match (child.group.as_str(), child.kind.as_str()) {
        ("", "Pod") => matches!(
            (owner_group, owner_kind),
            ("apps", "ReplicaSet" | "StatefulSet" | "DaemonSet") | ("batch", "Job") | ("", "ReplicationController")
        ),
        ("apps", "ReplicaSet") => (owner_group, owner_kind) == ("apps", "Deployment"),
        ("batch", "Job") => (owner_group, owner_kind) == ("batch", "CronJob"),
        _ => false,
    }
}

/// Whether the item's controller is an object of a checked kind that this scan listed
/// (matched by uid, so a child whose owner could not be listed, or is gone, is still
/// checked).
fn owned_by_listed(kind: &Kind, item: &serde_json::Value, listed_uids: &HashSet<&str>) -> bool {
    let Some(owners) = item.pointer("/metadata/ownerReferences").and_then(serde_json::Value::as_array) else {
        return false;
    };
    owners.iter().any(|owner| {
        let text = |key: &str| owner.get(key).and_then(serde_json::Value::as_str).unwrap_or_default();
        owner.get("controller").and_then(serde_json::Value::as_bool) == Some(true)
            && owner_is_checked(kind, text("apiVersion"), text("kind"))
            && listed_uids.contains(text("uid"))
    })
}

/// The objects to check from every listed item, in the order given.
pub fn objects(items: Vec<(Arc<Kind>, serde_json::Value)>) -> Vec<Object> {
    let owned: Vec<bool> = {
        let listed_uids: HashSet<&str> = items
            .iter()
            .filter_map(|(_, item)| item.pointer("/metadata/uid").and_then(serde_json::Value::as_str))
            .collect();
        items.iter().map(|(kind, item)| owned_by_listed(kind, item, &listed_uids)).collect()
    };
    items
        .into_iter()
        .zip(owned)
        .filter(|(_, owned)| !owned)
        .enumerate()
        .map(|(position, ((kind, item), _))| Object::from_node(0, position, node(prepare(&kind, item))))
        .collect()
}

/// Sets `apiVersion` and `kind`, and drops what no rule reads and a scan must not keep.
fn prepare(kind: &Kind, mut item: serde_json::Value) -> serde_json::Value {
    let Some(fields) = item.as_object_mut() else { return item };
    fields.insert("apiVersion".into(), kind.api_version().into());
    fields.insert("kind".into(), kind.kind.clone().into());
    if let Some(metadata) = fields.get_mut("metadata").and_then(serde_json::Value::as_object_mut) {
        // The server's bookkeeping of who set which field: large, and no rule reads it.
        metadata.remove("managedFields");
        if kind.metadata_only {
            if let Some(annotations) = metadata.get_mut("annotations").and_then(serde_json::Value::as_object_mut) {
                annotations.remove(LAST_APPLIED);
            }
        }
    }
    if kind.metadata_only {
        // Whatever a metadata-only answer carries besides metadata is not for us to keep.
        fields.retain(|key, _| matches!(key.as_str(), "apiVersion" | "kind" | "metadata"));
    }
    item
}

/// A JSON value as a tree whose nodes all sit at line 0 (there is no source text).
pub fn node(value: serde_json::Value) -> Node {
    let span = Span::default();
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(flag),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(integer) => Value::Int(integer),
            None => Value::Float(number.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(text) => Value::String(text),
        serde_json::Value::Array(items) => Value::Seq(items.into_iter().map(node).collect()),
        serde_json::Value::Object(fields) => Value::Map(
            fields.into_iter().map(|(key, value)| Entry { key, key_span: span, value: node(value) }).collect(),
        ),
    };
    Node::new(value, span)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scanner::kinds::catalog;

    fn kind(name: &str) -> Arc<Kind> {
        Arc::new(catalog().into_iter().find(|kind| kind.kind == name).unwrap())
    }

    #[test]
    fn fills_in_api_version_and_kind_and_reads_fields() {
        let objects = objects(vec![(
            kind("Deployment"),
            json!({"metadata": {"name": "web", "namespace": "prod"}, "spec": {"replicas": 2}}),
        )]);
        assert_eq!(objects.len(), 1);
        let object = &objects[0];
        assert_eq!((object.api_version.as_str(), object.kind.as_str()), ("apps/v1", "Deployment"));
        assert_eq!((object.namespace.as_deref(), object.name.as_str()), (Some("prod"), "web"));
        assert_eq!(object.root.at(&["spec", "replicas"]).and_then(Node::as_i64), Some(2));
    }

    #[test]
    fn secrets_keep_metadata_only_and_lose_the_last_applied_copy() {
        let objects = objects(vec![(
            kind("Secret"),
            json!({"metadata": {"name": "s", "annotations": {LAST_APPLIED: "{\"data\":{\"k\":\"dg==\"}}", "team": "a"}},
                   "data": {"k": "dg=="}}),
        )]);
        let root = &objects[0].root;
        assert!(root.get("data").is_none());
        assert!(root.at(&["metadata", "annotations", LAST_APPLIED]).is_none());
        assert_eq!(root.at(&["metadata", "annotations", "team"]).and_then(Node::as_str), Some("a"));
    }

    #[test]
    fn children_of_listed_controllers_are_left_out() {
        let owner = |kind: &str, api_version: &str, uid: &str| json!([{"apiVersion": api_version, "kind": kind, "name": "x", "uid": uid, "controller": true}]);
        let objects = objects(vec![
            (kind("Deployment"), json!({"metadata": {"name": "web", "uid": "d1"}})),
            (
                kind("ReplicaSet"),
                json!({"metadata": {"name": "web-1", "uid": "r1", "ownerReferences": owner("Deployment", "apps/v1", "d1")}}),
            ),
            (
                kind("Pod"),
                json!({"metadata": {"name": "web-1-a", "uid": "p1", "ownerReferences": owner("ReplicaSet", "apps/v1", "r1")}}),
            ),
            // Its ReplicaSet was not listed: the pod is checked on its own.
            (
                kind("Pod"),
                json!({"metadata": {"name": "orphan", "uid": "p2", "ownerReferences": owner("ReplicaSet", "apps/v1", "gone")}}),
            ),
            // Owned by something that is not checked: kept.
            (
                kind("Pod"),
                json!({"metadata": {"name": "static", "uid": "p3", "ownerReferences": owner("Node", "v1", "n1")}}),
            ),
        ]);
        let names: Vec<&str> = objects.iter().map(|object| object.name.as_str()).collect();
        assert_eq!(names, ["web", "orphan", "static"]);
    }
}
