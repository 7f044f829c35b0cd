//! Echoes: notifications a process sends itself on `ECHO_CHANNEL` and
//! waits to hear on its change feed's connection (the heartbeat).

use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// The channel of echoes; `CHANNEL` carries changes only.
pub const ECHO_CHANNEL: &str = "dataip_public_echo";

#[derive(Debug)]
pub(super) struct Echoes {
    /// Tells this process's echoes from other processes', which every
    /// process listening hears too.
    sender: String,
    made: AtomicU64,
}

/// One echo to send: its number, and the payload that carries it.
pub(super) struct Echo {
    pub number: u64,
    pub payload: String,
}

impl Default for Echoes {
    fn default() -> Self {
        Self { sender: Uuid::now_v7().simple().to_string(), made: AtomicU64::new(0) }
    }
}

impl Echoes {
    /// A new echo, numbered after every one made before.
    pub fn make(&self) -> Echo {
        let number = self.made.fetch_add(1, Ordering::AcqRel) + 1;
        Echo { number, payload: format!("{}:{number}", self.sender) }
    }

    /// The number of an echo heard, or `None` when it is another process's
    /// (or not an echo at all).
    pub fn hear(&self, payload: &str) -> Option<u64> {
        let (sender, number) = payload.split_once(':')?;
        number.parse().ok().filter(|_| sender == self.sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_are_numbered_and_only_this_processs_are_heard() {
        let (ours, theirs) = (Echoes::default(), Echoes::default());
        let (first, second) = (ours.make(), ours.make());
        assert!(second.number > first.number);
        assert_eq!(ours.hear(&second.payload), Some(second.number));
        assert_eq!(ours.hear(&theirs.make().payload), None);
        for payload in ["", "no number", ":1", "x:y"] {
            assert_eq!(ours.hear(payload), None, "{payload:?}");
        }
    }
}
