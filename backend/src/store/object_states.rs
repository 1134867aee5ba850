//! What a rescan needs of each object to skip the engine for it (migration 0023).
//!
//! A scan that checked an object keeps, in `object_states`, what the object contributed:
//! the digest of its content, the anchors it got (findings about a whole namespace or
//! cluster are the first object's), its score, what its findings add to the scan's
//! summaries, and its part of the scan's rule results. A rescan that finds the object with
//! the same content, the same anchors and everything else the same (`object_states_inputs`:
//! the engine, options, exemptions and the context index, as [`crate::ingest`] digests
//! them) replays that instead of checking it: its stored findings stay as they are, unread
//! and unwritten.
//!
//! The states are exact only after a scan that saw the whole cluster and judged every rule
//! ended: [`Store::begin_recording`] removes the cluster's `object_states_inputs` row, and
//! [`Store::finish_recording`] writes it back only for such a scan (see
//! [`super::recording`]). Rows are written only where an object's state changed, and
//! removed for objects a scan did not see, so an unchanged rescan writes none.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use rampart_core::index::Anchors;
use rampart_core::{Severity, RULES};

use super::Store;

/// What one object contributed to the scan that checked it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectState {
    /// The digest of the object's content ([`crate::ingest::content_digest`]).
    pub content: i64,
    pub anchors: Anchors,
    /// Its score, when it counts in overall scores (as [`super::recording::SeenObject::score`]).
    pub score: Option<u32>,
    /// Its findings as recorded (exempted ones included).
    pub findings: i64,
    /// Its findings not exempted, by severity (critical first).
    pub counts: [i64; 5],
    /// The rules that applied to it, by position in [`RULES`], ascending.
    pub applied: Vec<u16>,
    /// Its findings not exempted as the checker reported them, by rule position, ascending.
    pub failed: Vec<(u16, u64)>,
}

/// Each rule's position in [`RULES`], by id.
static POSITIONS: LazyLock<HashMap<&'static str, u16>> =
    LazyLock::new(|| RULES.iter().enumerate().map(|(position, rule)| (rule.id, position as u16)).collect());

/// The position of a rule of the catalog (`None` for a custom policy's `vap/<name>`).
pub fn rule_position(rule: &str) -> Option<u16> {
    POSITIONS.get(rule).copied()
}

/// The id of the rule at a position.
pub fn rule_at(position: u16) -> Option<&'static str> {
    RULES.get(usize::from(position)).map(|rule| rule.id)
}

impl ObjectState {
    /// The anchors as stored: bit 0 the first object, bit 1 the first of its namespace.
    pub fn anchor_bits(&self) -> i32 {
        i32::from(self.anchors.first_object) | (i32::from(self.anchors.first_in_namespace) << 1)
    }

    /// What `results` holds: `findings;c,h,m,l,i;applied,…;rule:failed,…`.
    pub fn results_text(&self) -> String {
        let join = |items: Vec<String>| items.join(",");
        format!(
            "{};{};{};{}",
            self.findings,
            join(self.counts.iter().map(i64::to_string).collect()),
            join(self.applied.iter().map(u16::to_string).collect()),
            join(self.failed.iter().map(|(rule, count)| format!("{rule}:{count}")).collect()),
        )
    }

    /// A stored row read back; `None` when it does not read as [`ObjectState::results_text`]
    /// writes it (the object is then checked).
    pub fn from_row(content: i64, anchors: i32, score: Option<i64>, results: &str) -> Option<ObjectState> {
        let mut parts = results.split(';');
        let findings = parts.next()?.parse().ok()?;
        let counts: Vec<i64> = list(parts.next()?, |item| item.parse().ok())?;
        let applied = list(parts.next()?, |item| item.parse().ok())?;
        let failed = list(parts.next()?, |item| {
            let (rule, count) = item.split_once(':')?;
            Some((rule.parse().ok()?, count.parse().ok()?))
        })?;
        if parts.next().is_some() {
            return None;
        }
        Some(ObjectState {
            content,
            anchors: Anchors { first_object: anchors & 1 != 0, first_in_namespace: anchors & 2 != 0 },
            score: score.map(u32::try_from).transpose().ok()?,
            findings,
            counts: counts.try_into().ok()?,
            applied,
            failed,
        })
    }

