//! `rbac-cluster-admin-binding`: nobody should hold `cluster-admin` as a matter of course.

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::bindings::{check_bindings, ROLE_NAME_PATH};

declare_rule! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding: none may grant the ClusterRole
    /// `cluster-admin`. A RoleBinding that grants it fails too: it hands over full control
    /// of its namespace (Secrets, RBAC and all). The finding points at `roleRef.name` and
    /// names the subjects. Left out: the built-in `cluster-admin` ClusterRoleBinding, which
    /// binds only the `system:masters` group (whose members pass every authorization check
    /// anyway; that group is never counted as a subject here), `system:` bindings and
    /// bindings in system namespaces. A binding without subjects grants nothing and passes.
    ///
    /// ## Why it matters
    /// `cluster-admin` is every verb on every resource of every group. A stolen token of
    /// any subject bound to it is the whole cluster: every Secret, every node through a
    /// privileged pod, and the power to erase the traces.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: ci-admin
    ///   namespace: app
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: deployer
    ///   namespace: ci
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: cluster-admin
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: ci-deployer
    ///   namespace: app
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: deployer
    ///   namespace: ci
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: deployer
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Audit RBAC Permissions"
    /// - CIS Kubernetes Benchmark 5.1.1 (ensure that the cluster-admin role is only used where required)
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles>
    pub static RULE = Rule {
        id: "rbac-cluster-admin-binding",
        title: "Binding to cluster-admin",
        severity: Severity::Critical,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.1"),
        remediation: "Bind a role that grants only what the subjects need instead of `cluster-admin`.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_bindings(cx, object, |binding, violations| {
        if !binding.grants_cluster_role("cluster-admin") {
            return;
        }
        let subjects: Vec<String> = binding
            .subjects
            .iter()
            .filter(|subject| !(subject.kind == "Group" && subject.name == "system:masters"))
            .filter(|subject| !cx.config.is_trusted_subject(subject.kind, subject.namespace, subject.name))
            .map(|subject| subject.label())
            .collect();
        if subjects.is_empty() {
            return;
        }
        let reach = match binding.kind {
            "RoleBinding" => format!(" in namespace {}", effective_namespace(object)),
            _ => String::new(),
        };
        violations.push(Violation::new(
            ROLE_NAME_PATH,
            format!("grants ClusterRole cluster-admin{reach} to {}", subjects.join(", ")),
        ));
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::{judge, judge_one};

    #[test]
    fn a_role_binding_that_grants_the_cluster_role_fails_at_the_role_name() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "roleRef.name".to_string(),
                "grants ClusterRole cluster-admin in namespace app to ServiceAccount ci/deployer".to_string(),
                13
            )]
        );
    }

    #[test]
    fn the_built_in_system_masters_binding_is_left_out_and_extra_subjects_are_not() {
        let built_in = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: cluster-admin\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\nsubjects:\n- kind: Group\n  name: system:masters\n  apiGroup: rbac.authorization.k8s.io\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\n";
        assert!(judge_one(&RULE, built_in).violations.is_none());
        let widened = built_in.replace("subjects:\n", "subjects:\n- kind: User\n  name: alice\n");
        let judged = judge_one(&RULE, &widened);
        assert_eq!(judged.violations().len(), 1);
        assert_eq!(judged.violations()[0].1, "grants ClusterRole cluster-admin to User alice");
    }

    #[test]
    fn a_namespaced_role_called_cluster_admin_is_not_the_built_in() {
        let judged = judge(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: app\nsubjects:\n- kind: User\n  name: alice\nroleRef:\n  kind: Role\n  name: cluster-admin\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: nobody\nroleRef:\n  kind: ClusterRole\n  name: cluster-admin\n",
        );
        assert!(judged.iter().all(|object| object.violations().is_empty()), "{judged:?}");
    }
}
