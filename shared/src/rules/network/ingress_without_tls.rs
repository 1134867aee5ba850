//! `ingress-without-tls`: an Ingress should terminate TLS.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// An Ingress (`networking.k8s.io` or the old `extensions` group) has a non-empty
    /// `spec.tls` section.
    ///
    /// ## Why it matters
    /// Without TLS, credentials, session cookies and data cross the network in clear text,
    /// readable and changeable by anyone on the path.
    ///
    /// No automatic fix exists: TLS needs a certificate (a Secret, or cert-manager) that
    /// only you can provide.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    /// spec:
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend:
    ///           service: {name: web, port: {number: 80}}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    /// spec:
    ///   tls:
    ///   - hosts: [shop.example.com]
    ///     secretName: shop-tls
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend:
    ///           service: {name: web, port: {number: 80}}
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster): TLS everywhere
    pub static RULE = Rule {
        id: "ingress-without-tls",
        title: "Ingress without TLS",
        severity: Severity::Medium,
        family: Family::Network,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Add a `spec.tls` section naming the hosts and the Secret that holds their certificate.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    if !(object.is("networking.k8s.io", "Ingress") || object.is("extensions", "Ingress")) {
        return Outcome::NotApplicable;
    }
    if object.root.field("spec").field("tls").items().is_empty() {
        return Outcome::Checked(vec![Violation::new("spec.tls", "the Ingress serves plain HTTP: no tls section")]);
    }
    Outcome::pass()
}
