//! `apiserver-tls`: the API server should serve a certificate its clients can verify.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::flags::check_api_servers;

const FLAGS: [&str; 2] = ["tls-cert-file", "tls-private-key-file"];

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container must set both `--tls-cert-file` and
    /// `--tls-private-key-file` (to something other than the empty string), in `command`
    /// or `args`. Each missing flag is one finding, at the container's command line.
    ///
    /// ## Why it matters
    /// Without them the API server generates a self-signed certificate at start-up. Clients
    /// then either cannot verify whom they talk to or are configured to skip verification,
    /// and every token and Secret that crosses the wire is open to a man in the middle.
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
    ///     - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
    ///     - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening): `--tls-cert-file`, `--tls-private-key-file`
    /// - CIS Kubernetes Benchmark 1.2.25 (ensure that the --tls-cert-file and --tls-private-key-file arguments are set)
    /// - <https://kubernetes.io/docs/setup/best-practices/certificates/>
    pub static RULE = Rule {
        id: "apiserver-tls",
        title: "API server serves a self-signed certificate",
        severity: Severity::High,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.25"),
        remediation: "Set `--tls-cert-file` and `--tls-private-key-file` to a certificate signed by the cluster's CA.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, |server, violations| {
        for flag in FLAGS {
            if server.flags.non_empty(flag).is_none() {
                violations.push(
                    server
                        .missing(format!("kube-apiserver runs without --{flag}: it serves a self-signed certificate")),
                );
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn each_missing_flag_is_one_finding() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        let messages: Vec<&str> = judged.violations().iter().map(|(_, message, _)| message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "kube-apiserver runs without --tls-cert-file: it serves a self-signed certificate",
                "kube-apiserver runs without --tls-private-key-file: it serves a self-signed certificate"
            ]
        );
    }

    #[test]
    fn flags_in_args_count() {
        let judged = judge_one(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    args: [--tls-cert-file, /pki/apiserver.crt, --tls-private-key-file=/pki/apiserver.key]\n",
        );
        assert!(judged.violations().is_empty());
    }
}
