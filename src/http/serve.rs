//! Accepting and serving connections (HTTP/1.1 through hyper), with the
//! limits a public server needs and `axum::serve` does not set:
//!
//! - a connection limit (`server.connection_limit`): past it, new
//!   connections wait in the kernel's listen queue;
//! - a limit per client address (`server.connections_per_address`, keyed
//!   as the throttles key addresses: IPv4, or an IPv6 /64; trusted proxies
//!   exempt): past it, a new connection is closed at once, so that one
//!   address cannot take every slot of the connection limit;
//! - a first-byte timeout (`server.first_byte_timeout`): a connection that
//!   never says anything is closed long before the idle timeout;
//! - a header-read timeout (`server.header_read_timeout`): a client that has
//!   started a request must finish its head in time, or the connection is
//!   dropped (slow-header attacks);
//! - an idle timeout (`server.idle_timeout`): a connection with no request
//!   in flight and no new one started is closed after it. Kept longer than
//!   the usual load balancer's (60 s), so that the balancer, not the
//!   registry, closes first and never reuses a connection closing under it.
//!
//! hyper's own header-read timer also runs while a kept-alive connection
//! waits for its next request, which would make the idle timeout the
//! shorter of the two; so both are kept here, from what the connection
//! reads and which requests are in flight.

use std::{
    collections::HashMap,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo};
use http_body_util::BodyExt;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use ipnet::IpNet;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{Notify, Semaphore},
    time::Instant,
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tower::ServiceExt;

use crate::{config::ServerConfig, services::throttle::address_key};

/// The limits of one listener.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeouts: Timeouts,
    pub connection_limit: usize,
    pub connections_per_address: usize,
    /// Peers the per-address limit does not apply to: the trusted proxies,
    /// through which many clients come.
    pub exempt: Vec<IpNet>,
}

/// How long a connection may take over each part of its life.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub first_byte: Duration,
    pub header_read: Duration,
    pub idle: Duration,
}

impl Limits {
    /// The limits `server` sets.
    pub fn of(server: &ServerConfig) -> Self {
        Self {
            timeouts: Timeouts {
                first_byte: server.first_byte_timeout.get(),
                header_read: server.header_read_timeout.get(),
                idle: server.idle_timeout.get(),
            },
            connection_limit: server.connection_limit,
            connections_per_address: server.connections_per_address,
            exempt: server.trusted_proxies.clone(),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled; then stops
/// accepting, lets every connection finish its request in flight, and
/// returns once they have, or after `grace`, whichever comes first.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(limits.connection_limit.max(1)));
    let per_address = Arc::new(PerAddress::new(limits.connections_per_address, limits.exempt));
    let timeouts = limits.timeouts;
    let connections = TaskTracker::new();
    loop {
        let slot = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait rather than spin.
                tracing::warn!(%error, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(address_slot) = per_address.admit(peer.ip()) else {
            // Dropped unanswered: a client over its share is not queued.
            metrics::counter!("http_connections_refused_total", "reason" => "per_address").increment(1);
            tracing::debug!(%peer, "closing a connection past server.connections_per_address");
            continue;
        };
        let (router, shutdown) = (router.clone(), shutdown.clone());
        connections.spawn(async move {
            serve_connection(stream, peer, router, timeouts, shutdown).await;
            drop((slot, address_slot));
        });
    }
    connections.close();
    if tokio::time::timeout(grace, connections.wait()).await.is_err() {
        tracing::warn!(?grace, "connections still open after the shutdown grace period; closing them");
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    timeouts: Timeouts,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = activity.clone();
        service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let in_flight = InFlight::begin(activity.clone());
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(Body::new)).await?;
                // In flight until the response's body is done with: the
                // guard goes with the body.
                Ok::<_, std::convert::Infallible>(response.map(|body| {
                    Body::new(body.map_frame(move |frame| {
                        let _ = &in_flight;
                        frame
                    }))
                }))
            }
        })
    };
    let io = TokioIo::new(Watched { inner: stream, activity: activity.clone() });
    let connection = http1::Builder::new().keep_alive(true).serve_connection(io, service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = shutdown.cancelled(), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            expiry = activity.expired(timeouts) => match expiry {
                // Nothing in flight: closing now loses nothing.
                Expiry::Idle => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                Expiry::HeaderTimeout => {
                    tracing::debug!(%peer, "dropping a connection that did not finish its request head");
                    return;
                }
            },
        }
    }
}

/// What a connection is doing, as seen from its reads and its requests.
struct Activity {
    state: Mutex<ActivityState>,
    /// Wakes the watchdog when the state changes.
    changed: Notify,
}

