//! A deterministic generator of realistic Kubernetes manifests, for the engine benchmark
//! and for `cargo xtask gen-corpus`.
//!
//! The mix resembles what a team's repository or a `kubectl get -o yaml` export holds:
//! mostly Deployments (one to three containers, hardened, half-hardened or insecure
//! security contexts, resources, env, volumes, probes, labels), then Services, ConfigMaps,
//! RBAC (Roles, ClusterRoles, bindings), NetworkPolicies, ServiceAccounts, a few
//! StatefulSets, CronJobs, DaemonSets and Secrets, and the Namespaces they live in. A tiny
//! xorshift generator with a fixed seed makes every run produce the same bytes, without
//! the `rand` crate.
//!
//! This file lives beside the benchmark rather than in `rampart-core` so the engine stays
//! free of test-only code; the xtask includes it with `#[path]`.

/// A generated multi-document YAML stream.
pub struct Corpus {
    pub text: String,
    /// Number of Kubernetes objects (documents) in `text`.
    pub n_objects: usize,
}

/// The size the benchmark runs over.
pub const BENCH_OBJECTS: usize = 10_000;

/// Generates `n_objects` objects as one YAML stream; the same `n_objects` always gives the
/// same text.
pub fn generate(n_objects: usize) -> Corpus {
    let mut out = Out { text: String::with_capacity(n_objects * 1_500) };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut written = 0;
    for namespace in NAMESPACES.iter().filter(|namespace| **namespace != "default") {
        if written == n_objects {
            break;
        }
        namespace_object(&mut out, &mut rng, namespace);
        written += 1;
    }
    while written < n_objects {
        let name = app_name(&mut rng, written);
        let namespace = *rng.pick(&NAMESPACES);
        match rng.below(100) {
            0..=44 => workload(&mut out, &mut rng, WorkloadKind::Deployment, &name, namespace),
            45..=59 => service(&mut out, &mut rng, &name, namespace),
            60..=69 => config_map(&mut out, &mut rng, &name, namespace),
            70..=73 => service_account(&mut out, &mut rng, &name, namespace),
            74..=79 => role(&mut out, &mut rng, &name, namespace),
            80..=83 => role_binding(&mut out, &mut rng, &name, namespace),
            84..=89 => network_policy(&mut out, &mut rng, &name, namespace),
            90..=92 => workload(&mut out, &mut rng, WorkloadKind::StatefulSet, &name, namespace),
            93..=95 => workload(&mut out, &mut rng, WorkloadKind::CronJob, &name, namespace),
            96..=97 => workload(&mut out, &mut rng, WorkloadKind::DaemonSet, &name, namespace),
            _ => secret(&mut out, &mut rng, &name, namespace),
        }
        written += 1;
    }
    Corpus { text: out.text, n_objects }
}

/// xorshift64: small, fast, and good enough to vary manifests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with the given chance in percent.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn hex(&mut self, n_digits: usize) -> String {
        (0..n_digits).map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize])).collect()
    }
}

/// The YAML text being written, one indented line at a time.
struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, indent: usize, content: &str) {
        self.text.extend(std::iter::repeat_n(' ', indent));
        self.text.push_str(content);
        self.text.push('\n');
    }

    fn start_document(&mut self, api_version: &str, kind: &str) {
        if !self.text.is_empty() {
            self.text.push_str("---\n");
        }
        self.line(0, &format!("apiVersion: {api_version}"));
        self.line(0, &format!("kind: {kind}"));
    }
}

