//! Bounds on work that anyone may ask for before being authenticated, and on memory that
//! uploads hold: [`HashGate`] (password hashes at once, and how many may wait),
//! [`AddressLimiter`] (login attempts per client address and minute) and [`UploadBudget`]
//! (bytes of uploads held at once). Their sizes are the [`ServerLimits`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use http_body_util::BodyExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::ApiError;
use crate::client_address::ClientIp;
use crate::limits::{ServerLimits, UPLOAD_LIMIT};

/// How long a login may wait for a hashing slot before it is answered 503.
const HASH_WAIT: Duration = Duration::from_secs(10);

/// The window of [`AddressLimiter`].
const ADDRESS_WINDOW: Duration = Duration::from_secs(60);

/// The guards of one server, shared by its handlers.
#[derive(Debug)]
pub struct Guards {
    pub hashes: HashGate,
    pub addresses: AddressLimiter,
    pub uploads: UploadBudget,
}

impl Guards {
    pub fn new(limits: &ServerLimits) -> Guards {
        Guards {
            hashes: HashGate::new(limits.concurrent_hashes, limits.hash_queue),
            addresses: AddressLimiter::new(limits.logins_per_address),
            uploads: UploadBudget::new(limits.upload_memory),
        }
    }
}

impl Default for Guards {
    fn default() -> Guards {
        Guards::new(&ServerLimits::default())
    }
}

/// Runs password hashes on a few threads of its own, one hash per thread at a time; at
/// most `queue` more wait (for [`HASH_WAIT`] at most), further ones are refused with 503
/// at once. Threads of their own, rather than tokio's blocking pool of hundreds: each
/// thread's allocator keeps the 19 MiB of its last hash, so the memory a login burst
/// leaves is bounded by the number of hashing threads. A slot is held by the hashing
/// job itself, so a client that hangs up frees it only when the hash is done.
#[derive(Debug)]
pub struct HashGate {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    jobs: Mutex<std::sync::mpsc::Sender<Job>>,
}

type Job = Box<dyn FnOnce() + Send>;

/// Takes a waiter off the count however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl HashGate {
    pub fn new(threads: usize, queue: usize) -> HashGate {
        let threads = threads.max(1);
        let (jobs, received) = std::sync::mpsc::channel::<Job>();
        let received = Arc::new(Mutex::new(received));
        for _ in 0..threads {
            let received = received.clone();
            // The threads end when the gate (the sender) is dropped.
            let _ = std::thread::Builder::new().name("rampart-hash".to_string()).spawn(move || loop {
                let job = received.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                match job {
                    Ok(job) => {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                    Err(_) => return,
                }
            });
        }
        HashGate {
            slots: Arc::new(Semaphore::new(threads)),
            waiting: AtomicUsize::new(0),
            queue,
            jobs: Mutex::new(jobs),
        }
    }

    fn busy() -> ApiError {
        ApiError::RetryLater {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "the server is busy checking other logins; try again in a few seconds".to_string(),
            after: Duration::from_secs(2),
        }
    }

    /// A hashing slot, or 503 when too many wait already or the wait is too long.
    async fn slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(HashGate::busy());
        }
        let _waiting = Waiting(&self.waiting);
        match tokio::time::timeout(HASH_WAIT, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(HashGate::busy()),
        }
    }

    /// Runs `work` (password hashing) in a slot, on one of the gate's threads.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let slot = self.slot().await?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _slot = slot;
            let _ = answer.send(work());
        });
        let stopped = || ApiError::internal(std::io::Error::other("the password hashing threads stopped"));
        self.jobs.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).send(job).map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())
    }
}

/// Login attempts per client address in a one-minute window. IPv6 addresses count per
/// /64, the block one subscriber usually holds.
#[derive(Debug)]
pub struct AddressLimiter {
    per_minute: u32,
    attempts: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl AddressLimiter {
    pub fn new(per_minute: u32) -> AddressLimiter {
        AddressLimiter { per_minute, attempts: Mutex::new(HashMap::new()) }
    }

    fn key(address: IpAddr) -> IpAddr {
        match address {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
            },
            v4 => v4,
        }
    }

    /// Counts an attempt from `address`; 429 with Retry-After past the limit.
    pub fn attempt(&self, address: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(address) = address else { return Ok(()) };
        let mut attempts = self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if attempts.len() > 100_000 {
            attempts.retain(|_, (_, since)| since.elapsed() < ADDRESS_WINDOW);
        }
        let entry = attempts.entry(AddressLimiter::key(address)).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= ADDRESS_WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= self.per_minute {
            let wait = ADDRESS_WINDOW.saturating_sub(entry.1.elapsed());
            return Err(ApiError::RetryLater {
                status: StatusCode::TOO_MANY_REQUESTS,
                message: format!(
                    "too many login attempts from this address; try again in {} seconds",
                    wait.as_secs().max(1)
                ),
                after: wait,
            });
        }
        entry.0 += 1;
        Ok(())
    }
}

/// Bytes of uploads held in memory at once, from the first byte read until the upload's
/// scan ends.
#[derive(Debug)]
pub struct UploadBudget {
    bytes: Arc<Semaphore>,
}

