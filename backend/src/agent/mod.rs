//! `rampart agent`: runs inside a cluster, lists what the rules need with the server's own
//! scanner, and delivers it to a Rampart server. What travels is objects, not findings
//! (ARCHITECTURE.md says why): the server checks them with its engine, exactly as it
//! checks an API scan or a snapshot.
//!
//! The agent asks the server for its instructions every poll interval
//! (`GET /api/v1/agent/instructions`); when a scan is due or was asked for, it lists the
//! cluster with the in-cluster configuration (the mounted ServiceAccount token, read again
//! for every scan since the kubelet rotates it, `KUBERNETES_SERVICE_HOST`/`_PORT` and the
//! mounted CA) and streams the listing to `POST /api/v1/agent/scans/{id}` as gzip-compressed
//! lines ([`wire`]), page by page: memory is a few pages whatever the cluster's size. A
//! server that cannot be reached is tried again with exponential backoff and jitter; a
//! revoked token (401) stops the agent.

pub mod manifest;
pub mod wire;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use tokio::sync::{mpsc, oneshot};

use crate::ingest::{self, Delivery};
use crate::outbound::OutboundPolicy;
use crate::scanner::{self, ClusterConfig, ScanOptions};
use wire::Encoded;

/// The agent's version, as it reports it to the server.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where a Pod finds its ServiceAccount's token, CA and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// How the agent runs.
#[derive(Clone, Debug)]
pub struct AgentSettings {
    /// The Rampart server's URL (`https://rampart.example.com`).
    pub server: String,
    /// The agent token of the cluster (`RAMPART_AGENT_TOKEN`, or read from
    /// `RAMPART_AGENT_TOKEN_FILE` at each request).
    pub token: AgentTokenSource,
    /// The mounted ServiceAccount's directory (`token`, `ca.crt`).
    pub service_account_dir: PathBuf,
    /// Time between two requests for instructions.
    pub poll_interval: Duration,
    /// PEM file of the CA that signed the Rampart server's certificate, when the system's
    /// roots do not hold it.
    pub server_ca_file: Option<PathBuf>,
    /// The longest wait between two tries when the server cannot be reached.
    pub max_backoff: Duration,
}

/// Where the agent's token comes from.
#[derive(Clone)]
pub enum AgentTokenSource {
    Value(String),
    /// A file (a mounted Secret), read at each request: a new token is taken up at once.
    File(PathBuf),
}

impl std::fmt::Debug for AgentTokenSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentTokenSource::Value(_) => formatter.write_str("Value(<redacted>)"),
            AgentTokenSource::File(path) => formatter.debug_tuple("File").field(path).finish(),
        }
    }
}

impl AgentTokenSource {
    fn read(&self) -> Result<String, Trouble> {
        match self {
            AgentTokenSource::Value(token) => Ok(token.trim().to_string()),
            AgentTokenSource::File(path) => {
                std::fs::read_to_string(path).map(|token| token.trim().to_string()).map_err(|error| {
                    Trouble::Retry(format!("cannot read the agent token from {}: {error}", path.display()))
                })
            }
        }
    }
}

/// Why the agent stopped.
#[derive(Debug)]
pub enum Stopped {
    /// Asked to (SIGTERM, Ctrl-C).
    Signal,
    /// The server refused the agent for good (its token revoked or wrong): the message says
    /// what to do.
    Refused(String),
}

/// What went wrong with one request to the server.
enum Trouble {
    /// Tried again after a backoff.
    Retry(String),
    /// The agent stops.
    Fatal(String),
}

/// The in-cluster configuration: the API server from `KUBERNETES_SERVICE_HOST` and
/// `KUBERNETES_SERVICE_PORT`, the ServiceAccount's token and CA from `directory`, read now
/// (the token rotates: each scan reads it again).
pub fn in_cluster(directory: &Path) -> Result<ClusterConfig, String> {
    let variable = |name: &str| std::env::var(name).ok();
    in_cluster_from(variable("KUBERNETES_SERVICE_HOST"), variable("KUBERNETES_SERVICE_PORT"), directory)
}

