//! A fake Kubernetes API server for tests: real HTTP on a loopback port, the API's JSON
//! shapes (lists with `metadata.continue`, `Status` errors, `PartialObjectMetadataList` for
//! metadata-only requests, `/version`, the discovery document of Gatekeeper's constraints),
//! and the misbehaviour a scan must survive: a forbidden kind, a slow kind, a kind that
//! fails with 503 a few times before answering, a kind held until the test releases it. It
//! records every request it is sent and stops when dropped.

#![allow(dead_code)] // Each test binary uses the part it needs.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::{oneshot, watch};

/// The token the fake server accepts.
pub const TOKEN: &str = "fake-token-0123456789";

/// What the fake cluster holds and how it misbehaves. Kinds are named by their collection
/// path (`/api/v1/pods`, `/apis/apps/v1/deployments`); [`path_of`] finds it for an object.
#[derive(Clone, Default)]
pub struct FakeCluster {
    /// Objects by collection path, in the order they were added.
    pub objects: HashMap<String, Vec<Value>>,
    /// Collections served even when empty (every kind Kubernetes itself serves).
    pub served: HashSet<String>,
    /// Collections that answer 403.
    pub forbidden: HashSet<String>,
    /// Collections that wait this long before answering.
    pub slow: HashMap<String, Duration>,
    /// Collections that answer only once [`FakeKube::release`] is called.
    pub held: HashSet<String>,
    /// Collections that answer 503 this many times before answering normally.
    pub failing: HashMap<String, u32>,
    /// Collections whose continue tokens expire (410 Gone) this many times.
    pub expiring: HashMap<String, u32>,
    /// Gatekeeper's constraint kinds (`(plural, kind)`), when it is installed.
    pub constraints: Option<Vec<(String, String)>>,
}

impl FakeCluster {
    /// A cluster serving every built-in kind of the scanner's catalog, empty.
    pub fn new() -> Self {
        let served =
            rampart::scanner::catalog().into_iter().filter(|kind| !kind.optional).map(|kind| kind.path()).collect();
        FakeCluster { served, ..FakeCluster::default() }
    }

    /// Adds an object (with its `apiVersion` and `kind`) to its collection.
    pub fn with(mut self, object: Value) -> Self {
        let path = path_of(&object);
        self.served.insert(path.clone());
        self.objects.entry(path).or_default().push(object);
        self
    }

    pub fn forbid(mut self, path: &str) -> Self {
        self.forbidden.insert(path.into());
        self
    }

    pub fn slow(mut self, path: &str, delay: Duration) -> Self {
        self.slow.insert(path.into(), delay);
        self
    }

    pub fn held(mut self, path: &str) -> Self {
        self.held.insert(path.into());
        self
    }

    pub fn failing(mut self, path: &str, times: u32) -> Self {
        self.failing.insert(path.into(), times);
        self
    }

    pub fn expiring(mut self, path: &str, times: u32) -> Self {
        self.expiring.insert(path.into(), times);
        self
    }

    pub fn gatekeeper(mut self, constraints: &[(&str, &str)]) -> Self {
        self.constraints =
            Some(constraints.iter().map(|(plural, kind)| (plural.to_string(), kind.to_string())).collect());
        for (plural, _) in constraints {
            self.served.insert(format!("/apis/constraints.gatekeeper.sh/v1beta1/{plural}"));
        }
        self
    }
}

/// The collection path of an object: `/api/v1/pods`, `/apis/apps/v1/deployments`.
pub fn path_of(object: &Value) -> String {
    let api_version = object["apiVersion"].as_str().expect("object has apiVersion");
    let kind = object["kind"].as_str().expect("object has kind").to_lowercase();
    let plural = if let Some(stem) = kind.strip_suffix('y') {
        format!("{stem}ies")
    } else if kind.ends_with("ss") {
        format!("{kind}es")
    } else if kind.ends_with('s') {
        // Gatekeeper's constraint kinds are plural already (`K8sRequiredLabels`).
        kind
    } else {
        format!("{kind}s")
    };
    if api_version.contains('/') {
        format!("/apis/{api_version}/{plural}")
    } else {
        format!("/api/{api_version}/{plural}")
    }
}

/// One request the fake server was sent.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub query: HashMap<String, String>,
    pub accept: String,
    pub authorization: String,
}

struct Shared {
    cluster: FakeCluster,
    /// Each collection's items as a typed list's items (without `apiVersion` and `kind`),
    /// serialised once: a page is the concatenation of its items, so that serving a large
    /// cluster (the agent benchmark's 50,000 objects) costs the fake next to nothing beside
    /// the process it measures.
    typed: HashMap<String, Vec<Vec<u8>>>,
    failures_left: Mutex<HashMap<String, u32>>,
    expiries_left: Mutex<HashMap<String, u32>>,
    requests: Mutex<Vec<Recorded>>,
    /// List requests being answered now, and the most there ever were at once.
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    /// Whether held collections answer now.
    released: watch::Sender<bool>,
    /// The bearer token accepted now ([`TOKEN`] until [`FakeKube::rotate_token`]).
    token: Mutex<String>,
    /// Collections forbidden from now on ([`FakeKube::forbid_now`]).
    forbidden_now: Mutex<HashSet<String>>,
}

