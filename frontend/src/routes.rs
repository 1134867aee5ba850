//! The app's routes and a small router on the History API.
//!
//! Six routes do not need a routing library: [`Route::parse`] reads the location,
//! [`navigate`] pushes a history entry, and [`Router`] turns `popstate` (the back and
//! forward buttons, and [`navigate`] itself) into a signal the app renders from. Plain
//! `<a href>` links to the app's routes are followed in place by [`follow_links`], so links
//! stay links (open in a new tab, keyboard, screen readers) without reloading the
//! WebAssembly, except between the playground and the dashboard, which are two modules
//! ([`Route::shown_here`]): going from one's pages to the other's loads the page anew. `rampart serve` answers `index.html` for these paths, so a reload or a
//! shared link lands on the same page.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A page of the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`: the playground (public, makes no request).
    Playground,
    /// `/login?next=/clusters/3`.
    Login {
        next: Option<String>,
    },
    /// `/clusters`: the team dashboard.
    Clusters,
    /// `/clusters/:id`.
    Cluster(i64),
    /// `/clusters/:id/compliance?framework=cis`: the cluster's controls per framework (the
    /// framework is the page's own state, read from the location).
    Compliance(i64),
    /// `/reports?from=…&to=…&clusters=…`: reports over a period (the query is the page's
    /// own state, read from the location when it opens).
    Reports,
    /// `/settings`: the account, its email subscriptions and API tokens.
    Settings,
    NotFound(String),
}

impl Route {
    /// The route of a path and its query string (`?…`, or empty).
    pub fn parse(path: &str, search: &str) -> Route {
        let trimmed = path.trim_end_matches('/');
        match trimmed {
            "" | "/index.html" => Route::Playground,
            "/login" => Route::Login { next: query_value(search, "next").filter(|next| is_app_path(next)) },
            "/clusters" => Route::Clusters,
            "/reports" => Route::Reports,
            "/settings" => Route::Settings,
            _ => {
                let rest = trimmed.strip_prefix("/clusters/");
                let (id, page) = rest.map_or((None, None), |rest| match rest.split_once('/') {
                    Some((id, page)) => (id.parse::<i64>().ok(), Some(page)),
                    None => (rest.parse::<i64>().ok(), None),
                });
                match (id, page) {
                    (Some(id), None) if id > 0 => Route::Cluster(id),
                    (Some(id), Some("compliance")) if id > 0 => Route::Compliance(id),
                    _ => Route::NotFound(path.to_string()),
                }
            }
        }
    }

    /// Whether this module of the app shows the route: the playground's module shows the
    /// playground only, the dashboard's every other route (see the features in
    /// `frontend/Cargo.toml`; `boot.js` picks the module by the same rule).
    pub fn shown_here(&self) -> bool {
        const PLAYGROUND: bool = cfg!(feature = "playground");
        const DASHBOARD: bool = cfg!(feature = "dashboard");
        if matches!(self, Route::Playground) {
            PLAYGROUND
        } else {
            DASHBOARD
        }
    }

    /// Whether the page needs a logged-in user.
    pub fn needs_login(&self) -> bool {
        matches!(self, Route::Clusters | Route::Cluster(_) | Route::Compliance(_) | Route::Reports | Route::Settings)
    }

    /// The document title of the page.
    pub fn title(&self) -> String {
        match self {
            Route::Playground => "Rampart playground: Kubernetes hardening checks in your browser".to_string(),
            Route::Login { .. } => "Log in · Rampart".to_string(),
            Route::Clusters => "Clusters · Rampart".to_string(),
            Route::Cluster(id) => format!("Cluster {id} · Rampart"),
            Route::Compliance(id) => format!("Compliance · Cluster {id} · Rampart"),
            Route::Reports => "Reports · Rampart".to_string(),
            Route::Settings => "Settings · Rampart".to_string(),
            Route::NotFound(_) => "Not found · Rampart".to_string(),
        }
    }
}

/// Whether a path is one of the app's own pages (and so safe to go to after login: never
/// another origin, never an API URL).
pub fn is_app_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !matches!(Route::parse(path, ""), Route::NotFound(_))
}

/// A query parameter's decoded value.
pub fn query_value(search: &str, name: &str) -> Option<String> {
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| decode(value))
    })
}

/// Percent-decoding of a query value (`+` is a space); a `%` not followed by two hex
/// digits stays as it is.
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[index]) {
            (Some(byte), _) => {
                decoded.push(byte);
                index += 3;
                continue;
            }
            (None, b'+') => decoded.push(b' '),
            (None, byte) => decoded.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The login page's URL that comes back to `path` afterwards.
pub fn login_url(path: &str) -> String {
    format!("/login{}", crate::api::query(&[("next", path)]))
}

/// The current location's path and query string.
pub fn current() -> (String, String) {
    let location = window().location();
    (location.pathname().unwrap_or_else(|_| "/".to_string()), location.search().unwrap_or_default())
}

/// The route the app shows, following the location.
#[derive(Clone, Copy)]
pub struct Router {
    pub route: RwSignal<Route>,
}

impl Router {
    /// Reads the location now and follows `popstate` from then on.
    pub fn start() -> Router {
        let (path, search) = current();
        let router = Router { route: RwSignal::new(Route::parse(&path, &search)) };
        let handle = window_event_listener(leptos::ev::popstate, move |_| {
            let (path, search) = current();
            let route = Route::parse(&path, &search);
            if router.route.get_untracked() != route {
                router.route.set(route);
            }
        });
        on_cleanup(move || handle.remove());
        router
    }
}

/// Goes to a path of the app: a new history entry, and the app renders its page.
pub fn navigate(path: &str) {
    go(path, false);
}

/// Goes to a path without keeping the current page in the history (redirects).
pub fn redirect(path: &str) {
    go(path, true);
}

fn go(path: &str, replace: bool) {
    // A page of the app's other module: the browser loads it (boot.js picks that module).
    if !route_of(path).shown_here() {
        let location = window().location();
        let _ = if replace { location.replace(path) } else { location.assign(path) };
        return;
    }
    if let Ok(history) = window().history() {
        let _ = if replace {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path))
        };
    }
    // The router listens to popstate only; browsers do not fire it for pushState, so the
    // app fires it itself.
    if let Ok(event) = web_sys::Event::new("popstate") {
        let _ = window().dispatch_event(&event);
    }
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

