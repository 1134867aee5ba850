//! `/settings`: the account (email, teams and roles, and a password change), its teams'
//! custom policies, its email subscriptions, its teams' webhooks, its API tokens (list, create — the token is shown once — and revoke) and,
//! for global admins, the server's outbox.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::{self, CreatedToken, Token};
use crate::browser;
use crate::components::outbox::Outbox;
use crate::components::password_form::PasswordForm;
use crate::components::subscriptions::Subscriptions;
use crate::components::table::DataTable;
use crate::components::team_policies::TeamPolicies;
use crate::components::webhooks::TeamWebhooks;
use crate::session::Auth;
use crate::time::{self, format_utc, parse_rfc3339};

fn when(text: Option<&str>) -> String {
    text.and_then(parse_rfc3339).map(format_utc).unwrap_or_else(|| "never".to_string())
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    // Bumped when a digest is queued, so the outbox shows it.
    let queued = RwSignal::new(0u64);
    let is_admin = move || auth.me.with(|me| me.as_ref().is_some_and(|me| me.admin));

    view! {
        <main id="main" class="page">
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <section class="card" aria-labelledby="account-title">
                <h2 id="account-title">"Account"</h2>
                <AccountFacts/>
                <h3>"Password"</h3>
                <PasswordForm/>
            </section>
            <section class="card" aria-labelledby="policies-title">
                <h2 id="policies-title">"Policies"</h2>
                <p class="hint">
                    "Custom policies are Kubernetes ValidatingAdmissionPolicy objects (CEL) with their bindings and params: "
                    "every scan of a team's clusters applies its enabled ones, and their findings have the rule ids "
                    <code>"vap/<policy name>"</code>
                    ". A scan records the versions it applied; the trend marks the scans where they changed. "
                    "Try a policy first in the playground's Policies panel."
                </p>
                <TeamPolicies/>
            </section>
            <section class="card" aria-labelledby="email-title">
                <h2 id="email-title">"Email"</h2>
                <Subscriptions queued=queued/>
            </section>
            <section class="card" aria-labelledby="webhooks-title">
                <h2 id="webhooks-title">"Webhooks"</h2>
                <p class="hint">
                    "A team's digests, new critical findings and failed scans can also go to Slack, Microsoft Teams "
                    "or any HTTPS receiver (JSON signed with HMAC-SHA256), limited to some namespaces if you like. "
                    "The team's admins add them."
                </p>
                <TeamWebhooks/>
            </section>
            <section class="card" aria-labelledby="tokens-title">
                <h2 id="tokens-title">"API tokens"</h2>
                <p class="hint">
                    "Tokens let scripts and CI jobs use the API as you (" <code>"curl -H 'Authorization: Bearer …'"</code>
                    "). Each is shown once; revoke one you no longer use."
                </p>
                <ApiTokens/>
            </section>
            <Show when=is_admin>
                <section class="card" aria-labelledby="outbox-title">
                    <h2 id="outbox-title">"Outbox"</h2>
                    <Outbox queued=queued/>
                </section>
            </Show>
        </main>
    }
}

/// The account's email, role and teams.
#[component]
fn AccountFacts() -> impl IntoView {
    let auth = expect_context::<Auth>();
    move || {
        auth.me.get().map(|me| {
            let teams = if me.teams.is_empty() {
                view! { <p class="muted">"You belong to no team yet: ask an admin to add you to one."</p> }.into_any()
            } else {
                let items = me
                    .teams
                    .iter()
                    .map(|team| view! { <li>{team.name.clone()} " · " <span class="muted">{team.role.clone()}</span></li> })
                    .collect_view();
                view! { <ul class="plain-list">{items}</ul> }.into_any()
            };
            view! {
                <dl class="facts">
                    <dt>"Email"</dt>
                    <dd data-testid="account-email">{me.email.clone()}</dd>
                    <dt>"Role"</dt>
                    <dd>{if me.admin { "global admin" } else { "member" }}</dd>
                </dl>
                <h3>"Teams"</h3>
                {teams}
            }
        })
    }
}

