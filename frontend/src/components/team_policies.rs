//! The custom policies of the user's teams, on the settings page: each team's policies with
//! their version and rules, enabled or not; editors add, edit (a new source is a new
//! version), enable, disable and delete them. Every scan of the team's clusters applies the
//! enabled ones. The server compiles a policy when it is saved and answers errors with
//! their line and column, shown here as they come; each stored policy's row says whether
//! its source compiles now (one an older server accepted may not), with each error's line.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{self, Membership, NewPolicy, Policy, PolicyChanges};
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
    let policies = LocalResource::new(move || async move {
        api::team_policies(team_id).await.map_err(|failure| auth.explain(&failure))
    });
    let draft = RwSignal::new(None::<Draft>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(String::new());

    let store = Action::new_local(move |current: &Draft| {
        let current = current.clone();
        async move {
            let result = match current.id {
                Some(id) => {
                    let changes =
                        PolicyChanges { name: Some(current.name), source: Some(current.source), enabled: None };
                    api::update_policy(id, &changes).await
                }
                None => {
                    let policy = NewPolicy { name: current.name, source: current.source, enabled: None };
                    api::create_policy(team_id, &policy).await
                }
            };
            match result {
                Ok(saved) => {
                    notice
                        .set(format!("Saved \"{}\" (version {}); the next scans apply it.", saved.name, saved.version));
                    draft.set(None);
                    policies.refetch();
                }
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        }
    });
    let enable = Action::new_local(move |(policy, enabled): &(Policy, bool)| {
        let (policy, enabled) = (policy.clone(), *enabled);
        async move {
            let input = PolicyChanges { enabled: Some(enabled), ..PolicyChanges::default() };
            match api::update_policy(policy.id, &input).await {
                Ok(_) => {
                    notice.set(format!("\"{}\" {}.", policy.name, if enabled { "enabled" } else { "disabled" }));
                    policies.refetch();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });
    let remove = Action::new_local(move |policy: &Policy| {
        let policy = policy.clone();
        async move {
            match api::delete_policy(policy.id).await {
                Ok(()) => {
                    notice.set(format!("\"{}\" deleted.", policy.name));
                    policies.refetch();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });
    let save = Callback::new(move |event: SubmitEvent| {
        event.prevent_default();
        let Some(current) = draft.get_untracked() else { return };
        error.set(None);
        store.dispatch_local(current);
    });
    let set_enabled = Callback::new(move |change: (Policy, bool)| {
        enable.dispatch_local(change);
    });
    let delete = Callback::new(move |policy: Policy| {
        remove.dispatch_local(policy);
    });

    view! {
        <div class="team-policies" data-testid="team-policies" data-team=team.name.clone()>
            <h3>{format!("Team {}", team.name)}</h3>
            <ul class="plain-list">
                <PolicyRows policies=policies can_edit=can_edit draft=draft set_enabled=set_enabled delete=delete/>
            </ul>
            {can_edit.then(|| view! {
                <button type="button" class="button" data-testid="team-policy-add" on:click=move |_| draft.set(Some(Draft::default()))>
                    "Add a policy"
                </button>
            })}
            <PolicyForm draft=draft error=error save=save/>
            <p class="notice" role="status">{move || notice.get()}</p>
        </div>
    }
}

/// A team's policies; its editors may edit, enable or disable, and delete each.
#[component]
fn PolicyRows(
    policies: LocalResource<Result<Vec<Policy>, String>>,
    can_edit: bool,
    draft: RwSignal<Option<Draft>>,
    set_enabled: Callback<(Policy, bool)>,
    delete: Callback<Policy>,
) -> impl IntoView {
    move || {
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
                                <button type="button" class="button" on:click=move |_| set_enabled.run((toggle_policy.clone(), !enabled))>
                                    {if enabled { "Disable" } else { "Enable" }}
                                </button>
                                <button type="button" class="button danger" on:click=move |_| delete.run(delete_policy.clone())>"Delete"</button>
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

/// The form that adds a policy or edits one, while one is being drafted.
#[component]
fn PolicyForm(
    draft: RwSignal<Option<Draft>>,
    error: RwSignal<Option<String>>,
    save: Callback<SubmitEvent>,
) -> impl IntoView {
    move || {
        draft.get().map(|current| {
            let title = if current.id.is_some() { "Edit the policy" } else { "New policy" };
            view! {
                <form class="policy-form" on:submit=move |event| save.run(event)>
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
    }
}

/// Whether the stored source compiles now: "compiles", or each error with its line and
/// column (a source an older server accepted; scans skip it until it is fixed).
fn compile_status(policy: &Policy) -> AnyView {
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
