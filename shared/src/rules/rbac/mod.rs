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
pub mod grants;

pub mod binding_to_all_authenticated;
pub mod binding_to_anonymous;
pub mod cluster_admin_binding;
pub mod csr_approve;
pub mod escalation_verbs;
pub mod node_proxy;
pub mod pod_exec;
pub mod secrets_read;
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
];

/// The API group of Roles, ClusterRoles and their bindings.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The user-facing ClusterRoles (and the `cluster-admin` binding) the API server creates
/// and reconciles at every start; they carry the label `kubernetes.io/bootstrapping:
/// rbac-defaults`.
const BOOTSTRAP_NAMES: [&str; 4] = ["cluster-admin", "admin", "edit", "view"];

/// Whether an RBAC object is one the rules leave out: anything named `system:…` (the
/// prefix Kubernetes reserves for its own roles and bindings), anything in a system
/// namespace, and the bootstrap roles `cluster-admin`, `admin`, `edit` and `view` when they
/// carry the bootstrapping label (a look-alike without the label is judged like any other
/// role). The built-in `cluster-admin` ClusterRoleBinding, which binds only the
/// `system:masters` group, is left out by the same test.
pub fn is_left_out(cx: &Cx<'_>, object: &Object) -> bool {
    if cx.config.include_system_objects {
        return false;
    }
    if object.name.starts_with("system:") {
        return true;
    }
    if object.namespace.as_deref().is_some_and(|namespace| cx.config.leaves_out_namespace(namespace)) {
        return true;
    }
    let bootstrapped =
        object.labels().get("kubernetes.io/bootstrapping").and_then(|node| node.as_str()) == Some("rbac-defaults");
    if !bootstrapped || !BOOTSTRAP_NAMES.contains(&object.name.as_str()) {
        return false;
    }
    match object.kind.as_str() {
        "ClusterRole" => true,
        // The bootstrap binding is left out only while it still binds nothing but
        // `system:masters`; a subject added to it is a change someone made.
        "ClusterRoleBinding" => {
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
