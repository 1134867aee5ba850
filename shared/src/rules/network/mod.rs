//! Family `network`: isolation between pods (NetworkPolicies, judged across objects) and
//! how Services and Ingresses expose workloads.

use crate::rules::Rule;
use crate::selector::Labels;
use crate::tree::Node;

pub mod container_ssh_port;
pub mod ingress_backend_missing;
pub mod ingress_without_tls;
pub mod load_balancer_open_to_world;
pub mod namespace_without_default_deny;
pub mod network_policy_selects_nothing;
pub mod pod_not_selected_by_network_policy;
pub mod policy;
pub mod service_external_ips;
pub mod service_node_port;
pub mod service_selects_nothing;

/// In catalog order.
pub static RULES: &[&Rule] = &[
    &namespace_without_default_deny::RULE,
    &pod_not_selected_by_network_policy::RULE,
    &service_node_port::RULE,
    &load_balancer_open_to_world::RULE,
    &service_external_ips::RULE,
    &ingress_without_tls::RULE,
    &container_ssh_port::RULE,
    &service_selects_nothing::RULE,
    &ingress_backend_missing::RULE,
    &network_policy_selects_nothing::RULE,
];

/// Whether a Service's `spec.selector` (a plain map of labels, given) selects pods carrying
/// `labels`. A Service without a selector (or with an empty one) selects no pods: its
/// endpoints are managed by hand.
pub fn selects<L: Labels + ?Sized>(selector: &Node, labels: &L) -> bool {
    let selector = selector.entries();
    !selector.is_empty() && selector.iter().all(|entry| labels.label_reads_as(&entry.key, &entry.value))
}

/// `{app=web, tier=front}`: labels or a selector's labels, for messages.
pub fn show_labels(node: &Node) -> String {
    let shown: Vec<String> = node
        .entries()
        .iter()
        .map(|entry| format!("{}={}", entry.key, entry.value.as_text().unwrap_or_default()))
        .collect();
    format!("{{{}}}", shown.join(", "))
}
