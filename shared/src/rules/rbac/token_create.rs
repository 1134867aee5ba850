//! `rbac-token-create`: minting a ServiceAccount's token is acting as that ServiceAccount.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};

const QUERY: Query = Query {
    clauses: &[Clause { verbs: Verbs::Of(&["create"]), targets: &[Target::new("", "serviceaccounts/token")] }],
    focus: Focus::Resource,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant `create` on
    /// `serviceaccounts/token` (core API group), by name or through `*` in verbs or
    /// resources or `*/token`. `resourceNames` narrows the grant to named ServiceAccounts
    /// but does not excuse it. The finding points at the wildcard that causes the grant,
    /// else at the subresource. Built-in `system:` roles and roles in system namespaces are
    /// left out.
    ///
    /// ## Why it matters
    /// The TokenRequest API issues a fresh token for a ServiceAccount: whoever may call it
    /// holds every permission of every ServiceAccount it reaches, controllers' accounts
    /// included, for as long as the tokens they request stay valid.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: token-issuer
    ///   namespace: ci
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts", "serviceaccounts/token"]
    ///   verbs: ["get", "create"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: token-issuer
    ///   namespace: ci
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Service Account Best Practices"
    /// - CIS Kubernetes Benchmark 5.1.13 (minimize access to the service account token creation)
    /// - <https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/>
    pub static RULE = Rule {
        id: "rbac-token-create",
        title: "ServiceAccount token creation",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.13"),
        remediation: "Remove `create` on `serviceaccounts/token`; let pods receive their tokens through projected volumes.",
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
    fn points_at_the_subresource() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [("rules[0].resources[1]".to_string(), "rules[0] grants create on serviceaccounts/token".to_string(), 8)]
        );
    }
}
