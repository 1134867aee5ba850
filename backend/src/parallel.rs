//! `rampart check` on every core: the sources are parsed and the objects checked by as
//! many threads as the machine has cores, with the same report, byte for byte, as one
//! thread gives.
//!
//! Parsing is shared out source by source (a thread takes the next unparsed source, so a
//! large file does not hold up the rest) and the results are put back in source order.
//! Checking is shared out in contiguous runs of objects, a few per thread, which threads
//! take in turn: each thread keeps one [`Checker`] against the one index of the whole
//! input, which skips the objects between the runs it takes (anchors depend on what came
//! first), and works out the fixes of a run's findings as soon as the run is checked,
//! while its trees are in the cache; the runs are joined in order. Custom policies are
//! compiled per checker, so with policies the objects are checked on one thread. The
//! files of a directory walk are read the same way as sources are parsed
//! ([`map_in_order`]), and the JSON report's long lists are written by hand in chunks on
//! every core ([`write_json`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use rampart_core::engine::ObjectReport;
use rampart_core::engine::{check_objects_with, read_objects, Checked, Checker};
use rampart_core::index::{Anchors, Index};
use rampart_core::object::Object;
use rampart_core::rules::Cx;
use rampart_core::{Finding, Options, ParseError, Report, Severity, Source};

/// Fewer objects than this per thread are not worth a thread.
const OBJECTS_PER_THREAD: usize = 64;

/// How many threads to use: the cores available, or `RAMPART_THREADS` when set. Worked
/// out once per process (finding the cores available reads the cgroup's files).
pub fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("RAMPART_THREADS")
            .ok()
            .and_then(|text| text.parse::<usize>().ok())
            .filter(|threads| *threads > 0)
            .unwrap_or_else(|| thread::available_parallelism().map_or(1, |threads| threads.get()))
    })
}

/// Parses and checks the sources on `threads` threads, with objects read elsewhere (a
/// Kustomize overlay's, built) checked after the sources' and their errors reported after
/// the sources'. Their `source` is no source's index: no fix is worked out for them.
/// `parsed` holds what was read of each source already (a directory walk parses each file
/// on the thread that read it, [`read_and_parse`]): the sources it lacks are parsed here.
pub fn check_with(
    sources: &[Source],
    parsed: Vec<Option<Read>>,
    extra_objects: Vec<Object>,
    extra_errors: Vec<ParseError>,
    options: &Options,
    threads: usize,
) -> Checks {
    let (mut objects, mut errors) = parse(sources, parsed, options, threads);
    objects.extend(extra_objects);
    errors.extend(extra_errors);
    let mut parts = Vec::new();
    let report = check_objects_with(
        &objects,
        errors,
        options,
        |index, objects| {
            if options.policies.is_empty() {
                parts = check_runs(index, options, sources, objects, threads);
                return Default::default();
            }
            // Custom policies are compiled per checker and may take their params from the
            // whole input: one checker, on this thread.
            let mut checker = Checker::with_input(index, options, sources, objects);
            let mut checked = checker.check(sources, objects);
            if options.fixes {
                rampart_core::fix::attach_fixes(&fix_cx(index, options), sources, objects, &mut checked.findings);
            }
            parts.push(checked);
            (Checked::default(), checker.take_policy_report())
        },
        // Worked out with the check, run by run, while the run's trees are in the cache.
        |_, _, _| {},
    );
    Checks { held: objects, ..Checks::new(report, parts) }
}

/// What the fixes of a check are worked out with.
fn fix_cx<'a>(index: &'a Index, options: &'a Options) -> Cx<'a> {
    Cx::new(&options.config, options.pss_version, options.mode, index, Anchors::default())
}

/// What a check concluded: the report, whose two long lists (objects, findings) may still
/// be in parts, one per run of objects as the threads checked them, in order. The report's
/// summary, score and grade count the parts. The JSON report is written from the parts as
/// they are ([`Checks::write_json`]); joining them copies every finding once more.
pub struct Checks {
    pub report: Report,
    /// Each part's findings count their `object` from the part's first object.
    parts: Vec<Checked>,
    /// The objects checked, held (not read) so that a process about to exit need not free
    /// their trees one node at a time (hundreds of thousands of allocations for ten
    /// thousand files).
    #[allow(dead_code)]
    held: Vec<Object>,
}

impl Checks {
    /// The report of the parts: its summary, score and grade as the engine works them out
    /// from the joined lists ([`check_objects_with`]).
    fn new(mut report: Report, parts: Vec<Checked>) -> Checks {
        let objects = || parts.iter().flat_map(|part| &part.objects);
        let findings = || parts.iter().flat_map(|part| &part.findings);
        let summary = &mut report.summary;
        summary.objects = objects().count();
        summary.not_checked = objects().filter(|object| !object.checked).count();
        for finding in findings() {
            let count = match (finding.exempted, finding.severity) {
                (true, _) => &mut summary.exempted,
                (false, Severity::Critical) => &mut summary.critical,
                (false, Severity::High) => &mut summary.high,
                (false, Severity::Medium) => &mut summary.medium,
                (false, Severity::Low) => &mut summary.low,
                (false, Severity::Info) => &mut summary.info,
            };
            *count += 1;
        }
        report.score = rampart_core::score::overall(
            objects().map(|object| (object.score, object.judged)),
            findings().filter(|finding| !finding.exempted).map(|finding| finding.severity),
        );
        report.grade = rampart_core::score::grade(report.score);
        Checks { report, parts, held: Vec::new() }
    }

