//! Where the server may connect on a user's behalf: the cluster API of a scan, "test
//! connection", and any later outbound call a user can aim (webhooks).
//!
//! A user gives a URL; the server resolves it and connects. Left alone, that lets whoever may
//! register a cluster reach what only the server can: its own loopback services, the cloud's
//! metadata address (169.254.169.254, `fd00:ec2::254`), the private network behind it. So the
//! address is checked after it is resolved, and the connection goes to the address that was
//! checked (a name that resolves to a public address once and to 127.0.0.1 the next time
//! cannot slip through between a check and a connection):
//!
//! - never: the unspecified address, multicast, broadcast and reserved ranges;
//! - unless the operator runs a lab (`outbound-lab`): loopback and link-local (the metadata
//!   address among them);
//! - unless the operator allows them (`outbound-allow`, a list of CIDRs, or `outbound-lab`):
//!   private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, and the IPv4 ranges
//!   embedded in IPv6 addresses);
//! - everything else (public addresses): allowed.
//!
//! [`OutboundPolicy::connector`] is an HTTP connector for `hyper`'s client that applies this
//! (the scanner's `kube` client is built on it); [`OutboundPolicy::resolve`] resolves a name
//! and keeps the allowed addresses, for any other client (a `reqwest` `dns_resolver`).

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The operator's outbound policy. The default allows public addresses only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Ranges allowed although private (`10.0.0.0/8`, `fd00::/8`).
    pub allow: Vec<Cidr>,
    /// A lab: loopback, link-local and private addresses are allowed, and a token may go
    /// over plain `http://`.
    pub lab: bool,
}

/// What an address is, as far as the policy cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Public,
    Private,
    /// Loopback and link-local (the metadata address).
    Local,
    /// Unspecified, multicast, broadcast, reserved: never a cluster's address.
    Never,
}

/// The error of a connection the policy refused. Its text is what people see.
#[derive(Debug)]
pub struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(
            "its address is not one this server may connect to (loopback, link-local and private addresses are \
             refused unless the operator allows them with the outbound-allow or outbound-lab setting)",
        )
    }
}

impl std::error::Error for Refused {}

/// Whether an error (or one of its causes) is the policy's refusal.
pub fn is_refused(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        // An io::Error's source is its payload's source, not the payload: look inside.
        let payload = error.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref);
        if error.is::<Refused>() || payload.is_some_and(|payload| payload.is::<Refused>()) {
            return true;
        }
        current = error.source();
    }
    false
}

impl OutboundPolicy {
    /// Everything allowed: for tests and labs whose clusters run on this machine.
    pub fn lab() -> OutboundPolicy {
        OutboundPolicy { allow: Vec::new(), lab: true }
    }

    /// The policy of the `outbound-allow` setting (comma-separated CIDRs, may be empty)
    /// and the `outbound-lab` switch.
    pub fn from_settings(allow: &str, lab: bool) -> Result<OutboundPolicy, String> {
        let allow = allow
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Cidr::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OutboundPolicy { allow, lab })
    }

    /// Whether a token may be sent over plain `http://`.
    pub fn allows_plain_http(&self) -> bool {
        self.lab
    }

    /// Whether the server may connect to this address.
    pub fn allows(&self, address: IpAddr) -> bool {
        match classify(address) {
            Class::Public => true,
            Class::Never => false,
            Class::Local => self.lab,
            Class::Private => self.lab || self.allow.iter().any(|cidr| cidr.contains(address)),
        }
    }

    /// `Err(Refused)` unless the address is allowed.
    pub fn check(&self, address: IpAddr) -> Result<(), Refused> {
        if self.allows(address) {
            Ok(())
        } else {
            Err(Refused)
        }
    }

    /// Resolves a host name and keeps the addresses the policy allows; `Err(Refused)` when
    /// it resolves only to refused ones. An IP address is checked as it is.
    pub async fn resolve(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(address) = host.parse::<IpAddr>() {
            self.check(address).map_err(refused)?;
            return Ok(vec![SocketAddr::new(address, port)]);
        }
        let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
        let allowed: Vec<SocketAddr> = resolved.iter().copied().filter(|address| self.allows(address.ip())).collect();
        if allowed.is_empty() && !resolved.is_empty() {
            return Err(refused(Refused));
        }
        Ok(allowed)
    }

    /// A TCP connector for `hyper`'s client that resolves through [`resolve`](Self::resolve),
    /// so it connects only to checked addresses.
    pub fn connector(&self, connect_timeout: Option<Duration>) -> GuardedConnector {
        let policy = Arc::new(self.clone());
        let mut inner = HttpConnector::new_with_resolver(PolicyResolver { policy: policy.clone() });
        inner.enforce_http(false);
        inner.set_connect_timeout(connect_timeout);
        GuardedConnector { inner, policy }
    }
}