    /// Severities of its findings not exempted, once each.
    pub fn open_severities(&self) -> impl Iterator<Item = Severity> + '_ {
        const ORDER: [Severity; 5] =
            [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Info];
        ORDER.into_iter().zip(self.counts).filter(|(_, count)| *count > 0).map(|(severity, _)| severity)
    }

    /// Its part of the scan's rule results.
    pub fn rule_results(&self) -> rampart_core::compliance::RuleResults {
        let mut results = rampart_core::compliance::RuleResults::default();
        results.applied.extend(self.applied.iter().filter_map(|position| rule_at(*position)).map(str::to_string));
        for (position, count) in &self.failed {
            if let Some(rule) = rule_at(*position) {
                *results.failed.entry(rule.to_string()).or_default() += count;
            }
        }
        results
    }
}

fn list<T>(text: &str, item: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(item).collect()
}

/// What the cluster's last scan left for the next to skip unchanged objects.
#[derive(Debug, Default)]
pub struct PreviousStates {
    /// The digest of what else findings depended on then, while the states are exact.
    pub inputs_digest: Option<i64>,
    /// Each object's state, by object hash.
    pub states: HashMap<u64, ObjectState>,
    /// Object prefixes (`hash >> 32`) that two objects of those states share: an object
    /// with one is always checked, so that the stored findings under its prefix are read
    /// and told apart by object.
    pub shared_prefixes: HashSet<i32>,
}

impl PreviousStates {
    /// The state an unchanged object would replay: `None` unless the states are exact and
    /// made under `inputs_digest`, and the object's prefix is its own.
    pub fn usable(&self, inputs_digest: Option<i64>, hash: u64) -> Option<&ObjectState> {
        if inputs_digest.is_none() || self.inputs_digest != inputs_digest {
            return None;
        }
        if self.shared_prefixes.contains(&((hash >> 32) as i32)) {
            return None;
        }
        self.states.get(&hash)
    }
}

impl Store {
    /// The cluster's object states, and the digest they were made under while they are
    /// exact. Read before [`Store::begin_recording`], which makes them inexact until the
    /// scan ends complete.
    pub async fn previous_states(&self, cluster_id: i64) -> Result<PreviousStates, sqlx::Error> {
        let inputs_digest: Option<i64> = super::on_pool!(self, |pool| {
            sqlx::query_scalar("SELECT inputs_digest FROM object_states_inputs WHERE cluster_id = $1")
                .bind(cluster_id)
                .fetch_optional(pool)
                .await
        })?;
        let rows: Vec<(i64, i64, i32, Option<i64>, String)> = super::on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT object_hash, content_digest, anchors, CAST(score AS BIGINT), results FROM object_states \
                 WHERE cluster_id = $1",
            )
            .bind(cluster_id)
            .fetch_all(pool)
            .await
        })?;
        let mut previous = PreviousStates { inputs_digest, ..PreviousStates::default() };
        let mut prefixes = HashSet::new();
        for (hash, content, anchors, score, results) in rows {
            if !prefixes.insert((hash >> 32) as i32) {
                previous.shared_prefixes.insert((hash >> 32) as i32);
            }
            // A row that does not read is left out: its object is checked, and its row
            // rewritten.
            if let Some(state) = ObjectState::from_row(content, anchors, score, &results) {
                previous.states.insert(hash as u64, state);
            }
        }
        Ok(previous)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_as_written() {
        let state = ObjectState {
            content: -5,
            anchors: Anchors { first_object: false, first_in_namespace: true },
            score: Some(73),
            findings: 12,
            counts: [1, 0, 7, 3, 0],
            applied: vec![0, 4, 17],
            failed: vec![(4, 2), (17, 9)],
        };
        let read = ObjectState::from_row(-5, state.anchor_bits(), Some(73), &state.results_text());
        assert_eq!(read.as_ref(), Some(&state));
        let empty = ObjectState::default();
        assert_eq!(ObjectState::from_row(0, 0, None, &empty.results_text()), Some(empty));
        assert_eq!(ObjectState::from_row(0, 0, None, "1;2;;"), None, "five counts or nothing");
        assert_eq!(ObjectState::from_row(0, 0, None, "x"), None);
        assert_eq!(state.open_severities().collect::<Vec<_>>(), [Severity::Critical, Severity::Medium, Severity::Low]);
    }
}
