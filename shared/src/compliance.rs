//! Compliance views: which controls of which framework each rule assesses, and how a set of
//! rule results reads per control.
//!
//! Four frameworks: the CIS Kubernetes Benchmark (v1.8 numbering; sections 1.2 API server,
//! 4.2 kubelet and 5 policies, the parts a reader of objects and manifests can judge), the
//! NSA-CISA Kubernetes Hardening Guidance (v1.2, one control per section of its advice), the
//! Pod Security Standards (one control per upstream check) and the hardening guide's seven
//! layers.
//!
//! The mapping is data in one place, [`MAPPING`], keyed by rule id: a rule's own metadata
//! already names its CIS section, Pod Security check and guide layer, and its row adds the
//! controls beyond those. A new rule needs a row (the coverage test lists any rule without
//! one).
//!
//! A control's status comes from its rules: **fail** when one of them has a finding that is
//! not exempted, **pass** when at least one applied and none failed, **not assessed** when
//! none applied, which includes every control no rule maps to. Not assessed is never counted
//! as passing.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::rules::{Rule, RULES};

/// A compliance framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Cis,
    Nsa,
    Pss,
    Layers,
}

impl Framework {
    pub const ALL: [Framework; 4] = [Framework::Cis, Framework::Nsa, Framework::Pss, Framework::Layers];

    /// The short name used on the command line and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Cis => "cis",
            Framework::Nsa => "nsa",
            Framework::Pss => "pss",
            Framework::Layers => "layers",
        }
    }

    pub fn parse(text: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|framework| framework.as_str() == text)
    }

    /// The framework's full name, for people.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Cis => "CIS Kubernetes Benchmark v1.8 (sections 1.2, 4.2, 5)",
            Framework::Nsa => "NSA-CISA Kubernetes Hardening Guidance v1.2",
            Framework::Pss => "Pod Security Standards",
            Framework::Layers => "Kubernetes security hardening guide: seven layers",
        }
    }

    /// Every control of the framework, in the framework's order.
    pub fn controls(self) -> &'static [Control] {
        match self {
            Framework::Cis => CIS,
            Framework::Nsa => NSA,
            Framework::Pss => PSS,
            Framework::Layers => LAYERS,
        }
    }
}

/// One control of a framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Control {
    pub id: &'static str,
    pub title: &'static str,
}

const fn control(id: &'static str, title: &'static str) -> Control {
    Control { id, title }
}

