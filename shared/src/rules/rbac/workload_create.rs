//! `rbac-workload-create`: whoever can create a pod can run as any ServiceAccount of its
//! namespace and mount any Secret there.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};

/// Pods and every built-in kind that creates pods, in each group that serves it.
const QUERY: Query = Query {
    clauses: &[Clause {
        verbs: Verbs::Of(&["create"]),
        targets: &[
            Target::new("", "pods"),
            Target::new("apps", "deployments"),
            Target::new("extensions", "deployments"),
            Target::new("apps", "replicasets"),
            Target::new("extensions", "replicasets"),
            Target::new("apps", "statefulsets"),
            Target::new("apps", "daemonsets"),
            Target::new("extensions", "daemonsets"),
            Target::new("batch", "jobs"),
            Target::new("batch", "cronjobs"),
            Target::new("", "replicationcontrollers"),
        ],
    }],
    focus: Focus::Resource,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant `create` on `pods`
    /// or on a kind that creates pods: `deployments`, `replicasets`, `statefulsets`,
    /// `daemonsets` (`apps`, and `extensions` where it still serves them), `jobs`,
    /// `cronjobs` (`batch`) and `replicationcontrollers` (core), by name or through `*`.
    /// An entry with `resourceNames` cannot grant `create` (a create request carries no
    /// object name), so it passes. The finding points at the wildcard that causes the
    /// grant, else at the first workload resource. Built-in `system:` roles and roles in
    /// system namespaces are left out.
    ///
    /// ## Why it matters
    /// A pod runs with any ServiceAccount of its namespace and can mount any Secret or
    /// ConfigMap there, so the right to create one is the right to use all of them. Unless
    /// Pod Security admission enforces `restricted`, it can also be privileged, mount the
    /// host's filesystem and take over the node. Controllers are no barrier: creating a
    /// Deployment creates its pods.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: developer
    ///   namespace: app
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "create", "update"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: developer
    ///   namespace: app
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - CIS Kubernetes Benchmark 5.1.4 (minimize access to create pods)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation>
    pub static RULE = Rule {
        id: "rbac-workload-create",
        title: "Create access to workloads",
        severity: Severity::Medium,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.4"),
        remediation: "Let a deployment pipeline create workloads, and enforce the `restricted` Pod Security level where people may create them.",
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
    fn one_finding_per_rule_entry_listing_each_workload_once() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: [apps, extensions]\n  resources: [configmaps, deployments, daemonsets]\n  verbs: [create, delete]\n- apiGroups: ['']\n  resources: [pods]\n  resourceNames: [web-0]\n  verbs: ['*']\n- apiGroups: [batch]\n  resources: ['*']\n  verbs: [create]\n",
        );
        let violations = judged.violations();
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].0, "rules[0].resources[1]");
        assert_eq!(violations[0].1, "rules[0] grants create on deployments, daemonsets");
        assert_eq!(violations[1].0, "rules[2].resources[0]");
        assert_eq!(violations[1].1, "rules[2] grants create on jobs, cronjobs through `*` in resources");
    }
}
