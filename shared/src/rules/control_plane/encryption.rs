//! The API server's `EncryptionConfiguration`: which provider writes Secrets to etcd.
//!
//! Entries of `resources[]` are read in order and the first whose `resources` list covers
//! Secrets decides, as upstream: `secrets` (or `secrets.`, the core group written out),
//! `*.` (every resource of the core group) or `*.*` (every resource). Within that entry
//! the first provider encrypts new writes; the others only decrypt what is already stored.

use crate::object::Object;
use crate::tree::Node;

/// The `EncryptionConfiguration` of an object, when it is one.
pub fn encryption_config(object: &Object) -> Option<&Node> {
    object.is("apiserver.config.k8s.io", "EncryptionConfiguration").then_some(&object.root)
}

/// The entry of `resources[]` that decides how Secrets are stored.
#[derive(Debug)]
pub struct SecretsEntry<'a> {
    /// Index in `resources[]`.
    pub index: usize,
    /// How the entry names Secrets: `secrets`, `*.` or `*.*`.
    pub named_as: &'a str,
    pub providers: &'a [Node],
}

impl SecretsEntry<'_> {
    /// The first provider's type (`identity`, `aescbc`, `kms` …) and its field path.
    pub fn first_provider(&self) -> Option<(&str, String)> {
        let provider = self.providers.first()?;
        let name = provider.entries().first()?.key.as_str();
        Some((name, format!("resources[{}].providers[0].{name}", self.index)))
    }

    /// `resources[1] (through `*.*`)`: how messages name the entry.
    pub fn label(&self) -> String {
        match self.named_as {
            "secrets" | "secrets." => format!("resources[{}]", self.index),
            wildcard => format!("resources[{}] (through `{wildcard}`)", self.index),
        }
    }
}

fn covers_secrets(resource: &str) -> bool {
    matches!(resource, "secrets" | "secrets." | "*." | "*.*")
}

/// The entry that decides how Secrets are stored; `None` when no entry covers them.
pub fn secrets_entry(config: &Node) -> Option<SecretsEntry<'_>> {
    config.field("resources").items().iter().enumerate().find_map(|(index, entry)| {
        let named_as =
            entry.field("resources").items().iter().filter_map(Node::as_str).find(|name| covers_secrets(name))?;
        Some(SecretsEntry { index, named_as, providers: entry.field("providers").items() })
    })
}
