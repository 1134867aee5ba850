//! `credential-in-env-literal`: credentials must not be written into the manifest as
//! environment variable values.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::secrets::credentials::{is_harmless_value, name_suggests_credential};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// No container (init, regular or ephemeral) has an environment variable whose name
    /// suggests a credential and whose value is written literally in `env[].value`.
    /// Names are read word by word, split at `_`, `-`, `.` and camel case: `DB_PASSWORD`,
    /// `dbPassword`, `GITHUB_TOKEN`, `CLIENT_SECRET`, `API_KEY`, `AWS_SECRET_ACCESS_KEY`,
    /// `PRIVATE_KEY`, `GOOGLE_APPLICATION_CREDENTIALS` look like credentials; `SECRETARY`,
    /// `MAX_TOKENS` and `PWD` do not. A name whose last word describes the credential
    /// rather than being it — `TOKEN_URL`, `PASSWORD_FILE`, `SECRET_NAME`, `TOKEN_TTL`,
    /// `AWS_ACCESS_KEY_ID` — passes. So do values that cannot be a credential: empty, a
    /// boolean, an absolute file path, or a reference such as `$(OTHER_VAR)`.
    /// `valueFrom` is not judged here (see `secret-in-env`).
    ///
    /// ## Why it matters
    /// A credential in a manifest is in Git, in CI logs, in `kubectl get -o yaml` for
    /// anyone who can read the workload, and in every copy of the repository — and it
    /// cannot be rotated without a commit. Unlike a Secret, a Deployment is not treated as
    /// sensitive by RBAC or by encryption at rest.
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
    ///         - name: DB_HOST
    ///           value: db.internal
    ///         - name: DB_PASSWORD
    ///           value: hunter2
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
    ///         - name: DB_HOST
    ///           value: db.internal
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
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 5 (secrets management): "Never Commit Secrets to Git"
    pub static RULE = Rule {
        id: "credential-in-env-literal",
        title: "Credential written in an environment variable",
        severity: Severity::High,
        family: Family::Secrets,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(5),
        cis: None,
        remediation: "Remove the value from the manifest, rotate the credential, and deliver it from a Secret (mounted as a file) or an external secret store.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            for (index, variable) in container.node.field("env").items().iter().enumerate() {
                let name = variable.field("name").as_str().unwrap_or("");
                let Some(value) = variable.field("value").as_text() else { continue };
                if !name_suggests_credential(name) || is_harmless_value(&value) {
                    continue;
                }
                // The message names the variable, never the value: findings are stored and
                // mailed, and must not spread the credential further.
                violations.push(Violation::new(
                    container.path_to(&format!("env[{index}].value")),
                    format!(
                        "{} sets env var {name}, which looks like a credential, to a literal value",
                        container.label()
                    ),
                ));
            }
        }
    })
}
