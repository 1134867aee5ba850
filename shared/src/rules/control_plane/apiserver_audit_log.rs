//! `apiserver-audit-log`: without an audit log, nobody can tell afterwards who did what.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::flags::check_api_servers;

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container must write an audit log: `--audit-log-path` set (a file,
    /// or `-` for standard output), or an audit webhook (`--audit-webhook-config-file`).
    /// And because the API server records no event at all without a policy, a container
    /// with an audit backend but no `--audit-policy-file` fails too. Flags are read from
    /// `command` and `args`, in both forms.
    ///
    /// ## Why it matters
    /// The audit log is the only record of who read which Secret, who created that
    /// privileged pod and which token was used. Without it an incident cannot be scoped,
    /// and an attacker's actions leave no trace in the cluster.
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
    ///     - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
    ///     - --audit-log-path=/var/log/kubernetes/audit.log
    ///     - --audit-log-maxage=30
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening): `--audit-log-path`
    /// - CIS Kubernetes Benchmark 1.2.17 (ensure that the --audit-log-path argument is set)
    /// - <https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/>
    pub static RULE = Rule {
        id: "apiserver-audit-log",
        title: "API server writes no audit log",
        severity: Severity::High,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.17"),
        remediation: "Set `--audit-log-path` and `--audit-policy-file` on the kube-apiserver.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, |server, violations| {
        let flags = &server.flags;
        let backend = flags.non_empty("audit-log-path").or_else(|| flags.non_empty("audit-webhook-config-file"));
        let Some(backend) = backend else {
            violations.push(server.missing("kube-apiserver runs without --audit-log-path: no audit log is written"));
            return;
        };
        if flags.non_empty("audit-policy-file").is_none() {
            violations.push(Violation::new(
                backend.path.clone(),
                format!(
                    "{} is set but --audit-policy-file is not: no event is recorded without a policy",
                    backend.shown()
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn a_log_without_a_policy_records_nothing() {
        let judged = judge_one(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    args: [--audit-log-path, /var/log/audit.log]\n",
        );
        assert_eq!(
            judged.violations(),
            [(
                "spec.containers[0].args[0]".to_string(),
                "--audit-log-path=/var/log/audit.log is set but --audit-policy-file is not: no event is recorded without a policy"
                    .to_string(),
                9
            )]
        );
    }

    #[test]
    fn a_missing_log_points_at_the_command() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(judged.violations()[0].0, "spec.containers[0].command");
    }
}
