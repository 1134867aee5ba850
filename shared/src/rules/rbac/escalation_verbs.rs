//! `rbac-escalation-verbs`: the verbs that step around RBAC's own safeguards.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};
use super::RBAC_GROUP;

/// `escalate` and `bind` act on roles; `impersonate` on users, groups, ServiceAccounts,
/// UIDs and user extras (`userextras/<key>`).
pub const QUERY: Query = Query {
    clauses: &[
        Clause {
            verbs: Verbs::Of(&["escalate", "bind"]),
            targets: &[Target::new(RBAC_GROUP, "roles"), Target::new(RBAC_GROUP, "clusterroles")],
        },
        Clause {
            verbs: Verbs::Of(&["impersonate"]),
            targets: &[
                Target::new("", "users"),
                Target::new("", "groups"),
                Target::new("", "serviceaccounts"),
                Target::new("authentication.k8s.io", "uids"),
                Target::new("authentication.k8s.io", "userextras/*"),
            ],
        },
    ],
    focus: Focus::Verb,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant `escalate` or `bind`
    /// on `roles` or `clusterroles` (`rbac.authorization.k8s.io`), nor `impersonate` on
    /// `users`, `groups`, `serviceaccounts` (core group), `uids` or `userextras`
    /// (`authentication.k8s.io`), by name or through `*` in verbs, resources or apiGroups.
    /// `resourceNames` narrows the grant but does not excuse it. The finding points at the
    /// `*` verb, else the wildcard resource, else the verb itself. Built-in `system:` roles
    /// and roles in system namespaces are left out.
    ///
    /// ## Why it matters
    /// RBAC stops a user from granting permissions they do not hold themselves. `escalate`
    /// lifts that check when editing roles, `bind` lifts it when creating bindings, and
    /// `impersonate` lets a user act as anyone, `system:masters` included. Each one is a
    /// path to cluster-admin.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: team-lead
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["rolebindings"]
    ///   verbs: ["get", "list", "create"]
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   verbs: ["get", "bind"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: team-lead
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["rolebindings"]
    ///   verbs: ["get", "list", "create"]
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles"]
    ///   verbs: ["get"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - CIS Kubernetes Benchmark 5.1.8 (limit use of the bind, impersonate and escalate permissions)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb>
    pub static RULE = Rule {
        id: "rbac-escalation-verbs",
        title: "Privilege escalation verbs",
        severity: Severity::Critical,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.8"),
        remediation: "Remove `escalate`, `bind` and `impersonate` from the role; grant the specific permissions instead.",
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
    fn points_at_the_verb() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [("rules[1].verbs[1]".to_string(), "rules[1] grants bind on clusterroles".to_string(), 11)]
        );
    }

    #[test]
    fn impersonation_of_any_kind_and_verbs_on_the_wrong_resource() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [bind]\n- apiGroups: ['', authentication.k8s.io]\n  resources: [users, groups, userextras/scopes]\n  verbs: [impersonate]\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n",
        );
        let violations = judged.violations();
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].0, "rules[1].verbs[0]");
        assert_eq!(violations[0].1, "rules[1] grants impersonate on users, groups, userextras/*");
        assert_eq!(violations[1].0, "rules[2].verbs[0]");
        assert_eq!(
            violations[1].1,
            "rules[2] grants escalate, bind on roles, clusterroles and impersonate on users, groups, serviceaccounts, uids, userextras/* through `*` in verbs, resources and apiGroups"
        );
    }
}
