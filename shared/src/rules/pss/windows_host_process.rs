//! `pss-windows-host-process`: pods must not run Windows HostProcess containers (Pod
//! Security Standards, baseline).

use crate::declare_rule;
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A workload's pod spec and every container (init, regular and ephemeral) in it:
    /// `securityContext.windowsOptions.hostProcess` must be unset or `false`. This is the
    /// `windowsHostProcess` check of the Pod Security Standards, baseline level, at every
    /// policy version.
    ///
    /// ## Why it matters
    /// A Windows HostProcess container runs directly on the Windows node as a host process,
    /// with the node's network and filesystem and, by default, a privileged account. It is
    /// the Windows counterpart of a privileged container: there is no isolation left to
    /// escape from.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: node-agent
    /// spec:
    ///   securityContext:
    ///     windowsOptions:
    ///       hostProcess: true
    ///       runAsUserName: "NT AUTHORITY\\SYSTEM"
    ///   hostNetwork: true
    ///   containers:
    ///   - name: agent
    ///     image: example.com/windows-agent:1.0
    ///   nodeSelector:
    ///     kubernetes.io/os: windows
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: node-agent
    /// spec:
    ///   containers:
    ///   - name: agent
    ///     image: example.com/windows-agent:1.0
    ///   nodeSelector:
    ///     kubernetes.io/os: windows
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: HostProcess (`windowsHostProcess`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.11
    pub static RULE = Rule {
        id: "pss-windows-host-process",
        title: "Windows HostProcess container",
        severity: Severity::Critical,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "windowsHostProcess", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.11"),
        remediation: "Remove `windowsOptions.hostProcess: true` from the pod's and the containers' securityContext.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        let pod_host_process = pod.security_context().field("windowsOptions").field("hostProcess");
        if pod_host_process.as_bool() == Some(true) {
            violations.push(Violation::new(
                pod.path_to("securityContext.windowsOptions.hostProcess"),
                "pod runs its containers as Windows HostProcess containers (hostProcess: true)",
            ));
        }
        for container in pod.containers() {
            let host_process = container.security_context().field("windowsOptions").field("hostProcess");
            if host_process.as_bool() == Some(true) {
                violations.push(Violation::new(
                    container.path_to("securityContext.windowsOptions.hostProcess"),
                    format!("{} runs as a Windows HostProcess container (hostProcess: true)", container.label()),
                ));
            }
        }
    })
}
