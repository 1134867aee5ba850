//! The web app embedded in release builds (see `backend/build.rs`): `rampart serve` with no
//! `--web-root` serves these files, and `index.html` for the app's own routes
//! (`/clusters/3`), so one binary is the whole product.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// Whether this build carries the web app.
pub fn embedded() -> bool {
    !generated::FILES.is_empty()
}

fn file(path: &str) -> Option<&'static [u8]> {
    generated::FILES.iter().find(|(name, _)| *name == path).map(|(_, bytes)| *bytes)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The answer to a request the API did not take: the file at that path, else `index.html`
/// for paths that look like the app's routes (no file extension); `None` for anything else
/// (the router answers it 404).
pub fn response(uri: &Uri) -> Option<Response> {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let (path, bytes) = match file(path) {
        Some(bytes) => (path, bytes),
        None if !path.rsplit('/').next().unwrap_or_default().contains('.') && !path.starts_with("api/") => {
            ("index.html", file("index.html")?)
        }
        None => return None,
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    // The files' names do not change between builds: revalidate rather than go stale.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_extension() {
        assert_eq!(content_type("rampart_web_bg.wasm"), "application/wasm");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("boot.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
