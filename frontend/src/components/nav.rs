//! The header of the dashboard's pages: the brand, the links between the app's pages (the
//! current one marked for screen readers), who is logged in, and "Log out". On the
//! playground, a slimmer bar with the same links appears when this browser has logged in.

use leptos::prelude::*;

use crate::routes::{Route, Router};
use crate::session::Auth;

/// The app's pages in the header, in order.
const LINKS: [(&str, &str); 4] =
    [("/", "Playground"), ("/clusters", "Clusters"), ("/reports", "Reports"), ("/settings", "Settings")];

fn is_current(route: &Route, href: &str) -> bool {
    match route {
        Route::Playground => href == "/",
        Route::Clusters | Route::Cluster(_) | Route::Compliance(_) => href == "/clusters",
        Route::Reports => href == "/reports",
        Route::Settings => href == "/settings",
        _ => false,
    }
}

fn links(router: Router) -> impl IntoView {
    LINKS
        .into_iter()
        .map(|(href, label)| {
            view! {
                <li>
                    <a
                        href=href
                        aria-current=move || is_current(&router.route.get(), href).then_some("page")
                    >{label}</a>
                </li>
            }
        })
        .collect_view()
}

/// The header of a page that needs a login.
#[component]
pub fn AppHeader() -> impl IntoView {
    let router = expect_context::<Router>();
    let auth = expect_context::<Auth>();
    let log_out = Action::new_local(move |_: &()| auth.log_out());
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="top app-header">
            <a class="brand" href="/clusters">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                " Rampart"
            </a>
            <nav class="app-nav" aria-label="Rampart">
                <ul>{links(router)}</ul>
            </nav>
            <div class="account">
                <span class="account-email">{move || auth.me.get().map(|me| me.email)}</span>
                <button type="button" class="button" on:click=move |_| {
                    log_out.dispatch_local(());
                }>"Log out"</button>
            </div>
        </header>
    }
}

/// The playground's bar of links to the dashboard when this browser has logged in
/// (remembered locally: the playground asks the server nothing), else a link to the
/// dashboard's login.
#[component]
pub fn PlaygroundBar() -> impl IntoView {
    let router = expect_context::<Router>();
    let auth = expect_context::<Auth>();
    let log_out = Action::new_local(move |_: &()| auth.log_out());
    move || match auth.remembered.get() {
        Some(email) => view! {
            <nav class="app-bar" aria-label="Rampart">
                <ul>{links(router)}</ul>
                <span class="account-email">{email}</span>
                <button type="button" class="link" on:click=move |_| {
                    log_out.dispatch_local(());
                }>"Log out"</button>
            </nav>
        }
        .into_any(),
        // Logged out: the way to the dashboard of a Rampart server serving this page.
        None => view! {
            <nav class="app-bar app-bar-guest" aria-label="Rampart">
                <a href="/login" data-testid="dashboard-login">"Dashboard: log in"</a>
            </nav>
        }
        .into_any(),
    }
}
