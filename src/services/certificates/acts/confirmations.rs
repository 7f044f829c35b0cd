//! Counterparties confirm: an act that binds another party waits for its
//! word before review. A transfer waits for its transferee's acceptance; a
//! pledge for its pledgee's confirmation; the holder's release of a pledge
//! for the pledgee's; a licence for its licensee's where
//! `workflow.license_needs_confirmation`. An act that would outrank or
//! defeat a pledge of record (a second pledge, a transfer, a cancellation,
//! an exclusive licence) waits too for every pledgee's consent.
//!
//! Each word is one row. A verified party registered here gives it through
//! the API; anyone else by a single-use link mailed to the contact the
//! filer gave (shown to the filer instead when mail is off); a pledgee of a
//! pledge recorded before pledgees had contacts by its written consent,
//! which the holder uploads as the act's document and staff review with the
//! act. One declined word rejects the act; all given, it goes to review;
//! any unanswered after `workflow.counterparty_period`, it lapses.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ActView, certificate_facts, notify_decided};
use crate::{
    auth::{Actor, OpaqueToken, Tenant},
    db::{
        self,
        act_confirmations::{Via, WordRow},
        acts::ActRow,
    },
    domain::{ActDetails, ActKind, ActState, Counterparty, Email, LicenseTerms, PledgeTerms},
    notifications::EventKind,
    services::{
        Error, Result,
        throttle::{Throttle, address_key},
    },
    state::AppState,
};

/// What a confirmation link's token starts with.
const LINK_PREFIX: &str = "dpcf_";

/// A word an act is to wait for: who may give it, and for which pledge of
/// record when it is a consent.
pub(super) struct Wanted {
    /// A verified party registered here, answering through the API.
    party: Option<Uuid>,
    /// Where a single-use link goes.
    address: Option<String>,
    pledge_id: Option<Uuid>,
    /// Who, as the filer is told.
    name: String,
}

impl Wanted {
    /// Neither a party nor an address: a written consent, uploaded.
    fn in_writing(&self) -> bool {
        self.party.is_none() && self.address.is_none()
    }
}

/// A word an act waits for, as the filer is told when filing it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct AwaitedWord {
    /// Whose word: the act's counterparty, or a pledgee of record.
    pub from: String,
    /// Set when the word is the consent of the pledgee of this pledge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pledge_id: Option<Uuid>,
    /// How it may be given: `party` (a verified party registered here,
    /// through `POST /confirmations/{act_id}/confirm`), `link` (the
    /// single-use link mailed to the contact given), `document` (the
    /// pledgee's written consent, uploaded by the holder as the act's
    /// document, for staff to review with the act).
    pub via: Vec<String>,
    /// The single-use link, shown here once when the registry sends no
    /// mail, to hand to its recipient: it confirms on their behalf, so it
    /// goes to them alone. Absent when it was mailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// The verified party registered here that `party` names, if any: an
/// organization by its credit code.
async fn registered(conn: &mut PgConnection, party: &Counterparty) -> Result<Option<Uuid>> {
    let Some(code) = &party.credit_code else { return Ok(None) };
    Ok(db::parties::find_verified_by_credit_code(conn, &code.to_string()).await?.map(|party| party.id))
}

/// The word of a pledgee: its party when registered here, and the link to
/// the contact the pledge gave.
async fn pledgee_word(conn: &mut PgConnection, terms: &PledgeTerms, pledge_id: Option<Uuid>) -> Result<Wanted> {
    Ok(Wanted {
        party: registered(conn, &terms.pledgee).await?,
        address: terms.pledgee.contact_email.clone(),
        pledge_id,
        name: terms.pledgee.name.to_string(),
    })
}

/// The terms of a pledge of record.
async fn pledge_terms(conn: &mut PgConnection, pledge_id: Uuid) -> Result<PledgeTerms> {
    match db::acts::find(conn, pledge_id).await?.map(|act| act.details.0) {
        Some(ActDetails::Pledge(terms)) => Ok(terms),
        _ => Err(anyhow::anyhow!("pledge {pledge_id} is not a pledge act").into()),
    }
}

