//! `image-tag-latest`: images should name a version, not float on `latest`.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::images::reference::Parts;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The image of every container (init, regular and ephemeral) has a tag other than
    /// `latest`, or a digest. An image with no tag is `latest`. References are parsed, not
    /// searched for a colon: `registry:5000/app` has no tag (the colon is the registry's
    /// port), and `app@sha256:…` is pinned by its digest, which wins over any tag. A
    /// container with no `image` (allowed in some templates) is not judged.
    ///
    /// ## Why it matters
    /// `latest` is whatever was pushed last. Two nodes can run different code under the same
    /// manifest, a rollback cannot go back to what ran before, and a compromised or broken
    /// push reaches production on the next pod restart without any change in Git.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: registry.example.com:5000/web
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: registry.example.com:5000/web:1.8.2
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 4 (image security): "Image Pull Policies" (use specific tags, not `:latest`)
    pub static RULE = Rule {
        id: "image-tag-latest",
        title: "Image tag latest or missing",
        severity: Severity::Medium,
        family: Family::Images,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(4),
        cis: None,
        remediation: "Reference the image by a version tag (better: by `@sha256:` digest) instead of `latest` or no tag.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            let Some(image) = container.node.field("image").as_str() else { continue };
            let Some(reference) = Parts::of(image) else { continue };
            if !reference.floats_on_latest() {
                continue;
            }
            let message = match reference.tag {
                Some(_) => format!("{} uses image \"{image}\", tagged latest", container.label()),
                None => format!("{} uses image \"{image}\" with no tag, which means latest", container.label()),
            };
            violations.push(Violation::new(container.path_to("image"), message));
        }
    })
}
