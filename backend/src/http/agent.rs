//! `/agent`: what an agent token can do, and nothing else. An agent (`rampart agent`,
//! inside its cluster) asks for its instructions and delivers the scans it is given; its
//! token names the one cluster it delivers for, so it cannot read findings, list clusters,
//! or deliver another cluster's scan (403), and once revoked it is refused (401).
//!
//! A delivery is the scan's objects as [`crate::agent::wire`] lines, gzip-compressed, in
//! one streamed body: read as it arrives, decompressed and parsed on a blocking thread,
//! and handed line by line to the same ingestion as an API scan or a snapshot
//! ([`crate::ingest`]), run by this server's scan runner (heartbeats, interruption and
//! retry included). Memory is a few batches, whatever the cluster's size.

use std::io::{BufReader, Read};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::Router;
use futures_util::StreamExt;
use rampart_api::{Accepted, AgentInstructions, ScanToDeliver};
use tokio::sync::mpsc;

use super::{Answer, ApiError, AppState, Path};
use crate::agent::wire;
use crate::ingest::{self, Delivery};
use crate::store::agents::{AgentClaim, AgentToken};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agent/instructions", get(instructions))
        // The compressed body is held to the API's cap; what it holds is read line by line.
        .route("/agent/scans/{id}", post(deliver).layer(DefaultBodyLimit::disable()))
}

/// The cluster an agent token delivers for.
#[derive(Clone, Copy, Debug)]
pub struct Agent {
    pub cluster_id: i64,
}

/// The bearer token of a request, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

/// What a revoked agent token is told.
pub const REVOKED: &str = "this agent token was revoked: issue a new one for the cluster \
     (POST /api/v1/clusters/{id}/agent-token) and update the agent's Secret";

impl FromRequestParts<AppState> for Agent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthorized)?;
        match state.store.agent_token(token).await? {
            AgentToken::Cluster(cluster_id) => Ok(Agent { cluster_id }),
            AgentToken::Revoked => Err(ApiError::Unauthenticated(REVOKED.into())),
            AgentToken::Unknown => Err(ApiError::Unauthenticated(
                "not an agent token: an agent authenticates with the token its cluster was registered with \
                 (RAMPART_AGENT_TOKEN)"
                    .into(),
            )),
        }
    }
}

/// The version an agent reports, kept short.
fn version(headers: &HeaderMap) -> Option<String> {
    let text = headers.get(wire::VERSION_HEADER)?.to_str().ok()?.trim();
    (!text.is_empty()).then(|| text.chars().take(64).collect())
}

/// `GET /agent/instructions`: the scan to deliver now, if one is due or was asked for.
/// Records the agent's contact and version.
async fn instructions(
    State(state): State<AppState>,
    agent: Agent,
    headers: HeaderMap,
) -> Result<Answer<AgentInstructions>, ApiError> {
    state.store.agent_contact(agent.cluster_id, version(&headers).as_deref()).await?;
    let scan = state.store.agent_pending_scan(agent.cluster_id).await?;
    Ok(Answer(AgentInstructions { scan: scan.map(|id| ScanToDeliver { id }) }))
}

/// `POST /agent/scans/{id}`: the scan's delivery (gzip-compressed lines). Answers when the
/// scan is recorded: 200 with its id; 409 when the scan is not waiting for a delivery
/// (delivered already: it is never recorded twice); 403 for another cluster's scan.
async fn deliver(
    State(state): State<AppState>,
    agent: Agent,
    Path(scan_id): Path<i64>,
    headers: HeaderMap,
    body: Body,
) -> Result<Answer<Accepted>, ApiError> {
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Err(ApiError::bad_request("a delivery is gzip-compressed: send Content-Encoding: gzip"));
    }
    state.store.agent_contact(agent.cluster_id, version(&headers).as_deref()).await?;
    match state.store.claim_agent_scan(agent.cluster_id, scan_id, state.scans.id()).await? {
        AgentClaim::Claimed => {}
        AgentClaim::NotThisCluster => {
            return Err(ApiError::Forbidden(format!("scan {scan_id} is not a scan of this agent's cluster")))
        }
        AgentClaim::NotWaiting => {
            return Err(ApiError::Conflict(format!(
                "scan {scan_id} is not waiting for a delivery: it was delivered already, or is under way"
            )))
        }
    }
    let (deliveries, received) = mpsc::channel(ingest::QUEUE);
    let finished = state.scans.run_agent_scan(agent.cluster_id, scan_id, received);

    // The body's chunks go to a blocking thread that decompresses and parses them.
    let (chunks, chunks_received) = mpsc::channel::<Bytes>(ingest::QUEUE);
    let reading = tokio::task::spawn_blocking(move || {
        let input = ChunkReader { chunks: chunks_received, current: Bytes::new() };
        let mut lines = BufReader::with_capacity(64 * 1024, flate2::read::GzDecoder::new(input));
        let read = wire::read_deliveries(&mut lines, |delivery| deliveries.blocking_send(delivery).is_ok());
        if let Err(message) = &read {
            let _ = deliveries.blocking_send(Delivery::Failed(format!("the agent's delivery failed: {message}")));
        }
        read
    });
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        // A body cut short ends the chunks early: the reader then fails the scan.
        let Ok(chunk) = chunk else { break };
        if chunks.send(chunk).await.is_err() {
            break;
        }
    }
    drop(chunks);
    let read = reading.await.map_err(ApiError::internal)?;
    if finished.await.is_err() {
        return Err(ApiError::Unavailable(format!(
            "scan {scan_id} was stopped before it was recorded (the server is shutting down); it is retried: \
             ask for instructions again"
        )));
    }
    match read {
        Ok(_) => Ok(Answer(Accepted { id: scan_id })),
        Err(message) => Err(ApiError::bad_request(format!("scan {scan_id} failed: {message}"))),
    }
}

/// The body's chunks as a blocking reader.
struct ChunkReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let count = buffer.len().min(self.current.len());
        buffer[..count].copy_from_slice(&self.current.split_to(count));
        Ok(count)
    }
}
