//! A webhook receiver for tests: real HTTP/1.1 on a loopback port, which records every
//! request, checks a generic webhook's signature the way the README tells receivers to
//! (HMAC-SHA256 of `{timestamp}.{body}`, timestamp within five minutes), and can be
//! stopped (connections refused) and started again on the same port.

#![allow(dead_code)] // Each test binary uses the part it needs.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// One request the receiver took.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The signature checked against the secret: `Some(true)` valid, `Some(false)` wrong or
    /// stale, `None` unsigned.
    pub signature_valid: Option<bool>,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Statuses to answer the next requests with, in order (then 200).
    answers: Vec<u16>,
    secret: Option<Vec<u8>>,
}

pub struct Receiver {
    address: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// The README's check, in Rust: `sha256=` + hex HMAC-SHA256 of `{timestamp}.{body}`, and a
/// timestamp no more than five minutes from now.
pub fn verify(secret: &[u8], timestamp: &str, body: &str, signature: &str) -> bool {
    let Ok(seconds) = timestamp.parse::<i64>() else { return false };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    if (now - seconds).abs() > 300 {
        return false;
    }
    let Some(hex) = signature.strip_prefix("sha256=") else { return false };
    let Ok(expected) = (0..hex.len())
        .step_by(2)
        .map(|index| hex.get(index..index + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()).ok_or(()))
        .collect::<Result<Vec<u8>, ()>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    mac.verify_slice(&expected).is_ok()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let task = Some(tokio::spawn(serve(listener, shared.clone())));
        Receiver { address, shared, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The secret signatures are checked with.
    pub fn expect_secret(&self, secret: &str) {
        self.shared.lock().unwrap().secret = Some(secret.as_bytes().to_vec());
    }

    /// Answers the next requests with these statuses.
    pub fn answer_next_with(&self, statuses: &[u16]) {
        self.shared.lock().unwrap().answers.extend_from_slice(statuses);
    }

    /// Stops listening and drops every connection: connections are refused from now on.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(error) => {
                    assert!(Instant::now() < deadline, "port {} stays taken: {error}", self.address);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        self.task = Some(tokio::spawn(serve(listener, self.shared.clone())));
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits until at least `count` requests came, and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(Instant::now() < deadline, "{count} requests never came: {received:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Accepts connections until aborted; aborting drops the connections' tasks with it.
async fn serve(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let shared = shared.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(request, shared).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        // Finished connections are reaped as we go.
        while connections.try_join_next().is_some() {}
    }
}

async fn handle(request: Request<Incoming>, shared: Arc<Mutex<Shared>>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = request.into_body().collect().await.map(|body| body.to_bytes()).unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut shared = shared.lock().unwrap();
    let header = |name: &str| headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let signature_valid = match (header("x-rampart-signature"), header("x-rampart-timestamp"), &shared.secret) {
        (Some(signature), Some(timestamp), Some(secret)) => Some(verify(secret, &timestamp, &body, &signature)),
        (Some(_), _, _) => Some(false),
        _ => None,
    };
    let status = if shared.answers.is_empty() { 200 } else { shared.answers.remove(0) };
    shared.received.push(Received { path, headers, body, signature_valid, status });
    Response::builder().status(status).body(Full::new(Bytes::from_static(b"ok"))).unwrap()
}