    /// Moves the parts into the report's lists (each finding's `object` counted from the
    /// first object), for the reports that read them whole.
    pub fn join(&mut self) -> &mut Report {
        let mut parts = std::mem::take(&mut self.parts).into_iter();
        let report = &mut self.report;
        if let Some(first) = parts.next() {
            // The first part (one thread's only one) is moved, not copied.
            report.objects = first.objects;
            report.findings = first.findings;
        }
        let parts: Vec<Checked> = parts.collect();
        report.objects.reserve(parts.iter().map(|part| part.objects.len()).sum());
        report.findings.reserve(parts.iter().map(|part| part.findings.len()).sum());
        for part in parts {
            let offset = report.objects.len();
            report.objects.extend(part.objects);
            report.findings.extend(part.findings.into_iter().map(|mut finding| {
                finding.object += offset;
                finding
            }));
        }
        report
    }

    /// Whether any finding (not exempted) is at or above `threshold`.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.report.fails_at(threshold)
            || self.parts.iter().flat_map(|part| &part.findings).any(|f| !f.exempted && f.severity >= threshold)
    }

    /// Writes the report as [`rampart_core::report::json`] gives it, byte for byte
    /// ([`write_json`]), from the parts as they are.
    pub fn write_json(&mut self, writer: impl std::io::Write, threads: usize) -> std::io::Result<()> {
        let objects = std::mem::take(&mut self.report.objects);
        let findings = std::mem::take(&mut self.report.findings);
        let object_parts: Vec<&[ObjectReport]> =
            std::iter::once(objects.as_slice()).chain(self.parts.iter().map(|part| part.objects.as_slice())).collect();
        let finding_parts: Vec<&[Finding]> = std::iter::once(findings.as_slice())
            .chain(self.parts.iter().map(|part| part.findings.as_slice()))
            .collect();
        let written = write_lists(&self.report, &object_parts, &finding_parts, writer, threads, ELEMENTS_PER_CHUNK);
        self.report.objects = objects;
        self.report.findings = findings;
        written
    }
}

/// `each` of the items on `threads` threads (this one and `threads - 1` more; a thread
/// takes the next item not yet taken), the results in the items' order.
pub fn map_in_order<T: Sync, R: Send>(items: &[T], threads: usize, each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(each).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let position = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(position) else { break };
            done.push((position, each(item)));
        }
        done
    };
    let mut done: Vec<(usize, R)> = on_threads(threads.min(items.len()), work).into_iter().flatten().collect();
    done.sort_unstable_by_key(|(position, _)| *position);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `work` run on `threads` threads: this one (which would otherwise only wait) and
/// `threads - 1` spawned; the results of each.
fn on_threads<R: Send>(threads: usize, work: impl Fn() -> R + Sync) -> Vec<R> {
    if threads <= 1 {
        return vec![work()];
    }
    thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(&work)).collect();
        let mut results = vec![work()];
        results.extend(helpers.into_iter().map(|helper| helper.join().expect("a thread panicked")));
        results
    })
}

/// What reading one source gave: its objects and its parse errors.
pub type Read = (Vec<Object>, Vec<ParseError>);

/// The objects and parse errors of the source at `position` among the sources.
pub fn read_and_parse(position: usize, source: &Source, options: &Options) -> Read {
    read_objects(position, source, &options.limits)
}

/// Every source's objects and errors, in source order: those of `parsed`, and the sources
/// it lacks parsed on `threads` threads.
fn parse(sources: &[Source], mut parsed: Vec<Option<Read>>, options: &Options, threads: usize) -> Read {
    parsed.resize_with(sources.len(), || None);
    let missing: Vec<usize> = (0..sources.len()).filter(|&position| parsed[position].is_none()).collect();
    let read = map_in_order(&missing, threads, |&position| read_and_parse(position, &sources[position], options));
    for (position, read) in missing.into_iter().zip(read) {
        parsed[position] = Some(read);
    }
    let mut objects = Vec::with_capacity(parsed.iter().flatten().map(|(objects, _)| objects.len()).sum());
    let mut errors = Vec::new();
    for (source_objects, source_errors) in parsed.into_iter().flatten() {
        objects.extend(source_objects);
        errors.extend(source_errors);
    }
    (objects, errors)
}

/// Contiguous runs covering `0..length` in order: a few per thread (threads take the next
/// run not yet taken, so one slow run does not hold the others up), none shorter than
/// [`OBJECTS_PER_THREAD`] unless the whole is.
fn runs(length: usize, threads: usize) -> Vec<std::ops::Range<usize>> {
    let count = (threads * RUNS_PER_THREAD).min(length / OBJECTS_PER_THREAD).max(1);
    (0..count).map(|index| length * index / count..length * (index + 1) / count).collect()
}

/// Runs of objects per thread: enough to even out objects of unequal cost.
const RUNS_PER_THREAD: usize = 8;

