//! `cpu-limit-missing`: every container should declare a CPU limit.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::workloads::resources::{self, Bound};
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

declare_rule! {
    /// ## What it checks
    /// Every init and regular container of a workload sets `resources.limits.cpu`. A
    /// pod-level `spec.resources.limits.cpu` (the PodLevelResources feature) counts for
    /// every container. Ephemeral containers are skipped: Kubernetes allows no `resources`
    /// on them.
    ///
    /// ## Why it matters
    /// A container without a CPU limit may use every idle core of its node. Its requests
    /// still protect neighbours' guaranteed share, but a runaway or cryptomining process
    /// slows everything that relies on spare CPU and hides in the noise. Some teams leave
    /// CPU limits off on purpose to avoid throttling; lower this rule's severity or
    /// disable it in `rampart.yaml` if that is your policy.
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
    ///           limits:
    ///             memory: 256Mi
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
    ///             cpu: 500m
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security): checklist "Resource limits set"
    pub static RULE = Rule {
        id: "cpu-limit-missing",
        title: "No CPU limit",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Set `resources.limits.cpu` on every container, or disable this rule if your policy is to run without CPU limits.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| resources::check_containers(&pod, violations, Bound::Limit, "cpu"))
}
