//! The examples menu: sample manifests from the repository's `examples/`, built into the
//! page so choosing one needs no request.

pub struct Example {
    /// Stable key, used as the menu's option value.
    pub key: &'static str,
    pub label: &'static str,
    pub text: &'static str,
}

pub const EXAMPLES: [Example; 5] = [
    Example {
        key: "insecure-deployment",
        label: "Insecure Deployment (the guide's, stripped of its protections)",
        text: include_str!("../../examples/insecure-deployment.yaml"),
    },
    Example {
        key: "hardened-deployment",
        label: "Hardened Deployment",
        text: include_str!("../../examples/hardened-deployment.yaml"),
    },
    Example {
        key: "rbac",
        label: "RBAC: least-privilege Role and binding",
        text: include_str!("../../examples/guide/layer2-rbac-least-privilege.yaml"),
    },
    Example {
        key: "network-policies",
        label: "NetworkPolicy set: default deny and allows",
        text: include_str!("../../examples/guide/layer1-network-policies.yaml"),
    },
    Example {
        key: "apiserver",
        label: "kube-apiserver static Pod",
        text: include_str!("../../examples/guide/layer1-apiserver-static-pod.yaml"),
    },
];

/// The example a key names.
pub fn find(key: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|example| example.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::{check, Options, Source};

    #[test]
    fn every_example_parses_and_has_objects() {
        for example in &EXAMPLES {
            let report = check(&[Source::new(example.key, example.text)], &Options::default());
            assert!(report.errors.is_empty(), "{}: {:?}", example.key, report.errors);
            assert!(!report.objects.is_empty(), "{}", example.key);
        }
    }

    #[test]
    fn the_hardened_deployment_scores_above_the_insecure_one() {
        let score = |key| check(&[Source::new(key, find(key).unwrap().text)], &Options::default()).score;
        assert!(score("hardened-deployment") > score("insecure-deployment"));
    }
}
