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
//! checker, so with policies the objects are checked on one thread.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use rampart_core::engine::{check_objects_with, read_objects, Checked, Checker};
use rampart_core::index::Index;
use rampart_core::object::Object;
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

/// Parses and checks the sources on `threads` threads, with objects read elsewhere (a Kustomize overlay's, built) checked after the
/// sources' and their errors reported after the sources'. Their `source` is no source's
/// index: no fix is worked out for them.
pub fn check_with(
    sources: &[Source],
    extra_objects: Vec<Object>,
    extra_errors: Vec<ParseError>,
    options: &Options,
    threads: usize,
) -> Report {
    if threads <= 1 && extra_objects.is_empty() && extra_errors.is_empty() {
        return rampart_core::check(sources, options);
    }
    let (mut objects, mut errors) = parse(sources, options, threads);
    objects.extend(extra_objects);
    errors.extend(extra_errors);
    check_objects_with(
        objects,
        errors,
        options,
        |index, objects| check_runs(index, options, sources, objects, threads),
        |cx, objects, findings| attach_fixes(cx, sources, objects, findings, threads),
    )
}

/// What reading one source gave: its objects and its parse errors.
type Read = (Vec<Object>, Vec<ParseError>);

/// Every source's objects and errors, in source order.
fn parse(sources: &[Source], options: &Options, threads: usize) -> Read {
    if threads <= 1 {
        return sources.iter().enumerate().fold(
            (Vec::new(), Vec::new()),
            |(mut objects, mut errors), (position, source)| {
                let (source_objects, source_errors) = read_objects(position, source, &options.limits);
                objects.extend(source_objects);
                errors.extend(source_errors);
                (objects, errors)
            },
        );
    }
    let next = AtomicUsize::new(0);
    let mut parsed: Vec<(usize, Read)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(sources.len()).max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let position = next.fetch_add(1, Ordering::Relaxed);
                        let Some(source) = sources.get(position) else { break };
                        done.push((position, read_objects(position, source, &options.limits)));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|worker| worker.join().expect("a parsing thread panicked")).collect()
    });
    parsed.sort_unstable_by_key(|(position, _)| *position);
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for (_, (source_objects, source_errors)) in parsed {
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
    let mut rest = findings;
    thread::scope(|scope| {
        for run in runs {
            let (share, after) = std::mem::take(&mut rest).split_at_mut(run.len());
            rest = after;
            scope.spawn(move || rampart_core::fix::attach_fixes(cx, sources, objects, share));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

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
