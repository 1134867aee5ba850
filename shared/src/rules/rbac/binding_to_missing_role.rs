//! `rbac-binding-to-missing-role`: a binding should grant a role that exists.

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::bindings::{binding, ROLE_NAME_PATH};
use super::effective::{is_built_in_cluster_role, resolve};

declare_rule! {
    /// ## What it checks
    /// The role a RoleBinding or ClusterRoleBinding refers to exists: a `Role` in the
    /// binding's namespace, or a `ClusterRole` of the input. ClusterRoles the API server
    /// creates itself (`cluster-admin`, `admin`, `edit`, `view` and every `system:` one)
    /// exist without being in the input.
    ///
    /// Judged only on complete input: for a ClusterRole, a cluster scan or `--complete`;
    /// for a Role, the Namespace object in the manifests too. Built-in `system:` bindings
    /// and bindings in system namespaces are left out.
    ///
    /// ## Why it matters
    /// A binding to a missing role grants nothing today and whatever is created under that
    /// name tomorrow: anyone who may create Roles in the namespace (or ClusterRoles) can
    /// hand the binding's subjects any permission without touching the binding, which is
    /// the object reviewers look at. It is also often the remains of a renamed role.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: app
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: deployer
    ///   namespace: app
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: ci
    ///   namespace: app
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: deployer-v1
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: app
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: deployer
    ///   namespace: app
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "update"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: deployer
    ///   namespace: app
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: ci
    ///   namespace: app
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: deployer
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: whether to delete the binding or restore the role is for a
    /// person to decide.
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/rbac/#rolebinding-and-clusterrolebinding>
    pub static RULE = Rule {
        id: "rbac-binding-to-missing-role",
        title: "Binding to a missing role",
        severity: Severity::Medium,
        family: Family::Rbac,
        scope: Scope::Context,
        pss: None,
        guide_layer: Some(2),
        cis: None,
        remediation: "Delete the binding, or create the role it refers to under the name it uses.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(binding) = binding(cx, object) else { return Outcome::NotApplicable };
    let complete = match binding.role_kind {
        "Role" => cx.index.namespace_complete(effective_namespace(object)),
        "ClusterRole" => cx.index.cluster_complete() && !is_built_in_cluster_role(binding.role_name),
        _ => false,
    };
    if !complete {
        return Outcome::NotApplicable;
    }
    if resolve(cx, object, &binding).is_some() {
        return Outcome::pass();
    }
    let place = match binding.role_kind {
        "Role" => format!("in namespace {}", effective_namespace(object)),
        _ => "in the cluster".to_string(),
    };
    Outcome::Checked(vec![Violation::new(
        ROLE_NAME_PATH,
        format!(
            "refers to {}, which does not exist {place}: it grants whatever is created under that name",
            binding.role_label()
        ),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::{judge, outcomes};
    use crate::rules::Mode;

    #[test]
    fn missing_roles_on_complete_input_only() {
        let judged = judge(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged[1].violations(),
            [(
                "roleRef.name".to_string(),
                "refers to Role deployer-v1, which does not exist in namespace app: it grants whatever is created under that name".to_string(),
                18
            )]
        );
        let cluster = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\nsubjects:\n- kind: User\n  name: alice\nroleRef:\n  kind: ClusterRole\n  name: gone\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: v\nsubjects:\n- kind: User\n  name: alice\nroleRef:\n  kind: ClusterRole\n  name: view\n";
        let incomplete = outcomes(&RULE, cluster, &Config::default(), Mode::Manifests, 0);
        assert_eq!(incomplete, [Outcome::NotApplicable, Outcome::NotApplicable]);
        let complete = outcomes(&RULE, cluster, &Config::default(), Mode::Cluster, 0);
        assert!(matches!(&complete[0], Outcome::Checked(violations) if violations.len() == 1));
        assert_eq!(complete[1], Outcome::NotApplicable, "built-in roles exist");
    }
}
