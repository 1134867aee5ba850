//! `pss-seccomp-profile-restricted`: every container must run under a seccomp profile,
//! set on it or inherited from the pod (Pod Security Standards, restricted, from policy
//! v1.19).

use crate::declare_rule;
use crate::fix::{node_at, parent_path, Fix, FixCx, Scalar};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

use super::seccomp_profile_baseline::{is_confining_profile, profile_type, FIELDS_SINCE};

/// The first policy version with this check; it replaces `pss-seccomp-profile-baseline`
/// from then on.
const SINCE: u32 = FIELDS_SINCE;

declare_rule! {
    /// ## What it checks
    /// A workload's pod spec and every container (init, regular and ephemeral) in it. The
    /// pod's `securityContext.seccompProfile`, where present, must have `type`
    /// `RuntimeDefault` or `Localhost`; an invalid pod-level profile fails even when every
    /// container sets a valid one. Each container's own `seccompProfile`, where present, must
    /// have one of those types; a container without one must inherit a valid pod-level
    /// profile. Annotations are ignored. From policy v1.25, pods with `spec.os.name: windows`
    /// are exempt. This is the `seccompProfile_restricted` check of the Pod Security
    /// Standards, restricted level, from policy v1.19 (it does not exist before); it replaces
    /// `pss-seccomp-profile-baseline` at that level.
    ///
    /// ## Why it matters
    /// Without a seccomp profile a container may make every system call the kernel offers,
    /// including rarely needed ones behind many kernel exploits. The runtime's default
    /// profile blocks those at almost no cost; the restricted level requires it rather than
    /// leaving it to the node's configuration.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
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
    ///     seccompProfile:
    ///       type: RuntimeDefault
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: sets `seccompProfile.type: RuntimeDefault` in the pod's `securityContext`
    /// (or replaces a container's own invalid type). The runtime's default profile blocks system
    /// calls few applications make, but some do (`unshare` and `mount` in build tools, `ptrace` in
    /// debuggers and profilers, the sandbox of headless browsers); those fail with `EPERM`, which
    /// only running the workload shows.
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Seccomp (`seccompProfile_restricted`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.7.2
    pub static RULE = Rule {
        id: "pss-seccomp-profile-restricted",
        title: "No seccomp profile",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck {
            level: PssLevel::Restricted,
            check: "seccompProfile_restricted",
            since: SINCE,
            overrides: Some(("pss-seccomp-profile-baseline", SINCE)),
        }),
        guide_layer: Some(3),
        cis: Some("5.7.2"),
        remediation: "Set `seccompProfile.type: RuntimeDefault` (or a `Localhost` profile) in the pod's securityContext.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.pss_version < SINCE || super::windows_exempt(cx, object) {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        let pod_profile = pod.security_context().field("seccompProfile");
        let pod_profile_valid = !pod_profile.is_null() && is_confining_profile(pod_profile);
        if !pod_profile.is_null() && !pod_profile_valid {
            violations.push(Violation::new(
                pod.path_to("securityContext.seccompProfile.type"),
                format!("pod sets seccomp profile type {:?}", profile_type(pod_profile)),
            ));
        }
        for container in pod.containers() {
            let profile = container.security_context().field("seccompProfile");
            let message = if !profile.is_null() {
                if is_confining_profile(profile) {
                    continue;
                }
                format!("{} sets seccomp profile type {:?}", container.label(), profile_type(profile))
            } else if pod_profile_valid {
                continue;
            } else {
                format!("{} has no seccomp profile, and the pod sets no valid one", container.label())
            };
            violations.push(Violation::new(container.path_to("securityContext.seccompProfile.type"), message));
        }
    })
}

/// Sets `RuntimeDefault` where the violation is: the pod's profile, a container's own
/// invalid profile, or (for a container that has none) the pod's.
pub(crate) fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    let pod_type = object.pod_spec()?.path_to("securityContext.seccompProfile.type");
    let container = parent_path(&violation.path, "securityContext.seccompProfile.type")?;
    let target = if violation.path == pod_type {
        pod_type
    } else {
        let profile = node_at(&object.root, container)?.field("securityContext").field("seccompProfile");
        if profile.is_null() {
            pod_type
        } else {
            violation.path.clone()
        }
    };
    let profile_path = target.strip_suffix(".type")?;
    // `localhostProfile` is only valid beside `type: Localhost`; leave such a profile to a person.
    if node_at(&object.root, profile_path).is_some_and(|profile| profile.get("localhostProfile").is_some()) {
        return None;
    }
    Fix::unsafe_(fix_cx.set(object, &target, Scalar::Str("RuntimeDefault")))
}
