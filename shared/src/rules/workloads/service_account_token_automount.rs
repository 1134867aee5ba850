//! `service-account-token-automount`: a pod should not get an API token it does not use.

use crate::declare_rule;
use crate::fix::{Fix, FixCx, Scalar};
use crate::index::effective_namespace;
use crate::object::Object;
use crate::rules::workloads::default_service_account::service_account_name;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

declare_rule! {
    /// ## What it checks
    /// A workload's pod cannot get a ServiceAccount token mounted. Kubernetes mounts one
    /// unless `automountServiceAccountToken: false` is set on the pod, or on its
    /// ServiceAccount when the pod leaves the field unset. So the rule passes when the pod
    /// sets `false`, or when the pod leaves it unset and the ServiceAccount — found in the
    /// same input, in the pod's namespace — sets `false`. A pod that sets `true` fails even
    /// when its ServiceAccount says `false`, because the pod's setting wins. When the
    /// ServiceAccount is not in the input, only the pod's own setting can pass.
    ///
    /// ## Why it matters
    /// The mounted token lets anyone who runs code in the container call the Kubernetes API
    /// as the pod's ServiceAccount. Most applications never talk to the API server; for
    /// them the token is only a gift to an attacker, who can use it to explore the cluster
    /// and exercise whatever RBAC grants the account.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: myapp
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: app-sa
    ///       containers:
    ///       - name: app
    ///         image: registry.example.com/myapp:2.0.0
    /// ```
    ///
    /// ## Use instead
    /// Set it on the pod, or on the ServiceAccount (`automountServiceAccountToken: false`
    /// at its top level) when every pod using it can do without a token:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: myapp
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: app-sa
    ///       automountServiceAccountToken: false
    ///       containers:
    ///       - name: app
    ///         image: registry.example.com/myapp:2.0.0
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: sets `automountServiceAccountToken: false` on the pod. An application
    /// that calls the Kubernetes API (an operator, a controller, a client library reading the
    /// in-cluster configuration) loses its credentials.
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Service Account Best Practices"
    /// - CIS Kubernetes Benchmark 5.1.6 (ensure that Service Account Tokens are only mounted where necessary)
    pub static RULE = Rule {
        id: "service-account-token-automount",
        title: "ServiceAccount token mounted",
        severity: Severity::Medium,
        family: Family::Workloads,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.6"),
        remediation: "Set `automountServiceAccountToken: false` on the pod (or on its ServiceAccount) unless the application calls the Kubernetes API.",
        check,
        fix,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    cx.on_pod(object, |pod, violations| {
        let path = pod.path_to("automountServiceAccountToken");
        match pod.spec.field("automountServiceAccountToken").as_bool() {
            Some(false) => return,
            Some(true) => {
                violations.push(Violation::new(path, "the pod sets automountServiceAccountToken: true"));
                return;
            }
            None => {}
        }
        let namespace = effective_namespace(object);
        let account = service_account_name(&pod);
        let unset = "the pod leaves automountServiceAccountToken unset";
        let message = match cx.index.service_account_automount(namespace, account) {
            Some(Some(false)) => return,
            Some(Some(true)) => {
                format!("{unset} and its ServiceAccount \"{account}\" sets it to true, so a token is mounted")
            }
            Some(None) => format!("{unset} and so does its ServiceAccount \"{account}\", so a token is mounted"),
            None => format!(
                "{unset}, so a token is mounted unless its ServiceAccount \"{account}\" (not in the input) sets it to false"
            ),
        };
        violations.push(Violation::new(path, message));
    })
}

fn fix(fix_cx: &FixCx<'_>, object: &Object, violation: &Violation) -> Option<Fix> {
    Fix::unsafe_(fix_cx.set(object, &violation.path, Scalar::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::workloads::testing::violations;

    const ACCOUNT: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app-sa, namespace: prod}\n";

    fn pod(spec_extra: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: prod}}\nspec:\n  serviceAccountName: app-sa\n{spec_extra}  containers: [{{name: app, image: app:1}}]\n"
        )
    }

    #[test]
    fn the_service_account_decides_when_the_pod_is_silent() {
        let account_false = format!("{ACCOUNT}automountServiceAccountToken: false\n---\n{}", pod(""));
        assert!(violations(&RULE, &account_false).is_empty());
        let account_unset = format!("{ACCOUNT}---\n{}", pod(""));
        let found = violations(&RULE, &account_unset);
        assert_eq!(found[0].0, "spec.automountServiceAccountToken");
        assert!(found[0].1.contains("so does its ServiceAccount \"app-sa\""), "{}", found[0].1);
        let unknown = violations(&RULE, &pod(""));
        assert!(unknown[0].1.contains("(not in the input)"), "{}", unknown[0].1);
    }

    #[test]
    fn the_pod_setting_wins_over_the_service_account() {
        let pod_true = format!(
            "{ACCOUNT}automountServiceAccountToken: false\n---\n{}",
            pod("  automountServiceAccountToken: true\n")
        );
        assert_eq!(violations(&RULE, &pod_true)[0].1, "the pod sets automountServiceAccountToken: true");
        assert!(violations(&RULE, &pod("  automountServiceAccountToken: false\n")).is_empty());
    }

    #[test]
    fn the_service_account_must_be_in_the_pods_namespace() {
        let elsewhere =
            format!("{}automountServiceAccountToken: false\n---\n{}", ACCOUNT.replace("prod", "dev"), pod(""));
        assert_eq!(violations(&RULE, &elsewhere).len(), 1);
    }
}
