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
use crate::scanner::{catalog, Kind, Listed};
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

/// An object as it travels: the JSON of its tree as the scanner prepares what it checks
/// (`apiVersion` and `kind` filled in, `managedFields` and a Secret's values dropped). The
/// agent lists into these, so that what it holds of a page is its JSON, not its trees
/// (a tree is several times the size of its text).
#[derive(Debug)]
pub struct Encoded(Vec<u8>);

impl Listed for Encoded {
    fn read(kind: &Kind, item: Node) -> Result<Encoded, String> {
        let root = crate::scanner::json::prepare(kind, item);
        serde_json::to_vec(&Tree(&root)).map(Encoded).map_err(|error| format!("cannot encode an object: {error}"))
    }
}

/// What a delivery's objects are written as.
pub trait WireObject {
    /// The object's JSON, compact.
    fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()>;
}

impl WireObject for Object {
    fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer(out, &Tree(&self.root)).map_err(std::io::Error::other)
    }
}

impl WireObject for Encoded {
    fn write_json(&self, out: &mut dyn Write) -> std::io::Result<()> {
        out.write_all(&self.0)
    }
}

/// Writes a delivery as its line (without the `end` line, which [`write_end`] writes).
pub fn write_delivery<O: WireObject>(out: &mut impl Write, delivery: &Delivery<O>) -> std::io::Result<()> {
    match delivery {
        Delivery::Context(objects) => write_objects(out, "context", objects)?,
        Delivery::ContextDone { errors, unjudged_rules } => {
            #[derive(Serialize)]
            struct Done<'a> {
                errors: &'a [ScanError],
                unjudged_rules: &'a [String],
            }
            write_line(out, "context_done", &Done { errors, unjudged_rules })?
        }
        Delivery::Batch(objects) => write_objects(out, "batch", objects)?,
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

/// A line of objects, `{"TAG":[object,…]}`, as `serde_json` writes a map of one entry.
fn write_objects<O: WireObject>(out: &mut impl Write, tag: &str, objects: &[O]) -> std::io::Result<()> {
    out.write_all(b"{")?;
    serde_json::to_writer(&mut *out, tag).map_err(std::io::Error::other)?;
    out.write_all(b":[")?;
    for (position, object) in objects.iter().enumerate() {
        if position > 0 {
            out.write_all(b",")?;
        }
        object.write_json(out)?;
    }
    out.write_all(b"]}\n")
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
        write_delivery::<Object>(&mut text, &Delivery::Context(vec![])).unwrap();
        write_delivery::<Object>(
            &mut text,
            &Delivery::ContextDone { errors: vec![], unjudged_rules: vec!["r".into()] },
        )
        .unwrap();
        write_delivery::<Object>(&mut text, &Delivery::Batch(vec![deployment, secret])).unwrap();
        write_delivery::<Object>(
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
    fn objects_listed_as_json_travel_as_the_same_lines_as_trees() {
        let kind = |name: &str| catalog().into_iter().find(|kind| kind.kind == name).unwrap();
        let listed = [
            (
                kind("Deployment"),
                r#"{"metadata":{"name":"web","namespace":"a","managedFields":[{"manager":"x"}]},"spec":{"replicas":2,"ratio":0.5,"big":18446744073709551615,"x":null,"l":[true,"s\"q"]}}"#,
            ),
            (
                kind("Secret"),
                r#"{"metadata":{"name":"s","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","team":"a"}},"data":{"k":"dg=="}}"#,
            ),
        ];
        let tree = |json: &str| serde_json::from_str::<Item>(json).unwrap().0;
        let (mut as_trees, mut as_json) = (Vec::new(), Vec::new());
        let objects: Vec<Object> = listed.iter().map(|(kind, json)| Object::read(kind, tree(json)).unwrap()).collect();
        let encoded: Vec<Encoded> =
            listed.iter().map(|(kind, json)| Encoded::read(kind, tree(json)).unwrap()).collect();
        write_delivery(&mut as_trees, &Delivery::Context(objects)).unwrap();
        write_delivery(&mut as_json, &Delivery::Context(encoded)).unwrap();
        let objects: Vec<Object> = listed.iter().map(|(kind, json)| Object::read(kind, tree(json)).unwrap()).collect();
        let encoded: Vec<Encoded> =
            listed.iter().map(|(kind, json)| Encoded::read(kind, tree(json)).unwrap()).collect();
        write_delivery(&mut as_trees, &Delivery::Batch(objects)).unwrap();
        write_delivery(&mut as_json, &Delivery::Batch(encoded)).unwrap();
        write_delivery::<Encoded>(&mut as_json, &Delivery::Batch(Vec::new())).unwrap();
        write_delivery::<Object>(&mut as_trees, &Delivery::Batch(Vec::new())).unwrap();
        assert_eq!(String::from_utf8_lossy(&as_json), String::from_utf8_lossy(&as_trees));
        let text = String::from_utf8(as_json).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["context"][0]["kind"], "Deployment");
        assert_eq!(first["context"][0]["apiVersion"], "apps/v1");
        assert!(first["context"][0]["metadata"].get("managedFields").is_none());
        assert!(first["context"][1].get("data").is_none(), "a Secret's values are never sent");
        assert_eq!(first["context"][1]["metadata"]["annotations"], serde_json::json!({"team": "a"}));
        assert_eq!(text.lines().nth(2), Some(r#"{"batch":[]}"#));
    }

    #[test]
    fn a_delivery_cut_short_or_mangled_is_an_error() {
        let mut text = Vec::new();
        write_delivery::<Object>(&mut text, &Delivery::Batch(vec![])).unwrap();
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
