//! The app's root: one route today, the playground at `/`.
//!
//! The dashboard routes (`/clusters`, `/clusters/:id`, `/reports`, `/settings`) arrive with
//! `rampart serve`; a router (leptos_router) comes with them. Until then the page is served
//! as static files from any path, so the playground answers whatever the path is.

use leptos::prelude::*;

use crate::pages::playground::Playground;

#[component]
pub fn App() -> impl IntoView {
    view! { <Playground/> }
}