/// Whether an act would outrank or defeat the pledges of record, so that
/// it needs their pledgees' consent.
fn defeats_pledges(details: &ActDetails) -> bool {
    match details {
        ActDetails::Pledge(_) | ActDetails::Transfer { .. } | ActDetails::Cancellation { .. } => true,
        ActDetails::License(LicenseTerms { exclusive, .. }) => *exclusive,
        _ => false,
    }
}

/// The words a just-filed act must wait for. `transferee_contact` is the
/// address a transfer's filer gave; `by_pledgee` is true when the pledgee
/// itself files a release (its filing is its word).
pub(super) async fn wanted(
    conn: &mut PgConnection,
    state: &AppState,
    certificate_id: Uuid,
    details: &ActDetails,
    transferee_contact: Option<String>,
    by_pledgee: bool,
) -> Result<Vec<Wanted>> {
    let mut words = Vec::new();
    match details {
        ActDetails::Transfer { transferee, .. } => words.push(Wanted {
            party: Some(transferee.id),
            address: transferee_contact,
            pledge_id: None,
            name: transferee.name.clone(),
        }),
        ActDetails::Pledge(terms) => {
            let word = pledgee_word(conn, terms, None).await?;
            if word.in_writing() {
                return Err(Error::field(
                    "pledgee.contact_email",
                    "the pledgee is not a verified party registered here: give its e-mail address, where it \
                     confirms the pledge by a single-use link",
                ));
            }
            words.push(word);
        }
        ActDetails::License(LicenseTerms { licensee, .. }) if state.config.workflow.license_needs_confirmation => {
            let word = Wanted {
                party: registered(conn, licensee).await?,
                address: licensee.contact_email.clone(),
                pledge_id: None,
                name: licensee.name.to_string(),
            };
            if word.in_writing() {
                return Err(Error::field(
                    "licensee.contact_email",
                    "licences need the licensee's confirmation here, and the licensee is not a verified \
                     organization registered here: give its e-mail address",
                ));
            }
            words.push(word);
        }
        ActDetails::PledgeRelease { pledge_id } if !by_pledgee => {
            let terms = pledge_terms(conn, *pledge_id).await?;
            words.push(pledgee_word(conn, &terms, None).await?);
        }
        _ => {}
    }
    if defeats_pledges(details) {
        for pledge in db::pledges::unreleased(conn, certificate_id).await? {
            let terms = pledge_terms(conn, pledge.act_id).await?;
            words.push(pledgee_word(conn, &terms, Some(pledge.act_id)).await?);
        }
    }
    Ok(words)
}

/// Sets a just-filed (and just-inserted) act waiting for `words`, until the
/// end of the counterparty period, and asks each for it: the party through
/// its notifications, the address by mail with its single-use link.
/// Answers what the filer is told of each.
pub(super) async fn ask(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    words: Vec<Wanted>,
    now: DateTime<Utc>,
) -> Result<Vec<AwaitedWord>> {
    let period = state.config.workflow.counterparty_period;
    let due = state.config.calendar.deadline(now, period).ok_or_else(|| anyhow::anyhow!("period out of range"))?;
    let certificate = db::certificates::find(conn, act.certificate_id).await?.ok_or(Error::NotFound)?;
    let mut told = Vec::with_capacity(words.len());
    for word in words {
        let token = word.address.as_ref().map(|_| OpaqueToken::generate()).transpose()?;
        let row = WordRow {
            id: token.as_ref().map_or_else(Uuid::now_v7, |token| token.id),
            act_id: act.id,
            counterparty_org_id: word.party,
            pledge_id: word.pledge_id,
            contact_email: word.address.clone(),
            token_hash: token.as_ref().map(OpaqueToken::secret_hash),
            due_at: due,
            answered_at: None,
            confirmed: None,
            answered_via: None,
        };
        db::act_confirmations::insert(conn, &row).await?;
        let what = match word.pledge_id {
            Some(_) => format!("consent.{}", act.kind.as_str()),
            None => act.kind.as_str().to_owned(),
        };
        let mut facts = certificate_facts(state, &certificate, None, Some(&what));
        facts.due = Some(crate::services::notifications::day(state, due));
        let kind = EventKind::ConfirmationRequested;
        let mut via = Vec::new();
        if let Some(party) = word.party {
            facts.link = Some(crate::services::notifications::link(state, "/"));
            crate::services::notifications::to_organization(conn, state, party, kind, &facts, now).await?;
            via.push(Via::Party.as_str().to_owned());
        }
        let mut shown = None;
        if let (Some(address), Some(token)) = (&word.address, &token) {
            let link = crate::services::notifications::link(state, &format!("/confirm/{}", token.render(LINK_PREFIX)));
            facts.link = Some(link.clone());
            let lang = crate::domain::Lang::ZhCn;
            crate::services::notifications::to_address(conn, state, address, lang, kind, &facts, now).await?;
            via.push(Via::Link.as_str().to_owned());
            shown = state.mailer.is_none().then_some(link);
        }
        if word.in_writing() {
            via.push(Via::Document.as_str().to_owned());
        }
        told.push(AwaitedWord { from: word.name, pledge_id: word.pledge_id, via, link: shown });
    }
    Ok(told)
}

