//! What a ValidatingAdmissionPolicy's `matchConstraints` (and a binding's
//! `matchResources`) select, decided as the API server decides it for a CREATE: resource
//! rules by group, version, resource and scope (with `*`), resource names, excluded rules,
//! `matchPolicy` (Equivalent by default), and the namespace and object label selectors.

use crate::object::Object;
use crate::selector;
use crate::tree::Node;

/// The REST resource of an object: what resource rules name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceName {
    pub group: String,
    pub version: String,
    pub resource: String,
    pub namespaced: bool,
}

/// Built-in kinds: `(group, kind, resource, namespaced)`.
const KINDS: &[(&str, &str, &str, bool)] = &[
    ("", "Pod", "pods", true),
    ("", "Service", "services", true),
    ("", "ConfigMap", "configmaps", true),
    ("", "Secret", "secrets", true),
    ("", "ServiceAccount", "serviceaccounts", true),
    ("", "Namespace", "namespaces", false),
    ("", "Node", "nodes", false),
    ("", "PersistentVolume", "persistentvolumes", false),
    ("", "PersistentVolumeClaim", "persistentvolumeclaims", true),
    ("", "ReplicationController", "replicationcontrollers", true),
    ("", "PodTemplate", "podtemplates", true),
    ("", "Endpoints", "endpoints", true),
    ("", "LimitRange", "limitranges", true),
    ("", "ResourceQuota", "resourcequotas", true),
    ("", "Event", "events", true),
    ("apps", "Deployment", "deployments", true),
    ("apps", "ReplicaSet", "replicasets", true),
    ("apps", "StatefulSet", "statefulsets", true),
    ("apps", "DaemonSet", "daemonsets", true),
    ("apps", "ControllerRevision", "controllerrevisions", true),
    ("extensions", "Deployment", "deployments", true),
    ("extensions", "ReplicaSet", "replicasets", true),
    ("extensions", "DaemonSet", "daemonsets", true),
    ("extensions", "Ingress", "ingresses", true),
    ("extensions", "NetworkPolicy", "networkpolicies", true),
    ("batch", "Job", "jobs", true),
    ("batch", "CronJob", "cronjobs", true),
    ("networking.k8s.io", "Ingress", "ingresses", true),
    ("networking.k8s.io", "NetworkPolicy", "networkpolicies", true),
    ("networking.k8s.io", "IngressClass", "ingressclasses", false),
    ("rbac.authorization.k8s.io", "Role", "roles", true),
    ("rbac.authorization.k8s.io", "RoleBinding", "rolebindings", true),
    ("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", false),
    ("policy", "PodDisruptionBudget", "poddisruptionbudgets", true),
    ("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true),
    ("storage.k8s.io", "StorageClass", "storageclasses", false),
    ("scheduling.k8s.io", "PriorityClass", "priorityclasses", false),
    ("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions", false),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", false),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", false),
];

/// Groups whose resources are served under another group too (conversion makes a rule
/// for one match the other under `matchPolicy: Equivalent`).
const EQUIVALENT_GROUPS: &[(&str, &str, &str)] = &[
    ("apps", "extensions", "deployments"),
    ("apps", "extensions", "replicasets"),
    ("apps", "extensions", "daemonsets"),
    ("networking.k8s.io", "extensions", "ingresses"),
    ("networking.k8s.io", "extensions", "networkpolicies"),
];

/// The resource of a kind: the built-in table, else the kind lowercased and pluralised as
/// Kubernetes' REST mapper guesses (custom resources), namespaced when the object names a
/// namespace.
pub fn resource_of(api_version: &str, kind: &str, has_namespace: bool) -> ResourceName {
    let (group, version) = match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    };
    let (resource, namespaced) = KINDS
        .iter()
        .find(|(known_group, known_kind, ..)| *known_group == group && *known_kind == kind)
        .map(|(_, _, resource, namespaced)| (resource.to_string(), *namespaced))
        .unwrap_or_else(|| (plural(&kind.to_ascii_lowercase()), has_namespace));
    ResourceName { group: group.to_string(), version: version.to_string(), resource, namespaced }
}

/// Whether a kind is namespaced, when the table knows it.
pub fn known_scope(group: &str, kind: &str) -> Option<bool> {
    KINDS.iter().find(|(known_group, known_kind, ..)| *known_group == group && *known_kind == kind).map(|entry| entry.3)
}

fn plural(singular: &str) -> String {
    if let Some(stem) = singular.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    if singular.ends_with('s')
        || singular.ends_with('x')
        || singular.ends_with('z')
        || singular.ends_with("ch")
        || singular.ends_with("sh")
    {
        return format!("{singular}es");
    }
    format!("{singular}s")
}

/// What one object looks like to matching: its resource, name, labels, and its
/// namespace's labels (the Namespace of the input, or the label the API server gives
/// every namespace when the input lacks it).
pub struct Candidate<'a> {
    pub object: &'a Object,
    pub resource: ResourceName,
    pub namespace_labels: Option<&'a Node>,
    /// The namespace's name, for the `kubernetes.io/metadata.name` label when the input
    /// has no Namespace object.
    pub namespace_name: Option<&'a str>,
}