/// Checks the objects run by run on `threads` threads, works out the fixes of each run's
/// findings (with [`Options::fixes`]) on the thread that checked it, while its trees are
/// in the cache, as the engine's own `fix` step would, and returns the runs' results in
/// order. Each thread keeps one [`Checker`], which skips the objects between the runs it
/// takes (anchors depend on what came first).
fn check_runs(
    index: &Index,
    options: &Options,
    sources: &[Source],
    objects: &[Object],
    threads: usize,
) -> Vec<Checked> {
    let cx = fix_cx(index, options);
    // One thread checks everything in one run: each run's list of findings is made room for
    // up front, and the room a run leaves unused is memory touched for nothing.
    let runs = if threads <= 1 { std::iter::once(0..objects.len()).collect() } else { runs(objects.len(), threads) };
    let next = AtomicUsize::new(0);
    let work = || {
        let mut checker = Checker::new(index, options);
        let mut checked_up_to = 0;
        let mut done = Vec::new();
        loop {
            let position = next.fetch_add(1, Ordering::Relaxed);
            let Some(run) = runs.get(position) else { break };
            checker.skip(&objects[checked_up_to..run.start]);
            let mut checked = checker.check(sources, &objects[run.clone()]);
            if options.fixes {
                rampart_core::fix::attach_fixes(&cx, sources, &objects[run.clone()], &mut checked.findings);
            }
            checked_up_to = run.end;
            done.push((position, checked));
        }
        done
    };
    let mut parts: Vec<(usize, Checked)> =
        on_threads(threads.clamp(1, runs.len()), work).into_iter().flatten().collect();
    parts.sort_unstable_by_key(|(position, _)| *position);
    parts.into_iter().map(|(_, part)| part).collect()
}

/// Elements of a report's list serialized by one thread in one go.
const ELEMENTS_PER_CHUNK: usize = 256;
/// How many chunks per thread a worker may serialize past the last one written.
const CHUNKS_AHEAD: usize = 4;

/// Writes the report as [`rampart_core::report::json`] gives it, byte for byte, with its
/// two long lists (objects, findings) written by hand ([`json`]) on `threads` threads, in
/// chunks written in order as they are done ([`write_list`]). The rest of the report
/// (score, errors, summary, policies) is small and serialized by `serde_json` as the
/// report's own `Serialize` does.
pub fn write_json(report: &mut Report, writer: impl std::io::Write, threads: usize) -> std::io::Result<()> {
    write_json_in_chunks(report, writer, threads, ELEMENTS_PER_CHUNK)
}

fn write_json_in_chunks(
    report: &mut Report,
    writer: impl std::io::Write,
    threads: usize,
    chunk: usize,
) -> std::io::Result<()> {
    let objects = std::mem::take(&mut report.objects);
    let findings = std::mem::take(&mut report.findings);
    let written = write_lists(report, &[&objects], &[&findings], writer, threads, chunk);
    report.objects = objects;
    report.findings = findings;
    written
}

