//! `liveness-probe-missing`: a long-running container should say how to tell it is stuck.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::probes::{check_probe, runs_until_stopped};

declare_rule! {
    /// ## What it checks
    /// Every long-running container has a `livenessProbe`: the regular containers of
    /// Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets and ReplicationControllers,
    /// and sidecars (init containers with `restartPolicy: Always`). Jobs and CronJobs run to
    /// completion and are left out, as are plain init containers and ephemeral containers.
    /// The finding points where the probe belongs.
    ///
    /// ## Why it matters
    /// Without a liveness probe the kubelet restarts a container only when its process
    /// exits. A deadlocked or wedged process keeps its pod Running and Ready-looking while
    /// it serves nothing; for availability attacks (a request that hangs a worker) the probe
    /// is what turns a stuck replica back into a working one.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    ///         livenessProbe:
    ///           httpGet:
    ///             path: /healthz
    ///             port: 8080
    ///           periodSeconds: 10
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: only the application knows which endpoint or command tells it is
    /// alive, and a wrong probe restarts healthy containers.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/>
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/>
    pub static RULE = Rule {
        id: "liveness-probe-missing",
        title: "No liveness probe",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Add a livenessProbe (httpGet, tcpSocket, grpc or exec) that fails only when the container cannot recover by itself.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if !runs_until_stopped(object) {
        return Outcome::NotApplicable;
    }
    check_probe(cx, object, "livenessProbe")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn sidecars_count_and_jobs_and_plain_init_containers_do_not() {
        let judged = judge(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  initContainers:\n  - name: setup\n    image: a:1\n  - name: proxy\n    image: a:1\n    restartPolicy: Always\n  containers:\n  - name: app\n    image: a:1\n    livenessProbe:\n      tcpSocket: {port: 80}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers:\n      - name: run\n        image: a:1\n",
        );
        assert_eq!(
            judged[0].violations(),
            [(
                "spec.initContainers[1].livenessProbe".to_string(),
                "init container \"proxy\" has no livenessProbe".to_string(),
                9
            )]
        );
        assert!(judged[1].violations.is_none());
    }
}
