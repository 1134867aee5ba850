//! `fs-group-missing`: a pod with volumes should say which group owns them.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A workload whose pod spec declares volumes (any entry of `spec.volumes`) sets
    /// `securityContext.fsGroup` on the pod. Pods without volumes pass. Windows pods are not
    /// checked: Kubernetes rejects `fsGroup` on them.
    ///
    /// ## Why it matters
    /// Without `fsGroup`, volume files keep whatever owner the volume plugin gives them,
    /// which for many plugins is root. A container running as a non-root user then cannot
    /// write its own data, and the usual workaround is to run it as root or make the files
    /// world-writable. With `fsGroup`, Kubernetes gives the volume to that group and adds
    /// the group to every container, so a non-root user owns its data and nothing else does.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   serviceName: db
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 10001
    ///       containers:
    ///       - name: db
    ///         image: registry.example.com/db:16.2
    ///         volumeMounts:
    ///         - name: scratch
    ///           mountPath: /var/lib/db/tmp
    ///       volumes:
    ///       - name: scratch
    ///         emptyDir: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata:
    ///   name: db
    /// spec:
    ///   serviceName: db
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 10001
    ///         fsGroup: 10001
    ///       containers:
    ///       - name: db
    ///         image: registry.example.com/db:16.2
    ///         volumeMounts:
    ///         - name: scratch
    ///           mountPath: /var/lib/db/tmp
    ///       volumes:
    ///       - name: scratch
    ///         emptyDir: {}
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security): "Security Context" (`fsGroup`)
    /// - CIS Kubernetes Benchmark 5.7.3 (apply security context)
    pub static RULE = Rule {
        id: "fs-group-missing",
        title: "Volumes without fsGroup",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: Some("5.7.3"),
        remediation: "Set `securityContext.fsGroup` on the pod to the group the application runs as, so its volumes belong to that group.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    // Kubernetes rejects fsGroup on pods with `spec.os.name: windows`, so a Windows pod
    // could never pass; the rule does not apply to it.
    if cx.pod_spec(object).is_some_and(|pod| pod.is_windows()) {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        let volumes = pod.spec.field("volumes").items();
        if volumes.is_empty() || !pod.security_context().field("fsGroup").is_null() {
            return;
        }
        let names: Vec<String> =
            volumes.iter().map(|volume| format!("\"{}\"", volume.field("name").as_str().unwrap_or(""))).collect();
        let noun = if names.len() == 1 { "volume" } else { "volumes" };
        violations.push(Violation::new(
            pod.path_to("securityContext.fsGroup"),
            format!("the pod has {noun} {} but sets no fsGroup", names.join(", ")),
        ));
    })
}
