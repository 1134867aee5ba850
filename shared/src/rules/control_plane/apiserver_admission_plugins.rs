//! `apiserver-admission-plugins`: the admission plugins that hold nodes and pods to their
//! own identities must be on.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::flags::{check_api_servers, ApiServer};

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container must enable `NodeRestriction` in
    /// `--enable-admission-plugins` (it is not on by default) and must not list
    /// `ServiceAccount` (on by default) or `NodeRestriction` in `--disable-admission-plugins`.
    /// Flags are read from `command` and `args`; repeated list flags add up, as the API
    /// server reads them. The deprecated `--admission-control` flag, which replaces the
    /// default list with its own, is honoured: a plugin it leaves out is off.
    ///
    /// ## Why it matters
    /// `NodeRestriction` limits each kubelet to its own Node object and the pods bound to
    /// it; without it, one compromised node can relabel other nodes to attract workloads,
    /// or edit pods it does not run. The `ServiceAccount` plugin assigns every pod a
    /// ServiceAccount and checks the Secrets it mounts; disabling it undermines the token
    /// model every other control relies on.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: kube-apiserver
    ///   namespace: kube-system
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command:
    ///     - kube-apiserver
    ///     - --authorization-mode=Node,RBAC
    ///     - --enable-admission-plugins=PodSecurity
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: kube-apiserver
    ///   namespace: kube-system
    /// spec:
    ///   hostNetwork: true
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command:
    ///     - kube-apiserver
    ///     - --authorization-mode=Node,RBAC
    ///     - --enable-admission-plugins=NodeRestriction,PodSecurity
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening): `--enable-admission-plugins`
    /// - CIS Kubernetes Benchmark 1.2.13 (ServiceAccount) and 1.2.15 (NodeRestriction)
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction>
    pub static RULE = Rule {
        id: "apiserver-admission-plugins",
        title: "API server admission plugins missing",
        severity: Severity::High,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.15"),
        remediation: "Add `NodeRestriction` to `--enable-admission-plugins` and keep `ServiceAccount` out of `--disable-admission-plugins`.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_api_servers(cx, object, check_server)
}

fn check_server(server: &ApiServer<'_>, violations: &mut Vec<Violation>) {
    let flags = &server.flags;
    let disabled = flags.list("disable-admission-plugins");
    for plugin in ["NodeRestriction", "ServiceAccount"] {
        if let Some((_, flag)) = disabled.iter().find(|(item, _)| *item == plugin) {
            violations
                .push(Violation::new(flag.path.clone(), format!("--disable-admission-plugins disables {plugin}")));
        }
    }
    // The deprecated flag is the whole list of plugins: default ones it leaves out are off.
    if let Some(legacy) = flags.last("admission-control") {
        let listed = flags.list("admission-control");
        for plugin in ["NodeRestriction", "ServiceAccount"] {
            if !listed.iter().any(|(item, _)| *item == plugin) {
                violations.push(Violation::new(
                    legacy.path.clone(),
                    format!("--admission-control={} leaves out {plugin}", legacy.text()),
                ));
            }
        }
        return;
    }
    let enabled = flags.list("enable-admission-plugins");
    if enabled.iter().any(|(item, _)| *item == "NodeRestriction") {
        return;
    }
    match flags.last("enable-admission-plugins") {
        Some(flag) => violations
            .push(Violation::new(flag.path.clone(), format!("{} does not enable NodeRestriction", flag.shown()))),
        None => violations.push(
            server.missing("kube-apiserver runs without --enable-admission-plugins: NodeRestriction is off by default"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    fn pod(flags: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    command: [kube-apiserver]\n    args: [{flags}]\n")
    }

    fn messages(flags: &str) -> Vec<(String, String)> {
        judge_one(&RULE, &pod(flags))
            .violations()
            .iter()
            .map(|(path, message, _)| (path.clone(), message.clone()))
            .collect()
    }

    #[test]
    fn node_restriction_must_be_enabled() {
        assert_eq!(
            messages("--enable-admission-plugins=PodSecurity"),
            [(
                "spec.containers[0].args[0]".to_string(),
                "--enable-admission-plugins=PodSecurity does not enable NodeRestriction".to_string()
            )]
        );
        assert_eq!(messages("--profiling=false")[0].0, "spec.containers[0].command");
        assert!(
            messages("--enable-admission-plugins=PodSecurity, --enable-admission-plugins=NodeRestriction").is_empty()
        );
    }

    #[test]
    fn disabled_service_account_fails_at_its_flag() {
        assert_eq!(
            messages("--enable-admission-plugins=NodeRestriction, --disable-admission-plugins, 'DefaultStorageClass,ServiceAccount'"),
            [("spec.containers[0].args[1]".to_string(), "--disable-admission-plugins disables ServiceAccount".to_string())]
        );
    }

    #[test]
    fn the_deprecated_flag_is_the_whole_list() {
        assert_eq!(
            messages("'--admission-control=NamespaceLifecycle,NodeRestriction'"),
            [(
                "spec.containers[0].args[0]".to_string(),
                "--admission-control=NamespaceLifecycle,NodeRestriction leaves out ServiceAccount".to_string()
            )]
        );
    }
}
