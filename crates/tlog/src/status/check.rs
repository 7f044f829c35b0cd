//! Checking statements and bundles offline, as a relying party does: with
//! nothing but the file and a tlog-policy naming the registry's log.

use chrono::{DateTime, Duration, Utc};

use super::{BUNDLE_TYPE, BundleHeader, STATEMENT_TYPE, Statement, Status, signed_bytes};
use crate::{entry::Entry, offline, policy::Policy, proof::Proof, signing, verify::Check};

/// How far in the future a statement's `as_of` may lie (clocks differ).
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// What a relying party accepts.
#[derive(Debug, Clone, Copy)]
pub struct Expectations {
    /// The time to judge age by.
    pub now: DateTime<Utc>,
    /// How old a statement may be, if it matters.
    pub max_age: Option<Duration>,
}

/// Checks one statement (its JSON) offline against a policy: its type and
/// form, the registry's signature, the proof (checkpoint signature, witness
/// quorum, the entry is the certificate's, inclusion, the checkpoint is of
/// `tree_size`) and its age. Every check runs, so the report names
/// everything that failed.
pub fn verify(json: &serde_json::Value, policy: &Policy, expect: Expectations) -> (Vec<Check>, Option<Statement>) {
    let mut checks = Vec::new();
    let statement: Result<Statement, String> = match json.get("type").and_then(|t| t.as_str()) {
        Some(STATEMENT_TYPE) => {
            serde_json::from_value(json.clone()).map_err(|e| format!("not a {STATEMENT_TYPE} statement: {e}"))
        }
        Some(other) => Err(format!("a {other} file, not a {STATEMENT_TYPE} statement")),
        None => Err(format!("no type: not a {STATEMENT_TYPE} statement")),
    };
    checks.push(Check::new("statement", statement.as_ref().map(describe).map_err(Clone::clone)));
    let proof = match &statement {
        Ok(Statement { proof: Some(text), .. }) => {
            Proof::parse(text).map(Some).map_err(|e| format!("the proof is malformed: {e}"))
        }
        Ok(Statement { proof: None, status: Status::Unknown, .. }) => Ok(None),
        Ok(Statement { proof: None, .. }) => Err("the statement carries no proof".to_owned()),
        Err(_) => Err("no statement to prove".to_owned()),
    };

    // The proof: the checkpoint, its witnesses, the entry, the inclusion.
    let mut signing_logs: Vec<&crate::policy::Log> = policy.logs.iter().collect();
    match &proof {
        Ok(Some(proof)) => {
            let (checkpoint_checks, log, checkpoint) = offline::check_checkpoint(proof, policy);
            checks.extend(checkpoint_checks);
            signing_logs = log.into_iter().collect();
            let entry = proof.extra.as_deref().ok_or_else(|| "the proof carries no entry".to_owned());
            let number = statement.as_ref().map(|s| s.certificate_number.as_str()).unwrap_or_default();
            checks.push(Check::new(
                "proven entry",
                entry.clone().and_then(|bytes| {
                    let entry = Entry::parse(bytes).map_err(|e| format!("the entry is malformed: {e}"))?;
                    match entry.certificate_number() == number {
                        true => Ok(format!("entry {} is a {} of certificate {number}", proof.index, entry.type_name())),
                        false => Err(format!(
                            "the proven entry is of certificate {}, not {number}",
                            entry.certificate_number()
                        )),
                    }
                }),
            ));
            checks.push(offline::check_inclusion(proof, entry.as_deref().map_err(Clone::clone), &checkpoint));
            checks.push(Check::new(
                "tree size",
                checkpoint.and_then(|checkpoint| {
                    let size = statement.as_ref().map(|s| s.tree_size).unwrap_or_default();
                    match checkpoint.size == size {
                        true => Ok(format!("the status is of the checkpoint of tree size {size}")),
                        false => Err(format!(
                            "the statement says tree size {size}, its proof's checkpoint {}",
                            checkpoint.size
                        )),
                    }
                }),
            ));
        }
        Ok(None) => checks.push(Check::new(
            "proof",
            Ok("none: an unknown number has no entry to prove; the registry's signature answers for it".into()),
        )),
        Err(error) => checks.push(Check::new("proof", Err(error.clone()))),
    }

    // The registry's signature, by the key of the log that signed the checkpoint.
    checks.push(Check::new(
        "statement signature",
        statement.as_ref().map_err(|_| "no statement to check".to_owned()).and_then(|statement| {
            let signature = statement.signature.as_ref().ok_or("the statement is not signed")?;
            let bytes = signed_bytes(json.clone()).map_err(|e| e.to_string())?;
            let signer = signing_logs.iter().find(|log| {
                signing::key_id(&log.key.public_key) == signature.key_id
                    && signing::verify(&log.key.public_key, &bytes, signature)
            });
            match signer {
                Some(log) => Ok(format!("Ed25519 by the key of {} ({})", log.key.name, signature.key_id)),
                None => Err(format!(
                    "the signature (key {}) does not verify with the key of any log the policy trusts{}",
                    signature.key_id,
                    if proof.as_ref().is_ok_and(Option::is_some) { " and that signed the checkpoint" } else { "" }
                )),
            }
        }),
    ));

    // Its age.
    checks.push(Check::new(
        "age",
        statement.as_ref().map_err(|_| "no statement to date".to_owned()).and_then(|statement| {
            let age = expect.now.signed_duration_since(statement.as_of);
            if age < -CLOCK_SKEW {
                return Err(format!("made at {}, in the future", statement.as_of));
            }
            match expect.max_age {
                Some(max) if age > max => Err(format!(
                    "stale: made at {}, {} ago, more than the {} allowed",
                    statement.as_of,
                    human(age),
                    human(max)
                )),
                Some(max) => Ok(format!("made at {}, within the {} allowed", statement.as_of, human(max))),
                None => Ok(format!("made at {} (no --max-age given)", statement.as_of)),
            }
        }),
    ));
    (checks, statement.ok())
}

