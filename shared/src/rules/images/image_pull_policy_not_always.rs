//! `image-pull-policy-not-always`: the registry should be asked for the image at every
//! start.

use crate::declare_rule;
use crate::fix::{Fix, FixCx, Scalar};
use crate::object::Object;
use crate::rules::images::reference::ImageReference;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) sets `imagePullPolicy: Always`. An
    /// unset policy fails too, even though Kubernetes defaults it to `Always` for an image
    /// tagged `latest` or untagged (and to `IfNotPresent` otherwise): the manifest should
    /// say what it relies on, and the message says which default would apply.
    ///
    /// ## Why it matters
    /// With `IfNotPresent`, a node runs whatever copy of the image it already has. Any pod
    /// on that node can then use an image from a private registry without pull
    /// credentials, because the kubelet never asks the registry again; and a tag that was
    /// re-pushed with a security fix is not picked up. `Always` makes the kubelet check the
    /// registry — with the pod's own credentials — at every container start; layers already
    /// on the node are not downloaded again.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: app
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: app
    ///         image: registry.company.com/myapp:v1.2.3
    ///         imagePullPolicy: IfNotPresent
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: app
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: app
    ///         image: registry.company.com/myapp:v1.2.3
    ///         imagePullPolicy: Always
    ///       imagePullSecrets:
    ///       - name: registry-credentials
    /// ```
    ///
    /// ## Fix safety
    /// Safe: sets `imagePullPolicy: Always`. The kubelet asks the registry for the tag's
    /// digest at each start and downloads only layers it lacks, so the same image runs; what
    /// changes is that a registry outage now delays starts, and an image that exists only on the
    /// node (loaded by hand) can no longer start.
    ///
    /// ## References
    /// - Hardening guide, layer 4 (image security): "Image Pull Policies"
    pub static RULE = Rule {
        id: "image-pull-policy-not-always",
        title: "Image pull policy not Always",
        severity: Severity::Low,
        family: Family::Images,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(4),
        cis: None,
        remediation: "Set `imagePullPolicy: Always` on every container.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            let policy = container.node.field("imagePullPolicy").as_str().filter(|policy| !policy.is_empty());
            let message = match policy {
                Some("Always") => continue,
                Some(policy) => format!("{} has imagePullPolicy {policy}", container.label()),
                None => {
                    let reference = container.node.field("image").as_str().and_then(ImageReference::parse);
                    match reference {
                        Some(reference) if reference.floats_on_latest() => format!(
                            "{} sets no imagePullPolicy; Kubernetes defaults it to Always for a latest or untagged image, but the manifest should say so",
                            container.label()
                        ),
                        _ => format!("{} sets no imagePullPolicy, so Kubernetes defaults it to IfNotPresent", container.label()),
                    }
                }
            };
            violations.push(Violation::new(container.path_to("imagePullPolicy"), message));
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::safe(fix_cx.set(object, &violation.path, Scalar::Str("Always")))
}
