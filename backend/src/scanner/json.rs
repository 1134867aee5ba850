//! From listed JSON items to the engine's [`Object`]s: each item read straight from the
//! page's JSON into a [`Node`] tree (no intermediate `serde_json::Value`, and the server's
//! `managedFields` skipped as they are read), `apiVersion` and `kind` filled in (list items
//! lack them), what no rule reads and a scan must not keep dropped, and owned objects left
//! out.
//!
//! Live objects have no source text, so every node sits at line 0: findings of a scan are
//! placed by their field path alone.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use rampart_core::object::Object;
use rampart_core::tree::{edit_vec, Entry, Node, Span, Text, Value};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::kinds::Kind;

/// The annotation `kubectl apply` keeps the last applied object in: for a Secret, that is
/// its data, which a scan must never hold.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One listed item, read as a tree.
#[derive(Debug)]
pub struct Item(pub Node);

impl<'de> serde::Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The thread's scratch stacks, taken for the item and put back after it (with
        // whatever capacity they grew to), so that items read one after another reuse them.
        let mut scratch = SCRATCH.take();
        scratch.entries.clear();
        scratch.items.clear();
        let read = deserializer.deserialize_any(Tree { level: Level::Item, scratch: &mut scratch });
        SCRATCH.set(scratch);
        read.map(Item)
    }
}

/// Where a collection's members wait while it is read: one stack for every open mapping's
/// entries and one for every open sequence's items, each collection's own on top. A
/// collection is then moved into a boxed slice of its exact size in one allocation, where
/// a vector of its own would grow by doubling (three or four allocations and copies for a
/// typical mapping) and then shrink to fit.
#[derive(Default)]
struct Scratch {
    entries: Vec<Entry>,
    items: Vec<Node>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Scratch> = std::cell::Cell::new(Scratch::default());
}

/// Where in an item a value sits, as far as reading it cares.
#[derive(Clone, Copy)]
enum Level {
    Item,
    Metadata,
    Below,
}

/// Reads any JSON value as a [`Node`]; under an item's `metadata`, `managedFields` (the
/// server's bookkeeping of who set which field: large, and no rule reads it) is skipped.
/// Nesting is bounded by `serde_json`'s recursion limit.
struct Tree<'s> {
    level: Level,
    scratch: &'s mut Scratch,
}

impl<'de> DeserializeSeed<'de> for Tree<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Reads a mapping's key straight into a [`Text`] (inline when short): no `String` is made
/// and dropped for each key.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Text;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Text, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Key {
    type Value = Text;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a mapping key")
    }

    fn visit_str<E>(self, text: &str) -> Result<Text, E> {
        Ok(Text::from(text))
    }

    fn visit_string<E>(self, text: String) -> Result<Text, E> {
        Ok(Text::from(text))
    }
}

fn leaf(value: Value) -> Node {
    Node::new(value, Span::default())
}

