//! `pss-capabilities-baseline`: containers may add only the capabilities a container
//! runtime grants by default (Pod Security Standards, baseline).

use crate::declare_rule;
use crate::fix::{Fix, FixCx};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload: each capability listed in
    /// `securityContext.capabilities.add` must be one of `AUDIT_WRITE`, `CHOWN`,
    /// `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`, `NET_BIND_SERVICE`, `SETFCAP`,
    /// `SETGID`, `SETPCAP`, `SETUID` and `SYS_CHROOT`, spelled exactly so (upper case, no
    /// `CAP_` prefix). `NET_RAW` and `ALL` are not in the set; `drop` is not inspected. This is
    /// the `capabilities_baseline` check of the Pod Security Standards, baseline level, at
    /// every policy version; at the restricted level `pss-capabilities-restricted` replaces
    /// it from v1.22.
    ///
    /// ## Why it matters
    /// Capabilities beyond the runtime's default set hand a container pieces of root's power
    /// over the node: `SYS_ADMIN` is close to privileged, `NET_ADMIN` reconfigures the node's
    /// network, `SYS_PTRACE` reads other processes' memory, `NET_RAW` forges packets on the
    /// pod network. Each one widens what an attacker inside the container can do.
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
    ///     securityContext:
    ///       capabilities:
    ///         add: ["NET_ADMIN", "SYS_TIME"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    ///     securityContext:
    ///       capabilities:
    ///         add: ["NET_BIND_SERVICE"]
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: removes each added capability outside the baseline set (the whole `add`
    /// list when none of it is allowed). The application loses a capability it asked for; what
    /// it did with it stops working.
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Capabilities (`capabilities_baseline`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.8 (NET_RAW), 5.2.9 (added capabilities)
    pub static RULE = Rule {
        id: "pss-capabilities-baseline",
        title: "Capability outside the baseline set",
        severity: Severity::High,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "capabilities_baseline", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.9"),
        remediation: "Remove every capability outside the runtime's default set from `securityContext.capabilities.add`.",
        check,
        fix,
    };
}

/// The capabilities container runtimes grant by default, which the baseline lets a
/// container add back explicitly. Compared case-sensitively, as upstream does.
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            let added = container.security_context().field("capabilities").field("add").items();
            for (index, capability) in added.iter().enumerate() {
                let name = capability.as_text().unwrap_or_default();
                if !BASELINE_CAPABILITIES.contains(&name.as_str()) {
                    violations.push(Violation::new(
                        container.path_to(&format!("securityContext.capabilities.add[{index}]")),
                        format!("{} adds capability {name}, outside the baseline set", container.label()),
                    ));
                }
            }
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    super::remove_added_capability(fix_cx, object, violation, |name| {
        BASELINE_CAPABILITIES.contains(&name.strip_prefix("CAP_").unwrap_or(name))
    })
}