/// CIS Kubernetes Benchmark v1.8: the API server (1.2), the kubelet (4.2) and policies (5).
pub static CIS: &[Control] = &[
    control("1.2.1", "API server: --anonymous-auth is false"),
    control("1.2.2", "API server: --token-auth-file is not set"),
    control("1.2.3", "API server: DenyServiceExternalIPs is set"),
    control("1.2.4", "API server: --kubelet-client-certificate and --kubelet-client-key are set"),
    control("1.2.5", "API server: --kubelet-certificate-authority is set"),
    control("1.2.6", "API server: --authorization-mode is not AlwaysAllow"),
    control("1.2.7", "API server: --authorization-mode includes Node"),
    control("1.2.8", "API server: --authorization-mode includes RBAC"),
    control("1.2.9", "API server: admission plugin EventRateLimit is set"),
    control("1.2.10", "API server: admission plugin AlwaysAdmit is not set"),
    control("1.2.11", "API server: admission plugin AlwaysPullImages is set"),
    control("1.2.12", "API server: admission plugin SecurityContextDeny is set if PodSecurityPolicy is not used"),
    control("1.2.13", "API server: admission plugin ServiceAccount is set"),
    control("1.2.14", "API server: admission plugin NamespaceLifecycle is set"),
    control("1.2.15", "API server: admission plugin NodeRestriction is set"),
    control("1.2.16", "API server: --profiling is false"),
    control("1.2.17", "API server: --audit-log-path is set"),
    control("1.2.18", "API server: --audit-log-maxage is 30 or as appropriate"),
    control("1.2.19", "API server: --audit-log-maxbackup is 10 or as appropriate"),
    control("1.2.20", "API server: --audit-log-maxsize is 100 or as appropriate"),
    control("1.2.21", "API server: --request-timeout is set as appropriate"),
    control("1.2.22", "API server: --service-account-lookup is true"),
    control("1.2.23", "API server: --service-account-key-file is set"),
    control("1.2.24", "API server: --etcd-certfile and --etcd-keyfile are set"),
    control("1.2.25", "API server: --tls-cert-file and --tls-private-key-file are set"),
    control("1.2.26", "API server: --client-ca-file is set"),
    control("1.2.27", "API server: --etcd-cafile is set"),
    control("1.2.28", "API server: --encryption-provider-config is set"),
    control("1.2.29", "API server: encryption providers are appropriately configured"),
    control("1.2.30", "API server: only strong cryptographic ciphers"),
    control("4.2.1", "Kubelet: --anonymous-auth is false"),
    control("4.2.2", "Kubelet: --authorization-mode is not AlwaysAllow"),
    control("4.2.3", "Kubelet: --client-ca-file is set"),
    control("4.2.4", "Kubelet: --read-only-port is 0"),
    control("4.2.5", "Kubelet: --streaming-connection-idle-timeout is not 0"),
    control("4.2.6", "Kubelet: --make-iptables-util-chains is true"),
    control("4.2.7", "Kubelet: --hostname-override is not set"),
    control("4.2.8", "Kubelet: eventRecordQPS captures events as appropriate"),
    control("4.2.9", "Kubelet: --tls-cert-file and --tls-private-key-file are set"),
    control("4.2.10", "Kubelet: --rotate-certificates is not false"),
    control("4.2.11", "Kubelet: RotateKubeletServerCertificate is true"),
    control("4.2.12", "Kubelet: only strong cryptographic ciphers"),
    control("4.2.13", "Kubelet: a limit is set on pod PIDs"),
    control("5.1.1", "The cluster-admin role is only used where required"),
    control("5.1.2", "Minimize access to secrets"),
    control("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
    control("5.1.4", "Minimize access to create pods"),
    control("5.1.5", "Default service accounts are not actively used"),
    control("5.1.6", "Service account tokens are only mounted where necessary"),
    control("5.1.7", "Avoid use of the system:masters group"),
    control("5.1.8", "Limit use of the bind, impersonate and escalate permissions"),
    control("5.1.9", "Minimize access to create persistent volumes"),
    control("5.1.10", "Minimize access to the proxy sub-resource of nodes"),
    control("5.1.11", "Minimize access to the approval sub-resource of certificatesigningrequests"),
    control("5.1.12", "Minimize access to webhook configuration objects"),
    control("5.1.13", "Minimize access to the service account token creation"),
    control("5.2.1", "The cluster has at least one active policy control mechanism"),
    control("5.2.2", "Minimize the admission of privileged containers"),
    control("5.2.3", "Minimize the admission of containers sharing the host process ID namespace"),
    control("5.2.4", "Minimize the admission of containers sharing the host IPC namespace"),
    control("5.2.5", "Minimize the admission of containers sharing the host network namespace"),
    control("5.2.6", "Minimize the admission of containers with allowPrivilegeEscalation"),
    control("5.2.7", "Minimize the admission of root containers"),
    control("5.2.8", "Minimize the admission of containers with the NET_RAW capability"),
    control("5.2.9", "Minimize the admission of containers with added capabilities"),
    control("5.2.10", "Minimize the admission of containers with capabilities assigned"),
    control("5.2.11", "Minimize the admission of Windows HostProcess containers"),
    control("5.2.12", "Minimize the admission of HostPath volumes"),
    control("5.2.13", "Minimize the admission of containers which use HostPorts"),
    control("5.3.1", "The CNI in use supports NetworkPolicies"),
    control("5.3.2", "All namespaces have NetworkPolicies defined"),
    control("5.4.1", "Prefer Secrets as files over Secrets as environment variables"),
    control("5.4.2", "Consider external secret storage"),
    control("5.5.1", "Configure image provenance"),
    control("5.7.1", "Create administrative boundaries between resources using namespaces"),
    control("5.7.2", "The seccomp profile is set in pod definitions"),
    control("5.7.3", "Apply a security context to pods and containers"),
    control("5.7.4", "The default namespace is not used"),
];

/// NSA-CISA Kubernetes Hardening Guidance v1.2: the sections of its advice.
pub static NSA: &[Control] = &[
    control("pod-non-root", "Pod security: non-root containers and rootless container engines"),
    control("pod-immutable-filesystem", "Pod security: immutable container file systems"),
    control("pod-secure-images", "Pod security: building secure container images"),
    control("pod-security-enforcement", "Pod security: pod security enforcement"),
    control("pod-service-account-tokens", "Pod security: protecting pod service account tokens"),
    control("pod-hardening", "Pod security: hardening container environments"),
    control("network-namespaces", "Network separation: namespaces"),
    control("network-policies", "Network separation: network policies"),
    control("network-resource-policies", "Network separation: resource policies"),
    control("network-control-plane", "Network separation: control plane hardening"),
    control("network-encryption", "Network separation: encryption"),
    control("network-secrets", "Network separation: secrets"),
    control("network-cloud-infrastructure", "Network separation: protecting sensitive cloud infrastructure"),
    control("authentication", "Authentication and authorization: authentication"),
    control("rbac", "Authentication and authorization: role-based access control"),
    control("audit-logging", "Audit logging and threat detection: logging"),
    control("threat-detection", "Audit logging and threat detection: threat detection"),
    control("upgrading", "Upgrading and application security practices"),
];

/// The Pod Security Standards: one control per upstream check, as the `pss-*` rules name
/// them (their level is part of the title).
pub static PSS: &[Control] = &[
    control("windowsHostProcess", "Baseline: HostProcess"),
    control("hostNamespaces", "Baseline: host namespaces"),
    control("privileged", "Baseline: privileged containers"),
    control("capabilities_baseline", "Baseline: capabilities"),
    control("hostPathVolumes", "Baseline: HostPath volumes"),
    control("hostPorts", "Baseline: host ports"),
    control("hostProbesAndHostLifecycle", "Baseline: host probes and lifecycle hooks"),
    control("appArmorProfile", "Baseline: AppArmor"),
    control("seLinuxOptions", "Baseline: SELinux"),
    control("procMount", "Baseline: /proc mount type"),
    control("seccompProfile_baseline", "Baseline: seccomp"),
    control("sysctls", "Baseline: sysctls"),
    control("restrictedVolumes", "Restricted: volume types"),
    control("allowPrivilegeEscalation", "Restricted: privilege escalation"),
    control("runAsNonRoot", "Restricted: running as non-root"),
    control("runAsUser", "Restricted: running as non-root user"),
    control("seccompProfile_restricted", "Restricted: seccomp"),
    control("capabilities_restricted", "Restricted: capabilities"),
    control("procMount_restricted", "Restricted: /proc mount type"),
];

/// The hardening guide's layers, by number.
pub static LAYERS: &[Control] = &[
    control("1", "Layer 1: cluster security"),
    control("2", "Layer 2: RBAC"),
    control("3", "Layer 3: pod security"),
    control("4", "Layer 4: image security"),
    control("5", "Layer 5: secrets management"),
    control("6", "Layer 6: runtime security"),
    control("7", "Layer 7: supply chain security"),
];

/// A rule's controls beyond those its metadata names (`cis`, `pss`, `guide_layer`).
#[derive(Debug)]
pub struct Row {
    pub rule: &'static str,
    /// More CIS controls the rule assesses.
    pub cis: &'static [&'static str],
    /// NSA-CISA controls the rule assesses.
    pub nsa: &'static [&'static str],
}

