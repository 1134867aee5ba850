//! `rampart check` on every core: the sources are parsed and the objects checked by as
//! many threads as the machine has cores, with the same report, byte for byte, as one
//! thread gives.
//!
//! Parsing is shared out source by source (a thread takes the next unparsed source, so a
//! large file does not hold up the rest) and the results are put back in source order.
//! Checking is shared out in contiguous runs of objects, each checked by its own
//! [`Checker`] against the one index of the whole input after skipping the objects before
//! its run (anchors depend on what came first); the runs are joined in order. Fixes are
//! worked out the same way, in runs of findings. Custom policies are compiled per
//! checker, so with policies the objects are checked on one thread. The files of a
//! directory walk are read the same way as sources are parsed ([`map_in_order`]), and the
//! JSON report's long lists are serialized in chunks on every core ([`write_json`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use serde_json::value::RawValue;

use rampart_core::engine::{check_objects_with, read_objects, Checked, Checker};
use rampart_core::index::Index;
use rampart_core::object::{Object, Resource};
use rampart_core::policy::PolicyReport;
use rampart_core::rules::Cx;
use rampart_core::{Finding, Options, ParseError, Report, Source};

/// Fewer objects than this per thread are not worth a thread.
const OBJECTS_PER_THREAD: usize = 64;

/// How many threads to use: the cores available, or `RAMPART_THREADS` when set.
pub fn threads() -> usize {
    std::env::var("RAMPART_THREADS")
        .ok()
        .and_then(|text| text.parse::<usize>().ok())
        .filter(|threads| *threads > 0)
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |threads| threads.get()))
}

/// Parses and checks the sources on `threads` threads, with objects read elsewhere (a
/// Kustomize overlay's, built) checked after the sources' and their errors reported after
/// the sources'. Their `source` is no source's index: no fix is worked out for them.
/// Returns the report and the objects checked: a process about to exit drops neither (a
/// tree of every object, hundreds of thousands of allocations for ten thousand files).
pub fn check_with(
    sources: &[Source],
    extra_objects: Vec<Object>,
    extra_errors: Vec<ParseError>,
    options: &Options,
    threads: usize,
) -> (Report, Vec<Object>) {
    let (mut objects, mut errors) = parse(sources, options, threads);
    objects.extend(extra_objects);
    errors.extend(extra_errors);
    let report = check_objects_with(
        &objects,
        errors,
        options,
        |index, objects| check_runs(index, options, sources, objects, threads),
        |cx, objects, findings| attach_fixes(cx, sources, objects, findings, threads),
    );
    (report, objects)
}

/// `each` of the items on `threads` threads (a thread takes the next item not yet taken),
/// the results in the items' order.
pub fn map_in_order<T: Sync, R: Send>(items: &[T], threads: usize, each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(each).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(items.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let position = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(position) else { break };
                        done.push((position, each(item)));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a thread panicked")).collect()
    });
    done.sort_unstable_by_key(|(position, _)| *position);
    done.into_iter().map(|(_, result)| result).collect()
}

/// What reading one source gave: its objects and its parse errors.
type Read = (Vec<Object>, Vec<ParseError>);

/// Every source's objects and errors, in source order.
fn parse(sources: &[Source], options: &Options, threads: usize) -> Read {
    let positions: Vec<usize> = (0..sources.len()).collect();
    let parsed =
        map_in_order(&positions, threads, |&position| read_objects(position, &sources[position], &options.limits));
    let mut objects = Vec::with_capacity(parsed.iter().map(|(objects, _)| objects.len()).sum());
    let mut errors = Vec::new();
    for (source_objects, source_errors) in parsed {
        objects.extend(source_objects);
        errors.extend(source_errors);
    }
    (objects, errors)
}

/// Contiguous runs of about equal length covering `0..length`, at most `threads` of them.
fn runs(length: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    let count = threads.min(length / OBJECTS_PER_THREAD).max(1);
    (0..count).map(|index| length * index / count..length * (index + 1) / count).collect()
}

/// Checks the objects run by run, one thread per run, and joins the results in order.
fn check_runs(
    index: &Index,
    options: &Options,
    sources: &[Source],
    objects: &[Object],
    threads: usize,
) -> (Checked, PolicyReport) {
    let runs = runs(objects.len(), threads);
    if runs.len() == 1 || !options.policies.is_empty() {
        let mut checker = Checker::with_input(index, options, sources, objects);
        let checked = checker.check(sources, objects);
        return (checked, checker.take_policy_report());
    }
    let parts: Vec<Checked> = thread::scope(|scope| {
        let workers: Vec<_> = runs
            .iter()
            .map(|run| {
                let run = run.clone();
                scope.spawn(move || {
                    let mut checker = Checker::new(index, options);
                    checker.skip(&objects[..run.start]);
                    checker.check(sources, &objects[run])
                })
            })
            .collect();
        workers.into_iter().map(|worker| worker.join().expect("a checking thread panicked")).collect()
    });
    let mut joined = Checked::default();
    for part in parts {
        let offset = joined.objects.len();
        joined.objects.extend(part.objects);
        joined.findings.extend(part.findings.into_iter().map(|mut finding| {
            finding.object += offset;
            finding
        }));
    }
    (joined, PolicyReport::default())
}