/// [`in_cluster`] from the two variables' values.
fn in_cluster_from(host: Option<String>, port: Option<String>, directory: &Path) -> Result<ClusterConfig, String> {
    let host = host
        .filter(|host| !host.trim().is_empty())
        .ok_or("KUBERNETES_SERVICE_HOST is not set: `rampart agent` runs inside a cluster, in a Pod")?;
    let port = port.filter(|port| !port.trim().is_empty());
    let host = if host.contains(':') { format!("[{}]", host.trim()) } else { host.trim().to_string() };
    let server = format!("https://{host}:{}", port.as_deref().map(str::trim).unwrap_or("443"));
    let read = |name: &str| {
        let path = directory.join(name);
        std::fs::read_to_string(&path).map_err(|error| {
            format!(
                "cannot read {}: {error} — is the ServiceAccount token mounted (automountServiceAccountToken)?",
                path.display()
            )
        })
    };
    let token = read("token")?.trim().to_string();
    if token.is_empty() {
        return Err(format!("{} is empty", directory.join("token").display()));
    }
    Ok(ClusterConfig::Token { server, token, ca_pem: Some(read("ca.crt")?) })
}

/// Runs the agent until it is stopped or refused.
pub async fn run(settings: AgentSettings) -> Stopped {
    let client = match client(&settings) {
        Ok(client) => client,
        Err(message) => return Stopped::Refused(message),
    };
    tracing::info!(server = %settings.server, version = VERSION, "rampart agent: started");
    let mut backoff = Backoff::new(settings.max_backoff);
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        let step = async {
            match instructions(&client, &settings).await? {
                Some(scan_id) => deliver(&client, &settings, scan_id).await.map(|()| true),
                None => Ok(false),
            }
        };
        let wait = tokio::select! {
            _ = &mut stop => return Stopped::Signal,
            outcome = step => match outcome {
                // Delivered: ask again at once (another scan may be waiting).
                Ok(true) => { backoff.reset(); Duration::ZERO }
                Ok(false) => { backoff.reset(); settings.poll_interval }
                Err(Trouble::Fatal(message)) => return Stopped::Refused(message),
                Err(Trouble::Retry(message)) => {
                    let wait = backoff.next();
                    tracing::warn!(wait_ms = wait.as_millis() as u64, "{message}; trying again");
                    wait
                }
            },
        };
        tokio::select! {
            _ = &mut stop => return Stopped::Signal,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Resolves at SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn client(settings: &AgentSettings) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .user_agent(format!("rampart-agent/{VERSION}"))
        .connect_timeout(Duration::from_secs(10));
    if let Some(file) = &settings.server_ca_file {
        let pem = std::fs::read(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?;
        for certificate in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|error| format!("{} holds no usable certificate: {error}", file.display()))?
        {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|error| format!("cannot set up the HTTP client: {}", scanner::connect::chain(&error)))
}

fn url(settings: &AgentSettings, path: &str) -> String {
    format!("{}/api/v1/agent/{path}", settings.server.trim_end_matches('/'))
}

/// What an answer other than success means for the agent.
async fn trouble(response: reqwest::Response, doing: &str) -> Trouble {
    let status = response.status();
    let message = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|body| body["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| status.to_string());
    match status.as_u16() {
        401 | 403 => Trouble::Fatal(format!("the server refused the agent ({status}) {doing}: {message}")),
        _ => Trouble::Retry(format!("the server answered {status} {doing}: {message}")),
    }
}

fn unreachable(settings: &AgentSettings, error: &reqwest::Error) -> Trouble {
    Trouble::Retry(format!(
        "cannot reach the Rampart server at {}: {}",
        settings.server,
        scanner::connect::chain(error)
    ))
}

/// The scan to deliver now, if any.
async fn instructions(client: &reqwest::Client, settings: &AgentSettings) -> Result<Option<i64>, Trouble> {
    let response = client
        .get(url(settings, "instructions"))
        .bearer_auth(settings.token.read()?)
        .header(wire::VERSION_HEADER, VERSION)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|error| unreachable(settings, &error))?;
    if !response.status().is_success() {
        return Err(trouble(response, "asking for instructions").await);
    }
    let body: rampart_api::AgentInstructions =
        response.json().await.map_err(|error| Trouble::Retry(format!("unreadable instructions: {error}")))?;
    Ok(body.scan.map(|scan| scan.id))
}

/// Lists the cluster and streams it to the server as scan `scan_id`.
async fn deliver(client: &reqwest::Client, settings: &AgentSettings, scan_id: i64) -> Result<(), Trouble> {
    let token = settings.token.read()?;
    // A cluster that cannot be listed is still a delivery: the scan ends failed on the
    // server with the reason, where the dashboard shows it.
    let cluster = in_cluster(&settings.service_account_dir);
    tracing::info!(scan = scan_id, "listing the cluster for scan {scan_id}");
    // The listing hands over each object as its JSON: the agent holds pages of text, never
    // pages of trees.
    let (deliveries, received) = mpsc::channel::<Delivery<Encoded>>(ingest::QUEUE);
    let (listed, listing_done) = oneshot::channel::<()>();
    let listing = tokio::spawn(async move {
        match cluster {
            Ok(cluster) => {
                // The API server is the one of the agent's own Pod (its environment says where):
                // the outbound policy that keeps users' URLs off private networks does not apply.
                let options = ScanOptions { outbound: OutboundPolicy::lab(), ..ScanOptions::default() };
                scanner::stream(&cluster, &options, deliveries).await;
            }
            Err(message) => {
                let _ = deliveries.send(Delivery::Failed(message)).await;
            }
        }
        let _ = listed.send(());
    });
    let (chunks, chunks_received) = mpsc::channel::<std::io::Result<Vec<u8>>>(ingest::QUEUE);
    let encoding = tokio::task::spawn_blocking(move || encode(received, listing_done, chunks));
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(chunks_received, |mut chunks| async move {
        chunks.recv().await.map(|chunk| (chunk, chunks))
    }));
    let sent = client
        .post(url(settings, &format!("scans/{scan_id}")))
        .bearer_auth(token)
        .header(wire::VERSION_HEADER, VERSION)
        .header(reqwest::header::CONTENT_TYPE, wire::CONTENT_TYPE)
        .header(reqwest::header::CONTENT_ENCODING, "gzip")
        .body(body)
        .send()
        .await;
    listing.abort();
    let encoded = encoding.await.ok().and_then(Result::ok);
    let response = sent.map_err(|error| unreachable(settings, &error))?;
    match response.status().as_u16() {
        200..=299 => {
            let (objects, bytes) = encoded.unwrap_or_default();
            tracing::info!(scan = scan_id, objects, compressed_bytes = bytes, "scan {scan_id} delivered");
            Ok(())
        }
        // Delivered already (by this agent before a lost answer): never twice.
        409 => {
            tracing::info!(scan = scan_id, "scan {scan_id} was delivered already");
            Ok(())
        }
        400 => {
            let (Trouble::Retry(message) | Trouble::Fatal(message)) = trouble(response, "to the delivery").await;
            tracing::warn!(scan = scan_id, "{message}");
            Ok(())
        }
        _ => Err(trouble(response, &format!("to the delivery of scan {scan_id}")).await),
    }
}

/// Writes the deliveries as compressed lines into `chunks`, ending with the `end` line
/// only when the listing finished (a listing that stopped any other way ends the body with
/// an error, so the server never takes it for a whole cluster). The objects and compressed
/// bytes sent.
fn encode(
    mut deliveries: mpsc::Receiver<Delivery<Encoded>>,
    listing_done: oneshot::Receiver<()>,
    chunks: mpsc::Sender<std::io::Result<Vec<u8>>>,
) -> std::io::Result<(u64, u64)> {
    let writer = ChunkWriter { chunks: chunks.clone(), buffer: Vec::with_capacity(CHUNK), sent: 0 };
    let mut encoder = flate2::write::GzEncoder::new(writer, flate2::Compression::default());
    let mut objects = 0u64;
    while let Some(delivery) = deliveries.blocking_recv() {
        if let Delivery::Batch(batch) = &delivery {
            objects += batch.len() as u64;
        }
        wire::write_delivery(&mut encoder, &delivery)?;
        // The server checks nothing until the context is complete: its last line goes out
        // now (a sync flush, a few bytes), not behind the next ~64 KB of compressed batches.
        if matches!(delivery, Delivery::ContextDone { .. }) {
            encoder.flush()?;
        }
    }
    if listing_done.blocking_recv().is_err() {
        let error = std::io::Error::other("the listing stopped before it finished");
        let _ = chunks.blocking_send(Err(std::io::Error::other(error.to_string())));
        return Err(error);
    }
    wire::write_end(&mut encoder, objects)?;
    let mut writer = encoder.finish()?;
    writer.flush()?;
    Ok((objects, writer.sent))
}

/// Compressed bytes handed to the request body in chunks of this size.
const CHUNK: usize = 64 * 1024;

struct ChunkWriter {
    chunks: mpsc::Sender<std::io::Result<Vec<u8>>>,
    buffer: Vec<u8>,
    sent: u64,
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.sent += chunk.len() as u64;
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the request to the server ended"))
    }
}

