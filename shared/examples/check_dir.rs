//! The check that `rampart check -o json DIR` runs, as a small release binary for the
//! whole-process benchmark (`cargo run --release -p rampart-core --example check_dir --
//! DIR`): the directory walked in sorted order (`.yaml`, `.yml`, `.json`), every file
//! read, parsed and checked on every core by the command line's own parallel check
//! (`RAMPART_THREADS` to choose), the JSON report written to stdout. It leaves out what
//! the command line adds around the check (argument parsing, a configuration file,
//! Kustomize patches), so it builds from the engine's few dependencies in a minute,
//! where the `rampart` binary needs the server's. `cargo xtask bench cli` times the
//! `rampart` binary itself.

use std::path::{Path, PathBuf};

use rampart_core::{Options, Source};

/// The allocator of the `rampart` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../../backend/src/parallel.rs"]
#[allow(dead_code)]
mod parallel;

fn walk(directory: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(&path, files);
        } else if path
            .extension()
            .and_then(|extension| extension.to_str())
            .is_some_and(|extension| ["yaml", "yml", "json"].iter().any(|known| extension.eq_ignore_ascii_case(known)))
        {
            files.push(path);
        }
    }
}

fn main() {
    let Some(directory) = std::env::args().nth(1) else {
        eprintln!("usage: check_dir DIR");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    walk(Path::new(&directory), &mut files);
    let threads = parallel::threads();
    let options = Options::default();
    // Read and parsed on every core, as `rampart check` reads a directory's files.
    let read = parallel::map_in_order(&files, threads, |path| {
        let source = Source::new(path.display().to_string(), std::fs::read_to_string(path).ok()?);
        let parsed = parallel::read_and_parse(0, &source, &options);
        Some((source, parsed))
    });
    let mut sources = Vec::with_capacity(read.len());
    let mut parsed = Vec::with_capacity(read.len());
    for (source, (mut objects, errors)) in read.into_iter().flatten() {
        for object in &mut objects {
            object.source = sources.len();
        }
        sources.push(source);
        parsed.push(Some((objects, errors)));
    }
    let mut checks = parallel::check_with(&sources, parsed, Vec::new(), Vec::new(), &options, threads);
    let stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let _ = checks.write_json(stdout, threads);
    // As `rampart check` does: the process ends, nothing is freed one by one.
    std::mem::forget(checks);
    std::mem::forget(sources);
}
