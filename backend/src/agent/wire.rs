//! What travels from an agent to the server: a scan's [`Delivery`]s, one JSON line each,
//! gzip-compressed, in one streamed request body. The lines are the ingestion's own
//! messages, so a delivered scan takes the path of an API scan and of a snapshot
//! ([`crate::ingest`]) line by line:
//!
//! ```text
//! {"context":[object, …]}                        objects of the kinds the index reads
//! {"context_done":{"errors":[…],"unjudged_rules":[…]}}
//! {"batch":[object, …]}                          objects to check
//! {"error":{"kind":"Pod","message":"…"}}         a kind that could not be listed
//! {"failed":"…"}                                 the cluster could not be listed at all
//! {"end":{"objects":1234}}                       the delivery is complete
//! ```
//!
//! Only the `end` line completes a scan: a body cut short (the agent's pod stopped, the
//! connection dropped) is a failed delivery, never a smaller cluster whose missing objects'
//! findings would be resolved. Each line is read on its own, at most [`MAX_LINE`] bytes
//! once decompressed, objects straight into the engine's trees; memory on either side is a
//! few batches, whatever the cluster's size.

use std::io::{BufRead, Write};

use rampart_core::object::Object;
use rampart_core::tree::{Node, Value};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::ingest::Delivery;
use crate::scanner::json::Item;
use crate::scanner::{catalog, Kind};
use crate::store::scans::ScanError;

/// The longest line a server reads (decompressed): a page of 500 large objects fits many
/// times over; a line beyond it is refused rather than held.
pub const MAX_LINE: usize = 64 * 1024 * 1024;

/// The content type of a delivery's body (before gzip).
pub const CONTENT_TYPE: &str = "application/x-ndjson";

/// The header an agent names its version in.
pub const VERSION_HEADER: &str = "rampart-agent-version";

/// One line as read by the server: objects read straight into trees.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Context(Vec<Item>),
    ContextDone {
        #[serde(default)]
        errors: Vec<ScanError>,
        #[serde(default)]
        unjudged_rules: Vec<String>,
    },
    Batch(Vec<Item>),
    Error(ScanError),
    Failed(String),
    End {
        objects: u64,
    },
}

/// Writes a delivery as its line (without the `end` line, which [`write_end`] writes).
pub fn write_delivery(out: &mut impl Write, delivery: &Delivery) -> std::io::Result<()> {
    match delivery {
        Delivery::Context(objects) => write_line(out, "context", &Objects(objects))?,
        Delivery::ContextDone { errors, unjudged_rules } => {
            #[derive(Serialize)]
            struct Done<'a> {
                errors: &'a [ScanError],
                unjudged_rules: &'a [String],
            }
            write_line(out, "context_done", &Done { errors, unjudged_rules })?
        }
        Delivery::Batch(objects) => write_line(out, "batch", &Objects(objects))?,
        Delivery::Error(error) => write_line(out, "error", error)?,
        Delivery::Failed(message) => write_line(out, "failed", message)?,
    }
    Ok(())
}

/// The last line: the delivery is complete, with the number of objects it carried.
pub fn write_end(out: &mut impl Write, objects: u64) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct End {
        objects: u64,
    }
    write_line(out, "end", &End { objects })
}

fn write_line(out: &mut impl Write, tag: &str, value: &impl Serialize) -> std::io::Result<()> {
    let mut serializer = serde_json::Serializer::new(&mut *out);
    let mut line = serializer.serialize_map(Some(1)).map_err(std::io::Error::other)?;
    line.serialize_entry(tag, value).map_err(std::io::Error::other)?;
    SerializeMap::end(line).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// Objects as JSON, each its tree.
struct Objects<'a>(&'a [Object]);

impl Serialize for Objects<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for object in self.0 {
            seq.serialize_element(&Tree(&object.root))?;
        }
        seq.end()
    }
}

/// A tree as JSON (positions dropped; a float JSON cannot hold is `null`).
struct Tree<'a>(&'a Node);

impl Serialize for Tree<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0.value {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(flag) => serializer.serialize_bool(*flag),
            Value::Int(number) => serializer.serialize_i64(*number),
            Value::Float(number) if number.is_finite() => serializer.serialize_f64(*number),
            Value::Float(_) => serializer.serialize_unit(),
            Value::String(text) => serializer.serialize_str(text),
            Value::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Tree(item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for entry in entries {
                    map.serialize_entry(&*entry.key, &Tree(&entry.value))?;
                }
                map.end()
            }
        }
    }
}

/// How reading a delivery ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// The `end` line came: every line before it was handed over.
    Complete { objects: u64 },
    /// The receiver went away (the scan was stopped): reading stopped.
    Stopped,
}

