//! A checkbox per cluster, ticking and unticking ids in a list: how the reports page and
//! the email subscriptions choose clusters.

use leptos::prelude::*;

use crate::api::ClusterSummary;

/// The checkboxes of `clusters`, each named by its cluster (and its team), bound to the ids
/// in `chosen` (in the order they were ticked).
#[component]
pub fn ClusterCheckboxes(clusters: Vec<ClusterSummary>, chosen: RwSignal<Vec<i64>>) -> impl IntoView {
    clusters
        .into_iter()
        .map(|cluster| {
            let id = cluster.id;
            view! {
                <label class="checkbox">
                    <input
                        type="checkbox"
                        prop:checked=move || chosen.with(|ids| ids.contains(&id))
                        on:change=move |event| {
                            let on = event_target_checked(&event);
                            chosen.update(|ids| {
                                ids.retain(|other| *other != id);
                                if on {
                                    ids.push(id);
                                }
                            });
                        }
                    />
                    {cluster.name}
                    <span class="muted">{format!(" · {}", cluster.team)}</span>
                </label>
            }
        })
        .collect_view()
}
