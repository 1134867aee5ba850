//! The webhooks of the user's teams, on the settings page: where each team's digests, new
//! critical findings and failed scans go beside email (a signed generic JSON receiver, a
//! Slack or a Microsoft Teams incoming webhook), for which namespaces. Members see them; the
//! team's admins add, test and delete them. A generic webhook's secret is shown once, when
//! the server makes it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{self, Membership, NewWebhook, Webhook};
use crate::session::Auth;

/// What the form holds.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    name: String,
    format: String,
    url: String,
    digest: bool,
    critical: bool,
    scan_failed: bool,
    /// Comma-separated namespace names, or empty.
    namespaces: String,
    /// A label selector (`owner=payments`), or empty.
    selector: String,
}

impl Default for Draft {
    fn default() -> Draft {
        Draft {
            name: String::new(),
            format: "slack".to_string(),
            url: String::new(),
            digest: true,
            critical: true,
            scan_failed: true,
            namespaces: String::new(),
            selector: String::new(),
        }
    }
}

impl Draft {
    fn input(&self) -> NewWebhook {
        let events = [("digest", self.digest), ("critical", self.critical), ("scan_failed", self.scan_failed)]
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| name.to_string())
            .collect();
        let namespaces: Vec<String> =
            self.namespaces.split(',').map(str::trim).filter(|name| !name.is_empty()).map(str::to_string).collect();
        let selector = self.selector.trim();
        NewWebhook {
            name: self.name.trim().to_string(),
            format: self.format.clone(),
            url: self.url.trim().to_string(),
            events,
            namespaces: (!namespaces.is_empty()).then_some(namespaces),
            namespace_selector: (!selector.is_empty()).then(|| selector.to_string()),
            ..NewWebhook::default()
        }
    }
}

fn describe(webhook: &Webhook) -> String {
    let format = match webhook.format.as_str() {
        "slack" => "Slack",
        "teams" => "Microsoft Teams",
        _ => "generic JSON, signed",
    };
    let scope = match (&webhook.namespaces, &webhook.namespace_selector) {
        (Some(names), _) => format!(" · namespaces {}", names.join(", ")),
        (_, Some(selector)) => format!(" · namespaces labelled {selector}"),
        _ => String::new(),
    };
    format!("{format} · {} · {}{scope}", webhook.url, webhook.events.join(", "))
}

