//! Notifications written to the outbox in the caller's transaction (so a
//! notification exists if and only if its event happened), the readers'
//! languages and preferences, and mail's delivery by the worker with
//! retries (webhooks': [`crate::services::notifications::webhook_delivery`]).
//! Long because writing a notice and delivering it are one concern.

pub mod certificate_events;
pub mod watches;
pub mod webhook_delivery;
pub mod webhooks;

use std::{collections::HashMap, time::Duration};

use aws_lc_rs::hmac;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Lang;
use crate::services::{Error, Result, throttle::Throttle};
use crate::{
    db,
    notifications::{EventKind, mail, messages::Facts},
    state::AppState,
};

/// Failed attempts in a row after which a round of mail stops: a server
/// that is down or silent costs a few attempts per round, not one (of up to
/// `mail.timeout`) per message due.
const FAILURES_PER_ROUND: u32 = 3;

/// Mail to addresses nobody proved (objectors', new accounts'), per address
/// and hour: the registry is no relay for mail to strangers.
const UNCONFIRMED_PER_HOUR: u32 = 10;

/// Security mail about an organization (an API key created), per owner and
/// hour: however many keys are made, a mailbox gets this many.
const SECURITY_PER_HOUR: u32 = 10;

/// What may be mailed to a user, by how far their address is proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mailable {
    Yes,
    /// Within the unproven address's hourly budget.
    WithinBudget,
    No,
}

/// A proven address receives what its user wants. An unproven one, of an
/// account its holder made, hears of its own organization's filings (so a
/// new applicant is not silenced) within a budget; security mail, watches,
/// and anything for an account someone else added wait until it is proven
/// (the confirmation itself goes through [`to_address`]).
fn mailable(recipient: &db::outbox::Recipient, kind: EventKind) -> Mailable {
    let procedural =
        !kind.is_security() && !matches!(kind, EventKind::WatchMatched | EventKind::WatchCertificateChanged);
    match (recipient.confirmed, recipient.own_account && procedural) {
        (true, _) => Mailable::Yes,
        (false, true) => Mailable::WithinBudget,
        (false, false) => Mailable::No,
    }
}