const fn row(rule: &'static str, cis: &'static [&'static str], nsa: &'static [&'static str]) -> Row {
    Row { rule, cis, nsa }
}

/// The mapping, one row per rule of the catalog, grouped by family.
pub static MAPPING: &[Row] = &[
    // Pod Security Standards.
    row("pss-allow-privilege-escalation", &[], &["pod-hardening"]),
    row("pss-app-armor-profile", &[], &["pod-hardening"]),
    row("pss-capabilities-baseline", &[], &["pod-hardening"]),
    row("pss-capabilities-restricted", &["5.2.8"], &["pod-hardening"]),
    row("pss-host-namespaces", &["5.2.4", "5.2.5"], &["pod-hardening"]),
    row("pss-host-path-volumes", &[], &["pod-hardening"]),
    row("pss-host-ports", &[], &["pod-hardening"]),
    row("pss-host-probes-and-host-lifecycle", &[], &["pod-hardening"]),
    row("pss-privileged", &[], &["pod-hardening"]),
    row("pss-proc-mount", &[], &["pod-hardening"]),
    row("pss-proc-mount-restricted", &[], &["pod-hardening"]),
    row("pss-restricted-volumes", &[], &["pod-hardening"]),
    row("pss-run-as-non-root", &[], &["pod-non-root"]),
    row("pss-run-as-user", &[], &["pod-non-root"]),
    row("pss-se-linux-options", &[], &["pod-hardening"]),
    row("pss-seccomp-profile-baseline", &[], &["pod-hardening"]),
    row("pss-seccomp-profile-restricted", &[], &["pod-hardening"]),
    row("pss-sysctls", &[], &["pod-hardening"]),
    row("pss-windows-host-process", &[], &["pod-hardening"]),
    // Workloads.
    row("api-version-deprecated", &[], &["upgrading"]),
    row("api-version-removed", &[], &["upgrading"]),
    row("env-duplicate-name", &[], &[]),
    row("host-aliases", &[], &["pod-hardening"]),
    row("host-users-shared", &[], &["pod-non-root", "pod-hardening"]),
    row("liveness-probe-missing", &[], &[]),
    row("pdb-selects-nothing", &[], &[]),
    row("readiness-probe-missing", &[], &[]),
    row("run-as-group-root", &["5.7.3"], &["pod-non-root"]),
    row("container-runtime-socket", &[], &["pod-hardening"]),
    row("cpu-limit-missing", &[], &["network-resource-policies"]),
    row("cpu-request-missing", &[], &["network-resource-policies"]),
    row("default-service-account", &[], &["pod-service-account-tokens", "rbac"]),
    row("fs-group-missing", &[], &["pod-non-root"]),
    row("memory-limit-missing", &[], &["network-resource-policies"]),
    row("memory-request-missing", &[], &["network-resource-policies"]),
    row("read-only-root-filesystem", &[], &["pod-immutable-filesystem"]),
    row("required-labels-missing", &[], &[]),
    row("run-as-high-uid", &[], &["pod-non-root"]),
    row("sensitive-host-path", &[], &["pod-hardening"]),
    row("service-account-token-automount", &[], &["pod-service-account-tokens"]),
    row("workload-in-default-namespace", &["5.7.1"], &["network-namespaces"]),
    // Images.
    row("image-not-pinned-by-digest", &[], &["pod-secure-images"]),
    row("image-pull-policy-not-always", &[], &["pod-secure-images"]),
    row("image-registry-not-allowed", &[], &["pod-secure-images"]),
    row("image-tag-latest", &[], &["pod-secure-images"]),
    // Secrets.
    row("credential-in-configmap", &[], &["network-secrets"]),
    row("credential-in-env-literal", &[], &["network-secrets"]),
    row("external-secret-no-rotation", &[], &["network-secrets"]),
    row("secret-data-in-manifest", &[], &["network-secrets"]),
    row("secret-in-env", &[], &["network-secrets"]),
    // Network.
    row("container-ssh-port", &[], &["pod-hardening"]),
    row("ingress-backend-missing", &[], &[]),
    row("network-policy-selects-nothing", &[], &["network-policies"]),
    row("service-selects-nothing", &[], &[]),
    row("ingress-without-tls", &[], &["network-encryption"]),
    row("load-balancer-open-to-world", &[], &["network-policies"]),
    row("namespace-without-default-deny", &[], &["network-policies"]),
    row("pod-not-selected-by-network-policy", &[], &["network-policies"]),
    row("service-external-ips", &[], &["network-policies"]),
    row("service-node-port", &[], &["network-policies"]),
    // RBAC.
    row("rbac-binding-to-missing-role", &[], &["rbac"]),
    row("rbac-subject-can-escalate", &[], &["rbac"]),
    row("rbac-subject-can-exec", &[], &["rbac"]),
    row("rbac-subject-can-read-secrets", &[], &["rbac", "network-secrets"]),
    row("rbac-binding-to-all-authenticated", &[], &["rbac", "authentication"]),
    row("rbac-binding-to-anonymous", &[], &["rbac", "authentication"]),
    row("rbac-cluster-admin-binding", &[], &["rbac"]),
    row("rbac-csr-approve", &[], &["rbac"]),
    row("rbac-escalation-verbs", &[], &["rbac"]),
    row("rbac-node-proxy", &[], &["rbac"]),
    row("rbac-pod-exec", &[], &["rbac"]),
    row("rbac-secrets-read", &[], &["rbac", "network-secrets"]),
    row("rbac-token-create", &[], &["rbac", "pod-service-account-tokens"]),
    row("rbac-webhook-config-write", &[], &["rbac"]),
    row("rbac-wildcard", &[], &["rbac"]),
    row("rbac-workload-create", &[], &["rbac"]),
    // Namespaces and the cluster's admission.
    row("cluster-no-image-verification", &["5.5.1"], &["pod-secure-images"]),
    row("cluster-no-policy-engine", &["5.2.1"], &["pod-security-enforcement"]),
    row("cluster-no-runtime-detection", &[], &["threat-detection"]),
    row("namespace-pss-below-restricted", &[], &["pod-security-enforcement"]),
    row("namespace-pss-not-enforced", &[], &["pod-security-enforcement"]),
    row("policy-engine-audit-only", &[], &["pod-security-enforcement"]),
    row("webhook-fails-open", &[], &["pod-security-enforcement"]),
    // Control plane.
    row("apiserver-admission-plugins", &["1.2.13"], &["network-control-plane"]),
    row("apiserver-anonymous-auth", &[], &["authentication", "network-control-plane"]),
    row("apiserver-audit-log", &[], &["audit-logging"]),
    row("apiserver-audit-log-retention", &[], &["audit-logging"]),
    row("apiserver-authorization-mode", &["1.2.6", "1.2.8"], &["rbac", "network-control-plane"]),
    row("apiserver-encryption-at-rest", &[], &["network-encryption", "network-secrets"]),
    row("apiserver-obsolete-admission-plugin", &[], &["upgrading"]),
    row("apiserver-profiling", &[], &["network-control-plane"]),
    row("apiserver-tls", &[], &["network-encryption", "network-control-plane"]),
    row("encryption-config-identity-first", &[], &["network-encryption", "network-secrets"]),
    row("encryption-config-weak-provider", &[], &["network-encryption", "network-secrets"]),
    row("kubelet-anonymous-auth", &[], &["authentication", "network-control-plane"]),
    row("kubelet-authorization-mode", &[], &["rbac", "network-control-plane"]),
    row("kubelet-read-only-port", &[], &["network-control-plane"]),
];

/// A rule's row of [`MAPPING`].
pub fn row_of(rule_id: &str) -> Option<&'static Row> {
    MAPPING.iter().find(|row| row.rule == rule_id)
}

/// One control a rule assesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub framework: Framework,
    pub control: &'static Control,
}