/// Settles an act once a word came: one declined, it is rejected (and its
/// holder told); all given, it goes to review; otherwise it waits on.
async fn settle(conn: &mut PgConnection, state: &AppState, act_id: Uuid, now: DateTime<Utc>) -> Result<ActRow> {
    let words = db::act_confirmations::of_act(conn, act_id).await?;
    let declined = words.iter().any(|w| w.confirmed == Some(false));
    let all_given = words.iter().all(|w| w.confirmed == Some(true));
    if declined || all_given {
        let reason = declined.then_some("declined: a word the act needed was refused");
        if !db::acts::answered(conn, act_id, !declined, reason, now).await? {
            return Err(anyhow::anyhow!("act {act_id} stopped awaiting confirmation while locked").into());
        }
    }
    let act = db::acts::find(conn, act_id).await?.ok_or(Error::NotFound)?;
    if declined {
        notify_decided(conn, state, &act, act.decision_reason.clone(), now).await?;
    }
    Ok(act)
}

/// The acts awaiting the caller's party's word, oldest first.
pub async fn awaiting(state: &AppState, tenant: Tenant) -> Result<Vec<ActView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::act_confirmations::awaiting(&mut conn, tenant.org_id).await?;
    Ok(rows.into_iter().map(ActView::for_counterparty).collect())
}

fn already_answered() -> Error {
    Error::Conflict("this word has been given already; it cannot be given again".into())
}

fn not_awaiting(act: &ActRow) -> Error {
    Error::InvalidTransition {
        subject: "act",
        from: act.state.as_str().into(),
        action: "take a counterparty's word".into(),
    }
}

/// The party's answer, for every word the act awaits from it: confirmed,
/// the act goes to review once no other word is awaited; declined, it is
/// rejected. Recorded with who gave it and from where; the holder hears of
/// a decline. To any other party the act does not exist (404).
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, act_id = %act_id, confirmed))]
pub async fn answer(state: &AppState, tenant: Tenant, act_id: Uuid, confirmed: bool, from: IpAddr) -> Result<ActView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let act = db::acts::find_for_update(&mut tx, act_id).await?.ok_or(Error::NotFound)?;
    let words = db::act_confirmations::of_act(&mut tx, act_id).await?;
    let mine: Vec<&WordRow> = words.iter().filter(|w| w.counterparty_org_id == Some(tenant.org_id)).collect();
    if mine.is_empty() {
        return Err(Error::NotFound);
    }
    if act.state != ActState::AwaitingConfirmation {
        return Err(not_awaiting(&act));
    }
    let open: Vec<Uuid> = mine.iter().filter(|w| w.answered_at.is_none()).map(|w| w.id).collect();
    if open.is_empty() {
        return Err(already_answered());
    }
    let by = match tenant.actor {
        Actor::User(id) => Some(id),
        Actor::ApiKey(_) => None,
    };
    db::act_confirmations::answer(&mut tx, &open, confirmed, Via::Party, by, &from.to_string(), now).await?;
    let act = settle(&mut tx, state, act_id, now).await?;
    tx.commit().await?;
    tracing::info!("counterparty answered");
    Ok(ActView::for_counterparty(act))
}

