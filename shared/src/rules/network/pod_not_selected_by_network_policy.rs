//! `pod-not-selected-by-network-policy`: every workload's pods should be covered by a policy.

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::network::policy;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// At least one NetworkPolicy of the workload's own namespace selects its pod labels
    /// (the template's labels for a controller). Selectors are evaluated exactly:
    /// `matchLabels` and `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`), and
    /// an empty `podSelector` selects every pod. Policies of other namespaces never count.
    ///
    /// Judged only when the input holds the whole namespace (a cluster scan, the Namespace
    /// object in the manifests, or `--complete`). System namespaces are left out.
    ///
    /// ## Why it matters
    /// A pod that no NetworkPolicy selects is not isolated at all: it accepts traffic from
    /// anywhere and sends it anywhere, whatever policies its neighbours have.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: backend
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: backend
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: backend
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: backend
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:1.4.2
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: backend-from-frontend
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchExpressions:
    ///     - {key: app, operator: In, values: [backend]}
    ///   ingress:
    ///   - from:
    ///     - podSelector:
    ///         matchLabels:
    ///           app: frontend
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster): "Network Segmentation"
    /// - CIS Kubernetes Benchmark 5.3.2
    pub static RULE = Rule {
        id: "pod-not-selected-by-network-policy",
        title: "Pods not selected by any NetworkPolicy",
        severity: Severity::Medium,
        family: Family::Network,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(1),
        cis: Some("5.3.2"),
        remediation: "Add a NetworkPolicy in the workload's namespace whose podSelector matches its pod labels (a default deny with `podSelector: {}` covers every pod).",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let namespace = effective_namespace(object);
    if cx.config.leaves_out_namespace(namespace) || !cx.index.namespace_complete(namespace) {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        let labels = pod.metadata.field("labels");
        if cx.index.network_policies(namespace).any(|policy| policy::selects(policy, labels)) {
            return;
        }
        let shown: Vec<String> = labels
            .entries()
            .iter()
            .map(|entry| format!("{}={}", entry.key, entry.value.as_text().unwrap_or_default()))
            .collect();
        violations.push(Violation::new(
            format!("{}.labels", pod.metadata_path),
            format!(
                "no NetworkPolicy of namespace {namespace} selects the pods (labels {{{}}}); policies considered: {}",
                shown.join(", "),
                policy::names(cx.index.network_policies(namespace))
            ),
        ));
    })
}
