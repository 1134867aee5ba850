//! `rbac-webhook-config-write`: admission webhooks see, and may change, every request.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};

const ADMISSION_GROUP: &str = "admissionregistration.k8s.io";

/// `deletecollection` removes every webhook configuration at once, so it counts as delete.
const QUERY: Query = Query {
    clauses: &[Clause {
        verbs: Verbs::Of(&["create", "update", "patch", "delete", "deletecollection"]),
        targets: &[
            Target::new(ADMISSION_GROUP, "mutatingwebhookconfigurations"),
            Target::new(ADMISSION_GROUP, "validatingwebhookconfigurations"),
        ],
    }],
    focus: Focus::Resource,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant `create`, `update`,
    /// `patch` or `delete` (or `deletecollection`) on `mutatingwebhookconfigurations` or
    /// `validatingwebhookconfigurations` (`admissionregistration.k8s.io`), by name or
    /// through `*`. `resourceNames` narrows an update or delete to named configurations but
    /// does not excuse it. The finding points at the wildcard that causes the grant, else at
    /// the resource. Built-in `system:` roles and roles in system namespaces are left out.
    ///
    /// ## Why it matters
    /// Whoever writes a mutating webhook configuration can route every object the API server
    /// admits through a server of their choice and rewrite it (inject a container into every
    /// pod, read every Secret as it is created). Deleting or loosening a validating one
    /// switches off the policy engine that guards the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: operator
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   verbs: ["get", "list", "create", "patch"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: operator
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 6 (runtime security): admission webhooks
    /// - CIS Kubernetes Benchmark 5.1.12 (minimize access to webhook configuration objects)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks>
    pub static RULE = Rule {
        id: "rbac-webhook-config-write",
        title: "Write access to admission webhooks",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.12"),
        remediation: "Keep write access to webhook configurations for the cluster's installer; grant others read access only.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_roles(cx, object, &QUERY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn write_verbs_are_named() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "rules[0].resources[0]".to_string(),
                "rules[0] grants create, patch on mutatingwebhookconfigurations".to_string(),
                7
            )]
        );
    }
}
