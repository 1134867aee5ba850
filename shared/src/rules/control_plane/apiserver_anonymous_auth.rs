//! `apiserver-anonymous-auth`: the API server should not answer requests nobody signed.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::flags::check_api_servers;

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container (recognised by its program or image, in a static Pod or
    /// any other pod spec) must run with `--anonymous-auth=false`, in `command` or `args`,
    /// as `--anonymous-auth=false` or `--anonymous-auth false`; the last occurrence counts.
    /// The flag defaults to `true`, so a missing flag fails (at the container's command
    /// line); an explicit true value fails at the flag.
    ///
    /// ## Why it matters
    /// With anonymous authentication on, a request without credentials is served as the
    /// user `system:anonymous`. Only RBAC then stands between the internet and the API, and
    /// a single careless binding to `system:anonymous` or `system:unauthenticated` opens it.
    /// The defaults also expose version and health endpoints that help an attacker pick an
    /// exploit. Mind the static Pod's own HTTP probes, which then need credentials; from
    /// Kubernetes 1.32 an `AuthenticationConfiguration` (`--authentication-config`) can
    /// allow anonymous access to `/livez`, `/readyz` and `/healthz` only, and this rule
    /// cannot see that file.
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
    ///     - --authorization-mode=Node,RBAC
    ///     - --enable-admission-plugins=NodeRestriction
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
    ///     - --enable-admission-plugins=NodeRestriction
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening): `--anonymous-auth=false`
    /// - CIS Kubernetes Benchmark 1.2.1 (ensure that the --anonymous-auth argument is set to false)
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests>
    pub static RULE = Rule {
        id: "apiserver-anonymous-auth",
        title: "API server allows anonymous requests",
        severity: Severity::Critical,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.1"),
        remediation: "Add `--anonymous-auth=false` to the kube-apiserver's flags.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, |server, violations| match server.flags.last("anonymous-auth") {
        None => {
            let hint = if server.flags.last("authentication-config").is_some() {
                "allowed unless the --authentication-config file restricts them"
            } else {
                "allowed by default"
            };
            violations.push(
                server.missing(format!(
                    "kube-apiserver runs without --anonymous-auth=false: anonymous requests are {hint}"
                )),
            );
        }
        Some(flag) if flag.as_bool() == Some(false) => {}
        Some(flag) => {
            violations.push(Violation::new(flag.path.clone(), format!("{} allows anonymous requests", flag.shown())))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn a_missing_flag_points_at_the_command() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "spec.containers[0].command".to_string(),
                "kube-apiserver runs without --anonymous-auth=false: anonymous requests are allowed by default"
                    .to_string(),
                11
            )]
        );
    }

    #[test]
    fn flags_in_args_in_both_forms_and_the_last_one_wins() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command: [kube-apiserver]\n    args:\n    - --anonymous-auth\n    - 'false'\n";
        assert!(judge_one(&RULE, pod).violations().is_empty());
        let later_true = format!("{pod}    - --anonymous-auth=true\n");
        assert_eq!(
            judge_one(&RULE, &later_true).violations(),
            [(
                "spec.containers[0].args[2]".to_string(),
                "--anonymous-auth=true allows anonymous requests".to_string(),
                13
            )]
        );
    }

    #[test]
    fn other_pods_are_not_judged() {
        let judged = judge_one(&RULE, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n");
        assert!(judged.violations.is_none());
    }
}
