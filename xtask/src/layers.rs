//! The layer lint: each crate's modules are declared in layers in ARCHITECTURE.md (a fenced
//! block whose info string is `layers <crate source folder>`, lowest layer first), and a
//! module may name modules of its own layer or of lower ones only. Every `crate::…` path
//! of a module's files, and every `super::…` path that climbs to the crate root, is an
//! edge; an edge to a higher layer is reported with its file and line. Comments, strings
//! and `$crate` (a macro naming its own crate) are not edges.
//!
//! `cargo xtask layers` prints the report; the test below fails on any back-edge, so
//! `cargo xtask test` does too.

use std::fmt;
use std::path::{Path, PathBuf};

/// One crate's declared layers: each a name and its modules, lowest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layers {
    /// The crate's source folder, relative to the workspace (`backend/src`).
    pub source: String,
    pub layers: Vec<(String, Vec<String>)>,
}

impl Layers {
    fn rank(&self, module: &str) -> Option<usize> {
        self.layers.iter().position(|(_, modules)| modules.iter().any(|name| name == module))
    }
}

/// What the lint found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `file:line`: module `from` (layer `from_layer`) names module `to` of a higher layer.
    BackEdge {
        file: String,
        line: usize,
        from: String,
        from_layer: String,
        to: String,
        to_layer: String,
    },
    /// A module the crate root declares that no layer lists, or a listed module the root
    /// does not declare.
    Unlisted {
        source: String,
        module: String,
    },
    Undeclared {
        source: String,
        module: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::BackEdge { file, line, from, from_layer, to, to_layer } => write!(
                formatter,
                "{file}:{line}: `{from}` ({from_layer}) uses `crate::{to}` ({to_layer}), a higher layer; \
                 move what it needs down, or change the layers in ARCHITECTURE.md"
            ),
            Problem::Unlisted { source, module } => {
                write!(formatter, "{source}: module `{module}` is in no layer of ARCHITECTURE.md")
            }
            Problem::Undeclared { source, module } => {
                write!(formatter, "{source}: ARCHITECTURE.md lists `{module}`, which the crate root does not declare")
            }
        }
    }
}

/// The `layers` blocks of ARCHITECTURE.md's text. A line of a block is `name: module…`.
pub fn parse_layers(markdown: &str) -> Result<Vec<Layers>, String> {
    let mut all = Vec::new();
    let mut current: Option<Layers> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(layers) = current.as_mut() {
            if trimmed.starts_with("```") {
                all.push(current.take().expect("inside a block"));
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            let (name, modules) = trimmed
                .split_once(':')
                .ok_or_else(|| format!("ARCHITECTURE.md:{}: a layer is `name: module module…`", index + 1))?;
            layers.layers.push((name.trim().to_string(), modules.split_whitespace().map(str::to_string).collect()));
        } else if let Some(source) = trimmed.strip_prefix("```layers ") {
            current = Some(Layers { source: source.trim().to_string(), layers: Vec::new() });
        }
    }
    if current.is_some() {
        return Err("ARCHITECTURE.md: a `layers` block is not closed".to_string());
    }
    Ok(all)
}

/// The modules a crate root (`lib.rs`) declares: `mod name;` and `pub mod name;`.
pub fn declared_modules(root: &str) -> Vec<String> {
    let text = strip(root);
    let tokens = tokens(&text);
    let mut modules = Vec::new();
    for window in tokens.windows(3) {
        if window[0].text == "mod" && window[2].text == ";" && is_ident(&window[1].text) {
            modules.push(window[1].text.clone());
        }
    }
    modules
}

/// The back-edges of one file, whose module path in its crate is `module_path`
/// (`["http", "clusters"]` for `http/clusters.rs`).
pub fn file_problems(layers: &Layers, file: &str, module_path: &[String], text: &str) -> Vec<Problem> {
    let Some(from) = module_path.first() else { return Vec::new() };
    let Some(from_rank) = layers.rank(from) else { return Vec::new() };
    let mut problems = Vec::new();
    for (line, to) in edges(module_path, text) {
        if to == *from {
            continue;
        }
        if let Some(to_rank) = layers.rank(&to) {
            if to_rank > from_rank {
                problems.push(Problem::BackEdge {
                    file: file.to_string(),
                    line,
                    from: from.clone(),
                    from_layer: layers.layers[from_rank].0.clone(),
                    to: to.clone(),
                    to_layer: layers.layers[to_rank].0.clone(),
                });
            }
        }
    }
    problems
}