/// Counts a list request as in flight until dropped.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> Self {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A running fake API server; stops when dropped.
pub struct FakeKube {
    pub url: String,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeKube {
    /// Serves plain HTTP.
    pub async fn start(cluster: FakeCluster) -> FakeKube {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let address: SocketAddr = listener.local_addr().unwrap();
        let (shared, app) = app(cluster);
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .ok();
        });
        FakeKube { url: format!("http://{address}"), shared, shutdown: Some(shutdown) }
    }

    /// Serves HTTPS with a certificate for 127.0.0.1 signed by [`CA_PEM`].
    pub async fn start_tls(cluster: FakeCluster) -> FakeKube {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let address: SocketAddr = tcp.local_addr().unwrap();
        let listener = TlsListener { tcp, acceptor: tls_acceptor() };
        let (shared, app) = app(cluster);
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .ok();
        });
        FakeKube { url: format!("https://{address}"), shared, shutdown: Some(shutdown) }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The most list requests the server was answering at the same time.
    pub fn most_in_flight(&self) -> usize {
        self.shared.most_in_flight.load(Ordering::SeqCst)
    }

    /// Lets requests to held collections answer, those waiting and those to come.
    pub fn release(&self) {
        self.shared.released.send_replace(true);
    }

    /// Accepts only `token` from now on (a ServiceAccount token rotated by the kubelet).
    pub fn rotate_token(&self, token: &str) {
        *self.shared.token.lock().unwrap() = token.to_string();
    }

    /// Forbids listing a collection from now on.
    pub fn forbid_now(&self, path: &str) {
        self.shared.forbidden_now.lock().unwrap().insert(path.to_string());
    }

    /// The requests for one collection.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|request| request.path == path).collect()
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// An item as a typed list holds it: without `apiVersion` and `kind`.
fn typed_item(item: &Value) -> Vec<u8> {
    let mut item = item.clone();
    if let Some(fields) = item.as_object_mut() {
        fields.remove("apiVersion");
        fields.remove("kind");
    }
    serde_json::to_vec(&item).expect("an item serialises")
}

fn app(cluster: FakeCluster) -> (Arc<Shared>, Router) {
    let typed =
        cluster.objects.iter().map(|(path, items)| (path.clone(), items.iter().map(typed_item).collect())).collect();
    let shared = Arc::new(Shared {
        typed,
        failures_left: Mutex::new(cluster.failing.clone()),
        expiries_left: Mutex::new(cluster.expiring.clone()),
        cluster,
        requests: Mutex::new(Vec::new()),
        in_flight: AtomicUsize::new(0),
        most_in_flight: AtomicUsize::new(0),
        released: watch::Sender::new(false),
        token: Mutex::new(TOKEN.to_string()),
        forbidden_now: Mutex::new(HashSet::new()),
    });
    (shared.clone(), Router::new().fallback(answer).with_state(shared))
}

/// The CA that signed the fake server's certificate (a test fixture; its key was discarded).
pub const CA_PEM: &str = include_str!("tls/ca.pem");
/// A CA that signed nothing the fake server presents.
pub const OTHER_CA_PEM: &str = include_str!("tls/other-ca.pem");

fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio_rustls::rustls::{crypto, ServerConfig};
    let certificates = pem::parse_many(include_str!("tls/server.pem"))
        .unwrap()
        .into_iter()
        .map(|block| CertificateDer::from(block.into_contents()))
        .collect();
    let key = pem::parse(include_str!("tls/server-key.pem")).unwrap().into_contents();
    let config = ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// TCP plus a TLS handshake per connection; a failed handshake (a client that does not
/// trust the certificate) is dropped and the next connection awaited.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.tcp.accept().await else { continue };
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// A URL on which nothing listens: a port bound, then released.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code.as_u16(),
    });
    (code, axum::Json(body)).into_response()
}

