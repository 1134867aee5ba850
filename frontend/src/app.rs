//! The app's root: the router, the login state, and the page of the current route.
//!
//! `/` is the playground, public and request-free: it is mounted as it always was, with a
//! bar of links above it when this browser has logged in. The dashboard's pages
//! (`/clusters`, `/clusters/:id`, `/reports`, `/settings`) need a login: [`RequireLogin`] asks the
//! server who is logged in (`GET /session`, which answers 200 logged in or not) once, and sends to `/login` when nobody is.
//!
//! The playground and the dashboard are two WebAssembly modules built from this crate
//! (features `playground` and `dashboard`; see `frontend/Cargo.toml`): each renders its
//! own routes, and [`routes::navigate`] loads the page anew for the other's.

use leptos::prelude::*;

#[cfg(feature = "dashboard")]
use crate::api;
#[cfg(feature = "dashboard")]
use crate::components::nav::AppHeader;
#[cfg(feature = "playground")]
use crate::components::nav::PlaygroundBar;
#[cfg(feature = "dashboard")]
use crate::pages::cluster::ClusterPage;
#[cfg(feature = "dashboard")]
use crate::pages::clusters::ClustersPage;
#[cfg(feature = "dashboard")]
use crate::pages::compliance::CompliancePage;
#[cfg(feature = "dashboard")]
use crate::pages::login::Login;
#[cfg(feature = "playground")]
use crate::pages::playground::Playground;
#[cfg(feature = "dashboard")]
use crate::pages::reports::ReportsPage;
#[cfg(feature = "dashboard")]
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
        #[cfg(feature = "playground")]
        Route::Playground => view! {
            <PlaygroundBar/>
            <Playground/>
        }
        .into_any(),
        #[cfg(feature = "dashboard")]
        Route::Login { next } => view! { <Login next=next/> }.into_any(),
        #[cfg(feature = "dashboard")]
        Route::Clusters => view! { <RequireLogin><ClustersPage/></RequireLogin> }.into_any(),
        #[cfg(feature = "dashboard")]
        Route::Cluster(id) => view! { <RequireLogin><ClusterPage id=id/></RequireLogin> }.into_any(),
        #[cfg(feature = "dashboard")]
        Route::Compliance(id) => view! { <RequireLogin><CompliancePage id=id/></RequireLogin> }.into_any(),
        #[cfg(feature = "dashboard")]
        Route::Reports => view! { <RequireLogin><ReportsPage/></RequireLogin> }.into_any(),
        #[cfg(feature = "dashboard")]
        Route::Settings => view! { <RequireLogin><SettingsPage/></RequireLogin> }.into_any(),
        #[cfg(feature = "dashboard")]
        Route::NotFound(path) => view! {
            <main id="main" class="page">
                <h1>"Not found"</h1>
                <p>{format!("Nothing lives at {path}. ")} <a href="/clusters">"Go to the clusters"</a> " or "
                    <a href="/">"the playground"</a> "."</p>
            </main>
        }
        .into_any(),
        // A route of the other module: only when this one was loaded for it by mistake
        // (boot.js picks the module as `Route::parse` reads the path), since navigating
        // there loads the page anew. A link, not an automatic reload, so a mismatch
        // cannot loop.
        #[cfg(not(all(feature = "playground", feature = "dashboard")))]
        route => {
            let (path, search) = routes::current();
            let _ = route;
            view! {
                <main id="main" class="page">
                    <p>"This page is shown by the other part of the app. " <a href=format!("{path}{search}")>"Open it"</a> "."</p>
                </main>
            }
            .into_any()
        }
    }
}

/// Shows its children under the app's header once the server says who is logged in;
/// sends to `/login` (and back here afterwards) when nobody is.
#[cfg(feature = "dashboard")]
#[component]
fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    // Asked once per page load: a login, or an earlier page of this load, already said.
    let asked = auth.me.get_untracked().is_none().then(|| LocalResource::new(api::session));
    Effect::new(move |_| match asked.and_then(|asked| asked.get()) {
        Some(Ok(Some(me))) => auth.signed_in(me),
        Some(Ok(None) | Err(api::Error::Unauthorized(_))) => {
            auth.signed_out();
            let location = window().location();
            let here = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
            routes::redirect(&routes::login_url(&here));
        }
        _ => {}
    });
    let failed = move || {
        asked.and_then(|asked| {
            asked.with(|answer| match answer {
                Some(Err(error)) if !matches!(error, api::Error::Unauthorized(_)) => Some(error.to_string()),
                _ => None,
            })
        })
    };
    move || {
        if auth.me.with(Option::is_some) {
            view! {
                <AppHeader/>
                {children()}
            }
            .into_any()
        } else if let Some(message) = failed() {
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
