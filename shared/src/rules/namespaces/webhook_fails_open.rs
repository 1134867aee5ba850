//! `webhook-fails-open`: admission webhooks should not let everything through when down.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// Each webhook of a `ValidatingWebhookConfiguration` or `MutatingWebhookConfiguration`
    /// has a `failurePolicy` other than `Ignore`. The default depends on the API version:
    /// `Fail` in `admissionregistration.k8s.io/v1`, `Ignore` in `v1beta1`, so an unset
    /// policy fails under `v1beta1`.
    ///
    /// ## Why it matters
    /// A webhook that fails open admits every request while it is unreachable. An attacker
    /// who can slow or crash the webhook (or simply waits for an upgrade) bypasses the
    /// policy it enforces.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata:
    ///   name: image-scan
    /// webhooks:
    /// - name: scan.example.com
    ///   failurePolicy: Ignore
    ///   sideEffects: None
    ///   admissionReviewVersions: [v1]
    ///   clientConfig:
    ///     service: {name: image-scanner, namespace: security}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata:
    ///   name: image-scan
    /// webhooks:
    /// - name: scan.example.com
    ///   failurePolicy: Fail
    ///   sideEffects: None
    ///   admissionReviewVersions: [v1]
    ///   clientConfig:
    ///     service: {name: image-scanner, namespace: security}
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 4 (images): "Admission webhook to block vulnerable images"
    pub static RULE = Rule {
        id: "webhook-fails-open",
        title: "Admission webhook fails open",
        severity: Severity::Low,
        family: Family::Namespaces,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(4),
        cis: None,
        remediation: "Set `failurePolicy: Fail` and run the webhook with several replicas so it stays available.",
        check,
    };
}

fn check(_cx: &Cx<'_>, object: &Object) -> Outcome {
    let is_webhook_configuration = object.group() == "admissionregistration.k8s.io"
        && matches!(object.kind.as_str(), "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration");
    if !is_webhook_configuration {
        return Outcome::NotApplicable;
    }
    let default_policy = if object.api_version.ends_with("/v1beta1") { "Ignore" } else { "Fail" };
    let violations = object
        .root
        .field("webhooks")
        .items()
        .iter()
        .enumerate()
        .filter(|(_, webhook)| webhook.field("failurePolicy").as_str().unwrap_or(default_policy) == "Ignore")
        .map(|(index, webhook)| {
            let name = webhook.field("name").as_str().unwrap_or("");
            let how = if webhook.field("failurePolicy").is_null() { " (the v1beta1 default)" } else { "" };
            Violation::new(
                format!("webhooks[{index}].failurePolicy"),
                format!("webhook {name} admits every request when it cannot be reached: failurePolicy Ignore{how}"),
            )
        })
        .collect();
    Outcome::Checked(violations)
}
