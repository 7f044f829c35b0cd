//! `dataip witness`: a C2SP tlog-witness. For each log it is configured
//! with (origin and verifier key) it cosigns checkpoints (cosignature/v1,
//! Ed25519) only after checking them consistent with the latest one it
//! cosigned, which it keeps in PostgreSQL; it never cosigns two roots for
//! one size, nor a smaller tree after a larger one. Two registries can
//! witness each other, each running one beside its own database.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    config::ServerConfig,
    db,
    http::{self, serve::Limits},
};
use tlog::signing::Signer;
use tlog::{
    checkpoint::Checkpoint,
    merkle::{self, Hash},
    note::{self, COSIGNATURE_V1_TYPE, ED25519_TYPE, Note, Signed, VerifierKey},
};

/// A request is a few lines and a checkpoint: 63 proof lines at most.
const BODY_LIMIT: usize = 16 * 1024;

pub struct WitnessConfig {
    /// The witness's key name (a schema-less URL identifying it).
    pub name: String,
    pub signer: Signer,
    /// The logs it witnesses: their Ed25519 verifier keys, named by origin.
    pub logs: Vec<VerifierKey>,
}

impl WitnessConfig {
    pub fn new(name: &str, signer: Signer, logs: &[String]) -> anyhow::Result<Self> {
        let logs = logs
            .iter()
            .map(|text| {
                let key = VerifierKey::parse(text).map_err(anyhow::Error::msg)?;
                anyhow::ensure!(key.kind == ED25519_TYPE, "the log key {} is not an Ed25519 note key", key.name);
                Ok(key)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        // The name must make a valid key name.
        VerifierKey::new(name, COSIGNATURE_V1_TYPE, signer.public_key()).map_err(anyhow::Error::msg)?;
        Ok(Self { name: name.to_owned(), signer, logs })
    }

    /// The witness's verifier key, for logs' configuration and policies.
    pub fn vkey(&self) -> VerifierKey {
        note::verifier_key(&self.name, COSIGNATURE_V1_TYPE, &self.signer)
    }
}

#[derive(Clone)]
struct Witness {
    config: Arc<WitnessConfig>,
    db: PgPool,
}

pub fn router(config: WitnessConfig, db: PgPool) -> Router {
    let state = Witness { config: Arc::new(config), db };
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/{origin_hash}/checkpoint", get(latest))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Serves the witness on `addr` until `shutdown` is cancelled, with the
/// registry's own connection limits and timeouts (`server.*`): a witness
/// is as public as the registry.
pub async fn serve(
    config: WitnessConfig,
    db: PgPool,
    addr: SocketAddr,
    server: &ServerConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("could not listen on {addr}"))?;
    tracing::info!(addr = %listener.local_addr()?, vkey = %config.vkey(), "witness listening");
    let grace = server.shutdown_grace.get();
    http::serve::serve(listener, router(config, db), Limits::of(server), shutdown, grace).await;
    Ok(())
}

/// Why a checkpoint is not cosigned: the status the specification gives
/// for each case, and a line saying why.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{}\n", self.1)).into_response()
    }
}

fn refuse(status: StatusCode, why: impl Into<String>) -> Refusal {
    Refusal(status, why.into())
}

/// A parsed `add-checkpoint` body.
struct Submission {
    old: u64,
    proof: Vec<Hash>,
    note: Note,
    checkpoint: Checkpoint,
}

fn parse(body: &str) -> Result<Submission, Refusal> {
    let bad = |why: &str| refuse(StatusCode::BAD_REQUEST, why);
    let (head, text) = body.split_once("\n\n").ok_or_else(|| bad("no empty line before the checkpoint"))?;
    let mut lines = head.split('\n');
    let old = lines
        .next()
        .and_then(|line| line.strip_prefix("old "))
        .filter(|n| *n == "0" || !n.starts_with('0'))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("the first line is not `old <size>`"))?;
    let proof = lines
        .map(|line| STANDARD.decode(line).ok().and_then(|bytes| Hash::try_from(bytes).ok()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("a consistency proof line is not a base64 SHA-256 hash"))?;
    if proof.len() > 63 {
        return Err(bad("more than 63 consistency proof lines"));
    }
    let note = Note::parse(text).map_err(|e| bad(&e.to_string()))?;
    let checkpoint = Checkpoint::parse_body(&note.body).map_err(|e| bad(&e.to_string()))?;
    Ok(Submission { old, proof, note, checkpoint })
}

