//! `rbac-secrets-read`: reading Secrets is reading every credential they hold.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};

pub const QUERY: Query = Query {
    clauses: &[Clause { verbs: Verbs::Of(&["get", "list", "watch"]), targets: &[Target::new("", "secrets")] }],
    focus: Focus::Resource,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant `get`, `list` or
    /// `watch` on `secrets` (core API group), whether by name or through `*` in verbs,
    /// resources or apiGroups. `resourceNames` narrows such a grant to the named Secrets but
    /// does not excuse it: the finding still stands and says so. The finding points at the
    /// wildcard that causes the grant, else at `secrets` in `resources`. Built-in `system:`
    /// roles and roles in system namespaces are left out.
    ///
    /// ## Why it matters
    /// Secrets hold database passwords, API keys, TLS keys and ServiceAccount tokens; read
    /// access to them is access to everything those credentials open. `list` and `watch`
    /// are as bad as `get`: they return the full objects, data included.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: app-reader
    ///   namespace: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps", "secrets"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: app-reader
    ///   namespace: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC) and layer 5 (secrets management)
    /// - CIS Kubernetes Benchmark 5.1.2 (minimize access to secrets)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets>
    pub static RULE = Rule {
        id: "rbac-secrets-read",
        title: "Read access to Secrets",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.2"),
        remediation: "Drop get, list and watch on `secrets`; mount the Secrets the workload needs as volumes instead.",
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
    fn points_at_the_secrets_entry() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [("rules[0].resources[1]".to_string(), "rules[0] grants get, list, watch on secrets".to_string(), 8)]
        );
    }

    #[test]
    fn the_third_rule_with_a_wildcard_is_found() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ops\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [get]\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [create]\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: ['*']\n",
        );
        assert_eq!(
            judged.violations(),
            [(
                "rules[2].verbs[0]".to_string(),
                "rules[2] grants get, list, watch on secrets through `*` in verbs".to_string(),
                14
            )]
        );
    }
}
