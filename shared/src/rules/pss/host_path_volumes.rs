//! `pss-host-path-volumes`: pods must not mount directories of the node
//! (Pod Security Standards, baseline).

use crate::declare_rule;
use crate::fix::{Fix, FixCx};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The volumes of a workload's pod spec: none may have a `hostPath` source, whatever its
    /// path or type. This is the `hostPathVolumes` check of the Pod Security Standards,
    /// baseline level, at every policy version; at the restricted level
    /// `pss-restricted-volumes` replaces it (it forbids `hostPath` and more).
    ///
    /// ## Why it matters
    /// A `hostPath` volume puts part of the node's filesystem inside the container. Mounting
    /// `/var/run/docker.sock` or the containerd socket gives control of every container on the
    /// node; `/etc`, `/root` or `/var/lib/kubelet` expose credentials; even a read-only
    /// mount of `/proc` or `/sys` leaks information. It also ties the pod to one node's
    /// contents.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: agent
    /// spec:
    ///   containers:
    ///   - name: agent
    ///     image: example.com/agent:2.1
    ///     volumeMounts:
    ///     - name: docker
    ///       mountPath: /var/run/docker.sock
    ///   volumes:
    ///   - name: docker
    ///     hostPath:
    ///       path: /var/run/docker.sock
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: agent
    /// spec:
    ///   containers:
    ///   - name: agent
    ///     image: example.com/agent:2.1
    ///     volumeMounts:
    ///     - name: scratch
    ///       mountPath: /scratch
    ///   volumes:
    ///   - name: scratch
    ///     emptyDir: {}
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: replaces the `hostPath` source with `emptyDir: {}`, so the pod still starts
    /// with its mounts, but what it read from or wrote to the node (a socket, logs, the node's
    /// configuration) is gone: the mount is an empty scratch directory.
    ///
    /// ## References
    /// - Pod Security Standards, baseline: HostPath Volumes (`hostPathVolumes`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.12
    pub static RULE = Rule {
        id: "pss-host-path-volumes",
        title: "hostPath volume",
        severity: Severity::High,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "hostPathVolumes", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.12"),
        remediation: "Replace the hostPath volume with an emptyDir, a ConfigMap, a Secret or a PersistentVolumeClaim.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for (index, volume) in pod.spec.field("volumes").items().iter().enumerate() {
            // A null `hostPath` decodes to no source at all, so only a present value counts.
            let host_path = volume.field("hostPath");
            if host_path.is_null() {
                continue;
            }
            let name = volume.field("name").as_text().unwrap_or_default();
            let path = host_path.field("path").as_text().unwrap_or_default();
            violations.push(Violation::new(
                pod.path_to(&format!("volumes[{index}].hostPath")),
                format!("volume \"{name}\" mounts host path {path:?}"),
            ));
        }
    })
}

/// Replaces a `hostPath` volume source with an empty scratch directory.
pub(crate) fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    if !violation.path.ends_with(".hostPath") {
        return None;
    }
    Fix::unsafe_(fix_cx.replace_entry(object, &violation.path, "emptyDir", "{}"))
}
