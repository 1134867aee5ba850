//! `cluster-no-image-verification`: a cluster should verify image signatures.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::namespaces::cluster_anchor;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The cluster has an image-signature verification policy: a Kyverno `ClusterPolicy` or
    /// `Policy` with a `verifyImages` rule, or a Sigstore policy-controller
    /// `ClusterImagePolicy`.
    ///
    /// A cluster rule: it runs in a cluster scan, or on manifests with `--complete`. The
    /// finding is attached to the first object of the input.
    ///
    /// ## Why it matters
    /// Signing images means nothing unless admission checks the signatures: without it, an
    /// attacker who can push to the registry (or typo-squat an image) runs code in the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: production
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: kyverno.io/v1
    /// kind: ClusterPolicy
    /// metadata:
    ///   name: verify-image
    /// spec:
    ///   validationFailureAction: Enforce
    ///   rules:
    ///   - name: verify-signature
    ///     match:
    ///       resources:
    ///         kinds: [Pod]
    ///     verifyImages:
    ///     - imageReferences: ["registry.company.com/*"]
    ///       attestors:
    ///       - entries:
    ///         - keys:
    ///             publicKeys: "-----BEGIN PUBLIC KEY-----..."
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 7 (supply chain): "Image Signing"
    pub static RULE = Rule {
        id: "cluster-no-image-verification",
        title: "No image signature verification",
        severity: Severity::Low,
        family: Family::Namespaces,
        scope: Scope::Cluster,
        pss: None,
        guide_layer: Some(7),
        cis: None,
        remediation: "Sign images (cosign) and add a Kyverno `verifyImages` policy or a Sigstore ClusterImagePolicy that requires the signatures.",
        check,
    };
}

fn check(cx: &Cx<'_>, _object: &Object) -> Outcome {
    if !cluster_anchor(cx) {
        return Outcome::NotApplicable;
    }
    let verifies = cx.index.policy_engine_objects().any(|policy| {
        policy.is("policy.sigstore.dev", "ClusterImagePolicy")
            || (policy.group() == "kyverno.io"
                && policy
                    .root
                    .field("spec")
                    .field("rules")
                    .items()
                    .iter()
                    .any(|rule| !rule.field("verifyImages").items().is_empty()))
    });
    if verifies {
        return Outcome::pass();
    }
    Outcome::Checked(vec![Violation::new(
        "",
        "the cluster verifies no image signatures: no Kyverno verifyImages rule or Sigstore ClusterImagePolicy",
    )])
}
