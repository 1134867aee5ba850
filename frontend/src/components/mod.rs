//! The pieces the pages are built from. The playground's read its state from context
//! ([`crate::pages::playground::State`]) rather than through long prop lists; the
//! dashboard's ([`nav`], [`charts`], [`register_cluster`], [`findings_table`],
//! [`exemptions`], [`scans`], [`table`])
//! take what they show as props and load what they own through [`crate::api`].

pub mod charts;
pub mod editor;
pub mod exemptions;
pub mod findings_table;
pub mod fixed_manifest;
pub mod nav;
pub mod register_cluster;
pub mod results;
pub mod rule_docs;
pub mod scans;
pub mod settings_dialog;
pub mod table;
pub mod toolbar;
