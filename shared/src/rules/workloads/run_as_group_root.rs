//! `run-as-group-root`: containers should not run with the root group.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The effective `runAsGroup` of every container (init, regular and ephemeral) is not
    /// 0: the container's `securityContext.runAsGroup`, else the pod's. The pod's
    /// `securityContext.supplementalGroups` must not hold 0 either, nor may `fsGroup` be 0.
    /// When `runAsGroup` is set nowhere the image decides, which this rule does not judge
    /// (`run-as-high-uid` asks for an explicit user). Windows pods are not checked:
    /// Kubernetes rejects these fields on them.
    ///
    /// ## Why it matters
    /// Group 0 is root's group. On the node it owns system files that are group-readable
    /// or group-writable (`/etc/shadow` on some distributions, device nodes, sockets); a
    /// process that escapes its container, or reaches a hostPath volume, keeps its groups.
    /// Running as a non-root user in group 0 gives back much of what `runAsNonRoot` took.
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
    ///       securityContext:
    ///         runAsUser: 10001
    ///         runAsGroup: 0
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
    ///       securityContext:
    ///         runAsUser: 10001
    ///         runAsGroup: 10001
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the group the application needs for its files is not known here.
    ///
    /// ## References
    /// - Hardening guide, layer 3 (workloads): "Run as Non-Root"
    /// - <https://kubernetes.io/docs/tasks/configure-pod-container/security-context/>
    pub static RULE = Rule {
        id: "run-as-group-root",
        title: "Runs with the root group",
        severity: Severity::Medium,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Set runAsGroup (and fsGroup) to a non-zero group id the application's files belong to, and drop 0 from supplementalGroups.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.pod_spec(object).is_some_and(|pod| pod.is_windows()) {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        let pod_context = pod.security_context();
        let pod_group = pod_context.field("runAsGroup").as_i64();
        let mut inheriting = Vec::new();
        for container in pod.containers() {
            match container.security_context().field("runAsGroup").as_i64() {
                Some(0) => violations.push(Violation::new(
                    container.path_to("securityContext.runAsGroup"),
                    format!("{} runs with group 0 (root)", container.label()),
                )),
                Some(_) => {}
                None => inheriting.push(container.label()),
            }
        }
        if pod_group == Some(0) && !inheriting.is_empty() {
            violations.push(Violation::new(
                pod.path_to("securityContext.runAsGroup"),
                format!("the pod runs {} with group 0 (root)", inheriting.join(", ")),
            ));
        }
        for (index, group) in pod_context.field("supplementalGroups").items().iter().enumerate() {
            if group.as_i64() == Some(0) {
                violations.push(Violation::new(
                    pod.path_to(&format!("securityContext.supplementalGroups[{index}]")),
                    "the pod adds group 0 (root) to every container's supplementalGroups".to_string(),
                ));
            }
        }
        if pod_context.field("fsGroup").as_i64() == Some(0) {
            violations.push(Violation::new(
                pod.path_to("securityContext.fsGroup"),
                "the pod's volumes are owned by group 0 (root) through fsGroup".to_string(),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge_one;

    #[test]
    fn own_inherited_and_supplemental_groups() {
        let judged = judge_one(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  securityContext:\n    runAsGroup: 0\n    supplementalGroups: [1000, 0]\n  containers:\n  - name: own\n    image: a:1\n    securityContext: {runAsGroup: 2000}\n  - name: inherits\n    image: a:1\n",
        );
        let paths: Vec<&str> = judged.violations().iter().map(|(path, _, _)| path.as_str()).collect();
        assert_eq!(paths, ["spec.securityContext.runAsGroup", "spec.securityContext.supplementalGroups[1]"]);
        assert_eq!(judged.violations()[0].1, "the pod runs container \"inherits\" with group 0 (root)");
        let unset = judge_one(
            &RULE,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: a:1\n",
        );
        assert!(unset.violations().is_empty(), "the image's group is not judged");
    }
}
