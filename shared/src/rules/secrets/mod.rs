//! Family `secrets`: credentials kept where they should not be.
//!
//! `credentials` recognises credential names and credential-shaped text for the rules of
//! the family. `secret-data-in-manifest` (manifest scope) is not here yet: it is written
//! separately and goes into the list below at its catalog place.

use crate::rules::Rule;

pub mod credential_in_configmap;
pub mod credential_in_env_literal;
pub mod credentials;
pub mod external_secret_no_rotation;
pub mod secret_data_in_manifest;
pub mod secret_in_env;

/// The family's object-scope rules in catalog order (RULES.md). `secret-data-in-manifest`
/// belongs between `credential-in-configmap` and `external-secret-no-rotation`.
pub static RULES: &[&Rule] = &[
    &secret_in_env::RULE,
    &credential_in_env_literal::RULE,
    &credential_in_configmap::RULE,
    &secret_data_in_manifest::RULE,
    &external_secret_no_rotation::RULE,
];
