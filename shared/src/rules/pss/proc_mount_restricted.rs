//! `pss-proc-mount-restricted`: containers must keep the default masked `/proc`, user
//! namespace or not (Pod Security Standards, restricted, from policy v1.35).

use crate::declare_rule;
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity};

/// The first policy version with this check; it replaces `pss-proc-mount` from then on.
const SINCE: u32 = 35;

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload:
    /// `securityContext.procMount` must be unset or `Default`, with no exception for pods in
    /// a user namespace. This is the `procMount_restricted` check of the Pod Security
    /// Standards, restricted level, from policy v1.35: when the baseline `procMount` check
    /// started allowing any value to user-namespace pods, this check took its place at the
    /// restricted level so restricted stayed as strict as before.
    ///
    /// ## Why it matters
    /// The runtime masks and makes read-only the parts of `/proc` that reveal or change the
    /// node's kernel state. A user namespace limits the damage of unmasking them, but the
    /// restricted level asks for defence in depth: no workload needs an unmasked `/proc`
    /// unless it builds or runs containers itself.
    ///
    /// ## Example
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
    ///       procMount: Default
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: /proc Mount Type (`procMount_restricted`)
    /// - Hardening guide, layer 3 (pod security)
    pub static RULE = Rule {
        id: "pss-proc-mount-restricted",
        title: "Unmasked /proc (restricted)",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck {
            level: PssLevel::Restricted,
            check: "procMount_restricted",
            since: SINCE,
            overrides: Some(("pss-proc-mount", SINCE)),
        }),
        guide_layer: Some(3),
        cis: None,
        remediation: "Remove `procMount` from the container's securityContext (or set it to Default).",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.pss_version < SINCE {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| super::proc_mount::check_default_proc_mounts(&pod, violations))
}
