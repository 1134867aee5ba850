//! `secret-data-in-manifest`: Secret values do not belong in files under version control.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Mode, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A `Secret` manifest carries no `data` or `stringData`. A manifest rule: it judges
    /// files only; in a live cluster every Secret holds data, which is what Secrets are for
    /// (and a scan reads their metadata only).
    ///
    /// ## Why it matters
    /// base64 is an encoding, not encryption: whoever can read the repository, its forks,
    /// its CI logs or its history can read the credential, long after it was "removed".
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: db-secret
    /// data:
    ///   password: cGFzc3dvcmQxMjM=
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: db-secret
    ///   annotations:
    ///     note: filled in by the External Secrets operator
    /// type: Opaque
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 5 (secrets): "Never Commit Secrets to Git", "Sealed Secrets"
    pub static RULE = Rule {
        id: "secret-data-in-manifest",
        title: "Secret values in a manifest",
        severity: Severity::High,
        family: Family::Secrets,
        scope: Scope::Manifest,
        pss: None,
        guide_layer: Some(5),
        cis: None,
        remediation: "Keep the value out of the repository: use a SealedSecret or an ExternalSecret, and rotate the exposed credential.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.mode != Mode::Manifests || !object.is("", "Secret") {
        return Outcome::NotApplicable;
    }
    let violations = ["data", "stringData"]
        .into_iter()
        .filter_map(|field| {
            let keys: Vec<&str> = object.root.field(field).entries().iter().map(|entry| entry.key.as_str()).collect();
            (!keys.is_empty()).then(|| {
                Violation::new(
                    field,
                    format!("Secret {} carries its values in the manifest ({field}: {})", object.name, keys.join(", ")),
                )
            })
        })
        .collect();
    Outcome::Checked(violations)
}
