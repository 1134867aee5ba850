//! `encryption-config-weak-provider`: `aescbc` is the encryption provider upstream no
//! longer recommends.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::encryption::{encryption_config, secrets_entry};

declare_rule! {
    /// ## What it checks
    /// In an `EncryptionConfiguration` (`apiserver.config.k8s.io/v1`), the first provider
    /// of the entry that decides how Secrets are stored (the first entry of `resources[]`
    /// covering `secrets`, `*.` or `*.*`) must not be `aescbc`. A configuration that leaves
    /// Secrets unencrypted is `encryption-config-identity-first`'s finding, not this one.
    ///
    /// ## Why it matters
    /// `aescbc` keeps its key in the configuration file on the control-plane nodes, next to
    /// the data it protects, and CBC without authentication is open to padding-oracle
    /// attacks; Kubernetes' own documentation no longer recommends it. A KMS v2 provider
    /// keeps the key encryption key in an external key manager and rotates data keys
    /// itself; where no KMS exists, `secretbox` (XSalsa20-Poly1305) is the stronger local
    /// choice.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources:
    ///   - secrets
    ///   providers:
    ///   - aescbc:
    ///       keys:
    ///       - name: key1
    ///         secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
    ///   - identity: {}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources:
    ///   - secrets
    ///   providers:
    ///   - kms:
    ///       apiVersion: v2
    ///       name: vault-kms
    ///       endpoint: unix:///var/run/kms-plugin/socket.sock
    ///   - aescbc:
    ///       keys:
    ///       - name: key1
    ///         secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
    ///   - identity: {}
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (etcd encryption at rest): its example puts `aescbc` first
    /// - CIS Kubernetes Benchmark 1.2.29 (ensure that encryption providers are appropriately configured)
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#providers>
    pub static RULE = Rule {
        id: "encryption-config-weak-provider",
        title: "Weak encryption provider for Secrets",
        severity: Severity::Medium,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.29"),
        remediation: "Put a KMS v2 provider (or `secretbox`) first for Secrets, keep `aescbc` after it to read old data, then rewrite all Secrets.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(config) = encryption_config(object) else { return Outcome::NotApplicable };
    let violation = secrets_entry(config).and_then(|entry| match entry.first_provider() {
        Some(("aescbc", path)) => Some(Violation::new(
            path,
            format!("the first provider for secrets in {} is aescbc: prefer kms v2 or secretbox", entry.label()),
        )),
        _ => None,
    });
    Outcome::Checked(violation.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn aescbc_first_fails_at_the_provider_and_later_passes() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "resources[0].providers[0].aescbc".to_string(),
                "the first provider for secrets in resources[0] is aescbc: prefer kms v2 or secretbox".to_string(),
                7
            )]
        );
        assert!(judge_one(&RULE, RULE.doc_yaml("Use instead").unwrap().as_str()).violations().is_empty());
    }
}
