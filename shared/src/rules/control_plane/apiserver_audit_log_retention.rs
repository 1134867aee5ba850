//! `apiserver-audit-log-retention`: audit logs must outlive the time it takes to notice an
//! intrusion.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity, Violation};

use super::flags::api_servers;

/// Days of audit log the rule asks for.
const MINIMUM_DAYS: i64 = 30;

declare_rule! {
    /// ## What it checks
    /// A kube-apiserver container that writes its audit log to a file (`--audit-log-path`
    /// set, and not `-`) must not set `--audit-log-maxage` below 30 days. Flags are read
    /// from `command` and `args`, in both forms; the last occurrence counts.
    ///
    /// Not setting the flag passes, and so does `0`: both mean that rotated files are never
    /// deleted for their age (the log is then kept until `--audit-log-maxbackup`, if set,
    /// prunes it, or the disk fills). The rule does not apply to an API server that logs
    /// to standard output or only to a webhook, nor to one without an audit log
    /// (`apiserver-audit-log` reports that).
    ///
    /// ## Why it matters
    /// Intrusions are typically found weeks after they began. Audit logs that rotate away
    /// after a few days are gone by the time someone needs to know how the attacker got in
    /// and what they touched.
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
    ///     - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
    ///     - --audit-log-path=/var/log/kubernetes/audit.log
    ///     - --audit-log-maxage=7
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
    ///     - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
    ///     - --audit-log-path=/var/log/kubernetes/audit.log
    ///     - --audit-log-maxage=30
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 1 (API server hardening): `--audit-log-maxage=30`
    /// - CIS Kubernetes Benchmark 1.2.18 (ensure that the --audit-log-maxage argument is set to 30 or as appropriate)
    /// - <https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend>
    pub static RULE = Rule {
        id: "apiserver-audit-log-retention",
        title: "Audit log retention too short",
        severity: Severity::Medium,
        family: Family::ControlPlane,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(1),
        cis: Some("1.2.18"),
        remediation: "Set `--audit-log-maxage=30` (or more) on the kube-apiserver, or ship the audit log to storage that keeps it.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    let servers = api_servers(cx, object);
    let logging_to_file: Vec<_> = servers
        .iter()
        .filter(|server| server.flags.non_empty("audit-log-path").is_some_and(|flag| flag.text() != "-"))
        .collect();
    if logging_to_file.is_empty() {
        return Outcome::NotApplicable;
    }
    let mut violations = Vec::new();
    for server in logging_to_file {
        let Some(flag) = server.flags.last("audit-log-maxage") else { continue };
        match flag.text().parse::<i64>() {
            Ok(days) if days == 0 || days >= MINIMUM_DAYS => {}
            Ok(days) => violations.push(Violation::new(
                flag.path.clone(),
                format!("{} deletes audit logs after {days} days, fewer than {MINIMUM_DAYS}", flag.shown()),
            )),
            Err(_) => {
                violations.push(Violation::new(flag.path.clone(), format!("{} is not a number of days", flag.shown())))
            }
        }
    }
    Outcome::Checked(violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    fn pod(flags: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\nspec:\n  containers:\n  - name: kube-apiserver\n    command: [kube-apiserver]\n    args: [{flags}]\n")
    }

    #[test]
    fn short_retention_fails_at_the_flag() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "spec.containers[0].command[3]".to_string(),
                "--audit-log-maxage=7 deletes audit logs after 7 days, fewer than 30".to_string(),
                15
            )]
        );
        let judged = judge_one(&RULE, &pod("--audit-log-path=/var/log/audit.log, --audit-log-maxage, 1"));
        assert_eq!(judged.violations()[0].0, "spec.containers[0].args[1]");
    }

    #[test]
    fn unset_or_zero_keeps_logs_and_stdout_is_not_judged() {
        assert!(judge_one(&RULE, &pod("--audit-log-path=/var/log/audit.log")).violations().is_empty());
        assert!(judge_one(&RULE, &pod("--audit-log-path=/var/log/audit.log, --audit-log-maxage=0"))
            .violations()
            .is_empty());
        assert!(judge_one(&RULE, &pod("--audit-log-path=-, --audit-log-maxage=1")).violations.is_none());
        assert!(judge_one(&RULE, &pod("--profiling=false")).violations.is_none());
    }
}
