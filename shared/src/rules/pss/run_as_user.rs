//! `pss-run-as-user`: neither the pod nor a container may ask to run as UID 0 (Pod
//! Security Standards, restricted, from policy v1.23), relaxed from v1.35 for pods in a
//! user namespace.

use crate::declare_rule;
use crate::fix::{Fix, FixCx};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

/// The first policy version with this check.
const SINCE: u32 = 23;

declare_rule! {
    /// ## What it checks
    /// A workload's pod spec and every container (init, regular and ephemeral) in it:
    /// `securityContext.runAsUser` must not be `0`. A pod-level `0` fails even when every
    /// container overrides it. Unset and any other UID pass. From policy v1.35, a pod that
    /// runs in its own user namespace (`hostUsers: false`) passes whatever it sets. This is
    /// the `runAsUser` check of the Pod Security Standards, restricted level, from policy
    /// v1.23 (it does not exist before).
    ///
    /// ## Why it matters
    /// `runAsUser: 0` runs the container as root explicitly, overriding a non-root user the
    /// image declares. Root in a container is root on the node for every file and kernel
    /// interface the container can reach.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   securityContext:
    ///     runAsUser: 0
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   securityContext:
    ///     runAsUser: 10001
    ///     runAsNonRoot: true
    ///   containers:
    ///   - name: app
    ///     image: nginxinc/nginx-unprivileged:1.27
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: removes `runAsUser: 0`, so the image's own user applies (pair it with
    /// `runAsNonRoot: true`, the fix of `pss-run-as-non-root`, so a root image is refused rather
    /// than run). An application that needs root to start then fails until its image names a
    /// non-root user or `runAsUser` names one.
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Running as Non-root user (`runAsUser`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.7
    pub static RULE = Rule {
        id: "pss-run-as-user",
        title: "Runs as UID 0",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Restricted, check: "runAsUser", since: SINCE, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.7"),
        remediation: "Set `runAsUser` to a non-zero UID (or remove it and set `runAsNonRoot: true`).",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.pss_version < SINCE {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        if super::user_namespace_relaxation(cx, &pod) {
            return;
        }
        if pod.security_context().field("runAsUser").as_i64() == Some(0) {
            violations.push(Violation::new(pod.path_to("securityContext.runAsUser"), "pod sets runAsUser: 0 (root)"));
        }
        for container in pod.containers() {
            if container.security_context().field("runAsUser").as_i64() == Some(0) {
                violations.push(Violation::new(
                    container.path_to("securityContext.runAsUser"),
                    format!("{} sets runAsUser: 0 (root)", container.label()),
                ));
            }
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.remove(object, &violation.path))
}
