//! The account's email subscriptions, on `/settings`: the list (what each covers and
//! when it is sent), "Send now" (the digest queued at once), removal, and a form for a new
//! one: a whole team or chosen clusters; a daily or weekly digest at an hour (UTC), or an
//! email on each new critical finding.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{self, NewSubscription, Subscription};
use crate::components::cluster_checkboxes::ClusterCheckboxes;
use crate::components::table::DataTable;
use crate::session::Auth;

const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// When a subscription's emails go out: "daily at 08:00 UTC".
pub fn schedule_text(subscription: &Subscription) -> String {
    match subscription.frequency.as_str() {
        "daily" => format!("daily at {:02}:00 UTC", subscription.hour),
        "weekly" => format!("weekly, {} at {:02}:00 UTC", subscription.weekday, subscription.hour),
        "immediate" => "on each new critical finding".to_string(),
        other => other.to_string(),
    }
}

/// What a subscription covers: "team red (all its clusters)" or the clusters' names.
pub fn coverage_text(subscription: &Subscription) -> String {
    match &subscription.team {
        Some(team) => format!("team {} (all its clusters)", team.name),
        None if subscription.clusters.is_empty() => "no cluster (they were deleted)".to_string(),
        None => subscription.clusters.iter().map(|cluster| cluster.name.as_str()).collect::<Vec<_>>().join(", "),
    }
}

