//! `policy-engine-audit-only`: admission policies should block, not just report.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A Kyverno `ClusterPolicy` or `Policy` with `validate` rules enforces them: its
    /// `spec.validationFailureAction` (Kyverno's default is `Audit`) or a rule's own
    /// `validate.failureAction` is not `Audit`. A Gatekeeper constraint
    /// (`constraints.gatekeeper.sh`) has a `spec.enforcementAction` other than `dryrun` or
    /// `warn` (the default, `deny`, enforces).
    ///
    /// ## Why it matters
    /// An audit-only policy writes a report and admits the object anyway. It is useful
    /// while rolling a policy out, and a hole once people believe it protects them.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata:
    ///   name: require-labels
    /// spec:
    ///   validationFailureAction: Audit
    ///   rules:
    ///   - name: check-team
    ///     match:
    ///       any:
    ///       - resources: {kinds: [Pod]}
    ///     validate:
    ///       message: the label team is required
    ///       pattern:
    ///         metadata:
    ///           labels:
    ///             team: "?*"
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata:
    ///   name: require-labels
    /// spec:
    ///   validationFailureAction: Enforce
    ///   rules:
    ///   - name: check-team
    ///     match:
    ///       any:
    ///       - resources: {kinds: [Pod]}
    ///     validate:
    ///       message: the label team is required
    ///       pattern:
    ///         metadata:
    ///           labels:
    ///             team: "?*"
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 6 (runtime): "OPA Gatekeeper"; layer 7 (supply chain): Kyverno
    pub static RULE = Rule {
        id: "policy-engine-audit-only",
        title: "Admission policy only audits",
        severity: Severity::Medium,
        family: Family::Namespaces,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(6),
        cis: None,
        remediation: "Switch the policy to `validationFailureAction: Enforce` (Kyverno) or `enforcementAction: deny` (Gatekeeper) once its reports are clean.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    let spec = object.root.field("spec");
    if object.group() == "constraints.gatekeeper.sh" {
        let action = spec.field("enforcementAction").as_str().unwrap_or("deny");
        if matches!(action, "dryrun" | "warn") {
            return Outcome::Checked(vec![Violation::new(
                "spec.enforcementAction",
                format!("Gatekeeper constraint {} only reports violations (enforcementAction {action})", object.name),
            )]);
        }
        return Outcome::pass();
    }
    if !(object.is("kyverno.io", "ClusterPolicy") || object.is("kyverno.io", "Policy")) {
        return Outcome::NotApplicable;
    }
    let policy_action = spec.field("validationFailureAction").as_str().unwrap_or("Audit");
    let mut violations = Vec::new();
    let mut validates = false;
    for (index, rule) in spec.field("rules").items().iter().enumerate() {
        let validate = rule.field("validate");
        if validate.is_null() {
            continue;
        }
        validates = true;
        let (action, path) = match validate.field("failureAction").as_str() {
            Some(action) => (action, format!("spec.rules[{index}].validate.failureAction")),
            None => (policy_action, "spec.validationFailureAction".to_string()),
        };
        if action.eq_ignore_ascii_case("audit") {
            let rule_name = rule.field("name").as_str().unwrap_or("");
            violations.push(Violation::new(
                path,
                format!("Kyverno policy {} rule {rule_name} only audits: failure action {action}", object.name),
            ));
        }
    }
    if !validates {
        return Outcome::NotApplicable;
    }
    Outcome::Checked(violations)
}
