//! An index of the whole input, so a rule can look past its own object: a pod's
//! ServiceAccount, an object's Namespace, the NetworkPolicies of a namespace, the
//! admission webhooks and policy engines of the cluster.
//!
//! Context rules also ask whether the input is *complete* for their question: a cluster
//! scan always is; manifests are when they hold the Namespace object of the namespace in
//! question, or when the user says so (`--complete`).

use std::collections::HashMap;

use crate::object::Object;
use crate::rules::Mode;
use crate::tree::Node;

/// Namespaces Kubernetes creates for itself; namespace rules leave them out.
pub const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// Lookups across every object of one check.
#[derive(Debug, Default)]
pub struct Index<'a> {
    objects: &'a [Object],
    /// `automountServiceAccountToken` of each ServiceAccount by (namespace, name);
    /// `None` when the ServiceAccount does not set it.
    service_accounts: HashMap<(String, String), Option<bool>>,
    /// Namespace objects by name (position in the objects).
    namespaces: HashMap<String, usize>,
    /// The first object of each namespace (where a namespace finding points when the
    /// Namespace object itself is not in the input).
    first_in_namespace: HashMap<String, usize>,
    /// NetworkPolicies by namespace.
    network_policies: HashMap<String, Vec<usize>>,
    /// Every other object of interest to cluster-wide rules, in input order.
    webhooks: Vec<usize>,
    policy_engine_objects: Vec<usize>,
    daemon_sets: Vec<usize>,
    /// Whether the input claims to hold everything (`--complete`, or a cluster scan).
    complete: bool,
}

impl<'a> Index<'a> {
    pub fn build(objects: &'a [Object], mode: Mode, complete: bool) -> Index<'a> {
        let mut index = Index { objects, complete: complete || mode == Mode::Cluster, ..Index::default() };
        for (position, object) in objects.iter().enumerate() {
            if object.kind.is_empty() {
                continue;
            }
            if let Some(namespace) = &object.namespace {
                index.first_in_namespace.entry(namespace.clone()).or_insert(position);
            }
            match (object.group(), object.kind.as_str()) {
                ("", "ServiceAccount") => {
                    let namespace = effective_namespace(object).to_string();
                    let automount = object.root.field("automountServiceAccountToken").as_bool();
                    index.service_accounts.insert((namespace, object.name.clone()), automount);
                }
                ("", "Namespace") => {
                    index.namespaces.insert(object.name.clone(), position);
                }
                ("networking.k8s.io", "NetworkPolicy") => {
                    index.network_policies.entry(effective_namespace(object).to_string()).or_default().push(position);
                }
                ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration") => {
                    index.webhooks.push(position)
                }
                ("kyverno.io", "ClusterPolicy" | "Policy") => index.policy_engine_objects.push(position),
                ("constraints.gatekeeper.sh", _) | ("policy.sigstore.dev", "ClusterImagePolicy") => {
                    index.policy_engine_objects.push(position)
                }
                ("apps" | "extensions", "DaemonSet") => index.daemon_sets.push(position),
                _ => {}
            }
        }
        index
    }

    /// The ServiceAccount's `automountServiceAccountToken`: `None` when the account is not
    /// in the input, `Some(None)` when it is but leaves the field unset.
    pub fn service_account_automount(&self, namespace: &str, name: &str) -> Option<Option<bool>> {
        self.service_accounts.get(&(namespace.to_string(), name.to_string())).copied()
    }

    /// The Namespace object of that name, when the input holds it.
    pub fn namespace(&self, name: &str) -> Option<&'a Object> {
        self.namespaces.get(name).map(|&position| &self.objects[position])
    }

    /// The NetworkPolicies of a namespace.
    pub fn network_policies(&self, namespace: &str) -> impl Iterator<Item = &'a Object> + '_ {
        self.network_policies.get(namespace).into_iter().flatten().map(|&position| &self.objects[position])
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

    /// The object a finding about a namespace as a whole is attached to: the Namespace
    /// object, or, when the input does not hold it, the first object of that namespace.
    pub fn namespace_anchor(&self, namespace: &str) -> Option<&'a Object> {
        self.namespace(namespace)
            .or_else(|| self.first_in_namespace.get(namespace).map(|&position| &self.objects[position]))
    }

    /// Names of every namespace the input mentions (by Namespace object or by objects in it).
    pub fn namespace_names(&self) -> impl Iterator<Item = &str> {
        let mut names: Vec<&str> =
            self.namespaces.keys().chain(self.first_in_namespace.keys()).map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter()
    }

    pub fn webhooks(&self) -> impl Iterator<Item = &'a Object> + '_ {
        self.webhooks.iter().map(|&position| &self.objects[position])
    }

    pub fn policy_engine_objects(&self) -> impl Iterator<Item = &'a Object> + '_ {
        self.policy_engine_objects.iter().map(|&position| &self.objects[position])
    }

    pub fn daemon_sets(&self) -> impl Iterator<Item = &'a Object> + '_ {
        self.daemon_sets.iter().map(|&position| &self.objects[position])
    }

    /// The first object of the input with a kind (where cluster-wide findings are anchored).
    pub fn first_object(&self) -> Option<&'a Object> {
        self.objects.iter().find(|object| !object.kind.is_empty())
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
