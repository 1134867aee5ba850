//! The kinds a scan lists: every kind some rule reads, and the policy engines' kinds when
//! the cluster serves them.

/// One kind to list cluster-wide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    /// API group; empty for the core group.
    pub group: String,
    pub version: String,
    /// The resource name in URLs (`pods`, `clusterrolebindings`).
    pub plural: String,
    pub kind: String,
    /// List metadata only (`PartialObjectMetadata`): Secrets, whose values must never be read.
    pub metadata_only: bool,
    /// An API that may not be installed (Kyverno, Gatekeeper, Sigstore): 404 means "not
    /// installed" and is no error.
    pub optional: bool,
    /// Position in the scan, so objects come out in a stable order.
    pub order: usize,
}

impl Kind {
    fn new(group: &str, version: &str, plural: &str, kind: &str) -> Kind {
        Kind {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            kind: kind.into(),
            metadata_only: false,
            optional: false,
            order: 0,
        }
    }

    /// `v1` or `apps/v1`, as objects carry it.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection's path: `/api/v1/pods`, `/apis/apps/v1/deployments`.
    pub fn path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}/{}", self.version, self.plural)
        } else {
            format!("/apis/{}/{}/{}", self.group, self.version, self.plural)
        }
    }
}

/// Every kind a scan lists, in the order objects are reported.
pub fn catalog() -> Vec<Kind> {
    let mut kinds = vec![
        Kind::new("", "v1", "namespaces", "Namespace"),
        Kind::new("", "v1", "pods", "Pod"),
        Kind::new("", "v1", "podtemplates", "PodTemplate"),
        Kind::new("", "v1", "replicationcontrollers", "ReplicationController"),
        Kind::new("apps", "v1", "deployments", "Deployment"),
        Kind::new("apps", "v1", "replicasets", "ReplicaSet"),
        Kind::new("apps", "v1", "statefulsets", "StatefulSet"),
        Kind::new("apps", "v1", "daemonsets", "DaemonSet"),
        Kind::new("batch", "v1", "jobs", "Job"),
        Kind::new("batch", "v1", "cronjobs", "CronJob"),
        Kind::new("", "v1", "serviceaccounts", "ServiceAccount"),
        Kind::new("", "v1", "services", "Service"),
        Kind::new("", "v1", "configmaps", "ConfigMap"),
        Kind { metadata_only: true, ..Kind::new("", "v1", "secrets", "Secret") },
        Kind::new("networking.k8s.io", "v1", "ingresses", "Ingress"),
        Kind::new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
        Kind::new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"),
        Kind::new("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        Kind::new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole"),
        Kind::new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
        Kind::new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding"),
        Kind::new(
            "admissionregistration.k8s.io",
            "v1",
            "validatingwebhookconfigurations",
            "ValidatingWebhookConfiguration",
        ),
        Kind::new(
            "admissionregistration.k8s.io",
            "v1",
            "mutatingwebhookconfigurations",
            "MutatingWebhookConfiguration",
        ),
        Kind { optional: true, ..Kind::new("kyverno.io", "v1", "clusterpolicies", "ClusterPolicy") },
        Kind { optional: true, ..Kind::new("kyverno.io", "v1", "policies", "Policy") },
        Kind {
            optional: true,
            ..Kind::new("policy.sigstore.dev", "v1beta1", "clusterimagepolicies", "ClusterImagePolicy")
        },
    ];
    for (order, kind) in kinds.iter_mut().enumerate() {
        kind.order = order;
    }
    kinds
}

/// How many waves a scan lists kinds in (see [`wave`]).
pub const WAVES: usize = 4;

/// The wave a kind is listed in: owners before the kinds they may own, so that owned
/// objects are recognised, and dropped, as their pages are read. Pods come after
/// everything that may own them (ReplicaSets, Jobs, StatefulSets, DaemonSets,
/// ReplicationControllers), ReplicaSets and Jobs before them (owned by Deployments and
/// CronJobs), everything else first, except the kinds judged by the pods they select
/// (Services, NetworkPolicies, PodDisruptionBudgets), which come last, once the checker
/// has seen every pod template ([`rampart_core::index::Index::checks_after_pods`]).
pub fn wave(kind: &Kind) -> usize {
    if rampart_core::index::Index::checks_after_pods(&kind.group, &kind.kind) {
        return 3;
    }
    match (kind.group.as_str(), kind.kind.as_str()) {
        ("", "Pod") => 2,
        ("apps", "ReplicaSet") | ("batch", "Job") => 1,
        _ => 0,
    }
}

