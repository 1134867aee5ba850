//! The web app's policy module: the CEL interpreter and the policy evaluator, in a
//! WebAssembly module of their own so that a page without custom policies never downloads
//! them. The main module (`rampart-web`) fetches it when a policy first appears and asks it,
//! through one JSON call, for the policies' verdicts on the editor's manifests; the check
//! itself (rules, exemptions, score) stays in the main module.

use rampart_core::policy::{evaluate_sources, Evaluated, EvaluationRequest, PolicyReport};
use rampart_core::{Limits, ParseError};
use wasm_bindgen::prelude::wasm_bindgen;

/// `request`: an [`EvaluationRequest`] as JSON; the answer: an [`Evaluated`] as JSON. A
/// request that cannot be read is answered with an error in the report, never a panic.
#[wasm_bindgen]
pub fn evaluate(request: &str) -> String {
    let evaluated = match serde_json::from_str::<EvaluationRequest>(request) {
        Ok(request) => evaluate_sources(&request, &Limits::default()),
        Err(error) => Evaluated {
            report: PolicyReport {
                errors: vec![ParseError {
                    source_name: String::new(),
                    line: 1,
                    column: 1,
                    message: format!("the policy module could not read its request: {error}"),
                }],
                ..PolicyReport::default()
            },
            outcomes: Vec::new(),
        },
    };
    serde_json::to_string(&evaluated).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_is_evaluated_through_json() {
        let policy = include_str!("../../examples/policies/no-latest-tag.yaml");
        let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:latest\n";
        let request = EvaluationRequest {
            sources: vec![("manifests.yaml".into(), manifest.into())],
            policies: vec![("policies.yaml".into(), policy.into())],
            from_input: false,
            assume_unbound: false,
        };
        let answer: Evaluated = serde_json::from_str(&evaluate(&serde_json::to_string(&request).unwrap())).unwrap();
        assert!(answer.report.errors.is_empty(), "{:?}", answer.report.errors);
        assert_eq!(answer.outcomes.len(), 1);
        assert!(!answer.outcomes[0].1[0].violations.is_empty());
    }

    #[test]
    fn an_unreadable_request_is_an_error_not_a_panic() {
        let answer: Evaluated = serde_json::from_str(&evaluate("{not json")).unwrap();
        assert_eq!(answer.report.errors.len(), 1);
        assert!(answer.report.errors[0].message.contains("could not read its request"));
    }
}
