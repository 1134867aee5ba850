//! `rampart check`: read the inputs, check them, print the report, choose the exit code.
//!
//! Inputs are gathered first: named files are read whatever their extension; directories
//! are walked recursively in sorted order (so output is the same on every machine),
//! taking `.yaml`, `.yml` and `.json` files and skipping hidden entries (`.git`) and
//! symbolic links to directories (which could loop); `-` (or no path, when stdin is piped)
//! reads stdin. A directory walk honours Kustomize ([`crate::kustomize`]): each overlay
//! (a kustomization no other one uses) is built and its objects checked as deployed, each
//! finding at the file and line to edit, and the files it was built from are not checked
//! again one by one; a kustomization that is not built (it uses more than the common
//! subset) has its files checked one by one, without those it lists as patches. The
//! kustomization files themselves are Kustomize's configuration and never checked. With
//! `--fix` or `--diff` overlays are not built: fixes are edits of files, made file by
//! file. A file named on the command line is checked whatever it is. A file that cannot
//! be read is reported on stderr and the rest is still checked; the exit code is then 2.
//! The report goes to stdout in the chosen format. Inputs are parsed and checked on every
//! core ([`crate::parallel`]), with the report a single thread would give.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use rampart_core::compliance;
use rampart_core::fix::{self, FixedSource};
use rampart_core::report;
use rampart_core::{Config, Options, Report, Safety, Source};

use crate::cli::{CheckArgs, Format};
use crate::kustomize;

/// Exit code: nothing at or above the threshold.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: a usage error, unreadable input, a bad configuration or a parse error.
pub const EXIT_ERROR: u8 = 2;

/// The configuration file read when `--config` is not given, if it exists.
const DEFAULT_CONFIG: &str = "rampart.yaml";
/// Extensions of the files taken from directories.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

