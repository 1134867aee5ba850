//! The server's settings file (`--settings FILE` or `RAMPART_SETTINGS`): a YAML mapping
//! whose keys are the long option names of `rampart serve` (`listen`, `database-url`,
//! `web-root`, …). A setting from the file counts only where neither the option nor its
//! `RAMPART_*` variable is given, and the file's values go through the very same parsing
//! and checks as options: the file is turned into options appended to the command line,
//! and clap parses the whole again.

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::Cli;

/// The command line with the settings file's values filled in where nothing else set them.
/// An unreadable or invalid file is an error message naming the file, line and key.
pub fn parse_with_settings(args: Vec<OsString>) -> Result<Cli, String> {
    let matches = Cli::command().get_matches_from(args.clone());
    let Some((leaf, path)) = settings_path(&matches) else {
        return Cli::from_arg_matches(&matches).map_err(|error| error.to_string());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read the settings file {}: {error}", path.display()))?;
    let name = path.display().to_string();
    let settings = read(&name, &text)?;
    let mut extended = args;
    for (key, value, line) in settings {
        let Some(arg) = leaf.get_arguments().find(|arg| arg.get_long() == Some(key.as_str())) else {
            // A setting of `serve` that this command (an `admin` one) does not take.
            continue;
        };
        if matches!(
            leaf_matches(&matches).value_source(arg.get_id().as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        if arg.get_action().takes_values() {
            extended.push(format!("--{key}={value}").into());
        } else {
            match value.as_str() {
                "true" => extended.push(format!("--{key}").into()),
                "false" => {}
                _ => return Err(format!("{name}:{line}: '{key}' is true or false")),
            }
        }
    }
    let matches = Cli::command()
        .try_get_matches_from(extended)
        .map_err(|error| format!("in the settings file {name}: {}", error.kind()))?;
    Cli::from_arg_matches(&matches).map_err(|error| error.to_string())
}

/// The subcommand that was run, and its `--settings` file if one was given.
fn settings_path(matches: &ArgMatches) -> Option<(clap::Command, std::path::PathBuf)> {
    let mut command = Cli::command();
    let mut current = matches;
    while let Some((name, sub)) = current.subcommand() {
        command = command.find_subcommand(name)?.clone();
        current = sub;
    }
    let path = current.try_get_one::<std::path::PathBuf>("settings").ok().flatten()?.clone();
    Some((command, path))
}

fn leaf_matches(matches: &ArgMatches) -> &ArgMatches {
    let mut current = matches;
    while let Some((_, sub)) = current.subcommand() {
        current = sub;
    }
    current
}

/// `(key, value, line)` of each setting, checked against the options of `rampart serve`.
fn read(name: &str, text: &str) -> Result<Vec<(String, String, u32)>, String> {
    let serve = Cli::command().find_subcommand("serve").expect("serve is a subcommand").clone();
    let known: Vec<String> = serve
        .get_arguments()
        .filter_map(|arg| arg.get_long())
        .filter(|long| !matches!(*long, "settings" | "help" | "version"))
        .map(str::to_string)
        .collect();
    rampart::settings::read(name, text, &known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_nested_values_are_refused_with_their_line() {
        let error = read("s.yaml", "listen: 127.0.0.1:1\nlistn: x\n").unwrap_err();
        assert!(
            error.starts_with("s.yaml:2: unknown setting 'listn'; the settings are: listen, database-url"),
            "{error}"
        );
        let error = read("s.yaml", "listen:\n  - a\n").unwrap_err();
        assert!(error.contains("'listen' takes one value"), "{error}");
        assert_eq!(read("s.yaml", "").unwrap(), Vec::new());
        assert_eq!(read("s.yaml", "web-root: dist\n").unwrap(), vec![("web-root".to_string(), "dist".to_string(), 1)]);
    }

    #[test]
    fn the_file_fills_in_what_options_and_variables_leave_unset() {
        let directory = std::env::temp_dir().join(format!("rampart-settings-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let file = directory.join("server.yaml");
        std::fs::write(&file, "listen: 127.0.0.1:9999\ndatabase-url: sqlite://from-file.db\n").unwrap();
        let args = |extra: &[&str]| {
            let mut args: Vec<OsString> =
                vec!["rampart".into(), "serve".into(), "--settings".into(), file.clone().into()];
            args.extend(extra.iter().map(OsString::from));
            args
        };
        let serve = |cli: Cli| match cli.command {
            crate::cli::Command::Serve(serve) => serve,
            _ => unreachable!(),
        };
        let from_file = serve(parse_with_settings(args(&[])).unwrap());
        assert_eq!(from_file.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(from_file.database.database_url, "sqlite://from-file.db");
        let overridden = serve(parse_with_settings(args(&["--listen", "127.0.0.1:7"])).unwrap());
        assert_eq!(overridden.listen.to_string(), "127.0.0.1:7");
        assert_eq!(overridden.database.database_url, "sqlite://from-file.db");
        std::fs::write(&file, "listen: not-an-address\n").unwrap();
        let error = parse_with_settings(args(&[])).err().unwrap();
        assert!(error.starts_with(&format!("in the settings file {}", file.display())), "{error}");
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
