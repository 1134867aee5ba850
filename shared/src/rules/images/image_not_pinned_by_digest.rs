//! `image-not-pinned-by-digest`: images should be named by their content, not by a tag.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::images::reference::Parts;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The image of every container (init, regular and ephemeral) ends in a well-formed
    /// `@sha256:` digest (64 lower-case hex digits). A tag may stay beside it
    /// (`app:1.4@sha256:…`) for readers; the digest is what is pulled. A container with no
    /// `image` (allowed in some templates) is not judged.
    ///
    /// ## Why it matters
    /// A tag is a movable pointer: whoever can push to the repository — a colleague, a
    /// compromised CI job, an attacker with a stolen token — can make `1.4` mean different
    /// bytes tomorrow. A digest names the exact image content, so what was scanned, signed
    /// and reviewed is what runs.
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
    ///         image: registry.example.com/web:1.8.2
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
    ///         image: registry.example.com/web:1.8.2@sha256:4f1c8a5e2b7d9f0a3c6e8b1d4f7a0c3e6b9d2f5a8c1e4b7d0a3f6c9e2b5d8a1f
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 7 (supply chain security): "Image Signing"
    pub static RULE = Rule {
        id: "image-not-pinned-by-digest",
        title: "Image not pinned by digest",
        severity: Severity::Info,
        family: Family::Images,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(7),
        cis: None,
        remediation: "Append the image's `@sha256:` digest to the reference (tools such as Renovate or kbld keep it current).",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            let Some(image) = container.node.field("image").as_str() else { continue };
            let Some(reference) = Parts::of(image) else { continue };
            if reference.is_pinned_by_sha256() {
                continue;
            }
            let message = match reference.digest {
                Some(digest) => format!(
                    "{} uses image \"{image}\", whose digest \"{digest}\" is not a sha256 digest of 64 hex digits",
                    container.label()
                ),
                None => format!("{} uses image \"{image}\" without a digest", container.label()),
            };
            violations.push(Violation::new(container.path_to("image"), message));
        }
    })
}
