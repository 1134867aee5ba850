//! `namespace-without-default-deny`: every namespace should start from "deny all".

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::network::policy::{self, Direction};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// Each namespace has a NetworkPolicy with an empty `podSelector` that denies all
    /// ingress, and one (the same or another) that denies all egress. `policyTypes` is read
    /// with Kubernetes' defaulting: `Ingress` always, `Egress` only when egress rules exist,
    /// so a policy without `policyTypes` and without rules denies ingress only.
    ///
    /// The rule judges a namespace only when the input holds all of it: in a cluster scan,
    /// or when the manifests include the Namespace object (or `--complete` is given). The
    /// finding points at the Namespace object (or, without one, at the first object of the
    /// namespace) and names the policies considered. System namespaces are left out.
    ///
    /// ## Why it matters
    /// Without a default deny, every pod accepts connections from every other pod of the
    /// cluster and may connect anywhere. One compromised pod can then reach databases,
    /// the cloud metadata service and the API server. Allow rules mean little until
    /// everything else is denied.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: production
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: deny-ingress
    ///   namespace: production
    /// spec:
    ///   podSelector: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: production
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny-all
    ///   namespace: production
    /// spec:
    ///   podSelector: {}
    ///   policyTypes:
    ///   - Ingress
    ///   - Egress
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster): "Network Segmentation", deny all traffic by default
    /// - CIS Kubernetes Benchmark 5.3.2
    pub static RULE = Rule {
        id: "namespace-without-default-deny",
        title: "Namespace without a default-deny NetworkPolicy",
        severity: Severity::High,
        family: Family::Network,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(1),
        cis: Some("5.3.2"),
        remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress, Egress]` and no rules, then allow what each workload needs.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let (namespace, path) = if object.is("", "Namespace") {
        (object.name.as_str(), "metadata.name")
    } else {
        // Without the Namespace object, the namespace is judged once, on its first object.
        let namespace = effective_namespace(object);
        let is_anchor =
            cx.index.namespace(namespace).is_none() && object.namespace.is_some() && cx.anchors.first_in_namespace;
        if !is_anchor {
            return Outcome::NotApplicable;
        }
        (namespace, "metadata.namespace")
    };
    if cx.config.leaves_out_namespace(namespace) || !cx.index.namespace_complete(namespace) {
        return Outcome::NotApplicable;
    }
    let denies = |direction| cx.index.network_policies(namespace).any(|policy| policy::denies_all(policy, direction));
    let missing: Vec<&str> = [(Direction::Ingress, "ingress"), (Direction::Egress, "egress")]
        .into_iter()
        .filter(|(direction, _)| !denies(*direction))
        .map(|(_, name)| name)
        .collect();
    if missing.is_empty() {
        return Outcome::pass();
    }
    Outcome::Checked(vec![Violation::new(
        path,
        format!(
            "namespace {namespace} has no NetworkPolicy that selects every pod and denies all {}; policies considered: {}",
            missing.join(" and "),
            policy::names(cx.index.network_policies(namespace))
        ),
    )])
}