fn find_control(framework: Framework, id: &str) -> Option<&'static Control> {
    framework.controls().iter().find(|control| control.id == id)
}

/// Every control a rule assesses, framework by framework: from its metadata and its row.
/// Ids that name no control of the catalog are left out (the coverage test catches them).
pub fn controls_of(rule: &Rule) -> Vec<Mapped> {
    let row = row_of(rule.id);
    let mut ids: Vec<(Framework, &str)> = Vec::new();
    ids.extend(rule.cis.map(|id| (Framework::Cis, id)));
    ids.extend(row.into_iter().flat_map(|row| row.cis.iter().map(|id| (Framework::Cis, *id))));
    ids.extend(row.into_iter().flat_map(|row| row.nsa.iter().map(|id| (Framework::Nsa, *id))));
    ids.extend(rule.pss.map(|check| (Framework::Pss, check.check)));
    let layer = rule.guide_layer.map(|layer| layer.to_string());
    ids.extend(layer.as_deref().map(|id| (Framework::Layers, id)));
    let mut mapped: Vec<Mapped> = ids
        .into_iter()
        .filter_map(|(framework, id)| find_control(framework, id).map(|control| Mapped { framework, control }))
        .collect();
    mapped.dedup();
    mapped
}

/// For each framework and control id, the rules that assess it (in catalog order).
type ByControl = HashMap<Framework, HashMap<&'static str, Vec<&'static str>>>;
static RULES_BY_CONTROL: LazyLock<ByControl> = LazyLock::new(|| {
    let mut map: ByControl = HashMap::new();
    for rule in RULES.iter() {
        for mapped in controls_of(rule) {
            let rules = map.entry(mapped.framework).or_default().entry(mapped.control.id).or_default();
            if !rules.contains(&rule.id) {
                rules.push(rule.id);
            }
        }
    }
    map
});

