//! `pss-sysctls`: pods may set only the sysctls known to be namespaced and safe (Pod
//! Security Standards, baseline); the safe list grows with the policy version.

use crate::declare_rule;
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The pod-level `securityContext.sysctls` of a workload: every `name` must be on the
    /// safe list of the policy version. At v1.0: `kernel.shm_rmid_forced`,
    /// `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
    /// `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`; from v1.27 also
    /// `net.ipv4.ip_local_reserved_ports`; from v1.29 `net.ipv4.tcp_keepalive_time`,
    /// `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`,
    /// `net.ipv4.tcp_keepalive_probes`; from v1.32 `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem`;
    /// from v1.37 `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat`. Values
    /// are not inspected. This is the `sysctls` check of the Pod Security Standards, baseline
    /// level.
    ///
    /// ## Why it matters
    /// Sysctls change kernel parameters. The safe ones are isolated per pod; others either
    /// reach the whole node (changing memory, scheduling or networking for every pod on it)
    /// or can be used to exhaust the kernel's resources.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: db
    /// spec:
    ///   securityContext:
    ///     sysctls:
    ///     - name: kernel.msgmax
    ///       value: "65536"
    ///   containers:
    ///   - name: postgres
    ///     image: postgres:17
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: db
    /// spec:
    ///   securityContext:
    ///     sysctls:
    ///     - name: net.ipv4.ip_local_port_range
    ///       value: "32768 60999"
    ///   containers:
    ///   - name: postgres
    ///     image: postgres:17
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Sysctls (`sysctls`)
    /// - Hardening guide, layer 3 (pod security)
    /// - Kubernetes documentation: Using sysctls in a Kubernetes Cluster
    pub static RULE = Rule {
        id: "pss-sysctls",
        title: "Unsafe sysctl",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "sysctls", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: None,
        remediation: "Remove sysctls outside the safe set from the pod's securityContext, or set them on the node instead.",
        check,
    };
}

/// Each safe sysctl with the policy version from which it is allowed.
const SAFE_SYSCTLS: [(&str, u32); 14] = [
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

fn is_safe(name: &str, minor: u32) -> bool {
    SAFE_SYSCTLS.iter().any(|(safe, since)| *safe == name && *since <= minor)
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        let sysctls = pod.security_context().field("sysctls").items();
        for (index, sysctl) in sysctls.iter().enumerate() {
            let name = sysctl.field("name").as_text().unwrap_or_default();
            if !is_safe(&name, cx.pss_version) {
                violations.push(Violation::new(
                    pod.path_to(&format!("securityContext.sysctls[{index}].name")),
                    format!("pod sets sysctl {name:?}, outside the safe set of v1.{}", cx.pss_version),
                ));
            }
        }
    })
}
