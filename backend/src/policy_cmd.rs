//! Custom policies on the command line: the policy sources of `rampart check` (`--policy`,
//! `policies:` in rampart.yaml), their notices and errors on stderr, and `rampart policy
//! test DIR`, which runs the `kind: PolicyTest` cases kept beside the policies.
//!
//! A test document:
//!
//! ```yaml
//! apiVersion: rampart.dev/v1
//! kind: PolicyTest
//! metadata: {name: replica-limit}
//! cases:
//! - name: six replicas are denied
//!   policy: replica-limit        # optional: only this policy's verdict counts
//!   object: {apiVersion: apps/v1, kind: Deployment, …}
//!   namespace: {apiVersion: v1, kind: Namespace, …}   # optional: namespaceObject
//!   expect: deny                 # or allow
//!   message: "at most 5 replicas"  # optional: a denial must carry exactly this message
//! ```
//!
//! A policy without a binding is tested as if bound with `validationActions: [Deny]`;
//! Warn and Audit bindings deny too (the case asks whether the policy fails the object).

use std::path::{Path, PathBuf};

use rampart_core::policy::{PolicyOptions, PolicyReport};
use rampart_core::tree::Node;
use rampart_core::{Config, Options, Source};

use crate::check::{Inputs, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::cli::{CheckArgs, PolicyTestArgs};

/// The kind of a policy test document.
const TEST_KIND: &str = "PolicyTest";

/// The policy options of a check: `--policy` paths, then the configuration's `policies`
/// (relative to the configuration file).
pub fn options(args: &CheckArgs, config: &Config, config_path: Option<&Path>) -> Result<PolicyOptions, String> {
    let mut paths: Vec<PathBuf> = args.policies.clone();
    let base = config_path.and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
    paths.extend(config.policies.iter().map(|path| base.join(path)));
    let sources = Inputs::read_paths(&paths).map_err(|()| {
        "cannot read the policies (see above); check the --policy paths and rampart.yaml's policies".to_string()
    })?;
    Ok(PolicyOptions {
        sources,
        from_input: args.policies_from_input,
        assume_unbound: args.unbound_policies,
        evaluated: None,
    })
}

/// Prints the policies' notices and errors on stderr; true when there were errors.
pub fn print_notices_and_errors(report: &PolicyReport) -> bool {
    for notice in &report.notices {
        eprintln!("note: {}:{}: {}", notice.source, notice.line, notice.message);
    }
    for error in &report.errors {
        eprintln!("error: {}:{}:{}: {}", error.source_name, error.line, error.column, error.message);
    }
    !report.errors.is_empty()
}

struct Case {
    name: String,
    policy: Option<String>,
    object: Node,
    namespace: Option<Node>,
    deny: bool,
    message: Option<String>,
    location: String,
}

/// Reads the test cases of the PolicyTest documents of `sources`.
fn read_cases(sources: &[Source]) -> Result<Vec<Case>, String> {
    let mut cases = Vec::new();
    for source in sources {
        let (documents, errors) = rampart_core::parse::parse_source(source, &rampart_core::Limits::default());
        if let Some(error) = errors.first() {
            return Err(format!("{}:{}:{}: {}", error.source_name, error.line, error.column, error.message));
        }
        for document in documents {
            let root = &document.root;
            if root.field("kind").as_str() != Some(TEST_KIND) {
                continue;
            }
            let test_name = root.field("metadata").field("name").as_text().unwrap_or_default();
            for (index, case) in root.field("cases").items().iter().enumerate() {
                let location = format!("{}:{}", source.name, case.span.line);
                let fail = |message: &str| format!("{location}: test '{test_name}' case {}: {message}", index + 1);
                let name = case.field("name").as_text().unwrap_or_else(|| format!("{test_name} #{}", index + 1));
                let deny = match case.field("expect").as_str() {
                    Some("deny") => true,
                    Some("allow") => false,
                    _ => return Err(fail("expect must be deny or allow")),
                };
                let object = case
                    .get("object")
                    .filter(|object| object.is_map())
                    .ok_or_else(|| fail("object (a mapping) is required"))?;
                cases.push(Case {
                    name,
                    policy: case.field("policy").as_text(),
                    object: object.clone(),
                    namespace: case.get("namespace").cloned(),
                    deny,
                    message: case.field("message").as_text(),
                    location,
                });
            }
        }
    }
    Ok(cases)
}

/// `rampart policy test DIR`.
pub fn test(args: &PolicyTestArgs) -> u8 {
    let Ok(sources) = Inputs::read_paths(std::slice::from_ref(&args.dir)) else { return EXIT_ERROR };
    let cases = match read_cases(&sources) {
        Ok(cases) => cases,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_ERROR;
        }
    };
    if cases.is_empty() {
        eprintln!(
            "error: no test cases in '{}'; add a `kind: {TEST_KIND}` document with `cases:` (see `rampart policy test --help`)",
            args.dir.display()
        );
        return EXIT_ERROR;
    }
    let options = Options {
        policies: PolicyOptions { sources, from_input: false, assume_unbound: true, evaluated: None },
        fixes: false,
        ..Options::default()
    };
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let mut text = serde_json::to_string(&case.object.to_json()).unwrap_or_default();
        if let Some(namespace) = &case.namespace {
            text = format!("{text}\n---\n{}", serde_json::to_string(&namespace.to_json()).unwrap_or_default());
        }
        let report = rampart_core::check(&[Source::new(case.name.as_str(), text)], &options);
        if !report.policies.errors.is_empty() {
            print_notices_and_errors(&PolicyReport { errors: report.policies.errors, ..PolicyReport::default() });
            return EXIT_ERROR;
        }
        let denials: Vec<&str> = report
            .findings
            .iter()
            .filter(|finding| {
                finding.resource.document == 0 && finding.rule.starts_with(rampart_core::policy::RULE_PREFIX)
            })
            .filter(|finding| {
                case.policy
                    .as_deref()
                    .is_none_or(|policy| finding.rule[rampart_core::policy::RULE_PREFIX.len()..] == *policy)
            })
            .map(|finding| finding.message.as_str())
            .collect();
        let verdict = match (case.deny, denials.is_empty(), &case.message) {
            (true, true, _) => Err("expected deny, but the policies allowed it".to_string()),
            (false, false, _) => Err(format!("expected allow, but denied: {}", denials.join("; "))),
            (true, false, Some(message)) if !denials.contains(&message.as_str()) => {
                Err(format!("denied, but with {:?} instead of {message:?}", denials.join("; ")))
            }
            _ => Ok(()),
        };
        match verdict {
            Ok(()) => {
                passed += 1;
                println!("PASS {}", case.name);
            }
            Err(why) => {
                failed += 1;
                println!("FAIL {} ({}): {why}", case.name, case.location);
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}
