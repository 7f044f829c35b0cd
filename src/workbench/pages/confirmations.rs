//! Acts that ask this party to confirm them, confirmed or declined here:
//! the same service, and the same words, as the API's `/confirmations`.
//! (A counterparty with no account here answers by the link mailed to it,
//! on the portal's `/confirm/{token}`.)

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use uuid::Uuid;

use super::certificates::{ActWords, describe};
use crate::workbench::{
    form::Submitted,
    page::{self, Ctx, Done},
    visit::Applicant,
    words::words,
};
use crate::{
    db,
    domain::ActKind,
    http::client_addr::ClientAddr,
    services::{
        self,
        certificates::acts::{ActView, confirmations},
    },
    state::AppState,
};

pub fn routes() -> Router<AppState> {
    Router::new().route("/workbench/confirmations", get(show)).route("/workbench/confirmations/{act_id}", post(answer))
}

words! { pub ConfirmWords {
    title: "待本主体确认的事项", "Confirmations asked of your party";
    intro: "其他主体在其证书上提出、须经本主体确认的事项：转让给本主体、质押给本主体及其解除、许可给本主体，以及本主体作为在先质权人须同意的事项。确认后，事项交登记机构审查（如无其他待确认方）；拒绝则该事项不予办理，持有人将收到通知。逾期未答复的，事项失效。", "Acts other parties filed on their certificates that need your party's word: transfers to it, pledges to it and their release, licences to it, and acts that need its consent as pledgee of record. Once confirmed, an act goes to the registry's review (when no other word is awaited); declined, it is not done, and its holder is told. Unanswered by the date shown, it lapses.";
    none: "目前没有待本主体确认的事项。", "Nothing awaits your party's word.";
    product: "数据产品", "Data product";
    holder: "持有人（提出方）", "Holder (who filed it)";
    terms: "内容", "Terms";
    filed_at: "提出时间", "Filed";
    due: "请在此日前答复", "Answer by";
    ask_transfer: "将证书转让给本主体：请确认是否接受。", "The certificate is transferred to your party: do you accept it?";
    ask_pledge: "将证书质押给本主体：请确认质押。", "The certificate is pledged to your party: do you confirm the pledge?";
    ask_release: "解除对本主体的质押：请确认解除。", "The pledge to your party is released: do you confirm the release?";
    ask_license: "许可给本主体：请确认许可。", "A licence to your party: do you confirm it?";
    ask_other: "请确认此事项。", "Do you confirm this act?";
    ask_consent: "本主体是该证书在先质押的质权人：此事项须经本主体同意。", "Your party is the pledgee of a pledge of record on this certificate: this act needs its consent.";
    confirm: "确认", "Confirm";
    decline: "拒绝", "Decline";
    confirm_question: "确认此事项吗？确认后不可撤回。", "Confirm this act? This cannot be taken back.";
    decline_question: "拒绝此事项吗？该事项将不予办理，且不可撤回。", "Decline this act? It will not be done, and this cannot be taken back.";
    confirmed: "已确认。如无其他待确认方，该事项已交登记机构审查。", "Confirmed. Unless another party's word is awaited, the act now goes to the registry's review.";
    declined: "已拒绝。该事项不予办理，持有人将收到通知。", "Declined. The act will not be done; its holder is told.";
    bad_action: "无法识别的操作。", "This action is not known.";
} }

struct Asked {
    id: String,
    kind: &'static str,
    number: String,
    record_href: String,
    product: String,
    holder: String,
    terms: String,
    filed_at: String,
    due: String,
    asks: Vec<&'static str>,
    action: String,
}

#[derive(Template)]
#[template(path = "workbench/confirmations.html")]
struct ConfirmationsPage<'a> {
    ctx: &'a Ctx,
    w: &'static ConfirmWords,
    items: Vec<Asked>,
    notice: Option<&'static str>,
}