pub fn run(args: &CheckArgs) -> u8 {
    let (mut config, config_path) = match load_config(args.config.as_deref()) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let pss_version = match (args.pss_version, &config.pss_version) {
        (Some(version), _) => version,
        (None, Some(text)) => match rampart_core::pss::parse_version(text) {
            Ok(version) => version,
            Err(message) => {
                eprintln!("error: {message}; fix pssVersion in the configuration");
                return EXIT_ERROR;
            }
        },
        (None, None) => rampart_core::pss::NEWEST_MINOR,
    };
    if let Some(version) = &args.kube_version {
        config.kube_version = Some(version.clone());
    }
    if args.print_config {
        let source = config_path
            .as_ref()
            .map_or("defaults only: no rampart.yaml found".to_string(), |path| path.display().to_string());
        let mut effective = config.clone();
        effective.pss_version = Some(format!("v1.{pss_version}"));
        write_stdout(&format!("# effective configuration ({source})\n{}", effective.to_yaml()));
        return 0;
    }

    let policies = match crate::policy_cmd::options(args, &config, config_path.as_deref()) {
        Ok(policies) => policies,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    let stdin_is_terminal = io::stdin().is_terminal();
    if args.paths.is_empty() && stdin_is_terminal {
        eprintln!(
            "error: nothing to check; pass files or directories (`rampart check deploy.yaml k8s/`), \
             or pipe manifests to stdin (`kubectl get deploy -A -o yaml | rampart check -`)"
        );
        return EXIT_ERROR;
    }
    let mut inputs = Inputs {
        sources: Vec::new(),
        failed: false,
        skip: config_path,
        read_stdin: false,
        build_kustomizations: !(args.fix || args.diff),
        rendered: Vec::new(),
        // Fixes are worked out from the files as they are, and the report made from the
        // fixed text: a file is parsed as it is read only when neither happens.
        parse: (!(args.fix || args.diff)).then(Options::default),
        parsed: Vec::new(),
    };
    if args.paths.is_empty() {
        inputs.add_stdin();
    }
    for path in &args.paths {
        inputs.add(path);
    }

    let options = Options { config, pss_version, complete: args.complete, policies, ..Options::default() };
    let mut report_to_stderr = false;
    if args.fix || args.diff {
        let safety = if args.unsafe_fixes { Safety::Unsafe } else { Safety::Safe };
        let fixed = fix::apply(&inputs.sources, &options, safety);
        if args.diff {
            write_stdout(&diff(&inputs.sources, &fixed));
            return if inputs.failed {
                EXIT_ERROR
            } else if fixed.iter().any(|source| source.changed) {
                EXIT_FINDINGS
            } else {
                EXIT_CLEAN
            };
        }
        report_to_stderr = inputs.sources.iter().any(|source| source.name == "-");
        if !write_fixed(&fixed, &inputs.sources) {
            inputs.failed = true;
        }
        for (source, fixed) in inputs.sources.iter_mut().zip(fixed) {
            source.text = fixed.text;
        }
    }
    // SARIF, JUnit and a framework's compliance view do not show fixes: the work of finding
    // them is skipped.
    let shows_fixes = args.framework.is_none() && matches!(args.output, Format::Text | Format::Json);
    let options = Options { fixes: shows_fixes, ..options };
    let rendered = std::mem::take(&mut inputs.rendered);
    let built: Vec<_> = rendered.iter().flat_map(|rendered| rendered.objects.iter().cloned()).collect();
    let build_errors = rendered.iter().flat_map(|rendered| rendered.errors.iter().cloned()).collect();
    let n_built = built.len();
    let parsed = std::mem::take(&mut inputs.parsed);
    let threads = crate::parallel::threads();
    let mut checks = crate::parallel::check_with(&inputs.sources, parsed, built, build_errors, &options, threads);
    // The JSON report to stdout is written from the threads' parts as they are; every
    // other report reads the lists whole (and built overlays' findings are placed in them).
    let json_to_stdout = args.framework.is_none() && args.output == Format::Json && !report_to_stderr;
    let stdout = || io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    if json_to_stdout && n_built == 0 {
        report_write_error(checks.write_json(stdout(), threads));
    } else {
        let result = checks.join();
        let first_built = result.objects.len() - n_built;
        kustomize::place(result, first_built, &rendered);
        // Findings of built overlays name the files they were built from: their lines are quoted.
        inputs.sources.extend(rendered.into_iter().flat_map(|rendered| rendered.sources));
        if json_to_stdout {
            // Written as it is made (the JSON of a large input is the largest output).
            report_write_error(crate::parallel::write_json(result, stdout(), threads));
        } else {
            match render(args, result, &inputs.sources, report_to_stderr) {
                // stdout carries the fixed manifest.
                Ok(output) if report_to_stderr => eprint!("{output}"),
                Ok(output) => write_stdout(&output),
                Err(message) => {
                    eprintln!("error: {message}");
                    return EXIT_ERROR;
                }
            }
        }
    }
    let result = &checks.report;
    if args.output != Format::Text {
        // The text report shows parse errors itself; other formats carry them inside the
        // document, where a person reading the CI log would not see why the check failed.
        for error in &result.errors {
            let source = if error.source_name == "-" { "<stdin>" } else { error.source_name.as_str() };
            eprintln!("error: {source}:{}:{}: {}", error.line, error.column, error.message);
        }
    }

    let policy_errors = crate::policy_cmd::print_notices_and_errors(&result.policies);
    let code = if inputs.failed || !result.errors.is_empty() || policy_errors {
        EXIT_ERROR
    } else if args.fail_on.severity().is_some_and(|threshold| checks.fails_at(threshold)) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    // The process ends next: freeing a large report and its sources allocation by
    // allocation (hundreds of thousands for ten thousand files) would only delay the exit.
    std::mem::forget(checks);
    std::mem::forget(inputs);
    code
}

/// The report in the chosen format, or why there is none.
fn render(args: &CheckArgs, result: &Report, sources: &[Source], report_to_stderr: bool) -> Result<String, String> {
    Ok(match (args.framework, args.output) {
        (Some(framework), Format::Text | Format::Json) => {
            let view = compliance::evaluate(framework, &compliance::RuleResults::from_report(result));
            if args.output == Format::Json {
                serde_json::to_string_pretty(&view).unwrap_or_default() + "\n"
            } else {
                compliance::render_text(&view)
            }
        }
        (Some(_), _) => return Err("--framework prints text or JSON; drop -o or use -o json".to_string()),
        (None, Format::Text) => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
            let terminal = if report_to_stderr { io::stderr().is_terminal() } else { io::stdout().is_terminal() };
            report::text::render(result, sources, terminal && !no_color)
        }
        (None, Format::Json) => report::json(result),
        (None, Format::Sarif) => report::sarif::render(result, sources),
        (None, Format::Junit) => report::junit::render(result, sources),
    })
}

