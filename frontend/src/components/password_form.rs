//! The password form of `/settings`: the current password, the new one twice. The
//! server checks the current one, and logs out every other browser of the account.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api;
use crate::session::Auth;

/// The shortest password the server accepts.
pub const MIN_PASSWORD: usize = 8;

/// What is wrong with the new password before the server is asked; `None` when nothing.
pub fn new_password_problem(new: &str, repeated: &str) -> Option<String> {
    if new.chars().count() < MIN_PASSWORD {
        Some(format!("The new password needs at least {MIN_PASSWORD} characters."))
    } else if new != repeated {
        Some("The two new passwords differ: type the same one twice.".to_string())
    } else {
        None
    }
}

#[component]
pub fn PasswordForm() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(String::new());
    let change = Action::new_local(move |(old, chosen): &(String, String)| {
        let (old, chosen) = (old.clone(), chosen.clone());
        async move {
            match api::change_password(&old, &chosen).await {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    repeated.set(String::new());
                    notice.set("Password changed. Other browsers logged in to this account were logged out.".into());
                }
                Err(failure) => error.set(Some(auth.explain(&failure))),
            }
        }
    });
    let busy = change.pending();

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        notice.set(String::new());
        let (old, chosen) = (current.get_untracked(), new.get_untracked());
        if let Some(problem) = new_password_problem(&chosen, &repeated.get_untracked()) {
            error.set(Some(problem));
            return;
        }
        change.dispatch_local((old, chosen));
    };

    view! {
        <form class="password-form" on:submit=submit>
            <div class="settings-grid">
                <label class="field stacked">
                    <span>"Current password"</span>
                    <input type="password" autocomplete="current-password" required=true bind:value=current/>
                </label>
                <label class="field stacked">
                    <span>"New password"</span>
                    <input
                        type="password"
                        autocomplete="new-password"
                        required=true
                        minlength=MIN_PASSWORD.to_string()
                        bind:value=new
                    />
                </label>
                <label class="field stacked">
                    <span>"Repeat the new password"</span>
                    <input type="password" autocomplete="new-password" required=true bind:value=repeated/>
                </label>
            </div>
            <button type="submit" class="primary" disabled=move || busy.get()>"Change password"</button>
            <p class="form-error" role="alert">{move || error.get()}</p>
            <p class="notice" role="status" aria-live="polite" data-testid="password-notice">{move || notice.get()}</p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_are_checked_before_sending() {
        assert!(new_password_problem("short", "short").unwrap().contains("8 characters"));
        assert!(new_password_problem("long enough", "long enougH").unwrap().contains("differ"));
        assert_eq!(new_password_problem("long enough", "long enough"), None);
    }
}
