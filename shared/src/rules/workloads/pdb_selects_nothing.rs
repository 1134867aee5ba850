//! `pdb-selects-nothing`: a PodDisruptionBudget that selects no pod protects nothing.

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};
use crate::selector;

declare_rule! {
    /// ## What it checks
    /// A PodDisruptionBudget's `selector` matches the pod template of at least one workload
    /// (or a Pod) of its namespace, evaluated as the API server does (`matchLabels` and
    /// `matchExpressions`). A budget with an empty selector (`{}`, every pod of the
    /// namespace under `policy/v1`) passes.
    ///
    /// Judged only when the input holds the whole namespace (the Namespace object in the
    /// manifests, `--complete`, or a cluster scan). System namespaces are left out.
    ///
    /// ## Why it matters
    /// A budget that matches nothing lets a node drain or an upgrade evict every replica
    /// at once, while the manifests say the workload is protected. It is usually a label
    /// renamed on one side only.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: checkout
    ///   namespace: shop
    /// spec:
    ///   minAvailable: 2
    ///   selector:
    ///     matchLabels:
    ///       app: check-out
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: checkout
    ///     spec:
    ///       containers:
    ///       - name: checkout
    ///         image: registry.example.com/checkout:2.0.1
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: checkout
    ///   namespace: shop
    /// spec:
    ///   minAvailable: 2
    ///   selector:
    ///     matchLabels:
    ///       app: checkout
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: checkout
    ///     spec:
    ///       containers:
    ///       - name: checkout
    ///         image: registry.example.com/checkout:2.0.1
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether the selector or the pod labels are wrong is for a person
    /// to say.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/run-application/configure-pdb/>
    pub static RULE = Rule {
        id: "pdb-selects-nothing",
        title: "PodDisruptionBudget selects no pods",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Make the budget's selector match the labels of the pods it is meant to protect.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let namespace = effective_namespace(object);
    if object.kind != "PodDisruptionBudget" || object.group() != "policy" || !cx.sees_whole_namespace(namespace) {
        return Outcome::NotApplicable;
    }
    let Some(pdb_selector) = object.root.field("spec").get("selector") else {
        // Without a selector a budget selects nothing under every version; say so.
        return Outcome::Checked(vec![Violation::new(
            "spec.selector",
            "the budget has no selector: it protects no pod",
        )]);
    };
    if selector::is_empty(pdb_selector)
        || cx.index.pod_labels(namespace).any(|labels| selector::matches(pdb_selector, labels))
    {
        return Outcome::pass();
    }
    Outcome::Checked(vec![Violation::new(
        "spec.selector",
        format!("the selector matches no pod template of namespace {namespace}: the budget protects nothing"),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn a_budget_matching_nothing_fails() {
        let judged = judge(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged[1].violations(),
            [(
                "spec.selector".to_string(),
                "the selector matches no pod template of namespace shop: the budget protects nothing".to_string(),
                13
            )]
        );
        let judged = judge(&RULE, RULE.doc_yaml("Use instead").unwrap().as_str());
        assert!(judged[1].violations().is_empty());
    }
}