/// Writes fixed sources back: files in place (only those that changed), stdin's text to
/// stdout (always, so `rampart check --fix - < in.yaml > out.yaml` works unchanged too).
/// Says on stderr how many fixes went where; false when a file could not be written.
fn write_fixed(fixed: &[FixedSource], sources: &[Source]) -> bool {
    let mut written = true;
    let mut fixes = 0;
    let mut files = 0;
    for (fixed, source) in fixed.iter().zip(sources) {
        fixes += fixed.fixes;
        if source.name == "-" {
            write_stdout(&fixed.text);
            files += usize::from(fixed.changed);
            continue;
        }
        if !fixed.changed {
            continue;
        }
        match fs::write(&source.name, &fixed.text) {
            Ok(()) => files += 1,
            Err(error) => {
                eprintln!("error: cannot write the fixed '{}': {}", source.name, describe(&error));
                written = false;
            }
        }
    }
    let noun = |count: usize, one: &str, many: &str| format!("{count} {}", if count == 1 { one } else { many });
    eprintln!("fixed {} in {}", noun(fixes, "finding", "findings"), noun(files, "file", "files"));
    written
}

/// The fixes as a unified diff (`--- a/name`, `+++ b/name`, 3 lines of context), one file
/// after the other.
fn diff(sources: &[Source], fixed: &[FixedSource]) -> String {
    let mut out = String::new();
    for (source, fixed) in sources.iter().zip(fixed) {
        if !fixed.changed {
            continue;
        }
        let name = if source.name == "-" { "<stdin>" } else { source.name.as_str() };
        // git's `a/` and `b/` prefixes, which `git apply` and `patch -p1` expect, for
        // relative paths; an absolute path is shown as it is.
        let (old_name, new_name) = if name.starts_with('/') {
            (name.to_string(), name.to_string())
        } else {
            (format!("a/{name}"), format!("b/{name}"))
        };
        out.push_str(&rampart_core::diff::unified_diff(&source.text, &fixed.text, 3, &old_name, &new_name));
    }
    out
}

/// Reads the configuration named by `--config`, or `./rampart.yaml` when it exists;
/// returns it with its path (so a directory walk does not check it as a manifest).
fn load_config(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), String> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if Path::new(DEFAULT_CONFIG).is_file() => PathBuf::from(DEFAULT_CONFIG),
        None => return Ok((Config::default(), None)),
    };
    let name = path.display().to_string();
    let bytes = fs::read(&path).map_err(|error| {
        format!("cannot read the configuration '{name}': {}; pass an existing file with --config", describe(&error))
    })?;
    let text = utf8(&name, bytes)?;
    let config = Config::parse(&name, &text)
        .map_err(|error| format!("invalid configuration {error}; fix it, or pass another file with --config"))?;
    Ok((config, fs::canonicalize(&path).ok()))
}

/// The sources gathered so far, and whether any input could not be read.
pub(crate) struct Inputs {
    sources: Vec<Source>,
    failed: bool,
    /// A file not to take from directories (the configuration in use).
    skip: Option<PathBuf>,
    read_stdin: bool,
    /// Whether directory walks build the overlays they find.
    build_kustomizations: bool,
    /// The overlays built, one per directory walked.
    rendered: Vec<kustomize::Rendered>,
    /// When set, a directory walk's files are parsed with these options on the threads that
    /// read them, while their text is fresh in the cache.
    parse: Option<Options>,
    /// What was read of each source so far (none for a source not parsed yet).
    parsed: Vec<Option<crate::parallel::Read>>,
}

impl Inputs {
    /// Reads files and directories (no stdin) into sources, failing on the first error.
    pub(crate) fn read_paths(paths: &[PathBuf]) -> Result<Vec<Source>, ()> {
        let mut inputs = Inputs {
            sources: Vec::new(),
            failed: false,
            skip: None,
            read_stdin: true,
            build_kustomizations: false,
            rendered: Vec::new(),
            parse: None,
            parsed: Vec::new(),
        };
        for path in paths {
            inputs.add(path);
        }
        if inputs.failed {
            return Err(());
        }
        Ok(inputs.sources)
    }

    fn fail(&mut self, message: String) {
        eprintln!("error: {message}");
        self.failed = true;
    }

    fn add_stdin(&mut self) {
        if self.read_stdin {
            return;
        }
        self.read_stdin = true;
        let mut bytes = Vec::new();
        match io::stdin().lock().read_to_end(&mut bytes) {
            Ok(_) => match utf8("stdin", bytes) {
                Ok(text) => self.sources.push(Source::new("-", text)),
                Err(message) => self.fail(message),
            },
            Err(error) => self.fail(format!("cannot read stdin: {}", describe(&error))),
        }
    }

