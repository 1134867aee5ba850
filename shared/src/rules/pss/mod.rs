//! Family `pss`: the Pod Security Standards checks, exactly as Kubernetes' Pod Security
//! admission implements them, one rule per upstream check (see `crate::pss` for levels).

use crate::rules::Rule;

pub mod privileged;

pub static RULES: &[&Rule] = &[&privileged::RULE];
