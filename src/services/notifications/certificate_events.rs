//! Watched certificates' changes, told once they are in a checkpoint that
//! status statements are of (cosigned where witnesses are configured): the
//! parties watching each certificate, and its pledgees registered here
//! (who watch their pledged certificates without asking), each get one
//! thin `watch.certificate_changed` per ledger entry: the certificate's
//! number, the entry's type and index, the status since, the tree size and
//! the link to the signed status.

use std::collections::{BTreeMap, HashMap};

use crate::services::{
    Result,
    notifications::{self, Notice, Via},
    transparency::status,
};
use crate::{db, notifications::EventKind, notifications::messages::Facts, state::AppState};

/// Entries told per step.
const BATCH: i64 = 1000;

/// Tells the watchers of the entries appended since they were last told,
/// up to the checkpoint statements are of now; returns the notices queued.
pub async fn tell_due(state: &AppState) -> Result<u64> {
    let snapshot = status::snapshot(state).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(told) = db::status::lock_told(&mut tx).await? else { return Ok(0) };
    if told >= snapshot.tree_size {
        return Ok(0);
    }
    let leaves = db::status::leaves_between(&mut tx, told, snapshot.tree_size, BATCH).await?;
    let indexes: Vec<i64> = leaves.iter().map(|leaf| leaf.idx).collect();
    let numbers: Vec<String> = leaves.iter().map(|leaf| leaf.certificate_number.clone()).collect();
    // One notice per entry and party, its channels merged.
    let mut told_to: BTreeMap<(i64, uuid::Uuid), (bool, bool)> = BTreeMap::new();
    for watcher in db::status::watchers(&mut tx, &indexes, &numbers).await? {
        let channels = told_to.entry((watcher.idx, watcher.org_id)).or_default();
        channels.0 |= watcher.channels.iter().any(|c| c == "email");
        channels.1 |= watcher.channels.iter().any(|c| c == "webhook");
    }
    let leaf_at: HashMap<i64, &db::status::AppendedLeaf> = leaves.iter().map(|leaf| (leaf.idx, leaf)).collect();
    let mut watched: Vec<String> =
        told_to.keys().filter_map(|(idx, _)| leaf_at.get(idx)).map(|leaf| leaf.certificate_number.clone()).collect();
    watched.sort_unstable();
    watched.dedup();
    let statuses = status::statuses_at(&mut tx, &watched, snapshot.tree_size, now).await?;

    let facts: Vec<(uuid::Uuid, Via, Facts)> = told_to
        .iter()
        .filter_map(|((idx, org_id), (mail, webhook))| {
            let leaf = leaf_at.get(idx)?;
            let number = &leaf.certificate_number;
            let entry_type = tlog::Entry::parse(&leaf.entry).ok().map(|entry| entry.type_name().to_owned());
            let facts = Facts {
                certificate_number: Some(number.clone()),
                entry_type,
                ledger_index: u64::try_from(*idx).ok(),
                status: statuses.get(number).map(|s| s.as_str().to_owned()),
                tree_size: Some(snapshot.tree_size),
                link: Some(notifications::link(state, &format!("/api/v1/public/certificates/{number}/status"))),
                ..Facts::default()
            };
            let via = match (mail, webhook) {
                (true, true) => Via::Both,
                (true, false) => Via::Mail,
                _ => Via::Webhooks,
            };
            Some((*org_id, via, facts))
        })
        .collect();
    let notices: Vec<Notice> = facts
        .iter()
        .map(|(org_id, via, facts)| Notice {
            org_id: *org_id,
            kind: EventKind::WatchCertificateChanged,
            facts,
            via: *via,
        })
        .collect();
    notifications::to_organizations(&mut tx, state, &notices, now).await?;
    let reached = match leaves.len() as i64 {
        n if n == BATCH => leaves.last().map_or(told, |leaf| u64::try_from(leaf.idx + 1).unwrap_or(told)),
        _ => snapshot.tree_size,
    };
    db::status::set_told(&mut tx, reached, now).await?;
    tx.commit().await?;
    Ok(notices.len() as u64)
}
