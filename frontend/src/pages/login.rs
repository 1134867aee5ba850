//! `/login`: email and password, then back to the page that asked (`?next=`), else the
//! dashboard. The server sets the session cookie; the page keeps the CSRF token.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::routes;
use crate::session::Auth;

#[component]
pub fn Login(next: Option<String>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let email = RwSignal::new(auth.remembered.get_untracked().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let next = StoredValue::new(next.unwrap_or_else(|| "/clusters".to_string()));

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            let result = async {
                let session = api::login(email.get_untracked().trim(), &password.get_untracked()).await?;
                api::set_csrf_token(Some(session.csrf_token));
                api::me().await
            }
            .await;
            busy.set(false);
            match result {
                Ok(me) => {
                    auth.signed_in(me);
                    password.set(String::new());
                    routes::navigate(&next.get_value());
                }
                Err(failure) => error.set(Some(failure.to_string())),
            }
        });
    };

    view! {
        <main id="main" class="login-page">
            <form class="card login-card" on:submit=submit aria-describedby="login-help">
                <h1 class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Rampart"
                </h1>
                <h2>"Log in"</h2>
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
                <p class="form-error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=busy>
                    {move || if busy.get() { "Logging in…" } else { "Log in" }}
                </button>
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