fn refused(error: Refused) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::PermissionDenied, error)
}

/// A resolver for `hyper_util`'s `HttpConnector` that keeps the allowed addresses only.
#[derive(Clone)]
pub struct PolicyResolver {
    policy: Arc<OutboundPolicy>,
}

type Resolving = Pin<Box<dyn Future<Output = std::io::Result<std::vec::IntoIter<SocketAddr>>> + Send>>;

impl tower_service::Service<Name> for PolicyResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        // The connector sets the URL's port on each address.
        Box::pin(async move { Ok(policy.resolve(name.as_str(), 0).await?.into_iter()) })
    }
}

/// `HttpConnector` with the policy: names go through [`PolicyResolver`], and a URL whose
/// host is an IP address (which `HttpConnector` does not resolve) is checked here.
#[derive(Clone)]
pub struct GuardedConnector {
    inner: HttpConnector<PolicyResolver>,
    policy: Arc<OutboundPolicy>,
}

type Connecting =
    Pin<Box<dyn Future<Output = Result<TokioIo<TcpStream>, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

impl tower_service::Service<http::Uri> for GuardedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Connecting;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context).map_err(Into::into)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let literal =
            uri.host().and_then(|host| host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok());
        if let Some(address) = literal {
            if let Err(error) = self.policy.check(address) {
                return Box::pin(
                    async move { Err(Box::new(refused(error)) as Box<dyn std::error::Error + Send + Sync>) },
                );
            }
        }
        let connecting = self.inner.call(uri);
        Box::pin(async move { connecting.await.map_err(Into::into) })
    }
}

/// An address range: `10.0.0.0/8`, `fd00::/8`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                prefix_matches(u128::from(network.to_bits()) << 96, u128::from(address.to_bits()) << 96, self.prefix)
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                prefix_matches(network.to_bits(), address.to_bits(), self.prefix)
            }
            (IpAddr::V4(_), IpAddr::V6(address)) => {
                embedded_v4(address).is_some_and(|inner| self.contains(inner.into()))
            }
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

fn prefix_matches(network: u128, address: u128, prefix: u8) -> bool {
    prefix == 0 || (network ^ address) >> (128 - u32::from(prefix)) == 0
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let invalid = || format!("'{text}' is not an address range such as 10.0.0.0/8 or fd00::/8");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().map_err(|_| invalid())?;
        let most = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().ok().filter(|prefix| *prefix <= most).ok_or_else(invalid)?,
            None => most,
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.network, self.prefix)
    }
}

/// What an address is. IPv4 addresses carried in IPv6 ones (mapped, compatible, NAT64,
/// 6to4) are what they carry.
pub fn classify(address: IpAddr) -> Class {
    match address {
        IpAddr::V4(address) => classify_v4(address),
        IpAddr::V6(address) => match embedded_v4(address) {
            Some(inner) => match classify_v4(inner) {
                // `::` and `::1` are themselves, not 0.0.0.0 and 0.0.0.1.
                _ if address.is_unspecified() => Class::Never,
                _ if address.is_loopback() => Class::Local,
                class => class,
            },
            None => classify_v6(address),
        },
    }
}

fn classify_v4(address: Ipv4Addr) -> Class {
    let [a, b, c, _] = address.octets();
    if address.is_loopback() || address.is_link_local() {
        Class::Local
    } else if a == 0
        || address.is_multicast()
        || a >= 240
        || (a, b, c) == (192, 0, 0)
        || (a, b) == (198, 18)
        || (a, b) == (198, 19)
    {
        // 0/8 ("this network"; 0.0.0.0 reaches loopback), 224/4, 240/4 and the broadcast
        // address, IETF protocol assignments (192.0.0/24, where some clouds keep metadata),
        // benchmarking (198.18/15).
        Class::Never
    } else if address.is_private() || (a == 100 && (64..128).contains(&b)) {
        Class::Private
    } else {
        Class::Public
    }
}

