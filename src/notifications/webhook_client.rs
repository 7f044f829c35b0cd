//! The client webhook deliveries go through, and what it may reach: global
//! unicast addresses only (unless configured otherwise), checked for an
//! address in the URL and against the address a name resolves to at
//! delivery, with no proxy in between and no redirect followed.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use crate::config::WebhooksConfig;

/// IPv4 networks that are not global unicast (the IANA special-purpose
/// registry, RFC 6890 and its updates): none is an endpoint's.
const IPV4_NOT_GLOBAL: [(Ipv4Addr, u8); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // shared address space (carrier-grade NAT)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local (cloud metadata services)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and the broadcast address
];

/// Blocks inside IPv6 global unicast (2000::/3) that are not global either.
/// Everything outside 2000::/3 is refused: loopback, unspecified, unique
/// local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast,
/// local-use NAT64 64:ff9b:1::/48, discard 100::/64, and the rest.
const IPV6_GLOBAL_NOT_PUBLIC: [(Ipv6Addr, u8); 3] = [
    // IETF protocol assignments: Teredo 2001::/32 (which hides an IPv4
    // address), benchmarking, ORCHID.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),     // documentation (RFC 9637)
];

fn in_v4(ip: Ipv4Addr, (network, length): (Ipv4Addr, u8)) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(length)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(network) & mask
}

fn in_v6(ip: Ipv6Addr, (network, length): (Ipv6Addr, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(length)).unwrap_or(0);
    u128::from(ip) & mask == u128::from(network) & mask
}

/// The IPv4 address an IPv6 address stands for, in the forms that carry
/// one: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`
/// (deprecated; `::` and `::1` decode to 0.0.0.0 and 0.0.0.1, refused as
/// such), NAT64 `64:ff9b::a.b.c.d`, and 6to4 `2002:AABB:CCDD::/48`. A
/// gateway or the kernel would take such an address to the IPv4 one.
fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(v6);
    let low = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let mapped = (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96);
    let compatible = (Ipv6Addr::UNSPECIFIED, 96);
    let nat64 = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);
    let six_to_four = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);
    if in_v6(v6, mapped) || in_v6(v6, compatible) || in_v6(v6, nat64) {
        Some(low)
    } else if in_v6(v6, six_to_four) {
        Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32))
    } else {
        None
    }
}

/// An address a webhook may be delivered to: global unicast only.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !IPV4_NOT_GLOBAL.iter().any(|&network| in_v4(v4, network)),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let global_unicast = in_v6(v6, (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3));
                global_unicast && !IPV6_GLOBAL_NOT_PUBLIC.iter().any(|&network| in_v6(v6, network))
            }
        },
    }
}

/// A URL whose host is an address literal is checked here: no resolver
/// sees it.
pub fn guard_literal(url: &reqwest::Url, config: &WebhooksConfig) -> std::result::Result<(), String> {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) if !config.allow_private_addresses && !is_public(ip) => {
            Err(format!("{ip} is not a public address (webhooks.allow_private_addresses)"))
        }
        _ => Ok(()),
    }
}

/// Resolves endpoint names, keeping only addresses a webhook may reach.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|addr| allow_private || is_public(addr.ip())).collect();
            if allowed.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves only to non-public addresses (webhooks.allow_private_addresses)").into();
                return Err(error);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The client deliveries go through: no redirects, the configured
/// timeout, the resolver above, and no proxy, whatever `HTTP_PROXY` and its
/// kin say: through a proxy, the proxy would resolve endpoint names and
/// connect wherever they lead, and the resolver above would never see them.
pub fn client(config: &WebhooksConfig) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout.get())
        .dns_resolver(Arc::new(PublicOnly { allow_private: config.allow_private_addresses }))
        .user_agent(concat!("dataip-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}
