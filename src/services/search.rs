//! Public text search: a query turned into a safe ILIKE pattern. pg_trgm's
//! trigram indexes serve it, in a UTF-8 database Chinese text included.

use super::{Error, Result};

pub struct Search(Option<String>);

impl Search {
    /// At most 100 characters; empty means no search.
    pub fn parse(q: Option<&str>) -> Result<Self> {
        let q = q.map(str::trim).filter(|q| !q.is_empty());
        if q.is_some_and(|q| q.chars().count() > 100) {
            return Err(Error::field("q", "must be at most 100 characters"));
        }
        Ok(Self(q.map(|q| {
            let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        })))
    }

    /// The ILIKE pattern, if there is a query.
    pub fn pattern(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_literally() {
        assert_eq!(Search::parse(Some(" 物流 ")).ok().and_then(|s| s.0), Some("%物流%".into()));
        assert_eq!(Search::parse(Some("100%_a\\b")).ok().and_then(|s| s.0), Some("%100\\%\\_a\\\\b%".into()));
        assert!(Search::parse(Some("  ")).ok().is_some_and(|s| s.0.is_none()));
        assert!(Search::parse(Some(&"长".repeat(101))).is_err());
    }
}
