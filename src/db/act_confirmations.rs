//! The words acts wait for: one row per word (the act's counterparty, or a
//! pledgee of record consenting), who may give it (a party registered here,
//! the holder of a single-use link mailed to an address, or neither: a
//! written consent uploaded as the act's document), by when, and the answer
//! (confirmed or declined, how, by whom, from which client address).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use super::acts::ActRow;
use crate::domain::{ActDetails, ActKind, ActState};
use tlog::commitment::Openings;

/// A word an act waits for.
#[derive(Debug, Clone)]
pub struct WordRow {
    pub id: Uuid,
    pub act_id: Uuid,
    /// The party registered here that answers through the API.
    pub counterparty_org_id: Option<Uuid>,
    /// Set when the word is a pledgee of record's consent.
    pub pledge_id: Option<Uuid>,
    /// Where the single-use link went.
    pub contact_email: Option<String>,
    pub token_hash: Option<Vec<u8>>,
    pub due_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub confirmed: Option<bool>,
    pub answered_via: Option<String>,
}

/// How a word was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Party,
    Link,
    Document,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Party => "party",
            Self::Link => "link",
            Self::Document => "document",
        }
    }
}

pub async fn insert(conn: &mut PgConnection, word: &WordRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO act_confirmations (id, act_id, counterparty_org_id, pledge_id, contact_email, token_hash, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        word.id,
        word.act_id,
        word.counterparty_org_id,
        word.pledge_id,
        word.contact_email,
        word.token_hash,
        word.due_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The words `act_id` waits or waited for, in the order asked.
pub async fn of_act(conn: &mut PgConnection, act_id: Uuid) -> sqlx::Result<Vec<WordRow>> {
    sqlx::query_as!(
        WordRow,
        "SELECT id, act_id, counterparty_org_id, pledge_id, contact_email, token_hash, due_at, answered_at, confirmed,
                answered_via
           FROM act_confirmations WHERE act_id = $1 ORDER BY id",
        act_id
    )
    .fetch_all(conn)
    .await
}

/// One word, by the id its link carries.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<WordRow>> {
    sqlx::query_as!(
        WordRow,
        "SELECT id, act_id, counterparty_org_id, pledge_id, contact_email, token_hash, due_at, answered_at, confirmed,
                answered_via
           FROM act_confirmations WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// The acts awaiting this party's word, oldest first.
pub async fn awaiting(conn: &mut PgConnection, counterparty_org_id: Uuid) -> sqlx::Result<Vec<ActRow>> {
    sqlx::query_as!(
        ActRow,
        r#"SELECT a.id, a.certificate_id, a.org_id, a.holder_org_id, a.kind AS "kind: ActKind",
                a.state AS "state: ActState", a.details AS "details: Json<ActDetails>",
                a.openings AS "openings: Json<Openings>", a.filed_by, a.filed_at, a.decided_by, a.decided_at,
                a.decision_reason, a.ledger_index
           FROM certificate_acts a
           WHERE a.state = 'awaiting_confirmation'
             AND EXISTS (SELECT 1 FROM act_confirmations c
                          WHERE c.act_id = a.id AND c.counterparty_org_id = $1 AND c.answered_at IS NULL)
           ORDER BY a.id"#,
        counterparty_org_id
    )
    .fetch_all(conn)
    .await
}

/// Records the answer to the words `ids`.
pub async fn answer(
    conn: &mut PgConnection,
    ids: &[Uuid],
    confirmed: bool,
    via: Via,
    by: Option<Uuid>,
    from: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE act_confirmations
            SET answered_at = $2, answered_by = $3, answered_from = $4, confirmed = $5, answered_via = $6
          WHERE id = ANY($1) AND answered_at IS NULL",
        ids,
        now,
        by,
        from,
        confirmed,
        via.as_str()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks up to `limit` acts with a word not given by `now` lapsed; answers
/// them.
pub async fn lapse_due(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"UPDATE certificate_acts a SET state = 'lapsed', decided_at = $1,
               decision_reason = 'lapsed: the word it awaited was not given in time'
           WHERE a.id IN (SELECT c.act_id FROM act_confirmations c JOIN certificate_acts w ON w.id = c.act_id
                          WHERE c.answered_at IS NULL AND c.due_at <= $1 AND w.state = 'awaiting_confirmation'
                          ORDER BY c.due_at LIMIT $2 FOR UPDATE OF w SKIP LOCKED)
           RETURNING a.id"#,
        now,
        limit
    )
    .fetch_all(conn)
    .await
}