/// Works out the fixes of the findings, run by run on threads.
fn attach_fixes(cx: &Cx<'_>, sources: &[Source], objects: &[Object], findings: &mut [Finding], threads: usize) {
    let runs = runs(findings.len(), threads);
    if runs.len() == 1 {
        return rampart_core::fix::attach_fixes(cx, sources, objects, findings);
    }
    let mut rest = findings;
    thread::scope(|scope| {
        for run in runs {
            let (share, after) = std::mem::take(&mut rest).split_at_mut(run.len());
            rest = after;
            scope.spawn(move || rampart_core::fix::attach_fixes(cx, sources, objects, share));
        }
    });
}

/// Elements of a report's list serialized by one thread in one go.
const ELEMENTS_PER_CHUNK: usize = 2048;

/// Writes the report as [`rampart_core::report::json`] gives it, byte for byte, with its
/// two long lists (objects, findings) serialized on `threads` threads, a round of chunks
/// at a time (so no more than a round is held), and written in order as they are done.
///
/// A chunk of elements is serialized wrapped in two arrays (`[[a, b]]`): pretty-printed,
/// its elements then sit at the depth they have in the report (two levels down), and what
/// lies between the wrappers is exactly their text in the report's list. A finding's
/// resource is the same for all the findings of its object (a dozen, often): its text is
/// made once per object ([`FindingJson`]).
pub fn write_json(report: &mut Report, writer: impl std::io::Write, threads: usize) -> std::io::Result<()> {
    write_json_in_chunks(report, writer, threads, ELEMENTS_PER_CHUNK)
}

fn write_json_in_chunks(
    report: &mut Report,
    mut writer: impl std::io::Write,
    threads: usize,
    chunk: usize,
) -> std::io::Result<()> {
    let objects = std::mem::take(&mut report.objects);
    let findings = std::mem::take(&mut report.findings);
    let skeleton = rampart_core::report::json(report);
    report.objects = objects;
    report.findings = findings;
    let rest = splice(&mut writer, &skeleton, "\n  \"objects\": []", |writer| {
        write_list(&report.objects, writer, threads, chunk, |objects, text| {
            serde_json::to_writer_pretty(text, &[objects])
        })
    })?;
    let rest = splice(&mut writer, rest, "\n  \"findings\": []", |writer| {
        write_list(&report.findings, writer, threads, chunk, write_findings)
    })?;
    writer.write_all(rest.as_bytes())?;
    writer.flush()
}

/// Writes `text` up to the closing bracket of the empty list `key`, then the list, and
/// returns the rest. Top-level keys are the only text at their depth after a line break.
fn splice<'t>(
    writer: &mut impl std::io::Write,
    text: &'t str,
    key: &str,
    list: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<&'t str> {
    let Some(at) = text.find(key) else { return Ok(text) };
    let split = at + key.len() - 1;
    writer.write_all(&text.as_bytes()[..split])?;
    list(writer)?;
    Ok(&text[split..])
}

/// The elements of a list, as they sit between its brackets in the pretty-printed report
/// (nothing when it is empty), and the newline and indentation before its closing bracket.
/// `serialize` writes a chunk of elements as `[[a, b]]`, pretty-printed.
fn write_list<T: Sync>(
    elements: &[T],
    writer: &mut dyn std::io::Write,
    threads: usize,
    chunk: usize,
    serialize: impl Fn(&[T], &mut Vec<u8>) -> serde_json::Result<()> + Sync,
) -> std::io::Result<()> {
    if elements.is_empty() {
        return Ok(());
    }
    const PREFIX: &str = "[\n  [";
    const SUFFIX: &str = "\n  ]\n]";
    let serialize_chunk = |chunk: &[T]| {
        let mut text = Vec::with_capacity(chunk.len() * 1024);
        // Plain data into memory: serializing cannot fail.
        let _ = serialize(chunk, &mut text);
        text
    };
    let mut first = true;
    for round in elements.chunks(chunk * threads.max(1)) {
        let texts: Vec<Vec<u8>> = if round.len() <= chunk {
            vec![serialize_chunk(round)]
        } else {
            thread::scope(|scope| {
                let workers: Vec<_> = round.chunks(chunk).map(|chunk| scope.spawn(|| serialize_chunk(chunk))).collect();
                workers.into_iter().map(|worker| worker.join().expect("a serializing thread panicked")).collect()
            })
        };
        for text in texts {
            if !first {
                writer.write_all(b",")?;
            }
            first = false;
            writer.write_all(&text[PREFIX.len()..text.len() - SUFFIX.len()])?;
        }
    }
    writer.write_all(b"\n  ")
}

