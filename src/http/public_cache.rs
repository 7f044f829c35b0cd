//! The public reads kept in memory: the same page, announcement or record
//! is read by everyone alike, so each is computed once per change of the
//! registry (see `change_feed`) and per registry day (days left, licences
//! current today), and served from memory until then, but never once older
//! than `server.public_cache_max_age`.
//!
//! - Keyed by the change feed's generation and the registry's date: a change
//!   heard of, or midnight in the registry's zone, makes every entry
//!   unreachable at once; no entry is ever served while the feed is not
//!   listening.
//! - The max age bounds what a change the feed did not hear of (a silent
//!   connection, until its heartbeat notices) can leave served.
//! - A write through this process answers only once the feed has caught up
//!   with it (`ChangeFeed::catch_up`): its writer reads it at once if the
//!   public can see it, and a write the public cannot see (a draft, a
//!   profile, a pending act) leaves the cache warm. Other processes hear of
//!   it from the feed (within milliseconds).
//! - Misses are computed once: requests for the same key wait for the one
//!   computing it (single flight), after an invalidation or expiry too.
//! - Only what is the same for everyone: GET, 200, no `Set-Cookie`, not
//!   conditional (`If-None-Match` goes to the handler, which answers 304),
//!   and only the routes whose router has the route layer [`keep`]. Bounded in bytes: entries
//!   of past generations, which nothing reads again, are the ones the
//!   cache's eviction (it keeps what is read) lets go.

use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, HttpBody as _, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use bytes::Bytes;
use chrono::NaiveDate;
use quick_cache::{Weighter, sync::Cache};
use tokio::time::Instant;

use crate::{config::ServerConfig, state::AppState};

/// A response larger than this is served, not kept.
const MAX_ENTRY: u64 = 1 << 20;

/// Entries expected, for the cache's initial sizing.
const EXPECTED_ENTRIES: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    generation: u64,
    date: NaiveDate,
    /// Path and query, as sent.
    uri: String,
    /// The headers a public response varies by.
    accept: Option<HeaderValue>,
    accept_language: Option<HeaderValue>,
}

/// A kept 200 response: its headers and body, and when its handler began
/// computing it (what it read is at least as recent).
#[derive(Clone)]
struct Entry(Arc<(HeaderMap, Bytes, Instant)>);

impl Entry {
    fn response(&self) -> Response {
        let (headers, body, _) = &*self.0;
        let mut response = Response::new(Body::from(body.clone()));
        *response.headers_mut() = headers.clone();
        response
    }

    fn is_older_than(&self, max_age: Duration) -> bool {
        self.0.2.elapsed() > max_age
    }
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Entry> for ByBytes {
    fn weight(&self, key: &Key, entry: &Entry) -> u64 {
        let headers: usize = entry.0.0.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
        (key.uri.len() + headers + entry.0.1.len() + 256) as u64
    }
}

pub struct PublicCache {
    entries: Cache<Key, Entry, ByBytes>,
    max_age: Duration,
}

impl PublicCache {
    /// Holding at most about `public_cache_bytes`, each entry for at most
    /// `public_cache_max_age`; `None` when the bytes are 0 (caching off).
    pub fn new(server: &ServerConfig) -> Option<Self> {
        let bytes = server.public_cache_bytes;
        (bytes > 0).then(|| Self {
            entries: Cache::with_weighter(EXPECTED_ENTRIES, bytes, ByBytes),
            max_age: server.public_cache_max_age.get(),
        })
    }

