//! `pss-capabilities-restricted`: every container must drop all capabilities and may add
//! back only `NET_BIND_SERVICE` (Pod Security Standards, restricted, from policy v1.22).

use crate::declare_rule;
use crate::fix::{Fix, FixCx, Scalar};
use crate::object::Object;
use crate::pss::PssLevel;
use crate::rules::{Cx, Family, Outcome, PssCheck, Scope, Severity, Violation};

/// The first policy version with this check; it replaces `pss-capabilities-baseline` from
/// then on.
const SINCE: u32 = 22;

declare_rule! {
    /// ## What it checks
    /// Every container (init, regular and ephemeral) of a workload:
    /// `securityContext.capabilities.drop` must contain `ALL` (exactly, upper case), and
    /// `securityContext.capabilities.add` may contain only `NET_BIND_SERVICE`. A container
    /// without a `securityContext` or `capabilities` fails for not dropping `ALL`. From policy
    /// v1.25, pods with `spec.os.name: windows` are exempt. This is the
    /// `capabilities_restricted` check of the Pod Security Standards, restricted level, from
    /// policy v1.22 (it does not exist before); it replaces `pss-capabilities-baseline` at
    /// that level.
    ///
    /// ## Why it matters
    /// Even the runtime's default capability set is more than most applications use:
    /// `CHOWN`, `DAC_OVERRIDE`, `SETUID`, `SETGID` and `MKNOD` help an attacker who gains code
    /// execution. Dropping all of them and adding back only the one an application needs to
    /// bind ports below 1024 leaves the least to abuse.
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
    ///       capabilities:
    ///         add: ["CHOWN"]
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
    ///       capabilities:
    ///         drop: ["ALL"]
    ///         add: ["NET_BIND_SERVICE"]
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: adds `ALL` to `capabilities.drop` (creating the list and its parents when
    /// missing) and removes every added capability but `NET_BIND_SERVICE`. An application that
    /// needs a capability of the runtime's default set (`CHOWN` for an entrypoint that changes
    /// file owners, `SETUID`/`SETGID` for one that switches users, `NET_BIND_SERVICE` to bind a
    /// port below 1024 without adding it back) fails at run time, which the manifest cannot show.
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Capabilities (`capabilities_restricted`)
    /// - Hardening guide, layer 3 (pod security)
    /// - CIS Kubernetes Benchmark 5.2.10
    pub static RULE = Rule {
        id: "pss-capabilities-restricted",
        title: "Capabilities not dropped",
        severity: Severity::Medium,
        family: Family::Pss,
        scope: Scope::Object,
        pss: Some(PssCheck {
            level: PssLevel::Restricted,
            check: "capabilities_restricted",
            since: SINCE,
            overrides: Some(("pss-capabilities-baseline", SINCE)),
        }),
        guide_layer: Some(3),
        cis: Some("5.2.10"),
        remediation: "Set `capabilities.drop: [\"ALL\"]` on every container and add back at most `NET_BIND_SERVICE`.",
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
            let capabilities = container.security_context().field("capabilities");
            let drops_all = capabilities.field("drop").items().iter().any(|dropped| dropped.as_str() == Some("ALL"));
            if !drops_all {
                violations.push(Violation::new(
                    container.path_to("securityContext.capabilities.drop"),
                    format!("{} does not drop ALL capabilities", container.label()),
                ));
            }
            for (index, added) in capabilities.field("add").items().iter().enumerate() {
                let name = added.as_text().unwrap_or_default();
                if name != "NET_BIND_SERVICE" {
                    violations.push(Violation::new(
                        container.path_to(&format!("securityContext.capabilities.add[{index}]")),
                        format!("{} adds capability {name}; only NET_BIND_SERVICE may be added", container.label()),
                    ));
                }
            }
        }
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    if violation.path.ends_with(".capabilities.drop") {
        return Fix::unsafe_(fix_cx.add_item(object, &violation.path, Scalar::Str("ALL")));
    }
    super::remove_added_capability(fix_cx, object, violation, |name| name == "NET_BIND_SERVICE")
}
