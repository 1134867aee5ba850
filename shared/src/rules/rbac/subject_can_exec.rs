//! `rbac-subject-can-exec`: who may run commands in other people's containers, and how.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::effective::check_subjects;

declare_rule! {
    /// ## What it checks
    /// Each RoleBinding and ClusterRoleBinding, followed to the role it grants (a Role of
    /// the binding's namespace or a ClusterRole of the input; `cluster-admin`, `admin` and
    /// `edit` are known built-ins): the role must not let its subjects exec or attach into
    /// pods (`create` or `get` on `pods/exec` or `pods/attach`, read as
    /// `rbac-pod-exec` reads roles). The finding points at the binding's `roleRef.name` and
    /// names the subjects and the chain binding → role → rule that grants it. Subjects in
    /// the configuration's `trustedSubjects` are left out, as are bindings whose role is
    /// not in the input (see `rbac-binding-to-missing-role`) and built-in `system:`
    /// bindings.
    ///
    /// ## Why it matters
    /// `rbac-pod-exec` says a role is dangerous; this rule says who holds it. Exec runs a
    /// shell with the container's ServiceAccount token, Secrets and network position, and
    /// bypasses admission control; a ServiceAccount that may exec is a way for anyone who
    /// steals its token to move from pod to pod.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: debugger
    ///   namespace: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods/exec"]
    ///   verbs: ["create"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: ci-debugger
    ///   namespace: app
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: ci
    ///   namespace: app
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: debugger
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: log-reader
    ///   namespace: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/log"]
    ///   verbs: ["get", "list"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: ci-log-reader
    ///   namespace: app
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: ci
    ///   namespace: app
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: log-reader
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: who needs a shell, and where, is for a person to decide.
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation>
    pub static RULE = Rule {
        id: "rbac-subject-can-exec",
        title: "Subject may exec into pods",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(2),
        cis: None,
        remediation: "Bind the subjects to a role without pods/exec and pods/attach; grant a shell only through a break-glass binding.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_subjects(cx, object, &super::pod_exec::QUERY, "exec into pods", |_, _| true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn the_chain_is_the_evidence_and_built_in_roles_are_known() {
        let judged = judge(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert!(judged[0].violations.is_none(), "roles are judged by rbac-pod-exec");
        assert_eq!(
            judged[1].violations(),
            [(
                "roleRef.name".to_string(),
                "ServiceAccount app/ci may exec into pods in namespace app: RoleBinding app/ci-debugger → Role debugger → rules[0] grants create on pods/exec".to_string(),
                23
            )]
        );
        let edit = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: devs\nsubjects:\n- kind: Group\n  name: devs\nroleRef:\n  kind: ClusterRole\n  name: edit\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: x\n  namespace: app\nsubjects:\n- kind: User\n  name: alice\nroleRef:\n  kind: Role\n  name: not-in-the-input\n";
        let judged = judge(&RULE, edit);
        assert_eq!(
            judged[0].violations()[0].1,
            "Group devs may exec into pods cluster-wide: ClusterRoleBinding devs → ClusterRole edit (built-in) → rules[0] grants get on pods/exec, pods/attach and rules[1] grants create on pods/exec, pods/attach".replace(" and rules[1]", "; rules[1]")
        );
        assert!(judged[1].violations.is_none(), "a missing role is not judged here");
    }
}