/// Every problem of the workspace at `root`.
pub fn check(root: &Path) -> Result<Vec<Problem>, String> {
    let architecture = root.join("ARCHITECTURE.md");
    let markdown =
        std::fs::read_to_string(&architecture).map_err(|error| format!("{}: {error}", architecture.display()))?;
    let all = parse_layers(&markdown)?;
    if all.is_empty() {
        return Err("ARCHITECTURE.md declares no `layers` block".to_string());
    }
    let mut problems = Vec::new();
    for layers in &all {
        let source = root.join(&layers.source);
        let crate_root = ["lib.rs", "main.rs"]
            .iter()
            .map(|name| source.join(name))
            .find(|path| path.exists())
            .ok_or_else(|| format!("{}: no lib.rs or main.rs", layers.source))?;
        let declared = declared_modules(&std::fs::read_to_string(&crate_root).map_err(|error| error.to_string())?);
        for module in &declared {
            if layers.rank(module).is_none() {
                problems.push(Problem::Unlisted { source: layers.source.clone(), module: module.clone() });
            }
        }
        for (_, modules) in &layers.layers {
            for module in modules.iter().filter(|module| !declared.contains(module)) {
                problems.push(Problem::Undeclared { source: layers.source.clone(), module: module.clone() });
            }
        }
        let mut files = Vec::new();
        rust_files(&source, &mut files).map_err(|error| format!("{}: {error}", source.display()))?;
        files.sort();
        for path in files {
            let relative = path.strip_prefix(&source).expect("under the source folder");
            let module_path = module_path(relative);
            if !module_path.first().is_some_and(|module| declared.contains(module)) {
                continue; // the crate root, or a module of another crate root (main.rs's)
            }
            let text = std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display()))?;
            let shown = format!("{}/{}", layers.source, relative.display());
            problems.extend(file_problems(layers, &shown, &module_path, &text));
        }
    }
    Ok(problems)
}

/// `cargo xtask layers`.
pub fn run(root: &Path) -> Result<(), String> {
    let problems = check(root)?;
    for problem in &problems {
        eprintln!("{problem}");
    }
    if problems.is_empty() {
        eprintln!("layers: no back-edges");
        Ok(())
    } else {
        Err(format!("{} layer problem(s)", problems.len()))
    }
}

fn rust_files(folder: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(folder)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, files)?;
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// `http/clusters.rs` → `[http, clusters]`; `http/mod.rs` → `[http]`; `lib.rs` → `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut path: Vec<String> =
        relative.with_extension("").components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
    if path.last().is_some_and(|last| last == "mod") || path.len() == 1 && matches!(path[0].as_str(), "lib" | "main") {
        path.pop();
    }
    path
}

/// The top-level modules a file's paths name, with their lines: `crate::x…`,
/// `crate::{x…, y…}`, and `super::…` paths that climb out of the file's module to the root.
fn edges(module_path: &[String], text: &str) -> Vec<(usize, String)> {
    let text = strip(text);
    let tokens = tokens(&text);
    let mut edges = Vec::new();
    // Inline modules (`mod tests { … }`) open: the brace depth each was opened at.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut index = 0;
    while index < tokens.len() {
        let token = &tokens[index].text;
        match token.as_str() {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            }
            "mod" if tokens.get(index + 2).is_some_and(|next| next.text == "{") => {
                inline.push(depth);
            }
            _ => {}
        }
        let starts_path = index == 0 || !matches!(tokens[index - 1].text.as_str(), "::" | "$");
        if starts_path && token == "crate" && tokens.get(index + 1).is_some_and(|next| next.text == "::") {
            edges.extend(named_after(&tokens, index + 2));
        } else if starts_path && token == "super" {
            let mut climbs = 0usize;
            let mut at = index;
            while tokens.get(at).is_some_and(|t| t.text == "super")
                && tokens.get(at + 1).is_some_and(|t| t.text == "::")
            {
                climbs += 1;
                at += 2;
            }
            let climbs_out_of_file = climbs.saturating_sub(inline.len());
            if climbs > 0 && climbs_out_of_file >= module_path.len() && !module_path.is_empty() {
                edges.extend(named_after(&tokens, at));
            }
            index = at.max(index + 1);
            continue;
        }
        index += 1;
    }
    edges
}

