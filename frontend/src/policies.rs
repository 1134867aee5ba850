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
    /// policies checks exactly as before.
    pub fn options(&self) -> PolicyOptions {
        if self.text.trim().is_empty() {
            return PolicyOptions::default();
        }
        PolicyOptions {
            sources: vec![Source::new(SOURCE_NAME, self.text.as_str())],
            from_input: false,
            assume_unbound: self.assume_unbound,
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
    use rampart_core::{check, Options};

    #[test]
    fn every_example_compiles_and_finds_something_in_the_insecure_example() {
        let manifest = include_str!("../../examples/insecure-deployment.yaml");
        for example in &POLICY_EXAMPLES {
            assert!(!example.text().contains("PolicyTest"), "{}", example.key);
            let draft = PolicyDraft { text: example.text().to_string(), assume_unbound: false };
            let options = Options { policies: draft.options(), ..Options::default() };
            let report = check(&[Source::new("manifests.yaml", manifest)], &options);
            assert!(report.policies.errors.is_empty(), "{}: {:?}", example.key, report.policies.errors);
            assert_eq!(report.policies.policies.len(), 1, "{}", example.key);
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
