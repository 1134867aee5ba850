//! Family `pss`: the Pod Security Standards checks, exactly as Kubernetes' Pod Security
//! admission implements them, one rule per upstream check (see `crate::pss` for levels).
//!
//! Besides the registry, this module holds the few version rules several checks share:
//! the Windows exemptions of v1.25 and the user-namespace relaxations of v1.35.

use crate::fix::{node_at, Fix, FixCx};
use crate::object::{Object, PodSpec};
use crate::rules::{Cx, Rule, Violation};
use crate::tree::join_key;

pub mod allow_privilege_escalation;
pub mod app_armor_profile;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes_and_host_lifecycle;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod restricted_volumes;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod se_linux_options;
pub mod seccomp_profile_baseline;
pub mod seccomp_profile_restricted;
pub mod sysctls;
pub mod windows_host_process;

/// In catalog order (the order of the Pod Security Standards table of RULES.md).
pub static RULES: &[&Rule] = &[
    &host_namespaces::RULE,
    &privileged::RULE,
    &capabilities_baseline::RULE,
    &host_path_volumes::RULE,
    &host_ports::RULE,
    &app_armor_profile::RULE,
    &se_linux_options::RULE,
    &proc_mount::RULE,
    &seccomp_profile_baseline::RULE,
    &sysctls::RULE,
    &windows_host_process::RULE,
    &host_probes_and_host_lifecycle::RULE,
    &restricted_volumes::RULE,
    &allow_privilege_escalation::RULE,
    &run_as_non_root::RULE,
    &run_as_user::RULE,
    &seccomp_profile_restricted::RULE,
    &capabilities_restricted::RULE,
    &proc_mount_restricted::RULE,
];

/// From this policy version on, pods with `spec.os.name: windows` are exempt from
/// `allowPrivilegeEscalation`, `seccompProfile_restricted` and `capabilities_restricted`:
/// those settings mean nothing on Windows.
const WINDOWS_EXEMPTION_SINCE: u32 = 25;

/// From this policy version on, `procMount` (baseline), `runAsNonRoot` and `runAsUser` let
/// pods in a user namespace through. Older versions never relax, whatever the cluster's
/// feature gates once said.
const USER_NAMESPACE_RELAXATION_SINCE: u32 = 35;

/// Whether a Windows pod is exempt, at the policy version checked, from one of the three
/// checks that do not apply to Windows.
fn windows_exempt(cx: &Cx<'_>, object: &Object) -> bool {
    cx.pss_version >= WINDOWS_EXEMPTION_SINCE && cx.pod_spec(object).is_some_and(|pod| pod.is_windows())
}

/// Whether a check that relaxes for user namespaces lets this pod through whatever it sets.
fn user_namespace_relaxation(cx: &Cx<'_>, pod: &PodSpec<'_>) -> bool {
    cx.pss_version >= USER_NAMESPACE_RELAXATION_SINCE && pod.in_user_namespace()
}

/// The field path of one of the pod's annotations (the template's, for a controller).
fn annotation_path(pod: &PodSpec<'_>, key: &str) -> String {
    join_key(&format!("{}.annotations", pod.metadata_path), key)
}

/// The fix of an added capability outside `allowed`: the item is removed, or the whole
/// `add` list when none of its items is allowed (an empty `add:` would be left behind).
/// Unsafe: the process loses a capability the manifest asked for.
fn remove_added_capability(
    fix_cx: &FixCx<'_>,
    object: &Object,
    violation: &Violation,
    allowed: impl Fn(&str) -> bool,
) -> Option<Fix> {
    let (add_path, _) = violation.path.rsplit_once('[')?;
    let add = node_at(&object.root, add_path)?;
    let keeps_one = add.items().iter().any(|item| item.as_text().is_some_and(|name| allowed(&name)));
    let target = if keeps_one { violation.path.as_str() } else { add_path };
    Fix::unsafe_(fix_cx.remove(object, target))
}

/// Runs single rules over inline manifests, for the focused tests of the rule files.
#[cfg(test)]
mod testing {
    use crate::config::Config;
    use crate::rules::{Mode, Outcome, Rule};

    /// The outcome of `rule` on the first object of `yaml`, at policy version `v1.<minor>`.
    pub(super) fn run(rule: &Rule, yaml: &str, minor: u32) -> Outcome {
        crate::rules::testing::outcomes(rule, yaml, &Config::default(), Mode::Manifests, minor).remove(0)
    }

    /// The field paths of the violations, or `None` when the rule did not apply.
    pub(super) fn violation_paths(rule: &Rule, yaml: &str, minor: u32) -> Option<Vec<String>> {
        match run(rule, yaml, minor) {
            Outcome::NotApplicable => None,
            Outcome::Checked(violations) => Some(violations.into_iter().map(|violation| violation.path).collect()),
        }
    }
}
