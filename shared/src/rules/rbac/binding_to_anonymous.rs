//! `rbac-binding-to-anonymous`: nothing should be granted to requests nobody authenticated.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::bindings::check_bindings;

/// The user and group every unauthenticated request carries.
const ANONYMOUS: [&str; 2] = ["system:anonymous", "system:unauthenticated"];

declare_rule! {
    /// ## What it checks
    /// Every subject of every RoleBinding and ClusterRoleBinding: none may be the user
    /// `system:anonymous` or the group `system:unauthenticated`, whatever role is granted.
    /// The finding points at the subject's name. Built-in `system:` bindings (such as
    /// `system:public-info-viewer`, which lets anyone read the version and health
    /// endpoints) and bindings in system namespaces are left out.
    ///
    /// ## Why it matters
    /// When anonymous authentication is on (the API server's default), every request
    /// without credentials is `system:anonymous` in the group `system:unauthenticated`.
    /// A binding to either opens the granted permissions to anyone who can reach the API
    /// server: past incidents began with exactly such a binding, made "temporarily" to
    /// debug something.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: public-view
    /// subjects:
    /// - kind: Group
    ///   name: system:unauthenticated
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
    ///   name: oncall-view
    /// subjects:
    /// - kind: Group
    ///   name: oncall
    ///   apiGroup: rbac.authorization.k8s.io
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: view
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (cluster security): `--anonymous-auth=false`
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests>
    pub static RULE = Rule {
        id: "rbac-binding-to-anonymous",
        title: "Binding to anonymous users",
        severity: Severity::Critical,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: None,
        remediation: "Remove `system:anonymous` and `system:unauthenticated` from the binding's subjects and bind authenticated users or groups instead.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_bindings(cx, object, |binding, violations| {
        for subject in &binding.subjects {
            if ANONYMOUS.iter().any(|name| subject.is_user_or_group(name)) {
                violations.push(Violation::new(
                    subject.path(),
                    format!(
                        "grants {} to {}: every request without credentials",
                        binding.role_label(),
                        subject.label()
                    ),
                ));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn each_anonymous_subject_is_pointed_at() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: app\nsubjects:\n- kind: User\n  name: alice\n- kind: User\n  name: system:anonymous\n- kind: Group\n  name: system:unauthenticated\nroleRef:\n  kind: Role\n  name: reader\n",
        );
        let violations = judged.violations();
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].0, "subjects[1].name");
        assert_eq!(violations[0].1, "grants Role reader to User system:anonymous: every request without credentials");
        assert_eq!(violations[0].2, 10);
        assert_eq!(violations[1].0, "subjects[2].name");
    }

    #[test]
    fn the_built_in_public_info_binding_is_left_out() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: system:public-info-viewer\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\nsubjects:\n- kind: Group\n  name: system:unauthenticated\nroleRef:\n  kind: ClusterRole\n  name: system:public-info-viewer\n",
        );
        assert!(judged.violations.is_none());
    }

    #[test]
    fn a_look_alike_of_the_built_in_binding_is_judged() {
        // The same binding without the API server's label is someone's own.
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: system:public-info-viewer\nsubjects:\n- kind: Group\n  name: system:unauthenticated\nroleRef:\n  kind: ClusterRole\n  name: system:public-info-viewer\n",
        );
        assert_eq!(judged.violations().len(), 1);
    }
}
