//! `rbac-pod-exec`: a shell in someone else's container is their identity and their data.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};

/// `create` is what `kubectl exec` asks for over SPDY; over WebSocket the request is a GET,
/// and until Kubernetes 1.35 (feature gate `AuthorizePodWebsocketUpgradeCreatePermission`)
/// `get` alone was enough to run a command.
pub const QUERY: Query = Query {
    clauses: &[Clause {
        verbs: Verbs::Of(&["create", "get"]),
        targets: &[Target::new("", "pods/exec"), Target::new("", "pods/attach")],
    }],
    focus: Focus::Resource,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant `create` on
    /// `pods/exec` or `pods/attach` (core API group), by name, through `*` in verbs or
    /// resources, or through `*/exec` and `*/attach`. `get` counts as well: an exec over
    /// WebSocket is a GET request, and before Kubernetes 1.35 `get` alone let it through.
    /// `resourceNames` narrows the grant to named pods but does not excuse it. The finding
    /// points at the wildcard that causes the grant, else at the subresource. Built-in
    /// `system:` roles and roles in system namespaces are left out.
    ///
    /// ## Why it matters
    /// Exec and attach run commands inside a running container: its ServiceAccount token,
    /// its mounted Secrets, its network position, and in a privileged pod the node itself.
    /// It also bypasses everything admission control checked when the pod was created.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: support
    ///   namespace: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/log"]
    ///   verbs: ["get", "list"]
    /// - apiGroups: [""]
    ///   resources: ["pods/exec"]
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: support
    ///   namespace: app
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods", "pods/log"]
    ///   verbs: ["get", "list"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation>
    /// - <https://github.com/kubernetes/kubernetes/issues/78741> (exec over WebSocket with `get`)
    pub static RULE = Rule {
        id: "rbac-pod-exec",
        title: "Exec into pods",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: None,
        remediation: "Remove `pods/exec` and `pods/attach` from the role; grant them only to a break-glass role bound when needed.",
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
    fn the_second_rule_is_found() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [("rules[1].resources[0]".to_string(), "rules[1] grants create on pods/exec".to_string(), 11)]
        );
    }

    #[test]
    fn get_and_star_subresources_count_and_logs_do_not() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: ['']\n  resources: [pods/log, '*/attach']\n  verbs: [get]\n- apiGroups: ['']\n  resources: [pods/exec, pods/portforward]\n  resourceNames: [debug-0]\n  verbs: [get, list]\n",
        );
        let violations = judged.violations();
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].0, "rules[0].resources[1]");
        assert_eq!(violations[0].1, "rules[0] grants get on pods/attach through `*` in resources");
        assert_eq!(violations[1].0, "rules[1].resources[0]");
        assert_eq!(
            violations[1].1,
            "rules[1] grants get on pods/exec; resourceNames narrow it to debug-0 but do not remove it"
        );
    }
}