fn contains(list: &Node, wanted: &str) -> bool {
    list.items().iter().any(|item| item.as_str().is_some_and(|value| value == "*" || value == wanted))
}

/// One resource rule (`resourceRules[i]` or `excludeResourceRules[i]`).
fn rule_matches(rule: &Node, candidate: &Candidate<'_>, equivalent: bool) -> bool {
    let operations = rule.field("operations");
    if !operations.items().is_empty() && !contains(operations, "CREATE") {
        return false;
    }
    let resource = &candidate.resource;
    let resources_match = rule.field("resources").items().iter().filter_map(Node::as_str).any(|entry| {
        let (name, subresource) = entry.split_once('/').unwrap_or((entry, ""));
        (name == "*" || name == resource.resource) && (subresource == "*" || subresource.is_empty())
    });
    if !resources_match {
        return false;
    }
    let group_and_version =
        contains(rule.field("apiGroups"), &resource.group) && contains(rule.field("apiVersions"), &resource.version);
    let equivalent_match = equivalent && {
        let groups: Vec<&str> = std::iter::once(resource.group.as_str())
            .chain(EQUIVALENT_GROUPS.iter().filter_map(|(a, b, name)| {
                if *name != resource.resource {
                    None
                } else if *a == resource.group {
                    Some(*b)
                } else if *b == resource.group {
                    Some(*a)
                } else {
                    None
                }
            }))
            .collect();
        // Another version of the same resource (or of its equivalent group) is converted.
        groups.iter().any(|group| contains(rule.field("apiGroups"), group))
            && !rule.field("apiVersions").items().is_empty()
    };
    if !group_and_version && !equivalent_match {
        return false;
    }
    match rule.field("scope").as_str() {
        Some("Cluster") if resource.namespaced => return false,
        Some("Namespaced") if !resource.namespaced => return false,
        _ => {}
    }
    let names = rule.field("resourceNames");
    names.items().is_empty() || names.items().iter().any(|name| name.as_str() == Some(candidate.object.name.as_str()))
}

/// Whether `match_resources` (a policy's `matchConstraints` or a binding's
/// `matchResources`) selects the candidate. `require_rules`: a policy's constraints match
/// nothing without resource rules; a binding's match everything its policy matches.
pub fn matches(match_resources: &Node, candidate: &Candidate<'_>, require_rules: bool) -> bool {
    let equivalent = match_resources.field("matchPolicy").as_str() != Some("Exact");
    let rules = match_resources.field("resourceRules").items();
    if rules.is_empty() && require_rules {
        return false;
    }
    if !rules.is_empty() && !rules.iter().any(|rule| rule_matches(rule, candidate, equivalent)) {
        return false;
    }
    if match_resources
        .field("excludeResourceRules")
        .items()
        .iter()
        .any(|rule| rule_matches(rule, candidate, equivalent))
    {
        return false;
    }
    let object_selector = match_resources.field("objectSelector");
    if !object_selector.is_null() && !selector::matches(object_selector, candidate.object.labels()) {
        return false;
    }
    let namespace_selector = match_resources.field("namespaceSelector");
    if !namespace_selector.is_null() {
        let is_namespace = candidate.object.is("", "Namespace");
        if is_namespace {
            return namespace_selects(namespace_selector, candidate.object.labels(), Some(&candidate.object.name));
        }
        if candidate.resource.namespaced {
            return match candidate.namespace_labels {
                Some(labels) => namespace_selects(namespace_selector, labels, candidate.namespace_name),
                None => namespace_selects(
                    namespace_selector,
                    &Node::new(crate::tree::Value::Null, Default::default()),
                    candidate.namespace_name,
                ),
            };
        }
    }
    true
}

/// A namespace selector over a namespace's labels, with the `kubernetes.io/metadata.name`
/// label the API server sets on every namespace.
fn namespace_selects(selector_node: &Node, labels: &Node, name: Option<&str>) -> bool {
    let Some(name) = name else { return selector::matches(selector_node, labels) };
    if labels.get("kubernetes.io/metadata.name").is_some() {
        return selector::matches(selector_node, labels);
    }
    let mut entries = labels.entries().to_vec();
    entries.push(crate::tree::Entry {
        key: "kubernetes.io/metadata.name".into(),
        key_span: Default::default(),
        value: Node::new(crate::tree::Value::String(name.into()), Default::default()),
    });
    selector::matches(selector_node, &Node::new(crate::tree::Value::Map(entries.into()), Default::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_resources() {
        assert_eq!(resource_of("apps/v1", "Deployment", true).resource, "deployments");
        assert_eq!(
            resource_of("v1", "Namespace", false),
            ResourceName {
                group: String::new(),
                version: "v1".into(),
                resource: "namespaces".into(),
                namespaced: false
            }
        );
        assert_eq!(resource_of("rules.example.com/v1", "ReplicaLimit", false).resource, "replicalimits");
        assert_eq!(resource_of("example.com/v1", "Policy", true).resource, "policies");
        assert_eq!(resource_of("example.com/v1", "Gateway", true).resource, "gateways");
        assert_eq!(resource_of("example.com/v1", "Ingress", true).resource, "ingresses");
    }
}