impl<'de> Visitor<'de> for Tree<'_> {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(leaf(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(leaf(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Node, E> {
        Ok(leaf(Value::Bool(flag)))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Node, E> {
        Ok(leaf(Value::Int(number)))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Node, E> {
        Ok(leaf(i64::try_from(number).map_or(Value::Float(number as f64), Value::Int)))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Node, E> {
        Ok(leaf(Value::Float(number)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Node, E> {
        Ok(leaf(Value::String(text.into())))
    }

    fn visit_string<E>(self, text: String) -> Result<Node, E> {
        Ok(leaf(Value::String(text.into())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Node, A::Error> {
        let start = self.scratch.items.len();
        while let Some(item) = sequence.next_element_seed(Tree { level: Level::Below, scratch: &mut *self.scratch })? {
            self.scratch.items.push(item);
        }
        Ok(leaf(Value::Seq(self.scratch.items.drain(start..).collect())))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let start = self.scratch.entries.len();
        while let Some(key) = map.next_key_seed(Key)? {
            let level = match (self.level, key.as_str()) {
                (Level::Metadata, "managedFields") => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                (Level::Item, "metadata") => Level::Metadata,
                _ => Level::Below,
            };
            let value = map.next_value_seed(Tree { level, scratch: &mut *self.scratch })?;
            self.scratch.entries.push(Entry { key, key_span: Span::default(), value });
        }
        Ok(leaf(Value::Map(self.scratch.entries.drain(start..).collect())))
    }
}

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

/// The item's `metadata.uid`.
pub fn uid(item: &Node) -> Option<&str> {
    item.at(&["metadata", "uid"]).and_then(Node::as_str)
}

/// Whether the item's controller is an object of a checked kind that this scan listed
/// (matched by uid, so a child whose owner could not be listed, or is gone, is still
/// checked).
pub fn owned_by_listed(kind: &Kind, item: &Node, is_listed: impl Fn(&str) -> bool) -> bool {
    let Some(owners) = item.at(&["metadata", "ownerReferences"]) else { return false };
    owners.items().iter().any(|owner| {
        let text = |key: &str| owner.get(key).and_then(Node::as_str).unwrap_or_default();
        owner.get("controller").and_then(Node::as_bool) == Some(true)
            && owner_is_checked(kind, text("apiVersion"), text("kind"))
            && is_listed(text("uid"))
    })
}

/// The object to check from one listed item (its owner, if listed, already left out).
pub fn object(kind: &Kind, item: Node) -> Object {
    Object::from_node(0, 0, prepare(kind, item))
}

/// The objects to check from every listed item, in the order given.
pub fn objects(items: Vec<(Arc<Kind>, Node)>) -> Vec<Object> {
    let owned: Vec<bool> = {
        let listed_uids: HashSet<&str> = items.iter().filter_map(|(_, item)| uid(item)).collect();
        items.iter().map(|(kind, item)| owned_by_listed(kind, item, |uid| listed_uids.contains(uid))).collect()
    };
    items
        .into_iter()
        .zip(owned)
        .filter(|(_, owned)| !owned)
        .enumerate()
        .map(|(position, ((kind, item), _))| Object::from_node(0, position, prepare(&kind, item)))
        .collect()
}

/// The entry under `key` of a mapping node, mutably.
fn entry_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    match &mut node.value {
        Value::Map(entries) => entries.iter_mut().find(|entry| entry.key == key).map(|entry| &mut entry.value),
        _ => None,
    }
}

/// Sets `apiVersion` and `kind`, and drops what no rule reads and a scan must not keep.
pub(crate) fn prepare(kind: &Kind, mut item: Node) -> Node {
    let Value::Map(fields) = &mut item.value else { return item };
    let text = |key: &str, text: String| Entry {
        key: key.into(),
        key_span: Span::default(),
        value: leaf(Value::String(text.into())),
    };
    edit_vec(fields, |fields| {
        fields.retain(|entry| {
            entry.key != "apiVersion"
                && entry.key != "kind"
                // What a metadata-only answer carries besides metadata is not for us to keep.
                && (!kind.metadata_only || entry.key == "metadata")
        });
        fields.splice(0..0, [text("apiVersion", kind.api_version()), text("kind", kind.kind.clone())]);
    });
    if let Some(Value::Map(metadata)) = entry_mut(&mut item, "metadata").map(|metadata| &mut metadata.value) {
        // Skipped as they are read; items made some other way lose them here.
        edit_vec(metadata, |metadata| metadata.retain(|entry| entry.key != "managedFields"));
    }
    if kind.metadata_only {
        if let Some(Value::Map(annotations)) = entry_mut(&mut item, "metadata")
            .and_then(|metadata| entry_mut(metadata, "annotations"))
            .map(|annotations| &mut annotations.value)
        {
            edit_vec(annotations, |annotations| annotations.retain(|entry| entry.key != LAST_APPLIED));
        }
    }
    item
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scanner::kinds::catalog;

    fn kind(name: &str) -> Arc<Kind> {
        Arc::new(catalog().into_iter().find(|kind| kind.kind == name).unwrap())
    }

    /// An item as a list page's JSON gives it.
    fn item(json: serde_json::Value) -> Node {
        serde_json::from_str::<Item>(&json.to_string()).unwrap().0
    }

    /// The objects of items given as JSON.
    fn objects(items: Vec<(Arc<Kind>, serde_json::Value)>) -> Vec<Object> {
        super::objects(items.into_iter().map(|(kind, json)| (kind, item(json))).collect())
    }

    /// A tree built from `serde_json`'s own value, member by member.
    fn expected(value: &serde_json::Value) -> Node {
        leaf(match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(flag) => Value::Bool(*flag),
            serde_json::Value::Number(number) => {
                number.as_i64().map_or(Value::Float(number.as_f64().unwrap()), Value::Int)
            }
            serde_json::Value::String(text) => Value::String(text.as_str().into()),
            serde_json::Value::Array(items) => Value::Seq(items.iter().map(expected).collect()),
            serde_json::Value::Object(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(key, value)| Entry {
                        key: key.as_str().into(),
                        key_span: Span::default(),
                        value: expected(value),
                    })
                    .collect(),
            ),
        })
    }

    #[test]
    fn nested_collections_read_whole_and_in_order_item_after_item() {
        let nested = json!({
            "spec": {"a": [1, [2, 3], {"b": [], "c": {}}, "x"], "long key that does not fit inline": {"d": [[], [{}]]}},
            "z": "a string long enough to be kept on the heap", "escaped \"key\"": "line\nbreak", "e": [{"f": 1}, {"g": [true]}]
        });
        // An item that fails part-way leaves nothing behind for the next one read.
        assert!(serde_json::from_str::<Item>(r#"{"spec": {"a": [1, {"b": [2, 3"#).is_err());
        for _ in 0..2 {
            assert_eq!(item(nested.clone()), expected(&nested));
        }
        let items: Vec<Item> = serde_json::from_str(&json!([nested, {"k": [nested]}]).to_string()).unwrap();
        assert_eq!(items[0].0, expected(&nested));
        assert_eq!(items[1].0, expected(&json!({"k": [nested]})));
    }

    #[test]
    fn items_read_as_trees_without_managed_fields() {
        let read = item(json!({
            "metadata": {"name": "web", "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}],
                         "labels": {"managedFields": "kept"}},
            "spec": {"replicas": 2, "big": 18446744073709551615u64, "ratio": 0.5, "on": true, "none": null,
                     "list": ["a", 1], "template": {"metadata": {"managedFields": "kept below the item's metadata"}}}
        }));
        assert!(read.at(&["metadata", "managedFields"]).is_none());
        assert_eq!(read.at(&["metadata", "labels", "managedFields"]).and_then(Node::as_str), Some("kept"));
        assert!(read.at(&["spec", "template", "metadata", "managedFields"]).is_some());
        let spec = read.field("spec");
        assert_eq!(spec.field("replicas").value, Value::Int(2));
        assert_eq!(spec.field("big").value, Value::Float(18446744073709551615u64 as f64));
        assert_eq!(spec.field("ratio").value, Value::Float(0.5));
        assert_eq!(spec.field("on").as_bool(), Some(true));
        assert!(spec.field("none").is_null() && spec.get("none").is_some());
        assert_eq!(spec.field("list").items().len(), 2);
        assert!(serde_json::from_str::<Item>("{\"a\": [1, }").is_err(), "bad JSON is an error");
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
