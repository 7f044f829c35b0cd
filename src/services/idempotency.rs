//! `Idempotency-Key`: a creating request repeated with the same key answers
//! the first response and creates nothing new. The key is claimed inside
//! the creating transaction, so a concurrent repeat waits for the first to
//! commit and then replays its answer; keys belong to an organization and
//! are forgotten after a day.

use chrono::{DateTime, Utc};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::services::{Error, Result};

pub struct Idempotent {
    org_id: Uuid,
    key: String,
    fingerprint: Vec<u8>,
}

impl Idempotent {
    /// `None` when the request carries no key. `operation` names what the
    /// request does, so that one key always means one request.
    pub fn new(org_id: Uuid, key: Option<String>, operation: &str, request: &impl Serialize) -> Result<Option<Self>> {
        let Some(key) = key else { return Ok(None) };
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::field("Idempotency-Key", "must be 1 to 255 visible ASCII characters"));
        }
        // Sorted keys (serde_json's map) make the fingerprint independent of formatting.
        let canonical = serde_json::json!({"operation": operation, "request": request});
        let fingerprint = Sha256::digest(canonical.to_string().as_bytes()).to_vec();
        Ok(Some(Self { org_id, key, fingerprint }))
    }

    /// Claims the key for this request, in the caller's transaction. If the
    /// same request used it before, its answer; if another request did, 422.
    pub async fn earlier<T: DeserializeOwned>(&self, conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Option<T>> {
        if db::idempotency::claim(conn, self.org_id, &self.key, &self.fingerprint, now).await? {
            return Ok(None);
        }
        let stored = db::idempotency::find(conn, self.org_id, &self.key)
            .await?
            .ok_or_else(|| anyhow::anyhow!("idempotency key vanished"))?;
        if stored.request_hash != self.fingerprint {
            return Err(Error::field("Idempotency-Key", "was already used for a different request"));
        }
        serde_json::from_value(stored.response_body).map(Some).map_err(|e| Error::Internal(e.into()))
    }

    /// Keeps the answer for repeats, in the creating transaction.
    pub async fn remember(&self, conn: &mut PgConnection, answer: &impl Serialize) -> Result<()> {
        let body = serde_json::to_value(answer).map_err(|e| Error::Internal(e.into()))?;
        Ok(db::idempotency::store(conn, self.org_id, &self.key, 201, &body).await?)
    }
}
