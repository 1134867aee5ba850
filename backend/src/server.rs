//! The HTTP/1.1 server under the router: its own accept loop over hyper, so that every
//! connection is bounded. A connection must send each request's headers within the
//! header-read timeout (also what closes a kept-alive connection left idle); a request
//! must be answered within the request timeout (longer for snapshot uploads); at most
//! `max_connections` are served at once, and a few more are taken only to answer 503 (or
//! `/healthz`), so that a server full of idle or slow clients still says so and still
//! answers its health probe, and never runs out of file descriptors.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Method, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use crate::client_address::{ClientIp, TrustedProxies};
use crate::limits::{ServerLimits, OVERFLOW_CONNECTIONS};

/// How long an overflow connection (one past the cap) may take to send its request.
const OVERFLOW_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// How long requests in flight may take to finish once the server is told to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in
/// flight finish (for at most [`SHUTDOWN_GRACE`]). Each request carries its client's
/// address ([`ClientIp`]), worked out with `proxies`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ServerLimits,
    proxies: TrustedProxies,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max_connections = limits.connections_within(crate::limits::open_file_limit());
    if max_connections < limits.max_connections {
        tracing::warn!(
            max_connections,
            asked = limits.max_connections,
            "the open-file limit allows fewer connections than max-connections: raise it (ulimit -n) to serve more"
        );
    }
    let connections = Arc::new(Semaphore::new(max_connections));
    let overflow = Arc::new(Semaphore::new(OVERFLOW_CONNECTIONS));
    let mut normal = hyper::server::conn::http1::Builder::new();
    normal.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let mut full = hyper::server::conn::http1::Builder::new();
    full.timer(TokioTimer::new()).header_read_timeout(OVERFLOW_HEADER_TIMEOUT).keep_alive(false);
    let timeouts = Timeouts { request: limits.request_timeout, upload: limits.upload_timeout };
    let graceful = GracefulShutdown::new();
    let proxies = Arc::new(proxies);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (builder, mode) = if let Ok(permit) = connections.clone().try_acquire_owned() {
            (&normal, Mode::Serve(permit))
        } else if let Ok(permit) = overflow.clone().try_acquire_owned() {
            (&full, Mode::Full(permit))
        } else {
            // Closed at once: the descriptors stay free for the connections being served.
            drop(stream);
            continue;
        };
        let router = router.clone();
        let full_server = matches!(mode, Mode::Full(_));
        let proxies = proxies.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let client = ClientIp(proxies.client(remote.ip(), request.headers()));
            handle(router.clone(), request, remote, client, timeouts, full_server)
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _held = mode;
            if let Err(error) = connection.await {
                tracing::debug!(client = %remote, error = %error, "connection closed");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after {}s were dropped", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}

/// A connection's place: among those served, or among the overflow answered 503.
enum Mode {
    Serve(#[allow(dead_code)] OwnedSemaphorePermit),
    Full(#[allow(dead_code)] OwnedSemaphorePermit),
}

#[derive(Clone, Copy)]
struct Timeouts {
    request: Duration,
    upload: Duration,
}

/// Whether the request uploads a cluster's objects, and so gets the upload timeout: a
/// snapshot (`POST /api/v1/clusters/{id}/snapshots`) or an agent's delivery of a scan
/// (`POST /api/v1/agent/scans/{id}`, streamed while the scan is recorded).
pub fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST
        && ((path.starts_with("/api/v1/clusters/") && path.ends_with("/snapshots"))
            || path.starts_with("/api/v1/agent/scans/"))
}

async fn handle(
    router: Router,
    mut request: Request<Incoming>,
    remote: SocketAddr,
    client: ClientIp,
    timeouts: Timeouts,
    full_server: bool,
) -> Result<Response<Body>, Infallible> {
    if full_server && request.uri().path() != "/healthz" {
        return Ok(refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is at its connection limit (max-connections); try again shortly",
        ));
    }
    request.extensions_mut().insert(ConnectInfo(remote));
    request.extensions_mut().insert(client);
    let timeout = if is_upload(request.method(), request.uri().path()) { timeouts.upload } else { timeouts.request };
    let answer = tokio::time::timeout(timeout, router.oneshot(request.map(Body::new))).await;
    Ok(match answer {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(_) => refusal(
            StatusCode::REQUEST_TIMEOUT,
            &format!("the request took longer than {}s (request-timeout, upload-timeout)", timeout.as_secs()),
        ),
    })
}

/// A JSON error that closes the connection, with Retry-After when the server is full.
fn refusal(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// After a failed accept: a client that gave up is nothing; out of file descriptors (or
/// another resource), the loop pauses instead of spinning, so connections in flight can
/// finish and free theirs.
async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(error.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused)
    {
        return;
    }
    tracing::warn!(error = %error, "cannot accept a connection; pausing");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_told_apart_by_method_and_path() {
        assert!(is_upload(&Method::POST, "/api/v1/clusters/3/snapshots"));
        assert!(!is_upload(&Method::GET, "/api/v1/clusters/3/snapshots"));
        assert!(!is_upload(&Method::POST, "/api/v1/clusters"));
        assert!(is_upload(&Method::POST, "/api/v1/agent/scans/7"));
        assert!(!is_upload(&Method::GET, "/api/v1/agent/instructions"));
    }
}
