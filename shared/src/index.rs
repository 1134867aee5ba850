//! An index of the whole input, so a rule can look past its own object: a pod's
//! ServiceAccount, an object's Namespace, the NetworkPolicies of a namespace, the
//! admission webhooks and policy engines of the cluster.
//!
//! Findings about a namespace or the cluster as a whole are anchored on an object
//! ([`Anchors`]): the Namespace object, or else the first object of the namespace, and the
//! first object of the input.
//!
//! Context rules also ask whether the input is *complete* for their question: a cluster
//! scan always is; manifests are when they hold the Namespace object of the namespace in
//! question, or when the user says so (`--complete`).

use std::collections::{HashMap, HashSet};

use crate::object::Object;
use crate::rules::Mode;
use crate::tree::Node;

/// Namespaces Kubernetes creates for itself; namespace rules leave them out.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// Lookups across every object of one check, built before any object is checked.
///
/// The index owns what it keeps, and keeps only what context rules read: the
/// ServiceAccounts' token setting, the Namespace, NetworkPolicy, webhook and policy-engine
/// objects (few and small), and of each DaemonSet its name and images. So a host that
/// checks a large input in batches builds it first from the small kinds alone
/// ([`Index::reads`]) and then holds a batch at a time, not the whole input.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// `automountServiceAccountToken` of each ServiceAccount by (namespace, name);
    /// `None` when the ServiceAccount does not set it.
    service_accounts: HashMap<(String, String), Option<bool>>,
    /// Namespace objects by name.
    namespaces: HashMap<String, Object>,
    /// NetworkPolicies by namespace, in input order.
    network_policies: HashMap<String, Vec<Object>>,
    /// Every other object of interest to cluster-wide rules, in input order.
    webhooks: Vec<Object>,
    policy_engine_objects: Vec<Object>,
    daemon_sets: Vec<DaemonSetSummary>,
    /// What the reference rules read: read only when the index is built from the whole
    /// input ([`Index::build`]), never by a host that streams (see [`Index::whole_input`]).
    related: Related,
    /// Whether the input claims to hold everything (`--complete`, or a cluster scan).
    complete: bool,
}

/// The objects rules that follow references read: pod templates' labels, Services, Roles
/// and ClusterRoles.
#[derive(Clone, Debug, Default)]
struct Related {
    /// Whether [`Index::build`] read the whole input.
    read: bool,
    /// The labels of every pod template (workloads and Pods), by namespace.
    pod_labels: HashMap<String, Vec<Node>>,
    /// Services by (namespace, name).
    services: HashMap<(String, String), Object>,
    /// Roles by (namespace, name) and ClusterRoles by ("", name).
    roles: HashMap<(String, String), Object>,
}

/// What cluster-wide rules read of a DaemonSet: its name and its containers' images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonSetSummary {
    pub name: String,
    pub images: Vec<String>,
}

/// Which objects a check anchors findings about a whole namespace or cluster on: the first
/// object of the input (in the order objects are checked), and the first of each namespace.
/// Kept by the checker as objects go by, so the index needs no object positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anchors {
    /// The object is the first of the input with a kind.
    pub first_object: bool,
    /// The object is the first of its namespace (namespaced objects only).
    pub first_in_namespace: bool,
}

/// Hands out [`Anchors`] to objects in the order they are checked.
#[derive(Clone, Debug, Default)]
pub struct AnchorTracker {
    any_seen: bool,
    namespaces_seen: HashSet<String>,
}

impl AnchorTracker {
    /// The anchors of the next object checked.
    pub fn next(&mut self, object: &Object) -> Anchors {
        if object.kind.is_empty() {
            return Anchors::default();
        }
        let first_object = !std::mem::replace(&mut self.any_seen, true);
        let first_in_namespace = match &object.namespace {
            Some(namespace) if !self.namespaces_seen.contains(namespace) => {
                self.namespaces_seen.insert(namespace.clone());
                true
            }
            _ => false,
        };
        Anchors { first_object, first_in_namespace }
    }
}