/// The first segment of the path at `tokens[at]`, or of each item of a `{…}` group there.
fn named_after(tokens: &[Token], at: usize) -> Vec<(usize, String)> {
    let Some(first) = tokens.get(at) else { return Vec::new() };
    if first.text != "{" {
        return if is_ident(&first.text) { vec![(first.line, first.text.clone())] } else { Vec::new() };
    }
    let mut names = Vec::new();
    let mut depth = 0;
    let mut expect_item = true;
    for token in &tokens[at..] {
        match token.text.as_str() {
            "{" => {
                depth += 1;
                expect_item = depth == 1;
                continue;
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => {
                expect_item = true;
                continue;
            }
            text if expect_item && depth == 1 && is_ident(text) && text != "self" => {
                names.push((token.line, text.to_string()));
            }
            _ => {}
        }
        expect_item = false;
    }
    names
}

#[derive(Debug)]
struct Token {
    text: String,
    line: usize,
}

fn is_ident(text: &str) -> bool {
    text.chars().next().is_some_and(|first| first == '_' || first.is_alphabetic())
        && text.chars().all(|c| c == '_' || c.is_alphanumeric())
}

/// Identifiers, `::`, and every other character on its own, with 1-based lines.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if c == '\n' {
            line += 1;
            index += 1;
        } else if c.is_whitespace() {
            index += 1;
        } else if c == '_' || c.is_alphanumeric() {
            let start = index;
            while index < chars.len() && (chars[index] == '_' || chars[index].is_alphanumeric()) {
                index += 1;
            }
            tokens.push(Token { text: chars[start..index].iter().collect(), line });
        } else if c == ':' && chars.get(index + 1) == Some(&':') {
            tokens.push(Token { text: "::".to_string(), line });
            index += 2;
        } else {
            tokens.push(Token { text: c.to_string(), line });
            index += 1;
        }
    }
    tokens
}

/// The text with comments, string and character literals blanked (newlines kept, so lines
/// still count).
fn strip(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let next = chars.get(index + 1).copied();
        if c == '/' && next == Some('/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut nesting = 0;
            while index < chars.len() {
                if chars[index] == '/' && chars.get(index + 1) == Some(&'*') {
                    nesting += 1;
                    index += 2;
                    out.push_str("  ");
                } else if chars[index] == '*' && chars.get(index + 1) == Some(&'/') {
                    nesting -= 1;
                    index += 2;
                    out.push_str("  ");
                    if nesting == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[index]);
                    index += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"' | '#')) && starts_word(&chars, index) {
            // A raw string: r"…", r#"…"#.
            let mut hashes = 0;
            let mut at = index + 1;
            while chars.get(at) == Some(&'#') {
                hashes += 1;
                at += 1;
            }
            if chars.get(at) != Some(&'"') {
                out.push(c);
                index += 1;
                continue;
            }
            at += 1;
            while at < chars.len() {
                if chars[at] == '"' && (0..hashes).all(|offset| chars.get(at + 1 + offset) == Some(&'#')) {
                    at += 1 + hashes;
                    break;
                }
                at += 1;
            }
            for &skipped in &chars[index..at.min(chars.len())] {
                blank(&mut out, skipped);
            }
            index = at;
        } else if c == '"' {
            blank(&mut out, c);
            index += 1;
            while index < chars.len() && chars[index] != '"' {
                if chars[index] == '\\' {
                    blank(&mut out, chars[index]);
                    index += 1;
                }
                if index < chars.len() {
                    blank(&mut out, chars[index]);
                    index += 1;
                }
            }
            if index < chars.len() {
                blank(&mut out, '"');
                index += 1;
            }
        } else if c == '\'' && (next == Some('\\') || chars.get(index + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\u{1F600}'), not a lifetime ('a).
            blank(&mut out, c);
            index += 1;
            if chars.get(index) == Some(&'\\') {
                blank(&mut out, '\\');
                index += 1;
                if let Some(&escaped) = chars.get(index) {
                    blank(&mut out, escaped);
                    index += 1;
                }
            }
            while index < chars.len() && chars[index] != '\'' {
                blank(&mut out, chars[index]);
                index += 1;
            }
            if index < chars.len() {
                blank(&mut out, '\'');
                index += 1;
            }
        } else {
            out.push(c);
            index += 1;
        }
    }
    out
}