fn classify_v6(address: Ipv6Addr) -> Class {
    let first = address.segments()[0];
    if address.is_unspecified() || address.is_multicast() {
        Class::Never
    } else if address.is_loopback() || first & 0xffc0 == 0xfe80 {
        Class::Local
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        // Unique local (fc00::/7, AWS's metadata fd00:ec2::254 among them), site-local.
        Class::Private
    } else {
        Class::Public
    }
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`), 6to4 (`2002:aabb:ccdd::/48`).
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let segments = address.segments();
    let low = Ipv4Addr::from(((u32::from(segments[6])) << 16) | u32::from(segments[7]));
    match segments {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 1, ..] => Some(low),
        [0x2002, high, low_half, ..] => Some(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low_half))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_are_classified_with_the_ipv4_they_carry() {
        for (address, class) in [
            ("8.8.8.8", Class::Public),
            ("2001:4860:4860::8888", Class::Public),
            ("127.0.0.1", Class::Local),
            ("127.8.9.10", Class::Local),
            ("::1", Class::Local),
            ("169.254.169.254", Class::Local),
            ("fe80::1", Class::Local),
            ("::ffff:127.0.0.1", Class::Local),
            ("::ffff:169.254.169.254", Class::Local),
            ("64:ff9b::a9fe:a9fe", Class::Local),
            ("2002:a9fe:a9fe::1", Class::Local),
            ("10.1.2.3", Class::Private),
            ("172.16.0.1", Class::Private),
            ("192.168.1.1", Class::Private),
            ("100.64.0.1", Class::Private),
            ("fd00:ec2::254", Class::Private),
            ("::ffff:10.0.0.1", Class::Private),
            ("0.0.0.0", Class::Never),
            ("::", Class::Never),
            ("224.0.0.1", Class::Never),
            ("255.255.255.255", Class::Never),
            ("ff02::1", Class::Never),
            ("192.0.0.192", Class::Never),
        ] {
            assert_eq!(classify(ip(address)), class, "{address}");
        }
    }

    #[test]
    fn the_default_allows_public_addresses_only_and_settings_open_what_they_name() {
        let default = OutboundPolicy::default();
        assert!(default.allows(ip("8.8.8.8")));
        for refused in ["127.0.0.1", "::1", "169.254.169.254", "10.0.0.1", "fd00::1", "0.0.0.0"] {
            assert!(!default.allows(ip(refused)), "{refused}");
        }
        let allowed = OutboundPolicy::from_settings("10.0.0.0/8, fd00::/8", false).unwrap();
        assert!(
            allowed.allows(ip("10.200.0.1")) && allowed.allows(ip("::ffff:10.0.0.1")) && allowed.allows(ip("fd00::1"))
        );
        assert!(!allowed.allows(ip("192.168.0.1")));
        // An allowed range opens private addresses, never loopback or the metadata address.
        let everything = OutboundPolicy::from_settings("0.0.0.0/0,::/0", false).unwrap();
        assert!(!everything.allows(ip("127.0.0.1")) && !everything.allows(ip("169.254.169.254")));
        let lab = OutboundPolicy::lab();
        assert!(lab.allows(ip("127.0.0.1")) && lab.allows(ip("169.254.169.254")) && lab.allows(ip("10.0.0.1")));
        assert!(!lab.allows(ip("0.0.0.0")));
        assert!(lab.allows_plain_http() && !default.allows_plain_http());
    }

    #[test]
    fn ranges_parse_or_say_what_is_wrong() {
        assert_eq!(Cidr::from_str("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(Cidr::from_str("192.168.1.7").unwrap().to_string(), "192.168.1.7/32");
        assert!(Cidr::from_str("10.0.0.0/8").unwrap().contains(ip("10.255.255.255")));
        assert!(!Cidr::from_str("10.0.0.0/8").unwrap().contains(ip("11.0.0.0")));
        for wrong in ["10.0.0.0/33", "example.com/8", "fd00::/129", "10.0.0.0/x"] {
            let error = OutboundPolicy::from_settings(wrong, false).unwrap_err();
            assert!(error.contains("is not an address range"), "{error}");
        }
    }

    #[tokio::test]
    async fn names_are_checked_by_the_addresses_they_resolve_to() {
        let default = OutboundPolicy::default();
        let error = default.resolve("localhost", 443).await.unwrap_err();
        assert!(is_refused(&error), "{error}");
        assert!(is_refused(&default.resolve("[::1]", 443).await.unwrap_err()));
        assert!(is_refused(&default.resolve("169.254.169.254", 80).await.unwrap_err()));
        let addresses = OutboundPolicy::lab().resolve("localhost", 443).await.unwrap();
        assert!(addresses.iter().all(|address| address.ip().is_loopback() && address.port() == 443), "{addresses:?}");
    }
}
