//! Family `images`: where container images come from and how they are referenced.
//!
//! `reference` parses image references for every rule of the family.

use crate::rules::Rule;

pub mod image_not_pinned_by_digest;
pub mod image_pull_policy_not_always;
pub mod image_registry_not_allowed;
pub mod image_tag_latest;
pub mod reference;

/// The family's rules in catalog order (RULES.md).
pub static RULES: &[&Rule] = &[
    &image_tag_latest::RULE,
    &image_pull_policy_not_always::RULE,
    &image_not_pinned_by_digest::RULE,
    &image_registry_not_allowed::RULE,
];
