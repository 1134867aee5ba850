//! `api-version-removed`: manifests must use API versions the target cluster serves.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::api_versions::{covers, instead, lookup};

declare_rule! {
    /// ## What it checks
    /// The object's `apiVersion` (for its kind) is still served by the target Kubernetes
    /// version: `--kube-version`, else the configuration's `kubeVersion`, else the newest
    /// version Rampart knows. The table is the Kubernetes deprecated API migration guide,
    /// the same as `api-version-deprecated`'s: `extensions/v1beta1` Deployments (gone in
    /// 1.16), `rbac.authorization.k8s.io/v1beta1` (1.22), `policy/v1beta1` (1.25),
    /// `flowcontrol.apiserver.k8s.io/v1beta3` (1.32) and the rest.
    /// Objects of API groups the table does not name (the core group, custom resources)
    /// are not judged.
    ///
    /// ## Why it matters
    /// The API server rejects the object: `kubectl apply` fails with "no matches for
    /// kind", and whatever the manifest was meant to change — a security fix, a tightened
    /// policy, a PodDisruptionBudget — never reaches the cluster. Hardening checks on an
    /// object that cannot exist judge nothing real.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: policy/v1beta1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   minAvailable: 1
    ///   selector:
    ///     matchLabels:
    ///       app: api
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata:
    ///   name: api
    /// spec:
    ///   minAvailable: 1
    ///   selector:
    ///     matchLabels:
    ///       app: api
    /// ```
    ///
    /// ## Fix safety
    /// Safe where the replacement version reads the same fields the same way (RBAC,
    /// CronJob, scheduling, coordination, storage, RuntimeClass …): only `apiVersion`
    /// changes. Unsafe where fields moved or changed meaning (Ingress backends, workload
    /// selectors, an empty PodDisruptionBudget selector, HorizontalPodAutoscaler metrics):
    /// the fix sets `apiVersion` and the rest needs editing by hand. PodSecurityPolicy has
    /// no replacement and no fix.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    pub static RULE = Rule {
        id: "api-version-removed",
        title: "Removed API version",
        severity: Severity::High,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(7),
        cis: None,
        remediation: "Move the object to the replacement API version; the target Kubernetes version no longer serves this one.",
        check,
        fix: super::api_versions::fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let target = cx.config.kube_minor();
    match lookup(object) {
        Some(entry) if target >= entry.removed => Outcome::Checked(vec![Violation::new(
            "apiVersion",
            format!(
                "{} {} is not served since Kubernetes 1.{} (target 1.{target}): {}",
                object.api_version,
                object.kind,
                entry.removed,
                instead(entry, &object.kind)
            ),
        )]),
        Some(_) => Outcome::pass(),
        None if covers(object) => Outcome::pass(),
        None => Outcome::NotApplicable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::outcomes;
    use crate::rules::Mode;

    #[test]
    fn removed_at_the_target_and_served_before() {
        let example = RULE.doc_yaml("Example").unwrap();
        let at = |version: &str| {
            let config = Config { kube_version: Some(version.to_string()), ..Config::default() };
            outcomes(&RULE, &example, &config, Mode::Manifests, 0).remove(0)
        };
        assert_eq!(at("v1.24"), Outcome::pass());
        assert_eq!(
            at("v1.25"),
            Outcome::Checked(vec![Violation::new(
                "apiVersion",
                "policy/v1beta1 PodDisruptionBudget is not served since Kubernetes 1.25 (target 1.25): use policy/v1"
            )])
        );
        let psp = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: p\n";
        let config = Config::default();
        let Outcome::Checked(violations) = outcomes(&RULE, psp, &config, Mode::Manifests, 0).remove(0) else {
            panic!()
        };
        assert!(violations[0].message.ends_with("PodSecurityPolicy has no replacement API"), "{violations:?}");
    }
}