/// What the party is asked, by the words the act awaits from it.
fn asks(w: &ConfirmWords, kind: ActKind, consent: bool, own: bool) -> Vec<&'static str> {
    let mut asks = Vec::new();
    if own {
        asks.push(match kind {
            ActKind::Transfer => w.ask_transfer,
            ActKind::Pledge => w.ask_pledge,
            ActKind::PledgeRelease => w.ask_release,
            ActKind::License => w.ask_license,
            _ => w.ask_other,
        });
    }
    if consent {
        asks.push(w.ask_consent);
    }
    asks
}

/// Each act awaiting the party, with its certificate, holder and due date.
async fn items(state: &AppState, ctx: &Ctx, who: &Applicant) -> services::Result<Vec<Asked>> {
    let w = ConfirmWords::of(ctx.lang);
    let aw = ActWords::of(ctx.lang);
    let acts: Vec<ActView> = confirmations::awaiting(state, who.tenant()).await?;
    let mut conn = state.db.acquire().await?;
    let mut items = Vec::with_capacity(acts.len());
    for act in acts {
        // The service answered only acts that await this party: what
        // follows reads their certificates and this party's words.
        let Some(certificate) = db::certificates::find(&mut conn, act.certificate_id).await? else { continue };
        let holder =
            db::parties::find(&mut conn, certificate.org_id).await?.map(|party| party.name).unwrap_or_default();
        let words: Vec<_> = db::act_confirmations::of_act(&mut conn, act.id)
            .await?
            .into_iter()
            .filter(|word| word.counterparty_org_id == Some(who.org_id) && word.answered_at.is_none())
            .collect();
        let pledges = db::pledges::unreleased(&mut conn, certificate.id).await?;
        let pledgee_of = |id: Uuid| pledges.iter().find(|p| p.act_id == id).map(|p| p.pledgee_name.clone());
        let terms = act.details.as_ref().map(|details| describe(ctx, details, &pledgee_of)).unwrap_or_default();
        let due = words.iter().map(|word| word.due_at).min().map(|at| ctx.day(at)).unwrap_or_default();
        let consent = words.iter().any(|word| word.pledge_id.is_some());
        let own = words.iter().any(|word| word.pledge_id.is_none());
        items.push(Asked {
            id: act.id.to_string(),
            kind: aw.kind(act.kind),
            record_href: ctx.link(&format!("/certificates/{}", certificate.certificate_number)),
            number: certificate.certificate_number,
            product: certificate.product_name,
            holder,
            terms,
            filed_at: ctx.time(act.filed_at),
            due,
            asks: asks(w, act.kind, consent, own),
            action: ctx.link(&format!("/workbench/confirmations/{}", act.id)),
        });
    }
    Ok(items)
}

/// `GET /workbench/confirmations`.
async fn show(State(state): State<AppState>, ctx: Ctx, who: Applicant, Query(query): Query<Done>) -> Response {
    let w = ConfirmWords::of(ctx.lang);
    let items = match items(&state, &ctx, &who).await {
        Ok(items) => items,
        Err(error) => return page::failure(&ctx, error),
    };
    let notice = match query.done.as_str() {
        "confirm" => Some(w.confirmed),
        "decline" => Some(w.declined),
        _ => None,
    };
    page::html(StatusCode::OK, &ConfirmationsPage { ctx: &ctx, w, items, notice })
}

/// `POST /workbench/confirmations/{act_id}` with `action=confirm` or
/// `action=decline`: the API's `POST /confirmations/{act_id}/confirm` or
/// `/decline`; then 303 back to the list.
async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    who: Applicant,
    ClientAddr(from): ClientAddr,
    Path(act_id): Path<String>,
    form: Submitted,
) -> Response {
    let Ok(act_id) = Uuid::parse_str(&act_id) else { return page::not_found(&ctx) };
    let confirmed = match form.action.as_str() {
        "confirm" => true,
        "decline" => false,
        _ => {
            let w = ConfirmWords::of(ctx.lang);
            return page::message(&ctx, StatusCode::BAD_REQUEST, ctx.t.refused_title, w.bad_action);
        }
    };
    match confirmations::answer(&state, who.tenant(), act_id, confirmed, from).await {
        Ok(_) => ctx.see_other(&format!("/workbench/confirmations?done={}", form.action)),
        Err(error) => page::failure(&ctx, error),
    }
}
