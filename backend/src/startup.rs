//! Builds the server: settings in, a bound listener and a router out. `rampart serve` and
//! the black-box tests build it the same way (tests on port 0 with a fresh database). The
//! mailer ([`crate::mail`]) runs beside the HTTP server.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::Router;
use tokio::net::TcpListener;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::client_address::TrustedProxies;
use crate::http::{self, AppState};
use crate::limits::ServerLimits;
use crate::mail::{Mail, MailError, MailSettings, Mailer};
use crate::outbound::OutboundPolicy;
use crate::scan_runner::ScanRunner;
use crate::scheduler::{Scheduler, SchedulerSettings};
use crate::secrets::random_hex;
use crate::secrets::{KeyError, SecretBox};
use crate::store::schedule::Abandoned;
use crate::store::{redact_url, OpenError, Store};

/// The policy for the web app: its WebAssembly needs `wasm-unsafe-eval`, nothing else is
/// loaded from anywhere but the server itself. Inline styles stay allowed because the
/// app positions editor overlays with style attributes.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// What the server needs to start.
#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database_url: String,
    /// A directory of static files (the web app's `frontend/dist/`) served at `/`; when
    /// `None`, the files a release build embedded (see [`crate::web_assets`]), if any.
    pub web_root: Option<PathBuf>,
    /// The key that encrypts cluster credentials, as 64 hex characters; else `key_file`.
    pub secret_key: Option<String>,
    /// Where the key is kept when `secret_key` is not given (created when missing).
    pub key_file: PathBuf,
    /// Scheduled scans, heartbeats and the cap on scans at once.
    pub scheduler: SchedulerSettings,
    /// Bounds on connections, requests, logins and uploads.
    pub limits: ServerLimits,
    /// Single sign-on through an OpenID Connect provider.
    pub oidc: Option<crate::oidc::OidcSettings>,
    /// Whether people may log in with a password (false: single sign-on and API tokens only).
    pub password_login: bool,
    /// Where scans and connection tests may connect (public addresses by default).
    pub outbound: OutboundPolicy,
    /// Reverse proxies whose `X-Forwarded-For` names the client (none by default).
    pub trusted_proxies: TrustedProxies,
    /// Whether rescans skip the engine for objects unchanged since the last complete scan
    /// (`RAMPART_SKIP_UNCHANGED_OBJECTS`; on by default): see [`crate::ingest`].
    pub skip_unchanged_objects: bool,
}

impl Settings {
    /// A server on 127.0.0.1 at a port the system picks, with every other setting at its
    /// default: what tests and benchmarks start.
    pub fn local(database_url: impl Into<String>, key_file: PathBuf) -> Settings {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            web_root: None,
            secret_key: None,
            key_file,
            scheduler: SchedulerSettings::default(),
            limits: ServerLimits::default(),
            oidc: None,
            password_login: true,
            outbound: OutboundPolicy::default(),
            trusted_proxies: TrustedProxies::default(),
            skip_unchanged_objects: true,
        }
    }
}

// The database URL may carry a password.
impl std::fmt::Debug for Settings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("web_root", &self.web_root)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<redacted>"))
            .field("key_file", &self.key_file)
            .field("scheduler", &self.scheduler)
            .field("limits", &self.limits)
            .field("oidc", &self.oidc.as_ref().map(|oidc| &oidc.issuer))
            .field("password_login", &self.password_login)
            .field("outbound", &self.outbound)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] OpenError),
    #[error("cannot listen on {address} — is another server using it? choose another with --listen")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the web root {0} is not a directory — build the web app with `cargo xtask dist`")]
    WebRoot(PathBuf),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{0}")]
    Scheduler(String),
    #[error("{0}")]
    Limits(String),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Oidc(crate::oidc::OidcError),
}

/// A server ready to run: its database open and migrated, its address bound.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    store: Store,
    router: Router,
    setup_token: Option<String>,
    scheduler: Scheduler,
    mailer: Mailer,
    limits: ServerLimits,
    proxies: TrustedProxies,
}

impl Application {
    /// The server with the default mail settings: no SMTP server, so emails stay in the
    /// outbox.
    pub async fn build(settings: &Settings) -> Result<Application, StartupError> {
        Application::build_with_mail(settings, &MailSettings::default()).await
    }

