//! `apiserver-obsolete-admission-plugin`: admission plugins Kubernetes no longer has.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::flags::check_api_servers;

/// Removed plugins and the release that removed them.
const REMOVED: [(&str, &str); 2] = [("PodSecurityPolicy", "1.25"), ("SecurityContextDeny", "1.30")];

/// The flags that name admission plugins.
const PLUGIN_FLAGS: [&str; 3] = ["enable-admission-plugins", "disable-admission-plugins", "admission-control"];

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container must not name `PodSecurityPolicy` (removed in Kubernetes
    /// 1.25) or `SecurityContextDeny` (removed in 1.30) in `--enable-admission-plugins`,
    /// `--disable-admission-plugins` or the deprecated `--admission-control`: the API server
    /// rejects unknown plugin names in either list and does not start. Each mention is one
    /// finding, at the flag that holds it.
    ///
    /// ## Why it matters
    /// A manifest copied from an older guide (the hardening guide's own flag list still
    /// enables `PodSecurityPolicy`) fails on upgrade, and the control plane with it. The
    /// protection those plugins gave must come from elsewhere now: Pod Security admission
    /// (`PodSecurity`, enabled by default) and namespace labels.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: kube-apiserver
    ///   namespace: kube-system
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command:
    ///     - kube-apiserver
    ///     - --enable-admission-plugins=NodeRestriction,PodSecurityPolicy,ServiceAccount
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: kube-apiserver
    ///   namespace: kube-system
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command:
    ///     - kube-apiserver
    ///     - --enable-admission-plugins=NodeRestriction,PodSecurity,ServiceAccount
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening): its `--enable-admission-plugins` example
    /// - <https://kubernetes.io/docs/concepts/security/pod-security-policy/>
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#securitycontextdeny>
    pub static RULE = Rule {
        id: "apiserver-obsolete-admission-plugin",
        title: "Removed admission plugin listed",
        severity: Severity::Info,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Remove `PodSecurityPolicy` and `SecurityContextDeny` from the admission plugin flags and enforce Pod Security Standards with namespace labels.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, |server, violations| {
        for flag_name in PLUGIN_FLAGS {
            for (plugin, flag) in server.flags.list(flag_name) {
                if let Some((_, release)) = REMOVED.iter().find(|(removed, _)| *removed == plugin) {
                    violations.push(Violation::new(
                        flag.path.clone(),
                        format!("--{flag_name} lists {plugin}, removed in Kubernetes {release}: the API server will not start"),
                    ));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn each_mention_is_named_at_its_flag() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "spec.containers[0].command[1]".to_string(),
                "--enable-admission-plugins lists PodSecurityPolicy, removed in Kubernetes 1.25: the API server will not start"
                    .to_string(),
                13
            )]
        );
        let judged = judge_one(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    command: [kube-apiserver]\n    args: [--disable-admission-plugins, SecurityContextDeny]\n",
        );
        assert_eq!(judged.violations()[0].0, "spec.containers[0].args[0]");
    }
}
