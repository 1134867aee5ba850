//! Reading the server's settings file (`--settings FILE`): a YAML mapping of long option
//! names to single values. What the keys mean is the command line's business (the binary's
//! `settings_file` turns the pairs into options); here the text is read, with the limits of
//! the manifest parser, and every key checked against the names `rampart serve` takes.
//! The server's defaults live here too, beside what overrides them, so the command line,
//! the server and its services read one value.

use rampart_core::parse::parse_source;
use rampart_core::{Limits, Source};

/// The address `rampart serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The database unless `RAMPART_DATABASE_URL` names another.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://rampart-data/rampart.db";
/// The key that encrypts cluster credentials unless `RAMPART_SECRET_KEY` gives one.
pub const DEFAULT_KEY_FILE: &str = "rampart-data/secret.key";

/// One setting of the file: its key, its value as text, and the line of the value.
pub type Setting = (String, String, u32);

/// `(key, value, line)` of each setting in `text` (the file `name`), every key one of
/// `known`; an error message names the file, line and key.
pub fn read(name: &str, text: &str, known: &[String]) -> Result<Vec<Setting>, String> {
    let (documents, errors) = parse_source(&Source::new(name, text), &Limits::default());
    if let Some(error) = errors.first() {
        return Err(error.to_string());
    }
    let Some(root) = documents.into_iter().next().map(|document| document.root) else { return Ok(Vec::new()) };
    if !root.is_map() {
        return Err(format!(
            "{name}:{}: the settings file is a mapping such as `listen: 127.0.0.1:8080`",
            root.span.line
        ));
    }
    let mut settings = Vec::new();
    for entry in root.entries() {
        let line = entry.value.span.line;
        if !known.iter().any(|name| *name == entry.key) {
            return Err(format!(
                "{name}:{line}: unknown setting '{}'; the settings are: {}",
                entry.key,
                known.join(", ")
            ));
        }
        let value = entry
            .value
            .as_text()
            .ok_or_else(|| format!("{name}:{line}: '{}' takes one value, not a list or mapping", entry.key))?;
        settings.push((entry.key.to_string(), value, line));
    }
    Ok(settings)
}
