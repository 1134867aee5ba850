//! Who is logged in, for the pages that need it.
//!
//! The session itself is the server's HttpOnly cookie, which the page cannot read. What
//! the page keeps is [`Auth::me`] (from `GET /session`, in memory) and the CSRF token that
//! writes echo (handed to [`crate::api`]). Besides, local storage remembers the email of
//! the last login (`rampart.signed-in`, no secret): it is what lets the playground show
//! the dashboard's links without asking the server anything, since the playground makes
//! no request at all.

use leptos::prelude::*;

use crate::api::{self, Me};
use crate::browser;
use crate::routes;

/// The local storage key holding the email of the person logged in on this browser.
pub const SIGNED_IN_KEY: &str = "rampart.signed-in";

#[derive(Clone, Copy)]
pub struct Auth {
    /// The logged-in user, once `GET /session` (or the login) said so.
    pub me: RwSignal<Option<Me>>,
    /// The email remembered from the last login on this browser.
    pub remembered: RwSignal<Option<String>>,
}

impl Auth {
    pub fn new() -> Auth {
        Auth { me: RwSignal::new(None), remembered: RwSignal::new(browser::storage_get(SIGNED_IN_KEY)) }
    }

    /// Records a login (or a `GET /session` that found one).
    pub fn signed_in(&self, me: Me) {
        api::set_csrf_token(me.csrf_token.clone());
        browser::storage_set(SIGNED_IN_KEY, &me.email);
        self.remembered.set(Some(me.email.clone()));
        self.me.set(Some(me));
    }

    /// Forgets the login (logged out, or the session expired).
    pub fn signed_out(&self) {
        api::set_csrf_token(None);
        browser::storage_remove(SIGNED_IN_KEY);
        self.remembered.set(None);
        self.me.set(None);
    }

    /// Logs out on the server, forgets the login and goes to the login page (the "Log out"
    /// buttons' action).
    pub async fn log_out(self) {
        // A write needs the session's CSRF token; the playground has not asked for it.
        if self.me.get_untracked().is_none() {
            if let Ok(Some(me)) = api::session().await {
                api::set_csrf_token(me.csrf_token);
            }
        }
        let _ = api::logout().await;
        self.signed_out();
        routes::navigate("/login");
    }

    /// A failed call as a message for the page; a call refused for want of a session goes
    /// to the login page instead, which brings the person back here afterwards.
    pub fn explain(&self, error: &api::Error) -> String {
        if error.is_unauthorized() {
            self.signed_out();
            let location = window().location();
            let here = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
            routes::redirect(&routes::login_url(&here));
        }
        error.to_string()
    }
}

impl Default for Auth {
    fn default() -> Auth {
        Auth::new()
    }
}
