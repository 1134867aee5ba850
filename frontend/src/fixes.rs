//! The fixed manifest: every available fix applied to the editor's text, with the diff a
//! reviewer reads and what the fixes change in the score.
//!
//! The engine does the work (`rampart_core::fix::apply`, the same as `rampart check --fix`):
//! it applies the fixes of the chosen safety, checks again and repeats until nothing
//! fixable is left. This is costlier than a check, so the page asks for it only while the
//! fixed-manifest view is open.

use rampart_core::fix::{self, Safety};
use rampart_core::{check, Options, Source};

use crate::analysis::SOURCE_NAME;
use rampart_core::diff::{self, DiffLine};

pub struct FixedManifest {
    pub text: String,
    /// Fixes applied.
    pub fixes: usize,
    pub diff: Vec<DiffLine>,
    pub score_before: u32,
    pub score_after: u32,
    pub grade_after: &'static str,
}

/// Applies the safe fixes (and the unsafe ones too, when asked) to `text`.
pub fn fixed_manifest(text: &str, options: &Options, include_unsafe: bool, score_before: u32) -> FixedManifest {
    let safety = if include_unsafe { Safety::Unsafe } else { Safety::Safe };
    let sources = [Source::new(SOURCE_NAME, text)];
    let fixed = fix::apply(&sources, options, safety).into_iter().next();
    let (fixed_text, fixes) = match fixed {
        Some(fixed) => (fixed.text, fixed.fixes),
        None => (text.to_string(), 0),
    };
    let after = check(&[Source::new(SOURCE_NAME, fixed_text.as_str())], options);
    FixedManifest {
        diff: diff::diff_lines(text, &fixed_text),
        text: fixed_text,
        fixes,
        score_before,
        score_after: after.score,
        grade_after: after.grade,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_insecure_deployment_passes_the_fixed_rules() {
        let text = include_str!("../../examples/insecure-deployment.yaml");
        let options = Options::default();
        let before = check(&[Source::new(SOURCE_NAME, text)], &options);
        let fixable = before
            .findings
            .iter()
            .filter(|finding| finding.fix.as_ref().is_some_and(|fix| fix.safety == Safety::Safe))
            .count();
        assert!(fixable > 0, "the insecure example has safe fixes");
        let fixed = fixed_manifest(text, &options, false, before.score);
        assert!(fixed.fixes > 0);
        // Fixing never makes the score worse (a low-severity fix may not move it).
        assert!(fixed.score_after >= fixed.score_before);
        let after = check(&[Source::new(SOURCE_NAME, fixed.text.as_str())], &options);
        assert!(after.errors.is_empty());
        let left: Vec<&str> = after
            .findings
            .iter()
            .filter(|finding| finding.fix.as_ref().is_some_and(|fix| fix.safety == Safety::Safe))
            .map(|finding| finding.rule.as_ref())
            .collect();
        assert!(left.is_empty(), "safe fixes left after fixing: {left:?}");
        assert!(fixed.diff.iter().any(|line| line.change != diff::Change::Same));
    }
}
