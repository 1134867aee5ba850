//! `namespace-pss-below-restricted`: namespaces should aim for the restricted level.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::namespaces::enforced_level;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A Namespace that enforces a Pod Security level enforces `restricted`, not `baseline`.
    /// Namespaces with no level (or `privileged`) are `namespace-pss-not-enforced`'s
    /// business. System namespaces are left out.
    ///
    /// ## Why it matters
    /// Baseline stops the known privilege escalations but still admits pods that run as
    /// root, keep every default capability and allow privilege escalation. Restricted is
    /// where hardened workloads belong.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: production
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: production
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: raises the label to `pod-security.kubernetes.io/enforce: restricted`. Pods
    /// that meet baseline but not restricted are refused from then on.
    ///
    /// ## References
    /// - Pod Security Standards: restricted
    /// - Hardening guide, layer 3 (pod security): "Pod Security Standards"
    pub static RULE = Rule {
        id: "namespace-pss-below-restricted",
        title: "Namespace enforces baseline, not restricted",
        severity: Severity::Low,
        family: Family::Namespaces,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Raise the label `pod-security.kubernetes.io/enforce` to `restricted` once the namespace's pods meet it (`rampart check` shows each pod's level).",
        check,
        fix: super::namespace_pss_not_enforced::fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    match enforced_level(cx, object) {
        Some(Some("baseline")) => Outcome::Checked(vec![Violation::new(
            super::ENFORCE_PATH,
            format!("namespace {} enforces baseline, below restricted", object.name),
        )]),
        Some(Some("privileged") | None) | None => Outcome::NotApplicable,
        Some(Some(_)) => Outcome::pass(),
    }
}
