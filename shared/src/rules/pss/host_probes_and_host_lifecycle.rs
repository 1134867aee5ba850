//! `pss-host-probes-and-host-lifecycle`: probes and lifecycle hooks must target the pod
//! itself, not another host (Pod Security Standards, baseline, from policy v1.34).

use crate::declare_rule;
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

/// The first policy version with this check.
const SINCE: u32 = 34;

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload: the `livenessProbe`,
    /// `readinessProbe` and `startupProbe`, and the `lifecycle.postStart` and
    /// `lifecycle.preStop` hooks, must leave `httpGet.host` and `tcpSocket.host` unset or
    /// empty (so they reach the pod's own IP). `exec`, `grpc` and `sleep` handlers have no
    /// host and always pass. This is the `hostProbesAndHostLifecycle` check of the Pod
    /// Security Standards, baseline level, from policy v1.34 (it does not exist before).
    ///
    /// ## Why it matters
    /// The kubelet makes probe and hook requests from the node, with the node's network
    /// access. A `host` field turns that into a request the pod's author aims anywhere: at
    /// `127.0.0.1` on the node (local-only services, the kubelet's own ports), at the cloud
    /// metadata endpoint, or at internal services the pod itself could not reach.
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
    ///     livenessProbe:
    ///       httpGet:
    ///         host: 169.254.169.254
    ///         path: /latest/meta-data/
    ///         port: 80
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
    ///     livenessProbe:
    ///       httpGet:
    ///         path: /healthz
    ///         port: 80
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Probes and lifecycle hooks (`hostProbesAndHostLifecycle`)
    /// - Hardening guide, layer 3 (pod security)
    /// - Kubernetes enhancement KEP-4940 (restrict the host field of probes and lifecycle handlers)
    pub static RULE = Rule {
        id: "pss-host-probes-and-host-lifecycle",
        title: "Probe or lifecycle hook aimed at another host",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "hostProbesAndHostLifecycle", since: SINCE, overrides: None }),
        guide_layer: Some(3),
        cis: None,
        remediation: "Remove `host` from the probe or lifecycle hook so it targets the pod's own IP.",
        check,
    };
}

/// Where probe-like handlers live in a container: the probes, and the lifecycle hooks.
const HANDLERS: [(&str, &[&str]); 5] = [
    ("livenessProbe", &["livenessProbe"]),
    ("readinessProbe", &["readinessProbe"]),
    ("startupProbe", &["startupProbe"]),
    ("lifecycle.postStart", &["lifecycle", "postStart"]),
    ("lifecycle.preStop", &["lifecycle", "preStop"]),
];
/// The handler actions that carry a `host` field.
const ACTIONS_WITH_HOST: [&str; 2] = ["httpGet", "tcpSocket"];

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.pss_version < SINCE {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            for (handler_path, keys) in HANDLERS {
                let Some(handler) = container.node.at(keys) else { continue };
                for action in ACTIONS_WITH_HOST {
                    let host = handler.field(action).field("host").as_text().unwrap_or_default();
                    if !host.is_empty() {
                        violations.push(Violation::new(
                            container.path_to(&format!("{handler_path}.{action}.host")),
                            format!("{} points its {handler_path} {action} at host {host:?}", container.label()),
                        ));
                    }
                }
            }
        }
    })
}