/// Whether `chars[index]` begins a word (`r` of `r"…"` or `br"…"`, not of `bar"`).
fn starts_word(chars: &[char], index: usize) -> bool {
    let word = |at: usize| chars.get(at).is_some_and(|c| c.is_alphanumeric() || *c == '_');
    match index {
        0 => true,
        _ if !word(index - 1) => true,
        1 => chars[0] == 'b',
        _ => chars[index - 1] == 'b' && !word(index - 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layers() -> Layers {
        parse_layers(
            "text\n```layers backend/src\nfoundation: clock secrets\nstore: store\nservices: mail reports\nhttp: http\n```\n",
        )
        .unwrap()
        .remove(0)
    }

    fn problems(path: &[&str], text: &str) -> Vec<(usize, String)> {
        let path: Vec<String> = path.iter().map(|part| part.to_string()).collect();
        file_problems(&layers(), "f.rs", &path, text)
            .into_iter()
            .map(|problem| match problem {
                Problem::BackEdge { line, to, .. } => (line, to),
                other => panic!("{other}"),
            })
            .collect()
    }

    #[test]
    fn the_workspace_keeps_its_layers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let problems = check(root).unwrap();
        let report: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "layer problems:\n{}", report.join("\n"));
    }

    #[test]
    fn both_crates_are_declared() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let all = parse_layers(&std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap()).unwrap();
        let sources: Vec<&str> = all.iter().map(|layers| layers.source.as_str()).collect();
        assert_eq!(sources, ["backend/src", "frontend/src"]);
    }

    #[test]
    fn an_import_of_a_higher_layer_is_reported_at_its_line() {
        let text = "use std::fmt;\n\nuse crate::http::timestamp;\nuse crate::clock::now;\n";
        assert_eq!(problems(&["reports", "csv"], text), [(3, "http".to_string())]);
        let problem =
            &file_problems(&layers(), "backend/src/reports/csv.rs", &["reports".into(), "csv".into()], text)[0];
        assert_eq!(
            problem.to_string(),
            "backend/src/reports/csv.rs:3: `reports` (services) uses `crate::http` (http), a higher layer; \
             move what it needs down, or change the layers in ARCHITECTURE.md"
        );
    }

    #[test]
    fn paths_in_expressions_and_groups_count() {
        let text = "fn f() {\n    let x = crate::mail::send();\n}\nuse crate::{clock::now, http::{self, ApiError},\n  store};\n";
        assert_eq!(problems(&["store"], text), [(2, "mail".to_string()), (4, "http".to_string())]);
    }

    #[test]
    fn lower_and_own_layers_comments_strings_and_dollar_crate_do_not_count() {
        let text = "//! See [`crate::http`].\n/* crate::http:: */\nuse crate::store::Store;\nuse crate::reports;\n\
                    const A: &str = \"crate::http::x\";\nconst B: &str = r#\"crate::http\"#;\nconst C: char = '\"';\nconst D: char = '\\'';\nconst E: &[u8] = br#\"crate::http\"#;\n\
                    macro_rules! m { () => { $crate::http::x() } }\nfn f<'a>(x: &'a str) -> &'a str { x }\n";
        assert_eq!(problems(&["mail"], text), []);
    }

    #[test]
    fn super_paths_count_only_when_they_climb_to_the_root() {
        let text = "use super::links;\nuse super::super::http;\nmod tests {\n    use super::super::http;\n    use super::super::super::http::X;\n}\nuse super::super::http::Y;\n";
        assert_eq!(
            problems(&["mail", "links"], text),
            [(2, "http".to_string()), (5, "http".to_string()), (7, "http".to_string())]
        );
        // One level deep, `super` is already the root.
        assert_eq!(problems(&["secrets"], "use super::http;\n"), [(1, "http".to_string())]);
    }

    #[test]
    fn the_crate_root_declares_its_modules() {
        let root = "//! docs: mod fake;\npub mod agent;\nmod cli;\n#[cfg(test)]\nmod tests {\n}\npub(crate) mod x;\n";
        assert_eq!(declared_modules(root), ["agent", "cli", "x"]);
        assert_eq!(module_path(Path::new("http/mod.rs")), ["http"]);
        assert_eq!(module_path(Path::new("http/clusters.rs")), ["http", "clusters"]);
        assert!(module_path(Path::new("lib.rs")).is_empty());
    }
}
