//! Claims that lapse on their own (anchoring's checkpoints, mail, webhook
//! endpoints and deliveries): a claim is taken until its attempt's timeout
//! and a margin have passed, so that it outlives the attempt unless the
//! worker holding it died, and then falls due again.

use chrono::{DateTime, Utc};

use crate::domain::ExactDuration;

/// Room for the statements around an attempt.
const MARGIN: chrono::Duration = chrono::Duration::minutes(1);

/// When a claim taken at `now`, for an attempt bounded by `timeout`, lapses.
pub fn end(now: DateTime<Utc>, timeout: ExactDuration) -> DateTime<Utc> {
    let timeout = chrono::Duration::from_std(timeout.get()).unwrap_or(chrono::Duration::MAX);
    timeout.checked_add(&MARGIN).and_then(|lease| now.checked_add_signed(lease)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
