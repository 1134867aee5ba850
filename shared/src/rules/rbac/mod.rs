//! Family `rbac`: what Roles and ClusterRoles grant, and to whom bindings grant it.
//!
//! Role rules are read the way the RBAC authorizer reads them ([`grants`]): every entry of
//! `rules[]`, `*` as every verb, resource or group, `*/subresource` as that subresource of
//! every resource. Bindings are read through [`bindings`]. Both leave out the objects
//! Kubernetes creates itself (see [`is_left_out`]), as RULES.md asks: a finding on a
//! built-in role nobody can change is noise, not advice.

use crate::object::Object;
use crate::rules::{Cx, Rule};

pub mod bindings;
pub mod effective;
pub mod grants;

pub mod binding_to_all_authenticated;
pub mod binding_to_anonymous;
pub mod binding_to_missing_role;
pub mod cluster_admin_binding;
pub mod csr_approve;
pub mod escalation_verbs;
pub mod node_proxy;
pub mod pod_exec;
pub mod secrets_read;
pub mod subject_can_escalate;
pub mod subject_can_exec;
pub mod subject_can_read_secrets;
pub mod token_create;
pub mod webhook_config_write;
pub mod wildcard;
pub mod workload_create;

pub static RULES: &[&Rule] = &[
    &wildcard::RULE,
    &cluster_admin_binding::RULE,
    &binding_to_anonymous::RULE,
    &binding_to_all_authenticated::RULE,
    &secrets_read::RULE,
    &pod_exec::RULE,
    &escalation_verbs::RULE,
    &workload_create::RULE,
    &node_proxy::RULE,
    &token_create::RULE,
    &webhook_config_write::RULE,
    &csr_approve::RULE,
    &subject_can_exec::RULE,
    &subject_can_read_secrets::RULE,
    &subject_can_escalate::RULE,
    &binding_to_missing_role::RULE,
];

/// The API group of Roles, ClusterRoles and their bindings.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The user-facing ClusterRoles (and the `cluster-admin` binding) the API server creates
/// and reconciles at every start; like every RBAC object it creates, they carry the label
/// `kubernetes.io/bootstrapping: rbac-defaults` and the annotation
/// `rbac.authorization.kubernetes.io/autoupdate`.
const BOOTSTRAP_NAMES: [&str; 4] = ["cluster-admin", "admin", "edit", "view"];

/// The label the API server puts on the RBAC objects it creates.
const BOOTSTRAPPING_LABEL: &str = "kubernetes.io/bootstrapping";
/// The annotation by which the API server reconciles the RBAC objects it creates.
const AUTOUPDATE_ANNOTATION: &str = "rbac.authorization.kubernetes.io/autoupdate";

/// Whether an RBAC object is one the rules leave out: anything in a system namespace, and
/// the objects Kubernetes creates itself. Those are recognised by what the API server puts
/// on them — the label `kubernetes.io/bootstrapping: rbac-defaults` or the annotation
/// `rbac.authorization.kubernetes.io/autoupdate` — together with a name it uses
/// (`system:…`, or `cluster-admin`, `admin`, `edit` and `view`) and a place it uses (the
/// cluster scope; namespaced defaults live only in system namespaces). A name alone proves
/// nothing: a user-made `system:` role, or a Role named `system:…` in an ordinary
/// namespace, is judged like any other, so no one can hide a grant behind the prefix. The
/// built-in `cluster-admin` ClusterRoleBinding, which binds only the `system:masters`
/// group, is left out by the same test while it binds nobody else.
pub fn is_left_out(cx: &Cx<'_>, object: &Object) -> bool {
    if cx.config.include_system_objects {
        return false;
    }
    if object.namespace.as_deref().is_some_and(|namespace| cx.config.leaves_out_namespace(namespace)) {
        return true;
    }
    is_bootstrapped(object)
}

/// Whether the object carries the API server's marks and one of its names, at the
/// cluster scope.
fn is_bootstrapped(object: &Object) -> bool {
    let labelled = object.labels().get(BOOTSTRAPPING_LABEL).and_then(|node| node.as_str()) == Some("rbac-defaults");
    let annotated = crate::index::annotations(&object.root).get(AUTOUPDATE_ANNOTATION).is_some();
    if !(labelled || annotated) {
        return false;
    }
    let system_name = object.name.starts_with("system:");
    match object.kind.as_str() {
        "ClusterRole" => system_name || BOOTSTRAP_NAMES.contains(&object.name.as_str()),
        "ClusterRoleBinding" if system_name => true,
        // The bootstrap binding is left out only while it still binds nothing but
        // `system:masters`; a subject added to it is a change someone made.
        "ClusterRoleBinding" if object.name == "cluster-admin" => {
            let subjects = object.root.field("subjects").items();
            !subjects.is_empty()
                && subjects.iter().all(|subject| {
                    subject.field("kind").as_str() == Some("Group")
                        && subject.field("name").as_str() == Some("system:masters")
                })
        }
        _ => false,
    }
}

/// Helpers for the unit tests of rule families: run one rule over YAML text.
#[cfg(test)]
pub(crate) mod test_support {
    pub(crate) use crate::rules::testing::{judge, judge_one};
}
