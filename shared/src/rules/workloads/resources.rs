//! What the four resource rules (`memory-limit-missing`, `cpu-limit-missing`,
//! `memory-request-missing`, `cpu-request-missing`) share: which containers they look at
//! and what counts as a value being set.
//!
//! Ephemeral containers are skipped: Kubernetes does not allow `resources` on them, so
//! they could never pass, and they run only for debugging. Init containers are checked:
//! their requests take part in scheduling, and sidecars (init containers with
//! `restartPolicy: Always`) run as long as the pod.

use crate::object::{ContainerKind, PodSpec};
use crate::rules::Violation;
use crate::tree::{Node, Value};

/// `limits` or `requests`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Limit,
    Request,
}

impl Bound {
    fn field(self) -> &'static str {
        match self {
            Bound::Limit => "limits",
            Bound::Request => "requests",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Bound::Limit => "limit",
            Bound::Request => "request",
        }
    }
}

/// Whether a quantity is written: present, not null, not an empty string.
fn is_set(value: Option<&Node>) -> bool {
    match value.map(|node| &node.value) {
        None | Some(Value::Null) => false,
        Some(Value::String(text)) => !text.trim().is_empty(),
        Some(_) => true,
    }
}

/// Whether a `resources` node sets `bound` for `resource` (`memory`, `cpu`).
fn sets(resources: &Node, bound: Bound, resource: &str) -> bool {
    is_set(resources.field(bound.field()).get(resource))
}

/// Reports every init and regular container that sets no `bound` for `resource`.
///
/// Two things Kubernetes does count as set:
/// - a request left out next to a limit is defaulted to the limit by the API server, so a
///   limit satisfies the request rules (a cluster scan would see the copied value anyway);
/// - pod-level `spec.resources` (the PodLevelResources feature) bounds every container of
///   the pod, so a pod-level value satisfies every container.
pub fn check_containers(pod: &PodSpec<'_>, violations: &mut Vec<Violation>, bound: Bound, resource: &str) {
    let pod_resources = pod.spec.field("resources");
    let pod_sets = sets(pod_resources, bound, resource)
        || (bound == Bound::Request && sets(pod_resources, Bound::Limit, resource));
    if pod_sets {
        return;
    }
    for container in pod.containers().filter(|container| container.kind != ContainerKind::Ephemeral) {
        let resources = container.node.field("resources");
        let container_sets =
            sets(resources, bound, resource) || (bound == Bound::Request && sets(resources, Bound::Limit, resource));
        if !container_sets {
            let display_name = if resource == "cpu" { "CPU" } else { resource };
            // Built piece by piece, in one allocation: four rules report this for most
            // containers.
            let label = container.label();
            let parts = [label.as_str(), " sets no ", display_name, " ", bound.noun()];
            let mut message = String::with_capacity(parts.iter().map(|part| part.len()).sum());
            for part in parts {
                message.push_str(part);
            }
            violations
                .push(Violation::new(container.path_with(&[".resources.", bound.field(), ".", resource]), message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Object;
    use crate::parse::{parse_source, Limits, Source};

    fn violations(yaml: &str, bound: Bound, resource: &str) -> Vec<Violation> {
        let (documents, errors) = parse_source(&Source::new("test.yaml", yaml), &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let object = Object::from_document(0, documents.into_iter().next().unwrap()).remove(0);
        let mut found = Vec::new();
        check_containers(&object.pod_spec().unwrap(), &mut found, bound, resource);
        found
    }

    const POD: &str = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: setup
    resources: {limits: {memory: 64Mi}}
  containers:
  - name: app
    resources: {requests: {memory: ''}}
  ephemeralContainers:
  - name: debug
";

    #[test]
    fn limits_count_as_requests_and_ephemeral_containers_are_skipped() {
        let memory_requests = violations(POD, Bound::Request, "memory");
        assert_eq!(memory_requests.len(), 1, "{memory_requests:?}");
        assert_eq!(memory_requests[0].path, "spec.containers[0].resources.requests.memory");
        assert_eq!(memory_requests[0].message, "container \"app\" sets no memory request");
        let cpu_limits = violations(POD, Bound::Limit, "cpu");
        assert_eq!(cpu_limits.len(), 2);
        assert_eq!(cpu_limits[0].message, "init container \"setup\" sets no CPU limit");
    }

    #[test]
    fn pod_level_resources_satisfy_every_container() {
        let pod = format!("{POD}  resources: {{limits: {{cpu: '2'}}}}\n");
        assert!(violations(&pod, Bound::Limit, "cpu").is_empty());
        assert!(violations(&pod, Bound::Request, "cpu").is_empty());
        assert_eq!(violations(&pod, Bound::Limit, "memory").len(), 1);
    }
}
