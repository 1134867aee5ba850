//! `credential-in-configmap`: ConfigMaps are not for credentials.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::secrets::credentials::{decode_base64, find_credential, is_harmless_value, name_suggests_credential};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};
use crate::tree::join_key;

declare_rule! {
    /// ## What it checks
    /// No value of a ConfigMap's `data` or `binaryData` (decoded from base64) holds
    /// something credential-shaped:
    /// - a PEM private key block (`-----BEGIN … PRIVATE KEY-----`; certificates and public
    ///   keys are fine);
    /// - an AWS access key id (`AKIA` or `ASIA` and 16 upper-case letters or digits) or a
    ///   GitHub token (`ghp_…`, `github_pat_…`);
    /// - a URL with a password in it (`postgres://app:…@db`);
    /// - a line such as `password=…`, `password: …`, `"apiKey": "…"` or a connection
    ///   string's `Password=…;`, where the key names a credential (read as in
    ///   `credential-in-env-literal`) and the value is literal — not empty, not a
    ///   placeholder like `${DB_PASSWORD}` or `{{ .Values.password }}`, not a file path;
    /// - a single-line value under a key that names a credential (`DB_PASSWORD: …`,
    ///   `AZURE_STORAGE_KEY: …`), the way ConfigMaps meant for `envFrom` are written.
    ///
    /// Names ending in `KEY` or `KEY_CONTENT` count as cloud SDKs use them, except keys of
    /// data (`CACHE_KEY`, `routing.key`), public keys, the public half of an access key
    /// pair (`MINIO_ACCESS_KEY`) and etcd's cluster id `ETCD_INITIAL_CLUSTER_TOKEN`, which
    /// hold no secret (the choice is explained in `credential-in-env-literal`).
    ///
    /// Comment lines (`#`, `//`, `;`) are skipped. One finding per ConfigMap key; the
    /// message says what was found and never repeats it.
    ///
    /// ## Why it matters
    /// ConfigMaps are built to be read: RBAC roles grant them freely, they are not
    /// encrypted at rest, they are printed in full by `kubectl describe` and copied into
    /// Git, dashboards and support bundles. A credential in one is a credential shared with
    /// everyone who can read configuration.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api-config
    /// data:
    ///   LOG_LEVEL: info
    ///   application.properties: |
    ///     spring.datasource.url=jdbc:postgresql://db:5432/app
    ///     spring.datasource.username=app
    ///     spring.datasource.password=hunter2
    /// ```
    ///
    /// ## Use instead
    /// Keep the configuration and point it at a value the application gets from a Secret:
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata:
    ///   name: api-config
    /// data:
    ///   LOG_LEVEL: info
    ///   application.properties: |
    ///     spring.datasource.url=jdbc:postgresql://db:5432/app
    ///     spring.datasource.username=app
    ///     spring.datasource.password=${DB_PASSWORD}
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 5 (secrets management): "Never Commit Secrets to Git"
    pub static RULE = Rule {
        id: "credential-in-configmap",
        title: "Credential in a ConfigMap",
        severity: Severity::High,
        family: Family::Secrets,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(5),
        cis: None,
        remediation: "Move the credential into a Secret or an external secret store, rotate it, and reference it from the configuration.",
        check,
    };
}

/// What is credential-shaped about one ConfigMap value, as a message fragment.
fn credential_in_value(key: &str, value: &str) -> Option<String> {
    if let Some(shape) = find_credential(value) {
        return Some(shape.describe());
    }
    // A one-line value is a setting rather than a file, so its key's name says what it is.
    let single_line = !value.trim_end().contains('\n');
    (single_line && name_suggests_credential(key) && !is_harmless_value(value))
        .then(|| "a literal value under a name that suggests a credential".to_string())
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    if !object.is("", "ConfigMap") {
        return Outcome::NotApplicable;
    }
    let mut violations = Vec::new();
    for entry in object.root.field("data").entries() {
        let Some(value) = entry.value.as_text() else { continue };
        if let Some(found) = credential_in_value(&entry.key, &value) {
            violations.push(Violation::new(
                join_key("data", &entry.key),
                format!("ConfigMap key \"{}\" holds {found}", entry.key),
            ));
        }
    }
    for entry in object.root.field("binaryData").entries() {
        // Values that are not base64 are left alone: the API server would reject them.
        let Some(bytes) = entry.value.as_str().and_then(decode_base64) else { continue };
        let value = String::from_utf8_lossy(&bytes);
        if let Some(found) = credential_in_value(&entry.key, &value) {
            violations.push(Violation::new(
                join_key("binaryData", &entry.key),
                format!("ConfigMap key \"{}\" holds {found} (in binaryData)", entry.key),
            ));
        }
    }
    Outcome::Checked(violations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_count_only_for_single_line_values() {
        assert!(credential_in_value("DB_PASSWORD", "hunter2").is_some());
        assert!(credential_in_value("DB_PASSWORD", "").is_none());
        assert!(credential_in_value("SECRET_NAME", "db-credentials").is_none());
        assert!(credential_in_value("secret.yaml", "kind: SealedSecret\nspec:\n  encryptedData: {}\n").is_none());
        assert!(credential_in_value("LOG_LEVEL", "info").is_none());
    }

    #[test]
    fn keys_named_as_cloud_sdks_name_them() {
        assert!(credential_in_value("AZURE_STORAGE_KEY", "bm90LWEta2V5").is_some());
        assert!(credential_in_value("OCI_CLI_KEY_CONTENT", "abc").is_some());
        assert!(credential_in_value("storage.key=abc", "").is_none());
        assert!(credential_in_value("app.properties", "storage.account.key=abc\n").is_some());
        // Keys of data, public halves of pairs and cluster ids hold no secret.
        for (key, value) in [
            ("CACHE_KEY", "users"),
            ("routing.key", "orders"),
            ("PUBLIC_KEY", "ssh-ed25519 AAAA"),
            ("MINIO_ACCESS_KEY", "minio"),
            ("ETCD_INITIAL_CLUSTER_TOKEN", "etcd-cluster-1"),
        ] {
            assert!(credential_in_value(key, value).is_none(), "{key}");
        }
        assert!(credential_in_value("app.properties", "cache.key=users\nsort.key=name\n").is_none());
    }
}
