//! `namespace-pss-not-enforced`: every namespace should enforce a Pod Security level.

use crate::declare_rule;
use crate::fix::{Fix, FixCx, Scalar};
use crate::object::Object;
use crate::rules::namespaces::enforced_level;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A Namespace carries the label `pod-security.kubernetes.io/enforce` with a level other
    /// than `privileged`. An unknown level counts as enforced: Pod Security admission treats
    /// an invalid `enforce` value as `restricted`. System namespaces are left out.
    ///
    /// ## Why it matters
    /// Pod Security admission does nothing for a namespace without the label (the cluster
    /// default is `privileged`), so a privileged pod or a hostPath mount is admitted without
    /// a word, whatever your manifests' reviews said.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: production
    ///   labels:
    ///     pod-security.kubernetes.io/warn: restricted
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
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: labels the Namespace `pod-security.kubernetes.io/enforce: restricted`. Pods
    /// that do not meet the restricted level are refused from then on (running ones stay until
    /// they are replaced); check them first (`rampart check` shows each pod's level).
    ///
    /// ## References
    /// - Pod Security Admission: namespace labels
    /// - Hardening guide, layer 3 (pod security): "Pod Security Standards"
    /// - CIS Kubernetes Benchmark 5.2.1
    pub static RULE = Rule {
        id: "namespace-pss-not-enforced",
        title: "Namespace does not enforce Pod Security",
        severity: Severity::Medium,
        family: Family::Namespaces,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: Some("5.2.1"),
        remediation: "Label the Namespace `pod-security.kubernetes.io/enforce: restricted` (or `baseline` where restricted is not yet possible).",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(level) = enforced_level(cx, object) else { return Outcome::NotApplicable };
    match level {
        Some("privileged") => Outcome::Checked(vec![Violation::new(
            super::ENFORCE_PATH,
            format!("namespace {} enforces the privileged level, which checks nothing", object.name),
        )]),
        Some(_) => Outcome::pass(),
        None => Outcome::Checked(vec![Violation::new(
            super::ENFORCE_PATH,
            format!("namespace {} has no pod-security.kubernetes.io/enforce label", object.name),
        )]),
    }
}

/// Labels the Namespace to enforce the restricted level.
pub(crate) fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.set(object, &violation.path, Scalar::Str("restricted")))
}
