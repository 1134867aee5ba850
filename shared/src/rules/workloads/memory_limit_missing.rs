//! `memory-limit-missing`: every container should declare a memory limit.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::workloads::resources::{self, Bound};
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

declare_rule! {
    /// ## What it checks
    /// Every init and regular container of a workload sets `resources.limits.memory`. A
    /// pod-level `spec.resources.limits.memory` (the PodLevelResources feature) counts for
    /// every container. Ephemeral containers are skipped: Kubernetes allows no `resources`
    /// on them.
    ///
    /// ## Why it matters
    /// A container without a memory limit can take all the memory of its node. The kernel's
    /// out-of-memory killer then picks victims among every pod on the node, and the kubelet
    /// starts evicting them: one leaking or attacked workload takes its neighbours down.
    /// With a limit, only the offending container is killed and restarted.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    ///         resources:
    ///           requests:
    ///             memory: 128Mi
    ///             cpu: 100m
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    ///         resources:
    ///           requests:
    ///             memory: 128Mi
    ///             cpu: 100m
    ///           limits:
    ///             memory: 256Mi
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security): checklist "Resource limits set"
    pub static RULE = Rule {
        id: "memory-limit-missing",
        title: "No memory limit",
        severity: Severity::Medium,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Set `resources.limits.memory` on every container, sized from its observed peak use.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| resources::check_containers(&pod, violations, Bound::Limit, "memory"))
}
