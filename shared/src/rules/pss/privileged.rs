//! `pss-privileged`: containers must not run privileged (Pod Security Standards, baseline).

use crate::declare_rule;
use crate::fix::{Fix, FixCx};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload: `securityContext.privileged`
    /// must be unset or `false`. This is the `privileged` check of the Pod Security Standards,
    /// baseline level, at every policy version.
    ///
    /// ## Why it matters
    /// A privileged container has every capability and all host devices; it can load kernel
    /// modules, mount the host's disks and escape to the node with little effort. Anyone who
    /// compromises the application owns the node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: debug
    /// spec:
    ///   containers:
    ///   - name: shell
    ///     image: busybox:1.36
    ///     securityContext:
    ///       privileged: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: debug
    /// spec:
    ///   containers:
    ///   - name: shell
    ///     image: busybox:1.36
    ///     securityContext:
    ///       privileged: false
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: removes `privileged: true`. Whatever needed the host's devices or every
    /// capability (a CNI or storage driver, a node agent) stops working; such workloads belong in
    /// a namespace exempt from the restricted level, not fixed.
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Privileged Containers (`privileged`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.2
    pub static RULE = Rule {
        id: "pss-privileged",
        title: "Privileged container",
        severity: Severity::Critical,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "privileged", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.2"),
        remediation: "Remove `privileged: true` from the container's securityContext (or set it to false).",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            if container.security_context().field("privileged").as_bool() == Some(true) {
                violations.push(Violation::new(
                    container.path_to("securityContext.privileged"),
                    format!("{} runs privileged", container.label()),
                ));
            }
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.remove(object, &violation.path))
}
