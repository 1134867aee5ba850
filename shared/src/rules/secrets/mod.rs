//! Family `secrets`: credentials kept where they should not be.

use crate::rules::Rule;

pub static RULES: &[&Rule] = &[];