const NAMESPACES: [&str; 8] = ["default", "payments", "checkout", "search", "platform", "monitoring", "data", "web"];
const PREFIXES: [&str; 12] = [
    "payments", "checkout", "catalog", "search", "auth", "orders", "billing", "notify", "ledger", "media", "users",
    "cart",
];
const SUFFIXES: [&str; 8] = ["api", "worker", "gateway", "frontend", "sync", "indexer", "scheduler", "consumer"];
const TEAMS: [&str; 6] = ["team-payments", "team-search", "team-platform", "team-data", "team-web", "sre"];
const ENVIRONMENTS: [&str; 3] = ["production", "staging", "development"];
const REGISTRIES: [&str; 6] = [
    "",
    "docker.io/library/",
    "ghcr.io/acme/",
    "registry.company.com/",
    "quay.io/acme/",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/",
];
const IMAGES: [&str; 10] =
    ["nginx", "redis", "api", "worker", "envoy", "postgres", "node", "python", "busybox", "fluent-bit"];

fn app_name(rng: &mut Rng, serial: usize) -> String {
    format!("{}-{}-{serial}", rng.pick(&PREFIXES), rng.pick(&SUFFIXES))
}

fn metadata(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str, labelled: bool) {
    out.line(0, "metadata:");
    out.line(2, &format!("name: {name}"));
    if namespace != "default" || rng.chance(50) {
        out.line(2, &format!("namespace: {namespace}"));
    }
    if labelled {
        out.line(2, "labels:");
        out.line(4, &format!("app: {name}"));
        if rng.chance(80) {
            out.line(4, &format!("environment: {}", rng.pick(&ENVIRONMENTS)));
        }
        if rng.chance(70) {
            out.line(4, &format!("owner: {}", rng.pick(&TEAMS)));
        }
        if rng.chance(30) {
            out.line(4, "app.kubernetes.io/managed-by: helm");
            out.line(4, &format!("helm.sh/chart: {name}-1.{}.{}", rng.below(20), rng.below(10)));
        }
    }
}

