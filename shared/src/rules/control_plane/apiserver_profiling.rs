//! `apiserver-profiling`: profiling endpoints are for debugging sessions, not production.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::flags::check_api_servers;

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container must run with `--profiling=false` (or
    /// `--profiling false`), in `command` or `args`; the last occurrence counts. Profiling
    /// is on by default, so a missing flag fails at the container's command line; an
    /// explicit true value (a bare `--profiling` is one) fails at the flag.
    ///
    /// ## Why it matters
    /// The `/debug/pprof` endpoints reveal the program's internals and its memory layout,
    /// and profiling a busy API server is expensive: anyone allowed to reach them can slow
    /// the control plane down. They are not needed outside a debugging session.
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
    ///     - --authorization-mode=Node,RBAC
    ///     - --profiling=false
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening)
    /// - CIS Kubernetes Benchmark 1.2.16 (ensure that the --profiling argument is set to false)
    /// - <https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/>
    pub static RULE = Rule {
        id: "apiserver-profiling",
        title: "API server profiling enabled",
        severity: Severity::Low,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.16"),
        remediation: "Add `--profiling=false` to the kube-apiserver's flags.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, |server, violations| match server.flags.last("profiling") {
        None => violations.push(
            server.missing("kube-apiserver runs without --profiling=false: profiling endpoints are on by default"),
        ),
        Some(flag) if flag.as_bool() == Some(false) => {}
        Some(flag) => {
            violations.push(Violation::new(flag.path.clone(), format!("{} exposes profiling endpoints", flag.shown())))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn a_bare_flag_is_true() {
        let judged = judge_one(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    command: [kube-apiserver, --profiling, --secure-port=6443]\n",
        );
        assert_eq!(
            judged.violations(),
            [(
                "spec.containers[0].command[1]".to_string(),
                "--profiling=true exposes profiling endpoints".to_string(),
                8
            )]
        );
    }
}
