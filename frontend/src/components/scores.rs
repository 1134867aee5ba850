//! A cluster's or namespace's score with its grade, and open findings by severity: drawn
//! alike on the clusters list, a cluster's page and its scans.

use leptos::prelude::*;

use crate::api;
use crate::dashboard::grade_class;

/// A score (its element marked `testid`) with its grade's badge; `missing` without one.
pub fn score_and_grade(
    score: Option<i64>,
    grade: Option<String>,
    testid: &'static str,
    missing: &'static str,
) -> AnyView {
    match (score, grade) {
        (Some(score), Some(grade)) => view! {
            <span class="score-number" data-testid=testid>{score}</span>
            <span class=grade_class(&grade) aria-label=format!("grade {grade}")>{grade.clone()}</span>
        }
        .into_any(),
        _ => view! { <span class="muted">{missing}</span> }.into_any(),
    }
}

/// Open findings by severity, as small coloured counts.
pub fn severity_counts(counts: api::Counts) -> impl IntoView {
    let items = counts
        .by_severity()
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| {
            view! {
                <li class=format!("count level-{severity}") data-severity=severity>
                    <span class="count-number">{count}</span>
                    " "
                    {severity}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="counts">{items}</ul> }
}
