//! Counterparties confirm: an act that binds another party waits for its
//! word before review. A transfer waits for its transferee's acceptance
//! (the transferee is a verified party registered here, who answers through
//! the API); a pledge, and the holder's release of it, for the pledgee's
//! word when the pledgee is a verified party registered here (pledgees not
//! registered here confirm by a mailed link: not yet built, so their pledges
//! go to review as before). Unanswered after `workflow.counterparty_period`,
//! the act lapses.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{ActView, certificate_facts, notify_decided};
use crate::{
    auth::{Actor, Tenant},
    db::{self, acts::ActRow},
    domain::{ActDetails, ActState},
    notifications::EventKind,
    services::{Error, Result},
    state::AppState,
};

/// The party whose word an act needs before review, if any: the
/// transferee, or the verified party that holds the pledgee's credit code.
pub(super) async fn counterparty(conn: &mut PgConnection, details: &ActDetails) -> Result<Option<Uuid>> {
    let pledgee_code = match details {
        ActDetails::Transfer { transferee, .. } => return Ok(Some(transferee.id)),
        ActDetails::Pledge(terms) => terms.pledgee.credit_code.as_ref().map(ToString::to_string),
        ActDetails::PledgeRelease { pledge_id } => match db::acts::find(conn, *pledge_id).await?.map(|p| p.details.0) {
            Some(ActDetails::Pledge(terms)) => terms.pledgee.credit_code.as_ref().map(ToString::to_string),
            _ => None,
        },
        _ => None,
    };
    let Some(code) = pledgee_code else { return Ok(None) };
    Ok(db::parties::find_verified_by_credit_code(conn, &code).await?.map(|party| party.id))
}

/// Sets a just-filed act waiting for its counterparty, until the end of
/// the counterparty period, and tells the counterparty.
pub(super) async fn await_word(
    conn: &mut PgConnection,
    state: &AppState,
    act: &ActRow,
    counterparty: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let period = state.config.workflow.counterparty_period;
    let due = state.config.calendar.deadline(now, period).ok_or_else(|| anyhow::anyhow!("period out of range"))?;
    db::act_confirmations::insert(conn, act.id, counterparty, due).await?;
    let certificate = db::certificates::find(conn, act.certificate_id).await?.ok_or(Error::NotFound)?;
    let mut facts = certificate_facts(state, &certificate, None, Some(act.kind.as_str()));
    facts.due = Some(crate::services::notifications::day(state, due));
    facts.link = Some(crate::services::notifications::link(state, "/"));
    let kind = EventKind::ConfirmationRequested;
    crate::services::notifications::to_organization(conn, state, counterparty, kind, &facts, now).await
}

/// The acts awaiting the caller's party's word, oldest first.
pub async fn awaiting(state: &AppState, tenant: Tenant) -> Result<Vec<ActView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::act_confirmations::awaiting(&mut conn, tenant.org_id).await?;
    Ok(rows.into_iter().map(ActView::full).collect())
}

/// The counterparty's answer: confirmed, the act goes to review; declined,
/// it is rejected. Either way the answer is recorded with who gave it and
/// from where, and the holder hears of a decline. To any other party the
/// act does not exist (404).
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, act_id = %act_id, confirmed))]
pub async fn answer(state: &AppState, tenant: Tenant, act_id: Uuid, confirmed: bool, from: IpAddr) -> Result<ActView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let act = db::acts::find_for_update(&mut tx, act_id).await?.ok_or(Error::NotFound)?;
    let awaited = db::act_confirmations::awaited_from(&mut tx, act_id).await?;
    if awaited != Some(tenant.org_id) {
        return Err(Error::NotFound);
    }
    if act.state != ActState::AwaitingConfirmation {
        return Err(Error::InvalidTransition {
            subject: "act",
            from: act.state.as_str().into(),
            action: "answer for its counterparty".into(),
        });
    }
    let by = match tenant.actor {
        Actor::User(id) => Some(id),
        Actor::ApiKey(_) => None,
    };
    db::act_confirmations::answer(&mut tx, act_id, confirmed, by, &from.to_string(), now).await?;
    let reason = (!confirmed).then_some("declined by the counterparty");
    if !db::acts::answered(&mut tx, act_id, confirmed, reason, now).await? {
        return Err(anyhow::anyhow!("act {act_id} stopped awaiting confirmation while locked").into());
    }
    let act = db::acts::find(&mut tx, act_id).await?.ok_or(Error::NotFound)?;
    if !confirmed {
        notify_decided(&mut tx, state, &act, reason.map(str::to_owned), now).await?;
    }
    tx.commit().await?;
    tracing::info!("counterparty answered");
    Ok(ActView::full(act))
}

/// Marks the acts whose counterparty did not answer in time lapsed, and
/// tells their holders: the worker's job. Answers how many.
pub async fn lapse_due(state: &AppState) -> Result<u64> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lapsed = db::act_confirmations::lapse_due(&mut tx, now, 100).await?;
    for (act_id, _) in &lapsed {
        let act = db::acts::find(&mut tx, *act_id).await?.ok_or(Error::NotFound)?;
        notify_decided(&mut tx, state, &act, act.decision_reason.clone(), now).await?;
    }
    tx.commit().await?;
    Ok(lapsed.len() as u64)
}
