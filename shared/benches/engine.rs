//! Engine throughput over a generated corpus of 10,000 mixed objects (see `corpus/`).
//!
//! `cargo bench -p rampart-core` prints, for parsing alone (text to positioned objects) and
//! for a whole check (parse, every rule, scores), the time per corpus and the throughput
//! in objects per second and bytes per second. The checks' own cost is the difference of
//! the two. Goals on one core: at least 20,000 objects/s for parse + check, and the checks
//! costing no more than the parse. BENCHMARKS.md records the figures.

mod corpus;

use std::sync::LazyLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use rampart_core::object::Object;
use rampart_core::parse::parse_source;
use rampart_core::{check, Limits, Options, Source, RULES};

/// The corpus is generated once, outside any measurement.
static CORPUS: LazyLock<(Source, usize)> = LazyLock::new(|| {
    let corpus = corpus::generate(corpus::BENCH_OBJECTS);
    (Source::new("corpus.yaml", corpus.text), corpus.n_objects)
});

fn main() {
    let (source, n_objects) = &*CORPUS;
    // A generator bug would make the figures meaningless: every document must parse.
    let report = check(std::slice::from_ref(source), &Options::default());
    assert!(report.errors.is_empty(), "the generated corpus does not parse: {:?}", &report.errors[..1]);
    assert_eq!(report.objects.len(), *n_objects, "the corpus holds a different number of objects than generated");
    println!(
        "corpus: {n_objects} objects, {:.2} MB; {} rules registered; {} findings ({} exempted), score {} {}",
        source.text.len() as f64 / 1e6,
        RULES.len(),
        report.findings.len(),
        report.summary.exempted,
        report.score,
        report.grade,
    );
    divan::main();
}

/// Source text to objects: YAML parsing with positions, then object extraction.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse(bencher: Bencher) {
    let (source, n_objects) = &*CORPUS;
    let limits = Limits::default();
    bencher.counter(ItemsCount::new(*n_objects)).counter(BytesCount::of_str(&source.text)).bench(|| {
        let (documents, errors) = parse_source(black_box(source), &limits);
        let objects: Vec<Object> =
            documents.into_iter().flat_map(|document| Object::from_document(0, document)).collect();
        // Dropping the trees is part of the work, as it is inside a check.
        objects.len() + errors.len()
    });
}

/// A whole check: parse, every rule over every object, scores and the report.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse_and_check(bencher: Bencher) {
    let (source, n_objects) = &*CORPUS;
    let options = Options { fixes: false, ..Options::default() };
    bencher.counter(ItemsCount::new(*n_objects)).counter(BytesCount::of_str(&source.text)).bench(|| {
        let report = check(std::slice::from_ref(black_box(source)), &options);
        report.findings.len() + report.objects.len()
    });
}

/// The same check with every fixable finding's fix worked out (what the command line
/// and the playground run).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn parse_check_and_fixes(bencher: Bencher) {
    let (source, n_objects) = &*CORPUS;
    let options = Options::default();
    bencher.counter(ItemsCount::new(*n_objects)).counter(BytesCount::of_str(&source.text)).bench(|| {
        let report = check(std::slice::from_ref(black_box(source)), &options);
        report.findings.len() + report.objects.len()
    });
}
