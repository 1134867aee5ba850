//! `cpu-request-missing`: every container should declare a CPU request.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::workloads::resources::{self, Bound};
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

declare_rule! {
    /// ## What it checks
    /// Every init and regular container of a workload sets `resources.requests.cpu`. A CPU
    /// limit counts as the request, because the API server copies a limit into a missing
    /// request; so does a pod-level `spec.resources` value. Ephemeral containers are
    /// skipped: Kubernetes allows no `resources` on them.
    ///
    /// ## Why it matters
    /// CPU requests decide both where a pod is scheduled and how CPU time is shared when
    /// the node is busy. A container that requests no CPU gets the smallest share under
    /// contention and lets the scheduler pack its node too tightly, so a noisy neighbour
    /// can starve it.
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
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security): checklist "Resource limits set"
    pub static RULE = Rule {
        id: "cpu-request-missing",
        title: "No CPU request",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Set `resources.requests.cpu` on every container to its typical CPU use.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| resources::check_containers(&pod, violations, Bound::Request, "cpu"))
}
