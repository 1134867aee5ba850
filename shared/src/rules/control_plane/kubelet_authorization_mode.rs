//! `kubelet-authorization-mode`: the kubelet should ask the API server who may do what.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::kubelet_config;

const PATH: &str = "authorization.mode";

declare_rule! {
    /// ## What it checks
    /// A `KubeletConfiguration` (`kubelet.config.k8s.io/v1beta1`) must not set
    /// `authorization.mode: AlwaysAllow`. The configuration file's default is `Webhook`
    /// (the API server decides, through SubjectAccessReviews), so a file that leaves the
    /// field out passes.
    ///
    /// ## Why it matters
    /// With `AlwaysAllow`, every request that authenticates to the kubelet (any client
    /// certificate the cluster CA signed, or any request at all when anonymous access is
    /// on) may exec into every container of the node and read its pods' data. RBAC rules
    /// about `nodes/proxy` then mean nothing on that node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous:
    ///     enabled: false
    /// authorization:
    ///   mode: AlwaysAllow
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous:
    ///     enabled: false
    /// authorization:
    ///   mode: Webhook
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster security)
    /// - CIS Kubernetes Benchmark 4.2.2 (ensure that the authorization-mode argument is not set to AlwaysAllow)
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/#kubelet-authorization>
    pub static RULE = Rule {
        id: "kubelet-authorization-mode",
        title: "Kubelet authorizes every request",
        severity: Severity::Critical,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("4.2.2"),
        remediation: "Set `authorization.mode: Webhook` in the KubeletConfiguration (or remove the setting).",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(config) = kubelet_config(object) else { return Outcome::NotApplicable };
    let mode = config.at(&["authorization", "mode"]).and_then(|node| node.as_str());
    let violations = match mode {
        Some("AlwaysAllow") => {
            vec![Violation::new(PATH, "authorization.mode is AlwaysAllow: the kubelet authorizes every request")]
        }
        _ => Vec::new(),
    };
    Outcome::Checked(violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn always_allow_fails_on_its_line() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                PATH.to_string(),
                "authorization.mode is AlwaysAllow: the kubelet authorizes every request".to_string(),
                7
            )]
        );
    }

    #[test]
    fn a_config_relying_on_defaults_passes() {
        let judged = judge_one(
            &RULE,
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nclusterDomain: cluster.local\n",
        );
        assert!(judged.violations().is_empty());
    }
}
