//! The fast path for common manifest YAML builds exactly the tree the general parser
//! builds, wherever it accepts a document: on the PSS corpus, the examples, the benchmark
//! corpus, and thousands of mangled manifests.

use rampart_core::parse::fast_path_agrees;

#[path = "../benches/corpus/mod.rs"]
#[allow(dead_code)]
mod corpus;

fn files_under(directory: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in
        std::fs::read_dir(directory).unwrap_or_else(|error| panic!("cannot read {}: {error}", directory.display()))
    {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "yaml") {
            found.push(path);
        }
    }
}

#[test]
fn the_fast_path_agrees_on_real_manifests() {
    let mut files = Vec::new();
    files_under(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/pss")), &mut files);
    files_under(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples")), &mut files);
    assert!(files.len() > 4500);
    let mut fast = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        fast += fast_path_agrees(&text).unwrap_or_else(|problem| panic!("{}: {problem}", file.display()));
    }
    // Nearly every one of these documents is plain manifest YAML.
    assert!(fast > 4500, "the fast path read only {fast} documents");
}

#[test]
fn the_fast_path_agrees_on_the_benchmark_corpus() {
    let corpus = corpus::generate(2_000);
    let fast = fast_path_agrees(&corpus.text).unwrap_or_else(|problem| panic!("{problem}"));
    assert!(fast * 10 >= corpus.n_objects * 9, "the fast path read only {fast} of {} documents", corpus.n_objects);
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

#[test]
fn the_fast_path_agrees_on_mangled_manifests() {
    let deployment =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/hardened-deployment.yaml")).unwrap();
    let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a.yaml: |\n    x: 1\n    # not a comment\n\n      y: [2]\n  b: |-\n    one\n\n    two\n  c: |+\n    kept\n\n  d: 'x'\n";
    let pieces = [
        ":", "-", "- ", "[", "]", "{", "}", "&a ", "*a", "'", "\"", "|", ">", "#", " #", "\n", " ", "  ", "---\n",
        "? ", ",", ": ", "é", "\\", "-1", "[]", "{}", "x: y", "- a", "'q''q'", "\"e\\n\"", "\n  ", "\n- ", "null", "~",
    ];
    let mut random = Random(0xfa57_9a75);
    let seeds: [Vec<char>; 2] = [deployment.chars().collect(), config_map.chars().collect()];
    let mut fast = 0;
    for round in 0..6000 {
        let mut text = seeds[round % 2].clone();
        for _ in 0..1 + random.below(4) {
            let at = random.below(text.len() + 1);
            match random.below(3) {
                0 => {
                    let end = (at + random.below(8)).min(text.len());
                    text.drain(at..end);
                }
                _ => {
                    let piece = pieces[random.below(pieces.len())];
                    text.splice(at..at, piece.chars());
                }
            }
        }
        let text: String = text.into_iter().collect();
        fast += fast_path_agrees(&text).unwrap_or_else(|problem| panic!("{problem}"));
    }
    assert!(fast > 1000, "the mangled inputs barely exercised the fast path: {fast}");
}

/// NUL ends the general parser's input, which reports it ("found unprintable character")
/// where the fast path once read past it: the fast path leaves such a document alone.
/// (Found by the `fast_path` fuzz target: `fuzz/regressions/fast_path/`.)
#[test]
fn the_fast_path_leaves_nul_to_the_general_parser() {
    let text = "apiVersion: v1\nkind: Pod\nspec:\n  t\0pe: Localhost\n";
    assert_eq!(rampart_core::parse::fast_path_agrees(text), Ok(0));
    let (_, errors) =
        rampart_core::parse::parse_source(&rampart_core::Source::new("p.yaml", text), &Default::default());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 4, "{errors:?}");
}