struct ActivityState {
    /// Whether the client has sent anything at all.
    heard: bool,
    in_flight: usize,
    /// When the first bytes of a request arrived while none was in flight.
    head_started: Option<Instant>,
    /// When the last request finished (or the connection opened).
    idle_since: Instant,
}

enum Expiry {
    Idle,
    HeaderTimeout,
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new(ActivityState {
                heard: false,
                in_flight: 0,
                head_started: None,
                idle_since: Instant::now(),
            }),
            changed: Notify::new(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut ActivityState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }

    /// Changes the state and wakes the watchdog.
    fn update(&self, f: impl FnOnce(&mut ActivityState)) {
        self.with(f);
        self.changed.notify_waiters();
    }

    fn read_some(&self) {
        let starts_a_head = self.with(|state| state.in_flight == 0 && state.head_started.is_none());
        if starts_a_head {
            self.update(|state| {
                state.heard = true;
                state.head_started = Some(Instant::now());
            });
        }
    }

    /// Resolves when the connection has been silent since it opened, idle,
    /// or in its request head, for longer than allowed; never while a
    /// request is in flight.
    async fn expired(&self, timeouts: Timeouts) -> Expiry {
        loop {
            // Registered before the state is read, so no change is missed.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let (deadline, expiry) = self.with(|state| match (state.in_flight, state.head_started) {
                (0, Some(started)) => (Some(started + timeouts.header_read), Expiry::HeaderTimeout),
                (0, None) if !state.heard => (Some(state.idle_since + timeouts.first_byte), Expiry::Idle),
                (0, None) => (Some(state.idle_since + timeouts.idle), Expiry::Idle),
                // Busy: a request is bounded by its own timeout.
                _ => (None, Expiry::Idle),
            });
            match deadline {
                Some(deadline) if deadline <= Instant::now() => return expiry,
                Some(deadline) => tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    () = changed => {}
                },
                None => changed.await,
            }
        }
    }
}

/// Connections held per client address.
struct PerAddress {
    limit: usize,
    exempt: Vec<IpNet>,
    held: Mutex<HashMap<Vec<u8>, usize>>,
}

impl PerAddress {
    fn new(limit: usize, exempt: Vec<IpNet>) -> Self {
        Self { limit: limit.max(1), exempt, held: Mutex::new(HashMap::new()) }
    }

    /// A slot for one more connection from `peer`, unless it holds its
    /// share already. Exempt peers get a slot that counts nothing.
    fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<AddressSlot> {
        if super::client_addr::is_trusted(peer, &self.exempt) {
            return Some(AddressSlot(None));
        }
        let key = address_key(peer);
        let mut held = self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = held.entry(key.clone()).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot(Some((self.clone(), key))))
    }
}

/// One connection's place in its address's share, given back on drop.
struct AddressSlot(Option<(Arc<PerAddress>, Vec<u8>)>);

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let Some((per_address, key)) = self.0.take() else { return };
        let mut held = per_address.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = held.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&key);
            }
        }
    }
}

/// Marks a request in flight from its head until its response's body is
/// dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.update(|state| {
            state.in_flight += 1;
            state.head_started = None;
        });
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|state| {
            state.in_flight = state.in_flight.saturating_sub(1);
            state.idle_since = Instant::now();
        });
    }
}

/// The connection's stream, noting when bytes arrive.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn each_address_holds_its_share_and_gets_it_back() {
        let per_address = Arc::new(PerAddress::new(2, vec!["10.0.0.0/8".parse().expect("net")]));
        let first = per_address.admit(ip("192.0.2.1")).expect("first");
        let _second = per_address.admit(ip("::ffff:192.0.2.1")).expect("second, the same address mapped");
        assert!(per_address.admit(ip("192.0.2.1")).is_none(), "a third");
        assert!(per_address.admit(ip("192.0.2.2")).is_some(), "another address");
        drop(first);
        assert!(per_address.admit(ip("192.0.2.1")).is_some(), "a slot given back");

        // An IPv6 /64 is one address; a proxy is none.
        let _a = per_address.admit(ip("2001:db8::1")).expect("first");
        let _b = per_address.admit(ip("2001:db8::ffff:2")).expect("second");
        assert!(per_address.admit(ip("2001:db8::3")).is_none(), "the same /64");
        assert!(per_address.admit(ip("2001:db8:0:1::3")).is_some(), "another /64");
        let proxied: Vec<_> = (0..10).map(|_| per_address.admit(ip("10.1.2.3"))).collect();
        assert!(proxied.iter().all(Option::is_some), "trusted proxies are exempt");
    }
}
