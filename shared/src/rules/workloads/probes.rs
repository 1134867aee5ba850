//! What the probe rules share: which containers run for as long as their pod does.

use crate::object::{Container, ContainerKind, Object, PodSpec};
use crate::rules::{Cx, Outcome, Violation};

/// Whether the object's pods run until stopped: not a Job's or a CronJob's, which run to
/// completion and are not probed for liveness.
pub fn runs_until_stopped(object: &Object) -> bool {
    !(object.is("batch", "Job") || object.is("batch", "CronJob"))
}

/// The containers that serve for the pod's lifetime: regular containers, and init
/// containers with `restartPolicy: Always` (sidecars). Plain init containers run to
/// completion and ephemeral containers cannot have probes.
pub fn serving_containers<'a>(pod: &PodSpec<'a>) -> impl Iterator<Item = Container<'a>> + 'a {
    pod.containers().filter(|container| match container.kind {
        ContainerKind::Regular => true,
        ContainerKind::Init => container.node.field("restartPolicy").as_str() == Some("Always"),
        ContainerKind::Ephemeral => false,
    })
}

/// One violation per serving container without the probe `field` (`livenessProbe`).
pub fn check_probe(cx: &Cx<'_>, object: &Object, field: &str) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in serving_containers(&pod) {
            if container.node.field(field).is_null() {
                violations
                    .push(Violation::new(container.path_to(field), format!("{} has no {field}", container.label())));
            }
        }
    })
}
