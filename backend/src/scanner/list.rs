//! Listing one kind cluster-wide: page after page, each request under a timeout, answers
//! of 5xx (and 429) tried again with a doubling wait, a bounded number of times.
//!
//! Items are read as plain JSON, not as `k8s-openapi`'s typed structs, which would drop
//! fields the rules may need (and fields of kinds newer than the crate).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use kube::api::ListParams;
use kube::core::Request;
use kube::Client;
use serde::Deserialize;
use tokio::sync::mpsc;

use rampart_core::tree::Node;

use super::connect::chain;
use super::json::{self, Item};
use super::kinds::{self, Kind};
use super::ScanOptions;

/// Why a kind could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The API server answered with an error status.
    #[error("{}", api_message(*.code, .reason, .message))]
    Api { code: u16, reason: String, message: String },
    /// A request took longer than the scan's request timeout.
    #[error("no answer within {0:.1?} (request timeout)")]
    Timeout(Duration),
    /// The request failed without an answer (connection reset, bad body …).
    #[error("{0}")]
    Request(String),
}

fn api_message(code: u16, reason: &str, message: &str) -> String {
    let what = match code {
        403 => "forbidden (403) — grant the scanner's account list on this kind",
        404 => "not found (404) — the cluster does not serve this kind",
        410 => "the listing expired while paging (410) — the next scan starts over",
        _ => "",
    };
    let detail = if message.is_empty() { reason } else { message };
    match (what.is_empty(), detail.is_empty()) {
        (true, true) => format!("the API server answered {code}"),
        (true, false) => format!("the API server answered {code}: {detail}"),
        (false, true) => what.to_string(),
        (false, false) => format!("{what}: {detail}"),
    }
}

/// One page of a kind, as the API server sent it (less its `managedFields`), as trees;
/// items owned by an object already listed are left out.
#[derive(Debug)]
pub struct Page {
    pub kind: Arc<Kind>,
    pub items: Vec<Node>,
    /// The uids of the items left out, when the kind may own objects itself.
    pub dropped_owner_uids: Vec<String>,
}

/// The parts of a list answer the scanner reads; items are read straight into trees.
#[derive(Deserialize)]
struct ListPage {
    #[serde(default)]
    metadata: ListPageMeta,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Default, Deserialize)]
struct ListPageMeta {
    #[serde(default, rename = "continue")]
    continue_token: Option<String>,
}

/// Lists every item of one kind, following `continue` tokens, and hands each page to
/// `pages` as it is read. Items whose controller is among `owner_uids` (objects listed
/// before) are dropped. A listing whose continue token expired starts over once: the pages
/// already handed over come again (the receiver counts an object once). Stops quietly when
/// `pages` is closed.
pub async fn list_kind(
    client: &Client,
    kind: &Arc<Kind>,
    options: &ScanOptions,
    owner_uids: &HashSet<String>,
    pages: &mpsc::Sender<Page>,
) -> Result<(), ListError> {
    let request = Request::new(kind.path());
    let may_own = kinds::may_own(kind);
    let mut continue_token: Option<String> = None;
    let mut restarted = false;
    loop {
        let mut params = ListParams::default().limit(options.page_size.max(1));
        if let Some(token) = &continue_token {
            params = params.continue_token(token);
        }
        let answer: Result<ListPage, ListError> = with_retries(options, || {
            let built = if kind.metadata_only { request.list_metadata(&params) } else { request.list(&params) };
            async move {
                let built = built.map_err(|error| ListError::Request(error.to_string()))?;
                get(client, built, options.request_timeout).await
            }
        })
        .await;
        let page = match answer {
            // The continue token expired (the API server compacted the version it pointed
            // into): a listing can only start over, which it does once.
            Err(ListError::Api { code: 410, .. }) if continue_token.is_some() && !restarted => {
                restarted = true;
                continue_token = None;
                continue;
            }
            answer => answer?,
        };
        let mut items = Vec::with_capacity(page.items.len());
        let mut dropped_owner_uids = Vec::new();
        for Item(item) in page.items {
            if json::owned_by_listed(kind, &item, |uid| owner_uids.contains(uid)) {
                if may_own {
                    dropped_owner_uids.extend(json::uid(&item).map(str::to_string));
                }
            } else {
                items.push(item);
            }
        }
        if pages.send(Page { kind: Arc::clone(kind), items, dropped_owner_uids }).await.is_err() {
            return Ok(());
        }
        match page.metadata.continue_token.filter(|token| !token.is_empty()) {
            Some(token) => continue_token = Some(token),
            None => return Ok(()),
        }
    }
}

/// The constraint kinds Gatekeeper serves, or none when it is not installed.
pub async fn discover_constraints(client: &Client, options: &ScanOptions) -> Result<Vec<Kind>, ListError> {
    let (group, version) = kinds::GATEKEEPER_CONSTRAINTS;
    let path = format!("/apis/{group}/{version}");
    let answer: Result<serde_json::Value, ListError> = with_retries(options, || {
        let built = http::Request::get(path.as_str()).body(Vec::new());
        async move {
            let built = built.map_err(|error| ListError::Request(error.to_string()))?;
            get(client, built, options.request_timeout).await
        }
    })
    .await;
    let resources = match answer {
        Ok(resources) => resources,
        Err(ListError::Api { code: 404, .. }) => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let first_order = kinds::catalog().len();
    let found = resources
        .get("resources")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|resource| {
            let plural = resource.get("name")?.as_str()?;
            let kind = resource.get("kind")?.as_str()?;
            // `constraints/status` and the like are subresources, not kinds.
            (!plural.contains('/')).then(|| (plural.to_string(), kind.to_string()))
        })
        .enumerate()
        .map(|(position, (plural, kind))| kinds::constraint(&plural, &kind, first_order + position))
        .collect();
    Ok(found)
}

/// One request under the timeout, its answer read as `T`.
async fn get<T: serde::de::DeserializeOwned>(
    client: &Client,
    request: http::Request<Vec<u8>>,
    timeout: Duration,
) -> Result<T, ListError> {
    match tokio::time::timeout(timeout, client.request::<T>(request)).await {
        Err(_elapsed) => Err(ListError::Timeout(timeout)),
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(kube::Error::Api(response))) => {
            Err(ListError::Api { code: response.code, reason: response.reason, message: response.message })
        }
        Ok(Err(error)) => {
            let text = chain(&error);
            if text.contains("timed out") {
                Err(ListError::Timeout(timeout))
            } else {
                Err(ListError::Request(text))
            }
        }
    }
}

/// Runs `attempt` until it succeeds, fails with an error not worth retrying, or has been
/// retried `options.retries` times; the wait doubles after each try.
async fn with_retries<T, F, Fut>(options: &ScanOptions, mut attempt: F) -> Result<T, ListError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ListError>>,
{
    let mut wait = options.retry_backoff;
    let mut tries_left = options.retries;
    loop {
        match attempt().await {
            Err(ListError::Api { code, .. }) if tries_left > 0 && (code >= 500 || code == 429) => {
                tries_left -= 1;
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
            done => return done,
        }
    }
}
