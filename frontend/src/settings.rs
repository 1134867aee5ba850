//! The playground's settings: what a person may change about the check, kept in the
//! browser's local storage between visits.
//!
//! Stored as JSON under [`STORAGE_KEY`]. Reading is lenient on purpose: a setting that no
//! longer exists, or a rule id that was never known, is dropped rather than breaking the
//! page of someone who visited an older version.

use rampart_core::config::{Config, DEFAULT_REQUIRED_LABELS};
use rampart_core::{pss, Options};
use serde::{Deserialize, Serialize};

/// The local-storage key; bump the suffix if the meaning of a field ever changes.
pub const STORAGE_KEY: &str = "rampart.playground.settings.v1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Pod Security Standards version: `latest` or `v1.N`.
    pub pss_version: String,
    /// Ids of rules switched off.
    pub disabled_rules: Vec<String>,
    /// Labels `required-labels-missing` asks for.
    pub required_labels: Vec<String>,
    /// Registries images may come from; empty means no allow-list.
    pub allowed_registries: Vec<String>,
    /// The manifests are the whole picture: rules looking for related objects (a
    /// namespace's NetworkPolicies) may conclude they are missing.
    pub complete: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pss_version: "latest".to_string(),
            disabled_rules: Vec::new(),
            required_labels: DEFAULT_REQUIRED_LABELS.iter().map(|label| label.to_string()).collect(),
            allowed_registries: Vec::new(),
            complete: false,
        }
    }
}

impl Settings {
    /// Reads stored settings; anything unreadable gives the defaults.
    pub fn from_json(text: &str) -> Settings {
        let mut settings: Settings = serde_json::from_str(text).unwrap_or_default();
        settings.disabled_rules.retain(|id| rampart_core::rules::find(id).is_some());
        if pss::parse_version(&settings.pss_version).is_err() {
            settings.pss_version = Settings::default().pss_version;
        }
        settings
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn is_enabled(&self, rule_id: &str) -> bool {
        !self.disabled_rules.iter().any(|id| id == rule_id)
    }

    pub fn set_enabled(&mut self, rule_id: &str, enabled: bool) {
        self.disabled_rules.retain(|id| id != rule_id);
        if !enabled {
            self.disabled_rules.push(rule_id.to_string());
        }
    }

    /// The engine's options for these settings.
    pub fn options(&self) -> Options {
        let config = Config {
            disable: self.disabled_rules.clone(),
            required_labels: self.required_labels.clone(),
            allowed_registries: self.allowed_registries.clone(),
            pss_version: Some(self.pss_version.clone()),
            ..Config::default()
        };
        Options {
            config,
            pss_version: pss::parse_version(&self.pss_version).unwrap_or(pss::NEWEST_MINOR),
            complete: self.complete,
            ..Options::default()
        }
    }
}

/// The Pod Security Standards versions a person can choose, newest first.
pub fn pss_versions() -> Vec<String> {
    std::iter::once("latest".to_string())
        .chain((0..=pss::NEWEST_MINOR).rev().map(|minor| format!("v1.{minor}")))
        .collect()
}

/// Reads a list typed in one field: items separated by commas, spaces or new lines.
pub fn parse_list(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in text.split(|character: char| character == ',' || character.is_whitespace()) {
        if !item.is_empty() && !items.iter().any(|seen| seen == item) {
            items.push(item.to_string());
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_storage() {
        let mut settings = Settings::default();
        settings.set_enabled("pss-privileged", false);
        settings.allowed_registries = vec!["ghcr.io/company".to_string()];
        settings.pss_version = "v1.25".to_string();
        assert_eq!(Settings::from_json(&settings.to_json()), settings);
    }

    #[test]
    fn unreadable_or_outdated_storage_falls_back() {
        assert_eq!(Settings::from_json("not json"), Settings::default());
        let stored = r#"{"pssVersion":"v9","disabledRules":["no-such-rule","pss-privileged"],"retired":1}"#;
        let settings = Settings::from_json(stored);
        assert_eq!(settings.pss_version, "latest");
        assert_eq!(settings.disabled_rules, ["pss-privileged"]);
        assert_eq!(settings.required_labels, DEFAULT_REQUIRED_LABELS);
    }

    #[test]
    fn options_carry_every_setting() {
        let mut settings = Settings::default();
        settings.set_enabled("image-tag-latest", false);
        settings.required_labels = parse_list("team, tier\nowner team");
        settings.pss_version = "v1.20".to_string();
        let options = settings.options();
        assert!(options.config.is_disabled("image-tag-latest"));
        assert_eq!(options.config.required_labels, ["team", "tier", "owner"]);
        assert_eq!(options.pss_version, 20);
        settings.set_enabled("image-tag-latest", true);
        assert!(settings.disabled_rules.is_empty());
    }

    #[test]
    fn every_version_parses() {
        for version in pss_versions() {
            assert!(pss::parse_version(&version).is_ok(), "{version}");
        }
    }
}
