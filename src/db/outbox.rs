//! The outbox: notifications written with their event, delivered by the
//! worker.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::{domain::vocabulary::vocabulary, notifications::messages::Facts};

vocabulary! {
    /// How an outbox message goes out; stored as text in `outbox.channel`
    /// (a CHECK lists the words). The claims' queries name their channel as
    /// a literal, as the partial indexes of due messages do (a bound value
    /// would keep a generic plan off those indexes).
    pub enum Channel {
        /// By mail, to an address.
        Email = "email",
        /// To a client's webhook endpoint.
        Webhook = "webhook",
    }
}

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: Uuid,
    pub kind: String,
    pub channel: Channel,
    pub recipient: String,
    pub language: String,
    pub payload: Json<Facts>,
    pub attempts: i32,
    /// The user it is for; `None` for an address without an account.
    pub user_id: Option<Uuid>,
    /// The endpoint, for a webhook delivery.
    pub webhook_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Who a message goes to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: Option<Uuid>,
    pub email: String,
    pub language: String,
    /// Whether the address was proven; an objector's never is.
    pub confirmed: bool,
    /// Whether its holder made the account (a signup), rather than an
    /// owner or admin adding it for them.
    pub own_account: bool,
}

pub async fn insert(
    conn: &mut PgConnection,
    kind: &str,
    recipient: &Recipient,
    facts: &Facts,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO outbox (id, kind, channel, recipient, language, payload, created_at, next_attempt_at, user_id)
         VALUES ($1, $2, $8, $3, $4, $5, $6, $6, $7)",
        Uuid::now_v7(),
        kind,
        recipient.email,
        recipient.language,
        Json(facts) as _,
        now,
        recipient.user_id,
        Channel::Email as Channel,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A message to store, by mail or to a webhook.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub channel: Channel,
    /// The address, or the webhook's URL.
    pub recipient: &'a str,
    pub language: &'a str,
    pub payload: &'a Facts,
    pub user_id: Option<Uuid>,
    pub webhook_id: Option<Uuid>,
}

