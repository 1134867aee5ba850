//! The pieces the pages are built from. Each reads the playground's state from context
//! ([`crate::pages::playground::State`]) rather than through long prop lists.

pub mod editor;
pub mod fixed_manifest;
pub mod results;
pub mod rule_docs;
pub mod settings_dialog;
pub mod toolbar;
