//! `pss-se-linux-options`: pods and containers may only pick the container SELinux types
//! and must not set a custom SELinux user or role (Pod Security Standards, baseline).

use crate::declare_rule;
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};
use crate::tree::Node;

declare_rule! {
    /// ## What it checks
    /// A workload's pod spec and every container (init, regular and ephemeral) in it: where
    /// `securityContext.seLinuxOptions` is present, its `type` must be empty, `container_t`,
    /// `container_init_t` or `container_kvm_t` (from policy v1.31 also
    /// `container_engine_t`), and its `user` and `role` must be empty. `level` is not
    /// inspected. This is the `seLinuxOptions` check of the Pod Security Standards, baseline
    /// level, at every policy version.
    ///
    /// ## Why it matters
    /// On SELinux nodes the container types are what keep a container's processes away
    /// from the node's files and other containers. A type such as `spc_t` (super-privileged
    /// container) or `unconfined_t`, or a custom user or role, lifts that confinement.
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
    ///       seLinuxOptions:
    ///         type: spc_t
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
    ///       seLinuxOptions:
    ///         type: container_t
    ///         level: "s0:c123,c456"
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, baseline: SELinux (`seLinuxOptions`)
    /// - Hardening guide, layer 3 (pod security)
    pub static RULE = Rule {
        id: "pss-se-linux-options",
        title: "SELinux options outside the allowed set",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck { level: PssLevel::Baseline, check: "seLinuxOptions", since: 0, overrides: None }),
        guide_layer: Some(3),
        cis: None,
        remediation: "Remove the SELinux `user` and `role` and use a container type (`container_t`, or leave `type` unset).",
        check,
    };
}

/// The SELinux types allowed at every policy version.
const ALLOWED_TYPES: [&str; 4] = ["", "container_t", "container_init_t", "container_kvm_t"];
/// Allowed from policy v1.31 on.
const ENGINE_TYPE: &str = "container_engine_t";
const ENGINE_TYPE_SINCE: u32 = 31;

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let allows_engine_type = cx.pss_version >= ENGINE_TYPE_SINCE;
    cx.on_pod(object, |pod, violations| {
        let pod_options = pod.security_context().field("seLinuxOptions");
        for (field, problem) in problems(pod_options, allows_engine_type) {
            violations.push(Violation::new(
                pod.path_to(&format!("securityContext.seLinuxOptions.{field}")),
                format!("pod {problem}"),
            ));
        }
        for container in pod.containers() {
            let options = container.security_context().field("seLinuxOptions");
            for (field, problem) in problems(options, allows_engine_type) {
                violations.push(Violation::new(
                    container.path_to(&format!("securityContext.seLinuxOptions.{field}")),
                    format!("{} {problem}", container.label()),
                ));
            }
        }
    })
}

/// What is wrong with one `seLinuxOptions` object, as (field, description) pairs.
fn problems(options: &Node, allows_engine_type: bool) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    if options.is_null() {
        return found;
    }
    let selinux_type = options.field("type").as_text().unwrap_or_default();
    let type_allowed =
        ALLOWED_TYPES.contains(&selinux_type.as_str()) || (allows_engine_type && selinux_type == ENGINE_TYPE);
    if !type_allowed {
        found.push(("type", format!("sets SELinux type {selinux_type:?}, outside the container types")));
    }
    for field in ["user", "role"] {
        let value = options.field(field).as_text().unwrap_or_default();
        if !value.is_empty() {
            found.push((field, format!("sets SELinux {field} {value:?}")));
        }
    }
    found
}
