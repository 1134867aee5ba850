//! Family `workloads`: how pods run — identity, filesystem, host access, resources,
//! service account tokens and labels.
//!
//! `host_path` and `resources` are helpers shared by several rules of the family.

use crate::rules::Rule;

pub mod api_version_deprecated;
pub mod api_version_removed;
pub mod api_versions;
pub mod container_runtime_socket;
pub mod cpu_limit_missing;
pub mod cpu_request_missing;
pub mod default_service_account;
pub mod env_duplicate_name;
pub mod fs_group_missing;
pub mod host_aliases;
pub mod host_path;
pub mod host_users_shared;
pub mod liveness_probe_missing;
pub mod memory_limit_missing;
pub mod memory_request_missing;
pub mod pdb_selects_nothing;
pub mod probes;
pub mod read_only_root_filesystem;
pub mod readiness_probe_missing;
pub mod required_labels_missing;
pub mod resources;
pub mod run_as_group_root;
pub mod run_as_high_uid;
pub mod sensitive_host_path;
pub mod service_account_token_automount;
pub mod workload_in_default_namespace;

/// The family's rules in catalog order (RULES.md).
pub static RULES: &[&Rule] = &[
    &read_only_root_filesystem::RULE,
    &run_as_high_uid::RULE,
    &fs_group_missing::RULE,
    &container_runtime_socket::RULE,
    &sensitive_host_path::RULE,
    &memory_limit_missing::RULE,
    &cpu_limit_missing::RULE,
    &memory_request_missing::RULE,
    &cpu_request_missing::RULE,
    &service_account_token_automount::RULE,
    &default_service_account::RULE,
    &workload_in_default_namespace::RULE,
    &required_labels_missing::RULE,
    &liveness_probe_missing::RULE,
    &readiness_probe_missing::RULE,
    &run_as_group_root::RULE,
    &host_users_shared::RULE,
    &host_aliases::RULE,
    &env_duplicate_name::RULE,
    &pdb_selects_nothing::RULE,
    &api_version_deprecated::RULE,
    &api_version_removed::RULE,
];

/// Runs one rule over every object of a YAML text, for the family's tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::config::Config;
    use crate::rules::{Mode, Outcome, Rule};

    /// The outcome of `rule` for each object of `yaml`, in order.
    pub fn outcomes(rule: &Rule, yaml: &str, config: &Config, mode: Mode) -> Vec<Outcome> {
        crate::rules::testing::outcomes(rule, yaml, config, mode, crate::pss::NEWEST_MINOR)
    }

    /// The violations of `rule` for the last object of `yaml` (path, message), with the
    /// default configuration in manifest mode; panics when the rule does not apply.
    pub fn violations(rule: &Rule, yaml: &str) -> Vec<(String, String)> {
        match outcomes(rule, yaml, &Config::default(), Mode::Manifests).pop() {
            Some(Outcome::Checked(violations)) => {
                violations.into_iter().map(|violation| (violation.path, violation.message)).collect()
            }
            other => panic!("{} did not apply: {other:?}", rule.id),
        }
    }
}
