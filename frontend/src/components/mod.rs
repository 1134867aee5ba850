//! The pieces the pages are built from. The playground's read its state from context
//! ([`crate::playground::State`]) rather than through long prop lists; the
//! dashboard's ([`nav`], [`charts`], [`register_cluster`] with [`agent_setup`],
//! [`agent_wait`], [`reader_setup`] and [`copy_block`], [`findings_table`],
//! [`exemptions`], [`scans`], [`scores`], [`table`], [`cluster_checkboxes`], and the settings'
//! [`subscriptions`], [`webhooks`], [`outbox`] and [`password_form`])
//! take what they show as props and load what they own through [`crate::api`], as Leptos
//! resources and actions ([`loading`]: reloading while a scan runs, keeping the last answer).

pub mod agent_setup;
pub mod agent_wait;
pub mod charts;
pub mod cluster_checkboxes;
pub mod copy_block;
pub mod editor;
pub mod exemptions;
pub mod findings_table;
pub mod fixed_manifest;
pub mod loading;
pub mod nav;
pub mod outbox;
pub mod password_form;
pub mod policies;
pub mod reader_setup;
pub mod register_cluster;
pub mod results;
pub mod rule_docs;
pub mod scans;
pub mod scores;
pub mod settings_dialog;
pub mod subscriptions;
pub mod table;
pub mod team_policies;
pub mod toolbar;
pub mod webhooks;