    fn add(&mut self, path: &Path) {
        if path.as_os_str() == "-" {
            return self.add_stdin();
        }
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => {
                let before = self.sources.len() + self.rendered_objects();
                let failed_before = self.failed;
                self.walk(path);
                if self.sources.len() + self.rendered_objects() == before && self.failed == failed_before {
                    self.fail(format!(
                        "no .yaml, .yml or .json files in '{}'; pass the directory that holds your manifests, or name the files",
                        path.display()
                    ));
                }
            }
            Ok(_) => self.read_file(path),
            Err(error) => self.fail(format!("cannot read '{}': {}", path.display(), describe(&error))),
        }
    }

    fn rendered_objects(&self) -> usize {
        self.rendered.iter().map(|rendered| rendered.objects.len() + rendered.errors.len()).sum()
    }

    /// Reads the manifests under a directory: the overlays built, and the files that are
    /// neither part of one nor Kustomize patches.
    fn walk(&mut self, directory: &Path) {
        let mut found = Walked::default();
        self.collect(directory, &mut found);
        let patches = kustomize::patches(&found.kustomizations);
        let rendered = if self.build_kustomizations && !found.kustomizations.is_empty() {
            kustomize::render(&found.kustomizations, &rampart_core::Limits::default())
        } else {
            kustomize::Rendered::default()
        };
        for note in &rendered.notes {
            eprintln!("note: {note}");
        }
        // Resolving a path costs a system call per component: only when there is
        // something to leave out.
        let leave_out = !patches.is_empty() || !rendered.consumed.is_empty();
        let files: Vec<PathBuf> = found
            .files
            .into_iter()
            .filter(|path| {
                !leave_out
                    || !fs::canonicalize(path)
                        .is_ok_and(|canonical| patches.contains(&canonical) || rendered.consumed.contains(&canonical))
            })
            .collect();
        // Read (and parsed) on every core (thousands of small files), taken in walk order.
        // A file's position among the sources is known only once those before it are read:
        // it is parsed as if first, and its objects moved to their place after.
        let parse = self.parse.as_ref();
        let read = crate::parallel::map_in_order(&files, crate::parallel::threads(), |path| {
            let source = read_source(path)?;
            let parsed = parse.map(|options| crate::parallel::read_and_parse(0, &source, options));
            Ok::<_, String>((source, parsed))
        });
        self.sources.reserve(read.len());
        self.parsed.reserve(self.sources.len() + read.len() - self.parsed.len());
        for read in read {
            match read {
                Ok((source, parsed)) => {
                    self.parsed.resize_with(self.sources.len(), || None);
                    self.parsed.push(parsed.map(|(mut objects, errors)| {
                        for object in &mut objects {
                            object.source = self.sources.len();
                        }
                        (objects, errors)
                    }));
                    self.sources.push(source);
                }
                Err(message) => self.fail(message),
            }
        }
        self.rendered.push(rendered);
    }

    /// Gathers the manifest files and the kustomization files under a directory, in
    /// sorted order.
    fn collect(&mut self, directory: &Path, found: &mut Walked) {
        let entries = match fs::read_dir(directory) {
            Ok(entries) => entries,
            Err(error) => {
                return self.fail(format!("cannot read directory '{}': {}", directory.display(), describe(&error)))
            }
        };
        // Each name is copied once, not once per comparison of the sort.
        let mut entries: Vec<(std::ffi::OsString, fs::DirEntry)> =
            entries.filter_map(Result::ok).map(|entry| (entry.file_name(), entry)).collect();
        entries.sort_unstable_by(|(one, _), (other, _)| one.cmp(other));
        for (name, entry) in entries {
            if name.as_encoded_bytes().starts_with(b".") {
                continue;
            }
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else { continue };
            // A link is followed to a file, never to a directory: links to directories can
            // form cycles, and a walk of a checkout should not leave the checkout.
            let is_file = file_type.is_file() || (file_type.is_symlink() && path.is_file());
            if file_type.is_dir() {
                self.collect(&path, found);
            } else if is_file && kustomize::is_kustomization(&path) {
                found.kustomizations.push(path);
            } else if is_file && has_manifest_extension(&path) && !self.is_skipped(&path) {
                found.files.push(path);
            }
        }
    }

    fn is_skipped(&self, path: &Path) -> bool {
        self.skip.as_ref().is_some_and(|skip| fs::canonicalize(path).is_ok_and(|path| &path == skip))
    }

    fn read_file(&mut self, path: &Path) {
        match read_source(path) {
            Ok(source) => self.sources.push(source),
            Err(message) => self.fail(message),
        }
    }
}

