//! From what a user registered (a kubeconfig and a context, or a URL, a token and a CA) to a
//! `kube` client; and the messages that say what to check when the cluster cannot be reached.
//!
//! Kubeconfigs come from users of a shared server, so only self-contained ones are accepted:
//! an `exec` or `auth-provider` user would run a program on the server, and file paths
//! (`token-file`, `client-certificate`, `certificate-authority`) would read its files.

use std::fmt;

use hyper_util::rt::TokioExecutor;
use kube::client::ConfigExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use secrecy::SecretString;

use super::ScanOptions;
use crate::outbound::{self, OutboundPolicy};

/// How to reach a cluster. `Debug` never shows the kubeconfig or the token.
#[derive(Clone)]
pub enum ClusterConfig {
    /// A kubeconfig's text and the context to use (its current context when `None`).
    Kubeconfig { text: String, context: Option<String> },
    /// The API server's URL, a bearer token, and the CA certificate(s) as PEM (the system's
    /// roots when `None`).
    Token { server: String, token: String, ca_pem: Option<String> },
}

impl fmt::Debug for ClusterConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterConfig::Kubeconfig { context, .. } => {
                formatter.debug_struct("Kubeconfig").field("text", &"<redacted>").field("context", context).finish()
            }
            ClusterConfig::Token { server, ca_pem, .. } => formatter
                .debug_struct("Token")
                .field("server", server)
                .field("token", &"<redacted>")
                .field("ca_pem", &ca_pem.as_ref().map(|_| "<pem>"))
                .finish(),
        }
    }
}

impl ClusterConfig {
    /// Where the advice in a message points: "the server URL in the kubeconfig context
    /// 'prod'" or "the server URL".
    fn what_to_check(&self, field: &str) -> String {
        match self {
            ClusterConfig::Kubeconfig { context: Some(context), .. } => {
                format!("{field} in the kubeconfig context '{context}'")
            }
            ClusterConfig::Kubeconfig { context: None, .. } => format!("{field} in the kubeconfig's current context"),
            ClusterConfig::Token { .. } => field.to_string(),
        }
    }
}

/// The `kube` configuration for a cluster, with the scan's timeouts.
pub async fn config(cluster: &ClusterConfig, options: &ScanOptions) -> Result<Config, String> {
    let mut config = match cluster {
        ClusterConfig::Kubeconfig { text, context } => {
            let kubeconfig =
                Kubeconfig::from_yaml(text).map_err(|error| format!("the kubeconfig cannot be read: {error}"))?;
            refuse_outside_references(&kubeconfig)?;
            let wanted = context.as_ref().or(kubeconfig.current_context.as_ref());
            if let Some(wanted) = wanted.filter(|name| !kubeconfig.contexts.iter().any(|named| &named.name == *name)) {
                let names: Vec<&str> = kubeconfig.contexts.iter().map(|named| named.name.as_str()).collect();
                return Err(format!(
                    "the kubeconfig has no context '{wanted}' — choose one of: {}",
                    if names.is_empty() { "(it has none)".to_string() } else { names.join(", ") }
                ));
            }
            let selection = KubeConfigOptions { context: context.clone(), ..KubeConfigOptions::default() };
            Config::from_custom_kubeconfig(kubeconfig, &selection)
                .await
                .map_err(|error| format!("the kubeconfig cannot be used: {}", chain(&error)))?
        }
        ClusterConfig::Token { server, token, ca_pem } => {
            let url = server
                .parse::<http::Uri>()
                .ok()
                .filter(|url| url.scheme().is_some() && url.host().is_some())
                .ok_or_else(|| {
                    format!("'{server}' is not a URL — give the API server's URL, like https://host:6443")
                })?;
            let mut config = Config::new(url);
            config.auth_info.token = Some(SecretString::from(token.clone()));
            if let Some(ca_pem) = ca_pem.as_deref().filter(|pem| !pem.trim().is_empty()) {
                let certificates = pem::parse_many(ca_pem)
                    .map_err(|error| format!("the CA certificate is not valid PEM: {error}"))?
                    .into_iter()
                    .filter(|block| block.tag() == "CERTIFICATE")
                    .map(|block| block.into_contents())
                    .collect::<Vec<_>>();
                if certificates.is_empty() {
                    return Err("the CA certificate holds no CERTIFICATE block".into());
                }
                config.root_cert = Some(certificates);
            }
            config
        }
    };
    refuse_unsafe_destination(&config, &options.outbound)?;
    config.connect_timeout = Some(options.connect_timeout);
    // The scan's own timeout around each request is the one that counts (it covers the
    // whole answer, not one read); kube's are a backstop behind it.
    config.read_timeout = Some(options.request_timeout.saturating_mul(2));
    config.write_timeout = Some(options.request_timeout.saturating_mul(2));
    Ok(config)
}

/// Refuses what would send credentials where they do not belong: a user name or password
/// in the URL (it would be stored and shown with the server's address), a proxy (the
/// connection would go where the proxy says, past the outbound policy), and credentials
/// over plain `http://` unless the operator runs a lab.
fn refuse_unsafe_destination(config: &Config, policy: &OutboundPolicy) -> Result<(), String> {
    if config.cluster_url.authority().is_some_and(|authority| authority.as_str().contains('@')) {
        return Err("the server URL may not hold a user name or password (user:password@host) — give the \
                    credentials as a token instead"
            .into());
    }
    if config.proxy_url.is_some() {
        return Err("the kubeconfig names a proxy-url, which this server does not use — remove it".into());
    }
    let auth = &config.auth_info;
    let credentials = auth.token.is_some() || auth.password.is_some() || auth.client_key_data.is_some();
    if config.cluster_url.scheme_str() == Some("http") && credentials && !policy.allows_plain_http() {
        return Err("the server URL is plain http://, which would send the credentials in clear text — use the \
                    API server's https:// URL"
            .into());
    }
    Ok(())
}

