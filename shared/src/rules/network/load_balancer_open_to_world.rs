//! `load-balancer-open-to-world`: a LoadBalancer should say who may reach it.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A Service of type `LoadBalancer` sets `spec.loadBalancerSourceRanges`. A range list
    /// that contains `0.0.0.0/0` or `::/0` opens it to the world just the same and fails too.
    ///
    /// ## Why it matters
    /// Without source ranges, the cloud load balancer accepts connections from the whole
    /// internet. Internal tools, admin consoles and databases exposed this way are found by
    /// scanners within hours.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    /// spec:
    ///   type: LoadBalancer
    ///   selector:
    ///     app: admin
    ///   ports:
    ///   - port: 443
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges:
    ///   - 203.0.113.0/24
    ///   selector:
    ///     app: admin
    ///   ports:
    ///   - port: 443
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster): "Network Segmentation"
    pub static RULE = Rule {
        id: "load-balancer-open-to-world",
        title: "LoadBalancer open to the world",
        severity: Severity::Medium,
        family: Family::Network,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: None,
        remediation: "Set `spec.loadBalancerSourceRanges` to the networks that need access.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    if !object.is("", "Service") {
        return Outcome::NotApplicable;
    }
    let spec = object.root.field("spec");
    if spec.field("type").as_str() != Some("LoadBalancer") {
        return Outcome::NotApplicable;
    }
    let ranges = spec.field("loadBalancerSourceRanges").items();
    if ranges.is_empty() {
        return Outcome::Checked(vec![Violation::new(
            "spec.loadBalancerSourceRanges",
            "the LoadBalancer accepts connections from anywhere: no loadBalancerSourceRanges",
        )]);
    }
    let violations = ranges
        .iter()
        .enumerate()
        .filter(|(_, range)| matches!(range.as_str().map(str::trim), Some("0.0.0.0/0" | "::/0")))
        .map(|(index, range)| {
            Violation::new(
                format!("spec.loadBalancerSourceRanges[{index}]"),
                format!(
                    "the LoadBalancer accepts connections from anywhere: source range {}",
                    range.as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    Outcome::Checked(violations)
}
