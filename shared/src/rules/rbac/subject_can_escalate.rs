//! `rbac-subject-can-escalate`: who may grant themselves more than they were given.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::effective::check_subjects;

declare_rule! {
    /// ## What it checks
    /// Each RoleBinding and ClusterRoleBinding, followed to the role it grants (a Role of
    /// the binding's namespace or a ClusterRole of the input; `cluster-admin`, `admin` and
    /// `edit` are known built-ins): the role must not let its subjects `escalate` or `bind`
    /// roles or `impersonate` users, groups or ServiceAccounts (read as
    /// `rbac-escalation-verbs` reads roles), which `*` in verbs, resources and apiGroups —
    /// a cluster-admin equivalent — includes. The finding points at the binding's
    /// `roleRef.name` and names the subjects and the chain binding → role → rule. Subjects
    /// in `trustedSubjects`, bindings whose role is not in the input and built-in
    /// `system:` bindings are left out.
    ///
    /// ## Why it matters
    /// These verbs are the ones RBAC's own safeguards rely on. With `escalate` a subject
    /// writes itself any permission, with `bind` it grants itself any existing role, with
    /// `impersonate` it acts as anyone: each is cluster-admin a step away. A ServiceAccount
    /// that holds them makes its token the cluster's most valuable secret.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: role-manager
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles", "clusterrolebindings"]
    ///   verbs: ["get", "list", "create", "bind", "escalate"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: role-manager
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: operator
    ///   namespace: platform
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: role-manager
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: role-viewer
    /// rules:
    /// - apiGroups: ["rbac.authorization.k8s.io"]
    ///   resources: ["clusterroles", "clusterrolebindings"]
    ///   verbs: ["get", "list"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: role-viewer
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: operator
    ///   namespace: platform
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: role-viewer
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: removing a grant an operator relies on breaks it.
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - CIS Kubernetes Benchmark 5.1.8 (limit bind, impersonate and escalate)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalate-verb>
    pub static RULE = Rule {
        id: "rbac-subject-can-escalate",
        title: "Subject may escalate its privileges",
        severity: Severity::Critical,
        family: Family::Rbac,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.8"),
        remediation: "Bind the subjects to a role without escalate, bind, impersonate or wildcards; keep cluster-admin for break-glass accounts listed in trustedSubjects.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_subjects(cx, object, &super::escalation_verbs::QUERY, "escalate their privileges", |_, _| true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::{judge, run};
    use crate::rules::Mode;

    #[test]
    fn escalation_and_cluster_admin_are_found_and_trusted_subjects_are_not() {
        let judged = judge(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged[1].violations()[0].1,
            "ServiceAccount platform/operator may escalate their privileges cluster-wide: ClusterRoleBinding role-manager → ClusterRole role-manager → rules[0] grants escalate, bind on clusterroles"
        );
        let admin = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: admins\nsubjects:\n- kind: Group\n  name: ops\nroleRef:\n  kind: ClusterRole\n  name: cluster-admin\n";
        let judged = judge(&RULE, admin);
        assert!(
            judged[0].violations()[0].1.contains("ClusterRole cluster-admin (built-in) → rules[0] grants"),
            "{judged:?}"
        );
        let config = Config::parse("rampart.yaml", "trustedSubjects: ['Group:ops']\n").unwrap();
        let outcomes = run(&RULE, admin, &config, Mode::Manifests, 0, |_, outcome| outcome);
        assert_eq!(outcomes, [Outcome::pass()]);
    }
}
