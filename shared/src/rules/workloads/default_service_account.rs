//! `default-service-account`: a workload should run under a ServiceAccount of its own.

use crate::declare_rule;
use crate::object::{Object, PodSpec};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A workload's pod names a ServiceAccount other than `default`: `serviceAccountName`
    /// must be set, not empty and not `default`. When only the deprecated
    /// `serviceAccount` field is set, it is read instead, as the API server does.
    ///
    /// ## Why it matters
    /// Every pod that names no ServiceAccount shares the namespace's `default` one. Any
    /// permission granted to it for one workload is granted to all of them, and a
    /// compromised pod inherits whatever the others needed. A dedicated ServiceAccount per
    /// workload keeps permissions — and audit log entries — tied to that workload.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: billing
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: billing
    ///         image: registry.example.com/billing:5.0.1
    /// ```
    ///
    /// ## Use instead
    /// Create a ServiceAccount named `billing` (with only the RBAC bindings billing needs),
    /// and run the workload as it:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: billing
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: billing
    ///       containers:
    ///       - name: billing
    ///         image: registry.example.com/billing:5.0.1
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Service Account Best Practices"
    /// - CIS Kubernetes Benchmark 5.1.5 (ensure that default service accounts are not actively used)
    pub static RULE = Rule {
        id: "default-service-account",
        title: "Default ServiceAccount used",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.5"),
        remediation: "Create a ServiceAccount for the workload and set `serviceAccountName` to it.",
        check,
    };
}

/// The ServiceAccount a pod runs as: `serviceAccountName`, else the deprecated
/// `serviceAccount` (which the API server copies into it), else `default`.
pub fn service_account_name<'a>(pod: &PodSpec<'a>) -> &'a str {
    ["serviceAccountName", "serviceAccount"]
        .into_iter()
        .filter_map(|field| pod.spec.field(field).as_str())
        .find(|name| !name.is_empty())
        .unwrap_or("default")
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        if service_account_name(&pod) != "default" {
            return;
        }
        let named_explicitly = pod.spec.field("serviceAccountName").as_str() == Some("default");
        let message = if named_explicitly {
            "the pod runs as the namespace's default ServiceAccount"
        } else {
            "the pod names no ServiceAccount, so it runs as the namespace's default one"
        };
        violations.push(Violation::new(pod.path_to("serviceAccountName"), message));
    })
}
