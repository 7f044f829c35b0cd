//! The workbench's sessions: a browser signs in with the same check as the
//! API's login and then holds a random id in a cookie. Only the id's
//! SHA-256 is kept; the session ends after `auth.session_idle` without a
//! request, `auth.session_lifetime` after sign-in, at sign-out, and with
//! every other credential of the user when the password changes or is
//! reset, the account is disabled, or the user signs out everywhere.

use std::{fmt, net::IpAddr};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::services::{
    Error, Result,
    accounts::sessions::{LoginRequest, check_credentials},
};
use crate::{
    db::{
        self,
        users::UserRow,
        web_sessions::{LiveSession, WebSessionRow},
    },
    state::AppState,
};

/// A session's id as the browser holds it: shown once, in the cookie set
/// at sign-in, and never logged.
pub struct SessionId(String);

impl SessionId {
    fn generate() -> Result<Self> {
        Ok(Self(random_text()?))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

/// 32 random bytes as base64url: a session id, a CSRF token.
pub fn random_text() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn hash(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

/// A session just begun.
#[derive(Debug)]
pub struct SignedIn {
    pub id: SessionId,
    pub session: LiveSession,
}

/// Checks the credentials as the API's login does (throttled alike) and
/// begins a session with a new id. The session the browser held before,
/// if any, ends: an id planted before sign-in never becomes a signed-in one.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    state: &AppState,
    request: &LoginRequest,
    client: IpAddr,
    user_agent: &str,
    previous: Option<&str>,
) -> Result<SignedIn> {
    let user = check_credentials(state, request, client).await?;
    begin(state, &user, user_agent, previous).await
}

/// Begins a session for an account just signed up (its password was just
/// set: no check to make).
pub async fn begin_after_signup(
    state: &AppState,
    user_id: Uuid,
    user_agent: &str,
    previous: Option<&str>,
) -> Result<SignedIn> {
    let user = db::users::find(&mut *state.db.acquire().await?, user_id).await?.ok_or(Error::NotFound)?;
    begin(state, &user, user_agent, previous).await
}

async fn begin(state: &AppState, user: &UserRow, user_agent: &str, previous: Option<&str>) -> Result<SignedIn> {
    let now = state.clock.now();
    let id = SessionId::generate()?;
    let row = WebSessionRow {
        id: Uuid::now_v7(),
        id_hash: hash(id.expose()),
        user_id: user.id,
        token_generation: user.token_generation,
        csrf_token: random_text()?,
        user_agent: user_agent.chars().take(200).collect(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + lifetime(state),
    };
    let mut tx = state.db.begin().await?;
    if let Some(previous) = previous {
        db::web_sessions::end_by_hash(&mut tx, &hash(previous), now).await?;
    }
    db::web_sessions::insert(&mut tx, &row).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, session_id = %row.id, "signed in to the workbench");
    let session = LiveSession {
        id: row.id,
        user_id: user.id,
        org_id: user.org_id,
        role: user.role,
        csrf_token: row.csrf_token,
        last_seen_at: now,
    };
    Ok(SignedIn { id, session })
}

/// The live session the cookie names, its idle clock restarted. A request
/// within a minute of the last one leaves the row alone, so that a page
/// and its assets do not each write.
pub async fn find(state: &AppState, id: &str) -> Result<Option<LiveSession>> {
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    let idle_since = now - idle(state);
    let Some(mut session) = db::web_sessions::find_live(&mut conn, &hash(id), now, idle_since).await? else {
        return Ok(None);
    };
    if now - session.last_seen_at >= Duration::minutes(1) {
        db::web_sessions::touch(&mut conn, session.id, now).await?;
        session.last_seen_at = now;
    }
    Ok(Some(session))
}

/// Ends the session the cookie names (nothing, if it has ended already).
pub async fn sign_out(state: &AppState, id: &str) -> Result<()> {
    db::web_sessions::end_by_hash(&mut *state.db.acquire().await?, &hash(id), state.clock.now()).await?;
    Ok(())
}

/// Ends one of the user's sessions, from the sessions page.
pub async fn end(state: &AppState, user_id: Uuid, session_id: Uuid) -> Result<()> {
    let mut conn = state.db.acquire().await?;
    db::web_sessions::end(&mut conn, user_id, session_id, state.clock.now()).await?;
    Ok(())
}

/// Ends every session of the user, in browsers and through the API: every
/// workbench session, every refresh token, and every access token issued
/// so far (the user's credential generation moves on).
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn sign_out_everywhere(state: &AppState, user_id: Uuid) -> Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::users::end_credentials(&mut tx, user_id).await?;
    let sessions = db::web_sessions::end_all_of_user(&mut tx, user_id, now).await?;
    let tokens = db::refresh_tokens::revoke_all_of_user(&mut tx, user_id, now).await?;
    tx.commit().await?;
    tracing::info!(sessions, tokens, "signed out everywhere");
    Ok(())
}

/// One of the user's sessions, for the sessions page.
#[derive(Debug)]
pub struct SessionView {
    pub id: Uuid,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The user's sessions that still work, newest first.
pub async fn list(state: &AppState, user_id: Uuid) -> Result<Vec<SessionView>> {
    let now = state.clock.now();
    let rows = db::web_sessions::list_open(&mut *state.db.acquire().await?, user_id, now).await?;
    let idle_since = now - idle(state);
    Ok(rows
        .into_iter()
        .filter(|row| row.last_seen_at > idle_since)
        .map(|row| SessionView {
            id: row.id,
            user_agent: row.user_agent,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
            expires_at: row.expires_at,
        })
        .collect())
}

/// Forgets sessions that ended, expired or went idle more than a day ago.
pub async fn purge_expired(state: &AppState, now: DateTime<Utc>) -> Result<u64> {
    let before = now - Duration::days(1) - idle(state);
    Ok(db::web_sessions::purge(&mut *state.db.acquire().await?, before).await?)
}

fn idle(state: &AppState) -> Duration {
    Duration::from_std(state.config.auth.session_idle.get()).unwrap_or(Duration::minutes(30))
}

fn lifetime(state: &AppState) -> Duration {
    Duration::from_std(state.config.auth.session_lifetime.get()).unwrap_or(Duration::hours(12))
}