/// An answer given by a confirmation link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Confirm,
    Decline,
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAnswer {
    /// `confirm`: the act goes to review once no other word is awaited;
    /// `decline`: it is rejected.
    #[serde(deserialize_with = "crate::domain::fields::text")]
    #[eserde(compat)]
    pub answer: Answer,
}

/// What the holder of a confirmation link is asked, and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkRequest {
    pub act_id: Uuid,
    pub kind: ActKind,
    /// The act's state now: `awaiting_confirmation` until every word it
    /// needs is given.
    pub state: ActState,
    pub certificate_number: String,
    pub product_name: String,
    /// Who holds the certificate and filed the act.
    pub holder_name: String,
    /// The act's terms (contacts left out).
    pub details: ActDetails,
    /// Set when the link asks the consent of the pledgee of this pledge of
    /// record to the act, rather than the act's own counterparty's word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pledge_id: Option<Uuid>,
    /// Answer before then, or the act lapses.
    pub due_at: DateTime<Utc>,
    /// The answer given through this link, once given.
    pub confirmed: Option<bool>,
    pub answered_at: Option<DateTime<Utc>>,
}

fn invalid_link() -> Error {
    Error::NotFoundBecause("no confirmation has this link: check that it was copied whole")
}

/// Failed redemptions of confirmation links per client address.
fn link_throttle(state: &AppState) -> Throttle {
    Throttle::failed_tokens_per_address(&state.config.throttle, "act_confirmation.address")
}

/// The word whose link `token` is, if it is one (counting a failure against
/// the client address first, taken back when it is).
async fn linked(conn: &mut PgConnection, state: &AppState, token: &str, client: IpAddr) -> Result<WordRow> {
    let now = state.clock.now();
    let throttle = link_throttle(state);
    let key = address_key(client);
    throttle.take(conn, &key, now).await?;
    let presented = OpaqueToken::parse(LINK_PREFIX, token.trim()).ok_or_else(invalid_link)?;
    let word = db::act_confirmations::find(conn, presented.id)
        .await?
        .filter(|w| w.token_hash.as_deref().is_some_and(|hash| presented.matches(hash)))
        .ok_or_else(invalid_link)?;
    throttle.give_back(conn, &key, now).await?;
    Ok(word)
}

async fn link_request(conn: &mut PgConnection, word: &WordRow, act: ActRow) -> Result<LinkRequest> {
    let certificate = db::certificates::find(conn, act.certificate_id).await?.ok_or(Error::NotFound)?;
    let holder = db::parties::find(conn, act.holder_org_id).await?.ok_or(Error::NotFound)?;
    Ok(LinkRequest {
        act_id: act.id,
        kind: act.kind,
        state: act.state,
        certificate_number: certificate.certificate_number,
        product_name: certificate.product_name,
        holder_name: holder.name,
        details: act.details.0.without_contacts(),
        pledge_id: word.pledge_id,
        due_at: word.due_at,
        confirmed: word.confirmed,
        answered_at: word.answered_at,
    })
}

/// What a confirmation link asks (a GET: changes nothing, since mail
/// scanners follow links).
pub async fn by_link(state: &AppState, token: &str, client: IpAddr) -> Result<LinkRequest> {
    let mut conn = state.db.acquire().await?;
    let word = linked(&mut conn, state, token, client).await?;
    let act = db::acts::find(&mut conn, word.act_id).await?.ok_or(Error::NotFound)?;
    link_request(&mut conn, &word, act).await
}

