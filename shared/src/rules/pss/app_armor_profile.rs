//! `pss-app-armor-profile`: pods and containers must not turn AppArmor off (Pod Security
//! Standards, baseline).

use crate::declare_rule;
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};
use crate::tree::Node;

declare_rule! {
    /// ## What it checks
    /// A workload's pod spec and every container (init, regular and ephemeral) in it: where a
    /// `securityContext.appArmorProfile` is present, its `type` must be `RuntimeDefault` or
    /// `Localhost` (so `Unconfined`, or no type, fails). Every pod annotation whose key starts
    /// with `container.apparmor.security.beta.kubernetes.io/` must be empty,
    /// `runtime/default` or `localhost/<profile>` (so `unconfined` fails), even when it names
    /// a container the pod does not have. This is the `appArmorProfile` check of the Pod
    /// Security Standards, baseline level, at every policy version (upstream added the field
    /// part to every version retroactively).
    ///
    /// ## Why it matters
    /// AppArmor confines what a process may do beyond Unix permissions: which files it may
    /// write, whether it may mount filesystems or use raw sockets. The runtime's default
    /// profile blocks several known container escapes; running unconfined removes that layer
    /// for no benefit to most applications.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    ///     securityContext:
    ///       appArmorProfile:
    ///         type: Unconfined
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   securityContext:
    ///     appArmorProfile:
    ///       type: RuntimeDefault
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: AppArmor (`appArmorProfile`)
    /// - Hardening guide, layer 3 (pod security)
    /// - Kubernetes documentation: Restrict a Container's Access to Resources with AppArmor
    pub static RULE = Rule {
        id: "pss-app-armor-profile",
        title: "AppArmor disabled",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "appArmorProfile", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: None,
        remediation: "Use the AppArmor profile type `RuntimeDefault` (or a `Localhost` profile) instead of `Unconfined`.",
        check,
    };
}

/// The prefix of the deprecated per-container AppArmor annotations; the rest of the key is
/// the container name.
const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        for entry in pod.metadata.field("annotations").entries() {
            let Some(container_name) = entry.key.strip_prefix(ANNOTATION_PREFIX) else { continue };
            let profile = entry.value.as_text().unwrap_or_default();
            if !allowed_annotation_value(&profile) {
                violations.push(Violation::new(
                    super::annotation_path(&pod, &entry.key),
                    format!("annotation for container \"{container_name}\" sets AppArmor profile {profile:?}"),
                ));
            }
        }
        let pod_profile = pod.security_context().field("appArmorProfile");
        if let Some(profile_type) = forbidden_profile_type(pod_profile) {
            violations.push(Violation::new(
                pod.path_to("securityContext.appArmorProfile.type"),
                format!("pod sets AppArmor profile type {profile_type:?}"),
            ));
        }
        for container in pod.containers() {
            let profile = container.security_context().field("appArmorProfile");
            if let Some(profile_type) = forbidden_profile_type(profile) {
                violations.push(Violation::new(
                    container.path_to("securityContext.appArmorProfile.type"),
                    format!("{} sets AppArmor profile type {profile_type:?}", container.label()),
                ));
            }
        }
    })
}

fn allowed_annotation_value(profile: &str) -> bool {
    profile.is_empty() || profile == "runtime/default" || profile.starts_with("localhost/")
}

/// The profile type when an `appArmorProfile` object is present and its type is neither
/// `RuntimeDefault` nor `Localhost`; an absent profile leaves the runtime's default in place.
fn forbidden_profile_type(profile: &Node) -> Option<String> {
    if profile.is_null() {
        return None;
    }
    let profile_type = profile.field("type").as_text().unwrap_or_default();
    (!matches!(profile_type.as_str(), "RuntimeDefault" | "Localhost")).then_some(profile_type)
}

#[cfg(test)]
mod tests {
    use super::super::testing::violation_paths;
    use super::RULE;

    // The upstream fixtures only exercise the annotations; the fields and template paths are
    // covered here.
    #[test]
    fn fields_and_template_annotations_are_checked_with_their_paths() {
        let deployment = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: unconfined
        container.apparmor.security.beta.kubernetes.io/gone: runtime/default
    spec:
      securityContext:
        appArmorProfile:
          type: Unconfined
      containers:
      - name: app
        image: nginx:1.27
        securityContext:
          appArmorProfile: {}
      - name: sidecar
        image: nginx:1.27
        securityContext:
          appArmorProfile:
            type: Localhost
            localhostProfile: k8s-nginx
"#;
        assert_eq!(
            violation_paths(&RULE, deployment, 0).unwrap(),
            [
                r#"spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]"#,
                "spec.template.spec.securityContext.appArmorProfile.type",
                "spec.template.spec.containers[0].securityContext.appArmorProfile.type",
            ]
        );
    }
}