/// The route of an app path with its query and fragment (`/login?next=%2F#top`).
fn route_of(path: &str) -> Route {
    let path = path.split_once('#').map_or(path, |(path, _)| path);
    match path.split_once('?') {
        Some((path, search)) => Route::parse(path, &format!("?{search}")),
        None => Route::parse(path, ""),
    }
}

/// Follows clicks on links to the app's own pages without reloading: a plain left click on
/// an `<a href>` of this origin, without a target, a download or a modifier key. Everything
/// else (new tabs, other origins, server pages such as `/setup`) is left to the browser.
pub fn follow_links() {
    let handle = window_event_listener(leptos::ev::click, |event: web_sys::MouseEvent| {
        if event.default_prevented()
            || event.button() != 0
            || event.ctrl_key()
            || event.meta_key()
            || event.shift_key()
            || event.alt_key()
        {
            return;
        }
        let Some(anchor) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest("a[href]").ok().flatten())
            .and_then(|element| element.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        else {
            return;
        };
        if !anchor.target().is_empty() || anchor.has_attribute("download") {
            return;
        }
        let origin = window().location().origin().unwrap_or_default();
        let (path, search, hash) = (anchor.pathname(), anchor.search(), anchor.hash());
        if anchor.origin() != origin || !is_app_path(&path) {
            return;
        }
        // A link to a fragment of the same page is the browser's to follow.
        let (current_path, current_search) = current();
        if !hash.is_empty() && path == current_path && search == current_search {
            return;
        }
        event.prevent_default();
        navigate(&format!("{path}{search}{hash}"));
    });
    on_cleanup(move || handle.remove());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(Route::parse("/", ""), Route::Playground);
        assert_eq!(Route::parse("/clusters", ""), Route::Clusters);
        assert_eq!(Route::parse("/clusters/", ""), Route::Clusters);
        assert_eq!(Route::parse("/clusters/12", ""), Route::Cluster(12));
        assert_eq!(Route::parse("/settings", ""), Route::Settings);
        assert_eq!(Route::parse("/reports", "?from=2026-01-01"), Route::Reports);
        assert!(matches!(Route::parse("/reports/print", ""), Route::NotFound(_)), "the print page is the server's");
        assert_eq!(Route::parse("/login", "?next=%2Fclusters%2F3"), Route::Login { next: Some("/clusters/3".into()) });
        assert!(matches!(Route::parse("/clusters/abc", ""), Route::NotFound(_)));
        assert_eq!(Route::parse("/clusters/12/compliance", "?framework=nsa"), Route::Compliance(12));
        assert!(matches!(Route::parse("/clusters/12/other", ""), Route::NotFound(_)));
        assert!(matches!(Route::parse("/clusters/x/compliance", ""), Route::NotFound(_)));
        assert!(matches!(Route::parse("/clusters/12/compliance/print", ""), Route::NotFound(_)));
        assert!(matches!(Route::parse("/clusters/0", ""), Route::NotFound(_)));
        assert!(matches!(Route::parse("/api/v1/me", ""), Route::NotFound(_)));
        assert!(Route::Cluster(1).needs_login() && !Route::Playground.needs_login());
    }

    #[test]
    fn paths_with_queries_and_fragments_map_to_routes() {
        assert_eq!(route_of("/"), Route::Playground);
        assert_eq!(route_of("/#m=abc"), Route::Playground);
        assert_eq!(route_of("/login?next=%2Fclusters%2F3"), Route::Login { next: Some("/clusters/3".into()) });
        assert_eq!(route_of("/clusters/4/compliance?framework=nsa#top"), Route::Compliance(4));
    }

    #[test]
    fn a_host_build_shows_every_route() {
        assert!(Route::Playground.shown_here() && Route::Clusters.shown_here());
        assert!(Route::Login { next: None }.shown_here() && Route::NotFound("/x".into()).shown_here());
    }

    #[test]
    fn login_only_returns_to_the_apps_own_pages() {
        for next in ["https://evil.example/", "//evil.example/clusters", "/api/v1/session", "/setup"] {
            let search = crate::api::query(&[("next", next)]);
            assert_eq!(Route::parse("/login", &search), Route::Login { next: None }, "{next}");
        }
        assert_eq!(login_url("/clusters/3"), "/login?next=%2Fclusters%2F3");
        assert_eq!(
            Route::parse("/login", "?next=%2Fclusters%2F3"),
            Route::parse("/login", &login_url("/clusters/3")[6..])
        );
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(query_value("?a=1&b=x%20y+z", "b").as_deref(), Some("x y z"));
        assert_eq!(query_value("?a=1", "b"), None);
        assert_eq!(query_value("?a=%E2%9C%93", "a").as_deref(), Some("✓"));
        assert_eq!(query_value("?a=100%", "a").as_deref(), Some("100%"));
        assert_eq!(query_value("?a=%zz", "a").as_deref(), Some("%zz"));
    }
}
