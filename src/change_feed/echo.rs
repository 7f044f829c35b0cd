//! Echoes: notifications a process sends itself on `ECHO_CHANNEL` and
//! waits to hear on its change feed's connection. PostgreSQL delivers
//! notifications in the order their transactions committed, so an echo
//! sent after a write committed is heard only after that write's own
//! notifications, if it had any. The heartbeat and a writer's catch-up are
//! both echoes.
//!
//! Echoes are numbered in the order they are made, and what is kept is the
//! highest number heard: an echo made after a write committed is sent after
//! it too, so hearing any later echo also means the write's notifications
//! were heard (or the feed subscribed after it, which starts a new
//! generation anyway).

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;
use uuid::Uuid;

/// The channel of echoes; `CHANNEL` carries changes only.
pub const ECHO_CHANNEL: &str = "dataip_public_echo";

#[derive(Debug)]
pub(super) struct Echoes {
    /// Tells this process's echoes from other processes', which every
    /// process listening hears too.
    sender: String,
    made: AtomicU64,
    heard: watch::Sender<u64>,
}

/// One echo to send: its number, and the payload that carries it.
pub(super) struct Echo {
    pub number: u64,
    pub payload: String,
}

impl Default for Echoes {
    fn default() -> Self {
        Self { sender: Uuid::now_v7().simple().to_string(), made: AtomicU64::new(0), heard: watch::Sender::new(0) }
    }
}

impl Echoes {
    /// A new echo, numbered after every one made before.
    pub fn make(&self) -> Echo {
        let number = self.made.fetch_add(1, Ordering::AcqRel) + 1;
        Echo { number, payload: format!("{}:{number}", self.sender) }
    }

    /// Notes an echo heard: its number, or `None` when it is another
    /// process's (or not an echo at all).
    pub fn hear(&self, payload: &str) -> Option<u64> {
        let (sender, number) = payload.split_once(':')?;
        let number: u64 = number.parse().ok().filter(|_| sender == self.sender)?;
        self.heard.send_if_modified(|heard| {
            let later = number > *heard;
            if later {
                *heard = number;
            }
            later
        });
        Some(number)
    }

    /// Returns once echo `number`, or a later one, has been heard.
    pub async fn heard(&self, number: u64) {
        let mut heard = self.heard.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = heard.wait_for(|&heard| heard >= number).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_later_echo_heard_answers_for_the_earlier_ones() {
        let echoes = Echoes::default();
        let (first, second) = (echoes.make(), echoes.make());
        assert!(second.number > first.number);
        let waiting = tokio::time::timeout(Duration::from_millis(50), echoes.heard(first.number));
        assert!(waiting.await.is_err(), "nothing heard yet");
        assert_eq!(echoes.hear(&second.payload), Some(second.number));
        echoes.heard(first.number).await;
        echoes.heard(second.number).await;
        assert_eq!(echoes.hear(&first.payload), Some(first.number), "an earlier one, late: still ours");
    }

    #[test]
    fn other_processes_echoes_and_other_payloads_are_not_ours() {
        let (ours, theirs) = (Echoes::default(), Echoes::default());
        let echo = theirs.make();
        assert_eq!(ours.hear(&echo.payload), None);
        for payload in ["", "no number", ":1", "x:y"] {
            assert_eq!(ours.hear(payload), None, "{payload:?}");
        }
        assert_eq!(*ours.heard.borrow(), 0);
    }
}
