//! Lists the database migrations (every build), and embeds the web app in release builds
//! (profiles `release` and `dist`): when `frontend/dist/` exists (built by `cargo xtask
//! dist`), such a build of `rampart` carries its files, so `rampart serve` serves the
//! playground and dashboard from the one binary.
//! Debug builds embed nothing and serve `--web-root` from disk, so changing the app does
//! not relink the server.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("..").join("frontend").join("dist");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RAMPART_EMBED_WEB");
    // `release` for every profile that inherits it (`dist` too).
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let wanted = match std::env::var("RAMPART_EMBED_WEB").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => release,
    };
    let mut files = Vec::new();
    // Only a build that embeds the app watches it, and only paths that exist: cargo takes a
    // missing path in `rerun-if-changed` as changed, so a debug build on a checkout without
    // `frontend/dist/` would rerun this script and relink the server every time.
    if wanted && dist.join("index.html").is_file() {
        println!("cargo::rerun-if-changed={}", dist.display());
        collect(&dist, &dist, &mut files);
        files.sort();
    } else if wanted {
        // `frontend/` exists; it changes when `cargo xtask dist` creates `dist/` in it.
        println!("cargo::rerun-if-changed={}", manifest.join("..").join("frontend").display());
        println!(
            "cargo::warning=frontend/dist/ is missing: this build serves no web app of its own \
             (run `cargo xtask dist` first, or give `rampart serve --web-root DIR`)"
        );
    }
    let mut code = String::from("/// The web app's files, `(path, bytes)`, from `frontend/dist/` at build time.\n");
    code.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (relative, absolute) in &files {
        println!("cargo::rerun-if-changed={}", absolute.display());
        writeln!(code, "    ({relative:?}, include_bytes!({:?})),", absolute.display().to_string()).unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("web_assets.rs"), code).expect("OUT_DIR is writable");
    write_migrations(&manifest.join("..").join("migrations"), &out);
}

/// Lists each backend's migrations from `migrations/<backend>/NNNN_description.sql`, so a
/// new file is embedded without being listed anywhere by hand. A file in those folders that
/// does not follow the pattern stops the build: it would otherwise never run.
fn write_migrations(root: &Path, out: &Path) {
    let mut code = String::new();
    for (backend, constant) in [("sqlite", "SQLITE_MIGRATIONS"), ("postgres", "POSTGRES_MIGRATIONS")] {
        let directory = root.join(backend);
        println!("cargo::rerun-if-changed={}", directory.display());
        let mut migrations = Vec::new();
        let entries = std::fs::read_dir(&directory).unwrap_or_else(|error| panic!("{}: {error}", directory.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            let parsed = name
                .strip_suffix(".sql")
                .and_then(|stem| stem.split_once('_'))
                .and_then(|(number, description)| Some((number.parse::<i64>().ok()?, description.replace('_', " "))));
            let Some((version, description)) =
                parsed.filter(|(version, description)| *version > 0 && !description.is_empty())
            else {
                panic!("{}: a migration is named NNNN_description.sql", path.display());
            };
            println!("cargo::rerun-if-changed={}", path.display());
            migrations.push((version, description, path.canonicalize().unwrap_or(path)));
        }
        migrations.sort_by_key(|migration| migration.0);
        if let Some(pair) = migrations.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            panic!("{} and {} share version {}", pair[0].2.display(), pair[1].2.display(), pair[0].0);
        }
        writeln!(code, "const {constant}: EmbeddedMigrations = &[").unwrap();
        for (version, description, path) in &migrations {
            writeln!(code, "    ({version}, {description:?}, include_str!({:?})),", path.display().to_string())
                .unwrap();
        }
        code.push_str("];\n");
    }
    std::fs::write(out.join("migrations.rs"), code).expect("OUT_DIR is writable");
}

/// Every file under `directory`, as (path relative to `root` with `/`, absolute path).
fn collect(root: &Path, directory: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let relative = relative.components().map(|part| part.as_os_str().to_string_lossy()).collect::<Vec<_>>();
            files.push((relative.join("/"), path.canonicalize().unwrap_or(path)));
        }
    }
}
