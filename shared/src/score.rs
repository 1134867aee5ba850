//! The score formula, in one place.
//!
//! **Version 2.** Every rule that applied to an object and was not exempted is evidence:
//! it passed or it failed. Each counts with the weight of its (effective) severity:
//! critical 20, high 8, medium 3, low 1, info 0.
//!
//! - An object's score is `100 × passed weight / applied weight`, rounded to the nearest
//!   whole number. A failed critical rule caps the score at 59 (grade F) and a failed high
//!   rule at 79 (grade C at best): no count of passes outweighs a privileged container.
//!   An object where only weightless rules applied has no score.
//! - The overall score (of a file set, a scan, a namespace) is the mean of the scores of
//!   the objects a rule of medium severity or higher judged (applied to, and not
//!   exempted), rounded; with no such object it is 100. It is then capped like an
//!   object's score by the worst open (not exempted) finding: 59 with any critical one,
//!   79 with any high one. Objects no such rule can fail (a Secret read by its metadata,
//!   a ConfigMap) do not count as clean ones, and no number of clean objects hides a
//!   critical finding.
//! - Grades: A from 90, B from 80, C from 70, D from 60, F below.
//!
//! Version 1 (until this one) averaged every scored object, with no cap on the overall
//! score: a cluster with critical findings could read B.
//!
//! A custom policy (`vap/<name>`) that applied to an object is a rule like any other here.
//!
//! Reports carry [`FORMULA_VERSION`]; a change to anything above bumps it.

use crate::rules::Severity;

/// Version of the formula described above.
pub const FORMULA_VERSION: u32 = 2;

pub fn weight(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 20,
        Severity::High => 8,
        Severity::Medium => 3,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

/// The most a score reaches with a failed rule (or an open finding) of this severity.
pub fn cap(worst: Option<Severity>) -> u32 {
    match worst {
        Some(Severity::Critical) => 59,
        Some(Severity::High) => 79,
        _ => 100,
    }
}

/// Accumulates the evidence about one object.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    passed_weight: u32,
    applied_weight: u32,
    worst_failure: Option<Severity>,
    judged: bool,
}

impl Tally {
    pub fn passed(&mut self, severity: Severity) {
        self.passed_weight += weight(severity);
        self.applied_weight += weight(severity);
        self.judged |= severity >= Severity::Medium;
    }

    pub fn failed(&mut self, severity: Severity) {
        self.applied_weight += weight(severity);
        self.worst_failure = self.worst_failure.max(Some(severity));
        self.judged |= severity >= Severity::Medium;
    }

    /// The object's score, when any weighted rule applied.
    pub fn score(&self) -> Option<u32> {
        if self.applied_weight == 0 {
            return None;
        }
        let ratio = (100 * self.passed_weight + self.applied_weight / 2) / self.applied_weight;
        Some(ratio.min(cap(self.worst_failure)))
    }

    /// Whether a rule of medium severity or higher applied: only then does the object's
    /// score count in an overall one.
    pub fn judged(&self) -> bool {
        self.judged
    }
}

/// The overall score of objects given as `(score, judged)` with open findings of these
/// severities (100 when no object was judged, before the cap).
pub fn overall(
    objects: impl IntoIterator<Item = (Option<u32>, bool)>,
    open: impl IntoIterator<Item = Severity>,
) -> u32 {
    let mut mean = Mean::default();
    for (score, judged) in objects {
        if let (Some(score), true) = (score, judged) {
            mean.add(score);
        }
    }
    open.into_iter().for_each(|severity| mean.open(severity));
    mean.score()
}

/// The overall score accumulated object by object, for a host that checks in batches:
/// the scores of judged objects, and the worst open finding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mean {
    sum: u64,
    count: u64,
    worst: Option<Severity>,
}

impl Mean {
    /// The score of a judged object ([`Tally::judged`]).
    pub fn add(&mut self, score: u32) {
        self.sum += u64::from(score);
        self.count += 1;
    }

    /// An open (not exempted) finding of this severity.
    pub fn open(&mut self, severity: Severity) {
        self.worst = self.worst.max(Some(severity));
    }

    /// Adds everything another mean was given.
    pub fn merge(&mut self, other: &Mean) {
        self.sum += other.sum;
        self.count += other.count;
        self.worst = self.worst.max(other.worst);
    }

    /// Whether no judged object was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// What [`overall`] gives for what was added so far.
    pub fn score(&self) -> u32 {
        let mean = (self.sum + self.count / 2).checked_div(self.count).map_or(100, |mean| mean as u32);
        mean.min(cap(self.worst))
    }
}

pub fn grade(score: u32) -> &'static str {
    match score {
        90.. => "A",
        80..=89 => "B",
        70..=79 => "C",
        60..=69 => "D",
        _ => "F",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_and_failures_weigh_by_severity_with_caps() {
        let mut tally = Tally::default();
        assert_eq!(tally.score(), None);
        tally.passed(Severity::Info);
        assert_eq!(tally.score(), None);
        for _ in 0..10 {
            tally.passed(Severity::Medium);
        }
        tally.failed(Severity::Low);
        assert_eq!(tally.score(), Some(97));
        tally.failed(Severity::High);
        assert_eq!(tally.score(), Some(77));
        tally.failed(Severity::Critical);
        assert_eq!(tally.score(), Some(51));
        assert_eq!(grade(51), "F");
        assert_eq!(grade(90), "A");
        assert!(tally.judged());
    }

    #[test]
    fn overall_scores_count_judged_objects_and_cap_by_the_worst_open_finding() {
        let judged = |score| (Some(score), true);
        assert_eq!(overall([judged(100), judged(51)], []), 76);
        assert_eq!(overall([], []), 100);
        // Objects only low or weightless rules applied to do not count as clean ones.
        assert_eq!(overall([judged(60), (Some(100), false), (None, false)], []), 60);
        let mut low_only = Tally::default();
        low_only.passed(Severity::Low);
        assert!(!low_only.judged() && low_only.score() == Some(100));
        // Many clean objects cannot hide a critical or a high finding.
        let many = std::iter::repeat_n(judged(100), 1000).chain([judged(51)]);
        assert_eq!(overall(many.clone(), [Severity::Low]), 100);
        assert_eq!(overall(many.clone(), [Severity::High, Severity::Medium]), 79);
        assert_eq!(overall(many, [Severity::High, Severity::Critical]), 59);
        assert_eq!(grade(overall([], [Severity::Critical])), "F");
        // Batches merge to what one pass gives.
        let (mut first, mut second) = (Mean::default(), Mean::default());
        first.add(90);
        second.add(70);
        second.open(Severity::High);
        first.merge(&second);
        assert_eq!(first.score(), overall([judged(90), judged(70)], [Severity::High]));
        assert!(Mean::default().is_empty() && !first.is_empty());
    }
}
