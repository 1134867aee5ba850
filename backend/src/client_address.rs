//! The address a request comes from. Without trusted proxies it is the TCP peer. Behind a
//! reverse proxy (an ingress) every peer is the proxy, so the login limits would count
//! every client as one; the `trusted-proxies` setting names the proxies' addresses, and a
//! request whose peer is one of them is attributed to the address its proxies recorded in
//! `X-Forwarded-For`: the rightmost entry that is not itself a trusted proxy. Each proxy
//! appends the address it received the request from, so the entries to the right of the
//! first untrusted one were written by trusted proxies, and anything to its left is the
//! client's own say (which it may forge). A header from a peer that is not trusted is
//! ignored.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;

use crate::outbound::Cidr;

/// The request's client address as [`TrustedProxies::client`] worked it out, put in each
/// request's extensions by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The `trusted-proxies` setting: address ranges of reverse proxies whose
/// `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    ranges: Vec<Cidr>,
}

/// Entries of `X-Forwarded-For` looked at, from the right: a chain of proxies is short,
/// and a client cannot make the server walk a long forged list.
const MAX_HOPS: usize = 32;

impl TrustedProxies {
    /// The setting's value: comma-separated CIDRs (`10.0.0.0/8,fd00::/8`) or single
    /// addresses; empty trusts nobody.
    pub fn from_settings(text: &str) -> Result<TrustedProxies, String> {
        let ranges = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Cidr::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrustedProxies { ranges })
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.ranges.iter().any(|range| range.contains(address))
    }

    /// The client of a request that came from `peer` with `headers`: the peer itself
    /// unless it is a trusted proxy; else the rightmost `X-Forwarded-For` entry that is not
    /// a trusted proxy (the leftmost when all are). An entry that is not an address ends
    /// the walk at the proxy that wrote it.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let values: Vec<&str> = match headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|value| value.to_str())
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(values) => values,
            Err(_) => return client,
        };
        let entries = values.iter().flat_map(|value| value.split(',')).collect::<Vec<_>>();
        for entry in entries.iter().rev().take(MAX_HOPS) {
            let Some(address) = parse_entry(entry) else { return client };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`) or in brackets.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let address = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse::<IpAddr>().ok())?;
    Some(address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let proxies = TrustedProxies::from_settings("10.0.0.0/8").unwrap();
        let headers = forwarded(&["198.51.100.7"]);
        assert_eq!(proxies.client(ip("203.0.113.9"), &headers), ip("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let proxies = TrustedProxies::from_settings(" 10.0.0.0/8 , fd00::/8").unwrap();
        let peer = ip("10.1.2.3");
        assert_eq!(proxies.client(peer, &forwarded(&["198.51.100.7"])), ip("198.51.100.7"));
        // The client forged the first entry; the ingress appended the real one.
        assert_eq!(proxies.client(peer, &forwarded(&["1.1.1.1, 198.51.100.7"])), ip("198.51.100.7"));
        // Two proxies: the inner one's entry is skipped; header lines are one list.
        assert_eq!(proxies.client(peer, &forwarded(&["6.6.6.6, 198.51.100.7", "10.9.9.9"])), ip("198.51.100.7"));
        assert_eq!(proxies.client(peer, &forwarded(&["[2001:db8::1]:4711, fd00::5"])), ip("2001:db8::1"));
        assert_eq!(proxies.client(peer, &forwarded(&["192.0.2.1:80"])), ip("192.0.2.1"));
        // Only proxies: the leftmost; none: the peer.
        assert_eq!(proxies.client(peer, &forwarded(&["10.0.0.7, 10.0.0.8"])), ip("10.0.0.7"));
        assert_eq!(proxies.client(peer, &HeaderMap::new()), peer);
        // IPv4 in IPv6 (a dual-stack listener) is the IPv4 address.
        assert_eq!(proxies.client(ip("::ffff:10.1.2.3"), &forwarded(&["198.51.100.7"])), ip("198.51.100.7"));
    }

    #[test]
    fn garbage_stops_at_the_proxy_that_passed_it_on() {
        let proxies = TrustedProxies::from_settings("10.0.0.0/8").unwrap();
        let peer = ip("10.1.2.3");
        assert_eq!(proxies.client(peer, &forwarded(&["unknown"])), peer);
        assert_eq!(proxies.client(peer, &forwarded(&["198.51.100.7, , 10.0.0.9"])), ip("10.0.0.9"));
        assert_eq!(proxies.client(peer, &forwarded(&["nonsense, 198.51.100.7"])), ip("198.51.100.7"));
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", axum::http::HeaderValue::from_bytes(b"\xff198.51.100.7").unwrap());
        assert_eq!(proxies.client(peer, &headers), peer);
    }

    #[test]
    fn a_long_forged_chain_is_not_walked_to_its_end() {
        let proxies = TrustedProxies::from_settings("10.0.0.0/8").unwrap();
        let chain = std::iter::repeat_n("10.0.0.1", 100).collect::<Vec<_>>().join(", ");
        let value = format!("198.51.100.7, {chain}");
        assert_eq!(proxies.client(ip("10.1.2.3"), &forwarded(&[&value])), ip("10.0.0.1"));
    }

    #[test]
    fn the_setting_refuses_what_is_not_a_range() {
        assert!(TrustedProxies::from_settings("").unwrap().is_empty());
        let error = TrustedProxies::from_settings("10.0.0.0/8,ingress").unwrap_err();
        assert!(error.contains("'ingress' is not an address range"), "{error}");
        assert!(TrustedProxies::from_settings("10.0.0.0/33").is_err());
    }
}
