//! Family `network`: isolation between pods (NetworkPolicies, judged across objects) and
//! how Services and Ingresses expose workloads.

use crate::rules::Rule;

pub mod ingress_without_tls;
pub mod load_balancer_open_to_world;
pub mod namespace_without_default_deny;
pub mod pod_not_selected_by_network_policy;
pub mod policy;
pub mod service_external_ips;
pub mod service_node_port;

/// In catalog order.
pub static RULES: &[&Rule] = &[
    &namespace_without_default_deny::RULE,
    &pod_not_selected_by_network_policy::RULE,
    &service_node_port::RULE,
    &load_balancer_open_to_world::RULE,
    &service_external_ips::RULE,
    &ingress_without_tls::RULE,
];
