//! `container-ssh-port`: a container should not run an SSH server.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

/// The SSH port.
const SSH: i64 = 22;

declare_rule! {
    /// ## What it checks
    /// No container (init, regular or ephemeral) declares port 22 in `ports[]`, as its
    /// `containerPort` or its `hostPort`. The finding points at the port.
    ///
    /// ## Why it matters
    /// Port 22 is SSH. An SSH server in a container is a second way in that bypasses the
    /// API server's authentication, RBAC and audit log, with its own keys or passwords to
    /// leak, and a habit of changing running containers by hand instead of rolling out a
    /// new image. `kubectl exec` and `kubectl debug` give the same access, authorised and
    /// audited.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: legacy
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: app
    ///         image: registry.example.com/legacy:7.2
    ///         ports:
    ///         - containerPort: 8080
    ///         - containerPort: 22
    ///           name: ssh
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: legacy
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: app
    ///         image: registry.example.com/legacy:7.2
    ///         ports:
    ///         - containerPort: 8080
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: the port only declares what the image does; the SSH server has to
    /// leave the image.
    ///
    /// ## References
    /// - Hardening guide, layer 3 (workloads): "Minimal Images"
    /// - <https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container>
    pub static RULE = Rule {
        id: "container-ssh-port",
        title: "SSH port in a container",
        severity: Severity::Medium,
        family: Family::Network,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Remove the SSH server from the image and use `kubectl exec` or `kubectl debug` for access.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            for (index, port) in container.node.field("ports").items().iter().enumerate() {
                for field in ["containerPort", "hostPort"] {
                    if port.field(field).as_i64() == Some(SSH) {
                        violations.push(Violation::new(
                            container.path_to(&format!("ports[{index}].{field}")),
                            format!("{} declares port 22 (SSH) as its {field}", container.label()),
                        ));
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge_one;

    #[test]
    fn the_ssh_port_is_found_and_others_pass() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "spec.template.spec.containers[0].ports[1].containerPort".to_string(),
                "container \"app\" declares port 22 (SSH) as its containerPort".to_string(),
                13
            )]
        );
        let judged = judge_one(&RULE, RULE.doc_yaml("Use instead").unwrap().as_str());
        assert!(judged.violations().is_empty());
    }
}
