//! Listing one kind cluster-wide: page after page, each request under a timeout, answers
//! of 5xx (and 429) tried again with a doubling wait, a bounded number of times.
//!
//! Items are read as plain JSON, not as `k8s-openapi`'s typed structs, which would drop
//! fields the rules may need (and fields of kinds newer than the crate).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kube::api::ListParams;
use kube::core::Request;
use kube::Client;
use serde::de::{DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::connect::chain;
use super::json::{self, Item};
use super::kinds::{self, Kind};
use super::{Listed, ScanOptions};

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

/// One page of a kind, as the API server sent it (less its `managedFields`), each item
/// read as the scan keeps it; items owned by an object already listed are left out.
#[derive(Debug)]
pub struct Page<O> {
    pub kind: Arc<Kind>,
    pub items: Vec<O>,
    /// The uids of every item of the page, left out or not, when the kind may own objects
    /// itself.
    pub owner_uids: Vec<String>,
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
pub async fn list_kind<O: Listed>(
    client: &Client,
    kind: &Arc<Kind>,
    options: &ScanOptions,
    owner_uids: &HashSet<String>,
    pages: &mpsc::Sender<Page<O>>,
) -> Result<(), ListError> {
    let request = Request::new(kind.path());
    let mut continue_token: Option<String> = None;
    let mut restarted = false;
    loop {
        let mut params = ListParams::default().limit(options.page_size.max(1));
        if let Some(token) = &continue_token {
            params = params.continue_token(token);
        }
        let answer = with_retries(options, || {
            let built = if kind.metadata_only { request.list_metadata(&params) } else { request.list(&params) };
            async move {
                let built = built.map_err(|error| ListError::Request(error.to_string()))?;
                // The answer's text is read item by item and dropped: an item is never held
                // both as text and as a tree longer than it takes to read it.
                let text = get_text(client, built, options.request_timeout).await?;
                read_page::<O>(&text, kind, owner_uids)
            }
        })
        .await;
        let (page, next) = match answer {
            // The continue token expired (the API server compacted the version it pointed
            // into): a listing can only start over, which it does once.
            Err(ListError::Api { code: 410, .. }) if continue_token.is_some() && !restarted => {
                restarted = true;
                continue_token = None;
                continue;
            }
            answer => answer?,
        };
        if pages.send(page).await.is_err() {
            return Ok(());
        }
        match next.filter(|token| !token.is_empty()) {
            Some(token) => continue_token = Some(token),
            None => return Ok(()),
        }
    }
}

/// A list answer's page and its continue token: each item read into a tree, dropped if its
/// controller is among `owner_uids`, else handed to [`Listed::read`] at once, so that a
/// page is never held as trees unless the scan keeps trees.
fn read_page<O: Listed>(
    text: &str,
    kind: &Arc<Kind>,
    owner_uids: &HashSet<String>,
) -> Result<(Page<O>, Option<String>), ListError> {
    let seed = PageSeed::<O> { kind, owner_uids, kept: std::marker::PhantomData };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = seed.deserialize(&mut deserializer).and_then(|read| deserializer.end().map(|()| read));
    read.map_err(|error| ListError::Request(format!("Error deserializing response: {error}")))
}

/// Reads a list answer: `metadata.continue` and the `items`, the rest skipped.
struct PageSeed<'a, O> {
    kind: &'a Arc<Kind>,
    owner_uids: &'a HashSet<String>,
    kept: std::marker::PhantomData<O>,
}

impl<'de, O: Listed> DeserializeSeed<'de> for PageSeed<'_, O> {
    type Value = (Page<O>, Option<String>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, O: Listed> Visitor<'de> for PageSeed<'_, O> {
    type Value = (Page<O>, Option<String>);

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a list of objects")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut page = Page { kind: Arc::clone(self.kind), items: Vec::new(), owner_uids: Vec::new() };
        let mut metadata = ListPageMeta::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "metadata" => metadata = map.next_value()?,
                "items" => {
                    map.next_value_seed(ItemsSeed { page: &mut page, owner_uids: self.owner_uids })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((page, metadata.continue_token))
    }
}

/// Reads a page's `items` into the page, one item at a time.
struct ItemsSeed<'a, O> {
    page: &'a mut Page<O>,
    owner_uids: &'a HashSet<String>,
}

impl<'de, O: Listed> DeserializeSeed<'de> for ItemsSeed<'_, O> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, O: Listed> Visitor<'de> for ItemsSeed<'_, O> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a sequence of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let kind = Arc::clone(&self.page.kind);
        let may_own = kinds::may_own(&kind);
        while let Some(Item(item)) = items.next_element::<Item>()? {
            if may_own {
                self.page.owner_uids.extend(json::uid(&item).map(str::to_string));
            }
            if !json::owned_by_listed(&kind, &item, |uid| self.owner_uids.contains(uid)) {
                self.page.items.push(O::read(&kind, item).map_err(A::Error::custom)?);
            }
        }
        Ok(())
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
    let text = get_text(client, request, timeout).await?;
    serde_json::from_str(&text).map_err(|error| ListError::Request(format!("Error deserializing response: {error}")))
}

