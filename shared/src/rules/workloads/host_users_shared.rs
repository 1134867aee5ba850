//! `host-users-shared`: pods should run in a user namespace of their own.

use crate::declare_rule;
use crate::fix::{Fix, FixCx, Scalar};
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

/// The first Kubernetes minor version where user namespaces for pods are on by default
/// (beta, feature gate `UserNamespacesSupport`).
pub const SINCE_MINOR: u32 = 33;

declare_rule! {
    /// ## What it checks
    /// The pod spec sets `hostUsers: false`, so the pod gets a user namespace of its own,
    /// when the target Kubernetes version (`--kube-version`, configuration `kubeVersion`,
    /// default the newest) supports it: 1.33 and later, where user namespaces are on by
    /// default. Earlier targets, Windows pods, and pods that share the host's network,
    /// PID or IPC namespace (which Kubernetes does not allow in a user namespace; the
    /// `pss-host-namespaces` rule reports those) are not judged.
    ///
    /// ## Why it matters
    /// In a user namespace, root in the container is an unprivileged user on the node:
    /// UID 0 inside maps to a high, unused UID outside, and capabilities count only inside.
    /// Several container escapes (CVE-2022-0492, CVE-2024-21626 among them) give nothing
    /// from a pod in its own user namespace. Without it, a process that escapes keeps its
    /// UID on the node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       hostUsers: false
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: sets `hostUsers: false`. The node needs a runtime and filesystems that
    /// support ID-mapped mounts, and volumes whose files must be owned by a particular UID
    /// on the node (some hostPath and NFS uses) may no longer be writable.
    ///
    /// ## References
    /// - Hardening guide, layer 3 (workloads): "Security Contexts"
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/user-namespaces/>
    pub static RULE = Rule {
        id: "host-users-shared",
        title: "Pod shares the host's user namespace",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Set `hostUsers: false` in the pod spec so the pod runs in its own user namespace.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(pod) = cx.pod_spec(object) else { return Outcome::NotApplicable };
    let shares_host =
        ["hostNetwork", "hostPID", "hostIPC"].iter().any(|field| pod.spec.field(field).as_bool() == Some(true));
    if cx.config.kube_minor() < SINCE_MINOR || pod.is_windows() || shares_host {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        if !pod.in_user_namespace() {
            violations.push(Violation::new(
                pod.path_to("hostUsers"),
                "the pod shares the node's user namespace: root in its containers is root on the node".to_string(),
            ));
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.set(object, &violation.path, Scalar::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::outcomes;
    use crate::rules::Mode;

    #[test]
    fn older_targets_and_host_namespaces_are_not_judged() {
        let example = RULE.doc_yaml("Example").unwrap();
        let newest = outcomes(&RULE, &example, &Config::default(), Mode::Manifests, 0);
        assert!(matches!(&newest[..], [Outcome::Checked(violations)] if violations.len() == 1));
        let old = Config { kube_version: Some("v1.32".to_string()), ..Config::default() };
        assert_eq!(outcomes(&RULE, &example, &old, Mode::Manifests, 0), [Outcome::NotApplicable]);
        let host = example.replace("      containers:", "      hostNetwork: true\n      containers:");
        assert_eq!(outcomes(&RULE, &host, &Config::default(), Mode::Manifests, 0), [Outcome::NotApplicable]);
    }
}
