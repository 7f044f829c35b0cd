//! `dataip verify`: offline checks of what the registry gives out.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD};

use crate::pdf::attachment;

// The arguments of `dataip verify` (no doc comment: the subcommand's own says what it does).
#[derive(clap::Args)]
pub struct Args {
    /// The proof (with --policy), the certificate (JSON or PDF).
    #[arg(required_unless_present_any = ["opening", "status"], conflicts_with_all = ["opening", "status"])]
    pub certificate: Option<PathBuf>,
    /// A signed status statement (JSON, as /public/certificates/{n}/status
    /// gives it) or a bundle (NDJSON, as POST /public/status gives it);
    /// needs --policy.
    #[arg(long, value_name = "FILE", requires = "policy", conflicts_with = "opening")]
    pub status: Option<PathBuf>,
    /// With --status: refuse statements older than this (ISO 8601: P1D,
    /// PT12H), counted from their `as_of`.
    #[arg(long, value_name = "DURATION", requires = "status")]
    pub max_age: Option<String>,
    /// A disclosure of an act's private fields, as
    /// /api/v1/certificates/{id}/acts/{act_id}/openings gives it (JSON).
    #[arg(long, value_name = "FILE")]
    pub opening: Option<PathBuf>,
    /// The registry's public key: base64, a file holding it, or the
    /// registry's URL (its /api/v1/public/ledger/key is fetched).
    #[arg(long, required_unless_present = "policy", conflicts_with = "policy")]
    pub public_key: Option<String>,
    /// A C2SP tlog-policy file: the logs and witnesses trusted, and the
    /// quorum of cosignatures required (the registry suggests one at /tlog/policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// With --policy: also fetch the certificate's current status and
    /// the anchor covering its entry from the registry the policy names.
    #[arg(long, requires = "policy")]
    pub online: bool,
}

impl Args {
    /// Verification is offline: no configuration, no database.
    pub async fn run(self) -> anyhow::Result<()> {
        if let (Some(status), Some(policy)) = (&self.status, &self.policy) {
            return verify_status(status, policy, self.max_age.as_deref());
        }
        if let Some(policy) = &self.policy {
            let proof = self.certificate.context("give the proof file (or the certificate's PDF)")?;
            return verify_proof(&proof, policy, self.online).await;
        }
        let public_key = self.public_key.context("give --public-key (or --policy for an offline proof)")?;
        let what = match (&self.certificate, &self.opening) {
            (_, Some(opening)) => Verifiable::Opening(opening),
            (Some(certificate), None) => Verifiable::Certificate(certificate),
            (None, None) => anyhow::bail!("give a certificate or --opening FILE"),
        };
        verify(what, &public_key).await
    }
}

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
    let text = read_text(path, attachment::FILENAME, "the signed certificate")?;
    let key = public_key_from(public_key).await?;
    let (checks, conclusion) = match what {
        Verifiable::Certificate(_) => {
            let certificate = serde_json::from_str(&text).with_context(|| format!("not {shape}"))?;
            (tlog::verify::verify(&certificate, &key), "the certificate is authentic and recorded in the ledger")
        }
        Verifiable::Opening(_) => {
            let disclosure = serde_json::from_str(&text).with_context(|| format!("not {shape}"))?;
            let checks = tlog::verify::verify_disclosure(&disclosure, &key);
            (checks, "every disclosed value is the one the ledger committed to")
        }
    };
    print_checks(&checks);
    let failed = checks.iter().filter(|c| !c.passed).count();
    anyhow::ensure!(failed == 0, "{failed} of {} checks failed", checks.len());
    println!("{conclusion}");
    Ok(())
}

/// A text file, or the file `attached` to a certificate PDF (which carries
/// the signed certificate and the offline proof), read within the same
/// limits as `/verify` reads strangers' PDFs.
fn read_text(path: &Path, attached: &str, what: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("could not read {}", path.display()))?;
    let bytes = match bytes.starts_with(b"%PDF-") {
        true => attachment::read_back(&bytes, attached)
            .with_context(|| format!("{} could not be read", path.display()))?
            .with_context(|| format!("{} is a PDF without {what} attached", path.display()))?,
        false => bytes,
    };
    String::from_utf8(bytes).with_context(|| format!("{} is not text", path.display()))
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

