//! Reading `hostPath` volumes: where they are in the pod spec and which host path they
//! really name.
//!
//! `container-runtime-socket` and `sensitive-host-path` both compare host paths with fixed
//! lists, so both need the same normal form: `/etc/`, `//etc` and `/etc/./` all mount
//! `/etc`, and a check that compared the written text would let them through.

use crate::object::PodSpec;

/// One `hostPath` volume of a pod spec.
#[derive(Clone, Debug)]
pub struct HostPathVolume<'a> {
    /// The volume's name, for messages.
    pub name: &'a str,
    /// The host path in normal form (see [`normalise`]).
    pub path: String,
    /// Field path of `hostPath.path` in the object.
    pub field_path: String,
}

/// Every `hostPath` volume of the pod that names a path.
pub fn host_path_volumes<'a>(pod: &PodSpec<'a>) -> Vec<HostPathVolume<'a>> {
    pod.spec
        .field("volumes")
        .items()
        .iter()
        .enumerate()
        .filter_map(|(index, volume)| {
            let written = volume.field("hostPath").field("path").as_str()?;
            if written.trim().is_empty() {
                return None;
            }
            Some(HostPathVolume {
                name: volume.field("name").as_str().unwrap_or(""),
                path: normalise(written),
                field_path: pod.path_to(&format!("volumes[{index}].hostPath.path")),
            })
        })
        .collect()
}

/// The normal form of a host path: rooted, no empty or `.` components, no trailing slash,
/// `..` resolved.
///
/// The API server rejects `..` in a hostPath, but a manifest is checked before it gets
/// there, so `..` is resolved rather than trusted: `/var/lib/../../etc` is `/etc`. A path
/// that does not start with `/` is read as if it did, which errs on the side of flagging.
pub fn normalise(path: &str) -> String {
    let mut components: Vec<&str> = Vec::new();
    for component in path.trim().split('/') {
        match component {
            "" | "." => {}
            ".." => {
                components.pop();
            }
            other => components.push(other),
        }
    }
    format!("/{}", components.join("/"))
}

/// Whether `path` is `base` or lies below it, component by component: `/etc/ssl` is below
/// `/etc`, `/etcd` is not. Both paths must be in normal form.
pub fn is_same_or_below(path: &str, base: &str) -> bool {
    if base == "/" {
        return true;
    }
    path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_drops_trailing_double_and_dot_slashes() {
        assert_eq!(normalise("/etc/"), "/etc");
        assert_eq!(normalise("//etc//ssl///"), "/etc/ssl");
        assert_eq!(normalise("/var/./run/docker.sock"), "/var/run/docker.sock");
        assert_eq!(normalise("/"), "/");
        assert_eq!(normalise("///"), "/");
        assert_eq!(normalise(" /root "), "/root");
    }

    #[test]
    fn normalise_resolves_parent_components_and_roots_relative_paths() {
        assert_eq!(normalise("/var/lib/../../etc"), "/etc");
        assert_eq!(normalise("/../../etc"), "/etc");
        assert_eq!(normalise("etc/kubernetes"), "/etc/kubernetes");
    }

    #[test]
    fn below_is_component_aware() {
        assert!(is_same_or_below("/etc", "/etc"));
        assert!(is_same_or_below("/etc/ssl/certs", "/etc"));
        assert!(!is_same_or_below("/etcd", "/etc"));
        assert!(!is_same_or_below("/etcd/data", "/etc"));
        assert!(!is_same_or_below("/", "/etc"));
        assert!(is_same_or_below("/anything", "/"));
        assert!(is_same_or_below("/var/lib/kubelet/pods", "/var/lib/kubelet"));
        assert!(!is_same_or_below("/var/lib/kubelet-plugins", "/var/lib/kubelet"));
    }
}