/// A client for the cluster; an error is a message for a person. It connects only where
/// the outbound policy of the options allows, checked on the resolved address.
pub async fn client(cluster: &ClusterConfig, options: &ScanOptions) -> Result<Client, String> {
    let config = config(cluster, options).await?;
    // kube asks rustls for the process's provider; with two compiled in (another crate may
    // enable aws-lc-rs) there is none until one is installed. An Err means one already is.
    let _ = rustls::crypto::ring::default_provider().install_default();
    guarded_client(config, &options.outbound)
        .map_err(|error| format!("cannot set up a client for the cluster: {}", chain(&error)))
}

/// kube's own client stack (base URL, credentials, headers, TLS, timeouts) on a connector
/// that applies the outbound policy.
fn guarded_client(config: Config, policy: &OutboundPolicy) -> Result<Client, kube::Error> {
    let connector = config.rustls_https_connector_with_connector(policy.connector(config.connect_timeout))?;
    let mut connector = hyper_timeout::TimeoutConnector::new(connector);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(tower::BoxError::from)
        .service(http);
    Ok(Client::new(service, config.default_namespace))
}

/// Asks the API server for its version: tells an unreachable cluster or rejected
/// credentials apart from a cluster that merely forbids some kinds.
pub async fn probe(client: &Client, cluster: &ClusterConfig, options: &ScanOptions) -> Result<(), String> {
    let url = client_url(cluster);
    let answer = tokio::time::timeout(options.request_timeout, client.apiserver_version()).await;
    match answer {
        Err(_elapsed) => Err(unreachable_message(&url, None, cluster)),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(response))) if response.code == 401 => Err(format!(
            "the cluster API at {url} rejected the credentials (401 Unauthorized) — check {}",
            cluster.what_to_check("the token")
        )),
        // Anything else the API server answered (a 403 on /version, say): it is there, and
        // listing will tell what it allows.
        Ok(Err(kube::Error::Api(_))) => Ok(()),
        Ok(Err(error)) => Err(unreachable_message(&url, Some(&error), cluster)),
    }
}

/// "cannot reach the cluster API at URL — check the server URL, …", the same whatever
/// failed (refused, timed out, not TLS, not HTTP, wrong certificate): the answer must not
/// tell which ports of a host are open. Only the outbound policy's refusal is said, as it
/// is the operator's to change.
fn unreachable_message(url: &str, error: Option<&kube::Error>, cluster: &ClusterConfig) -> String {
    if error.is_some_and(|error| outbound::is_refused(error)) {
        return format!("cannot reach the cluster API at {url}: {}", outbound::Refused);
    }
    format!(
        "cannot reach the cluster API at {url} — check {}, {} and that this server can reach it",
        cluster.what_to_check("the server URL"),
        cluster.what_to_check("the CA certificate")
    )
}

/// The server URL as registered, for messages (never with credentials: a URL with a
/// user-info part is cut back to its host).
fn client_url(cluster: &ClusterConfig) -> String {
    let raw = match cluster {
        ClusterConfig::Token { server, .. } => server.clone(),
        ClusterConfig::Kubeconfig { text, context } => Kubeconfig::from_yaml(text)
            .ok()
            .and_then(|kubeconfig| {
                let context_name = context.clone().or(kubeconfig.current_context.clone())?;
                let context = kubeconfig.contexts.iter().find(|named| named.name == context_name)?.context.clone()?;
                kubeconfig.clusters.iter().find(|named| named.name == context.cluster)?.cluster.clone()?.server
            })
            .unwrap_or_else(|| "the kubeconfig's server".into()),
    };
    match raw.parse::<http::Uri>() {
        Ok(url) if url.authority().is_some_and(|authority| authority.as_str().contains('@')) => {
            format!("{}://{}", url.scheme_str().unwrap_or("https"), url.host().unwrap_or_default())
        }
        _ => raw,
    }
}

/// An error and its causes, joined: what a person needs when the top message is generic.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(source) = current {
        let message = source.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        current = source.source();
    }
    text
}

/// Refuses kubeconfig users and clusters that run programs or read files on this machine.
fn refuse_outside_references(kubeconfig: &Kubeconfig) -> Result<(), String> {
    for named in &kubeconfig.auth_infos {
        let Some(user) = &named.auth_info else { continue };
        let refused = if user.exec.is_some() {
            Some("an exec credential plugin")
        } else if user.auth_provider.is_some() {
            Some("an auth provider")
        } else if user.token_file.is_some() {
            Some("a token file")
        } else if user.client_certificate.is_some() || user.client_key.is_some() {
            Some("a client certificate file")
        } else {
            None
        };
        if let Some(what) = refused {
            return Err(format!(
                "the kubeconfig user '{}' uses {what}, which the server will not run or read — \
                 use a kubeconfig with the token or certificate data inline (a ServiceAccount token)",
                named.name
            ));
        }
    }
    for named in &kubeconfig.clusters {
        if named.cluster.as_ref().is_some_and(|cluster| cluster.certificate_authority.is_some()) {
            return Err(format!(
                "the kubeconfig cluster '{}' names a CA certificate file, which the server will not read — \
                 use certificate-authority-data instead",
                named.name
            ));
        }
    }
    Ok(())
}
