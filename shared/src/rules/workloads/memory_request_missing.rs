//! `memory-request-missing`: every container should declare a memory request.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::workloads::resources::{self, Bound};
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

declare_rule! {
    /// ## What it checks
    /// Every init and regular container of a workload sets `resources.requests.memory`.
    /// A memory limit counts as the request, because the API server copies a limit into a
    /// missing request; so does a pod-level `spec.resources` value. Ephemeral containers are
    /// skipped: Kubernetes allows no `resources` on them.
    ///
    /// ## Why it matters
    /// The scheduler places pods by their requests. A container that requests no memory is
    /// placed as if it needed none, so nodes are overcommitted and, under pressure, the
    /// kubelet evicts pods that use more than they asked for first (a pod with no requests
    /// at all is `BestEffort` and goes before anything else).
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
    ///             cpu: 100m
    ///             memory: 128Mi
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security): checklist "Resource limits set"
    pub static RULE = Rule {
        id: "memory-request-missing",
        title: "No memory request",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Set `resources.requests.memory` on every container to its typical memory use.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| resources::check_containers(&pod, violations, Bound::Request, "memory"))
}