/// Writes `report`, whose own lists are empty, with its lists made of the slices of
/// `objects` and of `findings`, one after the other.
fn write_lists(
    report: &Report,
    objects: &[&[ObjectReport]],
    findings: &[&[Finding]],
    mut writer: impl std::io::Write,
    threads: usize,
    chunk: usize,
) -> std::io::Result<()> {
    debug_assert!(report.objects.is_empty() && report.findings.is_empty());
    let skeleton = rampart_core::report::json(report);
    let rest = splice(&mut writer, &skeleton, "\n  \"objects\": []", |writer| {
        write_list(objects, writer, threads, chunk, json::objects)
    })?;
    let rest = splice(&mut writer, rest, "\n  \"findings\": []", |writer| {
        write_list(findings, writer, threads, chunk, json::findings)
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
/// `serialize` appends a chunk of elements, each after a comma (but the first of the
/// list), a newline and its indentation. On more than one thread, `threads` workers take
/// the next chunk not yet taken and hand its text to this thread, which writes the texts
/// in order as they come. A worker takes no chunk more than [`CHUNKS_AHEAD`] per thread
/// past the last one written, so only a few chunks' texts are held at once, and their
/// buffers, once written, are handed back to the workers: the text of a large report
/// (133 MB for 10,000 files) goes through the same few megabytes.
fn write_list<T: Sync>(
    elements: &[&[T]],
    writer: &mut dyn std::io::Write,
    threads: usize,
    chunk: usize,
    serialize: impl Fn(&[T], bool, &mut Vec<u8>, &mut json::Escaped) + Sync,
) -> std::io::Result<()> {
    let chunks: Vec<&[T]> = elements.iter().flat_map(|elements| elements.chunks(chunk)).collect();
    if chunks.is_empty() {
        return Ok(());
    }
    if threads <= 1 || chunks.len() == 1 {
        let mut text = Vec::new();
        let mut escaped = json::Escaped::new();
        for (position, chunk) in chunks.iter().enumerate() {
            text.clear();
            serialize(chunk, position == 0, &mut text, &mut escaped);
            writer.write_all(&text)?;
        }
        return writer.write_all(b"\n  ");
    }
    let next = AtomicUsize::new(0);
    let written_count = AtomicUsize::new(0);
    let failed = std::sync::atomic::AtomicBool::new(false);
    let ahead = threads * CHUNKS_AHEAD;
    let (done, texts) = std::sync::mpsc::channel::<(usize, Vec<u8>)>();
    let spare = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
    let result = thread::scope(|scope| {
        for _ in 1..threads.min(chunks.len()) {
            let done = done.clone();
            let (next, written_count, failed, chunks, serialize, spare) =
                (&next, &written_count, &failed, &chunks, &serialize, &spare);
            scope.spawn(move || {
                let mut escaped = json::Escaped::new();
                loop {
                    let position = next.fetch_add(1, Ordering::Relaxed);
                    let Some(chunk) = chunks.get(position) else { break };
                    while position >= written_count.load(Ordering::Acquire) + ahead && !failed.load(Ordering::Relaxed) {
                        thread::yield_now();
                    }
                    let spare = spare.lock().ok().and_then(|mut spare| spare.pop());
                    let mut text = spare.unwrap_or_else(|| Vec::with_capacity(chunk.len() * 1024));
                    serialize(chunk, position == 0, &mut text, &mut escaped);
                    // The receiver is gone only when writing failed: nothing more is wanted.
                    if done.send((position, text)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        // This thread serializes chunks too, between writing those that are done in order,
        // and waits for the others' only when no chunk is left to take (or it is as far
        // ahead as they may be).
        let mut escaped = json::Escaped::new();
        let mut waiting = std::collections::BTreeMap::new();
        let mut written = 0;
        while written < chunks.len() {
            waiting.extend(texts.try_iter());
            while let Some(mut text) = waiting.remove(&written) {
                if let Err(error) = writer.write_all(&text) {
                    // The workers stop at their next chunk (the receiver is dropped).
                    failed.store(true, Ordering::Relaxed);
                    return Err(error);
                }
                written += 1;
                written_count.store(written, Ordering::Release);
                text.clear();
                if let Ok(mut spare) = spare.lock() {
                    spare.push(text);
                }
            }
            if written == chunks.len() {
                break;
            }
            let taken = (next.load(Ordering::Relaxed) < written + ahead)
                .then(|| next.fetch_add(1, Ordering::Relaxed))
                .and_then(|position| Some((position, chunks.get(position)?)));
            match taken {
                Some((position, chunk)) => {
                    let spare = spare.lock().ok().and_then(|mut spare| spare.pop());
                    let mut text = spare.unwrap_or_else(|| Vec::with_capacity(chunk.len() * 1024));
                    serialize(chunk, position == 0, &mut text, &mut escaped);
                    waiting.insert(position, text);
                }
                None => match texts.recv() {
                    Ok((position, text)) => {
                        waiting.insert(position, text);
                    }
                    // Every helper is done, and what they sent is in `waiting`.
                    Err(_) => {
                        if !waiting.contains_key(&written) {
                            break;
                        }
                    }
                },
            }
        }
        Ok(())
    });
    result?;
    writer.write_all(b"\n  ")
}

/// The report's objects and findings as `serde_json`'s pretty printer writes them at
/// their depth in the report (elements four spaces in), without going through `Serialize`:
/// keys, punctuation and indentation are written as constants, the strings of the rules'
/// catalog (ids, titles, remediations) escaped once per writer and copied after
/// ([`json::Escaped`]), and each object's resource made once for all its findings.
/// `json_on_threads_is_the_report_byte_for_byte` holds the text to the report's derived
/// `Serialize`, byte for byte.
mod json {
    use std::borrow::Cow;
    use std::sync::Arc;

    use rampart_core::engine::{Finding, ObjectReport};
    use rampart_core::fix::Fix;
    use rampart_core::object::Resource;
    use rampart_core::Severity;

    /// Slots of each of [`Escaped`]'s tables (a power of two, about twice the catalog's
    /// rules).
    const SLOTS: usize = 256;

    /// The slot of `key`, first tried at the slot of `address`: the slot that holds it, or
    /// the first free one after (the slot of `address` when the table is full).
    /// The text stored under `key`, made by `make` (into an empty buffer) and stored when
    /// the key's slot holds another key or nothing (a full table gives up the slot).
    fn cached<K: PartialEq>(
        table: &mut [Option<(K, Vec<u8>)>],
        key: K,
        address: usize,
        make: impl FnOnce(&mut Vec<u8>),
    ) -> &[u8] {
        let at = slot(table, &key, address);
        let entry = &mut table[at];
        if !entry.as_ref().is_some_and(|(known, _)| *known == key) {
            let mut text = Vec::new();
            make(&mut text);
            *entry = Some((key, text));
        }
        let Some((_, text)) = entry else { unreachable!("the slot was filled above") };
        text
    }

    fn slot<K: PartialEq, V>(table: &[Option<(K, V)>], key: &K, address: usize) -> usize {
        let first = ((address >> 3) ^ (address >> 11)) & (SLOTS - 1);
        let mut at = first;
        for _ in 0..SLOTS {
            match &table[at] {
                Some((known, _)) if known != key => at = (at + 1) & (SLOTS - 1),
                _ => return at,
            }
        }
        first
    }

    /// A string's identity while it lives: its address and length.
    fn key(text: &str) -> (usize, usize) {
        (text.as_ptr() as usize, text.len())
    }

    /// JSON texts of `'static` strings (the catalog's rule ids, titles and remediations,
    /// which every finding of a rule repeats), made once and copied after. A string is
    /// known by its address and length, which no other `'static` string of different
    /// content shares; tables are open-addressed by the address.
    pub struct Escaped {
        /// A string as a JSON string.
        strings: Table<(usize, usize)>,
        /// A string as an element of a list of strings, after its comma: `,\n        "id"`.
        items: Table<(usize, usize)>,
        /// A finding's rule, severity and title, from the rule's opening quote to the
        /// title's closing one, by the rule's and the title's identities.
        heads: Table<Head>,
    }

    type Head = ((usize, usize), (usize, usize), Severity);

    /// Texts by key, open-addressed.
    type Table<K> = Vec<Option<(K, Vec<u8>)>>;

    impl Escaped {
        pub fn new() -> Escaped {
            Escaped {
                strings: std::iter::repeat_with(|| None).take(SLOTS).collect(),
                items: std::iter::repeat_with(|| None).take(SLOTS).collect(),
                heads: std::iter::repeat_with(|| None).take(SLOTS).collect(),
            }
        }

        /// Appends `text` as a JSON string.
        fn text(&mut self, out: &mut Vec<u8>, text: &'static str) {
            let key = key(text);
            out.extend_from_slice(cached(&mut self.strings, key, key.0, |escaped| string(escaped, text)));
        }

        /// Appends a string that is `'static` when borrowed as a JSON string.
        // A `&str` would not tell a `'static` string (the catalog's) from an owned one.
        #[allow(clippy::ptr_arg)]
        fn cow(&mut self, out: &mut Vec<u8>, text: &Cow<'static, str>) {
            match text {
                Cow::Borrowed(text) => self.text(out, text),
                Cow::Owned(text) => string(out, text),
            }
        }

        /// Appends `text` as an element of a list of strings (`first`: the list's first).
        fn item(&mut self, out: &mut Vec<u8>, text: &'static str, first: bool) {
            let key = key(text);
            let escaped = cached(&mut self.items, key, key.0, |escaped| {
                escaped.extend_from_slice(b",\n        ");
                string(escaped, text);
            });
            out.extend_from_slice(if first { &escaped[1..] } else { escaped });
        }

        /// Appends a finding's rule, severity and title, from the rule's opening quote.
        fn head(&mut self, out: &mut Vec<u8>, finding: &Finding) {
            let (Cow::Borrowed(rule), Cow::Borrowed(title)) = (&finding.rule, &finding.title) else {
                return head(out, &finding.rule, finding.severity, &finding.title);
            };
            let known: Head = (key(rule), key(title), finding.severity);
            let address = known.0 .0;
            out.extend_from_slice(cached(&mut self.heads, known, address, |escaped| {
                head(escaped, rule, finding.severity, title)
            }));
        }
    }

    /// A finding's rule, severity and title, from the rule's opening quote.
    fn head(out: &mut Vec<u8>, rule: &str, severity: Severity, title: &str) {
        string(out, rule);
        out.extend_from_slice(b",\n      \"severity\": \"");
        out.extend_from_slice(severity.as_str().as_bytes());
        out.extend_from_slice(b"\",\n      \"title\": ");
        string(out, title);
    }

    /// Whether a byte needs an escape in a JSON string (as `serde_json` escapes: `"`,
    /// `\\` and control characters).
    fn needs_escape(byte: u8) -> bool {
        byte < 0x20 || byte == b'"' || byte == b'\\'
    }

    /// Whether any of sixteen bytes needs an escape: a loop without an early exit, which
    /// the compiler turns into a few vector compares.
    fn flagged(block: &[u8; 16]) -> bool {
        let mut flagged = false;
        for &byte in block {
            flagged |= needs_escape(byte);
        }
        flagged
    }

    /// Where the first byte that needs an escape is, if any: sixteen bytes at a time (the
    /// tail as the last sixteen bytes, when the text has that many), then byte by byte
    /// in the block that has one.
    fn first_escape(bytes: &[u8]) -> Option<usize> {
        let block = |at: usize| bytes.get(at..at + 16).and_then(|block| <&[u8; 16]>::try_from(block).ok());
        let mut clean = 0;
        while let Some(block) = block(clean) {
            if flagged(block) {
                break;
            }
            clean += 16;
        }
        if clean < bytes.len() && clean + 16 > bytes.len() {
            // The last sixteen bytes, of which those before `clean` are clean.
            if bytes.len().checked_sub(16).and_then(block).is_some_and(|tail| !flagged(tail)) {
                return None;
            }
        }
        bytes[clean..].iter().position(|&byte| needs_escape(byte)).map(|at| clean + at)
    }

    /// Appends `text` as a JSON string, escaped as `serde_json` escapes it: `"` and `\\`,
    /// and control characters (short forms where JSON has them); nothing else. The runs
    /// between escapes are found a block at a time and copied whole.
    pub fn string(out: &mut Vec<u8>, text: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = text.as_bytes();
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        let mut start = 0;
        while let Some(at) = first_escape(&bytes[start..]) {
            let at = start + at;
            out.extend_from_slice(&bytes[start..at]);
            let byte = bytes[at];
            match byte {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                _ => out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(byte >> 4)],
                    HEX[usize::from(byte & 0xf)],
                ]),
            }
            start = at + 1;
        }
        out.extend_from_slice(&bytes[start..]);
        out.push(b'"');
    }

    /// Appends a number (most are below a hundred: lines, columns, documents).
    pub fn number(out: &mut Vec<u8>, value: u64) {
        if value < 10 {
            out.push(b'0' + value as u8);
            return;
        }
        if value < 100 {
            out.extend_from_slice(&[b'0' + (value / 10) as u8, b'0' + (value % 10) as u8]);
            return;
        }
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut value = value;
        while value > 0 {
            at -= 1;
            digits[at] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        out.extend_from_slice(&digits[at..]);
    }

    fn optional_string(out: &mut Vec<u8>, text: Option<&str>) {
        match text {
            Some(text) => string(out, text),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// An object's resource, as a field's value of an element of a report's list.
    pub fn resource(out: &mut Vec<u8>, resource: &Resource) {
        out.extend_from_slice(b"{\n        \"apiVersion\": ");
        string(out, &resource.api_version);
        out.extend_from_slice(b",\n        \"kind\": ");
        string(out, &resource.kind);
        out.extend_from_slice(b",\n        \"namespace\": ");
        optional_string(out, resource.namespace.as_deref());
        out.extend_from_slice(b",\n        \"name\": ");
        string(out, &resource.name);
        out.extend_from_slice(b",\n        \"source\": ");
        string(out, &resource.source);
        out.extend_from_slice(b",\n        \"document\": ");
        number(out, resource.document as u64);
        if let Some(kustomization) = &resource.kustomization {
            out.extend_from_slice(b",\n        \"kustomization\": ");
            string(out, kustomization);
        }
        out.extend_from_slice(b"\n      }");
    }

    /// A list of strings as a field's value.
    fn strings<'s>(out: &mut Vec<u8>, items: impl ExactSizeIterator<Item = &'s str>) {
        if items.len() == 0 {
            out.extend_from_slice(b"[]");
            return;
        }
        out.push(b'[');
        for (index, item) in items.enumerate() {
            out.extend_from_slice(if index == 0 { b"\n        " } else { b",\n        " });
            string(out, item);
        }
        out.extend_from_slice(b"\n      ]");
    }

    /// A list of the catalog's rule ids as a field's value.
    fn rule_ids(out: &mut Vec<u8>, ids: &[&'static str], escaped: &mut Escaped) {
        if ids.is_empty() {
            out.extend_from_slice(b"[]");
            return;
        }
        out.push(b'[');
        for (index, id) in ids.iter().enumerate() {
            escaped.item(out, id, index == 0);
        }
        out.extend_from_slice(b"\n      ]");
    }

    /// A chunk of the report's objects (`first`: the chunk starts the list).
    pub fn objects(objects: &[ObjectReport], first: bool, out: &mut Vec<u8>, escaped: &mut Escaped) {
        for (index, object) in objects.iter().enumerate() {
            out.extend_from_slice(if first && index == 0 {
                b"\n    {\n      \"resource\": "
            } else {
                b",\n    {\n      \"resource\": "
            });
            resource(out, &object.resource);
            out.extend_from_slice(if object.checked {
                b",\n      \"checked\": true,\n      \"score\": "
            } else {
                b",\n      \"checked\": false,\n      \"score\": "
            });
            match object.score {
                Some(score) => number(out, u64::from(score)),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\n      \"grade\": ");
            optional_string(out, object.grade);
            out.extend_from_slice(b",\n      \"pss\": ");
            optional_string(out, object.pss.map(|level| level.as_str()));
            out.extend_from_slice(b",\n      \"passed\": ");
            rule_ids(out, &object.passed, escaped);
            out.extend_from_slice(b",\n      \"failed\": ");
            rule_ids(out, &object.failed, escaped);
            if !object.passed_policies.is_empty() {
                out.extend_from_slice(b",\n      \"passed_policies\": ");
                strings(out, object.passed_policies.iter().map(String::as_str));
            }
            if !object.failed_policies.is_empty() {
                out.extend_from_slice(b",\n      \"failed_policies\": ");
                strings(out, object.failed_policies.iter().map(String::as_str));
            }
            out.extend_from_slice(b",\n      \"line\": ");
            number(out, u64::from(object.line));
            out.extend_from_slice(b"\n    }");
        }
    }

    /// A chunk of the report's findings (`first`: the chunk starts the list). A resource's
    /// text (with the keys around it) is made once for the findings of its object (a
    /// dozen, often), which follow one another.
    pub fn findings(findings: &[Finding], first: bool, out: &mut Vec<u8>, escaped: &mut Escaped) {
        let mut resource_text = Vec::with_capacity(512);
        let mut last: Option<&Arc<Resource>> = None;
        for (index, finding) in findings.iter().enumerate() {
            if !last.is_some_and(|last| Arc::ptr_eq(last, &finding.resource)) {
                resource_text.clear();
                resource_text.extend_from_slice(b",\n      \"resource\": ");
                resource(&mut resource_text, &finding.resource);
                resource_text.extend_from_slice(b",\n      \"path\": ");
                last = Some(&finding.resource);
            }
            out.extend_from_slice(if first && index == 0 {
                b"\n    {\n      \"rule\": "
            } else {
                b",\n    {\n      \"rule\": "
            });
            escaped.head(out, finding);
            out.extend_from_slice(b",\n      \"message\": ");
            string(out, &finding.message);
            out.extend_from_slice(b",\n      \"remediation\": ");
            escaped.cow(out, &finding.remediation);
            out.extend_from_slice(&resource_text);
            string(out, &finding.path);
            out.extend_from_slice(b",\n      \"line\": ");
            number(out, u64::from(finding.line));
            out.extend_from_slice(b",\n      \"column\": ");
            number(out, u64::from(finding.column));
            match (finding.exempted, finding.exemption_reason.as_deref()) {
                (false, None) => out.extend_from_slice(
                    b",\n      \"exempted\": false,\n      \"exemption_reason\": null,\n      \"fix\": ",
                ),
                (exempted, reason) => {
                    out.extend_from_slice(if exempted {
                        b",\n      \"exempted\": true,\n      \"exemption_reason\": "
                    } else {
                        b",\n      \"exempted\": false,\n      \"exemption_reason\": "
                    });
                    optional_string(out, reason);
                    out.extend_from_slice(b",\n      \"fix\": ");
                }
            }
            match &finding.fix {
                Some(found) => fix(out, found),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b"\n    }");
        }
    }

    /// A finding's fix: its safety and its edits (byte range, replacement, and the range
    /// as lines and columns).
    fn fix(out: &mut Vec<u8>, fix: &Fix) {
        out.extend_from_slice(b"{\n        \"safety\": ");
        string(out, fix.safety.as_str());
        out.extend_from_slice(b",\n        \"edits\": ");
        if fix.edits.is_empty() {
            out.extend_from_slice(b"[]");
        } else {
            out.push(b'[');
            for (index, edit) in fix.edits.iter().enumerate() {
                out.extend_from_slice(if index == 0 {
                    b"\n          {\n            \"range\": {\n              \"start\": "
                } else {
                    b",\n          {\n            \"range\": {\n              \"start\": "
                });
                number(out, edit.range.start as u64);
                out.extend_from_slice(b",\n              \"end\": ");
                number(out, edit.range.end as u64);
                out.extend_from_slice(b"\n            },\n            \"replacement\": ");
                string(out, &edit.replacement);
                out.extend_from_slice(b",\n            \"start\": {\n              \"line\": ");
                number(out, u64::from(edit.start.line));
                out.extend_from_slice(b",\n              \"column\": ");
                number(out, u64::from(edit.start.column));
                out.extend_from_slice(b"\n            },\n            \"end\": {\n              \"line\": ");
                number(out, u64::from(edit.end.line));
                out.extend_from_slice(b",\n              \"column\": ");
                number(out, u64::from(edit.end.column));
                out.extend_from_slice(b"\n            }\n          }");
            }
            out.extend_from_slice(b"\n        ]");
        }
        out.extend_from_slice(b"\n      }");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
        // Every kind of value the hand-written lists hold: exempted findings with reasons,
        // fixes inserting lines (newlines in their replacements), strings that
        // need every escape, non-ASCII text, objects not checked, a kustomization.
        let odd = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"we\\\"ird\\\\n\\u0001\\u001f\\b\\f\\t\\r\\né\"\n  namespace: \"ns/ü\"\n  annotations:\n    rampart.dev/ignore: pss-privileged, pss-run-as-non-root\n    rampart.dev/ignore-reason: \"a \\\"reason\\\"\\n\"\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        securityContext:\n          privileged: true\n---\nfoo: bar\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  DB_PASSWORD: \"s3cr\\\"t\"\n";
        let sources = [Source::new("odd \"dir\"/ö.yaml", odd), Source::new("p.yaml", manifest(1))];
        let mut report = rampart_core::check(&sources, &Options::default());
        assert!(report.findings.iter().any(|finding| finding.exempted && finding.exemption_reason.is_some()));
        let inserts_lines = |fix: &rampart_core::fix::Fix| fix.edits.iter().any(|edit| edit.replacement.contains('\n'));
        assert!(report.findings.iter().any(|finding| finding.fix.as_ref().is_some_and(inserts_lines)));
        assert!(report.objects.iter().any(|object| !object.checked));
        // A rule, title and remediation that are not the catalog's (a custom policy's), with
        // escapes, beside the catalog's own.
        let policy = &mut report.findings[1];
        policy.rule = "vap/\"odd\"".to_string().into();
        policy.title = "a \\ title\n".to_string().into();
        policy.remediation = "do \"this\"".to_string().into();
        let mut resource = (*report.objects[0].resource).clone();
        resource.kustomization = Some("overlays/\"prod\"".to_string());
        let resource = Arc::new(resource);
        let first = report.objects[0].resource.clone();
        report.objects[0].resource = resource.clone();
        for finding in report.findings.iter_mut().filter(|finding| Arc::ptr_eq(&finding.resource, &first)) {
            finding.resource = resource.clone();
        }
        for (threads, chunk) in [(1, 1), (2, 1), (2, 3), (3, ELEMENTS_PER_CHUNK)] {
            let mut written = Vec::new();
            write_json_in_chunks(&mut report, &mut written, threads, chunk).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), rampart_core::report::json(&report), "odd strings");
        }
        // A parse error only: both lists empty.
        let mut report = rampart_core::check(&[Source::new("bad.yaml", "a: [1\n")], &Options::default());
        let mut written = Vec::new();
        write_json(&mut report, &mut written, 2).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), rampart_core::report::json(&report));
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        // Lengths around the sixteen-byte blocks, one or two characters that need an
        // escape (or do not) at every place.
        for length in 0..50 {
            for at in 0..length {
                for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', '\u{7f}', 'é', '/'] {
                    let text: String = (0..length)
                        .map(|index| if index == at || index + 1 == length { special } else { 'x' })
                        .collect();
                    let mut out = b"[".to_vec();
                    json::string(&mut out, &text);
                    let expected = format!("[{}", serde_json::to_string(&text).unwrap());
                    assert_eq!(String::from_utf8(out).unwrap(), expected, "{text:?}");
                }
            }
        }
    }

    #[test]
    fn the_parts_give_the_report_of_one_check() {
        // Sources of one and of several objects, some parsed beforehand (as a directory
        // walk does) and some not, a parse error, and objects of kinds no rule knows.
        let pod = |index: usize| {
            format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{index}\n  namespace: n{}\nspec:\n  containers:\n  - name: app\n    image: nginx\n", index % 3)
        };
        let mut sources: Vec<Source> = (0..900)
            .map(|index| match index % 7 {
                0 => Source::new(format!("s{index}.yaml"), format!("{}---\n{}", pod(index), pod(index + 1))),
                1 => Source::new(format!("s{index}.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n1\n"),
                2 => Source::new(format!("s{index}.yaml"), "kind: Widget\nmetadata:\n  name: w\n"),
                _ => Source::new(format!("s{index}.yaml"), pod(index)),
            })
            .collect();
        sources.push(Source::new("bad.yaml", "a: [1\n"));
        // A complete input (`--complete`) has findings that go on the first object of the
        // input and of each namespace without its Namespace object: a thread that checks a
        // run must know what came before it.
        for (options, threads) in [false, true]
            .map(|complete| Options { complete, ..Options::default() })
            .into_iter()
            .flat_map(|options| [1, 2, 3].map(|threads| (options.clone(), threads)))
        {
            let expected = rampart_core::check(&sources, &options);
            let expected_json = rampart_core::report::json(&expected);
            let parsed = (0..sources.len())
                .map(|position| (position % 2 == 0).then(|| read_and_parse(position, &sources[position], &options)))
                .collect();
            let mut checks = check_with(&sources, parsed, Vec::new(), Vec::new(), &options, threads);
            assert_eq!(checks.report.summary.objects, expected.objects.len(), "{threads} threads");
            for severity in Severity::ALL {
                assert_eq!(checks.fails_at(severity), expected.fails_at(severity), "{threads} threads");
            }
            let mut written = Vec::new();
            checks.write_json(&mut written, threads).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), expected_json, "{threads} threads, from the parts");
            let joined = checks.join();
            assert_eq!(rampart_core::report::json(joined), expected_json, "{threads} threads, joined");
            let objects = |report: &Report| report.findings.iter().map(|finding| finding.object).collect::<Vec<_>>();
            assert_eq!(objects(joined), objects(&expected), "{threads} threads: each finding's object");
            if options.complete {
                assert!(
                    expected.findings.iter().any(|finding| finding.rule == "namespace-without-default-deny"),
                    "findings anchored on a namespace's first object"
                );
            }
        }
    }

    #[test]
    fn runs_cover_everything_in_order() {
        assert_eq!(runs(0, 4).len(), 1);
        assert_eq!(runs(0, 4)[0], 0..0);
        assert_eq!(runs(100, 4).len(), 1, "too few objects for a second run");
        assert_eq!(runs(100, 4)[0], 0..100);
        assert_eq!(runs(1000, 1), [0..125, 125..250, 250..375, 375..500, 500..625, 625..750, 750..875, 875..1000]);
        assert_eq!(runs(1000, 4).len(), 1000 / OBJECTS_PER_THREAD, "no run shorter than a thread's least");
        assert_eq!(runs(6400, 1).len(), RUNS_PER_THREAD);
        assert_eq!(runs(100_000, 2).len(), 2 * RUNS_PER_THREAD);
        for (length, threads) in [(1, 1), (63, 2), (64, 2), (1001, 3), (99_999, 4)] {
            let runs = runs(length, threads);
            assert_eq!(runs.first().map(|run| run.start), Some(0));
            assert_eq!(runs.last().map(|run| run.end), Some(length));
            assert!(runs.windows(2).all(|pair| pair[0].end == pair[1].start), "{length} {threads}");
        }
    }
}
