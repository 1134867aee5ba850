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
use std::hash::{Hash, Hasher};

use crate::object::Object;
use crate::rules::Mode;
use crate::tree::{Node, Value};

/// Namespaces Kubernetes creates for itself; namespace rules leave them out.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// Lookups across every object of one check, built before any object is checked.
///
/// The index owns what it keeps, and keeps only what context rules read: the
/// ServiceAccounts' token setting, the Namespace, NetworkPolicy, webhook and policy-engine
/// objects (few and small), of each DaemonSet its name and images, of each Service its
/// selector and ports, of each Role and ClusterRole its rules, and the distinct label sets
/// of each namespace's pod templates. So a host that checks a large input in batches
/// builds it first from the kinds [`Index::reads`] alone and then holds a batch at a time,
/// not the whole input; the [`crate::engine::Checker`] adds the pod labels of the objects
/// it checks, and such a host checks the kinds [`Index::checks_after_pods`] after every
/// object with a pod template (or adds every object with a pod template to the index
/// first).
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
    /// What the rules that follow references read.
    related: Related,
    /// Whether every pod template of the input is in [`Related::pod_labels`] already
    /// ([`Index::build`]), so a checker adds none.
    pods_complete: bool,
    /// Whether the input claims to hold everything (`--complete`, or a cluster scan).
    complete: bool,
}

/// What the rules that follow references read: pod templates' labels, Services' selectors
/// and ports, Roles' and ClusterRoles' rules.
#[derive(Clone, Debug, Default)]
struct Related {
    /// The distinct label sets of the pod templates (workloads and Pods), by namespace.
    pod_labels: HashMap<String, HashSet<LabelSet>>,
    /// Services by (namespace, name).
    services: HashMap<(String, String), ServiceSummary>,
    /// The `rules` of Roles by (namespace, name) and of ClusterRoles by ("", name).
    roles: HashMap<(String, String), Node>,
}

/// The labels of a pod template, as text, sorted by key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LabelSet(Vec<(Box<str>, Box<str>)>);

impl LabelSet {
    /// The labels of a mapping node (values read as text; others left out).
    pub fn of(labels: &Node) -> LabelSet {
        let mut pairs: Vec<(Box<str>, Box<str>)> = labels
            .entries()
            .iter()
            .filter_map(|entry| Some((entry.key.as_str().into(), entry.value.as_text()?.into())))
            .collect();
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        LabelSet(pairs)
    }
}

impl crate::selector::Labels for LabelSet {
    fn label(&self, key: &str) -> Option<String> {
        let at = self.0.binary_search_by(|(name, _)| (**name).cmp(key)).ok()?;
        Some(self.0[at].1.to_string())
    }

    fn label_str(&self, key: &str) -> Option<Option<&str>> {
        Some(self.0.binary_search_by(|(name, _)| (**name).cmp(key)).ok().map(|at| &*self.0[at].1))
    }
}

/// What the reference rules read of a Service: its `spec.selector` and `spec.ports`.
#[derive(Clone, Debug)]
pub struct ServiceSummary {
    pub selector: Node,
    pub ports: Node,
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

/// Feeds a node's content to `hasher`: its values and keys, in order, without positions,
/// so two nodes that read alike hash alike wherever they stand in their sources.
pub fn hash_content(node: &Node, hasher: &mut impl Hasher) {
    match &node.value {
        Value::Null => hasher.write_u8(0),
        Value::Bool(value) => {
            hasher.write_u8(1);
            hasher.write_u8(u8::from(*value));
        }
        Value::Int(value) => {
            hasher.write_u8(2);
            hasher.write_i64(*value);
        }
        Value::Float(value) => {
            hasher.write_u8(3);
            hasher.write_u64(value.to_bits());
        }
        Value::String(text) => {
            hasher.write_u8(4);
            hasher.write_usize(text.len());
            hasher.write(text.as_bytes());
        }
        Value::Seq(items) => {
            hasher.write_u8(5);
            hasher.write_usize(items.len());
            for item in items {
                hash_content(item, hasher);
            }
        }
        Value::Map(entries) => {
            hasher.write_u8(6);
            hasher.write_usize(entries.len());
            for entry in entries {
                hasher.write_usize(entry.key.len());
                hasher.write(entry.key.as_bytes());
                hash_content(&entry.value, hasher);
            }
        }
    }
}

impl Index {
    /// An empty index; [`Index::add`] each object, or at least each object of the kinds
    /// [`Index::reads`].
    pub fn new(mode: Mode, complete: bool) -> Index {
        Index { complete: complete || mode == Mode::Cluster, ..Index::default() }
    }

    /// The index of these objects.
    pub fn build(objects: &[Object], mode: Mode, complete: bool) -> Index {
        let mut index = Index::new(mode, complete);
        for object in objects {
            index.add(object);
        }
        index.pods_complete = true;
        index
    }

    /// Whether objects of this kind (`group` empty for the core group) are read into the
    /// index: a host checking in batches must add every object of these kinds before it
    /// checks the first batch.
    pub fn reads(group: &str, kind: &str) -> bool {
        matches!(
            (group, kind),
            ("", "ServiceAccount" | "Namespace" | "Service")
                | ("networking.k8s.io", "NetworkPolicy")
                | ("rbac.authorization.k8s.io", "Role" | "ClusterRole")
                | ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration")
                | ("kyverno.io", "ClusterPolicy" | "Policy")
                | ("constraints.gatekeeper.sh", _)
                | ("policy.sigstore.dev", "ClusterImagePolicy")
                | ("apps" | "extensions", "DaemonSet")
        )
    }

