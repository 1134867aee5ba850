//! `required-labels-missing`: workloads should carry the labels that say whose they are.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A workload (any object with a pod spec) carries every label that `requiredLabels` in
    /// `rampart.yaml` lists (by default `app`, `environment` and `owner`). A label counts
    /// when it is on the object's own `metadata.labels` or on its pod template's: template
    /// labels end up on every pod, which is where admission policies such as Gatekeeper's
    /// `K8sRequiredLabels` look, and object labels are what `kubectl get -l` and cost tools
    /// read — either says whose the workload is. An empty value counts as present, as in
    /// Kubernetes label selectors. All missing labels are reported in one finding. With an
    /// empty `requiredLabels`, the rule does not apply.
    ///
    /// ## Why it matters
    /// During an incident the first questions are what a workload is, which environment it
    /// belongs to and who to call. Labels answer them, and they are also what
    /// NetworkPolicies, monitoring and cost reports select on: an unlabelled workload falls
    /// through all of them.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   labels:
    ///     app: checkout
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: checkout
    ///     spec:
    ///       containers:
    ///       - name: checkout
    ///         image: registry.example.com/checkout:4.2.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: checkout
    ///   labels:
    ///     app: checkout
    ///     environment: production
    ///     owner: payments-team
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: checkout
    ///         environment: production
    ///         owner: payments-team
    ///     spec:
    ///       containers:
    ///       - name: checkout
    ///         image: registry.example.com/checkout:4.2.0
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 6 (runtime security): "OPA Gatekeeper" (the `K8sRequiredLabels` constraint)
    pub static RULE = Rule {
        id: "required-labels-missing",
        title: "Required label missing",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(6),
        cis: None,
        remediation: "Add the missing labels to the workload's metadata and its pod template.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    if cx.config.required_labels.is_empty() {
        return Outcome::NotApplicable;
    }
    cx.on_pod(object, |pod, violations| {
        let object_labels = object.labels();
        let template_labels = pod.metadata.field("labels");
        let missing: Vec<&str> = cx
            .config
            .required_labels
            .iter()
            .map(String::as_str)
            .filter(|label| object_labels.get(label).is_none() && template_labels.get(label).is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        let noun = if missing.len() == 1 { "label" } else { "labels" };
        violations.push(Violation::new(
            "metadata.labels",
            format!("the workload lacks the required {noun} {}", missing.join(", ")),
        ));
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::workloads::testing::{outcomes, violations};
    use crate::rules::Mode;

    const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  labels: {app: d}
spec:
  template:
    metadata:
      labels: {environment: prod}
    spec:
      containers: [{name: app, image: app:1}]
";

    #[test]
    fn object_or_template_labels_count_and_all_missing_are_listed_once() {
        let found = violations(&RULE, DEPLOYMENT);
        assert_eq!(found, [("metadata.labels".to_string(), "the workload lacks the required label owner".to_string())]);
        let bare = DEPLOYMENT.replace("  labels: {app: d}\n", "").replace("labels: {environment: prod}", "labels: {}");
        assert_eq!(violations(&RULE, &bare)[0].1, "the workload lacks the required labels app, environment, owner");
    }

    #[test]
    fn no_required_labels_means_not_applicable() {
        let config = Config { required_labels: Vec::new(), ..Config::default() };
        assert_eq!(outcomes(&RULE, DEPLOYMENT, &config, Mode::Manifests), [Outcome::NotApplicable]);
    }
}
