//! `/verify`: check a certificate by its number, or by uploading its PDF
//! or signed JSON; each check in a plain line.

use askama::Template;
use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use bytes::Bytes;

use crate::{
    domain::CertificateNumber,
    http::{
        client_addr::ClientAddr,
        multipart::{self, FormError},
    },
    portal::page::{Ctx, failure, html},
    services::{
        Error,
        certificates::check::{self, CheckReport, Unreadable},
        transparency::log_files,
    },
    state::AppState,
};
use tlog::proof::Proof;

/// One line of the result.
struct Line {
    passed: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "portal/verify.html")]
struct VerifyPage {
    ctx: Ctx,
    number: String,
    /// The verdict and its lines, once something was checked.
    result: Option<(bool, Vec<Line>)>,
    failed: Vec<String>,
    record_href: Option<String>,
    /// The offline proof of a recorded certificate.
    proof_href: Option<String>,
    problem: Option<String>,
}

impl VerifyPage {
    fn blank(ctx: Ctx) -> Self {
        Self {
            ctx,
            number: String::new(),
            result: None,
            failed: Vec::new(),
            record_href: None,
            proof_href: None,
            problem: None,
        }
    }

    fn problem(ctx: Ctx, number: String, problem: &str) -> Self {
        Self { number, problem: Some(problem.to_owned()), ..Self::blank(ctx) }
    }

    fn report(ctx: Ctx, report: CheckReport) -> Self {
        let t = ctx.t;
        let mut lines = vec![match &report.signature {
            Ok(()) => Line { passed: true, text: t.check_signature_ok.to_owned() },
            Err(_) => Line { passed: false, text: t.check_signature_bad.to_owned() },
        }];
        lines.push(match &report.inclusion {
            Ok((leaf, size)) => Line { passed: true, text: (t.check_included_ok)(*leaf, *size) },
            Err(_) => Line { passed: false, text: t.check_included_bad.to_owned() },
        });
        if report.inclusion.is_ok() {
            lines.push(match &report.anchor {
                Some(anchor) => Line {
                    passed: true,
                    text: (t.check_anchored)(anchor.chain_id, anchor.tx_hash.as_deref().unwrap_or_default()),
                },
                None => Line { passed: true, text: t.check_not_anchored.to_owned() },
            });
        }
        lines.push(match report.status {
            Some(status) => Line { passed: true, text: (t.check_status)(t.status(status)) },
            None => Line { passed: false, text: t.check_unknown_number.to_owned() },
        });
        let mut failed: Vec<String> = report.signature.as_ref().err().cloned().into_iter().collect();
        failed.extend(report.inclusion.as_ref().err().cloned().unwrap_or_default());
        let record_href = report.status.map(|_| ctx.link(&format!("/certificates/{}", report.certificate_number)));
        Self {
            number: report.certificate_number.clone(),
            result: Some((report.passed(), lines)),
            failed,
            record_href,
            proof_href: None,
            problem: None,
            ctx,
        }
    }

    /// For a certificate recorded at `leaf`: who witnessed the checkpoint
    /// its offline proof leads to, and where to download that proof.
    async fn add_witnessing(&mut self, state: &AppState, leaf: Option<u64>) {
        let (Some(leaf), Some((_, lines))) = (leaf, self.result.as_mut()) else { return };
        if self.record_href.is_none() {
            return;
        }
        let Ok(proof) = log_files::proof_of(state, leaf).await else { return };
        let Ok(proof) = Proof::parse(&proof) else { return };
        if !state.config.ledger.witnesses.is_empty() {
            let names: Vec<String> = log_files::cosigners(state, &proof.checkpoint)
                .into_iter()
                .map(|cosigner| match cosigner.at {
                    Some(at) => format!("{} ({})", cosigner.name, self.ctx.time(at)),
                    None => cosigner.name,
                })
                .collect();
            lines.push(match names.is_empty() {
                true => Line { passed: true, text: self.ctx.t.check_not_witnessed.to_owned() },
                false => Line { passed: true, text: (self.ctx.t.check_witnessed)(&names.join(", ")) },
            });
        }
        self.proof_href = Some(format!("/api/v1/public/certificates/{}/proof", self.number));
    }
}

fn status_of(page: &VerifyPage) -> StatusCode {
    match page.problem {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    }
}

/// `GET /verify[?number=]`.
pub async fn by_number(State(state): State<AppState>, ctx: Ctx, uri: axum::http::Uri) -> Response {
    let number = uri
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes()).find(|(name, _)| name == "number").map(|(_, v)| v.trim().to_owned())
        })
        .filter(|number| !number.is_empty());
    let Some(number) = number else { return html(StatusCode::OK, &VerifyPage::blank(ctx)) };
    if CertificateNumber::parse(&number).is_err() {
        let page = VerifyPage::problem(ctx.clone(), number.chars().take(40).collect(), ctx.t.number_invalid);
        return html(status_of(&page), &page);
    }
    let page = match check::by_number(&state, &number).await {
        Ok(report) => {
            let leaf = report.inclusion.as_ref().ok().map(|(leaf, _)| *leaf);
            let mut page = VerifyPage::report(ctx, report);
            page.add_witnessing(&state, leaf).await;
            page
        }
        Err(Error::NotFound) => VerifyPage::problem(ctx.clone(), number, ctx.t.check_unknown_number),
        Err(error) => return failure(&ctx, error),
    };
    let status = if page.problem.is_some() { StatusCode::NOT_FOUND } else { StatusCode::OK };
    html(status, &page)
}

/// `POST /verify`: one file, as `multipart/form-data`.
pub async fn by_file(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // Verifying reveals nothing and changes nothing, so a post from another
    // site is harmless: no origin check, only the budget.
    if let Err(error) = check::take_file_budget(&state, client).await {
        return failure(&ctx, error);
    }
    let t = ctx.t;
    let refuse = |status: StatusCode, text: &str| html(status, &VerifyPage::problem(ctx.clone(), String::new(), text));
    let bytes = match read_file(&headers, body).await {
        Ok(bytes) => bytes,
        Err(FormError::FileTooLarge(_)) => return refuse(StatusCode::PAYLOAD_TOO_LARGE, t.file_too_large),
        Err(_) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, t.file_unreadable),
    };
    let page = match check::by_file(&state, bytes).await {
        Ok(Ok(report)) => {
            let leaf = report.inclusion.as_ref().ok().map(|(leaf, _)| *leaf);
            let mut page = VerifyPage::report(ctx, report);
            page.add_witnessing(&state, leaf).await;
            page
        }
        Ok(Err(Unreadable::NotACertificate)) => VerifyPage::problem(ctx.clone(), String::new(), t.file_unreadable),
        Ok(Err(Unreadable::TooComplex(what))) => {
            VerifyPage::problem(ctx.clone(), String::new(), &(t.file_too_complex)(&what))
        }
        Err(error) => return failure(&ctx, error),
    };
    html(status_of(&page), &page)
}

/// The form's file, at most [`check::MAX_FILE`] bytes.
async fn read_file(headers: &HeaderMap, body: Body) -> Result<Bytes, FormError> {
    let file = multipart::file_field(headers, body, "file", check::MAX_FILE as u64).await?;
    let bytes = file.bytes().await?;
    if bytes.is_empty() {
        return Err(FormError::NoFile);
    }
    Ok(bytes)
}
