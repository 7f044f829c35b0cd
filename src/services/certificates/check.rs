//! Checking a certificate someone holds: by its number (the registry's own
//! record), or by its file (the signed JSON, or the PDF that carries it).
//! Each check is reported on its own, so a tampered file says what failed.

use std::{sync::LazyLock, time::Duration};

use bytes::Bytes;
use tokio::sync::Semaphore;

use crate::services::{Error, Result, certificates, transparency::ledger};
use crate::{
    domain::CertificateStatus,
    pdf::{
        attachment,
        reader::{self, ReadError},
    },
    services::transparency::ledger::AnchorView,
    state::AppState,
};
use tlog::verify::{self, Certificate};

/// The largest certificate file checked: a certificate PDF is about 100 KiB.
pub const MAX_FILE: usize = 2 << 20;

/// PDFs read at once, each on a blocking thread: the rest wait their turn,
/// so strangers' files never take every blocking thread.
static PDF_READERS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(2));

/// What was found, check by check.
#[derive(Debug)]
pub struct CheckReport {
    pub certificate_number: String,
    /// The document's signature is this registry's.
    pub signature: Result<(), String>,
    /// The issuance leaf is included in a checkpoint this registry signed:
    /// its index and the checkpoint's size, or what failed.
    pub inclusion: Result<(u64, u64), Vec<String>>,
    /// The earliest anchored checkpoint holding the leaf.
    pub anchor: Option<AnchorView>,
    /// The register's status today; `None` when it holds no such number.
    pub status: Option<CertificateStatus>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.signature.is_ok() && self.inclusion.is_ok() && self.status.is_some()
    }
}

/// Why a file could not be checked at all.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// A PDF without the attached certificate, or neither PDF nor JSON.
    NotACertificate,
    /// A PDF past one of the reader's limits: which, in words.
    TooComplex(String),
}

/// Checks the register's own record of `number`.
pub async fn by_number(state: &AppState, number: &str) -> Result<CheckReport> {
    let record = certificates::public(state, number).await?;
    let certificate = Certificate {
        document: record.record.document.clone(),
        signature: record.record.signature.clone(),
        ledger: record.record.ledger.clone(),
    };
    check(state, certificate).await
}

/// Checks a certificate file: the PDF's attachment, or the JSON itself.
pub async fn by_file(state: &AppState, bytes: Bytes) -> Result<Result<CheckReport, Unreadable>> {
    let json = match bytes.starts_with(b"%PDF-") {
        true => match attached_certificate(bytes).await? {
            Ok(Some(json)) => Bytes::from(json),
            Ok(None) | Err(ReadError::Malformed(_)) => return Ok(Err(Unreadable::NotACertificate)),
            Err(error) => return Ok(Err(Unreadable::TooComplex(error.to_string()))),
        },
        false => bytes,
    };
    let Ok(certificate) = serde_json::from_slice::<Certificate>(&json) else {
        return Ok(Err(Unreadable::NotACertificate));
    };
    Ok(Ok(check(state, certificate).await?))
}

/// The signed certificate attached to a stranger's PDF, read within the
/// reader's limits on a blocking thread, at most two at once.
async fn attached_certificate(pdf: Bytes) -> Result<Result<Option<Vec<u8>>, ReadError>> {
    let limits = reader::Limits::default();
    // The reader stops itself at its time limit; waiting for a turn has one too.
    let deadline = limits.time * 2;
    let turn = tokio::time::timeout(deadline, PDF_READERS.acquire()).await;
    let Ok(Ok(_turn)) = turn else {
        return Err(Error::Unavailable { what: "every PDF reader is busy", retry_after: Duration::from_secs(1) });
    };
    let read = tokio::task::spawn_blocking(move || attachment::read_back(&pdf, attachment::FILENAME));
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(result)) => Ok(result),
        Ok(Err(join)) => Err(Error::Internal(anyhow::anyhow!("the PDF reader failed: {join}"))),
        Err(_) => Ok(Err(ReadError::TimedOut(deadline))),
    }
}

async fn check(state: &AppState, mut certificate: Certificate) -> Result<CheckReport> {
    let number = certificate.document.certificate_number.clone();
    let record = match certificates::public(state, &number).await {
        Ok(record) => Some(record),
        Err(Error::NotFound) => None,
        Err(error) => return Err(error),
    };
    // The bare document with its signature: the register's receipt proves
    // the leaf the document makes.
    if certificate.ledger.is_none() {
        certificate.ledger = record.as_ref().and_then(|r| r.record.ledger.clone());
    }
    let checks = verify::verify(&certificate, state.signer.public_key());
    let (signature, rest) = checks.split_first().map_or((None, &[][..]), |(first, rest)| (Some(first), rest));
    let signature = match signature {
        Some(check) if check.passed => Ok(()),
        Some(check) => Err(check.detail.clone()),
        None => Err("no signature".to_owned()),
    };
    let failed: Vec<String> = rest.iter().filter(|c| !c.passed).map(|c| format!("{}: {}", c.name, c.detail)).collect();
    let inclusion = match (&certificate.ledger, failed.is_empty() && !rest.is_empty()) {
        (Some(receipt), true) => Ok((receipt.leaf_index, receipt.tree_size)),
        _ => Err(failed),
    };
    let anchor = match &inclusion {
        Ok((leaf, _)) => ledger::anchor_covering(state, *leaf).await?,
        Err(_) => None,
    };
    Ok(CheckReport {
        certificate_number: number,
        signature,
        inclusion,
        anchor,
        status: record.map(|r| r.record.status),
    })
}

/// Counts one file check from `client`: files are parsed (PDFs included),
/// so each address has a budget per window.
pub async fn take_file_budget(state: &AppState, client: std::net::IpAddr) -> Result<()> {
    let config = &state.config.throttle;
    let throttle = crate::services::throttle::Throttle {
        bucket: "verify.address",
        limit: config.verify_uploads_per_address,
        window: config.verify_upload_window.get(),
    };
    let mut conn = state.db.acquire().await?;
    throttle.take(&mut conn, &crate::services::throttle::address_key(client), state.clock.now()).await
}
