//! Family `namespaces`: Pod Security enforcement per namespace, admission webhooks and
//! policy engines, and runtime detection across the cluster.

use crate::object::Object;
use crate::rules::{Cx, Rule};

pub mod cluster_no_image_verification;
pub mod cluster_no_policy_engine;
pub mod cluster_no_runtime_detection;
pub mod namespace_pss_below_restricted;
pub mod namespace_pss_not_enforced;
pub mod policy_engine_audit_only;
pub mod webhook_fails_open;

/// In catalog order.
pub static RULES: &[&Rule] = &[
    &namespace_pss_not_enforced::RULE,
    &namespace_pss_below_restricted::RULE,
    &webhook_fails_open::RULE,
    &policy_engine_audit_only::RULE,
    &cluster_no_policy_engine::RULE,
    &cluster_no_image_verification::RULE,
    &cluster_no_runtime_detection::RULE,
];

/// The label Pod Security admission reads the enforced level from.
const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
const ENFORCE_PATH: &str = "metadata.labels[\"pod-security.kubernetes.io/enforce\"]";

/// For a non-system Namespace: `Some(level)` with the enforced level as written (`None`
/// when unlabelled). Not a Namespace, or a system one: `None`.
fn enforced_level<'o>(cx: &Cx<'_>, object: &'o Object) -> Option<Option<&'o str>> {
    if !object.is("", "Namespace") || cx.config.leaves_out_namespace(&object.name) {
        return None;
    }
    let level = object.labels().get(ENFORCE_LABEL).and_then(|node| node.as_str());
    // Pod Security admission reads an unknown enforce level as restricted.
    Some(level.map(|level| if crate::pss::PssLevel::parse(level).is_none() { "restricted" } else { level }))
}

/// Whether cluster-wide rules judge the cluster on this object: the input must be
/// complete, and the finding goes on its first object (the object being checked is it).
fn cluster_anchor(cx: &Cx<'_>) -> bool {
    cx.index.cluster_complete() && cx.anchors.first_object
}
