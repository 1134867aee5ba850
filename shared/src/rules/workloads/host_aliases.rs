//! `host-aliases`: name resolution should come from DNS, not from the pod's hosts file.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// The pod spec sets no `hostAliases` (entries the kubelet writes into every
    /// container's `/etc/hosts`). An empty list passes.
    ///
    /// ## Why it matters
    /// `hostAliases` changes where names resolve, outside DNS and outside what a
    /// NetworkPolicy, a service mesh or an audit of DNS records shows: a name such as
    /// `api.payments.example.com` can be pointed at any address by anyone who may edit
    /// the workload. It is also how a pinned address outlives the server it belonged to.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       hostAliases:
    ///       - ip: 10.20.30.40
    ///         hostnames: ["payments.example.com"]
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    /// ```
    ///
    /// ## Use instead
    /// Publish the name in DNS (or as a Service of type ExternalName) instead:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: api
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: api
    ///         image: registry.example.com/api:3.1.0
    /// ```
    ///
    /// ## Fix safety
    /// No automatic fix: removing the entries changes where the application connects
    /// until the name is published elsewhere.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/tasks/network/customize-hosts-file-for-pods/>
    pub static RULE = Rule {
        id: "host-aliases",
        title: "Host aliases set",
        severity: Severity::Low,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(3),
        cis: None,
        remediation: "Remove hostAliases and resolve the names through DNS (a DNS record or an ExternalName Service).",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        let aliases = pod.spec.field("hostAliases").items();
        if aliases.is_empty() {
            return;
        }
        let names: Vec<String> = aliases
            .iter()
            .flat_map(|alias| alias.field("hostnames").items().iter().filter_map(|name| name.as_text()))
            .collect();
        violations.push(Violation::new(
            pod.path_to("hostAliases"),
            format!("the pod resolves {} through its hosts file, outside DNS", names.join(", ")),
        ));
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::judge_one;

    #[test]
    fn aliases_are_named() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "spec.template.spec.hostAliases".to_string(),
                "the pod resolves payments.example.com through its hosts file, outside DNS".to_string(),
                8
            )]
        );
    }
}