/// Whether objects of the kind may own objects a scan leaves out (see `json::objects`).
pub fn may_own(kind: &Kind) -> bool {
    matches!(
        (kind.group.as_str(), kind.kind.as_str()),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
            | ("batch", "Job" | "CronJob")
            | ("", "ReplicationController")
    )
}

/// Gatekeeper's constraint kinds are made by its ConstraintTemplates, one kind per
/// template, so they are found by discovery rather than listed by name.
pub const GATEKEEPER_CONSTRAINTS: (&str, &str) = (GATEKEEPER_GROUP, "v1beta1");

/// A constraint kind found by discovery, placed after the catalog.
pub fn constraint(plural: &str, kind: &str, order: usize) -> Kind {
    let (group, version) = GATEKEEPER_CONSTRAINTS;
    Kind { optional: true, order, ..Kind::new(group, version, plural, kind) }
}

/// The rules that look across objects of a kind to conclude something is missing (no
/// NetworkPolicy selects this pod, no policy engine is installed). When that kind could not
/// be listed they cannot be judged: run, they would report what they did not see as absent.
pub fn rules_looking_across(kind: &str) -> &'static [&'static str] {
    match kind {
        "Namespace" => &["namespace-pss-not-enforced", "namespace-pss-below-restricted"],
        "NetworkPolicy" => &["namespace-without-default-deny", "pod-not-selected-by-network-policy"],
        "ServiceAccount" => &["service-account-token-automount"],
        "DaemonSet" => &["cluster-no-runtime-detection", SERVICE_SELECTS, POLICY_SELECTS, PDB_SELECTS],
        kind if has_pod_template(kind) => &RULES_BY_PODS,
        // A Pod a Service selects needs a readiness probe; an Ingress routes to Services.
        "Service" => &["readiness-probe-missing", "ingress-backend-missing"],
        "Role" | "ClusterRole" => &[
            "rbac-subject-can-exec",
            "rbac-subject-can-read-secrets",
            "rbac-subject-can-escalate",
            "rbac-binding-to-missing-role",
        ],
        "ValidatingWebhookConfiguration"
        | "MutatingWebhookConfiguration"
        | "ClusterPolicy"
        | "Policy"
        | "ClusterImagePolicy"
        | GATEKEEPER_GROUP => &["cluster-no-policy-engine", "cluster-no-image-verification"],
        _ => &[],
    }
}

/// The rules that judge an object by the pod templates of its namespace: a kind with pod
/// templates that could not be listed (completely) leaves them unjudged.
pub const RULES_BY_PODS: [&str; 3] = [SERVICE_SELECTS, POLICY_SELECTS, PDB_SELECTS];
const SERVICE_SELECTS: &str = "service-selects-nothing";
const POLICY_SELECTS: &str = "network-policy-selects-nothing";
const PDB_SELECTS: &str = "pdb-selects-nothing";

/// Whether objects of the kind (as listed, by name) carry a pod template.
pub fn has_pod_template(kind: &str) -> bool {
    matches!(
        kind,
        "Pod"
            | "PodTemplate"
            | "ReplicationController"
            | "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "CronJob"
    )
}

/// How a failed discovery of Gatekeeper's constraint kinds is reported.
pub const GATEKEEPER_GROUP: &str = "constraints.gatekeeper.sh";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_named_exist() {
        let kinds = catalog().into_iter().map(|kind| kind.kind).chain([GATEKEEPER_GROUP.to_string()]);
        for kind in kinds {
            for id in rules_looking_across(&kind) {
                assert!(rampart_core::rules::RULES.iter().any(|rule| rule.id == *id), "{kind}: no rule {id}");
            }
        }
    }
}
