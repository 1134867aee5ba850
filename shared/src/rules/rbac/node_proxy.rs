//! `rbac-node-proxy`: `nodes/proxy` is a direct line to every kubelet's API.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};

const QUERY: Query = Query {
    clauses: &[Clause { verbs: Verbs::Any, targets: &[Target::new("", "nodes/proxy")] }],
    focus: Focus::Resource,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant any verb on
    /// `nodes/proxy` (core API group), by name or through `*` in resources or `*/proxy`.
    /// `get` counts like the rest. `resourceNames` narrows the grant to named nodes but does
    /// not excuse it. The finding points at the `*` verb, else at the resource. Built-in
    /// `system:` roles and roles in system namespaces are left out.
    ///
    /// ## Why it matters
    /// `nodes/proxy` forwards requests to the kubelet API of a node: reading every pod's
    /// logs and environment, and running commands in any container of that node (the
    /// kubelet's `/exec` and `/run` endpoints), with no admission control and no audit
    /// record of the command at the API server. Over WebSocket a plain `get` is enough.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: metrics-reader
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes", "nodes/proxy"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: metrics-reader
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["nodes", "nodes/metrics", "nodes/stats"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - CIS Kubernetes Benchmark 5.1.10 (minimize access to the proxy sub-resource of nodes)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes>
    pub static RULE = Rule {
        id: "rbac-node-proxy",
        title: "Access to nodes/proxy",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.10"),
        remediation: "Grant `nodes/metrics` or `nodes/stats` for monitoring instead of `nodes/proxy`.",
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
    fn any_verb_on_the_subresource_fails() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [("rules[0].resources[1]".to_string(), "rules[0] grants get, list, watch on nodes/proxy".to_string(), 7)]
        );
    }

    #[test]
    fn nodes_alone_do_not_reach_the_subresource_and_star_proxy_does() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- apiGroups: ['']\n  resources: [nodes]\n  verbs: ['*']\n- apiGroups: ['']\n  resources: ['*/proxy']\n  verbs: [create]\n",
        );
        let violations = judged.violations();
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].0, "rules[1].resources[0]");
        assert_eq!(violations[0].1, "rules[1] grants create on nodes/proxy through `*` in resources");
    }
}
