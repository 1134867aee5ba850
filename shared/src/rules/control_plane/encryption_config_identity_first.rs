//! `encryption-config-identity-first`: an encryption configuration that does not encrypt
//! Secrets.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::encryption::{encryption_config, secrets_entry};

declare_rule! {
    /// ## What it checks
    /// An `EncryptionConfiguration` (`apiserver.config.k8s.io/v1`) must encrypt Secrets:
    /// the first entry of `resources[]` that covers them (`secrets`, or the wildcards `*.`
    /// for the core group and `*.*` for everything; earlier entries take precedence, as in
    /// the API server) must not have `identity` as its first provider. A configuration
    /// whose entries do not cover Secrets at all fails too, at `resources`.
    ///
    /// ## Why it matters
    /// Only the first provider encrypts what the API server writes; the others only read
    /// data that is already stored. With `identity` first, every Secret is written to etcd
    /// in plain text while the configuration looks as if it encrypted them: the classic
    /// mistake is an `aescbc` key listed after `identity` "for later".
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources:
    ///   - secrets
    ///   providers:
    ///   - identity: {}
    ///   - secretbox:
    ///       keys:
    ///       - name: key1
    ///         secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
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
    ///   - secretbox:
    ///       keys:
    ///       - name: key1
    ///         secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
    ///   - identity: {}
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (etcd encryption at rest)
    /// - CIS Kubernetes Benchmark 1.2.29 (ensure that encryption providers are appropriately configured)
    /// - <https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#understanding-the-encryption-at-rest-configuration>
    pub static RULE = Rule {
        id: "encryption-config-identity-first",
        title: "Secrets left unencrypted by the encryption configuration",
        severity: Severity::Critical,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.29"),
        remediation: "List `secrets` in the configuration with an encrypting provider (KMS v2 or `secretbox`) first and `identity` after it.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    let Some(config) = encryption_config(object) else { return Outcome::NotApplicable };
    let violation = match secrets_entry(config) {
        None => Some(Violation::new(
            "resources",
            "no entry of resources covers secrets: they are stored in etcd unencrypted",
        )),
        Some(entry) => match entry.first_provider() {
            Some(("identity", path)) => Some(Violation::new(
                path,
                format!(
                    "the first provider for secrets in {} is identity: they are stored in etcd unencrypted",
                    entry.label()
                ),
            )),
            _ => None,
        },
    };
    Outcome::Checked(violation.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn identity_first_fails_at_the_provider() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "resources[0].providers[0].identity".to_string(),
                "the first provider for secrets in resources[0] is identity: they are stored in etcd unencrypted"
                    .to_string(),
                7
            )]
        );
    }

    #[test]
    fn the_first_entry_that_covers_secrets_decides() {
        let judged = judge_one(
            &RULE,
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [events]\n  providers:\n  - identity: {}\n- resources: ['*.*']\n  providers:\n  - identity: {}\n- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [{name: k, secret: c2VjcmV0}]}\n",
        );
        assert_eq!(
            judged.violations(),
            [(
                "resources[1].providers[0].identity".to_string(),
                "the first provider for secrets in resources[1] (through `*.*`) is identity: they are stored in etcd unencrypted"
                    .to_string(),
                9
            )]
        );
    }

    #[test]
    fn secrets_not_listed_fail_at_resources_and_the_core_wildcard_counts() {
        let judged = judge_one(
            &RULE,
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [configmaps, '*.apps']\n  providers:\n  - secretbox: {keys: [{name: k, secret: c2VjcmV0}]}\n",
        );
        assert_eq!(judged.violations()[0].0, "resources");
        let judged = judge_one(
            &RULE,
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: ['*.']\n  providers:\n  - kms: {apiVersion: v2, name: vault, endpoint: 'unix:///kms.sock'}\n",
        );
        assert!(judged.violations().is_empty());
    }
}
