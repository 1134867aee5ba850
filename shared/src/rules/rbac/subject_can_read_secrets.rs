//! `rbac-subject-can-read-secrets`: who may read Secrets beyond their own namespace.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::bindings::{Binding, Subject};
use super::effective::check_subjects;

declare_rule! {
    /// ## What it checks
    /// Each RoleBinding and ClusterRoleBinding, followed to the role it grants (a Role of
    /// the binding's namespace or a ClusterRole of the input; `cluster-admin`, `admin` and
    /// `edit` are known built-ins): the role must not let its subjects `get`, `list` or
    /// `watch` Secrets (read as `rbac-secrets-read` reads roles) cluster-wide, or in a
    /// namespace they do not own. A ClusterRoleBinding grants cluster-wide: every subject
    /// counts. A RoleBinding grants in its namespace, which its own ServiceAccounts, users
    /// and groups are taken to own; a ServiceAccount of another namespace does not. The
    /// finding points at the binding's `roleRef.name` and names the subjects and the chain
    /// binding → role → rule. Subjects in `trustedSubjects`, bindings whose role is not in
    /// the input and built-in `system:` bindings are left out.
    ///
    /// ## Why it matters
    /// Reading Secrets is reading every credential they hold: database passwords, cloud
    /// keys, other ServiceAccounts' tokens. Cluster-wide, one stolen token reads them all;
    /// across namespaces, a workload reaches credentials of a team it does not belong to.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: secret-syncer
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   verbs: ["get", "list", "watch"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: secret-syncer
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: syncer
    ///   namespace: tools
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: secret-syncer
    /// ```
    ///
    /// ## Use instead
    /// Grant it in the one namespace whose Secrets the tool manages:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: secret-syncer
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   verbs: ["get", "list", "watch"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: secret-syncer
    ///   namespace: tools
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: syncer
    ///   namespace: tools
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: secret-syncer
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: narrowing a grant is for a person who knows what the subject does.
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - CIS Kubernetes Benchmark 5.1.2 (minimize access to secrets)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets>
    pub static RULE = Rule {
        id: "rbac-subject-can-read-secrets",
        title: "Subject may read Secrets beyond its namespace",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.2"),
        remediation: "Bind the role with a RoleBinding in the namespace the subject works in, and narrow it with resourceNames.",
        check,
    };
}

/// Whether the subject reaches Secrets outside a namespace it owns through the binding.
fn beyond_own_namespace(binding: &Binding<'_>, subject: &Subject<'_>, namespace: &str) -> bool {
    binding.kind != "RoleBinding"
        || (subject.kind == "ServiceAccount" && subject.namespace.is_some_and(|own| own != namespace))
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let namespace = crate::index::effective_namespace(object);
    check_subjects(cx, object, &super::secrets_read::QUERY, "read Secrets", |binding, subject| {
        beyond_own_namespace(binding, subject, namespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn cluster_wide_and_foreign_service_accounts_fail() {
        let judged = judge(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged[1].violations()[0].1,
            "ServiceAccount tools/syncer may read Secrets cluster-wide: ClusterRoleBinding secret-syncer → ClusterRole secret-syncer → rules[0] grants get, list, watch on secrets"
        );
        let foreign = RULE
            .doc_yaml("Use instead")
            .unwrap()
            .replace("  name: syncer\n  namespace: tools", "  name: syncer\n  namespace: other");
        let judged = judge(&RULE, &foreign);
        assert_eq!(judged[1].violations().len(), 1);
        assert!(judged[1].violations()[0]
            .1
            .starts_with("ServiceAccount other/syncer may read Secrets in namespace tools"));
    }
}