/// The answer given by a confirmation link, once: recorded with the link's
/// address and the client address, then the act settled as for a party's.
#[tracing::instrument(skip_all, fields(confirmed))]
pub async fn answer_by_link(state: &AppState, token: &str, confirmed: bool, client: IpAddr) -> Result<LinkRequest> {
    let now = state.clock.now();
    // Checked (and a failure counted) outside the transaction, so that a
    // refusal's count stays.
    let word = linked(&mut *state.db.acquire().await?, state, token, client).await?;
    let mut tx = state.db.begin().await?;
    let act = db::acts::find_for_update(&mut tx, word.act_id).await?.ok_or(Error::NotFound)?;
    let word = db::act_confirmations::find(&mut tx, word.id).await?.ok_or(Error::NotFound)?;
    if word.answered_at.is_some() {
        return Err(already_answered());
    }
    if act.state != ActState::AwaitingConfirmation {
        return Err(not_awaiting(&act));
    }
    let from = client.to_string();
    db::act_confirmations::answer(&mut tx, &[word.id], confirmed, Via::Link, None, &from, now).await?;
    let act = settle(&mut tx, state, act.id, now).await?;
    let word = WordRow { answered_at: Some(now), confirmed: Some(confirmed), ..word };
    let request = link_request(&mut tx, &word, act).await?;
    tx.commit().await?;
    tracing::info!(act_id = %word.act_id, "answered by link");
    Ok(request)
}

/// The words of `act` still to be given in writing: those of pledgees
/// with no other way to answer. Refused (409) when there are none.
pub(super) async fn awaited_in_writing(conn: &mut PgConnection, act: &ActRow) -> Result<Vec<Uuid>> {
    if act.state != ActState::AwaitingConfirmation {
        return Err(not_awaiting(act));
    }
    let words = db::act_confirmations::of_act(conn, act.id).await?;
    let in_writing: Vec<Uuid> = words
        .iter()
        .filter(|w| w.counterparty_org_id.is_none() && w.contact_email.is_none() && w.answered_at.is_none())
        .map(|w| w.id)
        .collect();
    if in_writing.is_empty() {
        return Err(Error::Conflict(
            "this act awaits no written consent: its counterparties answer through the API or their link".into(),
        ));
    }
    Ok(in_writing)
}

/// The written consent of the pledgees with no other way to answer, given
/// by the document the holder uploaded; the act then settles.
pub(super) async fn given_in_writing(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    by: Option<Uuid>,
    from: IpAddr,
    now: DateTime<Utc>,
) -> Result<ActRow> {
    let in_writing = awaited_in_writing(conn, act).await?;
    db::act_confirmations::answer(conn, &in_writing, true, Via::Document, by, &from.to_string(), now).await?;
    settle(conn, state, act.id, now).await
}

/// An act about to take effect must carry the consent of the pledgee of
/// every pledge now of record that it would outrank or defeat (`409`
/// otherwise: a pledge recorded after it was filed).
pub(super) async fn ensure_pledgees_consented(conn: &mut PgConnection, act: &ActRow) -> Result<()> {
    if !defeats_pledges(&act.details.0) {
        return Ok(());
    }
    let words = db::act_confirmations::of_act(conn, act.id).await?;
    for pledge in db::pledges::unreleased(conn, act.certificate_id).await? {
        let consented = words.iter().any(|w| w.pledge_id == Some(pledge.act_id) && w.confirmed == Some(true));
        if !consented {
            return Err(Error::ConflictingAct {
                message: format!(
                    "the certificate is pledged to {} (pledge {}), recorded after this act was filed; this act \
                     lacks that pledgee's consent and cannot take effect: reject it, and file it again",
                    pledge.pledgee_name, pledge.act_id
                ),
                act_id: pledge.act_id,
            });
        }
    }
    Ok(())
}

/// Marks the acts with a word not given in time lapsed, and tells their
/// holders: the worker's job. Answers how many.
pub async fn lapse_due(state: &AppState) -> Result<u64> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lapsed = db::act_confirmations::lapse_due(&mut tx, now, 100).await?;
    for act_id in &lapsed {
        let act = db::acts::find(&mut tx, *act_id).await?.ok_or(Error::NotFound)?;
        notify_decided(&mut tx, state, &act, act.decision_reason.clone(), now).await?;
    }
    tx.commit().await?;
    Ok(lapsed.len() as u64)
}

/// Checks a contact given at filing: an addr-spec alone.
pub(super) fn contact(field: &str, given: Option<&str>) -> Result<Option<String>> {
    given
        .map(|address| Email::parse(address).map(|email| email.to_string()).map_err(|m| Error::field(field, m)))
        .transpose()
}
