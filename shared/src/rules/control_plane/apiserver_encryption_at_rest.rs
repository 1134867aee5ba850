//! `apiserver-encryption-at-rest`: Secrets in etcd should not be readable from a backup.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::flags::check_api_servers;

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container must set `--encryption-provider-config` (to something
    /// other than the empty string), in `command` or `args`. What that file says is judged
    /// by `encryption-config-identity-first` and `encryption-config-weak-provider` when the
    /// `EncryptionConfiguration` is part of the input.
    ///
    /// ## Why it matters
    /// Without an encryption configuration the API server stores Secrets in etcd as plain
    /// (base64-encoded) data. Anyone who reads an etcd backup, a disk snapshot or the etcd
    /// port gets every password, token and key of the cluster.
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
    ///     - --encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (etcd encryption at rest)
    /// - CIS Kubernetes Benchmark 1.2.28 (ensure that the --encryption-provider-config argument is set as appropriate)
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/>
    pub static RULE = Rule {
        id: "apiserver-encryption-at-rest",
        title: "Secrets are not encrypted at rest",
        severity: Severity::Critical,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.28"),
        remediation: "Write an EncryptionConfiguration that encrypts Secrets (KMS v2 or secretbox) and pass it with `--encryption-provider-config`.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, |server, violations| {
        if server.flags.non_empty("encryption-provider-config").is_none() {
            violations.push(server.missing(
                "kube-apiserver runs without --encryption-provider-config: Secrets are stored in etcd unencrypted",
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn a_missing_flag_points_at_the_command_or_args() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(judged.violations()[0].0, "spec.containers[0].command");
        let judged = judge_one(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    args: [--profiling=false]\n",
        );
        assert_eq!(judged.violations()[0].0, "spec.containers[0].args");
    }
}
