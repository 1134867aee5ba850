//! `pss-run-as-non-root`: every container must be required to run as a non-root user
//! (Pod Security Standards, restricted), relaxed from policy v1.35 for pods in a user
//! namespace.

use crate::declare_rule;
use crate::fix::{node_at, parent_path, Fix, FixCx, Scalar};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A workload's pod spec and every container (init, regular and ephemeral) in it: every
    /// container must end up with `runAsNonRoot: true`, set on the container itself or
    /// inherited from the pod's `securityContext`. A pod-level `runAsNonRoot: false` fails
    /// even when every container sets `true`; a container's `false` fails whatever the pod
    /// says. A non-zero `runAsUser` alone does not satisfy the check. From policy v1.35, a
    /// pod that runs in its own user namespace (`hostUsers: false`) passes whatever it sets.
    /// This is the `runAsNonRoot` check of the Pod Security Standards, restricted level, at
    /// every policy version (Windows pods are not exempt).
    ///
    /// ## Why it matters
    /// With `runAsNonRoot: true` the kubelet refuses to start a container whose user would
    /// be root (UID 0), whatever the image says. Root in a container is root on the node for
    /// every file and kernel interface the container can reach, and is the starting point
    /// of most container escapes.
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
    ///     image: nginxinc/nginx-unprivileged:1.27
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   securityContext:
    ///     runAsNonRoot: true
    ///   containers:
    ///   - name: app
    ///     image: nginxinc/nginx-unprivileged:1.27
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: sets `runAsNonRoot: true` in the pod's `securityContext` (and turns a
    /// container's own `false` into `true`). The kubelet then refuses to start a container whose
    /// image runs as root and names no other user, and many images do (the official `nginx` one
    /// among them): the pod stays in `CreateContainerConfigError` until the image or `runAsUser`
    /// changes.
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Running as Non-root (`runAsNonRoot`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.7
    pub static RULE = Rule {
        id: "pss-run-as-non-root",
        title: "Not required to run as non-root",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Restricted, check: "runAsNonRoot", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.7"),
        remediation: "Set `runAsNonRoot: true` in the pod's securityContext and remove any `runAsNonRoot: false`.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        if super::user_namespace_relaxation(cx, &pod) {
            return;
        }
        let pod_setting = pod.security_context().field("runAsNonRoot").as_bool();
        if pod_setting == Some(false) {
            violations
                .push(Violation::new(pod.path_to("securityContext.runAsNonRoot"), "pod sets runAsNonRoot: false"));
        }
        for container in pod.containers() {
            let message = match container.security_context().field("runAsNonRoot").as_bool() {
                Some(true) => continue,
                Some(false) => format!("{} sets runAsNonRoot: false", container.label()),
                // Inherited from the pod only when the pod says `true`.
                None if pod_setting == Some(true) => continue,
                None => format!("{} does not set runAsNonRoot: true, nor does the pod", container.label()),
            };
            violations.push(Violation::new(container.path_to("securityContext.runAsNonRoot"), message));
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    let pod_path = object.pod_spec()?.path_to("securityContext.runAsNonRoot");
    let target = match parent_path(&violation.path, "securityContext.runAsNonRoot") {
        Some(container) if violation.path != pod_path => {
            let own = node_at(&object.root, container)?.field("securityContext").field("runAsNonRoot");
            if own.as_bool() == Some(false) {
                violation.path.clone()
            } else {
                pod_path
            }
        }
        _ => pod_path,
    };
    Fix::unsafe_(fix_cx.set(object, &target, Scalar::Bool(true)))
}

#[cfg(test)]
mod tests {
    use super::super::testing::violation_paths;
    use super::RULE;

    #[test]
    fn pod_false_fails_despite_containers_and_user_namespaces_relax_from_v1_35() {
        let pod = r#"
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostUsers: false
          securityContext:
            runAsNonRoot: false
            runAsUser: 1000
          containers:
          - name: report
            image: example.com/report:1
            securityContext:
              runAsNonRoot: true
          - name: upload
            image: example.com/upload:1
"#;
        assert_eq!(
            violation_paths(&RULE, pod, 34).unwrap(),
            [
                "spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot",
                "spec.jobTemplate.spec.template.spec.containers[1].securityContext.runAsNonRoot",
            ]
        );
        assert_eq!(violation_paths(&RULE, pod, 35).unwrap(), Vec::<String>::new());
    }
}
