//! Who the client is, for throttling and logs: the peer that connected, or,
//! when that peer is a proxy the operator trusts (`server.trusted_proxies`),
//! the address that proxy reports.
//!
//! A client writes whatever it likes into `X-Forwarded-For`; each proxy
//! appends the address it received the request from. So the list is read
//! from the right: past every trusted proxy, the first address that is not
//! one is the client (the right-most untrusted address). Only the header
//! the operator names (`server.forwarded_header`: `X-Forwarded-For`, or
//! `Forwarded` of RFC 7239) is read: a proxy appends to one and passes the
//! other on as the client wrote it, so reading both lets the client choose.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::IpNet;

use super::error::ApiError;
use crate::{config::ForwardedHeader, state::AppState};

/// The client's address (see the module's documentation).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .ok_or_else(|| ApiError::from(crate::services::Error::Internal(anyhow::anyhow!("no peer address"))))?;
        let server = &state.config.server;
        Ok(ClientAddr(client_address(peer, &parts.headers, &server.trusted_proxies, server.forwarded_header)))
    }
}

/// The client behind `peer`, given the proxies trusted to say who it is
/// and the header they say it in.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet], header: ForwardedHeader) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let hops = match header {
        ForwardedHeader::Forwarded => forwarded_hops(headers),
        ForwardedHeader::XForwardedFor => x_forwarded_for_hops(headers),
    };
    // Walk from the proxy nearest to us towards the client.
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            // A hop the proxy could not name (`unknown`, an obfuscated
            // identifier, garbage): the proxy that reported it is as far
            // as we can see.
            None => break,
            Some(address) => {
                client = *address;
                if !is_trusted(*address, trusted) {
                    break;
                }
            }
        }
    }
    canonical(client)
}

/// Whether `address` is one of the proxies in `trusted`.
pub fn is_trusted(address: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&canonical(address)))
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) compare as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// Every `X-Forwarded-For` entry, in order, over all such headers.
fn x_forwarded_for_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("").split(','))
        .map(|entry| parse_node(entry.trim()))
        .collect()
}

/// Every `for=` of every `Forwarded` element, in order.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("").split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then(|| parse_node(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// A node as proxies write it: `192.0.2.1`, `192.0.2.1:4711`,
/// `2001:db8::1`, `[2001:db8::1]:4711`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    node.strip_prefix('[').and_then(|rest| rest.split_once(']')).and_then(|(inside, _)| inside.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FORWARDED: ForwardedHeader = ForwardedHeader::Forwarded;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().expect("header value"));
        }
        map
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|net| net.parse().expect("net")).collect()
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=1.2.3.4")]);
        for header in [XFF, FORWARDED] {
            assert_eq!(client_address(ip("203.0.113.9"), &forged, &nets(&["10.0.0.0/8"]), header), ip("203.0.113.9"));
            assert_eq!(client_address(ip("10.0.0.2"), &forged, &[], header), ip("10.0.0.2"), "nothing trusted");
        }
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "192.168.0.0/16"]);
        // The client forged 1.2.3.4; the proxy appended the real 203.0.113.9;
        // a second, internal proxy appended the first one's address.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 192.168.1.1")]);
        assert_eq!(client_address(ip("10.0.0.2"), &chain, &trusted, XFF), ip("203.0.113.9"));
        let split = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(client_address(ip("10.0.0.2"), &split, &trusted, XFF), ip("203.0.113.9"));
        let all_trusted = headers(&[("x-forwarded-for", "10.1.1.1, 10.2.2.2")]);
        assert_eq!(client_address(ip("10.0.0.2"), &all_trusted, &trusted, XFF), ip("10.1.1.1"));
        assert_eq!(client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted, XFF), ip("10.0.0.2"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The proxy appended to one header; the client wrote the other.
        let both = headers(&[
            ("x-forwarded-for", "198.51.100.7"),
            ("forwarded", r#"for=1.2.3.4, for="[2001:db8::7]:4711";proto=https, for=10.9.9.9"#),
        ]);
        assert_eq!(client_address(ip("10.0.0.2"), &both, &trusted, XFF), ip("198.51.100.7"));
        assert_eq!(client_address(ip("10.0.0.2"), &both, &trusted, FORWARDED), ip("2001:db8::7"));
        let ported = headers(&[("forwarded", "for=\"203.0.113.9:8080\";by=10.0.0.2")]);
        assert_eq!(client_address(ip("10.0.0.2"), &ported, &trusted, FORWARDED), ip("203.0.113.9"));
        assert_eq!(client_address(ip("10.0.0.2"), &ported, &trusted, XFF), ip("10.0.0.2"), "no X-Forwarded-For");
    }

    #[test]
    fn an_unnamed_hop_stops_at_the_proxy_that_reported_it() {
        let trusted = nets(&["10.0.0.0/8"]);
        let hidden = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 10.3.3.3")]);
        assert_eq!(client_address(ip("10.0.0.2"), &hidden, &trusted, XFF), ip("10.3.3.3"));
        let obfuscated = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(client_address(ip("10.0.0.2"), &obfuscated, &trusted, FORWARDED), ip("10.0.0.2"));
    }

    #[test]
    fn mapped_addresses_match_ipv4_networks() {
        let trusted = nets(&["10.0.0.0/8"]);
        let chain = headers(&[("x-forwarded-for", "::ffff:203.0.113.9")]);
        assert_eq!(client_address(ip("::ffff:10.0.0.2"), &chain, &trusted, XFF), ip("203.0.113.9"));
    }
}
