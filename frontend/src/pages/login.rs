//! `/login`: single sign-on (when the server has an OIDC provider: a link to
//! `/api/v1/oidc/login`, which comes back here with `?sso_error=` when it fails) and email
//! and password (unless the server turned passwords off), then back to the page that asked
//! (`?next=`), else the dashboard. The server sets the session cookie; the page keeps the
//! CSRF token.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api;
use crate::routes;
use crate::session::Auth;

#[component]
pub fn Login(next: Option<String>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let email = RwSignal::new(auth.remembered.get_untracked().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(routes::query_value(&window().location().search().unwrap_or_default(), "sso_error"));
    let next = StoredValue::new(next.unwrap_or_else(|| "/clusters".to_string()));
    // How this server signs people in; passwords until it says otherwise.
    let asked = LocalResource::new(|| async { api::auth_methods().await.ok() });
    let methods =
        Signal::derive(move || asked.get().flatten().unwrap_or(api::AuthMethods { password: true, oidc: false }));
    let sso_href = move || format!("/api/v1/oidc/login{}", api::query(&[("next", &next.get_value())]));

    let log_in = Action::new_local(move |_: &()| async move {
        let result = async {
            let session = api::login(email.get_untracked().trim(), &password.get_untracked()).await?;
            api::set_csrf_token(Some(session.csrf_token));
            api::me().await
        }
        .await;
        match result {
            Ok(me) => {
                auth.signed_in(me);
                password.set(String::new());
                routes::navigate(&next.get_value());
            }
            Err(failure) => error.set(Some(failure.to_string())),
        }
    });
    let busy = log_in.pending();

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        log_in.dispatch_local(());
    };

    view! {
        <main id="main" class="login-page">
            <form class="card login-card" on:submit=submit aria-describedby="login-help">
                <h1 class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Rampart"
                </h1>
                <h2>"Log in"</h2>
                <Show when=move || methods.get().oidc>
                    <a class="button primary sso" data-testid="sso-login" href=sso_href>
                        "Sign in with single sign-on"
                    </a>
                </Show>
                <Show when=move || methods.get().password>
                <label class="field stacked">
                    <span>"Email"</span>
                    <input
                        type="email"
                        name="email"
                        autocomplete="username"
                        required=true
                        bind:value=email
                    />
                </label>
                <label class="field stacked">
                    <span>"Password"</span>
                    <input
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required=true
                        bind:value=password
                    />
                </label>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Logging in…" } else { "Log in" }}
                </button>
                </Show>
                <p class="form-error" role="alert" data-testid="login-error">{move || error.get()}</p>
                <p id="login-help" class="hint">
                    "No account yet? An admin creates one with "
                    <code>"rampart admin create-user EMAIL --password-stdin"</code>
                    ". On a new server, the setup link that "
                    <code>"rampart serve"</code>
                    " prints creates the first admin."
                </p>
                <p class="hint">
                    <a href="/">"Open the playground"</a>
                    ": check manifests in this browser without an account."
                </p>
            </form>
        </main>
    }
}
