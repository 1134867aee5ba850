//! `apiserver-authorization-mode`: every request must pass RBAC and the Node authorizer.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::flags::check_api_servers;

const REQUIRED: [&str; 2] = ["Node", "RBAC"];

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container must run with `--authorization-mode` listing both `Node`
    /// and `RBAC`, and not `AlwaysAllow` (in any position: once the other authorizers have
    /// no opinion, `AlwaysAllow` says yes). The flag is read from `command` and `args`; a
    /// repeated flag adds to the list, as the API server reads it. Without the flag the
    /// API server authorizes with `AlwaysAllow`, so a missing flag fails, except when
    /// `--authorization-config` is set: the authorizers are then configured in that file,
    /// which this rule cannot see.
    ///
    /// ## Why it matters
    /// `AlwaysAllow` lets every authenticated request do anything: any ServiceAccount token
    /// from any pod is cluster-admin. Without `RBAC`, Roles and bindings mean nothing;
    /// without `Node` (with the `NodeRestriction` admission plugin), a compromised kubelet
    /// can read every Secret of the cluster instead of only those of its own pods.
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
    ///     - --anonymous-auth=false
    ///     - --authorization-mode=RBAC
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
    ///     - --anonymous-auth=false
    ///     - --authorization-mode=Node,RBAC
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening): `--authorization-mode=RBAC,Node`
    /// - CIS Kubernetes Benchmark 1.2.6 to 1.2.8 (not AlwaysAllow; includes Node; includes RBAC)
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/authorization/#authorization-modules>
    pub static RULE = Rule {
        id: "apiserver-authorization-mode",
        title: "API server authorization is too weak",
        severity: Severity::Critical,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.7"),
        remediation: "Run the kube-apiserver with `--authorization-mode=Node,RBAC`.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, |server, violations| {
        let modes = server.flags.list("authorization-mode");
        let Some(last) = server.flags.last("authorization-mode") else {
            if server.flags.last("authorization-config").is_none() {
                violations.push(server.missing(
                    "kube-apiserver runs without --authorization-mode: the default AlwaysAllow authorizes every request",
                ));
            }
            return;
        };
        let shown: Vec<&str> = modes.iter().map(|(mode, _)| *mode).collect();
        let shown = format!("--authorization-mode={}", shown.join(","));
        if let Some((_, flag)) = modes.iter().find(|(mode, _)| *mode == "AlwaysAllow") {
            violations.push(Violation::new(
                flag.path.clone(),
                format!("{shown} includes AlwaysAllow: every request is authorized"),
            ));
        }
        let missing: Vec<&str> =
            REQUIRED.into_iter().filter(|required| !modes.iter().any(|(mode, _)| mode == required)).collect();
        if !missing.is_empty() {
            violations.push(Violation::new(last.path.clone(), format!("{shown} lacks {}", missing.join(" and "))));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    fn pod(flags: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    args: [{flags}]\n")
    }

    #[test]
    fn missing_modes_are_named_at_the_flag() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [("spec.containers[0].command[2]".to_string(), "--authorization-mode=RBAC lacks Node".to_string(), 14)]
        );
    }

    #[test]
    fn always_allow_anywhere_fails_and_repeated_flags_add_up() {
        let judged = judge_one(&RULE, &pod("--authorization-mode=Node, --authorization-mode, 'RBAC,AlwaysAllow'"));
        assert_eq!(
            judged.violations(),
            [(
                "spec.containers[0].args[1]".to_string(),
                "--authorization-mode=Node,RBAC,AlwaysAllow includes AlwaysAllow: every request is authorized"
                    .to_string(),
                9
            )]
        );
    }

    #[test]
    fn no_flag_is_always_allow_unless_an_authorization_config_is_used() {
        let judged = judge_one(&RULE, &pod("--anonymous-auth=false"));
        assert_eq!(judged.violations()[0].0, "spec.containers[0].args");
        let judged = judge_one(&RULE, &pod("--authorization-config=/etc/kubernetes/authz.yaml"));
        assert!(judged.violations().is_empty());
    }
}
