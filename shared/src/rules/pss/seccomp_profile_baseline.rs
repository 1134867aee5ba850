//! `pss-seccomp-profile-baseline`: pods and containers must not turn seccomp off (Pod
//! Security Standards, baseline). Before policy v1.19 the check reads the seccomp
//! annotations; from v1.19 it reads the `seccompProfile` fields instead.

use crate::declare_rule;
use crate::object::{Object, PodSpec};
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};
use crate::tree::Node;

declare_rule! {
    /// ## What it checks
    /// From policy v1.19: on a workload's pod spec and every container (init, regular and
    /// ephemeral), a `securityContext.seccompProfile`, where present, must have `type`
    /// `RuntimeDefault` or `Localhost` (so `Unconfined` fails); annotations are ignored.
    /// Before v1.19: the annotation `seccomp.security.alpha.kubernetes.io/pod` and each
    /// `container.seccomp.security.alpha.kubernetes.io/<container>` naming a container of
    /// the pod, where present, must be `runtime/default`, `docker/default` or
    /// `localhost/<profile>` (an empty value or `unconfined` fails); the fields are ignored.
    /// Leaving seccomp unset passes in both eras. This is the `seccompProfile_baseline` check
    /// of the Pod Security Standards, baseline level; at the restricted level
    /// `pss-seccomp-profile-restricted` replaces it from v1.19.
    ///
    /// ## Why it matters
    /// Seccomp filters the system calls a container may make. The runtime's default profile
    /// blocks rarely needed, often exploited calls (`keyctl`, `unshare`, `bpf`, `ptrace` on
    /// older kernels); `Unconfined` exposes the node's whole kernel surface to the container.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: Unconfined
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
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
    ///     seccompProfile:
    ///       type: RuntimeDefault
    ///   containers:
    ///   - name: app
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: replaces the invalid profile type with `RuntimeDefault` (annotations are left
    /// to a person). The runtime's default profile blocks system calls that some tools make
    /// (`unshare`, `mount`, `ptrace`); an application that needs one fails with `EPERM`.
    ///
    /// ## References
    /// - Pod Security Standards, baseline: Seccomp (`seccompProfile_baseline`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.7.2
    pub static RULE = Rule {
        id: "pss-seccomp-profile-baseline",
        title: "Seccomp disabled",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "seccompProfile_baseline", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.7.2"),
        remediation: "Use the seccomp profile type `RuntimeDefault` (or a `Localhost` profile) instead of `Unconfined`.",
        check,
        fix: super::seccomp_profile_restricted::fix,
    };
}

/// From this policy version on the check reads the `seccompProfile` fields, before it the
/// alpha annotations.
pub(super) const FIELDS_SINCE: u32 = 19;

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        if cx.pss_version >= FIELDS_SINCE {
            check_fields(&pod, violations);
        } else {
            check_annotations(&pod, violations);
        }
    })
}

fn check_fields(pod: &PodSpec<'_>, violations: &mut Vec<Violation>) {
    let pod_profile = pod.security_context().field("seccompProfile");
    if !pod_profile.is_null() && !is_confining_profile(pod_profile) {
        violations.push(Violation::new(
            pod.path_to("securityContext.seccompProfile.type"),
            format!("pod sets seccomp profile type {:?}", profile_type(pod_profile)),
        ));
    }
    for container in pod.containers() {
        let profile = container.security_context().field("seccompProfile");
        if !profile.is_null() && !is_confining_profile(profile) {
            violations.push(Violation::new(
                container.path_to("securityContext.seccompProfile.type"),
                format!("{} sets seccomp profile type {:?}", container.label(), profile_type(profile)),
            ));
        }
    }
}

fn check_annotations(pod: &PodSpec<'_>, violations: &mut Vec<Violation>) {
    let annotations = pod.metadata.field("annotations");
    // A present annotation counts even when its value is empty: an empty profile is invalid.
    if let Some(value) = annotations.get(POD_ANNOTATION) {
        let profile = value.as_text().unwrap_or_default();
        if !allowed_annotation_value(&profile) {
            violations.push(Violation::new(
                super::annotation_path(pod, POD_ANNOTATION),
                format!("pod annotation sets seccomp profile {profile:?}"),
            ));
        }
    }
    // Upstream only looks up the annotations of containers the pod has, so an annotation
    // for a name that matches no container is ignored.
    for container in pod.containers() {
        let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", container.name);
        let Some(value) = annotations.get(&key) else { continue };
        let profile = value.as_text().unwrap_or_default();
        if !allowed_annotation_value(&profile) {
            violations.push(Violation::new(
                super::annotation_path(pod, &key),
                format!("annotation for {} sets seccomp profile {profile:?}", container.label()),
            ));
        }
    }
}

fn allowed_annotation_value(profile: &str) -> bool {
    profile == "runtime/default" || profile == "docker/default" || profile.starts_with("localhost/")
}

/// The `type` of a `seccompProfile` object as written (empty when missing).
pub(super) fn profile_type(profile: &Node) -> String {
    profile.field("type").as_text().unwrap_or_default()
}

/// Whether a present `seccompProfile` object confines the container: type `RuntimeDefault`
/// or `Localhost`, exactly.
pub(super) fn is_confining_profile(profile: &Node) -> bool {
    matches!(profile_type(profile).as_str(), "RuntimeDefault" | "Localhost")
}

#[cfg(test)]
mod tests {
    use super::super::testing::violation_paths;
    use super::RULE;

    const POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
    container.seccomp.security.alpha.kubernetes.io/not-a-container: unconfined
spec:
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      seccompProfile:
        type: Unconfined
"#;

    #[test]
    fn annotations_count_before_v1_19_and_fields_from_then_on() {
        assert_eq!(
            violation_paths(&RULE, POD, 18).unwrap(),
            [r#"metadata.annotations["seccomp.security.alpha.kubernetes.io/pod"]"#]
        );
        assert_eq!(
            violation_paths(&RULE, POD, 19).unwrap(),
            ["spec.containers[0].securityContext.seccompProfile.type"]
        );
    }
}
