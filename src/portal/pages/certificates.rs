//! `/certificates`: the public register, and each certificate's public
//! record, the address its QR code encodes for ever. With
//! `Accept: application/json` a record's address answers the API's JSON.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{ListQuery, category_options, status_options};
use crate::{
    domain::{ActKind, CertificateStatus},
    http::error::ApiError,
    portal::page::{Ctx, failure, html},
    services::certificates::{self, PublicCertificateView, RegistryFilter},
    state::AppState,
};

/// A certificate as a line of the register.
struct RegisterItem {
    href: String,
    number: String,
    product_name: String,
    category: &'static str,
    holder_name: String,
    status: &'static str,
    status_class: &'static str,
    valid_until: String,
}

#[derive(Template)]
#[template(path = "portal/certificates.html")]
struct RegisterPage {
    ctx: Ctx,
    q: String,
    categories: Vec<super::Choice>,
    statuses: Vec<super::Choice>,
    items: Vec<RegisterItem>,
    next: Option<String>,
    paged: bool,
    first: String,
}

/// `GET /certificates`.
pub async fn register(State(state): State<AppState>, ctx: Ctx, query: ListQuery) -> Response {
    let (category, status) = (query.category(), query.certificate_status());
    let filter = RegistryFilter { category, status, q: query.q.clone() };
    let request = query.page_request();
    let found = match certificates::registry(&state, filter, request).await {
        Ok(found) => found,
        Err(error) => return failure(&ctx, error),
    };
    let t = ctx.t;
    let items = found
        .items
        .iter()
        .map(|view| RegisterItem {
            href: ctx.link(&format!("/certificates/{}", view.record.certificate_number)),
            number: view.record.certificate_number.clone(),
            product_name: view.product.name.clone(),
            category: t.category(view.product.category),
            holder_name: view.holder.name.clone(),
            status: t.status(view.record.status),
            status_class: view.record.status.as_str(),
            valid_until: ctx.day(view.record.valid_until),
        })
        .collect();
    let page = RegisterPage {
        q: query.q.clone().unwrap_or_default(),
        categories: category_options(&ctx, category),
        statuses: status_options(&ctx, status),
        items,
        next: super::announcements::next_link(&ctx, "/certificates", &query, &found),
        paged: query.cursor.is_some(),
        first: ctx.link_with(
            "/certificates",
            &[
                ("q", query.q.as_deref().unwrap_or_default()),
                ("category", query.category.as_deref().unwrap_or_default()),
                ("status", query.status.as_deref().unwrap_or_default()),
            ],
        ),
        ctx,
    };
    html(StatusCode::OK, &page)
}

struct ActLine {
    kind: &'static str,
    at: String,
    ledger_index: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "portal/certificate.html")]