/// One request under the timeout: the answer's text.
async fn get_text(client: &Client, request: http::Request<Vec<u8>>, timeout: Duration) -> Result<String, ListError> {
    match tokio::time::timeout(timeout, client.request_text(request)).await {
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

#[cfg(test)]
mod tests {
    use rampart_core::object::Object;

    use super::*;
    use crate::agent::wire::Encoded;
    use crate::scanner::kinds::catalog;

    fn kind(name: &str) -> Arc<Kind> {
        Arc::new(catalog().into_iter().find(|kind| kind.kind == name).unwrap())
    }

    fn owned(name: &str, uid: &str, owner_kind: &str, owner_uid: &str) -> String {
        format!(
            r#"{{"metadata":{{"name":"{name}","uid":"{uid}","ownerReferences":[{{"apiVersion":"apps/v1","kind":"{owner_kind}","name":"o","uid":"{owner_uid}","controller":true}}]}}}}"#
        )
    }

    #[test]
    fn a_page_is_read_item_by_item_leaving_out_owned_items() {
        let text = format!(
            r#"{{"kind":"ReplicaSetList","apiVersion":"apps/v1","metadata":{{"resourceVersion":"1","continue":"page-2"}},"items":[{},{},{}],"extra":{{"x":[1]}}}}"#,
            owned("web-1", "r1", "Deployment", "d1"),
            owned("orphan", "r2", "Deployment", "gone"),
            r#"{"metadata":{"name":"alone","uid":"r3"}}"#,
        );
        let listed = HashSet::from(["d1".to_string()]);
        let (page, next) = read_page::<Object>(&text, &kind("ReplicaSet"), &listed).unwrap();
        let names: Vec<&str> = page.items.iter().map(|object| object.name.as_str()).collect();
        assert_eq!(names, ["orphan", "alone"]);
        assert_eq!(page.items[0].kind, "ReplicaSet");
        assert_eq!(next.as_deref(), Some("page-2"));
        assert_eq!(page.owner_uids, ["r1", "r2", "r3"], "a kind that may own names every uid, left out or not");

        let (page, next) = read_page::<Encoded>(&text, &kind("ReplicaSet"), &listed).unwrap();
        assert_eq!((page.items.len(), next.as_deref()), (2, Some("page-2")));

        // Pods own nothing: their uids are not kept.
        let pods = format!(r#"{{"metadata":{{}},"items":[{}]}}"#, owned("p", "p1", "ReplicaSet", "r9"));
        let (page, next) = read_page::<Object>(&pods, &kind("Pod"), &HashSet::new()).unwrap();
        assert_eq!((page.items.len(), page.owner_uids.len(), next), (1, 0, None));
    }

    #[test]
    fn an_unreadable_page_is_an_error_of_its_kind() {
        for text in [r#"{"items":[{"a":1},"#, "[]", r#"{"items":{}}"#, r#"{"items":[]} trailing"#] {
            let read = read_page::<Object>(text, &kind("Pod"), &HashSet::new());
            let Err(ListError::Request(message)) = read else { panic!("{text}: {read:?}") };
            assert!(message.starts_with("Error deserializing response"), "{message}");
        }
        let (page, next) = read_page::<Object>("{}", &kind("Pod"), &HashSet::new()).unwrap();
        assert!(page.items.is_empty() && next.is_none(), "an answer without items is an empty page");
    }
}