    pub async fn build_with_mail(settings: &Settings, mail: &MailSettings) -> Result<Application, StartupError> {
        if let Some(web_root) = &settings.web_root {
            if !web_root.is_dir() {
                return Err(StartupError::WebRoot(web_root.clone()));
            }
        }
        settings.scheduler.check().map_err(StartupError::Scheduler)?;
        settings.limits.check().map_err(StartupError::Limits)?;
        let secrets = SecretBox::load(settings.secret_key.as_deref(), &settings.key_file)?;
        let store = Store::open(&settings.database_url).await?;
        let runner = ScanRunner::new(
            store.clone(),
            secrets.clone(),
            settings.scheduler.max_concurrent_scans,
            settings.outbound.clone(),
        )
        .skipping_unchanged(settings.skip_unchanged_objects);
        if matches!(store, Store::Sqlite(_)) {
            // One process owns a SQLite file: whatever it left queued or running died with
            // it, whatever the heartbeat says. Interrupted and queued again at once.
            let everything = Abandoned::SilentBefore(i64::MAX);
            loop {
                let interrupted = store
                    .interrupt_abandoned_scans(everything)
                    .await
                    .map_err(|source| OpenError::Connect { url: redact_url(&settings.database_url), source })?;
                if !interrupted.is_empty() {
                    tracing::warn!(
                        scans = interrupted.len(),
                        "scans left unfinished by the previous run marked interrupted and queued again"
                    );
                }
                if interrupted.len() < 100 {
                    break;
                }
            }
        }
        let setup_token = match store.count_users().await {
            Ok(0) => Some(random_hex(24)),
            _ => None,
        };
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|source| StartupError::Listen { address: settings.listen, source })?;
        let address =
            listener.local_addr().map_err(|source| StartupError::Listen { address: settings.listen, source })?;
        let scheduler = Scheduler::new(store.clone(), runner.clone(), settings.scheduler);
        let mail_context = Arc::new(Mail::new(mail, &secrets, address)?);
        let webhooks = crate::mail::webhook::WebhookClient::new(settings.outbound.clone());
        let mailer = Mailer::new(store.clone(), mail_context.clone(), mail, secrets.clone(), webhooks.clone())?;
        let oidc = match &settings.oidc {
            Some(oidc) => Some(Arc::new(crate::oidc::Oidc::new(oidc.clone()).map_err(StartupError::Oidc)?)),
            None => None,
        };
        let state = AppState::new(store.clone(), setup_token.clone(), secrets, runner)
            .with_mail(mail_context)
            .with_webhooks(webhooks)
            .with_sign_in(oidc, settings.password_login)
            .with_limits(&settings.limits);
        let router = router(state, settings.web_root.as_deref());
        Ok(Application {
            listener,
            address,
            store,
            router,
            setup_token,
            scheduler,
            mailer,
            limits: settings.limits,
            proxies: settings.trusted_proxies.clone(),
        })
    }

    /// The address actually bound (the port chosen when asked for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The one-time token that creates the first admin, when the database had no user at
    /// start (`POST /api/v1/setup`).
    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    /// The scheduler's rounds so far; changes after each (tests wait on it).
    pub fn scheduler_rounds(&self) -> tokio::sync::watch::Receiver<u64> {
        self.scheduler.rounds()
    }

    /// The mailer, as the server runs it (tests drive rounds of it themselves).
    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// Serves, with the scheduler and the mailer running beside, until `shutdown`
    /// completes; then lets requests in flight finish, stops the mailer and the scheduler,
    /// and hands this process's unfinished scans back for a retry.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let scheduler = tokio::spawn(self.scheduler.run(stopped));
        let mailer = self.mailer.spawn();
        let served = crate::server::serve(self.listener, self.router, &self.limits, self.proxies, shutdown).await;
        mailer.stop().await;
        let _ = stop.send(true);
        let _ = scheduler.await;
        self.store.close().await;
        served
    }
}

/// The whole HTTP surface: health, the API, the web app's files.
pub fn router(state: AppState, web_root: Option<&Path>) -> Router {
    // Bodies are read by the extractors, which hold JSON to axum's default of 2 MB (less
    // for logins); the snapshot route reads its own after authorising it (see
    // `clusters::upload_snapshot`). API answers are personal: never stored by a cache.
    let api = http::api_router()
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    let mut router = Router::new()
        .merge(http::health::router())
        .merge(http::metrics::router())
        .merge(http::setup_page::router())
        .merge(http::openapi::router())
        .merge(http::subscriptions::unsubscribe_router())
        .merge(http::reports::print_router())
        .merge(http::compliance::print_router())
        .nest("/api/v1", api)
        .fallback(not_found);
    if let Some(web_root) = web_root {
        // Unknown paths get index.html, so the app's own routes (/clusters/3) load it.
        let files = ServeDir::new(web_root).fallback(ServeFile::new(web_root.join("index.html")));
        router = router.fallback_service(files);
    } else if crate::web_assets::embedded() {
        router = router.fallback(|uri: axum::http::Uri| async move {
            crate::web_assets::response(&uri).unwrap_or_else(|| http::ApiError::NotFound.into_response())
        });
    }
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        // The span names the path but not the query, which may carry a secret (the setup
        // link's token, an unsubscribe link's signature).
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<axum::body::Body>| {
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path())
        }))
        .with_state(state)
}

async fn not_found() -> http::ApiError {
    http::ApiError::NotFound
}