struct RecordPage {
    ctx: Ctx,
    number: String,
    registration_number: String,
    status: &'static str,
    status_class: &'static str,
    /// For a revoked or cancelled certificate: when, and why.
    ended: Option<String>,
    product_name: String,
    category: &'static str,
    summary: String,
    holder_name: String,
    /// A natural person: said beside the name, where an organization shows
    /// its credit code (a person's number is never public).
    person: bool,
    credit_code: Option<String>,
    verified: bool,
    valid_from: String,
    valid_until: String,
    bounded: Option<String>,
    issued_at: String,
    licenses: Vec<(String, &'static str, String)>,
    pledges: Vec<(i32, String, String, String)>,
    /// Whether a preservation measure holds the certificate now.
    under_preservation: bool,
    /// Each measure: kind, authority, document number, term, in force or lifted.
    measures: Vec<(&'static str, String, String, String, &'static str)>,
    history: Vec<ActLine>,
    receipt: Option<(u64, u64, String, String)>,
    key_id: String,
    verify_href: String,
    json_ld: String,
}

impl RecordPage {
    fn new(ctx: Ctx, view: &PublicCertificateView) -> Self {
        let t = ctx.t;
        let record = &view.record;
        let history: Vec<ActLine> = view
            .history
            .iter()
            .flatten()
            .map(|act| ActLine {
                kind: t.act_kind(act.kind),
                at: act.approved_at.map(|at| ctx.time(at)).unwrap_or_default(),
                ledger_index: act.ledger_index.map(|i| i.to_string()).unwrap_or_default(),
                reason: act.reason.clone().unwrap_or_default(),
            })
            .collect();
        let ending = match record.status {
            CertificateStatus::Revoked => Some(ActKind::Revocation),
            CertificateStatus::Cancelled => Some(ActKind::Cancellation),
            _ => None,
        };
        let ended = ending.and_then(|kind| {
            let act = view.history.iter().flatten().rev().find(|act| act.kind == kind)?;
            let day = act.approved_at.map(|at| ctx.day(at)).unwrap_or_default();
            Some((t.ended)(&day, act.reason.as_deref().unwrap_or_default()))
        });
        let licenses = view
            .licenses
            .iter()
            .flatten()
            .map(|l| {
                let kind = if l.exclusive { t.exclusive } else { t.non_exclusive };
                (l.licensee_name.clone(), kind, format!("{} – {}", ctx.date(l.starts_on), ctx.date(l.ends_on)))
            })
            .collect();
        let pledges = view
            .pledges
            .iter()
            .flatten()
            .map(|p| {
                let amount =
                    p.secured_amount.as_ref().map(|m| format!("{} {}", m.amount, m.currency)).unwrap_or_default();
                let term = format!("{} – {}", ctx.date(p.starts_on), ctx.date(p.ends_on));
                (p.rank, p.pledgee_name.clone(), term, amount)
            })
            .collect();
        let measures: Vec<_> = view
            .measures
            .iter()
            .flatten()
            .map(|m| {
                let term =
                    format!("{} – {}", ctx.date(m.starts_on), m.ends_on.map(|d| ctx.date(d)).unwrap_or_default());
                let state = if m.in_force { t.measure_in_force } else { t.measure_lifted };
                (t.measure_kind(m.kind), m.authority.clone(), m.document_number.clone(), term, state)
            })
            .collect();
        let under_preservation = view.measures.iter().flatten().any(|m| m.in_force);
        let json_ld = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "Dataset",
            "name": view.product.name,
            "description": view.product.summary,
            "creator": {"@type": "Organization", "name": view.holder.name},
            "identifier": record.certificate_number,
            "dateCreated": ctx.day(record.issued_at),
            "url": format!("{}/certificates/{}", ctx.public_url, record.certificate_number),
        });
        Self {
            number: record.certificate_number.clone(),
            registration_number: record.registration_number.clone(),
            status: t.status(record.status),
            status_class: record.status.as_str(),
            ended,
            product_name: view.product.name.clone(),
            category: t.category(view.product.category),
            summary: view.product.summary.clone(),
            holder_name: view.holder.name.clone(),
            person: view.holder.kind == crate::domain::PartyKind::Person,
            credit_code: view.holder.credit_code.clone(),
            verified: view.holder.verified,
            valid_from: ctx.day(record.valid_from),
            // A bounded validity runs through the agreement's last day.
            valid_until: record
                .validity_bounded_by
                .as_ref()
                .map_or_else(|| ctx.day(record.valid_until), |bound| ctx.date(bound.agreement_ends_on)),
            bounded: record
                .validity_bounded_by
                .as_ref()
                .map(|bound| (t.validity_bounded)(&ctx.date(bound.agreement_ends_on))),
            issued_at: ctx.time(record.issued_at),
            licenses,
            pledges,
            under_preservation,
            measures,
            history,
            receipt: record
                .ledger
                .as_ref()
                .map(|r| (r.leaf_index, r.tree_size, r.root_hash.clone(), r.checkpoint.clone())),
            key_id: record.signature.key_id.clone(),
            verify_href: ctx.link_with("/verify", &[("number", &record.certificate_number)]),
            // Inside <script>, "</" would end the element: JSON allows "\u003c".
            json_ld: json_ld.to_string().replace('<', "\\u003c"),
            ctx,
        }
    }
}

/// Whether the client asked for JSON rather than a page.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    accept.contains("application/json") && !accept.contains("text/html")
}

/// `GET /certificates/{number}`.
pub async fn record(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(number): Path<String>,
    headers: HeaderMap,
) -> Response {
    let found = certificates::public(&state, &number).await;
    if wants_json(&headers) {
        return match found {
            Ok(view) => axum::Json(view).into_response(),
            Err(error) => ApiError::from(error).into_response(),
        };
    }
    match found {
        Ok(view) => html(StatusCode::OK, &RecordPage::new(ctx, &view)),
        Err(error) => failure(&ctx, error),
    }
}
