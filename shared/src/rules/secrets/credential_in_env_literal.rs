//! `credential-in-env-literal`: credentials must not be written into the manifest as
//! environment variable values.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::secrets::credentials::{is_harmless_value, name_suggests_credential, private_key_label};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// No container (init, regular or ephemeral) has an environment variable whose name
    /// suggests a credential and whose value is written literally in `env[].value`.
    /// Names are read word by word, split at `_`, `-`, `.` and camel case: `DB_PASSWORD`,
    /// `dbPassword`, `GITHUB_TOKEN`, `CLIENT_SECRET`, `API_KEY`, `AWS_SECRET_ACCESS_KEY`,
    /// `PRIVATE_KEY`, `GOOGLE_APPLICATION_CREDENTIALS` look like credentials; `SECRETARY`,
    /// `MAX_TOKENS` and `PWD` do not. A name ending in `KEY` (or `KEY_CONTENT`, `KEY_DATA`),
    /// as cloud SDKs name their keys — `AZURE_STORAGE_KEY`, `SPACES_KEY`,
    /// `OCI_CLI_KEY_CONTENT` — is a credential, unless the word before `KEY` makes it a key
    /// of data (`CACHE_KEY`, `SORT_KEY`, `PARTITION_KEY`, `ROUTING_KEY`) or the public half
    /// of a pair (`PUBLIC_KEY`). A name whose last word describes the credential rather
    /// than being it — `TOKEN_URL`, `PASSWORD_FILE`, `SECRET_NAME`, `TOKEN_TTL`,
    /// `AWS_ACCESS_KEY_ID` — passes. So do values that cannot be a credential: empty, a
    /// boolean, an absolute file path, or a reference such as `$(OTHER_VAR)`.
    ///
    /// Two names are judged with care, because they hold no secret: an access key without
    /// `SECRET` (`AWS_ACCESS_KEY`, `MINIO_ACCESS_KEY`) is the public half of a key pair —
    /// the id that goes with the secret key, which identifies but does not authenticate —
    /// and etcd's `ETCD_INITIAL_CLUSTER_TOKEN` is an identifier that tells clusters apart.
    /// Both pass; their secret partners (`AWS_SECRET_ACCESS_KEY`, `MINIO_SECRET_KEY`) fail.
    ///
    /// Whatever the name, a value holding a PEM private key block
    /// (`-----BEGIN … PRIVATE KEY-----`) fails: a key pasted under a neutral name such as
    /// `TLS_PEM` or `CONFIG` is still a key. Certificates and public keys pass.
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
                // Borrowed when it is a string (most are), not copied for each variable.
                let value = variable.field("value");
                let value = match value.as_str() {
                    Some(text) => std::borrow::Cow::Borrowed(text),
                    None => match value.as_text() {
                        Some(text) => std::borrow::Cow::Owned(text),
                        None => continue,
                    },
                };
                // The message names the variable, never the value: findings are stored and
                // mailed, and must not spread the credential further.
                let message = if let Some(label) = private_key_label(&value) {
                    format!("{} sets env var {name} to a literal private key block (BEGIN {label})", container.label())
                } else if name_suggests_credential(name) && !is_harmless_value(&value) {
                    format!(
                        "{} sets env var {name}, which looks like a credential, to a literal value",
                        container.label()
                    )
                } else {
                    continue;
                };
                violations.push(Violation::new(container.path_to(&format!("env[{index}].value")), message));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge_one;

    fn pod(env: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: app:1\n    env:\n{env}")
    }

    fn flagged(env: &str) -> Vec<String> {
        judge_one(&RULE, &pod(env)).violations().iter().map(|(_, message, _)| message.clone()).collect()
    }

    #[test]
    fn keys_as_cloud_sdks_name_them_are_credentials() {
        let messages = flagged(
            "    - name: AZURE_STORAGE_KEY\n      value: bm90LWEta2V5\n    - name: OCI_CLI_KEY_CONTENT\n      value: abc\n    - name: CACHE_KEY\n      value: users\n    - name: PUBLIC_KEY\n      value: ssh-ed25519 AAAA\n",
        );
        assert_eq!(
            messages,
            [
                "container \"app\" sets env var AZURE_STORAGE_KEY, which looks like a credential, to a literal value",
                "container \"app\" sets env var OCI_CLI_KEY_CONTENT, which looks like a credential, to a literal value",
            ]
        );
    }

    #[test]
    fn the_public_half_of_a_key_pair_and_a_cluster_id_are_not_credentials() {
        let messages = flagged(
            "    - name: MINIO_ACCESS_KEY\n      value: minio\n    - name: MINIO_SECRET_KEY\n      value: minio123\n    - name: ETCD_INITIAL_CLUSTER_TOKEN\n      value: etcd-cluster-1\n",
        );
        assert_eq!(
            messages,
            ["container \"app\" sets env var MINIO_SECRET_KEY, which looks like a credential, to a literal value"]
        );
    }

    #[test]
    fn a_private_key_under_a_neutral_name_is_found_and_certificates_are_not() {
        let messages = flagged(
            "    - name: TLS_PEM\n      value: |\n        -----BEGIN EC PRIVATE KEY-----\n        MHcCAQEE\n        -----END EC PRIVATE KEY-----\n    - name: CA_BUNDLE\n      value: |\n        -----BEGIN CERTIFICATE-----\n        MIIB\n        -----END CERTIFICATE-----\n",
        );
        assert_eq!(
            messages,
            ["container \"app\" sets env var TLS_PEM to a literal private key block (BEGIN EC PRIVATE KEY)"]
        );
    }
}