/// What a statement says, in one line.
fn describe(statement: &Statement) -> String {
    let mut text = format!("certificate {} is {}", statement.certificate_number, statement.status.as_str());
    if let Some(holder) = statement.holders.first() {
        text.push_str(&format!(", held by {}", holder.name));
    }
    if statement.pledged {
        let names: Vec<String> = statement.pledgees.iter().map(|p| format!("{} (rank {})", p.name, p.rank)).collect();
        text.push_str(&format!(", pledged to {}", names.join(", ")));
    }
    if statement.preserved {
        let orders: Vec<String> =
            statement.measures.iter().map(|m| format!("{} {} of {}", m.kind, m.document_number, m.authority)).collect();
        text.push_str(&format!(", preserved by {}", orders.join(", ")));
    }
    if let Some(until) = statement.valid_until {
        text.push_str(&format!(", valid until {until}"));
    }
    if statement.pending {
        text.push_str("; a later change is pending: ask again after the next checkpoint");
    }
    text
}

fn human(duration: Duration) -> String {
    let (count, unit) = match duration.num_seconds() {
        s if s % 86_400 == 0 && s != 0 => (s / 86_400, "day"),
        s if s % 3600 == 0 && s != 0 => (s / 3600, "hour"),
        s => (s, "second"),
    };
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

/// A bundle's report: the checks of the bundle itself, and each
/// statement's, in order, with what it said.
#[derive(Debug, Default)]
pub struct BundleReport {
    /// The bundle's own checks: its header, and that every statement is of
    /// its checkpoint.
    pub checks: Vec<Check>,
    /// Each statement's number (or line) and its checks.
    pub statements: Vec<(String, Vec<Check>)>,
}

impl BundleReport {
    /// Whether everything passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().chain(self.statements.iter().flat_map(|(_, checks)| checks)).all(|check| check.passed)
    }
}

/// Checks a bundle (NDJSON: the header, then one statement per line), each
/// statement as [`verify`] does, and that each is of the header's checkpoint.
pub fn verify_bundle(text: &str, policy: &Policy, expect: Expectations) -> BundleReport {
    let mut report = BundleReport::default();
    let mut lines = text.lines().filter(|line| !line.trim().is_empty());
    let header: Result<BundleHeader, String> = lines
        .next()
        .ok_or_else(|| "the file is empty".to_owned())
        .and_then(|line| serde_json::from_str(line).map_err(|e| format!("the first line is not a bundle header: {e}")))
        .and_then(|header: BundleHeader| match header.kind == BUNDLE_TYPE {
            true => Ok(header),
            false => Err(format!("the first line is a {}, not a {BUNDLE_TYPE}", header.kind)),
        });
    let mut seen = 0;
    for (n, line) in lines.enumerate() {
        seen += 1;
        let json = serde_json::from_str::<serde_json::Value>(line);
        let (mut checks, statement) = match &json {
            Ok(json) => verify(json, policy, expect),
            Err(error) => (vec![Check::new("statement", Err(format!("line {} is not JSON: {error}", n + 2)))], None),
        };
        if let (Ok(header), Some(statement)) = (&header, &statement) {
            let checkpoint = statement.proof.as_deref().and_then(|text| Proof::parse(text).ok()).map(|p| p.checkpoint);
            let same = statement.tree_size == header.tree_size
                && checkpoint.as_ref().is_none_or(|note| *note == header.checkpoint);
            checks.push(Check::new(
                "bundle checkpoint",
                match same {
                    true => Ok(format!("of the bundle's checkpoint (tree size {})", header.tree_size)),
                    false => {
                        Err(format!("of tree size {}, not the bundle's {}", statement.tree_size, header.tree_size))
                    }
                },
            ));
        }
        let name = statement.map_or_else(|| format!("line {}", n + 2), |s| s.certificate_number);
        report.statements.push((name, checks));
    }
    report.checks.push(Check::new(
        "bundle",
        header.and_then(|header| match header.count == seen {
            true => Ok(format!("{seen} statements of the checkpoint of tree size {}", header.tree_size)),
            false => Err(format!("the header announces {} statements, the file holds {seen}", header.count)),
        }),
    ));
    report
}
