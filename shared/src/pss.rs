//! Pod Security Standards: levels, policy versions, and which checks make up a level.
//!
//! The `pss-*` rules implement upstream's checks one by one; this module composes them into
//! levels exactly as Pod Security admission does: the baseline set at a version is every
//! baseline check that exists at it; the restricted set adds the restricted checks and
//! drops each baseline check that an active restricted check overrides.

use serde::Serialize;

use crate::rules::{Rule, RULES};

/// The newest policy version this engine implements, as the minor of `v1.N`.
pub const NEWEST_MINOR: u32 = 37;

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Privileged => "privileged",
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }

    pub fn parse(text: &str) -> Option<PssLevel> {
        match text {
            "privileged" => Some(PssLevel::Privileged),
            "baseline" => Some(PssLevel::Baseline),
            "restricted" => Some(PssLevel::Restricted),
            _ => None,
        }
    }
}

/// Reads a policy version: `v1.N` (no leading zeros) or `latest`. Versions newer than the
/// newest known are clamped to it, as upstream does.
pub fn parse_version(text: &str) -> Result<u32, String> {
    if text == "latest" {
        return Ok(NEWEST_MINOR);
    }
    let minor = text
        .strip_prefix("v1.")
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .filter(|digits| *digits == "0" || !digits.starts_with('0'))
        .and_then(|digits| digits.parse::<u32>().ok())
        .ok_or_else(|| {
            format!(
                "invalid Pod Security Standards version '{text}': expected v1.N (such as v1.{NEWEST_MINOR}) or latest"
            )
        })?;
    Ok(minor.min(NEWEST_MINOR))
}

/// Whether a `pss-*` rule belongs to the check set of `level` at policy version `minor`.
pub fn in_level(rule: &Rule, level: PssLevel, minor: u32) -> bool {
    let Some(check) = rule.pss else { return false };
    if check.since > minor || level == PssLevel::Privileged {
        return false;
    }
    match check.level {
        PssLevel::Restricted => level == PssLevel::Restricted,
        PssLevel::Baseline if level == PssLevel::Baseline => true,
        PssLevel::Baseline => !overridden(rule.id, minor),
        PssLevel::Privileged => false,
    }
}

/// Whether an active restricted check replaces this baseline rule at `minor`.
fn overridden(baseline_id: &str, minor: u32) -> bool {
    RULES.iter().any(|rule| {
        rule.pss.is_some_and(|check| {
            check.since <= minor && check.overrides.is_some_and(|(id, from)| id == baseline_id && from <= minor)
        })
    })
}

/// The rules making up a level at a version, in registry order.
pub fn level_rules(level: PssLevel, minor: u32) -> Vec<&'static Rule> {
    RULES.iter().copied().filter(|rule| in_level(rule, level, minor)).collect()
}

/// The check sets of both levels at one version, worked out once per check.
#[derive(Clone, Debug)]
pub struct LevelSets {
    baseline: Vec<&'static str>,
    restricted: Vec<&'static str>,
}

impl LevelSets {
    pub fn new(minor: u32) -> LevelSets {
        let ids = |level| level_rules(level, minor).into_iter().map(|rule| rule.id).collect();
        LevelSets { baseline: ids(PssLevel::Baseline), restricted: ids(PssLevel::Restricted) }
    }

    /// The highest level met, given which `pss-*` rules failed.
    pub fn level_met(&self, failed: impl Fn(&str) -> bool) -> PssLevel {
        if self.restricted.iter().all(|id| !failed(id)) {
            PssLevel::Restricted
        } else if self.baseline.iter().all(|id| !failed(id)) {
            PssLevel::Baseline
        } else {
            PssLevel::Privileged
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_clamp() {
        assert_eq!(parse_version("v1.25"), Ok(25));
        assert_eq!(parse_version("v1.0"), Ok(0));
        assert_eq!(parse_version("latest"), Ok(NEWEST_MINOR));
        assert_eq!(parse_version("v1.99"), Ok(NEWEST_MINOR));
        assert!(parse_version("v1.05").is_err());
        assert!(parse_version("1.25").is_err());
    }

    #[test]
    fn check_sets_have_upstream_sizes() {
        let sizes =
            |minor| (level_rules(PssLevel::Baseline, minor).len(), level_rules(PssLevel::Restricted, minor).len());
        assert_eq!(sizes(0), (11, 12));
        assert_eq!(sizes(8), (11, 13));
        assert_eq!(sizes(19), (11, 13));
        assert_eq!(sizes(22), (11, 13));
        assert_eq!(sizes(23), (11, 14));
        assert_eq!(sizes(34), (12, 15));
        assert_eq!(sizes(37), (12, 15));
    }
}
