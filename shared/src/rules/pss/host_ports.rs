//! `pss-host-ports`: containers must not bind ports of the node (Pod Security Standards,
//! baseline).

use crate::declare_rule;
use crate::fix::{Fix, FixCx};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};
use crate::tree::Node;

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload: each entry of `ports`
    /// must leave `hostPort` unset or `0`. This is the `hostPorts` check of the Pod Security
    /// Standards, baseline level, at every policy version.
    ///
    /// ## Why it matters
    /// A host port exposes the container directly on the node's address, around Services,
    /// NetworkPolicies that select pod traffic and load balancers. It also limits scheduling
    /// to one such pod per node and lets a container claim a port another node service
    /// expected to own.
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
    ///     ports:
    ///     - containerPort: 80
    ///       hostPort: 8080
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
    ///     ports:
    ///     - containerPort: 80
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: removes the `hostPort` from the container port. Clients that reached the
    /// pod on the node's address must go through a Service instead.
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Host Ports (`hostPorts`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.13
    pub static RULE = Rule {
        id: "pss-host-ports",
        title: "Host port",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "hostPorts", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.13"),
        remediation: "Remove `hostPort` from the container's ports and expose the pod through a Service instead.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            for (index, port) in container.node.field("ports").items().iter().enumerate() {
                let host_port = port.field("hostPort");
                if binds_host_port(host_port) {
                    let shown = host_port.as_text().unwrap_or_default();
                    violations.push(Violation::new(
                        container.path_to(&format!("ports[{index}].hostPort")),
                        format!("{} binds host port {shown}", container.label()),
                    ));
                }
            }
        }
    })
}

/// `hostPort` is a plain integer upstream: unset and `0` both mean no host port. Anything
/// else that is present (a number, or a value the API would reject) is treated as a port.
fn binds_host_port(host_port: &Node) -> bool {
    match host_port.as_i64() {
        Some(number) => number != 0,
        None => !host_port.is_null(),
    }
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.remove(object, &violation.path))
}
