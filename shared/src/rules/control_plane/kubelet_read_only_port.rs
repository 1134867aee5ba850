//! `kubelet-read-only-port`: the kubelet's unauthenticated port.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::kubelet_config;

const PATH: &str = "readOnlyPort";

declare_rule! {
    /// ## What it checks
    /// A `KubeletConfiguration` (`kubelet.config.k8s.io/v1beta1`) must not set
    /// `readOnlyPort` to anything but `0`. The configuration file's default is `0` (the
    /// port is closed; the kubelet's deprecated `--read-only-port` flag defaults to
    /// 10255), so a file that leaves the field out passes.
    ///
    /// ## Why it matters
    /// The read-only port serves the node's pod specs (environment variables included),
    /// metrics and health over plain HTTP, with neither authentication nor authorization.
    /// Anything that can reach the node learns what runs there and often a credential or two.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authorization:
    ///   mode: Webhook
    /// readOnlyPort: 10255
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authorization:
    ///   mode: Webhook
    /// readOnlyPort: 0
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster security)
    /// - CIS Kubernetes Benchmark 4.2.4 (verify that the read-only-port argument is set to 0)
    /// - <https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/>
    pub static RULE = Rule {
        id: "kubelet-read-only-port",
        title: "Kubelet read-only port open",
        severity: Severity::High,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("4.2.4"),
        remediation: "Set `readOnlyPort: 0` in the KubeletConfiguration (or remove the setting).",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(config) = kubelet_config(object) else { return Outcome::NotApplicable };
    let violations = match config.get(PATH).and_then(|node| node.as_i64()) {
        Some(port) if port != 0 => vec![Violation::new(
            PATH,
            format!("readOnlyPort is {port}: the kubelet serves pod data over HTTP without authentication"),
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
    fn an_open_port_fails_on_its_line() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                PATH.to_string(),
                "readOnlyPort is 10255: the kubelet serves pod data over HTTP without authentication".to_string(),
                5
            )]
        );
    }

    #[test]
    fn a_config_relying_on_defaults_passes() {
        let judged = judge_one(&RULE, "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n");
        assert!(judged.violations().is_empty());
    }
}
