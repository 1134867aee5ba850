//! `service-external-ips`: Services should not claim external IPs (CVE-2020-8554).

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A Service sets no `spec.externalIPs`.
    ///
    /// ## Why it matters
    /// Any user who may create Services can set `externalIPs` to an address they do not
    /// own, and kube-proxy then sends the cluster's traffic for that address to their pods
    /// (CVE-2020-8554, a man-in-the-middle with no fix in Kubernetes itself). Few clusters
    /// need the field; admission policy should forbid it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   selector:
    ///     app: web
    ///   ports:
    ///   - port: 80
    ///   externalIPs:
    ///   - 198.51.100.7
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: web
    /// spec:
    ///   selector:
    ///     app: web
    ///   ports:
    ///   - port: 80
    /// ```
    ///
    /// ## References
    /// - CVE-2020-8554
    /// - Hardening guide, layer 1 (cluster): "Network Segmentation"
    pub static RULE = Rule {
        id: "service-external-ips",
        title: "Service with external IPs",
        severity: Severity::High,
        family: Family::Network,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Remove `spec.externalIPs`; expose the Service through a LoadBalancer or an Ingress instead.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    if !object.is("", "Service") {
        return Outcome::NotApplicable;
    }
    let addresses = object.root.field("spec").field("externalIPs").items();
    if addresses.is_empty() {
        return Outcome::pass();
    }
    let listed: Vec<String> = addresses.iter().filter_map(|address| address.as_text()).collect();
    Outcome::Checked(vec![Violation::new(
        "spec.externalIPs",
        format!("the Service claims external IPs {} (CVE-2020-8554)", listed.join(", ")),
    )])
}
