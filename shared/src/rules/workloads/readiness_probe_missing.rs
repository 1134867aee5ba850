//! `readiness-probe-missing`: a container that receives traffic should say when it can.

use crate::declare_rule;
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::probes::check_probe;

declare_rule! {
    /// ## What it checks
    /// Every container that serves traffic has a `readinessProbe`: the regular containers
    /// and sidecars (init containers with `restartPolicy: Always`) of every Deployment,
    /// StatefulSet and DaemonSet, and of Pods, ReplicaSets and ReplicationControllers that
    /// a Service of the input selects. Jobs and CronJobs are left out. The finding points
    /// where the probe belongs.
    ///
    /// ## Why it matters
    /// Without a readiness probe a pod receives traffic as soon as its containers start,
    /// before the application listens, and keeps receiving it while it is overloaded or
    /// cut off from what it depends on. During a rollout that is failed requests; with a
    /// broken release it is every request, because the old pods are removed while the new
    /// ones only look ready.
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
    ///         readinessProbe:
    ///           httpGet:
    ///             path: /ready
    ///             port: 8080
    ///           periodSeconds: 5
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: only the application knows when it is ready, and a wrong probe
    /// takes every replica out of its Service.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/>
    /// - <https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes>
    pub static RULE = Rule {
        id: "readiness-probe-missing",
        title: "No readiness probe",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Add a readinessProbe that succeeds only when the container can serve requests.",
        check,
    };
}

/// Whether the object's pods serve traffic as far as the input shows.
fn serves(cx: &Cx<'_>, object: &Object) -> bool {
    let always = ["Deployment", "StatefulSet", "DaemonSet"];
    if always.iter().any(|kind| object.is("apps", kind) || object.is("extensions", kind)) {
        return true;
    }
    let Some(pod) = cx.pod_spec(object) else { return false };
    let labels = pod.metadata.field("labels");
    cx.index
        .services(effective_namespace(object))
        .any(|service| crate::rules::network::selects(&service.selector, labels))
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.pod_spec(object).is_none() || !serves(cx, object) {
        return Outcome::NotApplicable;
    }
    check_probe(cx, object, "readinessProbe")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge;

    #[test]
    fn pods_behind_a_service_count_and_others_do_not() {
        let judged = judge(
            &RULE,
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers:\n  - name: web\n    image: a:1\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: batch\n  labels: {app: batch}\nspec:\n  containers:\n  - name: run\n    image: a:1\n",
        );
        assert!(judged[0].violations.is_none());
        assert_eq!(judged[1].violations().len(), 1);
        assert_eq!(judged[1].violations()[0].1, "container \"web\" has no readinessProbe");
        assert!(judged[2].violations.is_none());
    }
}
