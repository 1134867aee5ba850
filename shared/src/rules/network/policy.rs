//! What a NetworkPolicy does, read the way Kubernetes reads it.
//!
//! `policyTypes` defaults to `Ingress`, plus `Egress` when the policy has egress rules; a
//! policy that applies to a direction and lists no rules for it denies that direction to
//! the pods it selects. A missing `podSelector` is the empty selector (the field is a
//! plain struct in the API), so it selects every pod of the namespace.

use crate::object::Object;
use crate::selector;
use crate::tree::Node;

/// One direction of traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    fn type_name(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    fn rules_field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// The policy's `spec.podSelector` (a null node when absent, which selects every pod).
pub fn pod_selector(policy: &Object) -> &Node {
    policy.root.field("spec").field("podSelector")
}

/// Whether the policy applies to traffic in `direction`, with Kubernetes' defaulting.
pub fn applies_to(policy: &Object, direction: Direction) -> bool {
    let spec = policy.root.field("spec");
    let types = spec.field("policyTypes").items();
    if !types.is_empty() {
        return types.iter().any(|item| item.as_str() == Some(direction.type_name()));
    }
    match direction {
        Direction::Ingress => true,
        Direction::Egress => !spec.field("egress").items().is_empty(),
    }
}

/// Whether the policy selects every pod of its namespace and denies all traffic in
/// `direction` to them.
pub fn denies_all(policy: &Object, direction: Direction) -> bool {
    selector::is_empty(pod_selector(policy))
        && applies_to(policy, direction)
        && policy.root.field("spec").field(direction.rules_field()).items().is_empty()
}

/// Whether the policy selects pods carrying `labels`.
pub fn selects(policy: &Object, labels: &Node) -> bool {
    selector::matches(pod_selector(policy), labels)
}

/// `allow-web, default-deny`: the names of the policies considered, for messages.
pub fn names<'a>(policies: impl Iterator<Item = &'a Object>) -> String {
    let names: Vec<&str> = policies.map(|policy| policy.name.as_str()).collect();
    if names.is_empty() {
        "none in the input".to_string()
    } else {
        names.join(", ")
    }
}
