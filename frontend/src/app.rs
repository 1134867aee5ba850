//! The app's root: the router, the login state, and the page of the current route.
//!
//! `/` is the playground, public and request-free: it is mounted as it always was, with a
//! bar of links above it when this browser has logged in. The dashboard's pages
//! (`/clusters`, `/clusters/:id`, `/reports`, `/settings`) need a login: [`RequireLogin`] asks the
//! server who is logged in (`GET /session`, which answers 200 logged in or not) once, and sends to `/login` when nobody is.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::nav::{AppHeader, PlaygroundBar};
use crate::pages::cluster::ClusterPage;
use crate::pages::clusters::ClustersPage;
use crate::pages::compliance::CompliancePage;
use crate::pages::login::Login;
use crate::pages::playground::Playground;
use crate::pages::reports::ReportsPage;
use crate::pages::settings::SettingsPage;
use crate::routes::{self, follow_links, Route, Router};
use crate::session::Auth;

#[component]
pub fn App() -> impl IntoView {
    let router = Router::start();
    provide_context(router);
    let auth = Auth::new();
    provide_context(auth);
    follow_links();
    Effect::new(move |_| document().set_title(&router.route.get().title()));

    move || match router.route.get() {
        Route::Playground => view! {
            <PlaygroundBar/>
            <Playground/>
        }
        .into_any(),
        Route::Login { next } => view! { <Login next=next/> }.into_any(),
        Route::Clusters => view! { <RequireLogin><ClustersPage/></RequireLogin> }.into_any(),
        Route::Cluster(id) => view! { <RequireLogin><ClusterPage id=id/></RequireLogin> }.into_any(),
        Route::Compliance(id) => view! { <RequireLogin><CompliancePage id=id/></RequireLogin> }.into_any(),
        Route::Reports => view! { <RequireLogin><ReportsPage/></RequireLogin> }.into_any(),
        Route::Settings => view! { <RequireLogin><SettingsPage/></RequireLogin> }.into_any(),
        Route::NotFound(path) => view! {
            <main id="main" class="page">
                <h1>"Not found"</h1>
                <p>{format!("Nothing lives at {path}. ")} <a href="/clusters">"Go to the clusters"</a> " or "
                    <a href="/">"the playground"</a> "."</p>
            </main>
        }
        .into_any(),
    }
}

/// Shows its children under the app's header once the server says who is logged in;
/// sends to `/login` (and back here afterwards) when nobody is.
#[component]
fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let failed = RwSignal::new(None::<String>);
    if auth.me.get_untracked().is_none() {
        spawn_local(async move {
            match api::session().await {
                Ok(Some(me)) => auth.signed_in(me),
                Ok(None) | Err(api::Error::Unauthorized(_)) => {
                    auth.signed_out();
                    let location = window().location();
                    let here =
                        format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
                    routes::redirect(&routes::login_url(&here));
                }
                Err(error) => failed.set(Some(error.to_string())),
            }
        });
    }
    move || {
        if auth.me.with(Option::is_some) {
            view! {
                <AppHeader/>
                {children()}
            }
            .into_any()
        } else if let Some(message) = failed.get() {
            view! {
                <main id="main" class="page">
                    <p class="form-error" role="alert">{message}</p>
                </main>
            }
            .into_any()
        } else {
            view! { <p class="loading" role="status">"Loading…"</p> }.into_any()
        }
    }
}
