//! `service-selects-nothing`: a Service whose selector matches no pod serves nothing.

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::network::{selects, show_labels};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A Service with a `selector` selects the pod template of at least one workload (or a
    /// Pod) of its namespace: every label of the selector is on the template with the same
    /// value. Services without a selector (endpoints managed by hand) and `ExternalName`
    /// Services are left out.
    ///
    /// Judged only when the input holds the whole namespace (the Namespace object in the
    /// manifests, `--complete`, or a cluster scan). System namespaces are left out.
    ///
    /// ## Why it matters
    /// A selector that matches nothing is usually a typo or a label renamed on one side
    /// only. The Service then has no endpoints: clients time out, and whatever the
    /// Service's port, NetworkPolicies and Ingress were meant to protect is not what is
    /// running. Later, any pod that happens to carry those labels receives the traffic.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: backend
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: backend-api
    ///   ports:
    ///   - port: 80
    ///     targetPort: 8080
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
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: backend
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: backend
    ///   ports:
    ///   - port: 80
    ///     targetPort: 8080
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
    /// ## Fix safety
    /// No automatic fix: which side of the mismatch is wrong, the selector or the labels,
    /// is for a person to say.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors>
    pub static RULE = Rule {
        id: "service-selects-nothing",
        title: "Service selects no pods",
        severity: Severity::Low,
        family: Family::Network,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Make the Service's selector match the labels of the pod template it should serve, or remove the Service.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if !object.is("", "Service") {
        return Outcome::NotApplicable;
    }
    let namespace = effective_namespace(object);
    let selector = object.root.at(&["spec", "selector"]);
    let has_selector = selector.is_some_and(|selector| !selector.entries().is_empty());
    let external_name = object.root.at(&["spec", "type"]).and_then(|node| node.as_str()) == Some("ExternalName");
    if !has_selector || external_name || !cx.sees_whole_namespace(namespace) {
        return Outcome::NotApplicable;
    }
    let selector_node = object.root.field("spec").field("selector");
    if cx.index.pod_labels(namespace).any(|labels| selects(selector_node, labels)) {
        return Outcome::pass();
    }
    let shown = selector.map(show_labels).unwrap_or_default();
    Outcome::Checked(vec![Violation::new(
        "spec.selector",
        format!(
            "the selector {shown} matches no pod template of namespace {namespace}, so the Service has no endpoints"
        ),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn a_mismatched_selector_is_found_and_incomplete_input_is_not_judged() {
        let judged = judge(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged[1].violations(),
            [(
                "spec.selector".to_string(),
                "the selector {app=backend-api} matches no pod template of namespace shop, so the Service has no endpoints".to_string(),
                12
            )]
        );
        let without_namespace = RULE.doc_yaml("Example").unwrap().replacen(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n",
            "",
            1,
        );
        assert!(judge(&RULE, &without_namespace)[0].violations.is_none());
    }
}
