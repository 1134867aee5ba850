//! Effective RBAC: what a binding grants its subjects, followed through the role it refers
//! to, for the `rbac-subject-*` rules and `rbac-binding-to-missing-role`.
//!
//! A binding's role is looked up in the input: a RoleBinding's `Role` in the binding's
//! namespace, any binding's `ClusterRole` by name. The four user-facing ClusterRoles the API
//! server creates (`cluster-admin`, `admin`, `edit`, `view`) are known without being in the
//! input, by what they grant that matters here. A role found nowhere is not judged by the
//! `rbac-subject-*` rules (`rbac-binding-to-missing-role` reports it on complete input).

use std::sync::LazyLock;

use crate::index::effective_namespace;
use crate::object::Object;
use crate::parse::{parse_source, Limits, Source};
use crate::rules::{Cx, Outcome, Violation};
use crate::tree::Node;

use super::bindings::{binding, Binding, Subject, ROLE_NAME_PATH};
use super::grants::{find, Grant, Query};

/// What the built-in user-facing ClusterRoles grant of what these rules ask about (a
/// summary of their upstream definitions: `admin` and `edit` may exec into pods, read
/// Secrets and impersonate ServiceAccounts; `view` may do none of it).
const BUILT_IN_ROLES: &str = "\
cluster-admin:
- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}
- {nonResourceURLs: ['*'], verbs: ['*']}
admin:
- {apiGroups: [''], resources: [pods/attach, pods/exec, pods/portforward, pods/proxy, secrets, services/proxy], verbs: [get, list, watch]}
- {apiGroups: [''], resources: [pods, pods/attach, pods/exec, pods/portforward, pods/proxy], verbs: [create, delete, deletecollection, patch, update]}
- {apiGroups: [''], resources: [serviceaccounts], verbs: [impersonate]}
- {apiGroups: [apps], resources: [daemonsets, deployments, replicasets, statefulsets], verbs: [create, delete, deletecollection, patch, update]}
- {apiGroups: [batch], resources: [cronjobs, jobs], verbs: [create, delete, deletecollection, patch, update]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings, roles], verbs: [create, delete, deletecollection, get, list, patch, update, watch]}
edit:
- {apiGroups: [''], resources: [pods/attach, pods/exec, pods/portforward, pods/proxy, secrets, services/proxy], verbs: [get, list, watch]}
- {apiGroups: [''], resources: [pods, pods/attach, pods/exec, pods/portforward, pods/proxy], verbs: [create, delete, deletecollection, patch, update]}
- {apiGroups: [''], resources: [serviceaccounts], verbs: [impersonate]}
- {apiGroups: [apps], resources: [daemonsets, deployments, replicasets, statefulsets], verbs: [create, delete, deletecollection, patch, update]}
- {apiGroups: [batch], resources: [cronjobs, jobs], verbs: [create, delete, deletecollection, patch, update]}
view:
- {apiGroups: [''], resources: [configmaps, endpoints, pods, services], verbs: [get, list, watch]}
";

static BUILT_IN: LazyLock<Node> = LazyLock::new(|| {
    let (mut documents, _) = parse_source(&Source::new("built-in-roles.yaml", BUILT_IN_ROLES), &Limits::default());
    documents.remove(0).root
});

/// Whether a ClusterRole of that name is one the API server creates itself: the four
/// user-facing ones and every `system:` one.
pub fn is_built_in_cluster_role(name: &str) -> bool {
    BUILT_IN.get(name).is_some() || name.starts_with("system:")
}

/// The role a binding grants, as found.
pub struct Resolved<'a> {
    /// The rules of the role.
    pub rules: &'a [Node],
    /// Whether it is a built-in ClusterRole known without the input.
    pub built_in: bool,
}

/// The role the binding refers to, from the input or the built-ins; `None` when it is in
/// neither.
pub fn resolve<'a>(cx: &'a Cx<'_>, object: &Object, binding: &Binding<'_>) -> Option<Resolved<'a>> {
    let namespace = (binding.role_kind == "Role").then(|| effective_namespace(object));
    if let Some(rules) = cx.index.role_rules(namespace, binding.role_name) {
        return Some(Resolved { rules: rules.items(), built_in: false });
    }
    if binding.role_kind != "ClusterRole" {
        return None;
    }
    BUILT_IN.get(binding.role_name).map(|rules| Resolved { rules: rules.items(), built_in: true })
}

/// `RoleBinding app/support`: how messages name a binding.
fn binding_label(object: &Object) -> String {
    match &object.namespace {
        Some(namespace) => format!("{} {namespace}/{}", object.kind, object.name),
        None => format!("{} {}", object.kind, object.name),
    }
}

/// The binding → role → rules chain, for messages: `RoleBinding app/support → Role
/// support → rules[1] grants create on pods/exec`.
pub fn chain(object: &Object, binding: &Binding<'_>, resolved: &Resolved<'_>, grants: &[Grant]) -> String {
    let built_in = if resolved.built_in { " (built-in)" } else { "" };
    let grants: Vec<String> = grants.iter().map(Grant::describe).collect();
    format!("{} → {}{built_in} → {}", binding_label(object), binding.role_label(), grants.join("; "))
}

/// Runs a question through every binding: one violation per binding whose role grants
/// something the query asks about to at least one subject `concerned` keeps. `what`
/// completes "may …" in the message.
pub fn check_subjects(
    cx: &Cx<'_>,
    object: &Object,
    query: &Query,
    what: &str,
    concerned: impl Fn(&Binding<'_>, &Subject<'_>) -> bool,
) -> Outcome {
    let Some(binding) = binding(cx, object) else { return Outcome::NotApplicable };
    let Some(resolved) = resolve(cx, object, &binding) else { return Outcome::NotApplicable };
    let subjects: Vec<String> = binding
        .subjects
        .iter()
        .filter(|subject| concerned(&binding, subject))
        .filter(|subject| !cx.config.is_trusted_subject(subject.kind, subject.namespace, subject.name))
        .map(Subject::label)
        .collect();
    if subjects.is_empty() {
        return Outcome::pass();
    }
    let grants = find(resolved.rules, query);
    if grants.is_empty() {
        return Outcome::pass();
    }
    let evidence = chain(object, &binding, &resolved, &grants);
    let scope = match (binding.kind, object.namespace.as_deref()) {
        ("RoleBinding", Some(namespace)) => format!("in namespace {namespace}"),
        ("RoleBinding", None) => "in namespace default".to_string(),
        _ => "cluster-wide".to_string(),
    };
    Outcome::Checked(vec![Violation::new(
        ROLE_NAME_PATH,
        format!("{} may {what} {scope}: {evidence}", subjects.join(", ")),
    )])
}
