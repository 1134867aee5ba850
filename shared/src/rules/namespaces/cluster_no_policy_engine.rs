//! `cluster-no-policy-engine`: a cluster should run an admission policy engine.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::namespaces::cluster_anchor;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The cluster has an admission webhook of Gatekeeper or Kyverno: a
    /// `ValidatingWebhookConfiguration` or `MutatingWebhookConfiguration` whose name or
    /// webhook names mention `gatekeeper` or `kyverno`.
    ///
    /// A cluster rule: it runs in a cluster scan, or on manifests with `--complete`. The
    /// finding is attached to the first object of the input.
    ///
    /// ## Why it matters
    /// Pod Security admission covers pods only. Everything else (registries, labels,
    /// ingress hosts, image signatures) needs a policy engine, or every rule in this
    /// report depends on reviewers catching it.
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
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// metadata:
    ///   name: gatekeeper-validating-webhook-configuration
    /// webhooks:
    /// - name: validation.gatekeeper.sh
    ///   sideEffects: None
    ///   admissionReviewVersions: [v1]
    ///   clientConfig:
    ///     service: {name: gatekeeper-webhook-service, namespace: gatekeeper-system}
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 6 (runtime): "OPA Gatekeeper"
    pub static RULE = Rule {
        id: "cluster-no-policy-engine",
        title: "No admission policy engine",
        severity: Severity::Medium,
        family: Family::Namespaces,
        scope: Scope::Cluster,
        pss: None,
        guide_layer: Some(6),
        cis: None,
        remediation: "Install Gatekeeper or Kyverno and enforce your organisation's policies with it.",
        check,
    };
}

fn mentions_engine(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("gatekeeper") || text.contains("kyverno")
}

fn check(cx: &Cx<'_>, _object: &Object) -> Outcome {
    if !cluster_anchor(cx) {
        return Outcome::NotApplicable;
    }
    let installed = cx.index.webhooks().any(|webhook| {
        mentions_engine(&webhook.name)
            || webhook
                .root
                .field("webhooks")
                .items()
                .iter()
                .any(|item| item.field("name").as_str().is_some_and(mentions_engine))
    });
    if installed {
        return Outcome::pass();
    }
    Outcome::Checked(vec![Violation::new(
        "",
        "the cluster has no Gatekeeper or Kyverno admission webhook: nothing enforces policy beyond Pod Security",
    )])
}
