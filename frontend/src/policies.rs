//! The playground's custom policies: the text of the Policies panel (ValidatingAdmissionPolicy
//! objects, their bindings and params) and whether unbound policies are evaluated as if
//! bound with Deny, kept in local storage; and the panel's examples, built into the page
//! from the repository's `examples/policies/` (their test cases left out).

use rampart_core::policy::PolicyOptions;
use rampart_core::Source;
use serde::{Deserialize, Serialize};

/// The local-storage key of the draft.
pub const STORAGE_KEY: &str = "rampart.playground.policies.v1";
/// The source name policy errors and notices carry.
pub const SOURCE_NAME: &str = "policies.yaml";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PolicyDraft {
    pub text: String,
    /// Evaluate policies without a binding as if bound with `validationActions: [Deny]`.
    pub assume_unbound: bool,
}

impl PolicyDraft {
    pub fn from_json(text: &str) -> PolicyDraft {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The engine's policy options: none at all while the panel is empty, so a page without
    /// policies checks exactly as before (and never fetches the policy module).
    pub fn options(&self) -> PolicyOptions {
        if self.text.trim().is_empty() {
            return PolicyOptions::default();
        }
        PolicyOptions {
            sources: vec![Source::new(SOURCE_NAME, self.text.as_str())],
            from_input: false,
            assume_unbound: self.assume_unbound,
            evaluated: None,
        }
    }
}

pub struct PolicyExample {
    pub key: &'static str,
    pub label: &'static str,
    text: &'static str,
}

impl PolicyExample {
    /// The example's policy, binding and params, without its PolicyTest cases.
    pub fn text(&self) -> &'static str {
        let end = self.text.find("---\napiVersion: rampart.dev/v1\nkind: PolicyTest").unwrap_or(self.text.len());
        &self.text[..end]
    }
}

pub const POLICY_EXAMPLES: [PolicyExample; 4] = [
    PolicyExample {
        key: "required-labels",
        label: "Required labels (app, owner)",
        text: include_str!("../../examples/policies/required-labels.yaml"),
    },
    PolicyExample {
        key: "trusted-registries",
        label: "Trusted registries, listed in a ConfigMap of params",
        text: include_str!("../../examples/policies/trusted-registries.yaml"),
    },
    PolicyExample {
        key: "no-latest-tag",
        label: "No latest tag",
        text: include_str!("../../examples/policies/no-latest-tag.yaml"),
    },
    PolicyExample {
        key: "replica-limit",
        label: "Replicas limit",
        text: include_str!("../../examples/policies/replica-limit.yaml"),
    },
];

pub fn find_example(key: &str) -> Option<&'static PolicyExample> {
    POLICY_EXAMPLES.iter().find(|example| example.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::policy::{evaluate_sources, EvaluationRequest};
    use rampart_core::{check, Limits, Options};

    /// What the page does: the policy module's verdicts (made from a JSON request, read back
    /// from JSON) handed to the main module's check.
    fn check_as_the_page_does(sources: &[Source], draft: &PolicyDraft) -> rampart_core::Report {
        let request: EvaluationRequest =
            serde_json::from_str(&serde_json::to_string(&EvaluationRequest::new(sources, &draft.options())).unwrap())
                .unwrap();
        let answer = serde_json::to_string(&evaluate_sources(&request, &Limits::default())).unwrap();
        let policies = PolicyOptions {
            evaluated: Some(std::sync::Arc::new(serde_json::from_str(&answer).unwrap())),
            ..draft.options()
        };
        check(sources, &Options { policies, ..Options::default() })
    }

    #[test]
    fn every_example_compiles_and_finds_something_in_the_insecure_example() {
        let manifest = include_str!("../../examples/insecure-deployment.yaml");
        let sources = [Source::new("manifests.yaml", manifest)];
        for example in &POLICY_EXAMPLES {
            assert!(!example.text().contains("PolicyTest"), "{}", example.key);
            let draft = PolicyDraft { text: example.text().to_string(), assume_unbound: false };
            let report = check_as_the_page_does(&sources, &draft);
            assert!(report.policies.errors.is_empty(), "{}: {:?}", example.key, report.policies.errors);
            assert_eq!(report.policies.policies.len(), 1, "{}", example.key);
            // The same findings as the engine evaluating the policies itself (the CLI's way).
            let direct = check(&sources, &Options { policies: draft.options(), ..Options::default() });
            let findings = |report: &rampart_core::Report| {
                report
                    .findings
                    .iter()
                    .map(|finding| (finding.rule.to_string(), finding.line, finding.message.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(findings(&report), findings(&direct), "{}", example.key);
            assert_eq!(report.score, direct.score, "{}", example.key);
            assert!(
                findings(&report).iter().any(|(rule, ..)| rule.starts_with("vap/")) || example.key == "replica-limit",
                "{}",
                example.key
            );
        }
    }

    #[test]
    fn an_empty_draft_applies_no_policies_and_drafts_round_trip() {
        assert!(PolicyDraft { text: " \n".into(), assume_unbound: true }.options().is_empty());
        let draft = PolicyDraft { text: "kind: X".into(), assume_unbound: true };
        assert_eq!(PolicyDraft::from_json(&draft.to_json()), draft);
        assert_eq!(PolicyDraft::from_json("not json"), PolicyDraft::default());
    }
}
