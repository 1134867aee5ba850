//! The API versions Kubernetes deprecated and removed, from the Kubernetes deprecated API
//! migration guide, for `api-version-deprecated` and `api-version-removed`.

use crate::fix::{Fix, FixCx, Scalar};
use crate::object::Object;
use crate::rules::Violation;

/// One API version of some kinds, and when it stopped being recommended and served.
#[derive(Clone, Copy, Debug)]
pub struct Retired {
    pub api_version: &'static str,
    /// The kinds concerned; empty for every kind of the version.
    pub kinds: &'static [&'static str],
    /// Minor version (`1.N`) from which the version is deprecated.
    pub deprecated: u32,
    /// Minor version from which it is no longer served.
    pub removed: u32,
    /// The version to use instead; `None` when the API is gone (PodSecurityPolicy).
    pub replacement: Option<&'static str>,
    /// Whether the replacement reads the same fields the same way, so that changing
    /// `apiVersion` alone keeps the object's meaning (the fix is then safe).
    pub same_schema: bool,
}

const fn retired(
    api_version: &'static str,
    kinds: &'static [&'static str],
    deprecated: u32,
    removed: u32,
    replacement: Option<&'static str>,
    same_schema: bool,
) -> Retired {
    Retired { api_version, kinds, deprecated, removed, replacement, same_schema }
}

const WORKLOADS: &[&str] = &["Deployment", "DaemonSet", "ReplicaSet", "StatefulSet", "ControllerRevision"];

/// The removal table (kubernetes.io/docs/reference/using-api/deprecation-guide/).
#[rustfmt::skip]
pub const RETIRED: &[Retired] = &[
    // Removed in 1.16.
    retired("extensions/v1beta1", &["Deployment", "DaemonSet", "ReplicaSet"], 8, 16, Some("apps/v1"), false),
    retired("extensions/v1beta1", &["NetworkPolicy"], 9, 16, Some("networking.k8s.io/v1"), false),
    retired("extensions/v1beta1", &["PodSecurityPolicy"], 10, 16, Some("policy/v1beta1"), false),
    retired("apps/v1beta1", WORKLOADS, 9, 16, Some("apps/v1"), false),
    retired("apps/v1beta2", WORKLOADS, 9, 16, Some("apps/v1"), false),
    // Removed in 1.22.
    retired("admissionregistration.k8s.io/v1beta1", &[], 16, 22, Some("admissionregistration.k8s.io/v1"), false),
    retired("apiextensions.k8s.io/v1beta1", &[], 16, 22, Some("apiextensions.k8s.io/v1"), false),
    retired("apiregistration.k8s.io/v1beta1", &[], 19, 22, Some("apiregistration.k8s.io/v1"), true),
    retired("authentication.k8s.io/v1beta1", &[], 19, 22, Some("authentication.k8s.io/v1"), true),
    retired("authorization.k8s.io/v1beta1", &[], 19, 22, Some("authorization.k8s.io/v1"), true),
    retired("certificates.k8s.io/v1beta1", &[], 19, 22, Some("certificates.k8s.io/v1"), false),
    retired("coordination.k8s.io/v1beta1", &[], 14, 22, Some("coordination.k8s.io/v1"), true),
    retired("extensions/v1beta1", &["Ingress"], 14, 22, Some("networking.k8s.io/v1"), false),
    retired("networking.k8s.io/v1beta1", &["Ingress"], 19, 22, Some("networking.k8s.io/v1"), false),
    retired("networking.k8s.io/v1beta1", &["IngressClass"], 19, 22, Some("networking.k8s.io/v1"), true),
    retired("rbac.authorization.k8s.io/v1beta1", &[], 17, 22, Some("rbac.authorization.k8s.io/v1"), true),
    retired("rbac.authorization.k8s.io/v1alpha1", &[], 17, 22, Some("rbac.authorization.k8s.io/v1"), true),
    retired("scheduling.k8s.io/v1beta1", &[], 14, 22, Some("scheduling.k8s.io/v1"), true),
    retired("scheduling.k8s.io/v1alpha1", &[], 14, 22, Some("scheduling.k8s.io/v1"), true),
    retired("storage.k8s.io/v1beta1", &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], 19, 22, Some("storage.k8s.io/v1"), true),
    // Removed in 1.25.
    retired("batch/v1beta1", &["CronJob"], 21, 25, Some("batch/v1"), true),
    retired("discovery.k8s.io/v1beta1", &["EndpointSlice"], 21, 25, Some("discovery.k8s.io/v1"), false),
    retired("events.k8s.io/v1beta1", &["Event"], 19, 25, Some("events.k8s.io/v1"), false),
    retired("autoscaling/v2beta1", &["HorizontalPodAutoscaler"], 22, 25, Some("autoscaling/v2"), false),
    retired("policy/v1beta1", &["PodDisruptionBudget"], 21, 25, Some("policy/v1"), false),
    retired("policy/v1beta1", &["PodSecurityPolicy"], 21, 25, None, false),
    retired("node.k8s.io/v1beta1", &["RuntimeClass"], 20, 25, Some("node.k8s.io/v1"), true),
    // Removed in 1.26.
    retired("flowcontrol.apiserver.k8s.io/v1beta1", &[], 23, 26, Some("flowcontrol.apiserver.k8s.io/v1"), false),
    retired("autoscaling/v2beta2", &["HorizontalPodAutoscaler"], 23, 26, Some("autoscaling/v2"), false),
    // Removed in 1.27.
    retired("storage.k8s.io/v1beta1", &["CSIStorageCapacity"], 24, 27, Some("storage.k8s.io/v1"), true),
    // Removed in 1.29.
    retired("flowcontrol.apiserver.k8s.io/v1beta2", &[], 26, 29, Some("flowcontrol.apiserver.k8s.io/v1"), false),
    // Removed in 1.32.
    retired("flowcontrol.apiserver.k8s.io/v1beta3", &[], 29, 32, Some("flowcontrol.apiserver.k8s.io/v1"), true),
];

/// The table's entry for the object's apiVersion and kind.
pub fn lookup(object: &Object) -> Option<&'static Retired> {
    RETIRED.iter().find(|entry| {
        entry.api_version == object.api_version
            && (entry.kinds.is_empty() || entry.kinds.contains(&object.kind.as_str()))
    })
}

/// Whether the table speaks of the object's API group at all: the rules judge only
/// objects of those groups (and pass their current versions), not every kind of every
/// custom resource.
pub fn covers(object: &Object) -> bool {
    let group = object.group();
    // `group/` starts the entry's version (which has one `/`): compared without a searcher.
    !group.is_empty()
        && RETIRED.iter().any(|entry| {
            let version = entry.api_version.as_bytes();
            version.get(group.len()) == Some(&b'/') && version.starts_with(group.as_bytes())
        })
}

/// What to use instead, for messages.
pub fn instead(entry: &Retired, kind: &str) -> String {
    match entry.replacement {
        Some(replacement) => format!("use {replacement}"),
        None => format!("{kind} has no replacement API"),
    }
}

/// The fix both rules offer: `apiVersion` set to the replacement, safe when the schema is
/// the same, unsafe when fields moved (the object then needs more edits by hand).
pub fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    let entry = lookup(object)?;
    let replacement = entry.replacement?;
    let edits = fix_cx.set(object, &violation.path, Scalar::Str(replacement));
    if entry.same_schema {
        Fix::safe(edits)
    } else {
        Fix::unsafe_(edits)
    }
}
