//! `rampart serve` and `rampart admin …`: the commands that reach the server's database.
//! Each builds its own tokio runtime; the other commands never start one.

use std::io::BufRead;

use rampart::client_address::TrustedProxies;
use rampart::limits::ServerLimits;
use rampart::mail::MailSettings;
use rampart::oidc::OidcSettings;
use rampart::outbound::OutboundPolicy;
use rampart::scheduler::SchedulerSettings;
use rampart::startup::{Application, Settings};
use rampart::store::accounts::Role;
use rampart::store::{is_unique_violation, redact_url, Store};

use crate::cli::{AdminCommand, AgentArgs, CreateTokenArgs, CreateUserArgs, ServeArgs};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the tokio runtime starts")
}

/// An error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub fn serve(args: &ServeArgs) -> u8 {
    rampart::telemetry::init();
    let oidc = match oidc_settings(args) {
        Ok(oidc) => oidc,
        Err(message) => {
            eprintln!("error: {message}");
            return 2;
        }
    };
    let settings = Settings {
        listen: args.listen,
        database_url: args.database.database_url.clone(),
        web_root: args.web_root.clone(),
        secret_key: std::env::var("RAMPART_SECRET_KEY").ok().filter(|key| !key.is_empty()),
        key_file: args.secret_key_file.clone(),
        scheduler: SchedulerSettings {
            interval: args.scheduler_interval,
            lease: args.scan_lease,
            max_concurrent_scans: usize::from(args.max_concurrent_scans),
        },
        limits: limits(args),
        oidc,
        password_login: args.password_login,
        // The value was checked when the options were parsed.
        outbound: OutboundPolicy::from_settings(&args.outbound_allow, args.outbound_lab).unwrap_or_default(),
        trusted_proxies: TrustedProxies::from_settings(&args.trusted_proxies).unwrap_or_default(),
        skip_unchanged_objects: args.skip_unchanged_objects,
    };
    let mail = MailSettings {
        smtp_url: args.smtp_url.clone().filter(|url| !url.trim().is_empty()),
        from: args.mail_from.clone(),
        public_url: args.public_url.clone().filter(|url| !url.trim().is_empty()),
        interval: std::time::Duration::from_secs(args.mail_interval),
        ..MailSettings::default()
    };
    runtime().block_on(async {
        let app = match Application::build_with_mail(&settings, &mail).await {
            Ok(app) => app,
            Err(error) => {
                eprintln!("error: {}", chain(&error));
                return 2;
            }
        };
        tracing::info!(
            address = %app.address(),
            database = %redact_url(&settings.database_url),
            web_root = ?settings.web_root,
            "rampart serve: listening on http://{}",
            app.address()
        );
        if settings.outbound.lab {
            tracing::warn!(
                "outbound-lab is on: scans may reach loopback, link-local and private addresses and send tokens \
                 over plain http:// — for a lab only"
            );
        }
        if mail.smtp_url.is_some() && mail.public_url.is_none() && app.address().ip().is_unspecified() {
            tracing::warn!(
                "links in emails point at http://{}, which people cannot open: set RAMPART_PUBLIC_URL to the \
                 address they use, such as https://rampart.example.com",
                app.address()
            );
        }
        if let Some(token) = app.setup_token() {
            // Printed, not logged as a field: it is a one-time secret for whoever runs
            // the server, and goes to the terminal only.
            eprintln!(
                "\nNo users yet. Create the first admin at this one-time link (it works once, until the \
                 server stops):\n\n  http://{address}/setup?token={token}\n\n\
                 or from a shell: rampart admin create-user EMAIL --admin --password-stdin\n",
                address = app.address()
            );
        }
        match app.run_until(shutdown_signal()).await {
            Ok(()) => {
                tracing::info!("stopped");
                0
            }
            Err(error) => {
                eprintln!("error: the server stopped: {error}");
                1
            }
        }
    })
}

fn limits(args: &ServeArgs) -> ServerLimits {
    let defaults = ServerLimits::default();
    let concurrent_hashes = args.max_concurrent_logins.map_or(defaults.concurrent_hashes, usize::from);
    ServerLimits {
        concurrent_hashes,
        hash_queue: 8 * concurrent_hashes,
        logins_per_address: args.logins_per_address,
        header_read_timeout: args.header_read_timeout,
        request_timeout: args.request_timeout,
        upload_timeout: args.upload_timeout,
        max_connections: args.max_connections as usize,
        upload_memory: args.upload_memory as usize * 1024 * 1024,
    }
}

/// Completes on Ctrl-C or SIGTERM (what Kubernetes sends before stopping a pod).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub fn admin(command: &AdminCommand) -> u8 {
    let outcome = runtime().block_on(async {
        match command {
            AdminCommand::CreateUser(args) => create_user(args).await,
            AdminCommand::CreateToken(args) => create_token(args).await,
        }
    });
    match outcome {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("error: {message}");
            1
        }
    }
}

async fn open(url: &str) -> Result<Store, String> {
    Store::open(url).await.map_err(|error| chain(&error))
}