/// A chunk of findings as `[[a, b]]`, pretty-printed, each object's resource serialized
/// once for all its findings.
fn write_findings(findings: &[Finding], text: &mut Vec<u8>) -> serde_json::Result<()> {
    let mut resources: Vec<Box<RawValue>> = Vec::new();
    let mut last: Option<&Arc<Resource>> = None;
    for finding in findings {
        if !last.is_some_and(|last| Arc::ptr_eq(last, &finding.resource)) {
            resources.push(resource_json(&finding.resource)?);
            last = Some(&finding.resource);
        }
    }
    let mut resource = resources.iter();
    let mut current = None;
    let mut last: Option<&Arc<Resource>> = None;
    let wrapped: Vec<FindingJson> = findings
        .iter()
        .map(|finding| {
            if !last.is_some_and(|last| Arc::ptr_eq(last, &finding.resource)) {
                current = resource.next();
                last = Some(&finding.resource);
            }
            FindingJson { finding, resource: current.expect("a resource per object") }
        })
        .collect();
    serde_json::to_writer_pretty(text, &[wrapped])
}

/// A finding's resource as its text sits in the report (pretty-printed three levels down:
/// report, findings, finding).
fn resource_json(resource: &Resource) -> serde_json::Result<Box<RawValue>> {
    const PREFIX: &str = "[\n  [\n    [\n      ";
    const SUFFIX: &str = "\n    ]\n  ]\n]";
    let text = serde_json::to_string_pretty(&[[[resource]]])?;
    RawValue::from_string(text[PREFIX.len()..text.len() - SUFFIX.len()].to_string())
}

/// A [`Finding`] serialized as its derived `Serialize` does, field by field in the same
/// order, with its resource's text made beforehand. (`json_on_threads_is_the_report_byte_
/// for_byte` holds the two to the same bytes.)
struct FindingJson<'a> {
    finding: &'a Finding,
    resource: &'a RawValue,
}

impl serde::Serialize for FindingJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let finding = self.finding;
        let mut state = serializer.serialize_struct("Finding", 12)?;
        state.serialize_field("rule", &finding.rule)?;
        state.serialize_field("severity", &finding.severity)?;
        state.serialize_field("title", &finding.title)?;
        state.serialize_field("message", &finding.message)?;
        state.serialize_field("remediation", &finding.remediation)?;
        state.serialize_field("resource", self.resource)?;
        state.serialize_field("path", &finding.path)?;
        state.serialize_field("line", &finding.line)?;
        state.serialize_field("column", &finding.column)?;
        state.serialize_field("exempted", &finding.exempted)?;
        state.serialize_field("exemption_reason", &finding.exemption_reason)?;
        state.serialize_field("fix", &finding.fix)?;
        state.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_on_threads_is_the_report_byte_for_byte() {
        let manifest = |index: usize| {
            format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{index}\n  namespace: n\nspec:\n  containers:\n  - name: app\n    image: \"nginx\\u00e9\"\n    securityContext:\n      privileged: true\n")
        };
        for count in [0, 1, 3, 700] {
            let sources: Vec<Source> =
                (0..count).map(|index| Source::new(format!("p{index}.yaml"), manifest(index))).collect();
            let mut report = rampart_core::check(&sources, &Options::default());
            for (threads, chunk) in [(1, 1), (2, 1), (2, 7), (3, 64), (2, ELEMENTS_PER_CHUNK)] {
                let mut written = Vec::new();
                write_json_in_chunks(&mut report, &mut written, threads, chunk).unwrap();
                assert_eq!(String::from_utf8(written).unwrap(), rampart_core::report::json(&report), "{count} objects");
            }
        }
        // A parse error only: both lists empty.
        let mut report = rampart_core::check(&[Source::new("bad.yaml", "a: [1\n")], &Options::default());
        let mut written = Vec::new();
        write_json(&mut report, &mut written, 2).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), rampart_core::report::json(&report));
    }

    #[test]
    fn runs_cover_everything_in_order() {
        assert_eq!(runs(0, 4).len(), 1);
        assert_eq!(runs(0, 4)[0], 0..0);
        assert_eq!(runs(100, 4).len(), 1, "too few objects for a second thread");
        assert_eq!(runs(100, 4)[0], 0..100);
        assert_eq!(runs(1000, 4), [0..250, 250..500, 500..750, 750..1000]);
        assert_eq!(runs(1001, 3), [0..333, 333..667, 667..1001]);
    }
}
