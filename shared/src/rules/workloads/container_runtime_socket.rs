//! `container-runtime-socket`: a pod must not reach the node's container runtime.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::workloads::host_path::{self, host_path_volumes};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// No `hostPath` volume of a workload mounts a container runtime socket — Docker
    /// (`/var/run/docker.sock`, `/run/docker.sock`, cri-dockerd, dockershim), containerd
    /// (`/run/containerd/containerd.sock`, also the k3s and MicroK8s locations), CRI-O
    /// (`/var/run/crio/crio.sock`) or Podman — nor a directory that holds one (`/run`,
    /// `/var/run`, `/run/containerd`, and so `/var` and `/` too). A file named like a runtime
    /// socket (`docker.sock`, `containerd.sock`, `crio.sock` …) counts wherever it lives.
    /// Paths are compared in normal form: `//var/run/` is `/var/run`.
    ///
    /// ## Why it matters
    /// The runtime socket is root on the node: whoever can talk to it can start a
    /// privileged container with the host's filesystem mounted, read every other
    /// container's secrets and environment, or stop the kubelet's pods. Mounting the
    /// directory that holds the socket gives the same access as mounting the socket.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: log-shipper
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: shipper
    ///         image: registry.example.com/shipper:2.4.1
    ///         volumeMounts:
    ///         - name: docker
    ///           mountPath: /var/run/docker.sock
    ///       volumes:
    ///       - name: docker
    ///         hostPath:
    ///           path: /var/run/docker.sock
    ///           type: Socket
    /// ```
    ///
    /// ## Use instead
    /// Read container logs from the files the kubelet writes, read-only, instead of asking
    /// the runtime:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata:
    ///   name: log-shipper
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: shipper
    ///         image: registry.example.com/shipper:2.4.1
    ///         volumeMounts:
    ///         - name: pod-logs
    ///           mountPath: /var/log/pods
    ///           readOnly: true
    ///       volumes:
    ///       - name: pod-logs
    ///         hostPath:
    ///           path: /var/log/pods
    ///           type: Directory
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security) and layer 6 (runtime security)
    /// - CIS Kubernetes Benchmark 5.2.12 (minimize the admission of HostPath volumes)
    pub static RULE = Rule {
        id: "container-runtime-socket",
        title: "Container runtime socket mounted",
        severity: Severity::Critical,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: Some("5.2.12"),
        remediation: "Remove the hostPath volume of the runtime socket; use the Kubernetes API or read-only log files instead of talking to the container runtime.",
        check,
    };
}

/// Where runtimes put their sockets, with the runtime's name. `/var/run` is a link to
/// `/run` on current distributions, but a hostPath is resolved on the node, so both
/// spellings are listed.
const RUNTIME_SOCKETS: &[(&str, &str)] = &[
    ("/var/run/docker.sock", "Docker"),
    ("/run/docker.sock", "Docker"),
    ("/var/run/cri-dockerd.sock", "cri-dockerd"),
    ("/run/cri-dockerd.sock", "cri-dockerd"),
    ("/var/run/dockershim.sock", "dockershim"),
    ("/run/dockershim.sock", "dockershim"),
    ("/var/run/containerd/containerd.sock", "containerd"),
    ("/run/containerd/containerd.sock", "containerd"),
    ("/run/k3s/containerd/containerd.sock", "containerd (k3s)"),
    ("/var/snap/microk8s/common/run/containerd.sock", "containerd (MicroK8s)"),
    ("/var/run/crio/crio.sock", "CRI-O"),
    ("/run/crio/crio.sock", "CRI-O"),
    ("/var/run/podman/podman.sock", "Podman"),
    ("/run/podman/podman.sock", "Podman"),
];

/// File names that are a runtime socket wherever a distribution puts them.
const SOCKET_FILE_NAMES: &[(&str, &str)] = &[
    ("docker.sock", "Docker"),
    ("cri-dockerd.sock", "cri-dockerd"),
    ("dockershim.sock", "dockershim"),
    ("containerd.sock", "containerd"),
    ("docker-containerd.sock", "containerd"),
    ("crio.sock", "CRI-O"),
    ("podman.sock", "Podman"),
];

/// What a normalised host path exposes of the container runtime, as a message fragment.
fn runtime_exposure(path: &str) -> Option<String> {
    if let Some((_, runtime)) = RUNTIME_SOCKETS.iter().find(|(socket, _)| *socket == path) {
        return Some(format!("{path}, the {runtime} socket"));
    }
    let file_name = path.rsplit('/').next().unwrap_or("");
    if let Some((_, runtime)) = SOCKET_FILE_NAMES.iter().find(|(name, _)| *name == file_name) {
        return Some(format!("{path}, a {runtime} socket"));
    }
    // A directory above a known socket exposes it just as well; the first socket found
    // below it is named so the message says why the directory matters.
    RUNTIME_SOCKETS
        .iter()
        .find(|(socket, _)| host_path::is_same_or_below(socket, path))
        .map(|(socket, runtime)| format!("{path}, which holds the {runtime} socket {socket}"))
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for volume in host_path_volumes(&pod) {
            if let Some(exposure) = runtime_exposure(&volume.path) {
                violations.push(Violation::new(
                    volume.field_path,
                    format!("hostPath volume \"{}\" mounts {exposure}", volume.name),
                ));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::workloads::host_path::normalise;

    fn exposes(written: &str) -> bool {
        runtime_exposure(&normalise(written)).is_some()
    }

    #[test]
    fn sockets_and_the_directories_holding_them_are_flagged() {
        for path in [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "//var/run//docker.sock",
            "/run/containerd/containerd.sock",
            "/var/run/containerd/",
            "/var/run/crio/crio.sock",
            "/run/crio",
            "/var/run",
            "/run/",
            "/var",
            "/",
            "/opt/custom/docker.sock",
            "/run/k3s/containerd",
        ] {
            assert!(exposes(path), "{path} should be flagged");
        }
    }

    #[test]
    fn unrelated_paths_pass() {
        for path in
            ["/var/log/pods", "/var/lib/docker/containers", "/run/udev", "/var/run/secrets", "/data", "/var/lib"]
        {
            assert!(!exposes(path), "{path} should pass");
        }
    }

    #[test]
    fn message_names_the_runtime() {
        assert_eq!(runtime_exposure("/run/docker.sock").unwrap(), "/run/docker.sock, the Docker socket");
        assert_eq!(
            runtime_exposure("/run/containerd").unwrap(),
            "/run/containerd, which holds the containerd socket /run/containerd/containerd.sock"
        );
    }
}
