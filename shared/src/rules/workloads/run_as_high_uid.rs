//! `run-as-high-uid`: containers should run as a UID no host account uses.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};
use crate::tree::Node;

declare_rule! {
    /// ## What it checks
    /// The effective `runAsUser` of every container (init, regular and ephemeral) is 10000
    /// or more. The effective value is the container's `securityContext.runAsUser`, else the
    /// pod's `securityContext.runAsUser`; when neither is set the image decides, which fails
    /// too. Windows pods are not checked: Kubernetes rejects `runAsUser` on them.
    ///
    /// ## Why it matters
    /// Low UIDs are the ones real accounts and system daemons hold on the node. A process
    /// that escapes its container keeps its UID, so UID 1000 on the node may own someone's
    /// files and UID 0 is root. A high UID that no host account uses limits what an escape
    /// can touch. Leaving it to the image means the UID changes when the image does.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 1000
    ///       containers:
    ///       - name: web
    ///         image: registry.example.com/web:1.4.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       securityContext:
    ///         runAsUser: 10001
    ///         runAsGroup: 10001
    ///       containers:
    ///       - name: web
    ///         image: registry.example.com/web:1.4.2
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 3 (pod security): "Security Context"
    /// - CIS Kubernetes Benchmark 5.7.3 (apply security context)
    pub static RULE = Rule {
        id: "run-as-high-uid",
        title: "Low or unset runAsUser",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: Some("5.7.3"),
        remediation: "Set `securityContext.runAsUser` to 10000 or more (on the pod, or on each container) and build the image to run as that user.",
        check,
    };
}

/// UIDs below this are left to host accounts and system daemons.
const MINIMUM_UID: i64 = 10000;

/// Why a `runAsUser` value falls short, or `None` when it is high enough.
fn shortfall(value: &Node) -> Option<String> {
    match value.as_i64() {
        Some(uid) if uid >= MINIMUM_UID => None,
        Some(uid) => Some(format!("UID {uid}, below {MINIMUM_UID}")),
        None => Some(format!(
            "{}, which is not a UID",
            value.as_text().map_or_else(|| "a non-number".to_string(), |text| format!("\"{text}\""))
        )),
    }
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    // Kubernetes rejects runAsUser on pods with `spec.os.name: windows`, so a Windows pod
    // could never pass; the rule does not apply to it.
    if cx.pod_spec(object).is_some_and(|pod| pod.is_windows()) {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        let pod_value = pod.security_context().get("runAsUser").filter(|value| !value.is_null());
        // Containers without their own value share the pod's (or none): they are reported
        // together, once, at the pod's field, so one mistake is one finding.
        let mut inheriting = Vec::new();
        for container in pod.containers() {
            match container.security_context().get("runAsUser").filter(|value| !value.is_null()) {
                Some(value) => {
                    if let Some(reason) = shortfall(value) {
                        violations.push(Violation::new(
                            container.path_to("securityContext.runAsUser"),
                            format!("{} runs as {reason}", container.label()),
                        ));
                    }
                }
                None => inheriting.push(container.label()),
            }
        }
        if inheriting.is_empty() {
            return;
        }
        let containers = inheriting.join(", ");
        let path = pod.path_to("securityContext.runAsUser");
        match pod_value {
            Some(value) => {
                if let Some(reason) = shortfall(value) {
                    violations.push(Violation::new(path, format!("the pod runs {containers} as {reason}")));
                }
            }
            None => violations.push(Violation::new(
                path,
                format!("no runAsUser is set for {containers}, so the image's user applies"),
            )),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::workloads::testing::{outcomes, violations};
    use crate::rules::Mode;

    const CRON_JOB: &str = "apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          securityContext: {runAsUser: 1000}
          initContainers: [{name: setup, image: a:1}]
          containers:
          - {name: low, image: a:1, securityContext: {runAsUser: 0}}
          - {name: high, image: a:1, securityContext: {runAsUser: 20000}}
          - {name: inherits, image: a:1}
";

    #[test]
    fn own_values_are_reported_per_container_and_inherited_ones_once() {
        let found = violations(&RULE, CRON_JOB);
        let spec = "spec.jobTemplate.spec.template.spec";
        assert_eq!(
            found,
            [
                (
                    format!("{spec}.containers[0].securityContext.runAsUser"),
                    "container \"low\" runs as UID 0, below 10000".to_string()
                ),
                (
                    format!("{spec}.securityContext.runAsUser"),
                    "the pod runs init container \"setup\", container \"inherits\" as UID 1000, below 10000"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn unset_fails_and_a_high_pod_value_passes() {
        let unset = CRON_JOB.replace("securityContext: {runAsUser: 1000}", "securityContext: {}");
        let found = violations(&RULE, &unset);
        assert!(found[1].1.starts_with("no runAsUser is set for init container \"setup\""), "{}", found[1].1);
        let high =
            CRON_JOB.replace("runAsUser: 1000}", "runAsUser: 10000}").replace("runAsUser: 0}", "runAsUser: 10000}");
        assert!(violations(&RULE, &high).is_empty());
    }

    #[test]
    fn windows_pods_are_not_checked() {
        let windows =
            CRON_JOB.replace("          securityContext: {runAsUser: 1000}\n", "          os: {name: windows}\n");
        assert_eq!(outcomes(&RULE, &windows, &Config::default(), Mode::Manifests), [Outcome::NotApplicable]);
    }
}
