//! The custom policies of the user's teams, on the settings page: each team's policies with
//! their version and rules, enabled or not; editors add, edit (a new source is a new
//! version), enable, disable and delete them. Every scan of the team's clusters applies the
//! enabled ones. The server compiles a policy when it is saved and answers errors with
//! their line and column, shown here as they come; each stored policy's row says whether
//! its source compiles now (one an older server accepted may not), with each error's line.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Membership, PolicyInput, TeamPolicy};
use crate::session::Auth;

/// What the form edits: a new policy (`None`) or an existing one.
#[derive(Clone, Debug, Default, PartialEq)]
struct Draft {
    id: Option<i64>,
    name: String,
    source: String,
}

#[component]
fn TeamPolicyList(team: Membership) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let can_edit = team.role == "editor" || team.role == "admin";
    let team_id = team.id;
    let policies = RwSignal::new(None::<Result<Vec<TeamPolicy>, String>>);
    let draft = RwSignal::new(None::<Draft>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(String::new());

    let load = move || {
        spawn_local(async move {
            policies.set(Some(api::team_policies(team_id).await.map_err(|failure| auth.explain(&failure))));
        })
    };
    load();

    let save = move |event: SubmitEvent| {
        event.prevent_default();
        let Some(current) = draft.get_untracked() else { return };
        error.set(None);
        spawn_local(async move {
            let input =
                PolicyInput { name: Some(current.name.clone()), source: Some(current.source.clone()), enabled: None };
            let result = match current.id {
                Some(id) => api::update_policy(id, &input).await,
                None => api::create_policy(team_id, &input).await,
            };
            match result {
                Ok(saved) => {
                    notice
                        .set(format!("Saved \"{}\" (version {}); the next scans apply it.", saved.name, saved.version));
                    draft.set(None);
                    load();
                }
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        });
    };
    let set_enabled = move |policy: TeamPolicy, enabled: bool| {
        spawn_local(async move {
            let input = PolicyInput { enabled: Some(enabled), ..PolicyInput::default() };
            match api::update_policy(policy.id, &input).await {
                Ok(_) => {
                    notice.set(format!("\"{}\" {}.", policy.name, if enabled { "enabled" } else { "disabled" }));
                    load();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        });
    };
    let delete = move |policy: TeamPolicy| {
        spawn_local(async move {
            match api::delete_policy(policy.id).await {
                Ok(()) => {
                    notice.set(format!("\"{}\" deleted.", policy.name));
                    load();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        });
    };

    let rows = move || {
        match policies.get() {
        None => view! { <p class="loading-inline">"Loading policies…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"No policies in this team."</p> }.into_any(),
        Some(Ok(list)) => list
            .into_iter()
            .map(|policy| {
                let (edit_policy, toggle_policy, delete_policy) = (policy.clone(), policy.clone(), policy.clone());
                let enabled = policy.enabled;
                view! {
                    <li class="team-policy" data-testid="team-policy" data-policy=policy.name.clone() data-enabled=enabled.to_string()>
                        <strong>{policy.name.clone()}</strong>
                        " · "
                        <span class="muted">{format!("version {}", policy.version)}</span>
                        " · "
                        <code>{policy.rules.join(", ")}</code>
                        " · "
                        <span>{if enabled { "enabled" } else { "disabled" }}</span>
                        " · "
                        {compile_status(&policy)}
                        {can_edit.then(|| view! {
                            <span class="actions">
                                <button type="button" class="button" on:click=move |_| {
                                    draft.set(Some(Draft { id: Some(edit_policy.id), name: edit_policy.name.clone(), source: edit_policy.source.clone() }));
                                }>"Edit"</button>
                                <button type="button" class="button" on:click=move |_| set_enabled(toggle_policy.clone(), !enabled)>
                                    {if enabled { "Disable" } else { "Enable" }}
                                </button>
                                <button type="button" class="button danger" on:click=move |_| delete(delete_policy.clone())>"Delete"</button>
                            </span>
                        })}
                    </li>
                }
            })
            .collect_view()
            .into_any(),
    }
    };

    let form = move || {
        draft.get().map(|current| {
            let title = if current.id.is_some() { "Edit the policy" } else { "New policy" };
            view! {
                <form class="policy-form" on:submit=save>
                    <h4>{title}</h4>
                    <label class="field">
                        <span>"Name"</span>
                        <input
                            type="text"
                            data-testid="team-policy-name"
                            prop:value=current.name.clone()
                            on:input=move |event| { let value = event_target_value(&event); draft.update(|draft| if let Some(draft) = draft { draft.name = value }) }
                        />
                    </label>
                    <label class="field">
                        <span>"ValidatingAdmissionPolicy YAML (with its bindings and params)"</span>
                        <textarea
                            class="policy-input"
                            data-testid="team-policy-source"
                            spellcheck="false"
                            prop:value=current.source.clone()
                            on:input=move |event| { let value = event_target_value(&event); draft.update(|draft| if let Some(draft) = draft { draft.source = value }) }
                        ></textarea>
                    </label>
                    {move || error.get().map(|message| view! { <p class="form-error" role="alert" data-testid="team-policy-error">{message}</p> })}
                    <div class="field-row">
                        <button type="submit" class="button primary">"Save"</button>
                        <button type="button" class="button" on:click=move |_| { draft.set(None); error.set(None); }>"Cancel"</button>
                    </div>
                </form>
            }
        })
    };

    view! {
        <div class="team-policies" data-testid="team-policies" data-team=team.name.clone()>
            <h3>{format!("Team {}", team.name)}</h3>
            <ul class="plain-list">{rows}</ul>
            {can_edit.then(|| view! {
                <button type="button" class="button" data-testid="team-policy-add" on:click=move |_| draft.set(Some(Draft::default()))>
                    "Add a policy"
                </button>
            })}
            {form}
            <p class="notice" role="status">{move || notice.get()}</p>
        </div>
    }
}

/// Whether the stored source compiles now: "compiles", or each error with its line and
/// column (a source an older server accepted; scans skip it until it is fixed).
fn compile_status(policy: &TeamPolicy) -> AnyView {
    if policy.errors.is_empty() {
        return view! { <span class="policy-status" data-testid="team-policy-status" data-status="ok">"compiles"</span> }
            .into_any();
    }
    let errors: Vec<String> = policy
        .errors
        .iter()
        .map(|error| format!("line {}, column {}: {}", error.line, error.column, error.message))
        .collect();
    view! {
        <span class="policy-status form-error" data-testid="team-policy-status" data-status="error">
            {format!("does not compile, so scans skip it — {}", errors.join("; "))}
        </span>
    }
    .into_any()
}

/// The policies of every team of the user.
#[component]
pub fn TeamPolicies() -> impl IntoView {
    let auth = expect_context::<Auth>();
    move || {
        auth.me.get().map(|me| {
            if me.teams.is_empty() {
                return view! { <p class="muted">"You belong to no team yet."</p> }.into_any();
            }
            me.teams.into_iter().map(|team| view! { <TeamPolicyList team=team/> }).collect_view().into_any()
        })
    }
}