impl Index {
    /// The rules that follow references to objects of any kind (a Service's pods, a
    /// binding's role, an Ingress's Services): they judge only an index built from the
    /// whole input ([`Index::build`]), and are left out when a host streams its objects
    /// (`readiness-probe-missing` then judges the controllers it always judges, not the
    /// Pods behind a Service).
    pub const WHOLE_INPUT_RULES: &'static [&'static str] = &[
        "readiness-probe-missing",
        "service-selects-nothing",
        "ingress-backend-missing",
        "network-policy-selects-nothing",
        "pdb-selects-nothing",
        "rbac-subject-can-exec",
        "rbac-subject-can-read-secrets",
        "rbac-subject-can-escalate",
        "rbac-binding-to-missing-role",
    ];

    /// An empty index; [`Index::add`] each object, or at least each object of the kinds
    /// [`Index::reads`].
    pub fn new(mode: Mode, complete: bool) -> Index {
        Index { complete: complete || mode == Mode::Cluster, ..Index::default() }
    }

    /// The index of these objects.
    pub fn build(objects: &[Object], mode: Mode, complete: bool) -> Index {
        let mut index = Index::new(mode, complete);
        index.related.read = true;
        for object in objects {
            index.add(object);
            index.add_related(object);
        }
        index
    }

    /// Whether objects of this kind (`group` empty for the core group) are read into the
    /// index: a host checking in batches must add every object of these kinds before it
    /// checks the first batch.
    pub fn reads(group: &str, kind: &str) -> bool {
        matches!(
            (group, kind),
            ("", "ServiceAccount" | "Namespace")
                | ("networking.k8s.io", "NetworkPolicy")
                | ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration")
                | ("kyverno.io", "ClusterPolicy" | "Policy")
                | ("constraints.gatekeeper.sh", _)
                | ("policy.sigstore.dev", "ClusterImagePolicy")
                | ("apps" | "extensions", "DaemonSet")
        )
    }

    /// Keeps what context rules read of this object (nothing, for most kinds).
    pub fn add(&mut self, object: &Object) {
        if object.kind.is_empty() {
            return;
        }
        match (object.group(), object.kind.as_str()) {
            ("", "ServiceAccount") => {
                let namespace = effective_namespace(object).to_string();
                let automount = object.root.field("automountServiceAccountToken").as_bool();
                self.service_accounts.insert((namespace, object.name.clone()), automount);
            }
            ("", "Namespace") => {
                self.namespaces.insert(object.name.clone(), object.clone());
            }
            ("networking.k8s.io", "NetworkPolicy") => {
                self.network_policies.entry(effective_namespace(object).to_string()).or_default().push(object.clone());
            }
            ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration") => {
                self.webhooks.push(object.clone())
            }
            ("kyverno.io", "ClusterPolicy" | "Policy") => self.policy_engine_objects.push(object.clone()),
            ("constraints.gatekeeper.sh", _) | ("policy.sigstore.dev", "ClusterImagePolicy") => {
                self.policy_engine_objects.push(object.clone())
            }
            ("apps" | "extensions", "DaemonSet") => {
                let images = object
                    .pod_spec()
                    .map(|pod| {
                        pod.containers()
                            .filter_map(|container| container.node.field("image").as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                self.daemon_sets.push(DaemonSetSummary { name: object.name.clone(), images });
            }
            _ => {}
        }
    }

    /// Keeps what the reference rules read of this object.
    fn add_related(&mut self, object: &Object) {
        if object.kind.is_empty() {
            return;
        }
        let key = || (effective_namespace(object).to_string(), object.name.clone());
        match (object.group(), object.kind.as_str()) {
            ("", "Service") => {
                self.related.services.insert(key(), object.clone());
            }
            ("rbac.authorization.k8s.io", "Role") => {
                self.related.roles.insert(key(), object.clone());
            }
            ("rbac.authorization.k8s.io", "ClusterRole") => {
                self.related.roles.insert((String::new(), object.name.clone()), object.clone());
            }
            _ => {
                if let Some(pod) = object.pod_spec() {
                    let labels = pod.metadata.field("labels").clone();
                    self.related.pod_labels.entry(effective_namespace(object).to_string()).or_default().push(labels);
                }
            }
        }
    }

    /// Whether the index was built from the whole input, so the objects a reference
    /// points at can be looked up ([`Index::pod_labels`], [`Index::service`],
    /// [`Index::role`]). A host that streams its objects in batches builds the index from
    /// the kinds [`Index::reads`] alone, and rules that follow references do not judge.
    pub fn whole_input(&self) -> bool {
        self.related.read
    }

    /// The labels of every pod template of a namespace (workloads and Pods).
    pub fn pod_labels(&self, namespace: &str) -> &[Node] {
        self.related.pod_labels.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// The Service of that namespace and name.
    pub fn service(&self, namespace: &str, name: &str) -> Option<&Object> {
        self.related.services.get(&(namespace.to_string(), name.to_string()))
    }

    /// The Services of a namespace, in no particular order.
    pub fn services(&self, namespace: &str) -> impl Iterator<Item = &Object> + '_ {
        let namespace = namespace.to_string();
        self.related.services.iter().filter(move |((of, _), _)| *of == namespace).map(|(_, service)| service)
    }

    /// The Role (`namespace` given) or ClusterRole (`None`) of that name.
    pub fn role(&self, namespace: Option<&str>, name: &str) -> Option<&Object> {
        self.related.roles.get(&(namespace.unwrap_or("").to_string(), name.to_string()))
    }

    /// The ServiceAccount's `automountServiceAccountToken`: `None` when the account is not
    /// in the input, `Some(None)` when it is but leaves the field unset.
    pub fn service_account_automount(&self, namespace: &str, name: &str) -> Option<Option<bool>> {
        self.service_accounts.get(&(namespace.to_string(), name.to_string())).copied()
    }

    /// The Namespace object of that name, when the input holds it.
    pub fn namespace(&self, name: &str) -> Option<&Object> {
        self.namespaces.get(name)
    }

    /// The NetworkPolicies of a namespace.
    pub fn network_policies(&self, namespace: &str) -> impl Iterator<Item = &Object> + '_ {
        self.network_policies.get(namespace).into_iter().flatten()
    }

    /// Whether the input holds everything about this namespace: its Namespace object is
    /// there, or the input is complete.
    pub fn namespace_complete(&self, namespace: &str) -> bool {
        self.complete || self.namespaces.contains_key(namespace)
    }

    /// Whether the input is complete for questions about the whole cluster.
    pub fn cluster_complete(&self) -> bool {
        self.complete
    }

    pub fn webhooks(&self) -> impl Iterator<Item = &Object> + '_ {
        self.webhooks.iter()
    }

    pub fn policy_engine_objects(&self) -> impl Iterator<Item = &Object> + '_ {
        self.policy_engine_objects.iter()
    }

    pub fn daemon_sets(&self) -> impl Iterator<Item = &DaemonSetSummary> + '_ {
        self.daemon_sets.iter()
    }
}

/// The namespace an object lives in as the API server would place it: its own, or
/// `default` for namespaced objects that name none.
pub fn effective_namespace(object: &Object) -> &str {
    object.namespace.as_deref().unwrap_or("default")
}

pub fn is_system_namespace(namespace: &str) -> bool {
    SYSTEM_NAMESPACES.contains(&namespace)
}

/// Reads a comma-separated annotation value (`"a, b,c"`) into its items.
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|item| !item.is_empty())
}

/// The `metadata.annotations` of a node.
pub fn annotations(root: &Node) -> &Node {
    root.field("metadata").field("annotations")
}