fn namespace_object(out: &mut Out, rng: &mut Rng, name: &str) {
    out.start_document("v1", "Namespace");
    out.line(0, "metadata:");
    out.line(2, &format!("name: {name}"));
    out.line(2, "labels:");
    out.line(4, &format!("kubernetes.io/metadata.name: {name}"));
    if rng.chance(60) {
        let level = rng.pick(&["restricted", "baseline"]);
        out.line(4, &format!("pod-security.kubernetes.io/enforce: {level}"));
        out.line(4, "pod-security.kubernetes.io/warn: restricted");
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum WorkloadKind {
    Deployment,
    StatefulSet,
    CronJob,
    DaemonSet,
}

/// How much care the authors of a workload took.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    Hardened,
    Partial,
    Insecure,
}

fn workload(out: &mut Out, rng: &mut Rng, kind: WorkloadKind, name: &str, namespace: &str) {
    let (api_version, kind_name) = match kind {
        WorkloadKind::Deployment => ("apps/v1", "Deployment"),
        WorkloadKind::StatefulSet => ("apps/v1", "StatefulSet"),
        WorkloadKind::CronJob => ("batch/v1", "CronJob"),
        WorkloadKind::DaemonSet => ("apps/v1", "DaemonSet"),
    };
    let profile = match rng.below(100) {
        0..=34 => Profile::Hardened,
        35..=74 => Profile::Partial,
        _ => Profile::Insecure,
    };
    out.start_document(api_version, kind_name);
    metadata(out, rng, name, namespace, true);
    if rng.chance(25) {
        out.line(2, "annotations:");
        out.line(4, &format!("deployment.kubernetes.io/revision: \"{}\"", 1 + rng.below(40)));
        if rng.chance(10) {
            out.line(4, "rampart.dev/ignore: \"image-tag-latest, read-only-root-filesystem\"");
            out.line(4, "rampart.dev/ignore-reason: legacy image, tracked in JIRA-1234");
        }
    }
    out.line(0, "spec:");
    let pod_indent = match kind {
        WorkloadKind::CronJob => {
            out.line(2, &format!("schedule: \"{} {} * * *\"", rng.below(60), rng.below(24)));
            out.line(2, "concurrencyPolicy: Forbid");
            out.line(2, "successfulJobsHistoryLimit: 3");
            out.line(2, "jobTemplate:");
            out.line(4, "spec:");
            out.line(6, &format!("backoffLimit: {}", rng.below(6)));
            out.line(6, "template:");
            8
        }
        _ => {
            if kind != WorkloadKind::DaemonSet {
                out.line(2, &format!("replicas: {}", 1 + rng.below(6)));
            }
            if kind == WorkloadKind::StatefulSet {
                out.line(2, &format!("serviceName: {name}"));
            }
            if rng.chance(50) {
                out.line(2, "revisionHistoryLimit: 5");
            }
            out.line(2, "selector:");
            out.line(4, "matchLabels:");
            out.line(6, &format!("app: {name}"));
            if kind == WorkloadKind::Deployment && rng.chance(40) {
                out.line(2, "strategy:");
                out.line(4, "type: RollingUpdate");
                out.line(4, "rollingUpdate:");
                out.line(6, "maxSurge: 25%");
                out.line(6, "maxUnavailable: 0");
            }
            out.line(2, "template:");
            4
        }
    };
    out.line(pod_indent, "metadata:");
    out.line(pod_indent + 2, "labels:");
    out.line(pod_indent + 4, &format!("app: {name}"));
    out.line(pod_indent + 4, &format!("version: v{}.{}.{}", rng.below(4), rng.below(30), rng.below(10)));
    if rng.chance(30) {
        out.line(pod_indent + 2, "annotations:");
        out.line(pod_indent + 4, "prometheus.io/scrape: \"true\"");
        out.line(pod_indent + 4, "prometheus.io/port: \"9090\"");
    }
    out.line(pod_indent, "spec:");
    pod_spec(out, rng, pod_indent + 2, name, kind, profile);
    if kind == WorkloadKind::StatefulSet {
        out.line(2, "volumeClaimTemplates:");
        out.line(2, "- metadata:");
        out.line(4, "  name: data");
        out.line(4, "spec:");
        out.line(6, "accessModes: [ReadWriteOnce]");
        out.line(6, "storageClassName: fast-ssd");
        out.line(6, "resources:");
        out.line(8, "requests:");
        out.line(10, &format!("storage: {}Gi", 10 * (1 + rng.below(20))));
    }
}

fn pod_spec(out: &mut Out, rng: &mut Rng, indent: usize, name: &str, kind: WorkloadKind, profile: Profile) {
    let i = indent;
    if kind == WorkloadKind::CronJob {
        out.line(i, "restartPolicy: OnFailure");
    }
    if profile != Profile::Insecure || rng.chance(30) {
        out.line(i, &format!("serviceAccountName: {name}"));
    }
    match profile {
        Profile::Hardened => out.line(i, "automountServiceAccountToken: false"),
        Profile::Partial if rng.chance(40) => out.line(i, "automountServiceAccountToken: false"),
        _ => {}
    }
    if profile == Profile::Insecure || kind == WorkloadKind::DaemonSet {
        if rng.chance(25) {
            out.line(i, "hostNetwork: true");
        }
        if rng.chance(10) {
            out.line(i, "hostPID: true");
        }
    }
    match profile {
        Profile::Hardened => {
            out.line(i, "securityContext:");
            out.line(i + 2, "runAsNonRoot: true");
            out.line(i + 2, &format!("runAsUser: {}", 10_000 + rng.below(50_000)));
            out.line(i + 2, "runAsGroup: 10001");
            out.line(i + 2, "fsGroup: 10001");
            out.line(i + 2, "seccompProfile:");
            out.line(i + 4, "type: RuntimeDefault");
        }
        Profile::Partial if rng.chance(60) => {
            out.line(i, "securityContext:");
            out.line(i + 2, "runAsNonRoot: true");
            if rng.chance(50) {
                out.line(i + 2, "fsGroup: 2000");
            }
        }
        Profile::Insecure if rng.chance(30) => {
            out.line(i, "securityContext:");
            out.line(i + 2, "runAsUser: 0");
        }
        _ => {}
    }
    if rng.chance(10) {
        out.line(i, "initContainers:");
        container(out, rng, i, "init-migrations", profile, false);
    }
    out.line(i, "containers:");
    let n_containers = match rng.below(10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    for position in 0..n_containers {
        let container_name = match position {
            0 => rng.pick(&SUFFIXES).to_string(),
            1 => "envoy-sidecar".to_string(),
            _ => "log-shipper".to_string(),
        };
        container(out, rng, i, &container_name, profile, position == 0);
    }
    out.line(i, "volumes:");
    out.line(i, "- name: config");
    out.line(i + 2, "configMap:");
    out.line(i + 4, &format!("name: {name}-config"));
    out.line(i, "- name: tmp");
    out.line(i + 2, "emptyDir:");
    out.line(i + 4, "sizeLimit: 64Mi");
    if rng.chance(30) {
        out.line(i, "- name: tls");
        out.line(i + 2, "secret:");
        out.line(i + 4, &format!("secretName: {name}-tls"));
        out.line(i + 4, "defaultMode: 0400");
    }
    if profile == Profile::Insecure || kind == WorkloadKind::DaemonSet {
        out.line(i, "- name: host");
        out.line(i + 2, "hostPath:");
        let path = rng.pick(&["/var/log", "/var/run/docker.sock", "/", "/etc"]);
        out.line(i + 4, &format!("path: {path}"));
    }
    if rng.chance(20) {
        out.line(i, "nodeSelector:");
        out.line(i + 2, "kubernetes.io/os: linux");
        out.line(i + 2, &format!("node.kubernetes.io/instance-type: m5.{}", rng.pick(&["large", "xlarge", "2xlarge"])));
    }
    if kind == WorkloadKind::DaemonSet || rng.chance(10) {
        out.line(i, "tolerations:");
        out.line(i, "- key: node-role.kubernetes.io/control-plane");
        out.line(i + 2, "operator: Exists");
        out.line(i + 2, "effect: NoSchedule");
    }
}

fn image(rng: &mut Rng) -> String {
    let registry = rng.pick(&REGISTRIES);
    let name = rng.pick(&IMAGES);
    match rng.below(100) {
        0..=14 => format!("{registry}{name}:latest"),
        15..=24 => format!("{registry}{name}"),
        25..=79 => format!("{registry}{name}:{}.{}.{}", 1 + rng.below(3), rng.below(30), rng.below(12)),
        _ => format!("{registry}{name}@sha256:{}", rng.hex(64)),
    }
}

fn container(out: &mut Out, rng: &mut Rng, indent: usize, name: &str, profile: Profile, main: bool) {
    let i = indent + 2;
    out.line(indent, &format!("- name: {name}"));
    out.line(i, &format!("image: {}", image(rng)));
    if rng.chance(60) {
        out.line(i, &format!("imagePullPolicy: {}", rng.pick(&["IfNotPresent", "Always"])));
    }
    if rng.chance(30) {
        out.line(i, "args:");
        out.line(i, "- --port=8080");
        out.line(i, &format!("- --log-level={}", rng.pick(&["info", "debug", "warn"])));
    }
    if main {
        out.line(i, "ports:");
        out.line(i, "- name: http");
        out.line(i + 2, "containerPort: 8080");
        out.line(i + 2, "protocol: TCP");
        if profile == Profile::Insecure && rng.chance(20) {
            out.line(i + 2, "hostPort: 8080");
        }
        if rng.chance(40) {
            out.line(i, "- name: metrics");
            out.line(i + 2, "containerPort: 9090");
        }
    }
    out.line(i, "env:");
    out.line(i, "- name: LOG_LEVEL");
    out.line(i + 2, "value: info");
    out.line(i, "- name: POD_NAMESPACE");
    out.line(i + 2, "valueFrom:");
    out.line(i + 4, "fieldRef:");
    out.line(i + 6, "fieldPath: metadata.namespace");
    if main && rng.chance(50) {
        out.line(i, "- name: DATABASE_PASSWORD");
        out.line(i + 2, "valueFrom:");
        out.line(i + 4, "secretKeyRef:");
        out.line(i + 6, "name: database");
        out.line(i + 6, "key: password");
    }
    if profile == Profile::Insecure && rng.chance(30) {
        out.line(i, "- name: API_TOKEN");
        out.line(i + 2, &format!("value: \"{}\"", rng.hex(32)));
    }
    if rng.chance(15) {
        out.line(i, "envFrom:");
        out.line(i, "- configMapRef:");
        out.line(i + 4, "name: shared-settings");
    }
    let limits = rng.below(100);
    if limits < 85 {
        out.line(i, "resources:");
        out.line(i + 2, "requests:");
        out.line(i + 4, &format!("cpu: {}m", 50 * (1 + rng.below(10))));
        out.line(i + 4, &format!("memory: {}Mi", 64 * (1 + rng.below(8))));
        if limits < 60 {
            out.line(i + 2, "limits:");
            out.line(i + 4, &format!("cpu: \"{}\"", 1 + rng.below(2)));
            out.line(i + 4, &format!("memory: {}Mi", 512 * (1 + rng.below(4))));
        }
    }
    if main && rng.chance(60) {
        for probe in ["livenessProbe", "readinessProbe"] {
            out.line(i, &format!("{probe}:"));
            out.line(i + 2, "httpGet:");
            out.line(i + 4, &format!("path: /{}", if probe == "livenessProbe" { "healthz" } else { "ready" }));
            out.line(i + 4, "port: http");
            out.line(i + 2, &format!("initialDelaySeconds: {}", 5 * (1 + rng.below(6))));
            out.line(i + 2, "periodSeconds: 10");
        }
    }
    match profile {
        Profile::Hardened => {
            out.line(i, "securityContext:");
            out.line(i + 2, "allowPrivilegeEscalation: false");
            out.line(i + 2, "readOnlyRootFilesystem: true");
            out.line(i + 2, "runAsNonRoot: true");
            out.line(i + 2, "capabilities:");
            out.line(i + 4, "drop:");
            out.line(i + 4, "- ALL");
            if rng.chance(10) {
                out.line(i + 4, "add:");
                out.line(i + 4, "- NET_BIND_SERVICE");
            }
        }
        Profile::Partial => {
            if rng.chance(70) {
                out.line(i, "securityContext:");
                out.line(i + 2, "allowPrivilegeEscalation: false");
                if rng.chance(50) {
                    out.line(i + 2, "readOnlyRootFilesystem: true");
                }
                if rng.chance(50) {
                    out.line(i + 2, "capabilities:");
                    out.line(i + 4, "drop: [ALL]");
                }
            }
        }
        Profile::Insecure => match rng.below(4) {
            0 => {}
            1 => {
                out.line(i, "securityContext:");
                out.line(i + 2, "privileged: true");
            }
            2 => {
                out.line(i, "securityContext:");
                out.line(i + 2, "allowPrivilegeEscalation: true");
                out.line(i + 2, "runAsUser: 0");
                out.line(i + 2, "capabilities:");
                out.line(i + 4, "add: [NET_ADMIN, SYS_ADMIN]");
            }
            _ => {
                out.line(i, "securityContext:");
                out.line(i + 2, "readOnlyRootFilesystem: false");
                out.line(i + 2, "seccompProfile:");
                out.line(i + 4, "type: Unconfined");
            }
        },
    }
    out.line(i, "volumeMounts:");
    out.line(i, "- name: config");
    out.line(i + 2, "mountPath: /etc/app");
    out.line(i + 2, "readOnly: true");
    out.line(i, "- name: tmp");
    out.line(i + 2, "mountPath: /tmp");
}

fn service(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str) {
    out.start_document("v1", "Service");
    metadata(out, rng, name, namespace, true);
    out.line(0, "spec:");
    let kind = match rng.below(100) {
        0..=84 => "ClusterIP",
        85..=94 => "NodePort",
        _ => "LoadBalancer",
    };
    out.line(2, &format!("type: {kind}"));
    out.line(2, "selector:");
    out.line(4, &format!("app: {name}"));
    out.line(2, "ports:");
    out.line(2, "- name: http");
    out.line(4, "port: 80");
    out.line(4, "targetPort: http");
    out.line(4, "protocol: TCP");
    if kind == "NodePort" {
        out.line(4, &format!("nodePort: {}", 30_000 + rng.below(2_768)));
    }
    if rng.chance(30) {
        out.line(2, "- name: metrics");
        out.line(4, "port: 9090");
        out.line(4, "targetPort: 9090");
    }
}

fn config_map(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str) {
    out.start_document("v1", "ConfigMap");
    let labelled = rng.chance(60);
    metadata(out, rng, &format!("{name}-config"), namespace, labelled);
    out.line(0, "data:");
    out.line(2, &format!("LOG_LEVEL: {}", rng.pick(&["info", "debug", "warn"])));
    out.line(2, &format!("FEATURE_FLAGS: \"checkout-v2,search-{}\"", rng.below(100)));
    out.line(2, &format!("MAX_CONNECTIONS: \"{}\"", 10 * (1 + rng.below(50))));
    if rng.chance(60) {
        out.line(2, "application.yaml: |");
        out.line(4, "server:");
        out.line(6, "port: 8080");
        out.line(6, "shutdown: graceful");
        out.line(4, "database:");
        out.line(6, &format!("host: postgres.{namespace}.svc.cluster.local"));
        out.line(6, "pool: 20");
        out.line(4, "cache:");
        out.line(6, &format!("ttl: {}s", 30 * (1 + rng.below(20))));
    }
}

fn service_account(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str) {
    out.start_document("v1", "ServiceAccount");
    let labelled = rng.chance(50);
    metadata(out, rng, name, namespace, labelled);
    if rng.chance(50) {
        out.line(0, "automountServiceAccountToken: false");
    }
}

const RESOURCES: [&str; 8] =
    ["pods", "services", "configmaps", "secrets", "deployments", "jobs", "events", "endpoints"];

fn rbac_rules(out: &mut Out, rng: &mut Rng) {
    out.line(0, "rules:");
    if rng.chance(8) {
        out.line(0, "- apiGroups: [\"*\"]");
        out.line(2, "resources: [\"*\"]");
        out.line(2, "verbs: [\"*\"]");
        return;
    }
    for _ in 0..1 + rng.below(3) {
        let resource = rng.pick(&RESOURCES);
        let group = match *resource {
            "deployments" => "apps",
            "jobs" => "batch",
            _ => "",
        };
        out.line(0, &format!("- apiGroups: [\"{group}\"]"));
        out.line(2, &format!("resources: [\"{resource}\"]"));
        let verbs = match rng.below(10) {
            0..=5 => "[\"get\", \"list\", \"watch\"]",
            6..=8 => "[\"get\", \"list\", \"watch\", \"create\", \"update\", \"patch\", \"delete\"]",
            _ => "[\"*\"]",
        };
        out.line(2, &format!("verbs: {verbs}"));
    }
}

fn role(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str) {
    if rng.chance(30) {
        out.start_document("rbac.authorization.k8s.io/v1", "ClusterRole");
        metadata(out, rng, &format!("{name}-reader"), "default", false);
    } else {
        out.start_document("rbac.authorization.k8s.io/v1", "Role");
        let labelled = rng.chance(50);
        metadata(out, rng, name, namespace, labelled);
    }
    rbac_rules(out, rng);
}

fn role_binding(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str) {
    let cluster_wide = rng.chance(20);
    if cluster_wide {
        out.start_document("rbac.authorization.k8s.io/v1", "ClusterRoleBinding");
        metadata(out, rng, name, "default", false);
    } else {
        out.start_document("rbac.authorization.k8s.io/v1", "RoleBinding");
        let labelled = rng.chance(50);
        metadata(out, rng, name, namespace, labelled);
    }
    out.line(0, "subjects:");
    if rng.chance(85) {
        out.line(0, "- kind: ServiceAccount");
        out.line(2, &format!("name: {name}"));
        out.line(2, &format!("namespace: {namespace}"));
    } else {
        out.line(0, "- kind: Group");
        out.line(2, &format!("name: {}", rng.pick(&TEAMS)));
        out.line(2, "apiGroup: rbac.authorization.k8s.io");
    }
    out.line(0, "roleRef:");
    out.line(2, "apiGroup: rbac.authorization.k8s.io");
    match rng.below(100) {
        0..=4 => {
            out.line(2, "kind: ClusterRole");
            out.line(2, "name: cluster-admin");
        }
        5..=29 => {
            out.line(2, "kind: ClusterRole");
            out.line(2, &format!("name: {}", rng.pick(&["view", "edit"])));
        }
        _ if cluster_wide => {
            out.line(2, "kind: ClusterRole");
            out.line(2, &format!("name: {name}-reader"));
        }
        _ => {
            out.line(2, "kind: Role");
            out.line(2, &format!("name: {name}"));
        }
    }
}

fn network_policy(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str) {
    out.start_document("networking.k8s.io/v1", "NetworkPolicy");
    if rng.chance(30) {
        metadata(out, rng, &format!("default-deny-{name}"), namespace, false);
        out.line(0, "spec:");
        out.line(2, "podSelector: {}");
        out.line(2, "policyTypes:");
        out.line(2, "- Ingress");
        out.line(2, "- Egress");
        return;
    }
    metadata(out, rng, &format!("allow-{name}"), namespace, false);
    out.line(0, "spec:");
    out.line(2, "podSelector:");
    out.line(4, "matchLabels:");
    out.line(6, &format!("app: {name}"));
    let egress = rng.chance(40);
    out.line(2, "policyTypes:");
    out.line(2, "- Ingress");
    if egress {
        out.line(2, "- Egress");
    }
    out.line(2, "ingress:");
    out.line(2, "- from:");
    out.line(4, "- podSelector:");
    out.line(8, "matchLabels:");
    out.line(10, &format!("app: {}-{}", rng.pick(&PREFIXES), rng.pick(&SUFFIXES)));
    if rng.chance(40) {
        out.line(4, "- namespaceSelector:");
        out.line(8, "matchLabels:");
        out.line(10, &format!("kubernetes.io/metadata.name: {}", rng.pick(&NAMESPACES)));
    }
    out.line(4, "ports:");
    out.line(4, "- protocol: TCP");
    out.line(6, "port: 8080");
    if egress {
        out.line(2, "egress:");
        out.line(2, "- to:");
        out.line(4, "- ipBlock:");
        out.line(8, "cidr: 10.0.0.0/8");
        out.line(4, "ports:");
        out.line(4, "- protocol: TCP");
        out.line(6, "port: 5432");
    }
}

fn secret(out: &mut Out, rng: &mut Rng, name: &str, namespace: &str) {
    out.start_document("v1", "Secret");
    let labelled = rng.chance(50);
    metadata(out, rng, &format!("{name}-credentials"), namespace, labelled);
    out.line(0, "type: Opaque");
    if rng.chance(50) {
        out.line(0, "data:");
        out.line(2, &format!("username: {}", rng.pick(&["YWRtaW4=", "c2VydmljZQ==", "YXBw"])));
        out.line(2, &format!("password: {}", rng.hex(24)));
    } else {
        out.line(0, "stringData:");
        out.line(2, "username: app");
        out.line(2, &format!("password: \"{}\"", rng.hex(20)));
    }
}
