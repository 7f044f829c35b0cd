//! `dataip verify`: offline checks of what the registry gives out.

use std::path::Path;

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD};

use crate::ledger;

/// What `dataip verify` checks.
pub enum Verifiable<'a> {
    /// A certificate as the registry serves it.
    Certificate(&'a Path),
    /// A disclosure of an act's private fields, as
    /// `GET /certificates/{id}/acts/{act_id}/openings` gives it.
    Opening(&'a Path),
}

/// `dataip verify`: checks a certificate or a disclosure offline and prints
/// each check; fails if any fails. KEY is the base64 public key, a file
/// holding it (or the JSON of /public/ledger/key), or the registry's URL to
/// fetch it from.
pub async fn verify(what: Verifiable<'_>, public_key: &str) -> anyhow::Result<()> {
    let (path, shape) = match what {
        Verifiable::Certificate(path) => {
            (path, "a certificate as the registry serves it (document, signature, ledger)")
        }
        Verifiable::Opening(path) => (path, "a disclosure as the registry serves it (openings, entry, ledger)"),
    };
    let bytes = std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
    // A certificate PDF carries the signed certificate as an attached file.
    let bytes = match bytes.starts_with(b"%PDF-") {
        true => crate::pdf::attachment::extract(&bytes)
            .with_context(|| format!("{} is a PDF without an attached certificate", path.display()))?,
        false => bytes,
    };
    let text = String::from_utf8(bytes).with_context(|| format!("{} is not text", path.display()))?;
    let key = public_key_from(public_key).await?;
    let (checks, conclusion) = match what {
        Verifiable::Certificate(_) => {
            let certificate = serde_json::from_str(&text).with_context(|| format!("not {shape}"))?;
            (ledger::verify::verify(&certificate, &key), "the certificate is authentic and recorded in the ledger")
        }
        Verifiable::Opening(_) => {
            let disclosure = serde_json::from_str(&text).with_context(|| format!("not {shape}"))?;
            let checks = ledger::verify::verify_disclosure(&disclosure, &key);
            (checks, "every disclosed value is the one the ledger committed to")
        }
    };
    for check in &checks {
        println!("{} {}: {}", if check.passed { "✓" } else { "✗" }, check.name, check.detail);
    }
    let failed = checks.iter().filter(|c| !c.passed).count();
    anyhow::ensure!(failed == 0, "{failed} of {} checks failed", checks.len());
    println!("{conclusion}");
    Ok(())
}

/// The raw public key from base64, a file, or a registry URL.
async fn public_key_from(given: &str) -> anyhow::Result<Vec<u8>> {
    let text = if given.starts_with("http://") || given.starts_with("https://") {
        let url = if given.trim_end_matches('/').ends_with("/public/ledger/key") {
            given.to_owned()
        } else {
            format!("{}/api/v1/public/ledger/key", given.trim_end_matches('/'))
        };
        let answer = reqwest::get(&url).await.with_context(|| format!("could not fetch {url}"))?;
        anyhow::ensure!(answer.status().is_success(), "{url} answered {}", answer.status());
        answer.text().await?
    } else if Path::new(given).is_file() {
        std::fs::read_to_string(given).with_context(|| format!("could not read {given}"))?
    } else {
        given.to_owned()
    };
    let text = text.trim();
    let encoded = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => json["public_key"].as_str().map(str::to_owned).context("no public_key in that JSON")?,
        Err(_) => text.to_owned(),
    };
    let key = STANDARD.decode(encoded.trim()).context("the public key is not base64")?;
    anyhow::ensure!(key.len() == 32, "an Ed25519 public key has 32 bytes, not {}", key.len());
    Ok(key)
}