/// The rules that assess a control.
pub fn rules_of(framework: Framework, control_id: &str) -> &'static [&'static str] {
    RULES_BY_CONTROL.get(&framework).and_then(|controls| controls.get(control_id)).map_or(&[], Vec::as_slice)
}

/// Which rules applied and which failed: the evidence a view is read from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResults {
    /// Rules that applied to at least one object.
    pub applied: BTreeSet<String>,
    /// Rules with findings that are not exempted, and how many.
    pub failed: BTreeMap<String, u64>,
}

impl RuleResults {
    /// The results of a check.
    pub fn from_report(report: &crate::Report) -> RuleResults {
        RuleResults::from_results(&report.objects, &report.findings)
    }

    /// The results of objects and their findings (a whole check, or one batch of it).
    pub fn from_results(objects: &[crate::ObjectReport], findings: &[crate::Finding]) -> RuleResults {
        // Each rule id is copied once here, not once for every object and finding naming it:
        // a batch of thousands of objects names the same few dozen rules over and over.
        let mut applied: HashSet<&str> = HashSet::new();
        for object in objects {
            applied.extend(object.passed.iter().chain(&object.failed).copied());
        }
        let mut failed: HashMap<&str, u64> = HashMap::new();
        for finding in findings {
            applied.insert(&finding.rule);
            if !finding.exempted {
                *failed.entry(&finding.rule).or_default() += 1;
            }
        }
        RuleResults {
            applied: applied.into_iter().map(str::to_string).collect(),
            failed: failed.into_iter().map(|(rule, count)| (rule.to_string(), count)).collect(),
        }
    }

