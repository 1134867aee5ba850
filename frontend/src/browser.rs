//! The few browser services the app uses: the clock and timers, local storage, the
//! location hash, downloads, the clipboard and reading dropped or picked files.
//!
//! Every one of them is local to the browser. Nothing here sends a request: that is the
//! playground's privacy promise, and the end-to-end privacy test watches the network to
//! hold it. The dashboard's requests all go through [`crate::api`].

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// Milliseconds from the page's time origin, with sub-millisecond precision where the
/// browser allows it.
pub fn now_ms() -> f64 {
    window().performance().map(|performance| performance.now()).unwrap_or_default()
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be switched off (private modes, policies): the page then simply forgets.
    window().local_storage().ok().flatten()
}

pub fn storage_get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

pub fn storage_set(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
}

pub fn storage_remove(key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(key);
    }
}

/// The location's hash, with its `#` (empty when there is none).
pub fn hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// Replaces the hash without adding a history entry, and returns the full URL.
pub fn replace_hash(fragment: &str) -> String {
    let location = window().location();
    let base = format!(
        "{}{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let url = format!("{base}{fragment}");
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
    url
}

/// Offers `text` as a file download, from memory (a Blob URL, revoked right after).
pub fn download(file_name: &str, mime_type: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime_type);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|_| "the browser could not build the file".to_string())?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)
        .map_err(|_| "the browser could not offer the file".to_string())?;
    let anchor: web_sys::HtmlAnchorElement = document()
        .create_element("a")
        .map_err(|_| "the browser could not offer the file".to_string())?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(file_name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Copies text to the clipboard; says whether the browser accepted.
pub async fn copy_to_clipboard(text: &str) -> bool {
    let promise = window().navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// The files of a list, taken out of it: a file input's list empties when the input is
/// reset, which it is right after a pick so that picking the same file again works.
pub fn files_of(list: &web_sys::FileList) -> Vec<web_sys::File> {
    (0..list.length()).filter_map(|index| list.get(index)).collect()
}

/// Reads files as text: `(name, text)` in order; unreadable files are skipped and named in
/// the second list.
pub async fn read_files(files: Vec<web_sys::File>) -> (Vec<(String, String)>, Vec<String>) {
    let mut read = Vec::new();
    let mut failed = Vec::new();
    for file in files {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|text| text.as_string()) {
            Some(text) => read.push((file.name(), text)),
            None => failed.push(file.name()),
        }
    }
    (read, failed)
}

/// Waits `millis` milliseconds (a timer of the page; the dashboard polls running scans with
/// it).
pub async fn sleep(millis: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
