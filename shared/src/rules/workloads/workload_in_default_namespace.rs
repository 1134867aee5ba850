//! `workload-in-default-namespace`: applications belong in namespaces of their own.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Mode, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A workload (any object with a pod spec) and the objects that come with an
    /// application — Service, Ingress, ConfigMap, Secret — do not live in the `default`
    /// namespace. An object that names `metadata.namespace: default` fails. One that names
    /// no namespace fails only in a cluster scan; a manifest without a namespace is usually
    /// applied with `kubectl apply -n`, so it passes. The objects Kubernetes itself creates
    /// in `default` (the `kubernetes` Service, the `kube-root-ca.crt` ConfigMap, legacy
    /// `default-token-*` ServiceAccount token Secrets) are not checked.
    ///
    /// ## Why it matters
    /// Namespaces are where Kubernetes draws its lines: RBAC Roles, NetworkPolicies,
    /// resource quotas and Pod Security admission labels all apply per namespace.
    /// Everything dropped into `default` shares one set of those, which is usually the
    /// most permissive one, and one application's access becomes every application's.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: shop
    ///   namespace: default
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: shop
    ///         image: registry.example.com/shop:1.9.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: shop
    ///         image: registry.example.com/shop:1.9.0
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster security): "Network Segmentation" (policies are per namespace)
    /// - CIS Kubernetes Benchmark 5.7.4 (the default namespace should not be used)
    pub static RULE = Rule {
        id: "workload-in-default-namespace",
        title: "Object in the default namespace",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("5.7.4"),
        remediation: "Move the application into a namespace of its own and set `metadata.namespace` to it.",
        check,
    };
}

/// Whether the rule looks at this kind of object: workloads and the namespaced objects an
/// application brings along. Other namespaced kinds (Roles, NetworkPolicies, Events …)
/// are left out: they follow the workloads, and flagging them would repeat one finding.
fn is_application_object(cx: &Cx<'_>, object: &Object) -> bool {
    cx.pod_spec(object).is_some()
        || object.is("", "Service")
        || object.is("", "ConfigMap")
        || object.is("", "Secret")
        || object.is("networking.k8s.io", "Ingress")
        || object.is("extensions", "Ingress")
}

/// Objects the control plane creates in `default` in every cluster: no one can move them,
/// so flagging them would only be noise.
fn is_created_by_kubernetes(object: &Object) -> bool {
    (object.is("", "Service") && object.name == "kubernetes")
        || (object.is("", "ConfigMap") && object.name == "kube-root-ca.crt")
        || (object.is("", "Secret")
            && object.name.starts_with("default-token-")
            && object.root.field("type").as_str() == Some("kubernetes.io/service-account-token"))
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if !is_application_object(cx, object) || is_created_by_kubernetes(object) {
        return Outcome::NotApplicable;
    }
    let message = match object.namespace.as_deref() {
        Some("default") => format!("{} \"{}\" lives in the default namespace", object.kind, object.name),
        None if cx.mode == Mode::Cluster => {
            format!("{} \"{}\" names no namespace, so it lives in the default namespace", object.kind, object.name)
        }
        _ => return Outcome::pass(),
    };
    Outcome::Checked(vec![Violation::new("metadata.namespace", message)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::workloads::testing::outcomes;

    fn failed(yaml: &str, mode: Mode) -> Vec<bool> {
        outcomes(&RULE, yaml, &Config::default(), mode)
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Checked(violations) => !violations.is_empty(),
                Outcome::NotApplicable => panic!("not applicable"),
            })
            .collect()
    }

    #[test]
    fn an_omitted_namespace_fails_only_in_a_cluster_scan() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n";
        assert_eq!(failed(yaml, Mode::Manifests), [false, true]);
        assert_eq!(failed(yaml, Mode::Cluster), [true, true]);
    }

    #[test]
    fn objects_kubernetes_creates_and_other_kinds_are_not_checked() {
        let yaml = "apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: default}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: default}\n";
        let results = outcomes(&RULE, yaml, &Config::default(), Mode::Cluster);
        assert!(results.iter().all(|outcome| *outcome == Outcome::NotApplicable));
    }
}
