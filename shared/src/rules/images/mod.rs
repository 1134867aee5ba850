//! Family `images`: where container images come from and how they are referenced.

use crate::rules::Rule;

pub static RULES: &[&Rule] = &[];