async fn create_user(args: &CreateUserArgs) -> Result<(), String> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|error| format!("cannot read the password: {error}"))?;
        let password = line.trim_end_matches(['\n', '\r']).to_string();
        if password.len() < 8 {
            return Err("the password is shorter than 8 characters".to_string());
        }
        Some(password)
    } else {
        None
    };
    let store = open(&args.database.database_url).await?;
    let user_id = store.create_user(&args.email, password.as_deref(), args.admin).await.map_err(|error| {
        if is_unique_violation(&error) {
            format!("a user with the email {} already exists", args.email)
        } else {
            chain(&error)
        }
    })?;
    let role = match args.role.as_deref() {
        Some(role) => Role::parse(role).unwrap_or(Role::Viewer),
        None if args.admin => Role::Admin,
        None => Role::Editor,
    };
    let team_id = store.ensure_team(&args.team).await.map_err(|error| chain(&error))?;
    store.set_membership(team_id, user_id, role).await.map_err(|error| chain(&error))?;
    store.close().await;
    eprintln!(
        "created {}user {} ({} of team '{}')",
        if args.admin { "admin " } else { "" },
        args.email,
        role.as_str(),
        args.team
    );
    Ok(())
}

async fn create_token(args: &CreateTokenArgs) -> Result<(), String> {
    let store = open(&args.database.database_url).await?;
    let user =
        store.user_by_email(&args.email).await.map_err(|error| chain(&error))?.ok_or_else(|| {
            format!("no user with the email {}: create it with `rampart admin create-user`", args.email)
        })?;
    let (_, token) = store.create_token(user.id, &args.name).await.map_err(|error| {
        if is_unique_violation(&error) {
            format!("{} already has a token named '{}'", args.email, args.name)
        } else {
            chain(&error)
        }
    })?;
    store.close().await;
    eprintln!("token '{}' for {} (shown only this once):", args.name, args.email);
    println!("{token}");
    Ok(())
}

/// Single sign-on's settings from the options, checked: an issuer needs a client id, and
/// turning passwords off needs single sign-on (else nobody could log in).
fn oidc_settings(args: &ServeArgs) -> Result<Option<OidcSettings>, String> {
    let issuer = args.oidc_issuer.as_deref().map(str::trim).filter(|issuer| !issuer.is_empty());
    let Some(issuer) = issuer else {
        if !args.password_login {
            return Err("password-login false needs single sign-on: set oidc-issuer and oidc-client-id".into());
        }
        return Ok(None);
    };
    if !issuer.starts_with("https://")
        && !issuer.starts_with("http://127.0.0.1")
        && !issuer.starts_with("http://localhost")
    {
        return Err(format!("oidc-issuer {issuer}: the provider must be reached over https://"));
    }
    let client_id = args
        .oidc_client_id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .ok_or("oidc-issuer needs oidc-client-id, the client registered with the provider")?;
    let client_secret = rampart::oidc::read_secret(
        args.oidc_client_secret_file.as_deref(),
        std::env::var("RAMPART_OIDC_CLIENT_SECRET").ok(),
    )?;
    let public_url = args
        .public_url
        .clone()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| format!("http://{}", args.listen));
    Ok(Some(OidcSettings {
        issuer: issuer.to_string(),
        client_id,
        client_secret,
        scopes: args.oidc_scopes.split_whitespace().map(str::to_string).collect(),
        groups_claim: args.oidc_groups_claim.clone(),
        group_map: args.oidc_group_map.0.clone(),
        redirect_uri: format!("{}/api/v1/oidc/callback", public_url.trim_end_matches('/')),
        clock_skew: OidcSettings::DEFAULT_SKEW,
        jwks_refresh: OidcSettings::DEFAULT_JWKS_REFRESH,
    }))
}

/// `rampart agent`: runs until SIGTERM (exit 0) or until the server refuses it for good
/// (exit 1: its token was revoked or is wrong).
pub fn agent(args: &AgentArgs) -> u8 {
    rampart::telemetry::init();
    let settings = rampart::agent::AgentSettings {
        server: args.server.trim().to_string(),
        token: match (&args.token_file, &args.token) {
            (Some(file), _) => rampart::agent::AgentTokenSource::File(file.clone()),
            (None, token) => rampart::agent::AgentTokenSource::Value(token.clone().unwrap_or_default()),
        },
        service_account_dir: args.service_account_dir.clone(),
        poll_interval: args.poll_interval,
        server_ca_file: args.server_ca_file.clone(),
        max_backoff: args.max_backoff,
    };
    if !(settings.server.starts_with("https://") || settings.server.starts_with("http://")) {
        eprintln!("error: --server must be the Rampart server's URL, such as https://rampart.example.com");
        return 2;
    }
    match runtime().block_on(rampart::agent::run(settings)) {
        rampart::agent::Stopped::Signal => {
            tracing::info!("rampart agent: stopped");
            0
        }
        rampart::agent::Stopped::Refused(message) => {
            tracing::error!("rampart agent: {message}");
            1
        }
    }
}
