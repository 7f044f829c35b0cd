//! TEMPORARY placeholder until the bounded reader lands.
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Limits {
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { time: Duration::from_secs(2) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    TooLarge { what: &'static str, limit: u64 },
    TimedOut(Duration),
    Malformed(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

pub fn attachment(pdf: &[u8], filename: &str, _max: usize, _limits: &Limits) -> Result<Option<Vec<u8>>, ReadError> {
    Ok(super::attachment::extract(pdf, filename))
}
