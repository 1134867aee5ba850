//! The score formula, in one place.
//!
//! **Version 1.** Every rule that applied to an object and was not exempted is evidence:
//! it passed or it failed. Each counts with the weight of its (effective) severity:
//! critical 20, high 8, medium 3, low 1, info 0.
//!
//! - An object's score is `100 × passed weight / applied weight`, rounded to the nearest
//!   whole number. A failed critical rule caps the score at 59 (grade F) and a failed high
//!   rule at 79 (grade C at best): no count of passes outweighs a privileged container.
//!   An object where only weightless rules applied has no score.
//! - The overall score is the mean of the object scores, rounded; with no scored object it
//!   is 100.
//! - Grades: A from 90, B from 80, C from 70, D from 60, F below.
//!
//! A custom policy (`vap/<name>`) that applied to an object is a rule like any other here.
//!
//! Reports carry [`FORMULA_VERSION`]; a change to anything above bumps it.

use crate::rules::Severity;

/// Version of the formula described above.
pub const FORMULA_VERSION: u32 = 1;

pub fn weight(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 20,
        Severity::High => 8,
        Severity::Medium => 3,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

/// Accumulates the evidence about one object.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    passed_weight: u32,
    applied_weight: u32,
    worst_failure: Option<Severity>,
}

impl Tally {
    pub fn passed(&mut self, severity: Severity) {
        self.passed_weight += weight(severity);
        self.applied_weight += weight(severity);
    }

    pub fn failed(&mut self, severity: Severity) {
        self.applied_weight += weight(severity);
        self.worst_failure = self.worst_failure.max(Some(severity));
    }

    /// The object's score, when any weighted rule applied.
    pub fn score(&self) -> Option<u32> {
        if self.applied_weight == 0 {
            return None;
        }
        let ratio = (100 * self.passed_weight + self.applied_weight / 2) / self.applied_weight;
        let cap = match self.worst_failure {
            Some(Severity::Critical) => 59,
            Some(Severity::High) => 79,
            _ => 100,
        };
        Some(ratio.min(cap))
    }
}

/// The mean of object scores (100 when there are none).
pub fn overall(scores: impl IntoIterator<Item = u32>) -> u32 {
    let mut mean = Mean::default();
    scores.into_iter().for_each(|score| mean.add(score));
    mean.score()
}

/// The overall score accumulated object by object, for a host that checks in batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mean {
    sum: u64,
    count: u64,
}

impl Mean {
    pub fn add(&mut self, score: u32) {
        self.sum += u64::from(score);
        self.count += 1;
    }

    /// Adds every score another mean was given.
    pub fn merge(&mut self, other: &Mean) {
        self.sum += other.sum;
        self.count += other.count;
    }

    /// What [`overall`] gives for the scores added so far.
    pub fn score(&self) -> u32 {
        (self.sum + self.count / 2).checked_div(self.count).map_or(100, |mean| mean as u32)
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
        assert_eq!(overall([100, 51]), 76);
        assert_eq!(overall([]), 100);
    }
}