    /// Notes findings as `(rule, exempted)`: each rule applied; those not exempted fail it.
    pub fn add_findings<'a>(&mut self, findings: impl IntoIterator<Item = (&'a str, bool)>) {
        for (rule, exempted) in findings {
            if !self.applied.contains(rule) {
                self.applied.insert(rule.to_string());
            }
            if !exempted {
                match self.failed.get_mut(rule) {
                    Some(count) => *count += 1,
                    None => {
                        self.failed.insert(rule.to_string(), 1);
                    }
                }
            }
        }
    }

    /// Merges results of another batch of the same check.
    pub fn merge(&mut self, other: RuleResults) {
        self.applied.extend(other.applied);
        for (rule, count) in other.failed {
            *self.failed.entry(rule).or_default() += count;
        }
    }
}

/// A control's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(rename = "ControlStatus"))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    NotAssessed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotAssessed => "not assessed",
        }
    }
}

/// One control as the results read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub status: Status,
    /// The rules that assess the control.
    pub rules: Vec<String>,
    /// Those of them that failed.
    pub failed_rules: Vec<String>,
    /// Findings (not exempted) of the failed rules.
    pub findings: u64,
}

/// Controls by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema), schemars(rename = "ControlCounts"))]
pub struct Counts {
    pub pass: u64,
    pub fail: u64,
    pub not_assessed: u64,
}