#[component]
fn TeamWebhookList(team: Membership) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let is_admin = team.role == "admin";
    let team_id = team.id;
    let webhooks = LocalResource::new(move || async move {
        api::team_webhooks(team_id).await.map_err(|failure| auth.explain(&failure))
    });
    let draft = RwSignal::new(None::<Draft>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);

    let create = Action::new_local(move |current: &Draft| {
        let input = current.input();
        async move {
            match api::create_webhook(team_id, &input).await {
                Ok(created) => {
                    notice.set(format!("Webhook \"{}\" added.", created.name));
                    secret.set(created.secret.clone());
                    draft.set(None);
                    webhooks.refetch();
                }
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        }
    });
    let test = Action::new_local(move |webhook: &Webhook| {
        let webhook = webhook.clone();
        notice.set(format!("Sending a test to \"{}\"…", webhook.name));
        async move {
            match api::test_webhook(team_id, webhook.id).await {
                Ok(result) if result.delivered => notice.set(format!("The test reached \"{}\".", webhook.name)),
                Ok(result) => notice.set(format!(
                    "The test did not reach \"{}\": {}",
                    webhook.name,
                    result.error.unwrap_or_default()
                )),
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });
    let delete = Action::new_local(move |webhook: &Webhook| {
        let webhook = webhook.clone();
        async move {
            match api::delete_webhook(team_id, webhook.id).await {
                Ok(()) => {
                    notice.set(format!("Webhook \"{}\" deleted.", webhook.name));
                    webhooks.refetch();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });
    let save = Callback::new(move |event: SubmitEvent| {
        event.prevent_default();
        let Some(current) = draft.get_untracked() else { return };
        error.set(None);
        create.dispatch_local(current);
    });

    view! {
        <div class="team-webhooks" data-testid="team-webhooks" data-team=team.name.clone()>
            <h3>{format!("Team {}", team.name)}</h3>
            <ul class="plain-list">
                <WebhookRows
                    webhooks=webhooks
                    is_admin=is_admin
                    test=Callback::new(move |webhook: Webhook| {
                        test.dispatch_local(webhook);
                    })
                    delete=Callback::new(move |webhook: Webhook| {
                        delete.dispatch_local(webhook);
                    })
                />
            </ul>
            {is_admin.then(|| view! {
                <button type="button" class="button" data-testid="webhook-add" on:click=move |_| draft.set(Some(Draft::default()))>
                    "Add a webhook"
                </button>
            })}
            <WebhookForm draft=draft error=error save=save/>
            <SigningSecret secret=secret/>
            <p class="notice" role="status" aria-live="polite" data-testid="webhook-notice">{move || notice.get()}</p>
        </div>
    }
}

/// A team's webhooks; its admins may send each a test or delete it.
#[component]
fn WebhookRows(
    webhooks: LocalResource<Result<Vec<Webhook>, String>>,
    is_admin: bool,
    test: Callback<Webhook>,
    delete: Callback<Webhook>,
) -> impl IntoView {
    move || {
        match webhooks.get() {
        None => view! { <p class="loading-inline">"Loading webhooks…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"No webhooks in this team."</p> }.into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|webhook| {
                let (test_hook, delete_hook) = (webhook.clone(), webhook.clone());
                let test_label = format!("Send a test to the webhook \"{}\"", webhook.name);
                let delete_label = format!("Delete the webhook \"{}\"", webhook.name);
                view! {
                    <li class="team-webhook" data-testid="webhook" data-webhook=webhook.name.clone()>
                        <strong>{webhook.name.clone()}</strong>
                        " · "
                        <span class="muted">{describe(&webhook)}</span>
                        {is_admin.then(|| view! {
                            <span class="actions">
                                <button type="button" class="button" aria-label=test_label on:click=move |_| test.run(test_hook.clone())>"Send a test"</button>
                                <button type="button" class="button danger" aria-label=delete_label on:click=move |_| delete.run(delete_hook.clone())>"Delete"</button>
                            </span>
                        })}
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    }
    }
}

/// The new webhook's form, while one is being drafted.
#[component]
fn WebhookForm(
    draft: RwSignal<Option<Draft>>,
    error: RwSignal<Option<String>>,
    save: Callback<SubmitEvent>,
) -> impl IntoView {
    let update = move |change: fn(&mut Draft, String), value: String| {
        draft.update(|draft| {
            if let Some(draft) = draft {
                change(draft, value)
            }
        })
    };
    let toggle = move |change: fn(&mut Draft, bool), on: bool| {
        draft.update(|draft| {
            if let Some(draft) = draft {
                change(draft, on)
            }
        })
    };

    move || {
        draft.get().map(|current| {
            view! {
                <form class="webhook-form" on:submit=move |event| save.run(event)>
                    <h4>"New webhook"</h4>
                    <label class="field">
                        <span>"Name"</span>
                        <input type="text" maxlength="100" data-testid="webhook-name" prop:value=current.name.clone()
                            on:input=move |event| update(|draft, value| draft.name = value, event_target_value(&event))/>
                    </label>
                    <label class="field">
                        <span>"Format"</span>
                        <select data-testid="webhook-format" prop:value=current.format.clone()
                            on:change=move |event| update(|draft, value| draft.format = value, event_target_value(&event))>
                            <option value="slack">"Slack (incoming webhook)"</option>
                            <option value="teams">"Microsoft Teams (incoming webhook)"</option>
                            <option value="generic">"Generic JSON, signed with HMAC-SHA256"</option>
                        </select>
                    </label>
                    <label class="field">
                        <span>"URL"</span>
                        <input type="url" maxlength="2048" data-testid="webhook-url" placeholder="https://hooks.slack.com/services/…"
                            prop:value=current.url.clone()
                            on:input=move |event| update(|draft, value| draft.url = value, event_target_value(&event))/>
                    </label>
                    <fieldset class="field">
                        <legend>"Events"</legend>
                        <label><input type="checkbox" prop:checked=current.digest
                            on:change=move |event| toggle(|draft, on| draft.digest = on, event_target_checked(&event))/>" Daily digest"</label>
                        <label><input type="checkbox" prop:checked=current.critical
                            on:change=move |event| toggle(|draft, on| draft.critical = on, event_target_checked(&event))/>" New critical findings"</label>
                        <label><input type="checkbox" prop:checked=current.scan_failed
                            on:change=move |event| toggle(|draft, on| draft.scan_failed = on, event_target_checked(&event))/>" Failed scans"</label>
                    </fieldset>
                    <label class="field">
                        <span>"Only these namespaces (comma-separated; empty: all)"</span>
                        <input type="text" data-testid="webhook-namespaces" prop:value=current.namespaces.clone()
                            on:input=move |event| update(|draft, value| draft.namespaces = value, event_target_value(&event))/>
                    </label>
                    <label class="field">
                        <span>"Or the namespaces with these labels (owner=payments)"</span>
                        <input type="text" data-testid="webhook-selector" prop:value=current.selector.clone()
                            on:input=move |event| update(|draft, value| draft.selector = value, event_target_value(&event))/>
                    </label>
                    {move || error.get().map(|message| view! { <p class="form-error" role="alert" data-testid="webhook-error">{message}</p> })}
                    <div class="field-row">
                        <button type="submit" class="button primary">"Add the webhook"</button>
                        <button type="button" class="button" on:click=move |_| { draft.set(None); error.set(None); }>"Cancel"</button>
                    </div>
                </form>
            }
        })
    }
}

/// A generic webhook's signing secret, shown once.
#[component]
fn SigningSecret(secret: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        secret.get().map(|value| {
            view! {
                <div class="new-token" role="status">
                    <p><strong>"The signing secret:"</strong>" copy it now, it is shown only once."</p>
                    <input type="text" readonly=true class="mono" data-testid="webhook-secret" prop:value=value/>
                    <p class="hint">"Receivers check X-Rampart-Signature with it (see the README)."</p>
                </div>
            }
        })
    }
}

/// The webhooks of every team of the user.
#[component]
pub fn TeamWebhooks() -> impl IntoView {
    let auth = expect_context::<Auth>();
    move || {
        auth.me.get().map(|me| {
            if me.teams.is_empty() {
                return view! { <p class="muted">"You belong to no team yet."</p> }.into_any();
            }
            me.teams.into_iter().map(|team| view! { <TeamWebhookList team=team/> }).collect_view().into_any()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_request() {
        let draft = Draft {
            name: " chat ".into(),
            url: " https://hooks.slack.com/services/x ".into(),
            digest: false,
            namespaces: "payments, , search".into(),
            ..Draft::default()
        };
        let input = draft.input();
        assert_eq!(input.name, "chat");
        assert_eq!(input.url, "https://hooks.slack.com/services/x");
        assert_eq!(input.events, ["critical", "scan_failed"]);
        assert_eq!(input.namespaces, Some(vec!["payments".to_string(), "search".to_string()]));
        assert_eq!(input.namespace_selector, None);
    }
}