/// Reads a delivery's lines (already decompressed) and hands each over as a
/// [`Delivery`], until the `end` line. An error is a message for the agent's log and the
/// scan's; the caller ends the scan failed with it.
pub fn read_deliveries(input: &mut impl BufRead, mut hand: impl FnMut(Delivery) -> bool) -> Result<Read, String> {
    let kinds = catalog();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        number += 1;
        let read = read_line(input, &mut line).map_err(|error| format!("the delivery could not be read: {error}"))?;
        if read == 0 {
            return Err("the delivery ended before its last line (the agent stopped, or the connection was cut)".into());
        }
        let parsed: Line =
            serde_json::from_slice(&line).map_err(|error| format!("line {number} of the delivery: {error}"))?;
        let delivery = match parsed {
            Line::Context(items) => Delivery::Context(objects(&kinds, items)),
            Line::ContextDone { errors, unjudged_rules } => Delivery::ContextDone { errors, unjudged_rules },
            Line::Batch(items) => Delivery::Batch(objects(&kinds, items)),
            Line::Error(error) => Delivery::Error(error),
            Line::Failed(message) => Delivery::Failed(message),
            Line::End { objects } => return Ok(Read::Complete { objects }),
        };
        if !hand(delivery) {
            return Ok(Read::Stopped);
        }
    }
}

/// One line into `line` (without its newline), refusing one longer than [`MAX_LINE`].
fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<usize> {
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(line.len());
        }
        let (taken, done) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        line.extend_from_slice(&available[..taken - usize::from(done)]);
        input.consume(taken);
        if line.len() > MAX_LINE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a line is longer than {} MB", MAX_LINE / (1024 * 1024)),
            ));
        }
        if done {
            // An empty line counts as read (one byte), so that it is not taken for the end.
            return Ok(line.len().max(1));
        }
    }
}

/// Objects from delivered trees, read as the scanner reads listed items: the catalog's
/// kinds prepared the same way (a Secret keeps its metadata only, whatever was sent).
fn objects(kinds: &[Kind], items: Vec<Item>) -> Vec<Object> {
    items
        .into_iter()
        .map(|Item(node)| {
            let text = |key: &str| node.get(key).and_then(Node::as_str).unwrap_or_default().to_string();
            let (api_version, kind) = (text("apiVersion"), text("kind"));
            match kinds.iter().find(|known| known.kind == kind && known.api_version() == api_version) {
                Some(known) => crate::scanner::json::object(known, node),
                None => Object::from_node(0, 0, node),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Object {
        let Item(node) = serde_json::from_str(json).unwrap();
        Object::from_node(0, 0, node)
    }

    fn read_all(text: &[u8]) -> (Result<Read, String>, Vec<Delivery>) {
        let mut deliveries = Vec::new();
        let read = read_deliveries(&mut &text[..], |delivery| {
            deliveries.push(delivery);
            true
        });
        (read, deliveries)
    }

    #[test]
    fn deliveries_round_trip_and_secrets_arrive_as_metadata() {
        let mut text = Vec::new();
        let deployment = item(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"a"},"spec":{"replicas":2,"ratio":0.5,"x":null,"l":[true,"s"]}}"#,
        );
        let secret =
            item(r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"a"},"data":{"k":"dg=="}}"#);
        write_delivery(&mut text, &Delivery::Context(vec![])).unwrap();
        write_delivery(&mut text, &Delivery::ContextDone { errors: vec![], unjudged_rules: vec!["r".into()] }).unwrap();
        write_delivery(&mut text, &Delivery::Batch(vec![deployment, secret])).unwrap();
        write_delivery(
            &mut text,
            &Delivery::Error(ScanError { kind: Some("Pod".into()), message: "forbidden".into() }),
        )
        .unwrap();
        write_end(&mut text, 2).unwrap();
        let (read, deliveries) = read_all(&text);
        assert_eq!(read, Ok(Read::Complete { objects: 2 }));
        assert_eq!(deliveries.len(), 4);
        let Delivery::ContextDone { unjudged_rules, .. } = &deliveries[1] else { panic!("{:?}", deliveries[1]) };
        assert_eq!(unjudged_rules, &["r"]);
        let Delivery::Batch(objects) = &deliveries[2] else { panic!("{:?}", deliveries[2]) };
        assert_eq!(objects[0].root.at(&["spec", "replicas"]).and_then(Node::as_i64), Some(2));
        assert_eq!((objects[0].kind.as_str(), objects[0].namespace.as_deref()), ("Deployment", Some("a")));
        assert!(objects[1].root.get("data").is_none(), "a Secret's values never get past the reader");
        let Delivery::Error(error) = &deliveries[3] else { panic!() };
        assert_eq!(error.kind.as_deref(), Some("Pod"));
    }

    #[test]
    fn a_delivery_cut_short_or_mangled_is_an_error() {
        let mut text = Vec::new();
        write_delivery(&mut text, &Delivery::Batch(vec![])).unwrap();
        let (read, _) = read_all(&text);
        assert!(read.unwrap_err().contains("ended before its last line"));
        let (read, _) = read_all(b"{\"batch\":[{\"a\":\n");
        assert!(read.unwrap_err().starts_with("line 1 of the delivery"));
        let (read, _) = read_all(b"{\"sneaky\":1}\n");
        assert!(read.is_err());
        let (read, _) = read_all(b"\n{\"end\":{\"objects\":0}}\n");
        assert!(read.unwrap_err().starts_with("line 1"), "an empty line is not a line");
    }
}
