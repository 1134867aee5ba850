//! `rbac-wildcard`: roles should list what they grant, not grant everything with `*`.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};
use crate::tree::Node;

use super::grants::{join_and, role_rules};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole (not only the first): none may hold
    /// `*` in `verbs`, `resources` or `apiGroups`. A resource written `*/subresource` (such
    /// as `*/scale`) is a wildcard too: it reaches that subresource of every resource. The
    /// finding points at the wildcard itself, the verb one first. Built-in `system:` roles
    /// and roles in system namespaces are left out.
    ///
    /// ## Why it matters
    /// A wildcard grants more than anyone reviewed: `*` in verbs includes `escalate`, `bind`
    /// and `impersonate`; `*` in resources includes Secrets and every resource that custom
    /// resource definitions add later; `*` in apiGroups reaches groups that do not exist yet.
    /// A role that needs everything is `cluster-admin`, and that should be rare.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: deployer
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps"]
    ///   verbs: ["get", "list"]
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "update"]
    /// - apiGroups: ["*"]
    ///   resources: ["*"]
    ///   verbs: ["*"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: deployer
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps"]
    ///   verbs: ["get", "list"]
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "update"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - CIS Kubernetes Benchmark 5.1.3 (minimize wildcard use in Roles and ClusterRoles)
    /// - <https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege>
    pub static RULE = Rule {
        id: "rbac-wildcard",
        title: "Wildcard in an RBAC rule",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.3"),
        remediation: "Replace each `*` with the verbs, resources and API groups the role really needs.",
        check,
    };
}

const FIELDS: [&str; 3] = ["verbs", "resources", "apiGroups"];

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(rules) = role_rules(cx, object) else { return Outcome::NotApplicable };
    let violations = rules.iter().enumerate().filter_map(|(index, rule)| wildcard(index, rule)).collect();
    Outcome::Checked(violations)
}

fn is_wildcard(field: &str, text: &str) -> bool {
    text == "*" || (field == "resources" && text.starts_with("*/"))
}

fn texts(rule: &Node, field: &str) -> Vec<String> {
    rule.field(field).items().iter().filter_map(|item| item.as_str().map(str::to_string)).collect()
}

/// One violation for an entry that holds wildcards, at the first of them.
fn wildcard(index: usize, rule: &Node) -> Option<Violation> {
    let mut path = None;
    let mut found: Vec<(&str, String)> = Vec::new();
    for field in FIELDS {
        let position = rule
            .field(field)
            .items()
            .iter()
            .position(|item| item.as_str().is_some_and(|text| is_wildcard(field, text)));
        if let Some(position) = position {
            path.get_or_insert_with(|| format!("rules[{index}].{field}[{position}]"));
            let text = rule.field(field).items()[position].as_str().unwrap_or("*").to_string();
            found.push((field, text));
        }
    }
    let path = path?;
    let wildcards = if found.iter().all(|(_, text)| text == "*") {
        let fields: Vec<&str> = found.iter().map(|(field, _)| *field).collect();
        format!("`*` in {}", join_and(&fields))
    } else {
        let parts: Vec<String> = found.iter().map(|(field, text)| format!("`{text}` in {field}")).collect();
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        join_and(&parts)
    };
    Some(Violation::new(path, format!("rules[{index}] uses {wildcards}: {}", reach(rule))))
}

/// What the entry reaches, in words: `every verb on pods in the core group`.
fn reach(rule: &Node) -> String {
    let verbs = texts(rule, "verbs");
    let verbs = if verbs.iter().any(|verb| verb == "*") { "every verb".to_string() } else { verbs.join(", ") };
    let resources = texts(rule, "resources");
    if resources.is_empty() {
        let urls = texts(rule, "nonResourceURLs");
        return format!("{verbs} on {}", urls.join(", "));
    }
    let resources: Vec<String> = resources
        .iter()
        .map(|resource| {
            if resource == "*" {
                "every resource".to_string()
            } else if let Some(subresource) = resource.strip_prefix("*/") {
                format!("the {subresource} subresource of every resource")
            } else {
                resource.clone()
            }
        })
        .collect();
    let groups = texts(rule, "apiGroups");
    let groups = if groups.iter().any(|group| group == "*") {
        "every API group".to_string()
    } else {
        let named: Vec<&str> =
            groups.iter().map(|group| if group.is_empty() { "the core group" } else { group.as_str() }).collect();
        join_and(&named)
    };
    format!("{verbs} on {} in {groups}", resources.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::{judge, judge_one};

    #[test]
    fn the_third_rule_holding_the_wildcard_is_found_on_its_line() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        let violations = judged.violations();
        assert_eq!(violations.len(), 1);
        let (path, message, line) = &violations[0];
        assert_eq!(path, "rules[2].verbs[0]");
        assert_eq!(
            message,
            "rules[2] uses `*` in verbs, resources and apiGroups: every verb on every resource in every API group"
        );
        assert_eq!(*line, 14);
    }

    #[test]
    fn one_finding_per_rule_entry_at_its_first_wildcard() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: app\nrules:\n- apiGroups: [apps]\n  resources: [deployments, '*/scale']\n  verbs: [update]\n- apiGroups: ['']\n  resources: ['*']\n  verbs: [get, list]\n",
        );
        let violations = judged.violations();
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[0].0, "rules[0].resources[1]");
        assert_eq!(
            violations[0].1,
            "rules[0] uses `*/scale` in resources: update on deployments, the scale subresource of every resource in apps"
        );
        assert_eq!(violations[1].0, "rules[1].resources[0]");
        assert_eq!(violations[1].1, "rules[1] uses `*` in resources: get, list on every resource in the core group");
    }

    #[test]
    fn system_roles_and_other_kinds_are_not_judged() {
        let judged = judge(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:controller:foo\n  annotations:\n    rbac.authorization.kubernetes.io/autoupdate: 'true'\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cluster-admin\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: anything\n  namespace: kube-system\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rules\ndata: {}\n",
        );
        assert!(judged.iter().all(|object| object.violations.is_none()), "{judged:?}");
    }

    #[test]
    fn a_look_alike_cluster_admin_without_the_bootstrap_label_is_judged() {
        let judged = judge_one(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cluster-admin\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n- nonResourceURLs: ['*']\n  verbs: ['*']\n",
        );
        let violations = judged.violations();
        assert_eq!(violations.len(), 2);
        assert_eq!(violations[1].1, "rules[1] uses `*` in verbs: every verb on *");
    }

    #[test]
    fn a_system_prefix_alone_hides_nothing() {
        // A user-made ClusterRole named `system:…`, a labelled Role in an ordinary namespace
        // and a labelled ClusterRole under a name Kubernetes does not use are all judged.
        let judged = judge(
            &RULE,
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:backdoor\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: system:controller:app\n  namespace: app\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: deployer\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n",
        );
        let names: Vec<&str> =
            judged.iter().filter(|object| object.violations().len() == 1).map(|object| object.name.as_str()).collect();
        assert_eq!(names, ["system:backdoor", "system:controller:app", "deployer"]);
    }
}