/// One framework's controls as the results read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub framework: Framework,
    pub title: String,
    pub counts: Counts,
    pub controls: Vec<ControlResult>,
}

/// Reads a framework's controls from rule results.
pub fn evaluate(framework: Framework, results: &RuleResults) -> View {
    let mut counts = Counts::default();
    let controls = framework
        .controls()
        .iter()
        .map(|control| {
            let rules = rules_of(framework, control.id);
            let failed_rules: Vec<String> =
                rules.iter().filter(|rule| results.failed.contains_key(**rule)).map(|rule| rule.to_string()).collect();
            let findings = failed_rules.iter().map(|rule| results.failed[rule]).sum();
            let status = if !failed_rules.is_empty() {
                counts.fail += 1;
                Status::Fail
            } else if rules.iter().any(|rule| results.applied.contains(*rule)) {
                counts.pass += 1;
                Status::Pass
            } else {
                counts.not_assessed += 1;
                Status::NotAssessed
            };
            ControlResult {
                id: control.id.to_string(),
                title: control.title.to_string(),
                status,
                rules: rules.iter().map(|rule| rule.to_string()).collect(),
                failed_rules,
                findings,
            }
        })
        .collect();
    View { framework, title: framework.title().to_string(), counts, controls }
}

/// Renders a view as text for a terminal: one line per control, then the counts.
pub fn render_text(view: &View) -> String {
    use std::fmt::Write as _;
    let mut out = format!("{}\n\n", view.title);
    let width = view.controls.iter().map(|control| control.id.len()).max().unwrap_or(0);
    for control in &view.controls {
        let status = match control.status {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotAssessed => "N/A ",
        };
        let _ = write!(out, "{status}  {:<width$}  {}", control.id, control.title);
        if control.status == Status::Fail {
            let _ = write!(out, " ({} findings: {})", control.findings, control.failed_rules.join(", "));
        } else if control.rules.is_empty() {
            out.push_str(" (no rule assesses this control)");
        }
        out.push('\n');
    }
    let counts = view.counts;
    let _ = writeln!(
        out,
        "\n{} controls: {} pass, {} fail, {} not assessed",
        view.controls.len(),
        counts.pass,
        counts.fail,
        counts.not_assessed
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_row_and_every_row_a_rule() {
        let without: Vec<&str> = RULES.iter().filter(|rule| row_of(rule.id).is_none()).map(|rule| rule.id).collect();
        assert!(without.is_empty(), "rules without a compliance mapping (add a row to MAPPING): {without:?}");
        let unknown: Vec<&str> =
            MAPPING.iter().filter(|row| crate::rules::find(row.rule).is_none()).map(|row| row.rule).collect();
        assert!(unknown.is_empty(), "mapping rows of unknown rules: {unknown:?}");
    }

    #[test]
    fn every_mapped_id_names_a_control() {
        let mut missing = Vec::new();
        for rule in RULES.iter() {
            let row = row_of(rule.id);
            let cis = rule.cis.into_iter().chain(row.into_iter().flat_map(|row| row.cis.iter().copied()));
            missing.extend(cis.filter(|id| find_control(Framework::Cis, id).is_none()).map(|id| (rule.id, id)));
            let nsa = row.into_iter().flat_map(|row| row.nsa.iter().copied());
            missing.extend(nsa.filter(|id| find_control(Framework::Nsa, id).is_none()).map(|id| (rule.id, id)));
            if let Some(check) = rule.pss {
                if find_control(Framework::Pss, check.check).is_none() {
                    missing.push((rule.id, check.check));
                }
            }
            match rule.guide_layer {
                Some(layer) if (1..=7).contains(&layer) => {}
                _ => missing.push((rule.id, "guide layer")),
            }
        }
        assert!(missing.is_empty(), "controls named by rules but not in the catalog: {missing:?}");
    }

    #[test]
    fn every_pss_control_and_layer_is_assessed_by_some_rule() {
        for framework in [Framework::Pss, Framework::Layers] {
            for control in framework.controls() {
                assert!(!rules_of(framework, control.id).is_empty(), "{framework:?} {}", control.id);
            }
        }
        assert_eq!(rules_of(Framework::Cis, "5.2.2"), ["pss-privileged"]);
        assert!(rules_of(Framework::Cis, "5.1.7").is_empty());
    }

    #[test]
    fn results_of_a_check_name_each_rule_that_applied_and_count_its_failures() {
        let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    rampart.dev/ignore: pss-privileged\n    rampart.dev/ignore-reason: lab\nspec:\n  containers:\n  - name: a\n    image: a:1\n    securityContext: {privileged: true}\n  - name: b\n    image: b\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\nspec:\n  hostNetwork: true\n  containers:\n  - name: a\n    image: a\n";
        let report = crate::engine::check(&[crate::parse::Source::new("pods.yaml", manifest)], &Default::default());
        // The same results, one rule id at a time.
        let mut expected = RuleResults::default();
        for object in &report.objects {
            expected.applied.extend(object.passed.iter().chain(&object.failed).map(|id| id.to_string()));
        }
        for finding in &report.findings {
            expected.applied.insert(finding.rule.to_string());
            if !finding.exempted {
                *expected.failed.entry(finding.rule.to_string()).or_default() += 1;
            }
        }
        let results = RuleResults::from_report(&report);
        assert_eq!(results, expected);
        assert!(report.findings.iter().any(|finding| finding.exempted), "an exempted finding is among them");
        assert!(results.failed.values().any(|count| *count > 1), "a rule failed more than once");
    }

    #[test]
    fn statuses_follow_the_rules() {
        let mut results = RuleResults::default();
        results.applied.insert("pss-privileged".into());
        results.add_findings([("pss-host-namespaces", false), ("pss-host-ports", true)]);
        let view = evaluate(Framework::Cis, &results);
        let status = |id: &str| view.controls.iter().find(|control| control.id == id).unwrap().status;
        assert_eq!(status("5.2.2"), Status::Pass);
        assert_eq!(status("5.2.3"), Status::Fail);
        assert_eq!(status("5.2.5"), Status::Fail);
        // Exempted findings do not fail a control, but show that its rule applied.
        assert_eq!(status("5.2.13"), Status::Pass);
        // Neither applied nor mapped: never passing.
        assert_eq!(status("5.2.6"), Status::NotAssessed);
        assert_eq!(status("5.1.7"), Status::NotAssessed);
        let counts = view.counts;
        assert_eq!((counts.pass, counts.fail), (2, 3));
        assert_eq!(counts.pass + counts.fail + counts.not_assessed, CIS.len() as u64);
        assert!(render_text(&view).contains("FAIL  5.2.3"));
    }
}
