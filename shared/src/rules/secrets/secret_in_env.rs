//! `secret-in-env`: Secrets should reach a container as files, not environment variables.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// No container (init, regular or ephemeral) takes a Secret into its environment:
    /// neither one key through `env[].valueFrom.secretKeyRef` nor every key through
    /// `envFrom[].secretRef`. Each such reference is one finding.
    ///
    /// ## Why it matters
    /// Environment variables leak. They are inherited by every child process, printed by
    /// crash reporters and debug endpoints, visible in `/proc/<pid>/environ` to anything
    /// that shares the process namespace, and they never change while the process runs, so
    /// a rotated Secret is only picked up on restart. A Secret mounted as a file is read
    /// when needed, can be restricted by file permissions, and is updated in place by the
    /// kubelet.
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
    ///         env:
    ///         - name: DB_PASSWORD
    ///           valueFrom:
    ///             secretKeyRef:
    ///               name: db
    ///               key: password
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
    ///         env:
    ///         - name: DB_PASSWORD_FILE
    ///           value: /var/run/secrets/db/password
    ///         volumeMounts:
    ///         - name: db
    ///           mountPath: /var/run/secrets/db
    ///           readOnly: true
    ///       volumes:
    ///       - name: db
    ///         secret:
    ///           secretName: db
    ///           defaultMode: 0400
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 5 (secrets management): checklist "No secrets in environment variables"
    /// - CIS Kubernetes Benchmark 5.4.1 (prefer using secrets as files over secrets as environment variables)
    pub static RULE = Rule {
        id: "secret-in-env",
        title: "Secret in an environment variable",
        severity: Severity::Medium,
        family: Family::Secrets,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(5),
        cis: Some("5.4.1"),
        remediation: "Mount the Secret as a volume and have the application read the file instead of an environment variable.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            for (index, variable) in container.node.field("env").items().iter().enumerate() {
                let reference = variable.field("valueFrom").field("secretKeyRef");
                if reference.is_null() {
                    continue;
                }
                let secret = reference.field("name").as_str().unwrap_or("");
                let key = reference.field("key").as_str().unwrap_or("");
                let variable_name = variable.field("name").as_str().unwrap_or("");
                violations.push(Violation::new(
                    container.path_to(&format!("env[{index}].valueFrom.secretKeyRef")),
                    format!(
                        "{} reads key \"{key}\" of Secret \"{secret}\" into env var {variable_name}",
                        container.label()
                    ),
                ));
            }
            for (index, source) in container.node.field("envFrom").items().iter().enumerate() {
                let reference = source.field("secretRef");
                if reference.is_null() {
                    continue;
                }
                let secret = reference.field("name").as_str().unwrap_or("");
                violations.push(Violation::new(
                    container.path_to(&format!("envFrom[{index}].secretRef")),
                    format!("{} loads every key of Secret \"{secret}\" into its environment", container.label()),
                ));
            }
        }
    })
}
