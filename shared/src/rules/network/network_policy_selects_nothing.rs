//! `network-policy-selects-nothing`: a NetworkPolicy that selects no pod isolates nothing.

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};
use crate::selector;

declare_rule! {
    /// ## What it checks
    /// A NetworkPolicy's `podSelector` matches the pod template of at least one workload
    /// (or a Pod) of its namespace, evaluated as the API server does (`matchLabels` and
    /// `matchExpressions`). An empty `podSelector` (`{}`) selects every pod, present or
    /// future, and always passes: a default deny in a namespace still empty is right.
    ///
    /// Judged only when the input holds the whole namespace (the Namespace object in the
    /// manifests, `--complete`, or a cluster scan). System namespaces are left out.
    ///
    /// ## Why it matters
    /// A policy that selects nothing is a false sense of isolation: it reads as if the
    /// pods it names were protected, while they accept traffic from anywhere. Usually a
    /// label was renamed in the workload and not in the policy.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: db-from-backend
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: postgres
    ///   ingress:
    ///   - from:
    ///     - podSelector:
    ///         matchLabels:
    ///           app: backend
    /// ---
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: db
    ///     spec:
    ///       containers:
    ///       - name: postgres
    ///         image: registry.example.com/postgres:16.4
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: db-from-backend
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: db
    ///   ingress:
    ///   - from:
    ///     - podSelector:
    ///         matchLabels:
    ///           app: backend
    /// ---
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: db
    ///     spec:
    ///       containers:
    ///       - name: postgres
    ///         image: registry.example.com/postgres:16.4
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the selector or the pod labels are wrong is for a person
    /// to say, and a policy that starts selecting pods starts dropping their traffic.
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster): "Network Segmentation"
    /// - <https://kubernetes.io/docs/concepts/services-networking/network-policies/>
    pub static RULE = Rule {
        id: "network-policy-selects-nothing",
        title: "NetworkPolicy selects no pods",
        severity: Severity::Medium,
        family: Family::Network,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Make the policy's podSelector match the labels of the pods it is meant to isolate.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let namespace = effective_namespace(object);
    if !object.is("networking.k8s.io", "NetworkPolicy") || !cx.sees_whole_namespace(namespace) {
        return Outcome::NotApplicable;
    }
    let pod_selector = object.root.field("spec").field("podSelector");
    if selector::is_empty(pod_selector)
        || cx.index.pod_labels(namespace).any(|labels| selector::matches(pod_selector, labels))
    {
        return Outcome::pass();
    }
    Outcome::Checked(vec![Violation::new(
        "spec.podSelector",
        format!("the podSelector matches no pod template of namespace {namespace}: the policy isolates nothing"),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn a_selector_matching_nothing_fails_and_an_empty_one_passes() {
        let judged = judge(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(judged[1].violations().len(), 1);
        assert_eq!(judged[1].violations()[0].0, "spec.podSelector");
        let empty = RULE.doc_yaml("Example").unwrap().replace("    matchLabels:\n      app: postgres\n", "    {}\n");
        let judged = judge(&RULE, &empty.replace("  podSelector:\n    {}\n", "  podSelector: {}\n"));
        assert!(judged[1].violations().is_empty());
    }
}
