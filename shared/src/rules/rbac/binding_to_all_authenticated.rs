//! `rbac-binding-to-all-authenticated`: "anyone with an account" is not an access policy.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::bindings::check_bindings;

/// The ClusterRoles Kubernetes itself grants to every authenticated user: API discovery,
/// self-review of one's own permissions, and version and health information.
const DISCOVERY_ROLES: [&str; 3] = ["system:discovery", "system:basic-user", "system:public-info-viewer"];

declare_rule! {
    /// ## What it checks
    /// Every subject of every RoleBinding and ClusterRoleBinding: the group
    /// `system:authenticated` may only be granted the discovery ClusterRoles
    /// (`system:discovery`, `system:basic-user`, `system:public-info-viewer`). Any other
    /// role fails, and the finding points at the subject's name. Built-in `system:`
    /// bindings and bindings in system namespaces are left out.
    ///
    /// ## Why it matters
    /// `system:authenticated` is everyone who holds any credential the API server accepts:
    /// every ServiceAccount token of every pod, every node, and on managed clusters
    /// sometimes every account of the cloud provider. Granting it a role grants it to all of
    /// them, and the first compromised pod inherits it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: everyone-views
    /// subjects:
    /// - kind: Group
    ///   name: system:authenticated
    ///   apiGroup: rbac.authorization.k8s.io
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: view
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: developers-view
    /// subjects:
    /// - kind: Group
    ///   name: developers
    ///   apiGroup: rbac.authorization.k8s.io
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: view
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#discovery-roles>
    pub static RULE = Rule {
        id: "rbac-binding-to-all-authenticated",
        title: "Binding to all authenticated users",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: None,
        remediation: "Bind the role to the groups or ServiceAccounts that need it instead of `system:authenticated`.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_bindings(cx, object, |binding, violations| {
        if DISCOVERY_ROLES.iter().any(|role| binding.grants_cluster_role(role)) {
            return;
        }
        for subject in &binding.subjects {
            if subject.is_user_or_group("system:authenticated") {
                violations.push(Violation::new(
                    subject.path(),
                    format!("grants {} to {}: every user and ServiceAccount", binding.role_label(), subject.label()),
                ));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge;

    #[test]
    fn discovery_roles_pass_and_others_fail_at_the_subject() {
        let judged = judge(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: discovery\nsubjects:\n- kind: Group\n  name: system:authenticated\nroleRef:\n  kind: ClusterRole\n  name: system:discovery\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: edit\n  namespace: app\nsubjects:\n- kind: User\n  name: alice\n- kind: Group\n  name: system:authenticated\nroleRef:\n  kind: ClusterRole\n  name: edit\n",
        );
        assert!(judged[0].violations().is_empty());
        assert_eq!(
            judged[1].violations(),
            [(
                "subjects[1].name".to_string(),
                "grants ClusterRole edit to Group system:authenticated: every user and ServiceAccount".to_string(),
                21
            )]
        );
    }
}
