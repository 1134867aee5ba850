//! `pss-allow-privilege-escalation`: every container must explicitly forbid privilege
//! escalation (Pod Security Standards, restricted, from policy v1.8).

use crate::declare_rule;
use crate::fix::{node_at, parent_path, Fix, FixCx, Safety, Scalar};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

/// The first policy version with this check.
const SINCE: u32 = 8;

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload must set
    /// `securityContext.allowPrivilegeEscalation: false` explicitly: leaving it unset fails,
    /// because the kernel's default is to allow escalation. There is no pod-level field. From
    /// policy v1.25, pods with `spec.os.name: windows` are exempt. This is the
    /// `allowPrivilegeEscalation` check of the Pod Security Standards, restricted level, from
    /// policy v1.8 (it does not exist before).
    ///
    /// ## Why it matters
    /// `allowPrivilegeEscalation: false` sets the `no_new_privs` flag on the container's
    /// processes: setuid binaries and file capabilities can then no longer raise a process's
    /// privileges. Without it, an attacker running as an unprivileged user in the container
    /// can become root through any setuid program in the image.
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
    /// ```
    ///
    /// ## Use instead
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
    ///       allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Fix safety
    /// Safe: sets `allowPrivilegeEscalation: false` on the container (creating its
    /// `securityContext` when missing). Only a process that gains privileges through a setuid
    /// binary or file capabilities notices, and a container meant to run unprivileged has no such
    /// process. Unsafe when the container is privileged or adds `SYS_ADMIN`: the API server
    /// rejects `allowPrivilegeEscalation: false` beside either, so the fix only works together with
    /// the fixes of `pss-privileged` and `pss-capabilities-restricted`, which are unsafe.
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Privilege Escalation (`allowPrivilegeEscalation`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.6
    pub static RULE = Rule {
        id: "pss-allow-privilege-escalation",
        title: "Privilege escalation allowed",
        severity: Severity::High,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Restricted, check: "allowPrivilegeEscalation", since: SINCE, overrides: None }),
        guide_layer: Some(3),
        cis: Some("5.2.6"),
        remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.pss_version < SINCE || super::windows_exempt(cx, object) {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        for container in pod.containers() {
            let message = match container.security_context().field("allowPrivilegeEscalation").as_bool() {
                Some(false) => continue,
                Some(true) => format!("{} sets allowPrivilegeEscalation: true", container.label()),
                None => format!("{} does not set allowPrivilegeEscalation: false", container.label()),
            };
            violations.push(Violation::new(container.path_to("securityContext.allowPrivilegeEscalation"), message));
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    let container = parent_path(&violation.path, "securityContext.allowPrivilegeEscalation")?;
    let context = node_at(&object.root, container)?.field("securityContext");
    let privileged = context.field("privileged").as_bool() == Some(true);
    let sys_admin = context
        .field("capabilities")
        .field("add")
        .items()
        .iter()
        .any(|added| matches!(added.as_str(), Some("SYS_ADMIN" | "CAP_SYS_ADMIN")));
    let safety = if privileged || sys_admin { Safety::Unsafe } else { Safety::Safe };
    Fix::with(safety, fix_cx.set(object, &violation.path, Scalar::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::super::testing::violation_paths;
    use super::RULE;

    const WINDOWS_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  os:
    name: windows
  containers:
  - name: app
    image: mcr.microsoft.com/windows/nanoserver:ltsc2022
  ephemeralContainers:
  - name: debugger
    image: mcr.microsoft.com/windows/nanoserver:ltsc2022
    securityContext:
      allowPrivilegeEscalation: true
"#;

    #[test]
    fn absent_before_v1_8_and_windows_pods_exempt_from_v1_25() {
        assert_eq!(violation_paths(&RULE, WINDOWS_POD, 7), None);
        assert_eq!(
            violation_paths(&RULE, WINDOWS_POD, 24).unwrap(),
            [
                "spec.containers[0].securityContext.allowPrivilegeEscalation",
                "spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation",
            ]
        );
        assert_eq!(violation_paths(&RULE, WINDOWS_POD, 25), None);
    }
}