async fn answer(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().to_string();
    let query: HashMap<String, String> = uri
        .query()
        .map(|query| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .map(|(key, value)| (key.to_string(), value.replace("%2F", "/").replace("%3D", "=")))
                .collect()
        })
        .unwrap_or_default();
    let header_text = |name: header::HeaderName| {
        headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_string()
    };
    let recorded = Recorded {
        path: path.clone(),
        query: query.clone(),
        accept: header_text(header::ACCEPT),
        authorization: header_text(header::AUTHORIZATION),
    };
    shared.requests.lock().unwrap().push(recorded.clone());
    let cluster = &shared.cluster;

    if recorded.authorization != format!("Bearer {}", shared.token.lock().unwrap()) {
        return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
    }
    if path == "/version" {
        return axum::Json(json!({"major": "1", "minor": "34", "gitVersion": "v1.34.0", "platform": "linux/amd64"}))
            .into_response();
    }
    if path == "/apis/constraints.gatekeeper.sh/v1beta1" {
        return match &cluster.constraints {
            Some(constraints) => {
                let mut resources: Vec<Value> = constraints
                    .iter()
                    .map(|(plural, kind)| json!({"name": plural, "namespaced": false, "kind": kind, "verbs": ["list"]}))
                    .collect();
                resources.push(json!({"name": "k8srequiredlabels/status", "namespaced": false, "kind": "K8sRequiredLabels", "verbs": ["get"]}));
                axum::Json(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "constraints.gatekeeper.sh/v1beta1", "resources": resources}))
                    .into_response()
            }
            None => status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource"),
        };
    }
    if !cluster.served.contains(&path) {
        return status(StatusCode::NOT_FOUND, "NotFound", "the server could not find the requested resource");
    }
    let _in_flight = InFlight::enter(&shared);
    let plural = path.rsplit('/').next().unwrap_or_default().to_string();
    if cluster.forbidden.contains(&path) || shared.forbidden_now.lock().unwrap().contains(&path) {
        let message = format!(
            "{plural} is forbidden: User \"system:serviceaccount:rampart:scanner\" cannot list resource \"{plural}\" at the cluster scope"
        );
        return status(StatusCode::FORBIDDEN, "Forbidden", &message);
    }
    if let Some(delay) = cluster.slow.get(&path) {
        tokio::time::sleep(*delay).await;
    }
    if cluster.held.contains(&path) {
        let _ = shared.released.subscribe().wait_for(|released| *released).await;
    }
    {
        let mut failures_left = shared.failures_left.lock().unwrap();
        if let Some(left) = failures_left.get_mut(&path).filter(|left| **left > 0) {
            *left -= 1;
            return status(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the server is currently unable to handle the request",
            );
        }
    }

    if query.contains_key("continue") {
        let mut expiries_left = shared.expiries_left.lock().unwrap();
        if let Some(left) = expiries_left.get_mut(&path).filter(|left| **left > 0) {
            *left -= 1;
            return status(StatusCode::GONE, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
        }
    }
    // Borrowed, not cloned: a page copies only its own items (the benchmark serves 50,000).
    let items: &[Value] = cluster.objects.get(&path).map(Vec::as_slice).unwrap_or_default();
    let offset: usize = query.get("continue").and_then(|token| token.strip_prefix("page-")?.parse().ok()).unwrap_or(0);
    let limit: usize =
        query.get("limit").and_then(|limit| limit.parse().ok()).filter(|limit| *limit > 0).unwrap_or(usize::MAX);
    let end = offset.saturating_add(limit).min(items.len());
    let page = items.get(offset.min(items.len())..end).unwrap_or_default();
    let continue_token = if end < items.len() { format!("page-{end}") } else { String::new() };
    let metadata_only = recorded.accept.contains("as=PartialObjectMetadataList");
    let mut list_metadata = json!({"resourceVersion": "1000"});
    if !continue_token.is_empty() {
        list_metadata["continue"] = json!(continue_token);
        list_metadata["remainingItemCount"] = json!(items.len() - end);
    }
    if metadata_only {
        let page: Vec<Value> = page
            .iter()
            .map(|item| json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item["metadata"]}))
            .collect();
        return axum::Json(json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": list_metadata, "items": page}))
            .into_response();
    }
    // Items of a typed list carry no apiVersion or kind of their own: the page is written
    // from the items serialised that way once, in the order of `json!`'s sorted keys.
    let kind = page.first().and_then(|item| item["kind"].as_str()).unwrap_or("Object").to_string();
    let api_version = page.first().and_then(|item| item["apiVersion"].as_str()).unwrap_or("v1").to_string();
    let typed = shared.typed.get(&path).map(|typed| &typed[offset.min(typed.len())..end]).unwrap_or_default();
    let mut body = Vec::with_capacity(typed.iter().map(Vec::len).sum::<usize>() + typed.len() + 200);
    body.extend_from_slice(b"{\"apiVersion\":");
    body.extend(serde_json::to_vec(&api_version).unwrap());
    body.extend_from_slice(b",\"items\":[");
    for (position, item) in typed.iter().enumerate() {
        if position > 0 {
            body.push(b',');
        }
        body.extend_from_slice(item);
    }
    body.extend_from_slice(b"],\"kind\":");
    body.extend(serde_json::to_vec(&format!("{kind}List")).unwrap());
    body.extend_from_slice(b",\"metadata\":");
    body.extend(serde_json::to_vec(&list_metadata).unwrap());
    body.push(b'}');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A kubeconfig with two contexts: `fake` (the server at `server`) and `other`, the current
/// one, whose server does not exist; `user` is the user's indented YAML body.
pub fn kubeconfig(server: &str, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: other\n\
         clusters:\n- name: fake\n  cluster:\n    server: {server}\n\
         - name: other\n  cluster:\n    server: https://other.invalid:6443\n\
         users:\n- name: scanner\n  user:\n{user}\n\
         contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: scanner\n\
         - name: other\n  context:\n    cluster: other\n    user: scanner\n"
    )
}