/// A file as a source named by its path, or what went wrong reading it.
fn read_source(path: &Path) -> Result<Source, String> {
    let name = path.to_string_lossy().into_owned();
    let bytes = read_bytes(path).map_err(|error| format!("cannot read '{name}': {}", describe(&error)))?;
    let text = utf8(&name, bytes)?;
    Ok(Source::new(name, text))
}

/// A file's bytes, read into this thread's buffer until the end and copied out at their
/// length: four system calls a file (open, two reads, close). `fs::read` and
/// `File::read_to_end` make six: they ask for the file's size (`statx`) and position
/// (`lseek`) first, for the thousands of small files of a directory.
fn read_bytes(path: &Path) -> io::Result<Vec<u8>> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut file = fs::File::open(path)?;
    BUFFER.with_borrow_mut(|buffer| {
        if buffer.is_empty() {
            buffer.resize(READ_BUFFER, 0);
        }
        let mut filled = 0;
        loop {
            if filled == buffer.len() {
                // A file larger than the buffer: the buffer grows (and stays grown).
                buffer.resize(buffer.len() * 2, 0);
            }
            match file.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(buffer[..filled].to_vec())
    })
}

/// The buffer a file is read into (most manifests fit: one read and one more that finds
/// the end).
const READ_BUFFER: usize = 64 << 10;

/// What a directory walk found: manifest files and kustomization files, in walk order.
#[derive(Default)]
struct Walked {
    files: Vec<PathBuf>,
    kustomizations: Vec<PathBuf>,
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| MANIFEST_EXTENSIONS.iter().any(|known| extension.eq_ignore_ascii_case(known)))
}

/// The text of a file, or an error naming it and saying how to fix the encoding.
fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|error| {
        let bytes = error.as_bytes();
        if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
            format!("'{name}' is UTF-16 text; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)")
        } else {
            format!(
                "'{name}' is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
                error.utf8_error().valid_up_to()
            )
        }
    })
}

/// An I/O error as a person reads it: the operating system's message without its code.
pub(crate) fn describe(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// Writes to stdout; a closed pipe (`rampart check … | head`) is not an error.
fn write_stdout(text: &str) {
    let mut stdout = io::stdout().lock();
    report_write_error(stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()));
}

/// Says on stderr that the report could not be written, unless the reader closed the pipe.
fn report_write_error(result: io::Result<()>) {
    if let Err(error) = result {
        if error.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report: {}", describe(&error));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_named() {
        assert_eq!(utf8("a.yaml", b"ok".to_vec()).unwrap(), "ok");
        let error = utf8("a.yaml", b"ab\xffcd".to_vec()).unwrap_err();
        assert_eq!(error, "'a.yaml' is not UTF-8 text (invalid byte at offset 2); save it as UTF-8");
        let error = utf8("b.yaml", vec![0xff, 0xfe, b'a', 0]).unwrap_err();
        assert!(error.contains("UTF-16"), "{error}");
    }

    #[test]
    fn extensions() {
        assert!(has_manifest_extension(Path::new("a/b.yaml")));
        assert!(has_manifest_extension(Path::new("b.YML")));
        assert!(has_manifest_extension(Path::new("b.json")));
        assert!(!has_manifest_extension(Path::new("b.txt")));
        assert!(!has_manifest_extension(Path::new("yaml")));
    }

    #[test]
    fn files_are_read_whole_whatever_their_size() {
        let directory = std::env::temp_dir().join(format!("rampart-read-bytes-{}", std::process::id()));
        fs::create_dir_all(&directory).unwrap();
        // Empty, smaller than the buffer, exactly its size, and several times it.
        for length in [0, 1, 4095, READ_BUFFER - 1, READ_BUFFER, READ_BUFFER + 1, 5 * READ_BUFFER + 17] {
            let bytes: Vec<u8> = (0..length).map(|at| (at * 7 % 251) as u8).collect();
            let path = directory.join(format!("{length}.yaml"));
            fs::write(&path, &bytes).unwrap();
            assert_eq!(read_bytes(&path).unwrap(), bytes, "{length} bytes");
        }
        // A smaller file after a large one: only its own bytes.
        assert_eq!(read_bytes(&directory.join("1.yaml")).unwrap(), vec![0]);
        assert!(read_bytes(&directory.join("missing.yaml")).is_err());
        fs::remove_dir_all(&directory).unwrap();
    }

    #[test]
    fn os_error_codes_are_dropped() {
        let error = io::Error::from_raw_os_error(2);
        assert_eq!(describe(&error), "No such file or directory");
    }
}
