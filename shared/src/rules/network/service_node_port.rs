//! `service-node-port`: Services should not open a port on every node.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A Service's `spec.type` is not `NodePort`.
    ///
    /// ## Why it matters
    /// A NodePort Service listens on the same port of every node of the cluster, around
    /// any ingress controller, load balancer rules or firewall meant to front the
    /// application, and widens the attack surface of every node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   type: NodePort
    ///   selector:
    ///     app: web
    ///   ports:
    ///   - port: 80
    ///     nodePort: 30080
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   type: ClusterIP
    ///   selector:
    ///     app: web
    ///   ports:
    ///   - port: 80
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster): "Network Segmentation"
    pub static RULE = Rule {
        id: "service-node-port",
        title: "NodePort Service",
        severity: Severity::Low,
        family: Family::Network,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Use a ClusterIP Service behind an Ingress or a LoadBalancer restricted by source ranges.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    if !object.is("", "Service") {
        return Outcome::NotApplicable;
    }
    let kind = object.root.field("spec").field("type").as_str();
    if kind == Some("NodePort") {
        return Outcome::Checked(vec![Violation::new(
            "spec.type",
            "the Service opens a port on every node of the cluster (type NodePort)",
        )]);
    }
    Outcome::pass()
}
