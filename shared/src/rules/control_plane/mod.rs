//! Family `control-plane`: how the API server and the kubelets are configured, read from
//! the files that configure them: the kube-apiserver's static Pod manifest (its flags, see
//! [`flags`]), its `EncryptionConfiguration` (see [`encryption`]) and each node's
//! `KubeletConfiguration`.
//!
//! Unset flags are judged by the API server's own defaults, which are permissive
//! (anonymous requests allowed, profiling on, `AlwaysAllow` authorization). A
//! `KubeletConfiguration` file is judged by that file format's defaults, which are safe
//! (anonymous authentication off, `Webhook` authorization, read-only port 0), so only what
//! a file sets explicitly fails there (RULES.md).

use crate::object::Object;
use crate::rules::Rule;
use crate::tree::Node;

pub mod encryption;
pub mod flags;

pub mod apiserver_admission_plugins;
pub mod apiserver_anonymous_auth;
pub mod apiserver_audit_log;
pub mod apiserver_audit_log_retention;
pub mod apiserver_authorization_mode;
pub mod apiserver_encryption_at_rest;
pub mod apiserver_obsolete_admission_plugin;
pub mod apiserver_profiling;
pub mod apiserver_tls;
pub mod encryption_config_identity_first;
pub mod encryption_config_weak_provider;
pub mod kubelet_anonymous_auth;
pub mod kubelet_authorization_mode;
pub mod kubelet_read_only_port;

pub static RULES: &[&Rule] = &[
    &apiserver_anonymous_auth::RULE,
    &apiserver_authorization_mode::RULE,
    &apiserver_admission_plugins::RULE,
    &apiserver_audit_log::RULE,
    &apiserver_audit_log_retention::RULE,
    &apiserver_tls::RULE,
    &apiserver_encryption_at_rest::RULE,
    &apiserver_profiling::RULE,
    &apiserver_obsolete_admission_plugin::RULE,
    &encryption_config_identity_first::RULE,
    &encryption_config_weak_provider::RULE,
    &kubelet_anonymous_auth::RULE,
    &kubelet_authorization_mode::RULE,
    &kubelet_read_only_port::RULE,
];

/// The `KubeletConfiguration` of an object, when it is one.
pub fn kubelet_config(object: &Object) -> Option<&Node> {
    object.is("kubelet.config.k8s.io", "KubeletConfiguration").then_some(&object.root)
}
