//! From what a user registered (a kubeconfig and a context, or a URL, a token and a CA) to a
//! `kube` client; and the messages that say what to check when the cluster cannot be reached.
//!
//! Kubeconfigs come from users of a shared server, so only self-contained ones are accepted:
//! an `exec` or `auth-provider` user would run a program on the server, and file paths
//! (`token-file`, `client-certificate`, `certificate-authority`) would read its files.

use std::fmt;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use secrecy::SecretString;

use super::ScanOptions;

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
    config.connect_timeout = Some(options.connect_timeout);
    // The scan's own timeout around each request is the one that counts (it covers the
    // whole answer, not one read); kube's are a backstop behind it.
    config.read_timeout = Some(options.request_timeout.saturating_mul(2));
    config.write_timeout = Some(options.request_timeout.saturating_mul(2));
    Ok(config)
}

/// A client for the cluster; an error is a message for a person.
pub async fn client(cluster: &ClusterConfig, options: &ScanOptions) -> Result<Client, String> {
    let config = config(cluster, options).await?;
    // kube asks rustls for the process's provider; with two compiled in (another crate may
    // enable aws-lc-rs) there is none until one is installed. An Err means one already is.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::try_from(config).map_err(|error| format!("cannot set up a client for the cluster: {}", chain(&error)))
}

/// Asks the API server for its version: tells an unreachable cluster or rejected
/// credentials apart from a cluster that merely forbids some kinds.
pub async fn probe(client: &Client, cluster: &ClusterConfig, options: &ScanOptions) -> Result<(), String> {
    let url = client_url(cluster);
    let answer = tokio::time::timeout(options.request_timeout, client.apiserver_version()).await;
    match answer {
        Err(_elapsed) => Err(format!(
            "cannot reach the cluster API at {url}: no answer within {} s — check {} and that this server can reach it",
            options.request_timeout.as_secs_f32(),
            cluster.what_to_check("the server URL")
        )),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(response))) if response.code == 401 => Err(format!(
            "the cluster API at {url} rejected the credentials (401 Unauthorized) — check {}",
            cluster.what_to_check("the token")
        )),
        // Anything else the API server answered (a 403 on /version, say): it is there, and
        // listing will tell what it allows.
        Ok(Err(kube::Error::Api(_))) => Ok(()),
        Ok(Err(error)) => Err(unreachable_message(&url, &error, cluster)),
    }
}

/// "cannot reach the cluster API at URL: connection refused — check the server URL".
fn unreachable_message(url: &str, error: &kube::Error, cluster: &ClusterConfig) -> String {
    let cause = innermost(error);
    let lower = cause.to_lowercase();
    let advice = if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        cluster.what_to_check("the CA certificate")
    } else {
        cluster.what_to_check("the server URL")
    };
    format!("cannot reach the cluster API at {url}: {cause} — check {advice}")
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

/// The deepest cause of an error, in the lowercase, period-free style of our messages
/// (`connection refused`, not `Connection refused (os error 111)`).
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = error;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    let text = deepest.to_string();
    let text = match text.find(" (os error") {
        Some(position) => text[..position].to_string(),
        None => text,
    };
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => text,
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
