//! `pss-host-namespaces`: pods must not share the node's network, process or IPC namespace
//! (Pod Security Standards, baseline).

use crate::declare_rule;
use crate::fix::{Fix, FixCx};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The pod spec of a workload: `hostNetwork`, `hostPID` and `hostIPC` must each be unset
    /// or `false`. This is the `hostNamespaces` check of the Pod Security Standards, baseline
    /// level, at every policy version.
    ///
    /// ## Why it matters
    /// A pod in the host's network namespace sees every interface of the node and can bind
    /// or sniff any port on it; in the host's PID namespace it can see and signal every
    /// process on the node (and read their environment); in the host's IPC namespace it can
    /// read other processes' shared memory. Each one removes a wall between the container and
    /// the node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: sniffer
    /// spec:
    ///   hostNetwork: true
    ///   hostPID: true
    ///   containers:
    ///   - name: tcpdump
    ///     image: nicolaka/netshoot:v0.13
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: sniffer
    /// spec:
    ///   containers:
    ///   - name: tcpdump
    ///     image: nicolaka/netshoot:v0.13
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: removes `hostNetwork`, `hostPID` or `hostIPC` set to `true`. A pod that
    /// serves on the node's address, watches the node's processes or talks to the node's
    /// daemons (a control-plane component, a monitoring agent) no longer can.
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Host Namespaces (`hostNamespaces`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.3 (hostPID), 5.2.4 (hostIPC), 5.2.5 (hostNetwork)
    pub static RULE = Rule {
        id: "pss-host-namespaces",
        title: "Host namespaces shared",
        severity: Severity::High,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "hostNamespaces", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.3"),
        remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC` from the pod spec (or set them to false).",
        check,
        fix,
    };
}

/// The three pod fields and the namespace each one shares with the node.
const HOST_NAMESPACE_FIELDS: [(&str, &str); 3] =
    [("hostNetwork", "network"), ("hostPID", "process ID"), ("hostIPC", "IPC")];

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for (field, namespace) in HOST_NAMESPACE_FIELDS {
            // Plain (non-pointer) booleans upstream: only an explicit `true` shares anything.
            if pod.spec.field(field).as_bool() == Some(true) {
                violations.push(Violation::new(
                    pod.path_to(field),
                    format!("pod shares the node's {namespace} namespace ({field}: true)"),
                ));
            }
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.remove(object, &violation.path))
}