/// The section; `queued` is bumped when a digest is queued (the outbox reloads on it).
#[component]
pub fn Subscriptions(queued: RwSignal<u64>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let list =
        LocalResource::new(move || async move { api::subscriptions().await.map_err(|failure| auth.explain(&failure)) });
    let notice = RwSignal::new(String::new());
    let send_now = Action::new_local(move |id: &i64| {
        let id = *id;
        async move {
            match api::send_subscription(id).await {
                Ok(email) => {
                    notice.set(format!(
                        "Email {} queued: it goes out with the mailer's next round (with no SMTP server set, it \
                         waits in the outbox).",
                        email.id
                    ));
                    queued.update(|count| *count += 1);
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });
    let remove = Action::new_local(move |id: &i64| {
        let id = *id;
        async move {
            match api::delete_subscription(id).await {
                Ok(()) => {
                    notice.set("Unsubscribed: no more of those emails.".into());
                    list.refetch();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });

    view! {
        <p class="hint">
            "Digests summarise your clusters' scores and new and resolved findings; alerts come when a scan "
            "finds a new critical finding. Every email has a link to unsubscribe."
        </p>
        <p class="notice" role="status" aria-live="polite" data-testid="subscription-notice">{move || notice.get()}</p>
        <SubscriptionList
            list=list
            send_now=Callback::new(move |id: i64| {
                send_now.dispatch_local(id);
            })
            remove=Callback::new(move |id: i64| {
                remove.dispatch_local(id);
            })
        />
        <SubscribeForm notice=notice on_subscribed=Callback::new(move |()| list.refetch())/>
    }
}

/// The account's subscriptions, each with "Send now" and "Unsubscribe".
#[component]
fn SubscriptionList(
    list: LocalResource<Result<Vec<Subscription>, String>>,
    send_now: Callback<i64>,
    remove: Callback<i64>,
) -> impl IntoView {
    move || match list.get() {
        None => view! { <p class="loading-inline">"Loading subscriptions…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Some(Ok(items)) if items.is_empty() => {
            view! { <p class="muted">"No email subscriptions: nothing is sent to you."</p> }.into_any()
        }
        Some(Ok(items)) => {
            let rows = items
                .into_iter()
                .map(|subscription| {
                    let id = subscription.id;
                    let (coverage, schedule) = (coverage_text(&subscription), schedule_text(&subscription));
                    let send_label = format!("Send the email of \"{coverage}\" now");
                    let delete_label = format!("Unsubscribe from \"{coverage}\", {schedule}");
                    view! {
                        <tr data-testid="subscription-row" data-frequency=subscription.frequency.clone()>
                            <th scope="row" data-label="Covers">{coverage}</th>
                            <td data-label="Sent">{schedule}</td>
                            <td class="actions">
                                <button type="button" class="button" aria-label=send_label on:click=move |_| send_now.run(id)>
                                    "Send now"
                                </button>
                                <button
                                    type="button"
                                    class="button danger"
                                    aria-label=delete_label
                                    on:click=move |_| remove.run(id)
                                >"Unsubscribe"</button>
                            </td>
                        </tr>
                    }
                })
                .collect_view();
            view! { <DataTable class="subscriptions" columns=&["Covers", "Sent", ""]>{rows}</DataTable> }.into_any()
        }
    }
}

/// The new subscription's form: a whole team or chosen clusters, how often, and when.
#[component]
fn SubscribeForm(notice: RwSignal<String>, on_subscribed: Callback<()>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let clusters = LocalResource::new(|| async { api::clusters().await.unwrap_or_default() });
    let error = RwSignal::new(None::<String>);
    let whole_team = RwSignal::new(true);
    let team = RwSignal::new(None::<i64>);
    let chosen = RwSignal::new(Vec::<i64>::new());
    let frequency = RwSignal::new("daily".to_string());
    let hour = RwSignal::new(8i64);
    let weekday = RwSignal::new("monday".to_string());

    let subscribe = Action::new_local(move |body: &NewSubscription| {
        let body = body.clone();
        async move {
            match api::create_subscription(&body).await {
                Ok(created) => {
                    notice.set(format!("Subscribed: {}, {}.", coverage_text(&created), schedule_text(&created)));
                    chosen.set(Vec::new());
                    on_subscribed.run(());
                }
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        }
    });
    let create = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        let frequency_now = frequency.get_untracked();
        let timed = frequency_now != "immediate";
        let body = NewSubscription {
            team: if whole_team.get_untracked() {
                team.get_untracked()
                    .or_else(|| auth.me.get_untracked()?.teams.first().map(|team| team.id))
                    .map(serde_json::Value::from)
            } else {
                None
            },
            clusters: (!whole_team.get_untracked()).then(|| chosen.get_untracked()),
            hour: timed.then(|| hour.get_untracked()),
            weekday: (frequency_now == "weekly").then(|| weekday.get_untracked().into()),
            frequency: frequency_now,
            ..NewSubscription::default()
        };
        if whole_team.get_untracked() && body.team.is_none() {
            error.set(Some("You belong to no team yet: subscribe to chosen clusters instead.".into()));
            return;
        }
        if body.clusters.as_ref().is_some_and(Vec::is_empty) {
            error.set(Some("Choose at least one cluster, or subscribe to a whole team.".into()));
            return;
        }
        subscribe.dispatch_local(body);
    };

    let team_options = move || {
        auth.me
            .get()
            .map(|me| {
                me.teams
                    .into_iter()
                    .map(|team| view! { <option value=team.id.to_string()>{team.name}</option> })
                    .collect_view()
            })
            .unwrap_or_default()
    };
    let cluster_boxes =
        move || view! { <ClusterCheckboxes clusters=clusters.get().unwrap_or_default() chosen=chosen/> };

    view! {
        <form class="subscribe" on:submit=create aria-labelledby="subscribe-title">
            <h3 id="subscribe-title">"New subscription"</h3>
            <div class="field-row">
                <label class="radio">
                    <input
                        type="radio"
                        name="cover"
                        prop:checked=move || whole_team.get()
                        on:change=move |_| whole_team.set(true)
                    />
                    "A whole team"
                </label>
                <label class="radio">
                    <input
                        type="radio"
                        name="cover"
                        prop:checked=move || !whole_team.get()
                        on:change=move |_| whole_team.set(false)
                    />
                    "Chosen clusters"
                </label>
            </div>
            <Show
                when=move || whole_team.get()
                fallback=move || view! {
                    <fieldset class="report-clusters">
                        <legend>"Clusters"</legend>
                        {cluster_boxes}
                    </fieldset>
                }
            >
                <label class="field">
                    <span>"Team"</span>
                    <select on:change=move |event| team.set(event_target_value(&event).parse().ok())>
                        {team_options}
                    </select>
                </label>
            </Show>
            <div class="field-row">
                <label class="field">
                    <span>"Send"</span>
                    <select on:change=move |event| frequency.set(event_target_value(&event))>
                        <option value="daily">"a daily digest"</option>
                        <option value="weekly">"a weekly digest"</option>
                        <option value="immediate">"an alert on each new critical finding"</option>
                    </select>
                </label>
                <Show when=move || frequency.get() == "weekly">
                    <label class="field">
                        <span>"On"</span>
                        <select on:change=move |event| weekday.set(event_target_value(&event))>
                            {weekday_options(weekday)}
                        </select>
                    </label>
                </Show>
                <Show when=move || frequency.get() != "immediate">
                    <label class="field">
                        <span>"At (UTC)"</span>
                        <select on:change=move |event| hour.set(event_target_value(&event).parse().unwrap_or(8))>
                            {hour_options(hour)}
                        </select>
                    </label>
                </Show>
                <button type="submit" class="primary">"Subscribe"</button>
            </div>
            <p class="form-error" role="alert">{move || error.get()}</p>
        </form>
    }
}

/// The hours of the day, the chosen one selected.
fn hour_options(hour: RwSignal<i64>) -> impl IntoView {
    (0..24)
        .map(|value| {
            view! {
                <option value=value.to_string() selected=value == hour.get_untracked()>
                    {format!("{value:02}:00")}
                </option>
            }
        })
        .collect_view()
}

/// The days of the week, the chosen one selected.
fn weekday_options(weekday: RwSignal<String>) -> impl IntoView {
    WEEKDAYS
        .into_iter()
        .map(|day| view! { <option value=day selected=day == weekday.get_untracked()>{day}</option> })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{CoveredCluster, Named};

    #[test]
    fn subscriptions_read_as_sentences() {
        let mut subscription = Subscription {
            id: 1,
            frequency: "weekly".into(),
            hour: 7,
            weekday: "friday".into(),
            team: Some(Named { id: 1, name: "red".into() }),
            ..Subscription::default()
        };
        assert_eq!(schedule_text(&subscription), "weekly, friday at 07:00 UTC");
        assert_eq!(coverage_text(&subscription), "team red (all its clusters)");
        subscription.team = None;
        subscription.clusters = vec![
            CoveredCluster { id: 1, name: "prod".into(), team: "red".into() },
            CoveredCluster { id: 2, name: "stage".into(), team: "red".into() },
        ];
        subscription.frequency = "immediate".into();
        assert_eq!(coverage_text(&subscription), "prod, stage");
        assert_eq!(schedule_text(&subscription), "on each new critical finding");
    }
}
