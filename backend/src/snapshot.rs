//! An uploaded export as a source of [`Delivery`]s: the text is read twice, never held as
//! one tree. The first pass hands over as context the objects of the kinds the engine's
//! index reads and every object with a pod template (the index keeps their labels), and
//! keeps every error; the second hands every object over in batches.
//!
//! YAML (a `kubectl get -o yaml` List, or a multi-document stream) is read document by
//! document, and a List item by item ([`rampart_core::parse::for_each_document`]), with
//! lines. JSON (`-o json`) is read with serde straight into trees, item by item: the
//! server stores no lines, so none are kept.

use std::fmt;

use rampart_core::index::Index;
use rampart_core::object::Object;
use rampart_core::parse::{for_each_document, Limits, Source};
use rampart_core::tree::Node;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use tokio::sync::mpsc;

use crate::ingest::{Delivery, BATCH_OBJECTS};
use crate::scanner::json::Item;
use crate::store::scans::ScanError;

/// The name findings and errors give the upload.
pub const SOURCE_NAME: &str = "snapshot";

/// Delivers the export's objects into `deliveries` (blocking: run it off the async
/// workers). Stops early when the receiver goes away.
/// `param_kinds`: `(apiVersion, kind)` of the custom policies' params, handed over as
/// context too.
pub fn deliver(text: &str, limits: &Limits, param_kinds: &[(String, String)], deliveries: &mpsc::Sender<Delivery>) {
    let mut context = Vec::new();
    let mut open = true;
    let errors = for_each_object(text, limits, |object| {
        let is_param = param_kinds.iter().any(|(version, kind)| *version == object.api_version && *kind == object.kind);
        // Objects with a pod template too: the index keeps their labels, so the kinds
        // judged by the pods they select are checked in the export's order.
        if Index::reads(object.group(), &object.kind) || is_param || object.pod_spec().is_some() {
            context.push(object);
            if context.len() == BATCH_OBJECTS {
                open = deliveries.blocking_send(Delivery::Context(std::mem::take(&mut context))).is_ok();
            }
        }
        open
    });
    let delivered = open
        && deliveries.blocking_send(Delivery::Context(context)).is_ok()
        && deliveries.blocking_send(Delivery::ContextDone { errors, unjudged_rules: Vec::new() }).is_ok();
    if !delivered {
        return;
    }
    let mut batch = Vec::with_capacity(BATCH_OBJECTS);
    for_each_object(text, limits, |object| {
        batch.push(object);
        if batch.len() == BATCH_OBJECTS {
            open = deliveries.blocking_send(Delivery::Batch(std::mem::take(&mut batch))).is_ok();
        }
        open
    });
    if open && !batch.is_empty() {
        let _ = deliveries.blocking_send(Delivery::Batch(batch));
    }
}

/// Every object of the export, in order, to `each` (which answers whether to go on); the
/// errors met, as scan errors of no kind. The parser of uploads, public for the fuzz
/// target (`fuzz/`).
pub fn for_each_object(text: &str, limits: &Limits, mut each: impl FnMut(Object) -> bool) -> Vec<ScanError> {
    let looks_like_json = text.trim_start_matches('\u{feff}').trim_start().starts_with('{');
    // Not JSON after all (YAML flow style), or broken: the general reader says where,
    // with lines. Checked before any object is handed over, so that none is handed twice.
    let is_json = || serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    if looks_like_json && text.len() <= limits.max_source_bytes && is_json() {
        let mut going = true;
        let mut handed = false;
        let mut hand = |node: Node| {
            if going {
                handed = true;
                going = each(Object::from_node(0, 0, node));
            }
        };
        match read_json(text, &mut hand) {
            Ok(()) => return Vec::new(),
            Err(_) if !going => return Vec::new(),
            // JSON, but not the shape of an export (`items` twice, or not a list) after
            // objects were handed over: said as it is rather than read again.
            Err(error) if handed => {
                return vec![ScanError {
                    kind: None,
                    message: format!("{SOURCE_NAME}:{}:{}: {error}", error.line(), error.column()),
                }]
            }
            Err(_) => {}
        }
    }
    let source = Source::new(SOURCE_NAME, text.to_string());
    let mut going = true;
    let errors = for_each_document(&source, limits, |document| {
        if going {
            for object in Object::from_document(0, document) {
                going = going && each(object);
            }
        }
    });
    errors
        .into_iter()
        .map(|error| ScanError {
            kind: None,
            message: format!("{}:{}:{}: {}", error.source_name, error.line, error.column, error.message),
        })
        .collect()
}

/// Reads a JSON export: a `List` hands each of its items over as it is read, anything
/// else is one object.
fn read_json(text: &str, each: &mut dyn FnMut(Node)) -> Result<(), serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let top = deserializer.deserialize_map(TopLevel { each: &mut *each })?;
    deserializer.end()?;
    if let Some(node) = top {
        each(node);
    }
    Ok(())
}

/// The top-level object: its fields other than `items` kept (small), `items` streamed.
/// Gives back the object itself when it had no `items` (a single object).
struct TopLevel<'f> {
    each: &'f mut dyn FnMut(Node),
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Option<Node>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a Kubernetes object or List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        let mut had_items = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                had_items = true;
                map.next_value_seed(Items { each: &mut *self.each })?;
            } else {
                let Item(value) = map.next_value()?;
                entries.push(rampart_core::tree::Entry {
                    key: key.into(),
                    key_span: rampart_core::tree::Span::default(),
                    value,
                });
            }
        }
        Ok((!had_items)
            .then(|| Node::new(rampart_core::tree::Value::Map(entries.into()), rampart_core::tree::Span::default())))
    }
}

/// A List's `items`, each handed over as soon as it is read.
struct Items<'f> {
    each: &'f mut dyn FnMut(Node),
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a list of Kubernetes objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        while let Some(Item(item)) = items.next_element()? {
            (self.each)(item);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the objects read, and the errors.
    fn read(text: &str) -> (Vec<String>, Vec<String>) {
        let mut names = Vec::new();
        let errors = for_each_object(text, &Limits::default(), |object| {
            names.push(object.name.clone());
            true
        });
        (names, errors.into_iter().map(|error| error.message).collect())
    }

    #[test]
    fn json_and_yaml_exports_are_read_object_by_object() {
        let pod = |name: &str| format!(r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}"}}}}"#);
        let list = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{},{}]}}"#, pod("a"), pod("b"));
        assert_eq!(read(&list), (vec!["a".to_string(), "b".to_string()], vec![]));
        assert_eq!(read(&pod("one")).0, ["one"]);
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: web}}\n";
        assert_eq!(read(yaml).0, ["web"]);
    }

    /// A text that starts as JSON and turns out to be YAML's flow style after its items
    /// were handed over is not read a second time: every object once.
    #[test]
    fn text_that_is_not_json_after_its_items_is_not_read_twice() {
        let text = r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}], extra: 1}"#;
        let (names, _) = read(text);
        assert_eq!(names, ["a"], "each object once");
        // JSON whose `items` come twice: the first ones once, and an error.
        let twice = r#"{"kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}], "items": 5}"#;
        let (names, errors) = read(twice);
        assert_eq!(names, ["b"], "each object once");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("snapshot:1:"), "{errors:?}");
    }
}