/// Bytes taken from the [`UploadBudget`], given back when dropped.
#[derive(Debug)]
pub struct Held(#[allow(dead_code)] Option<OwnedSemaphorePermit>);

impl UploadBudget {
    pub fn new(bytes: usize) -> UploadBudget {
        UploadBudget { bytes: Arc::new(Semaphore::new(bytes.min(Semaphore::MAX_PERMITS))) }
    }

    /// Nothing held yet.
    pub fn none(&self) -> Held {
        Held(None)
    }

    /// Takes `bytes` more into `held`, or 503 with Retry-After when the budget is spent.
    pub fn take(&self, held: &mut Held, bytes: usize) -> Result<(), ApiError> {
        if bytes == 0 {
            return Ok(());
        }
        let more = u32::try_from(bytes)
            .ok()
            .and_then(|bytes| self.bytes.clone().try_acquire_many_owned(bytes).ok())
            .ok_or_else(|| ApiError::RetryLater {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "the server is reading as many uploads as it can hold (upload-memory); try again shortly"
                    .to_string(),
                after: Duration::from_secs(10),
            })?;
        match &mut held.0 {
            Some(permit) => permit.merge(more),
            none => *none = Some(more),
        }
        Ok(())
    }
}

/// Reads an upload's body as text: at most [`UPLOAD_LIMIT`] bytes (413 naming the limit,
/// at once when the declared length is larger), each byte counted against the budget
/// before it is kept (503 when spent). The bytes stay counted until the [`Held`] is dropped.
pub async fn read_upload(
    budget: &UploadBudget,
    headers: &HeaderMap,
    mut body: Body,
) -> Result<(String, Held), ApiError> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the upload is larger than {} MiB, the most the engine reads at once: split the export (a namespace or a \
             few kinds at a time)",
            UPLOAD_LIMIT / (1024 * 1024)
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let declared = match declared {
        Some(length) if length > UPLOAD_LIMIT as u64 => return Err(too_large()),
        Some(length) => usize::try_from(length).unwrap_or(UPLOAD_LIMIT),
        None => 0,
    };
    let mut held = budget.none();
    budget.take(&mut held, declared)?;
    let mut taken = declared;
    let mut bytes = Vec::with_capacity(declared);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| ApiError::bad_request(format!("the upload was cut short: {error}")))?;
        let Ok(data) = frame.into_data() else { continue };
        let length = bytes.len() + data.len();
        if length > UPLOAD_LIMIT {
            return Err(too_large());
        }
        if length > taken {
            budget.take(&mut held, length - taken)?;
            taken = length;
        }
        bytes.extend_from_slice(&data);
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        ApiError::bad_request(format!(
            "the upload is not UTF-8 text (invalid byte at offset {}): send `kubectl get … -o yaml` output as it is",
            error.utf8_error().valid_up_to()
        ))
    })?;
    Ok((text, held))
}

/// The address the request came from: the server's [`ClientIp`] (the TCP peer, or behind
/// trusted proxies the client they forwarded for), else the TCP peer.
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ClientIp(address)) = parts.extensions.get::<ClientIp>() {
            return Ok(ClientAddress(Some(*address)));
        }
        Ok(ClientAddress(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_limited_per_minute_and_ipv6_per_64() {
        let limiter = AddressLimiter::new(3);
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.attempt(Some(one)).is_ok());
        }
        assert!(matches!(
            limiter.attempt(Some(one)),
            Err(ApiError::RetryLater { status: StatusCode::TOO_MANY_REQUESTS, .. })
        ));
        assert!(limiter.attempt(Some("192.0.2.2".parse().unwrap())).is_ok());
        assert!(limiter.attempt(None).is_ok(), "no address (a test's in-process call) is not limited");
        for last in 1..=3 {
            assert!(limiter.attempt(Some(format!("2001:db8::{last}").parse().unwrap())).is_ok());
        }
        assert!(limiter.attempt(Some("2001:db8::ffff:1".parse().unwrap())).is_err(), "the same /64");
        assert!(limiter.attempt(Some("2001:db8:0:1::1".parse().unwrap())).is_ok(), "another /64");
    }

    #[tokio::test]
    async fn the_gate_bounds_hashes_at_once_and_refuses_past_its_queue() {
        let gate = Arc::new(HashGate::new(2, 3));
        let (running, most, refused) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let release = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (gate, running, most, refused, release) =
                    (gate.clone(), running.clone(), most.clone(), refused.clone(), release.clone());
                tokio::spawn(async move {
                    let outcome = gate
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            while !release.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await;
                    if outcome.is_err() {
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                    outcome
                })
            })
            .collect();
        // The hashes block until 15 requests were refused and 2 hashes run: 3 wait, the
        // rest are turned away.
        while refused.load(Ordering::SeqCst) < 15 || running.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        release.store(true, Ordering::SeqCst);
        let mut done = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => done += 1,
                Err(ApiError::RetryLater { status, .. }) => assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE),
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "at most 2 hashes at once");
        assert_eq!(done, 5, "2 running and 3 waiting");
    }

    #[test]
    fn the_upload_budget_is_shared_and_given_back() {
        let budget = UploadBudget::new(100);
        let mut first = budget.none();
        budget.take(&mut first, 60).unwrap();
        let mut second = budget.none();
        assert!(budget.take(&mut second, 50).is_err());
        budget.take(&mut second, 40).unwrap();
        drop(first);
        budget.take(&mut second, 50).unwrap();
    }
}