/// Stores many messages in one statement, due now.
pub async fn insert_each(conn: &mut PgConnection, messages: &[NewMessage<'_>], now: DateTime<Utc>) -> sqlx::Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = messages.iter().map(|m| m.id).collect();
    let kinds: Vec<&str> = messages.iter().map(|m| m.kind).collect();
    let channels: Vec<Channel> = messages.iter().map(|m| m.channel).collect();
    let recipients: Vec<&str> = messages.iter().map(|m| m.recipient).collect();
    let languages: Vec<&str> = messages.iter().map(|m| m.language).collect();
    let payloads: Vec<Json<&Facts>> = messages.iter().map(|m| Json(m.payload)).collect();
    let user_ids: Vec<Option<Uuid>> = messages.iter().map(|m| m.user_id).collect();
    let webhook_ids: Vec<Option<Uuid>> = messages.iter().map(|m| m.webhook_id).collect();
    sqlx::query!(
        "INSERT INTO outbox (id, kind, channel, recipient, language, payload, created_at, next_attempt_at, user_id,
             webhook_id)
         SELECT t.id, t.kind, t.channel, t.recipient, t.language, t.payload, $9, $9, t.user_id, t.webhook_id
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::uuid[], $8::uuid[])
             WITH ORDINALITY AS t(id, kind, channel, recipient, language, payload, user_id, webhook_id, n)
         ORDER BY t.n",
        &ids,
        &kinds as &[&str],
        &channels as &[Channel],
        &recipients as &[&str],
        &languages as &[&str],
        &payloads as &[Json<&Facts>],
        &user_ids as &[Option<Uuid>],
        &webhook_ids as &[Option<Uuid>],
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims the oldest mail due for one attempt, in one statement: its
/// attempts counted, `claim_id` made this claim's, and `next_attempt_at`
/// moved to `lease_until`, so that no other worker takes it meanwhile and a
/// worker that dies lets it fall due again then. Nothing stays locked.
pub async fn claim_due_mail(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    claim_id: Uuid,
) -> sqlx::Result<Option<OutboxRow>> {
    sqlx::query_as!(
        OutboxRow,
        r#"UPDATE outbox SET attempts = attempts + 1, claim_id = $3, next_attempt_at = $2
           WHERE id = (
               SELECT id FROM outbox
               WHERE channel = 'email' AND delivered_at IS NULL AND abandoned_at IS NULL AND next_attempt_at <= $1
               ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
           )
           RETURNING id, kind, channel AS "channel: Channel", recipient, language, payload AS "payload: Json<Facts>",
                     attempts, user_id, webhook_id, created_at"#,
        now,
        lease_until,
        claim_id
    )
    .fetch_optional(conn)
    .await
}

/// Records a delivery made under `claim_id`. False, and nothing changed,
/// when the claim is no longer the message's (it lapsed and another worker
/// claimed the message) or the message was settled meanwhile.
pub async fn record_delivered(
    conn: &mut PgConnection,
    id: Uuid,
    claim_id: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE outbox SET delivered_at = $3, last_error = NULL
         WHERE id = $1 AND claim_id = $2 AND delivered_at IS NULL AND abandoned_at IS NULL",
        id,
        claim_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records a failed attempt made under `claim_id`: the next one at
/// `retry_at`, or none (`None`: abandoned). False, and nothing changed,
/// when the claim is no longer the message's.
pub async fn record_failed(
    conn: &mut PgConnection,
    id: Uuid,
    claim_id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE outbox SET last_error = $3,
                next_attempt_at = COALESCE($4::timestamptz, next_attempt_at),
                abandoned_at = CASE WHEN $4::timestamptz IS NULL THEN $5::timestamptz END
         WHERE id = $1 AND claim_id = $2 AND delivered_at IS NULL AND abandoned_at IS NULL",
        id,
        claim_id,
        error,
        retry_at,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The active users of each organization who have not switched its kind
/// off: each `(org_id, kind)` pair's index with its recipients, in the
/// order of the pairs given and by account age within a pair.
pub async fn organization_recipients_each(
    conn: &mut PgConnection,
    wanted: &[(Uuid, &str)],
) -> sqlx::Result<Vec<(usize, Recipient)>> {
    let (org_ids, kinds): (Vec<Uuid>, Vec<&str>) = wanted.iter().copied().unzip();
    let rows = sqlx::query!(
        r#"SELECT t.n AS "n!", u.id, u.email, u.language, u.email_confirmed_at IS NOT NULL AS "confirmed!",
                  u.added_by IS NULL AS "own_account!"
           FROM UNNEST($1::uuid[], $2::text[]) WITH ORDINALITY AS t(org_id, kind, n)
           JOIN users u ON u.org_id = t.org_id AND u.disabled_at IS NULL
           WHERE NOT EXISTS (SELECT 1 FROM notification_optouts o WHERE o.user_id = u.id AND o.kind = t.kind)
           ORDER BY t.n, u.created_at"#,
        &org_ids,
        &kinds as &[&str],
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let index = usize::try_from(r.n - 1).unwrap_or(usize::MAX);
            let recipient = Recipient {
                user_id: Some(r.id),
                email: r.email,
                language: r.language,
                confirmed: r.confirmed,
                own_account: r.own_account,
            };
            (index, recipient)
        })
        .collect())
}

/// The organization's active owners (security mail about the organization
/// is theirs).
pub async fn owner_recipients(conn: &mut PgConnection, org_id: Uuid) -> sqlx::Result<Vec<Recipient>> {
    let rows = sqlx::query!(
        r#"SELECT u.id, u.email, u.language, u.email_confirmed_at IS NOT NULL AS "confirmed!",
                  u.added_by IS NULL AS "own_account!"
           FROM users u WHERE u.org_id = $1 AND u.role = 'owner' AND u.disabled_at IS NULL ORDER BY u.created_at"#,
        org_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Recipient {
            user_id: Some(r.id),
            email: r.email,
            language: r.language,
            confirmed: r.confirmed,
            own_account: r.own_account,
        })
        .collect())
}

/// One user, unless they switched `kind` off.
pub async fn user_recipient(conn: &mut PgConnection, user_id: Uuid, kind: &str) -> sqlx::Result<Option<Recipient>> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.email, u.language, u.email_confirmed_at IS NOT NULL AS "confirmed!",
                  u.added_by IS NULL AS "own_account!"
           FROM users u
         WHERE u.id = $1 AND u.disabled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM notification_optouts o WHERE o.user_id = u.id AND o.kind = $2)"#,
        user_id,
        kind
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Recipient {
        user_id: Some(r.id),
        email: r.email,
        language: r.language,
        confirmed: r.confirmed,
        own_account: r.own_account,
    }))
}

/// Switches `kind` off for the user (the one-click unsubscribe).
pub async fn opt_out(conn: &mut PgConnection, user_id: Uuid, kind: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO notification_optouts (user_id, kind) SELECT id, $2 FROM users WHERE id = $1 ON CONFLICT DO NOTHING",
        user_id,
        kind
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn language(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT language FROM users WHERE id = $1", user_id).fetch_optional(conn).await
}

pub async fn set_language(conn: &mut PgConnection, user_id: Uuid, language: &str) -> sqlx::Result<()> {
    sqlx::query!("UPDATE users SET language = $2 WHERE id = $1", user_id, language).execute(conn).await?;
    Ok(())
}

pub async fn optouts(conn: &mut PgConnection, user_id: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT kind FROM notification_optouts WHERE user_id = $1 ORDER BY kind", user_id)
        .fetch_all(conn)
        .await
}

pub async fn replace_optouts(conn: &mut PgConnection, user_id: Uuid, kinds: &[String]) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM notification_optouts WHERE user_id = $1", user_id).execute(&mut *conn).await?;
    sqlx::query!("INSERT INTO notification_optouts (user_id, kind) SELECT $1, unnest($2::text[])", user_id, kinds)
        .execute(conn)
        .await?;
    Ok(())
}