    /// The entry under `key` if it is young enough, else the guard to
    /// compute it (or the entry another request computed meanwhile).
    async fn get_fresh_or_guard<'a>(&'a self, key: &'a Key) -> Result<Entry, Guard<'a>> {
        loop {
            match self.entries.get_value_or_guard_async(key).await {
                Ok(entry) if entry.is_older_than(self.max_age) => {
                    // Only this very entry: one computed meanwhile stays.
                    self.entries.remove_if(key, |kept| Arc::ptr_eq(&kept.0, &entry.0));
                }
                found => return found,
            }
        }
    }
}

type Guard<'a> = quick_cache::sync::PlaceholderGuard<
    'a,
    Key,
    Entry,
    ByBytes,
    quick_cache::DefaultHashBuilder,
    quick_cache::sync::DefaultLifecycle<Key, Entry>,
>;

/// Whether a request may change the registry: anything but a read.
fn may_change(request: &Request) -> bool {
    !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The cache and what it keys and catches up by: the state of the layer
/// [`track`], lent to [`keep`]. One `Arc`, because every read clones it
/// (the state's many `Arc`s, cloned per request, cost throughput).
#[derive(Clone)]
pub struct PublicReads(Arc<Reads>);

struct Reads {
    cache: Option<PublicCache>,
    state: AppState,
}

impl PublicReads {
    pub fn new(state: AppState) -> Self {
        Self(Arc::new(Reads { cache: PublicCache::new(&state.config.server), state }))
    }
}

/// The outer layer: after a write, waits for the change feed to catch up
/// with it; lends the cache to the routes that keep their reads ([`keep`]).
pub async fn track(State(reads): State<PublicReads>, mut request: Request, next: Next) -> Response {
    let state = &reads.0.state;
    if may_change(&request) {
        let response = next.run(request).await;
        // Nothing to catch up with when nothing public is kept or read
        // from a replica.
        if response.status().is_success() && (reads.0.cache.is_some() || state.replica.is_some()) {
            state.changes.catch_up(&state.db).await;
        }
        return response;
    }
    request.extensions_mut().insert(reads);
    next.run(request).await
}

/// Marks a response of a route under [`keep`]: a public read.
#[derive(Debug, Clone, Copy)]
pub struct PublicRead;

/// The route layer of the public reads, the same for everyone: serves
/// them from memory (see the module's documentation).
pub async fn keep(request: Request, next: Next) -> Response {
    let mut response = kept_or_computed(request, next).await;
    response.extensions_mut().insert(PublicRead);
    response
}

async fn kept_or_computed(request: Request, next: Next) -> Response {
    let Some(reads) = request.extensions().get::<PublicReads>().cloned() else {
        return next.run(request).await;
    };
    let state = &reads.0.state;
    let Some(cache) = reads.0.cache.as_ref() else {
        return next.run(request).await;
    };
    let Some(key) = key_of(state, &request) else {
        return next.run(request).await;
    };
    let guard = match cache.get_fresh_or_guard(&key).await {
        Ok(entry) => {
            metrics::counter!("public_cache_requests_total", "result" => "hit").increment(1);
            return entry.response();
        }
        Err(guard) => guard,
    };
    metrics::counter!("public_cache_requests_total", "result" => "miss").increment(1);
    let computing_since = Instant::now();
    let response = next.run(request).await;
    let keep = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && response.body().size_hint().upper().is_some_and(|size| size <= MAX_ENTRY);
    if !keep {
        // Dropping the guard lets the next waiting request compute its own.
        return response;
    }
    let (parts, body) = response.into_parts();
    match to_bytes(body, MAX_ENTRY as usize).await {
        Ok(bytes) => {
            // Exactly as large as the body: a buffer grown while rendering
            // may be twice that, and the cache counts what it keeps.
            let bytes = Bytes::copy_from_slice(&bytes);
            let entry = Entry(Arc::new((parts.headers, bytes, computing_since)));
            let _ = guard.insert(entry.clone());
            entry.response()
        }
        Err(error) => {
            tracing::warn!(%error, "a public response's body could not be read");
            Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body(Body::empty()).unwrap_or_default()
        }
    }
}

/// The key of a cacheable request, or `None` when it must go to its handler.
fn key_of(state: &AppState, request: &Request) -> Option<Key> {
    if request.method() != Method::GET
        || request.headers().contains_key(header::IF_NONE_MATCH)
        || request.headers().contains_key(header::AUTHORIZATION)
    {
        return None;
    }
    let generation = state.changes.generation()?;
    let date = state.config.calendar.today(state.clock.now());
    Some(Key {
        generation,
        date,
        uri: request
            .uri()
            .path_and_query()
            .map_or_else(|| request.uri().path().to_owned(), |pq| pq.as_str().to_owned()),
        accept: request.headers().get(header::ACCEPT).cloned(),
        accept_language: request.headers().get(header::ACCEPT_LANGUAGE).cloned(),
    })
}

#[cfg(test)]
mod tests {
    use std::{
        path::Path,
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use axum::{Router, middleware, routing::get};
    use tower::ServiceExt as _;

    use super::*;
    use crate::{
        clock::SystemClock,
        config::{Config, Environment},
    };

    fn state() -> AppState {
        state_with(|_| {})
    }

    /// No database answers: a write's echo is never heard.
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn state_with(customize: impl FnOnce(&mut Config)) -> AppState {
        // Read in a jail that clears the environment: the configuration's
        // tests set `DATAIP__` variables in jails of their own, and the jail's
        // lock keeps them from being read here meanwhile.
        let mut loaded = None;
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
            loaded = Some(Config::load_from(Environment::Test, &dir).map_err(|e| e.to_string())?);
            Ok(())
        });
        let mut config = loaded.expect("test configuration");
        customize(&mut config);
        let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://127.0.0.1:1/none").expect("lazy pool");
        let state = AppState::new(config, pool, Arc::new(SystemClock)).expect("state");
        state.changes.pretend_listening();
        state
    }

    async fn get_all(app: &Router, path: &str, times: usize) {
        let requests = (0..times).map(|_| {
            let request = Request::get(path).body(Body::empty()).expect("request");
            app.clone().oneshot(request)
        });
        for response in futures_util::future::join_all(requests).await {
            let response = response.expect("infallible");
            assert_eq!(response.status(), StatusCode::OK);
            let body = to_bytes(response.into_body(), 1024).await.expect("body");
            assert_eq!(&body[..], b"page");
        }
    }

    /// A router with the cache in front of `/announcements` (counting its
    /// computations) and of a write; the counter.
    fn counted_app(state: &AppState) -> (Router, Arc<AtomicUsize>) {
        let computed = Arc::new(AtomicUsize::new(0));
        let counter = computed.clone();
        let page = get(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                "page"
            }
        });
        let app = Router::new()
            .route("/announcements", page)
            .route_layer(middleware::from_fn(keep))
            .route("/api/v1/applications", axum::routing::post(|| async { StatusCode::CREATED }))
            .layer(middleware::from_fn_with_state(PublicReads::new(state.clone()), track));
        (app, computed)
    }

    #[tokio::test]
    async fn misses_are_computed_once_and_again_after_each_change() {
        let state = state();
        let (app, computed) = counted_app(&state);

        get_all(&app, "/announcements", 20).await;
        assert_eq!(computed.load(Ordering::SeqCst), 1, "twenty requests, one computation");
        get_all(&app, "/announcements", 5).await;
        assert_eq!(computed.load(Ordering::SeqCst), 1, "served from memory");

        state.changes.changed_here();
        get_all(&app, "/announcements", 20).await;
        assert_eq!(computed.load(Ordering::SeqCst), 2, "once after a change heard of");

        // The feed cannot confirm it heard of the write (no database): as
        // if it changed what the public reads.
        let write = Request::post("/api/v1/applications").body(Body::empty()).expect("request");
        assert_eq!(app.clone().oneshot(write).await.expect("infallible").status(), StatusCode::CREATED);
        get_all(&app, "/announcements", 3).await;
        assert_eq!(computed.load(Ordering::SeqCst), 3, "a write not caught up with is read at once");

        get_all(&app, "/announcements?lang=en", 2).await;
        assert_eq!(computed.load(Ordering::SeqCst), 4, "another address, another entry");
    }

    #[tokio::test]
    async fn no_entry_is_served_past_its_max_age() {
        let state = state_with(|config| config.server.public_cache_max_age = crate::domain::ExactDuration::seconds(1));
        let (app, computed) = counted_app(&state);
        get_all(&app, "/announcements", 3).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        get_all(&app, "/announcements", 3).await;
        assert_eq!(computed.load(Ordering::SeqCst), 1, "young enough");
        tokio::time::sleep(Duration::from_millis(600)).await;
        get_all(&app, "/announcements", 10).await;
        assert_eq!(computed.load(Ordering::SeqCst), 2, "computed again once, with no change heard of");
    }
}
