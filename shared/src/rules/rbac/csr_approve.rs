//! `rbac-csr-approve`: approving certificate requests is issuing credentials.

use crate::declare_rule;
use crate::object::Object;
use crate::rules::{Cx, Family, Outcome, Scope, Severity};

use super::grants::{check_roles, Clause, Focus, Query, Target, Verbs};

/// The approval subresource is written with PUT (`update`); a PATCH reaches the same
/// handler, so `patch` counts too.
const QUERY: Query = Query {
    clauses: &[Clause {
        verbs: Verbs::Of(&["update", "patch"]),
        targets: &[Target::new("certificates.k8s.io", "certificatesigningrequests/approval")],
    }],
    focus: Focus::Resource,
};

declare_rule! {
    /// ## What it checks
    /// Every entry of `rules[]` of a Role or ClusterRole: none may grant `update` (or
    /// `patch`) on `certificatesigningrequests/approval` (`certificates.k8s.io`), by name or
    /// through `*` in verbs or resources or `*/approval`. `resourceNames` narrows the grant
    /// but does not excuse it. The finding points at the wildcard that causes the grant,
    /// else at the subresource. Built-in `system:` roles and roles in system namespaces are
    /// left out.
    ///
    /// ## Why it matters
    /// An approved CertificateSigningRequest becomes a client certificate the API server
    /// trusts. Whoever can approve requests (and hold `approve` on a signer) can issue
    /// themselves a certificate for any user or group the signer allows, `system:masters`
    /// included on some signers, and certificates cannot be revoked.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: csr-approver
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests"]
    ///   verbs: ["get", "list", "watch"]
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests/approval"]
    ///   verbs: ["update"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata:
    ///   name: csr-viewer
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests"]
    ///   verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## References
    /// - Hardening guide, layer 2 (RBAC): "Principle of Least Privilege"
    /// - CIS Kubernetes Benchmark 5.1.11 (minimize access to the approval sub-resource of certificatesigningrequests objects)
    /// - <https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization>
    pub static RULE = Rule {
        id: "rbac-csr-approve",
        title: "Approval of certificate requests",
        severity: Severity::High,
        family: Family::Rbac,
        scope: Scope::Object,
        pss: None,
        guide_layer: Some(2),
        cis: Some("5.1.11"),
        remediation: "Leave approval of certificate requests to the controller manager, or to one tightly held role.",
        check,
    };
}

fn check(cx: &Cx<'_>, object: &Object) -> Outcome {
    check_roles(cx, object, &QUERY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::rbac::test_support::judge_one;

    #[test]
    fn the_second_rule_is_found() {
        let judged = judge_one(&RULE, RULE.doc_yaml("Example").unwrap().as_str());
        assert_eq!(
            judged.violations(),
            [(
                "rules[1].resources[0]".to_string(),
                "rules[1] grants update on certificatesigningrequests/approval".to_string(),
                10
            )]
        );
    }
}