/// Takes one message from `address`'s budget of `limit` an hour; false
/// (and a log line) when it is spent: the message is dropped, not the event.
async fn within_budget(
    conn: &mut PgConnection,
    bucket: &'static str,
    limit: u32,
    address: &str,
    kind: EventKind,
    now: DateTime<Utc>,
) -> Result<bool> {
    let throttle = Throttle { bucket, limit, window: Duration::from_secs(3600) };
    match throttle.take(conn, address.to_lowercase().as_bytes(), now).await {
        Ok(()) => Ok(true),
        Err(Error::RateLimited { .. }) => {
            tracing::warn!(kind = kind.as_str(), bucket, "mail to an address over its hourly budget: not sent");
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

/// Whether `recipient` is mailed `kind` now.
async fn mails(
    conn: &mut PgConnection,
    recipient: &db::outbox::Recipient,
    kind: EventKind,
    now: DateTime<Utc>,
) -> Result<bool> {
    match mailable(recipient, kind) {
        Mailable::Yes => Ok(true),
        Mailable::WithinBudget => {
            within_budget(conn, "mail.unconfirmed", UNCONFIRMED_PER_HOUR, &recipient.email, kind, now).await
        }
        Mailable::No => Ok(false),
    }
}

/// Tells an organization: its webhooks that take the kind, and its users
/// by mail, each in their language, unless they switched the kind off.
pub async fn to_organization(
    conn: &mut PgConnection,
    state: &AppState,
    org_id: Uuid,
    kind: EventKind,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<()> {
    to_organizations(conn, state, &[Notice { org_id, kind, facts, via: Via::Both }], now).await
}

/// Something to tell an organization.
#[derive(Debug, Clone, Copy)]
pub struct Notice<'a> {
    pub org_id: Uuid,
    pub kind: EventKind,
    pub facts: &'a Facts,
    pub via: Via,
}

/// How a notice reaches an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Its webhooks that take the kind, and its users by mail.
    Both,
    Webhooks,
    Mail,
}

/// [`to_organization`] for many notices, set-based: the recipients of each
/// organization and kind looked up once, every message stored in one
/// statement; per notice its webhooks first, then its mail, in the order
/// given.
pub async fn to_organizations(
    conn: &mut PgConnection,
    state: &AppState,
    notices: &[Notice<'_>],
    now: DateTime<Utc>,
) -> Result<()> {
    if notices.is_empty() {
        return Ok(());
    }
    // A batch's notices mostly share a few organizations and kinds.
    let mut pairs: Vec<(Uuid, &str)> = Vec::new();
    let mut pair_index: HashMap<(Uuid, &str), usize> = HashMap::new();
    let pair_of: Vec<usize> = notices
        .iter()
        .map(|notice| {
            let key = (notice.org_id, notice.kind.as_str());
            *pair_index.entry(key).or_insert_with(|| {
                pairs.push(key);
                pairs.len() - 1
            })
        })
        .collect();
    let mut webhooks: Vec<Vec<(Uuid, String)>> = vec![Vec::new(); pairs.len()];
    for (pair, id, url) in db::webhooks::subscribed_each(conn, &pairs).await? {
        webhooks[pair].push((id, url));
    }
    let mut people: Vec<Vec<db::outbox::Recipient>> = vec![Vec::new(); pairs.len()];
    if state.mailer.is_some() {
        for (pair, recipient) in db::outbox::organization_recipients_each(conn, &pairs).await? {
            people[pair].push(recipient);
        }
    }
    let mut messages = Vec::new();
    for (notice, pair) in notices.iter().zip(pair_of) {
        let kind = notice.kind.as_str();
        for (id, url) in webhooks[pair].iter().filter(|_| notice.via != Via::Mail) {
            messages.push(db::outbox::NewMessage {
                id: Uuid::now_v7(),
                kind,
                channel: db::outbox::Channel::Webhook,
                recipient: url,
                // Webhook payloads are English, whoever set them up.
                language: "en",
                payload: notice.facts,
                user_id: None,
                webhook_id: Some(*id),
            });
        }
        for recipient in people[pair].iter().filter(|_| notice.via != Via::Webhooks) {
            if !mails(conn, recipient, notice.kind, now).await? {
                continue;
            }
            messages.push(db::outbox::NewMessage {
                id: Uuid::now_v7(),
                kind,
                channel: db::outbox::Channel::Email,
                recipient: &recipient.email,
                language: &recipient.language,
                payload: notice.facts,
                user_id: recipient.user_id,
                webhook_id: None,
            });
        }
    }
    Ok(db::outbox::insert_each(conn, &messages, now).await?)
}

/// Tells one user (staff included), unless they switched the kind off;
/// security mail always.
pub async fn to_user(
    conn: &mut PgConnection,
    state: &AppState,
    user_id: Uuid,
    kind: EventKind,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<()> {
    if state.mailer.is_none() {
        return Ok(());
    }
    let filter = if kind.is_security() { "" } else { kind.as_str() };
    let Some(recipient) = db::outbox::user_recipient(conn, user_id, filter).await? else { return Ok(()) };
    if mails(conn, &recipient, kind, now).await? {
        db::outbox::insert(conn, kind.as_str(), &recipient, facts, now).await?;
    }
    Ok(())
}

/// Tells an organization's owners a security matter (an API key created):
/// proven addresses only, each within its hourly budget.
pub async fn to_owners(
    conn: &mut PgConnection,
    state: &AppState,
    org_id: Uuid,
    kind: EventKind,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<()> {
    if state.mailer.is_none() {
        return Ok(());
    }
    for owner in db::outbox::owner_recipients(conn, org_id).await? {
        if mailable(&owner, kind) == Mailable::Yes
            && within_budget(conn, "mail.security", SECURITY_PER_HOUR, &owner.email, kind, now).await?
        {
            db::outbox::insert(conn, kind.as_str(), &owner, facts, now).await?;
        }
    }
    Ok(())
}

/// Tells an address nobody proved (an objector's, a new account's link to
/// prove it), within the per-address budget; past it the message is
/// dropped, not the event.
pub async fn to_address(
    conn: &mut PgConnection,
    state: &AppState,
    address: &str,
    lang: Lang,
    kind: EventKind,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<()> {
    if state.mailer.is_none()
        || !within_budget(conn, "mail.unconfirmed", UNCONFIRMED_PER_HOUR, address, kind, now).await?
    {
        return Ok(());
    }
    let recipient = db::outbox::Recipient {
        user_id: None,
        email: address.to_owned(),
        language: lang.tag().to_owned(),
        confirmed: false,
        own_account: false,
    };
    Ok(db::outbox::insert(conn, kind.as_str(), &recipient, facts, now).await?)
}

/// An absolute address on the registry's portal.
pub fn link(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.config.registry.public_url.trim_end_matches('/'))
}

/// A day on the registry's calendar, as mail says it.
pub fn day(state: &AppState, at: DateTime<Utc>) -> String {
    at.with_timezone(&state.config.calendar.zone).format("%Y-%m-%d").to_string()
}

/// A user's mail settings: their language and, per kind, whether it is
/// mailed.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettings {
    /// `zh-CN` or `en`: the language of the mail sent to this user.
    pub language: String,
    pub kinds: Vec<KindSetting>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindSetting {
    pub kind: EventKind,
    /// Whether mail of this kind is sent; security mail always is.
    pub email: bool,
}

/// `PUT /me/notifications`: the kinds the user wants mailed.
#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    /// Kinds not listed keep their setting.
    #[eserde(compat)]
    pub kinds: Vec<KindSetting>,
}

/// `PATCH /me`: the language of the user's mail.
#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageUpdate {
    /// `zh-CN` or `en`.
    #[schema(example = "en", pattern = "^(zh-CN|en)$")]
    pub language: String,
}

pub async fn settings(state: &AppState, user_id: Uuid) -> Result<NotificationSettings> {
    let mut conn = state.db.acquire().await?;
    let language = db::outbox::language(&mut conn, user_id).await?.ok_or(Error::NotFound)?;
    let off = db::outbox::optouts(&mut conn, user_id).await?;
    let kinds = EventKind::ALL
        .into_iter()
        .map(|kind| KindSetting { kind, email: kind.is_security() || !off.iter().any(|k| k == kind.as_str()) })
        .collect();
    Ok(NotificationSettings { language, kinds })
}

pub async fn set_preferences(
    state: &AppState,
    user_id: Uuid,
    preferences: NotificationPreferences,
) -> Result<NotificationSettings> {
    if let Some(kind) = preferences.kinds.iter().find(|k| k.kind.is_security() && !k.email) {
        return Err(Error::field(
            "kinds",
            format!("{} is security mail, which cannot be switched off", kind.kind.as_str()),
        ));
    }
    let mut tx = state.db.begin().await?;
    let mut off = db::outbox::optouts(&mut tx, user_id).await?;
    for setting in &preferences.kinds {
        off.retain(|k| k != setting.kind.as_str());
        if !setting.email {
            off.push(setting.kind.as_str().to_owned());
        }
    }
    db::outbox::replace_optouts(&mut tx, user_id, &off).await?;
    tx.commit().await?;
    settings(state, user_id).await
}

pub async fn set_language(state: &AppState, user_id: Uuid, language: &str) -> Result<()> {
    let lang = Lang::parse(language).ok_or_else(|| Error::field("language", "must be zh-CN or en"))?;
    db::outbox::set_language(&mut *state.db.acquire().await?, user_id, lang.tag()).await?;
    Ok(())
}

/// Sends the mail that is due, oldest first, one message at a time: each
/// claimed in one statement, sent with no transaction or connection held
/// (within `mail.timeout` as a whole), and its outcome recorded in one
/// statement if the claim is still ours (a worker that died lets its claim
/// lapse after `mail.timeout` and a margin; the message is sent then, at
/// least once). A failed message is retried a minute after its first
/// attempt, doubling (at most an hour), until `mail.max_attempts`. Stops
/// when nothing is due, after [`FAILURES_PER_ROUND`] failures in a row, or
/// once `stop` is cancelled (the message in hand is finished). Returns how
/// many were delivered.
pub async fn deliver_mail_due(state: &AppState, stop: &CancellationToken) -> Result<u64> {
    let mut delivered = 0;
    let mut failures = 0;
    while failures < FAILURES_PER_ROUND && !stop.is_cancelled() {
        let now = state.clock.now();
        let claim_id = Uuid::now_v7();
        let lease_until = crate::services::lease::end(now, state.config.mail.timeout);
        let claimed = db::outbox::claim_due_mail(&mut *state.db.acquire().await?, now, lease_until, claim_id).await?;
        let Some(message) = claimed else { break };
        let attempt = send_mail(state, &message).await;
        // Only the server's failures count toward stopping the round.
        let failed = matches!(attempt, MailAttempt::Failed(_));
        delivered += u64::from(record_mail(state, &message, claim_id, attempt).await?);
        failures = if failed { failures + 1 } else { 0 };
    }
    Ok(delivered)
}

/// What came of one attempt at a message.
enum MailAttempt {
    Delivered,
    Failed(String),
    /// Never: mail was switched off after it was queued.
    Dropped,
}

/// Composes and sends one message, within `mail.timeout` as a whole (the
/// SMTP client's own timeout bounds each step, not a server that answers
/// a byte at a time).
async fn send_mail(state: &AppState, message: &db::outbox::OutboxRow) -> MailAttempt {
    let Some(mailer) = &state.mailer else { return MailAttempt::Dropped };
    let Some(kind) = EventKind::parse(&message.kind) else {
        return MailAttempt::Failed(format!("unknown kind {}", message.kind));
    };
    let lang = Lang::parse(&message.language).unwrap_or(Lang::ZhCn);
    // Security mail cannot be switched off, nor mail to an address without
    // an account: neither offers to.
    let unsubscribe =
        message.user_id.filter(|_| !kind.is_security()).map(|user_id| unsubscribe_link(state, user_id, kind));
    let composed = match mail::compose(kind, lang, &message.payload.0, &state.config.registry.name, unsubscribe) {
        Ok(composed) => composed,
        Err(error) => return MailAttempt::Failed(format!("{error:#}")),
    };
    let limit = state.config.mail.timeout;
    match tokio::time::timeout(limit.get(), mailer.send(&message.recipient, &composed)).await {
        Ok(Ok(())) => MailAttempt::Delivered,
        Ok(Err(error)) => MailAttempt::Failed(format!("{error:#}")),
        Err(_) => {
            MailAttempt::Failed(format!("the mail server did not take the message within {limit} (mail.timeout)"))
        }
    }
}

/// Records an attempt under its claim: delivered, failed and retried with
/// backoff until `mail.max_attempts`, or dropped. Returns whether it was
/// delivered.
async fn record_mail(
    state: &AppState,
    message: &db::outbox::OutboxRow,
    claim_id: Uuid,
    attempt: MailAttempt,
) -> Result<bool> {
    let now = state.clock.now();
    let mut conn = state.db.acquire().await?;
    let (recorded, delivered) = match attempt {
        MailAttempt::Delivered => (db::outbox::record_delivered(&mut conn, message.id, claim_id, now).await?, true),
        MailAttempt::Dropped => {
            let reason = "mail is switched off";
            (db::outbox::record_failed(&mut conn, message.id, claim_id, reason, None, now).await?, false)
        }
        MailAttempt::Failed(error) => {
            let attempts = u32::try_from(message.attempts).unwrap_or(u32::MAX);
            let retry_at = (attempts < state.config.mail.max_attempts).then(|| now + backoff(attempts));
            match retry_at {
                None => tracing::error!(outbox_id = %message.id, kind = %message.kind, %error, attempts,
                    "mail abandoned after its last attempt"),
                Some(_) => tracing::warn!(outbox_id = %message.id, kind = %message.kind, %error, attempts,
                    "mail not delivered; retrying later"),
            }
            (db::outbox::record_failed(&mut conn, message.id, claim_id, &error, retry_at, now).await?, false)
        }
    };
    if !recorded {
        tracing::warn!(outbox_id = %message.id, "mail outlived its claim: its outcome is not recorded (it may be sent again)");
    }
    Ok(delivered)
}

/// The one-click unsubscribe address (RFC 8058) of `kind` for a user: on
/// the portal, where a GET shows a button and a POST (the mail client's
/// one click) switches the kind off. Its token is an HMAC of the user and
/// the kind, so it needs no storage and cannot be forged for another.
pub fn unsubscribe_link(state: &AppState, user_id: Uuid, kind: EventKind) -> String {
    let token = URL_SAFE_NO_PAD.encode(unsubscribe_tag(state, user_id, kind).as_ref());
    link(state, &format!("/unsubscribe?user={user_id}&kind={}&token={token}", kind.as_str()))
}

fn unsubscribe_tag(state: &AppState, user_id: Uuid, kind: EventKind) -> hmac::Tag {
    hmac::sign(&state.unsubscribe_key, &unsubscribe_message(user_id, kind))
}

/// What an unsubscribe token signs: the user and the kind.
fn unsubscribe_message(user_id: Uuid, kind: EventKind) -> Vec<u8> {
    format!("{user_id}\0{}", kind.as_str()).into_bytes()
}

/// Switches `kind` off for the user a valid unsubscribe token names.
pub async fn unsubscribe(state: &AppState, user_id: Uuid, kind: &str, token: &str) -> Result<EventKind> {
    let kind = EventKind::parse(kind).filter(|kind| !kind.is_security()).ok_or(Error::NotFound)?;
    let token = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| Error::NotFound)?;
    hmac::verify(&state.unsubscribe_key, &unsubscribe_message(user_id, kind), &token).map_err(|_| Error::NotFound)?;
    db::outbox::opt_out(&mut *state.db.acquire().await?, user_id, kind.as_str()).await?;
    tracing::info!(kind = kind.as_str(), "unsubscribed");
    Ok(kind)
}

/// One minute after the first failure, doubling, at most an hour.
pub(super) fn backoff(attempts: u32) -> chrono::Duration {
    chrono::Duration::minutes(1_i64 << attempts.saturating_sub(1).min(6)).min(chrono::Duration::hours(1))
}

/// Tells the applicant organization what a step of the procedure did to
/// its application: submitted, supplement requested (with the due date),
/// approved (with the window's end), refused (with the reason), registered
/// (with the certificate). Other steps tell nobody.
pub async fn application_changed(
    conn: &mut PgConnection,
    state: &AppState,
    application: &db::applications::ApplicationRow,
    now: DateTime<Utc>,
) -> Result<()> {
    applications_changed(conn, state, std::slice::from_ref(application), now).await
}

/// [`application_changed`] for many applications, set-based (the watches
/// matching newly announced ones are told first).
pub async fn applications_changed(
    conn: &mut PgConnection,
    state: &AppState,
    applications: &[db::applications::ApplicationRow],
    now: DateTime<Utc>,
) -> Result<()> {
    for application in applications {
        if application.state == crate::domain::ApplicationState::InAnnouncement {
            crate::services::notifications::watches::announced(conn, state, application, now).await?;
        }
    }
    let changes: Vec<(Uuid, EventKind, Facts)> = applications
        .iter()
        .filter_map(|application| {
            change_notice(state, application).map(|(kind, facts)| (application.org_id, kind, facts))
        })
        .collect();
    let notices: Vec<Notice> = changes
        .iter()
        .map(|(org_id, kind, facts)| Notice { org_id: *org_id, kind: *kind, facts, via: Via::Both })
        .collect();
    to_organizations(conn, state, &notices, now).await
}

/// What the applicant organization is told of the application's state now,
/// if anything.
fn change_notice(state: &AppState, application: &db::applications::ApplicationRow) -> Option<(EventKind, Facts)> {
    use crate::domain::ApplicationState as S;
    let mut facts = Facts { product_name: Some(application.product_name.clone()), ..Facts::default() };
    let kind = match application.state {
        S::Submitted => EventKind::ApplicationSubmitted,
        S::SupplementRequested => {
            facts.reason = application.supplement_reason.clone();
            facts.due = application.supplement_due_at.map(|at| day(state, at));
            EventKind::ApplicationSupplementRequested
        }
        S::InAnnouncement => {
            facts.due = application.announcement_ends_at.map(|at| day(state, at));
            facts.link = Some(link(state, &format!("/announcements/{}", application.id)));
            EventKind::ApplicationApproved
        }
        S::Rejected => {
            facts.reason = application.decision_reason.clone();
            EventKind::ApplicationRejected
        }
        S::Registered => {
            let number = application.certificate_number.clone();
            facts.link = number.as_ref().map(|number| link(state, &format!("/certificates/{number}")));
            facts.certificate_number = number;
            EventKind::ApplicationRegistered
        }
        _ => return None,
    };
    Some((kind, facts))
}

/// Reminders per worker step and kind.
const REMINDERS: i64 = 500;

/// Sends the reminders that are due: certificates 90 and 30 days before
/// they expire (the later one only, for a term already shorter than 90
/// days), and reviewers three days before an objection's decision is due.
/// Nothing is claimed while mail is off, so nothing is marked sent unsent.
pub async fn remind(state: &AppState) -> Result<u64> {
    if state.mailer.is_none() {
        return Ok(0);
    }
    let now = state.clock.now();
    let days = chrono::Duration::days;
    let mut sent = 0;
    let mut tx = state.db.begin().await?;
    for (days_before, from, to) in [(30, now, now + days(30)), (90, now + days(30), now + days(90))] {
        for row in db::reminders::claim_expiring(&mut tx, (from, to), days_before, now, REMINDERS).await? {
            let facts = Facts {
                product_name: Some(row.product_name),
                due: Some(day(state, row.valid_until)),
                link: Some(link(state, &format!("/certificates/{}", row.certificate_number))),
                certificate_number: Some(row.certificate_number),
                ..Facts::default()
            };
            to_organization(&mut tx, state, row.org_id, EventKind::CertificateExpiring, &facts, now).await?;
            sent += 1;
        }
    }
    for row in db::reminders::claim_due_objections(&mut tx, now + days(3), now, REMINDERS).await? {
        let Some(reviewer) = row.reviewer_id else { continue };
        let facts = Facts {
            audience: crate::notifications::messages::Audience::Staff,
            product_name: Some(row.product_name),
            due: Some(day(state, row.decision_due_at)),
            ..Facts::default()
        };
        to_user(&mut tx, state, reviewer, EventKind::ObjectionOverdue, &facts, now).await?;
        sent += 1;
    }
    tx.commit().await?;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_to_an_hour() {
        let minutes: Vec<i64> = (1..=9).map(|n| backoff(n).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
