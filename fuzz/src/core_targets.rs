//! Targets of the engine (`rampart-core`): the manifest parser, the fast path against the
//! general parser, the full check and `fix::apply`.

use rampart_core::engine::{read_objects, Options};
use rampart_core::fix::{self, Safety};
use rampart_core::parse::{parse_source, Limits, Source};

/// The input as text: manifests arrive as UTF-8 (`rampart check` and the server refuse
/// anything else before parsing).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// YAML or JSON documents to positioned objects, as `rampart check`, the web app and the
/// engine read them (uploads read a document or a List item at a time: the `snapshot`
/// target). Every error has a position.
pub fn manifest(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let source = Source::new("fuzz.yaml", text);
    let (objects, errors) = read_objects(0, &source, &Limits::default());
    for object in &objects {
        assert!(object.root.span.line >= 1, "an object without a line");
    }
    for error in &errors {
        assert!(error.line >= 1, "an error without a line: {error}");
    }
}

/// The fast path (the parser of plain block YAML) must build exactly the tree the general
/// parser builds wherever it accepts a document.
pub fn fast_path(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Err(disagreement) = rampart_core::parse::fast_path_agrees(text) {
        panic!("{disagreement}");
    }
}

/// The whole check (every rule, the index, scores, fixes worked out) on the parsed objects.
pub fn check(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let sources = [Source::new("fuzz.yaml", text)];
    let report = rampart_core::check(&sources, &Options::default());
    assert!(report.score <= 100, "a score above 100: {}", report.score);
    for finding in &report.findings {
        assert!(finding.object < report.objects.len(), "a finding of an object that is not there");
        if let Some(fix) = &finding.fix {
            for edit in &fix.edits {
                assert!(edit.range.start <= edit.range.end && edit.range.end <= text.len(), "an edit outside the text");
                assert!(
                    text.is_char_boundary(edit.range.start) && text.is_char_boundary(edit.range.end),
                    "an edit inside a character"
                );
            }
        }
    }
}

/// `fix::apply` with every fix, safe or not: it never panics, and the output reads at
/// least as well as the input did (no more parse errors), as it promises.
pub fn fix(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let sources = [Source::new("fuzz.yaml", text)];
    let options = Options::default();
    let fixed = fix::apply(&sources, &options, Safety::Unsafe);
    assert_eq!(fixed.len(), 1);
    let errors = |text: &str| parse_source(&Source::new("fuzz.yaml", text), &options.limits).1.len();
    let (before, after) = (errors(text), errors(&fixed[0].text));
    assert!(after <= before, "fixing made the text less readable: {before} parse errors before, {after} after");
    assert_eq!(fixed[0].changed, fixed[0].text != text);
}
