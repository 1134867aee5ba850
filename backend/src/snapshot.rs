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
    if looks_like_json && text.len() <= limits.max_source_bytes {
        let mut going = true;
        let mut hand = |node: Node| {
            if going {
                going = each(Object::from_node(0, 0, node));
            }
        };
        match read_json(text, &mut hand) {
            Ok(()) => return Vec::new(),
            // Not JSON after all (YAML flow style), or broken: the general reader says
            // where, with lines.
            Err(_) if !going => return Vec::new(),
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
                entries.push(rampart_core::tree::Entry { key, key_span: rampart_core::tree::Span::default(), value });
            }
        }
        Ok((!had_items)
            .then(|| Node::new(rampart_core::tree::Value::Map(entries), rampart_core::tree::Span::default())))
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
