//! `image-registry-not-allowed`: images should come only from the registries the
//! organisation trusts.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::images::reference::{ImageReference, DOCKER_HUB};
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// When `allowedRegistries` is set in `rampart.yaml`, the image of every container
    /// (init, regular and ephemeral) comes from one of its entries; without an allow-list
    /// the rule does not apply. An entry is a registry host (`registry.company.com`,
    /// `registry:5000` — the port must match too), which allows everything in it, or a
    /// registry and path prefix (`ghcr.io/acme`), which allows that repository and
    /// everything below it: `ghcr.io/acme/app` but not `ghcr.io/acmeevil/app`. Images are
    /// compared by their full name, so `nginx` is `docker.io/library/nginx` and is allowed
    /// by `docker.io` or `docker.io/library`. A leading `https://` and a trailing `/` on an
    /// entry are ignored, and `index.docker.io` means `docker.io`.
    ///
    /// ## Why it matters
    /// Public registries serve anything anyone pushed, including typo-squatted and
    /// backdoored images. Pulling only from registries you control (or mirror and scan)
    /// means every image that runs went through your scanning and signing, and a typo in an
    /// image name cannot fetch a stranger's code.
    ///
    /// ## Example configuration
    /// The examples below are checked with this `rampart.yaml`:
    /// ```yaml rampart.yaml
    /// allowedRegistries:
    /// - registry.company.com
    /// - ghcr.io/acme
    /// ```
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
    ///       initContainers:
    ///       - name: migrate
    ///         image: ghcr.io/acmeevil/migrate:2.0.0
    ///       containers:
    ///       - name: web
    ///         image: nginx:1.27
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
    ///       initContainers:
    ///       - name: migrate
    ///         image: ghcr.io/acme/migrate:2.0.0
    ///       containers:
    ///       - name: web
    ///         image: registry.company.com/mirror/nginx:1.27
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 7 (supply chain security): "Image Signing" (`registry.company.com/*`)
    /// - CIS Kubernetes Benchmark 5.5.1 (configure image provenance)
    pub static RULE = Rule {
        id: "image-registry-not-allowed",
        title: "Image from a registry not allowed",
        severity: Severity::High,
        family: Family::Images,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(7),
        cis: Some("5.5.1"),
        remediation: "Pull the image from an allowed registry (mirror it there if needed), or add its registry to `allowedRegistries` in rampart.yaml.",
        check,
    };
}

/// An allow-list entry in the form image names are compared with: no scheme, no trailing
/// slash, Docker Hub's old host name replaced by its current one.
fn normalise_entry(entry: &str) -> String {
    let entry = entry.trim();
    let entry = entry.strip_prefix("https://").or_else(|| entry.strip_prefix("http://")).unwrap_or(entry);
    let entry = entry.trim_end_matches('/');
    match entry.strip_prefix("index.docker.io") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{DOCKER_HUB}{rest}"),
        _ => entry.to_string(),
    }
}

/// Whether an allow-list entry covers an image's full name (`registry/repository`): the
/// entry is the name or a prefix of it that ends at a `/`. Registry hosts are not case
/// sensitive, so neither is the comparison.
fn allows(entry: &str, full_name: &str) -> bool {
    let entry = normalise_entry(entry);
    if entry.is_empty() {
        return false;
    }
    let Some(head) = full_name.get(..entry.len()) else { return false };
    head.eq_ignore_ascii_case(&entry) && matches!(full_name.as_bytes().get(entry.len()), None | Some(b'/'))
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let allowed = &cx.config.allowed_registries;
    if allowed.is_empty() {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            let Some(image) = container.node.field("image").as_str() else { continue };
            let Some(reference) = ImageReference::parse(image) else { continue };
            let full_name = reference.full_name();
            if allowed.iter().any(|entry| allows(entry, &full_name)) {
                continue;
            }
            violations.push(Violation::new(
                container.path_to("image"),
                format!(
                    "{} uses image \"{image}\" ({full_name}), which is outside the allowed registries {}",
                    container.label(),
                    allowed.join(", ")
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entry: &str, image: &str) -> bool {
        allows(entry, &ImageReference::parse(image).unwrap().full_name())
    }

    #[test]
    fn registry_hosts_allow_everything_in_them() {
        assert!(allowed("registry.company.com", "registry.company.com/team/app:1.0"));
        assert!(allowed("registry.company.com", "REGISTRY.company.com/app"));
        assert!(allowed("registry:5000", "registry:5000/app"));
        assert!(!allowed("registry", "registry:5000/app"));
        assert!(!allowed("registry.company.com", "registry.company.com.evil.io/app"));
        assert!(!allowed("company.com", "registry.company.com/app"));
    }

    #[test]
    fn prefixes_end_at_a_path_boundary() {
        assert!(allowed("ghcr.io/acme", "ghcr.io/acme/app:1.0"));
        assert!(allowed("ghcr.io/acme/", "ghcr.io/acme/app"));
        assert!(allowed("ghcr.io/acme/app", "ghcr.io/acme/app:2"));
        assert!(!allowed("ghcr.io/acme", "ghcr.io/acmeevil/app"));
        assert!(!allowed("ghcr.io/acme/app", "ghcr.io/acme/application"));
    }

    #[test]
    fn docker_hub_images_have_registry_docker_io() {
        assert!(allowed("docker.io", "nginx"));
        assert!(allowed("docker.io/library", "nginx:1.27"));
        assert!(allowed("index.docker.io", "bitnami/redis"));
        assert!(allowed("https://docker.io/", "nginx"));
        assert!(!allowed("docker.io/library", "bitnami/redis"));
        assert!(!allowed("ghcr.io", "nginx"));
        assert!(!allowed("", "nginx"));
    }
}
