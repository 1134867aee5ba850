//! Running one rule over inline YAML, for the focused tests of the rule files.

use crate::config::Config;
use crate::index::{AnchorTracker, Index};
use crate::object::Object;
use crate::parse::{parse_source, Limits, Source};
use crate::rules::{Cx, Mode, Outcome, Rule};

/// Runs `rule` over every object of `yaml` and maps each object's outcome with `each`.
pub(crate) fn run<T>(
    rule: &Rule,
    yaml: &str,
    config: &Config,
    mode: Mode,
    pss_version: u32,
    each: impl Fn(&Object, Outcome) -> T,
) -> Vec<T> {
    let (documents, errors) = parse_source(&Source::new("test.yaml", yaml), &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    let objects: Vec<Object> = documents.into_iter().flat_map(|document| Object::from_document(0, document)).collect();
    let index = Index::build(&objects, mode, false);
    let mut anchors = AnchorTracker::default();
    objects
        .iter()
        .map(|object| {
            let cx = Cx::new(config, pss_version, mode, &index, anchors.next(object));
            // What the rule concludes without the object's view (looking everything up
            // itself, as fixes and tests that build no view do) is what it concludes with it.
            let looked_up = (rule.check)(&cx, object);
            let viewed = (rule.check)(&cx.for_object(object), object);
            assert_eq!(viewed, looked_up, "{} concludes otherwise with the object's view", rule.id);
            each(object, viewed)
        })
        .collect()
}

/// The outcome of `rule` for each object of `yaml`, in order.
pub(crate) fn outcomes(rule: &Rule, yaml: &str, config: &Config, mode: Mode, pss_version: u32) -> Vec<Outcome> {
    run(rule, yaml, config, mode, pss_version, |_, outcome| outcome)
}

/// One object's outcome, with each violation's line resolved.
#[derive(Debug)]
pub(crate) struct Judged {
    pub name: String,
    /// (path, message, line) of each violation; `None` when the rule did not apply.
    pub violations: Option<Vec<(String, String, u32)>>,
}

impl Judged {
    /// The violations; panics when the rule did not apply.
    pub fn violations(&self) -> &[(String, String, u32)] {
        self.violations.as_deref().unwrap_or_else(|| panic!("the rule does not apply to {}", self.name))
    }
}

/// Runs `rule` over every object of `yaml` with the defaults (manifests, newest policy).
pub(crate) fn judge(rule: &Rule, yaml: &str) -> Vec<Judged> {
    run(rule, yaml, &Config::default(), Mode::Manifests, crate::pss::NEWEST_MINOR, |object, outcome| Judged {
        name: object.name.clone(),
        violations: match outcome {
            Outcome::NotApplicable => None,
            Outcome::Checked(violations) => Some(
                violations
                    .into_iter()
                    .map(|violation| {
                        let line = object.root.locate(&violation.path).line;
                        (violation.path, violation.message, line)
                    })
                    .collect(),
            ),
        },
    })
}

/// Runs `rule` over the single object of `yaml`.
pub(crate) fn judge_one(rule: &Rule, yaml: &str) -> Judged {
    let mut judged = judge(rule, yaml);
    assert_eq!(judged.len(), 1, "expected one object");
    judged.remove(0)
}