    /// Whether objects of this kind are judged by what the pod templates of their namespace
    /// are (a Service, NetworkPolicy or PodDisruptionBudget that selects nothing): a host
    /// that checks in batches, and has not added every object with a pod template to the
    /// index beforehand, checks them after every object with a pod template.
    pub fn checks_after_pods(group: &str, kind: &str) -> bool {
        matches!(
            (group, kind),
            ("", "Service") | ("networking.k8s.io", "NetworkPolicy") | ("policy", "PodDisruptionBudget")
        )
    }

    /// Whether the pod labels of every object of the input are in the index already.
    pub fn pods_complete(&self) -> bool {
        self.pods_complete
    }

    /// Keeps the labels of the object's pod template, if it has one (once per distinct
    /// set of labels in a namespace).
    pub fn add_pod_labels(&mut self, object: &Object) {
        if object.kind.is_empty() {
            return;
        }
        let Some(pod) = object.pod_spec() else { return };
        let labels = LabelSet::of(pod.metadata.field("labels"));
        let namespace = effective_namespace(object);
        match self.related.pod_labels.get_mut(namespace) {
            Some(sets) => {
                if !sets.contains(&labels) {
                    sets.insert(labels);
                }
            }
            None => {
                self.related.pod_labels.insert(namespace.to_string(), HashSet::from([labels]));
            }
        }
    }

    /// Which objects' checks read what [`Index::add`] keeps of this object: `None` when it
    /// keeps nothing (pod labels aside, which only the kinds [`Index::checks_after_pods`]
    /// read), `Some(Some(namespace))` when only objects of that namespace read it (each
    /// object reads the Namespace, ServiceAccounts, NetworkPolicies, Services and Roles of
    /// its own namespace, [`effective_namespace`], a Namespace object those of its own name),
    /// `Some(None)` when objects of any namespace may. Kept in step with [`Index::add`] and
    /// the index's accessors.
    pub fn kept_for(object: &Object) -> Option<Option<&str>> {
        if object.kind.is_empty() {
            return None;
        }
        match (object.group(), object.kind.as_str()) {
            ("", "Namespace") => Some(Some(object.name.as_str())),
            ("", "ServiceAccount" | "Service")
            | ("networking.k8s.io", "NetworkPolicy")
            | ("rbac.authorization.k8s.io", "Role") => Some(Some(effective_namespace(object))),
            _ if Index::reads(object.group(), &object.kind) => Some(None),
            _ => None,
        }
    }

    /// Feeds `hasher` with what [`Index::add`] keeps of this object (nothing, for most
    /// kinds; pod labels aside, which only the kinds [`Index::checks_after_pods`] read): two
    /// inputs whose objects hash alike here, in the same order, build indexes that answer
    /// every rule alike but for pod labels. Kept in step with [`Index::add`].
    pub fn hash_kept(object: &Object, hasher: &mut impl Hasher) {
        if object.kind.is_empty() {
            return;
        }
        let kept: &[&Node] = match (object.group(), object.kind.as_str()) {
            ("", "ServiceAccount") => &[object.root.field("automountServiceAccountToken")],
            ("", "Namespace")
            | ("networking.k8s.io", "NetworkPolicy")
            | ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration")
            | ("kyverno.io", "ClusterPolicy" | "Policy")
            | ("constraints.gatekeeper.sh", _)
            | ("policy.sigstore.dev", "ClusterImagePolicy") => &[&object.root],
            ("apps" | "extensions", "DaemonSet") => {
                let images: Vec<Option<&str>> = object
                    .pod_spec()
                    .map(|pod| pod.containers().map(|container| container.node.field("image").as_str()).collect())
                    .unwrap_or_default();
                images.hash(hasher);
                &[]
            }
            ("", "Service") => {
                let spec = object.root.field("spec");
                &[spec.field("selector"), spec.field("ports")]
            }
            ("rbac.authorization.k8s.io", "Role" | "ClusterRole") => &[object.root.field("rules")],
            _ => return,
        };
        (object.group(), object.kind.as_str(), object.namespace.as_deref(), object.name.as_str()).hash(hasher);
        for node in kept {
            hash_content(node, hasher);
        }
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
            ("", "Service") => {
                let spec = object.root.field("spec");
                let summary =
                    ServiceSummary { selector: spec.field("selector").clone(), ports: spec.field("ports").clone() };
                self.related.services.insert((effective_namespace(object).to_string(), object.name.clone()), summary);
            }
            ("rbac.authorization.k8s.io", "Role") => {
                let key = (effective_namespace(object).to_string(), object.name.clone());
                self.related.roles.insert(key, object.root.field("rules").clone());
            }
            ("rbac.authorization.k8s.io", "ClusterRole") => {
                self.related.roles.insert((String::new(), object.name.clone()), object.root.field("rules").clone());
            }
            _ => {}
        }
        self.add_pod_labels(object);
    }

    /// The label sets of the pod templates of a namespace (workloads and Pods).
    pub fn pod_labels(&self, namespace: &str) -> impl Iterator<Item = &LabelSet> + '_ {
        self.related.pod_labels.get(namespace).into_iter().flatten()
    }

    /// The Service of that namespace and name.
    pub fn service(&self, namespace: &str, name: &str) -> Option<&ServiceSummary> {
        self.related.services.get(&(namespace.to_string(), name.to_string()))
    }

    /// The Services of a namespace, in no particular order.
    pub fn services(&self, namespace: &str) -> impl Iterator<Item = &ServiceSummary> + '_ {
        let namespace = namespace.to_string();
        self.related.services.iter().filter(move |((of, _), _)| *of == namespace).map(|(_, service)| service)
    }

    /// The `rules` of the Role (`namespace` given) or ClusterRole (`None`) of that name.
    pub fn role_rules(&self, namespace: Option<&str>, name: &str) -> Option<&Node> {
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