/// `dataip verify PROOF --policy POLICY`: checks an offline proof of a
/// certificate's issuance (a `.tlog-proof` file, or the certificate's PDF,
/// which carries one) against a policy, with no network unless `online`.
pub async fn verify_proof(path: &Path, policy_path: &Path, online: bool) -> anyhow::Result<()> {
    let text = read_text(path, attachment::PROOF_FILENAME, "the offline proof")?;
    let proof = tlog::proof::Proof::parse(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a tlog proof (c2sp.org/tlog-proof@v1): {e}", path.display()))?;
    let policy_text =
        std::fs::read_to_string(policy_path).with_context(|| format!("could not read {}", policy_path.display()))?;
    let policy = tlog::policy::Policy::parse(&policy_text).map_err(anyhow::Error::msg)?;
    let (checks, established) = tlog::offline::verify(&proof, &policy);
    print_checks(&checks);
    let failed = checks.iter().filter(|c| !c.passed).count();
    anyhow::ensure!(failed == 0, "{failed} of {} checks failed", checks.len());
    let number = established.certificate_number.clone().unwrap_or_default();
    println!(
        "certificate {number} was issued by the registry and recorded as entry {} of its ledger (tree size {}).\n\
         This proves issuance only, not today's status: a revocation, transfer, pledge or licence is a later \
         entry{}.",
        established.index,
        established.tree_size,
        if online { "; its current status follows" } else { ". Run with --online to fetch the current status" }
    );
    if online {
        report_online(&established, &number).await?;
    }
    Ok(())
}

/// The certificate's current status and the anchor covering its entry, from
/// the registry the policy names.
async fn report_online(established: &tlog::offline::Established, number: &str) -> anyhow::Result<()> {
    let base = established
        .log_url
        .clone()
        .context("the policy gives no URL for the log: add it to the log line to use --online")?;
    let base = base.trim_end_matches('/');
    let url = format!("{base}/api/v1/public/certificates/{number}");
    let answer = reqwest::get(&url).await.with_context(|| format!("could not fetch {url}"))?;
    anyhow::ensure!(answer.status().is_success(), "{url} answered {}", answer.status());
    let record: serde_json::Value = answer.json().await?;
    let later = record["history"].as_array().map_or(0, Vec::len);
    println!(
        "now ({url}): status {}, holder {}, {later} later acts recorded",
        record["status"].as_str().unwrap_or("unknown"),
        record["holder"]["name"].as_str().unwrap_or("unknown"),
    );
    let url = format!("{base}/api/v1/public/ledger/anchors?limit=100");
    let anchors: serde_json::Value = reqwest::get(&url).await?.json().await.unwrap_or_default();
    let covering = anchors["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["tx_hash"].is_string() && a["tree_size"].as_u64().is_some_and(|size| size > established.index))
        .min_by_key(|a| a["tree_size"].as_u64());
    match covering {
        Some(anchor) => println!(
            "anchored: tree size {} on chain {} in transaction {} (block {})",
            anchor["tree_size"],
            anchor["chain_id"],
            anchor["tx_hash"].as_str().unwrap_or_default(),
            anchor["block_number"]
        ),
        None => println!("no anchor on a chain covers this entry yet"),
    }
    Ok(())
}

/// `dataip verify --status FILE --policy POLICY [--max-age P1D]`: checks a
/// signed status statement, or a bundle of them, offline: each signature,
/// proof, the checkpoint's signatures and witness quorum, and age.
pub fn verify_status(path: &Path, policy_path: &Path, max_age: Option<&str>) -> anyhow::Result<()> {
    use tlog::status::{self, Expectations};
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))?;
    let policy_text =
        std::fs::read_to_string(policy_path).with_context(|| format!("could not read {}", policy_path.display()))?;
    let policy = tlog::policy::Policy::parse(&policy_text).map_err(anyhow::Error::msg)?;
    let max_age = max_age.map(age_limit).transpose()?;
    let expect = Expectations { now: chrono::Utc::now(), max_age };
    let first_line = text.lines().find(|line| !line.trim().is_empty()).unwrap_or_default();
    let is_bundle = serde_json::from_str::<serde_json::Value>(first_line)
        .is_ok_and(|json| json["type"].as_str() == Some(status::BUNDLE_TYPE));
    if !is_bundle {
        let json: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
        let (checks, statement) = status::verify(&json, &policy, expect);
        print_checks(&checks);
        let failed = checks.iter().filter(|c| !c.passed).count();
        anyhow::ensure!(failed == 0, "{failed} of {} checks failed: the statement is refused", checks.len());
        if let Some(statement) = statement {
            println!(
                "the registry signed this status of certificate {} at {} (tree size {}){}",
                statement.certificate_number,
                statement.as_of.format("%Y-%m-%dT%H:%M:%SZ"),
                statement.tree_size,
                if statement.pending { "; a later change was pending: ask again" } else { "" }
            );
        }
        return Ok(());
    }
    let report = status::verify_bundle(&text, &policy, expect);
    print_checks(&report.checks);
    let mut refused = 0;
    for (number, checks) in &report.statements {
        if checks.iter().all(|check| check.passed) {
            continue;
        }
        refused += 1;
        println!("{number}:");
        print_checks(&checks.iter().filter(|check| !check.passed).cloned().collect::<Vec<_>>());
    }
    let total = report.statements.len();
    anyhow::ensure!(report.passed(), "{refused} of {total} statements refused, or the bundle itself is");
    println!("all {total} statements verify: signed by the registry, proven into the bundle's checkpoint");
    Ok(())
}

/// An age limit: days, hours, minutes, seconds (a month has no fixed length).
fn age_limit(text: &str) -> anyhow::Result<chrono::Duration> {
    let duration: crate::domain::IsoDuration = text.parse()?;
    anyhow::ensure!(
        duration.years + duration.months + duration.working_days == 0,
        "--max-age {text}: give weeks, days, hours, minutes or seconds (P1D, PT12H)"
    );
    let seconds = (u64::from(duration.weeks) * 7 + u64::from(duration.days)) * 86_400
        + u64::from(duration.hours) * 3600
        + u64::from(duration.minutes) * 60
        + u64::from(duration.seconds);
    Ok(chrono::Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX)))
}

/// Each check on a line of its own: ✓ or ✗, its name, what it found.
fn print_checks(checks: &[tlog::verify::Check]) {
    for check in checks {
        println!("{} {}: {}", if check.passed { "✓" } else { "✗" }, check.name, check.detail);
    }
}