/// The API tokens: the form that creates one (shown once), and the list with revoke.
#[component]
fn ApiTokens() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let tokens =
        LocalResource::new(move || async move { api::tokens().await.map_err(|failure| auth.explain(&failure)) });
    let created = RwSignal::new(None::<CreatedToken>);
    let name = RwSignal::new(String::new());
    let notice = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    let create_token = Action::new_local(move |chosen: &String| {
        let chosen = chosen.clone();
        async move {
            match api::create_token(&chosen).await {
                Ok(token) => {
                    created.set(Some(token));
                    name.set(String::new());
                    tokens.refetch();
                }
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        }
    });
    let revoke_token = Action::new_local(move |token: &Token| {
        let token = token.clone();
        async move {
            match api::revoke_token(token.id).await {
                Ok(()) => {
                    notice.set(format!("Token \"{}\" revoked: it no longer works.", token.name));
                    if created.with_untracked(|created| created.as_ref().is_some_and(|new| new.id == token.id)) {
                        created.set(None);
                    }
                    tokens.refetch();
                }
                Err(failure) => notice.set(auth.explain(&failure)),
            }
        }
    });
    let create = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        let chosen = name.get_untracked().trim().to_string();
        if chosen.is_empty() {
            error.set(Some("Name the token after where it will be used, such as \"ci\" or \"laptop\".".into()));
            return;
        }
        create_token.dispatch_local(chosen);
    };
    let revoke = Callback::new(move |token: Token| {
        revoke_token.dispatch_local(token);
    });

    view! {
        <form class="field-row" on:submit=create>
            <label class="field">
                <span>"New token name"</span>
                <input
                    type="text"
                    maxlength="100"
                    placeholder="ci"
                    bind:value=name
                />
            </label>
            <button type="submit" class="primary">"Create token"</button>
        </form>
        <p class="form-error" role="alert">{move || error.get()}</p>
        <NewTokenNotice created=created notice=notice/>
        <p class="notice" role="status" aria-live="polite">{move || notice.get()}</p>
        <TokenList tokens=tokens revoke=revoke/>
    }
}

/// A token just created, shown this once with a copy button.
#[component]
fn NewTokenNotice(created: RwSignal<Option<CreatedToken>>, notice: RwSignal<String>) -> impl IntoView {
    move || {
        created.get().map(|token| {
            let secret = token.token.clone();
            let copy = Action::new_local(move |secret: &String| {
                let secret = secret.clone();
                async move {
                    let copied = browser::copy_to_clipboard(&secret).await;
                    notice.set(if copied { "Token copied." } else { "Select the token and copy it." }.into());
                }
            });
            view! {
                <div class="new-token" role="status">
                    <p>
                        <strong>{format!("Token \"{}\" created.", token.name)}</strong>
                        " Copy it now: it is shown only once."
                    </p>
                    <div class="field-row">
                        <input type="text" readonly=true class="mono" prop:value=secret.clone() data-testid="new-token"/>
                        <button
                            type="button"
                            class="button"
                            on:click=move |_| {
                                copy.dispatch_local(secret.clone());
                            }
                        >"Copy"</button>
                    </div>
                    <p class="hint">"Use it as " <code>"Authorization: Bearer <token>"</code> "."</p>
                </div>
            }
        })
    }
}

/// The account's tokens: when each was created and last used, and revoke.
#[component]
fn TokenList(tokens: LocalResource<Result<Vec<Token>, String>>, revoke: Callback<Token>) -> impl IntoView {
    move || match tokens.get() {
        None => view! { <p class="loading-inline">"Loading tokens…"</p> }.into_any(),
        Some(Err(message)) => view! { <p class="form-error" role="alert">{message}</p> }.into_any(),
        Some(Ok(list)) if list.is_empty() => view! { <p class="muted">"No API tokens."</p> }.into_any(),
        Some(Ok(list)) => {
            let now = time::now_ms();
            let rows = list.into_iter().map(|token| token_row(token, now, revoke)).collect_view();
            view! { <DataTable class="tokens" columns=&["Name", "Created", "Last used", ""]>{rows}</DataTable> }
                .into_any()
        }
    }
}

fn token_row(token: Token, now: i64, revoke: Callback<Token>) -> impl IntoView {
    let revoked = token.revoked_at.is_some();
    let last_used = token
        .last_used_at
        .as_deref()
        .and_then(parse_rfc3339)
        .map(|at| time::relative(at, now))
        .unwrap_or_else(|| "never".to_string());
    let label = format!("Revoke the token \"{}\"", token.name);
    let revoked_text = revoked.then(|| format!("revoked {}", when(token.revoked_at.as_deref())));
    let (name, row_name, created_at) = (token.name.clone(), token.name.clone(), when(Some(&token.created_at)));
    view! {
        <tr data-testid="token-row" data-token=row_name>
            <th scope="row" data-label="Name">{name}</th>
            <td data-label="Created">{created_at}</td>
            <td data-label="Last used">{last_used}</td>
            <td class="actions">
                {match revoked_text {
                    Some(text) => view! { <span class="muted">{text}</span> }.into_any(),
                    None => view! {
                        <button
                            type="button"
                            class="button danger"
                            aria-label=label
                            on:click=move |_| revoke.run(token.clone())
                        >"Revoke"</button>
                    }
                    .into_any(),
                }}
            </td>
        </tr>
    }
}
