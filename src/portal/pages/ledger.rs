//! `/ledger`: the latest checkpoint, the anchors on chain, and how to check
//! everything offline.

use askama::Template;
use axum::{extract::State, http::StatusCode, response::Response};

use crate::{
    pagination::PageRequest,
    portal::page::{Ctx, failure, html},
    services::transparency::{
        ledger::{self, AnchorView},
        log_files,
    },
    state::AppState,
};
use tlog::checkpoint;

#[derive(Template)]
#[template(path = "portal/ledger.html")]
struct LedgerPage {
    ctx: Ctx,
    size: u64,
    root: String,
    note: String,
    vkey: String,
    /// The witnesses that cosigned the latest checkpoint, and when.
    cosigners: Vec<(String, String)>,
    anchors: Vec<AnchorLine>,
}

struct AnchorLine {
    tree_size: u64,
    chain_id: u64,
    tx_hash: String,
    block: String,
    at: String,
}

impl AnchorLine {
    fn new(ctx: &Ctx, anchor: AnchorView) -> Self {
        Self {
            tree_size: anchor.tree_size,
            chain_id: anchor.chain_id,
            tx_hash: anchor.tx_hash.unwrap_or_default(),
            block: anchor.block_number.map(|b| b.to_string()).unwrap_or_default(),
            at: anchor.anchored_at.map(|at| ctx.time(at)).unwrap_or_default(),
        }
    }
}

pub async fn page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let found = tokio::try_join!(
        log_files::checkpoint(&state),
        ledger::anchors(&state, PageRequest { limit: 20, after: None }),
    );
    let ((_, note), anchors) = match found {
        Ok(found) => found,
        Err(error) => return failure(&ctx, error),
    };
    let key = ledger::key(&state);
    let public_key = state.signer.public_key();
    let opened = checkpoint::open(&note, &key.key_name, public_key).ok();
    let cosigners = log_files::cosigners(&state, &note)
        .into_iter()
        .map(|cosigner| (cosigner.name, cosigner.at.map(|at| ctx.time(at)).unwrap_or_default()))
        .collect();
    let page = LedgerPage {
        cosigners,
        size: opened.as_ref().map_or(0, |c| c.size),
        root: opened.as_ref().map(|c| hex::encode(c.root)).unwrap_or_default(),
        note,
        vkey: log_files::log_key(&state).to_string(),
        anchors: anchors.items.into_iter().map(|anchor| AnchorLine::new(&ctx, anchor)).collect(),
        ctx,
    };
    html(StatusCode::OK, &page)
}
