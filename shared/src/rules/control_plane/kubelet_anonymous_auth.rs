//! `kubelet-anonymous-auth`: the kubelet API should not answer requests nobody signed.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::kubelet_config;

const PATH: &str = "authentication.anonymous.enabled";

declare_rule! {
    /// ## What it checks
    /// A `KubeletConfiguration` (`kubelet.config.k8s.io/v1beta1`) must not set
    /// `authentication.anonymous.enabled: true`. The configuration file's default is
    /// `false` (unlike the kubelet's deprecated `--anonymous-auth` flag, whose default is
    /// `true`), so a file that leaves the field out passes.
    ///
    /// ## Why it matters
    /// The kubelet API on port 10250 lists the node's pods, streams their logs and runs
    /// commands in their containers. With anonymous requests allowed, and authorization
    /// that lets them through, anyone who can reach a node owns every pod on it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous:
    ///     enabled: true
    ///   webhook:
    ///     enabled: true
    /// authorization:
    ///   mode: Webhook
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous:
    ///     enabled: false
    ///   webhook:
    ///     enabled: true
    /// authorization:
    ///   mode: Webhook
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster security)
    /// - CIS Kubernetes Benchmark 4.2.1 (ensure that the anonymous-auth argument is set to false)
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/>
    pub static RULE = Rule {
        id: "kubelet-anonymous-auth",
        title: "Kubelet allows anonymous requests",
        severity: Severity::Critical,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("4.2.1"),
        remediation: "Set `authentication.anonymous.enabled: false` in the KubeletConfiguration (or remove the setting).",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(config) = kubelet_config(object) else { return Outcome::NotApplicable };
    let enabled = config.at(&["authentication", "anonymous", "enabled"]).and_then(|node| node.as_bool());
    let violations = match enabled {
        Some(true) => vec![Violation::new(
            PATH,
            "authentication.anonymous.enabled is true: the kubelet API answers anonymous requests",
        )],
        _ => Vec::new(),
    };
    Outcome::Checked(violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn explicit_true_fails_on_its_line() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(judged.violations()[0].0, PATH);
        assert_eq!(judged.violations()[0].2, 5);
    }

    #[test]
    fn a_config_relying_on_defaults_passes() {
        let judged = judge_one(&RULE, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n");
        assert!(judged.violations().is_empty());
    }
}
