//! What the public record shows of a certificate's acts: its current
//! licenses and unreleased pledges, and the history of approved acts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    db,
    domain::{ActDetails, ActKind, ActState, Money},
    services::Result,
    state::AppState,
};

/// What the public sees of a certificate's encumbrances and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicLicense {
    pub licensee_name: String,
    pub exclusive: bool,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicPledge {
    pub pledgee_name: String,
    /// 1 for the first pledge; a later one, recorded with every earlier
    /// pledgee's consent, ranks after them.
    pub rank: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Shown only where the registry's configuration allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secured_amount: Option<Money>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAct {
    pub kind: ActKind,
    pub approved_at: Option<DateTime<Utc>>,
    pub ledger_index: Option<i64>,
    /// Why the certificate ended: a revocation's grounds or a
    /// cancellation's reason (other acts' terms are not public).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The certificate's current licenses and unreleased pledges, and its
/// approved acts; pending and rejected acts are not public.
pub async fn public_record(
    conn: &mut PgConnection,
    state: &AppState,
    certificate_id: Uuid,
) -> Result<(Vec<PublicLicense>, Vec<PublicPledge>, Vec<PublicAct>)> {
    let today = super::today(state, state.clock.now());
    let licenses = db::licenses::current(conn, certificate_id, today)
        .await?
        .into_iter()
        .map(|l| PublicLicense {
            licensee_name: l.licensee_name,
            exclusive: l.exclusive,
            starts_on: l.starts_on,
            ends_on: l.ends_on,
        })
        .collect();
    let show_amounts = state.config.registry.public_pledge_amounts;
    let pledges = db::pledges::unreleased(conn, certificate_id)
        .await?
        .into_iter()
        .map(|p| PublicPledge {
            pledgee_name: p.pledgee_name,
            rank: p.rank,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            secured_amount: show_amounts.then_some(Money { amount: p.amount, currency: p.currency }),
        })
        .collect();
    let history = db::acts::of_certificate(conn, certificate_id)
        .await?
        .into_iter()
        .filter(|a| a.state == ActState::Approved)
        .map(|a| {
            let reason = match &a.details.0 {
                ActDetails::Revocation { grounds } => Some(grounds.clone()),
                ActDetails::Cancellation { reason } => Some(reason.clone()),
                _ => None,
            };
            PublicAct { kind: a.kind, approved_at: a.decided_at, ledger_index: a.ledger_index, reason }
        })
        .collect();
    Ok((licenses, pledges, history))
}