/// `POST /add-checkpoint` (C2SP tlog-witness).
async fn add_checkpoint(State(witness): State<Witness>, body: String) -> Result<Response, Refusal> {
    let Submission { old, proof, note, checkpoint } = parse(&body)?;
    let keys: Vec<&VerifierKey> = witness.config.logs.iter().filter(|key| key.name == checkpoint.origin).collect();
    if keys.is_empty() {
        return Err(refuse(StatusCode::NOT_FOUND, format!("this witness does not witness {}", checkpoint.origin)));
    }
    let verdicts: Vec<Signed> = keys.iter().map(|key| note.signed_by(key)).collect();
    if verdicts.contains(&Signed::Invalid) || !verdicts.iter().any(|v| matches!(v, Signed::Valid { .. })) {
        return Err(refuse(StatusCode::FORBIDDEN, "no valid signature by a key this witness trusts for the origin"));
    }
    if old > checkpoint.size {
        return Err(refuse(StatusCode::BAD_REQUEST, "the old size is larger than the checkpoint's"));
    }
    if checkpoint.size == 0 && checkpoint.root != merkle::empty_root() {
        return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, "a checkpoint of size 0 must have the empty tree's root"));
    }
    let internal = |error: sqlx::Error| {
        tracing::error!(%error, "witness database");
        refuse(StatusCode::SERVICE_UNAVAILABLE, "the witness's database is unavailable")
    };
    let mut tx = witness.db.begin().await.map_err(internal)?;
    let stored =
        db::tlog::lock_witnessed(&mut tx, &checkpoint.origin, &merkle::empty_root()).await.map_err(internal)?;
    let stored_size = u64::try_from(stored.tree_size).unwrap_or(0);
    if old != stored_size {
        return Ok((StatusCode::CONFLICT, [(header::CONTENT_TYPE, "text/x.tlog.size")], format!("{stored_size}\n"))
            .into_response());
    }
    let consistent = match old {
        0 => proof.is_empty(),
        _ => stored.root_hash.as_slice().try_into().is_ok_and(|stored_root: Hash| {
            merkle::verify_consistency(old, checkpoint.size, &proof, &stored_root, &checkpoint.root)
        }),
    };
    if !consistent {
        tracing::warn!(origin = %checkpoint.origin, old, size = checkpoint.size, checkpoint = %note.to_text(),
            "refused a checkpoint inconsistent with the one cosigned before");
        let why = match (old == checkpoint.size, old) {
            (true, _) => "the checkpoint's root differs from the one cosigned for this size",
            (_, 0) => "a consistency proof from size 0 must be empty",
            _ => "the consistency proof does not verify",
        };
        return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, why));
    }
    let timestamp = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    let line = note::cosign(&note.body, &witness.config.name, &witness.config.signer, timestamp);
    // What monitors read back: the log's signatures this witness verified, and its own.
    let verified: Vec<_> = note
        .signatures
        .iter()
        .filter(|signature| keys.iter().any(|key| signature.is_by(key)))
        .cloned()
        .chain([line.clone()])
        .collect();
    let kept = Note { body: note.body.clone(), signatures: verified }.to_text();
    db::tlog::update_witnessed(
        &mut tx,
        &checkpoint.origin,
        checkpoint.size,
        &checkpoint.root,
        &kept,
        chrono::Utc::now(),
    )
    .await
    .map_err(internal)?;
    tx.commit().await.map_err(internal)?;
    tracing::info!(origin = %checkpoint.origin, size = checkpoint.size, "cosigned");
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], line.to_line()).into_response())
}

/// `GET /<sha256(origin) hex>/checkpoint`: the latest cosigned checkpoint.
async fn latest(State(witness): State<Witness>, Path(origin_hash): Path<String>) -> Result<Response, Refusal> {
    let mut conn = witness.db.acquire().await.map_err(|_| refuse(StatusCode::SERVICE_UNAVAILABLE, "database"))?;
    match db::tlog::witnessed_note(&mut conn, &origin_hash.to_ascii_lowercase()).await {
        Ok(Some(note)) => Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response()),
        Ok(None) => Err(refuse(StatusCode::NOT_FOUND, "this witness has cosigned no checkpoint of that log")),
        Err(_) => Err(refuse(StatusCode::SERVICE_UNAVAILABLE, "the witness's database is unavailable")),
    }
}