/// Exponential backoff with jitter: 1 s, 2 s, 4 s… up to the maximum, each wait drawn
/// between half and all of it, so that agents cut off together do not return together.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_secs(1);

    fn new(max: Duration) -> Backoff {
        Backoff { next: Backoff::FIRST.min(max), max }
    }

    fn reset(&mut self) {
        self.next = Backoff::FIRST.min(self.max);
    }

    fn next(&mut self) -> Duration {
        let full = self.next;
        self.next = (self.next * 2).min(self.max);
        let mut random = [0u8; 2];
        OsRng.fill_bytes(&mut random);
        let fraction = 0.5 + f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX) / 2.0;
        full.mul_f64(fraction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_maximum() {
        let mut backoff = Backoff::new(Duration::from_secs(10));
        let waits: Vec<Duration> = (0..6).map(|_| backoff.next()).collect();
        for (wait, full) in waits.iter().zip([1, 2, 4, 8, 10, 10]) {
            let full = Duration::from_secs(full);
            assert!(*wait >= full / 2 && *wait <= full, "{wait:?} within half of {full:?} and all of it");
        }
        backoff.reset();
        assert!(backoff.next() <= Duration::from_secs(1));
    }

    #[test]
    fn the_end_of_the_context_is_sent_before_the_next_batch_is_listed() {
        let (deliveries, received) = mpsc::channel::<Delivery<Encoded>>(ingest::QUEUE);
        let (listed, listing_done) = oneshot::channel::<()>();
        let (chunks, mut chunks_received) = mpsc::channel(64);
        let encoding = std::thread::spawn(move || encode(received, listing_done, chunks));
        deliveries.blocking_send(Delivery::Context(Vec::new())).unwrap();
        deliveries.blocking_send(Delivery::ContextDone { errors: Vec::new(), unjudged_rules: Vec::new() }).unwrap();
        // The listing goes on (the channel stays open): what was sent so far decompresses
        // to both lines, far short of a chunk's worth.
        let mut sent = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let text = loop {
            while let Ok(chunk) = chunks_received.try_recv() {
                sent.extend(chunk.unwrap());
            }
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&sent[..]), &mut text);
            if text.contains("context_done") || std::time::Instant::now() > deadline {
                break text;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(text, "{\"context\":[]}\n{\"context_done\":{\"errors\":[],\"unjudged_rules\":[]}}\n");
        drop(deliveries);
        drop(listed);
        assert!(encoding.join().unwrap().is_err(), "a listing that did not finish ends the body with an error");
    }

    #[test]
    fn the_in_cluster_configuration_reads_the_mounted_files() {
        let directory = std::env::temp_dir().join(format!("rampart-agent-sa-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let (host, port) = (Some("fd00::1".to_string()), Some("6443".to_string()));
        let missing = in_cluster_from(host.clone(), port.clone(), &directory.join("nothing")).unwrap_err();
        assert!(missing.contains("token"), "{missing}");
        assert!(in_cluster_from(None, None, &directory).unwrap_err().contains("KUBERNETES_SERVICE_HOST"));
        std::fs::write(directory.join("token"), "abc\n").unwrap();
        std::fs::write(directory.join("ca.crt"), "PEM").unwrap();
        let Ok(ClusterConfig::Token { server, token, ca_pem }) = in_cluster_from(host, port, &directory) else {
            panic!()
        };
        assert_eq!(
            (server.as_str(), token.as_str(), ca_pem.as_deref()),
            ("https://[fd00::1]:6443", "abc", Some("PEM"))
        );
        let _ = std::fs::remove_dir_all(&directory);
    }
}
