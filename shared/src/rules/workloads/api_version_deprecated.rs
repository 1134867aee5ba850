//! `api-version-deprecated`: manifests should not use API versions on their way out.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::api_versions::{covers, instead, lookup};

declare_rule! {
    /// ## What it checks
    /// The object's `apiVersion` (for its kind) is not deprecated in the target Kubernetes
    /// version: `--kube-version`, else the configuration's `kubeVersion`, else the newest
    /// version Rampart knows. The table is the Kubernetes deprecated API migration guide
    /// (`extensions/v1beta1` and `apps/v1beta*` workloads, the `v1beta1` versions removed
    /// in 1.22, `batch/v1beta1` CronJobs, `policy/v1beta1`, `autoscaling/v2beta*`,
    /// `flowcontrol.apiserver.k8s.io/v1beta*` …). A version already removed at the target
    /// is `api-version-removed`'s finding instead, never both.
    /// Objects of API groups the table does not name (the core group, custom resources)
    /// are not judged.
    ///
    /// ## Why it matters
    /// A deprecated version still applies today and stops applying at a known upgrade:
    /// the manifest then fails to deploy, often in the middle of an incident or a cluster
    /// upgrade, and security fixes that need a redeploy wait for the migration.
    ///
    /// ## Example configuration
    /// ```yaml
    /// kubeVersion: v1.24
    /// ```
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v1beta1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "0 3 * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: Never
    ///           containers:
    ///           - name: report
    ///             image: registry.example.com/report:1.2.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "0 3 * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: Never
    ///           containers:
    ///           - name: report
    ///             image: registry.example.com/report:1.2.0
    /// ```
    ///
    /// ## Fix safety
    /// Safe where the replacement version reads the same fields the same way (RBAC,
    /// CronJob, scheduling, coordination, storage, RuntimeClass …): only `apiVersion`
    /// changes. Unsafe where fields moved or changed meaning (Ingress backends, workload
    /// selectors, an empty PodDisruptionBudget selector, HorizontalPodAutoscaler metrics):
    /// the fix sets `apiVersion` and the rest needs editing by hand.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-guide/>
    /// - <https://kubernetes.io/docs/reference/using-api/deprecation-policy/>
    pub static RULE = Rule {
        id: "api-version-deprecated",
        title: "Deprecated API version",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(7),
        cis: None,
        remediation: "Move the object to the replacement API version before the upgrade that removes this one.",
        check,
        fix: super::api_versions::fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let target = cx.config.kube_minor();
    match lookup(object) {
        Some(entry) if entry.deprecated <= target && target < entry.removed => Outcome::Checked(vec![Violation::new(
            "apiVersion",
            format!(
                "{} {} is deprecated since Kubernetes 1.{} and removed in 1.{}: {}",
                object.api_version,
                object.kind,
                entry.deprecated,
                entry.removed,
                instead(entry, &object.kind)
            ),
        )]),
        Some(entry) if target >= entry.removed => Outcome::NotApplicable,
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

    fn at(version: &str, yaml: &str) -> Outcome {
        let config = Config { kube_version: Some(version.to_string()), ..Config::default() };
        outcomes(&RULE, yaml, &config, Mode::Manifests, 0).remove(0)
    }

    #[test]
    fn deprecated_before_removal_and_left_to_the_removal_rule_after() {
        let example = RULE.doc_yaml("Example").unwrap();
        assert_eq!(at("v1.20", &example), Outcome::pass(), "not yet deprecated");
        assert_eq!(
            at("v1.24", &example),
            Outcome::Checked(vec![Violation::new(
                "apiVersion",
                "batch/v1beta1 CronJob is deprecated since Kubernetes 1.21 and removed in 1.25: use batch/v1"
            )])
        );
        assert_eq!(at("v1.25", &example), Outcome::NotApplicable);
        let other_kind = "apiVersion: batch/v1beta1\nkind: Job\nmetadata:\n  name: j\n";
        assert_eq!(at("v1.24", other_kind), Outcome::pass(), "the table names the kinds");
    }
}
