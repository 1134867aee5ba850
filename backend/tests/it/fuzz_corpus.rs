//! The fuzz targets' corpora and regression inputs replayed through the very functions
//! the fuzzer runs (`fuzz/src/`), in an ordinary test: no fuzzer build, a few seconds.
//! `cargo xtask fuzz TARGET` grows the corpora; an input that once crashed a target is
//! kept in `fuzz/regressions/TARGET/` and must pass here for good.

#[path = "../../../fuzz/src/backend_targets.rs"]
mod backend_targets;
#[path = "../../../fuzz/src/core_targets.rs"]
mod core_targets;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Every file of `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/`, through `target`;
/// the corpus must not be empty.
fn replay(name: &str, target: fn(&[u8])) {
    let mut replayed = 0;
    for kind in ["corpus", "regressions"] {
        let directory = fuzz_dir().join(kind).join(name);
        let Ok(entries) = std::fs::read_dir(&directory) else {
            assert_eq!(kind, "regressions", "{} is missing", directory.display());
            continue;
        };
        let mut files: Vec<PathBuf> = entries.map(|entry| entry.unwrap().path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name} fails on {}", file.display());
            if kind == "corpus" {
                replayed += 1;
            }
        }
    }
    assert!(replayed > 0, "the corpus of {name} is empty");
}

#[test]
fn manifest() {
    replay("manifest", core_targets::manifest);
}

#[test]
fn fast_path() {
    replay("fast_path", core_targets::fast_path);
}

#[test]
fn check() {
    replay("check", core_targets::check);
}

#[test]
fn fix() {
    replay("fix", core_targets::fix);
}

#[test]
fn kubeconfig() {
    replay("kubeconfig", backend_targets::kubeconfig);
}

#[test]
fn cron() {
    replay("cron", backend_targets::cron);
}

#[test]
fn settings() {
    replay("settings", backend_targets::settings);
}

#[test]
fn snapshot() {
    replay("snapshot", backend_targets::snapshot);
}
