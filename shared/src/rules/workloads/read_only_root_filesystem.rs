//! `read-only-root-filesystem`: containers should not be able to write to their image.

use crate::declare_rule;
use crate::fix::{Fix, FixCx, Scalar};
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// Every container of a workload sets `securityContext.readOnlyRootFilesystem: true`.
    ///
    /// ## Why it matters
    /// A writable root filesystem lets an attacker who gets code execution drop tools,
    /// modify binaries and persist inside the container. With a read-only root, writes go
    /// only to the volumes you mount for them (an `emptyDir` for `/tmp`).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: nginx:1.27
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: nginx:1.27
    ///         securityContext:
    ///           readOnlyRootFilesystem: true
    ///         volumeMounts:
    ///         - name: tmp
    ///           mountPath: /tmp
    ///       volumes:
    ///       - name: tmp
    ///         emptyDir: {}
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: sets `readOnlyRootFilesystem: true`. An application that writes anywhere
    /// outside its volumes (`/tmp`, a cache, a pid file) fails at run time; mount an `emptyDir`
    /// where it writes.
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security): "Read-only root filesystem"
    /// - CIS Kubernetes Benchmark 5.7.3 (apply security context)
    pub static RULE = Rule {
        id: "read-only-root-filesystem",
        title: "Writable root filesystem",
        severity: Severity::Medium,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: Some("5.7.3"),
        remediation: "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the application must write.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            if container.security_context().field("readOnlyRootFilesystem").as_bool() != Some(true) {
                violations.push(Violation::new(
                    container.path_to("securityContext.readOnlyRootFilesystem"),
                    format!("{} can write to its root filesystem", container.label()),
                ));
            }
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.set(object, &violation.path, Scalar::Bool(true)))
}
