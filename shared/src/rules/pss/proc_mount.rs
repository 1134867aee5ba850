//! `pss-proc-mount`: containers must keep the default masked `/proc` (Pod Security
//! Standards, baseline), relaxed from policy v1.35 for pods in a user namespace.

use crate::declare_rule;
use crate::object::{Object, PodSpec};
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload:
    /// `securityContext.procMount` must be unset or `Default`. From policy v1.35, a pod that
    /// runs in its own user namespace (`hostUsers: false`) may use any value. This is the
    /// `procMount` check of the Pod Security Standards, baseline level, at every policy
    /// version; at the restricted level `pss-proc-mount-restricted` replaces it from v1.35
    /// and keeps the strict rule.
    ///
    /// ## Why it matters
    /// The runtime masks and makes read-only the parts of `/proc` that reveal or change the
    /// node's kernel state (`/proc/kcore`, `/proc/sys`, `/proc/sysrq-trigger`). `Unmasked`
    /// removes that protection; only a pod whose root is not the node's root (a user
    /// namespace) can safely go without it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: builder
    /// spec:
    ///   containers:
    ///   - name: buildkit
    ///     image: moby/buildkit:v0.16.0
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: builder
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///   - name: buildkit
    ///     image: moby/buildkit:v0.16.0
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: /proc Mount Type (`procMount`)
    /// - Hardening guide, layer 3 (pod security)
    /// - Kubernetes documentation: Use a User Namespace With a Pod
    pub static RULE = Rule {
        id: "pss-proc-mount",
        title: "Unmasked /proc",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "procMount", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: None,
        remediation: "Remove `procMount` from the container's securityContext (or set it to Default), or run the pod with `hostUsers: false`.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        if super::user_namespace_relaxation(cx, &pod) {
            return;
        }
        check_default_proc_mounts(&pod, violations);
    })
}

/// The strict rule, shared with `pss-proc-mount-restricted`: every container's `procMount`
/// is unset or exactly `Default`. An explicit empty string is not unset, so it fails too.
pub(super) fn check_default_proc_mounts(pod: &PodSpec<'_>, violations: &mut Vec<Violation>) {
    for container in pod.containers() {
        let proc_mount = container.security_context().field("procMount");
        if proc_mount.is_null() {
            continue;
        }
        let value = proc_mount.as_text().unwrap_or_default();
        if value != "Default" {
            violations.push(Violation::new(
                container.path_to("securityContext.procMount"),
                format!("{} sets procMount {value:?}", container.label()),
            ));
        }
    }
}
