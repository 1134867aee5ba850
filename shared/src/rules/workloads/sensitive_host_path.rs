//! `sensitive-host-path`: a pod must not mount the node's root, configuration, kernel
//! interfaces or kubelet state.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::workloads::host_path::{self, host_path_volumes};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// No `hostPath` volume of a workload mounts `/` itself, or `/etc`, `/proc`, `/sys`,
    /// `/var/lib/kubelet`, `/root`, `/boot` or anything below one of them. Paths are
    /// compared in normal form (`/etc/`, `//etc` and `/etc/.` are `/etc`) and component by
    /// component: `/etc/ssl` is below `/etc`, `/etcd` is not. A `readOnly` mount still
    /// fails: reading these paths is already enough to do harm.
    ///
    /// ## Why it matters
    /// These paths are the node itself. `/etc` holds its users, SSH keys and kubelet
    /// configuration; `/var/lib/kubelet` holds every pod's service account tokens and
    /// mounted Secrets; `/proc` and `/sys` expose other processes and kernel settings;
    /// `/root` and `/boot` hold root's credentials and the kernel. A container that mounts
    /// them can read other workloads' credentials or take over the node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: node-inspector
    /// spec:
    ///   containers:
    ///   - name: inspector
    ///     image: registry.example.com/inspector:1.0.3
    ///     volumeMounts:
    ///     - name: host-etc
    ///       mountPath: /host/etc
    ///       readOnly: true
    ///   volumes:
    ///   - name: host-etc
    ///     hostPath:
    ///       path: /etc/
    /// ```
    ///
    /// ## Use instead
    /// Give the pod the one file it needs through a ConfigMap rather than the node's `/etc`:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: node-inspector
    /// spec:
    ///   containers:
    ///   - name: inspector
    ///     image: registry.example.com/inspector:1.0.3
    ///     volumeMounts:
    ///     - name: settings
    ///       mountPath: /etc/inspector
    ///       readOnly: true
    ///   volumes:
    ///   - name: settings
    ///     configMap:
    ///       name: inspector-settings
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.12 (minimize the admission of HostPath volumes)
    pub static RULE = Rule {
        id: "sensitive-host-path",
        title: "Sensitive host path mounted",
        severity: Severity::High,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: Some("5.2.12"),
        remediation: "Remove the hostPath volume, or mount only a narrow, non-sensitive directory; deliver configuration through ConfigMaps and Secrets.",
        check,
    };
}

/// The host directories whose contents are the node's own: mounting them or anything
/// below them fails. `/` is handled on its own, as only `/` itself fails, not everything
/// below it.
const SENSITIVE_DIRECTORIES: &[&str] = &["/etc", "/proc", "/sys", "/var/lib/kubelet", "/root", "/boot"];

/// The sensitive directory a normalised host path is (or is below), if any.
fn sensitive_directory(path: &str) -> Option<&'static str> {
    if path == "/" {
        return Some("/");
    }
    SENSITIVE_DIRECTORIES.iter().copied().find(|directory| host_path::is_same_or_below(path, directory))
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for volume in host_path_volumes(&pod) {
            let Some(directory) = sensitive_directory(&volume.path) else { continue };
            let message = match directory {
                "/" => format!("hostPath volume \"{}\" mounts the node's root filesystem /", volume.name),
                _ if directory == volume.path => {
                    format!("hostPath volume \"{}\" mounts the node's {directory}", volume.name)
                }
                _ => {
                    format!("hostPath volume \"{}\" mounts {}, inside the node's {directory}", volume.name, volume.path)
                }
            };
            violations.push(Violation::new(volume.field_path, message));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::workloads::host_path::normalise;

    fn flagged(written: &str) -> Option<&'static str> {
        sensitive_directory(&normalise(written))
    }

    #[test]
    fn root_and_sensitive_directories_and_below_fail() {
        assert_eq!(flagged("/"), Some("/"));
        assert_eq!(flagged("//"), Some("/"));
        assert_eq!(flagged("/etc"), Some("/etc"));
        assert_eq!(flagged("/etc/"), Some("/etc"));
        assert_eq!(flagged("/etc/kubernetes/pki"), Some("/etc"));
        assert_eq!(flagged("/proc/1/ns"), Some("/proc"));
        assert_eq!(flagged("/sys/fs/cgroup"), Some("/sys"));
        assert_eq!(flagged("/var/lib/kubelet/pods/"), Some("/var/lib/kubelet"));
        assert_eq!(flagged("/root/.ssh"), Some("/root"));
        assert_eq!(flagged("/boot"), Some("/boot"));
        assert_eq!(flagged("/var/lib/../../etc"), Some("/etc"));
    }

    #[test]
    fn similar_names_and_other_paths_pass() {
        for path in [
            "/etcd",
            "/etcd/data",
            "/var/lib",
            "/var/lib/kubelet-plugins",
            "/var/log",
            "/data",
            "/rootfs",
            "/system",
            "/var",
        ] {
            assert_eq!(flagged(path), None, "{path} should pass");
        }
    }
}
