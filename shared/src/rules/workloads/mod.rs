//! Family `workloads`: how pods run — identity, filesystem, host access, resources,
//! service account tokens and labels.

use crate::rules::Rule;

pub mod read_only_root_filesystem;

pub static RULES: &[&Rule] = &[&read_only_root_filesystem::RULE];
