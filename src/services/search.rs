//! Public text search: a query split into terms, every one of which a
//! result must contain. The database narrows the candidates through the
//! index over each document's character pairs (`search_grams`, which serves
//! two-character Chinese terms too) and then matches each term literally.

use crate::services::{Error, Result};

/// At most this many terms count; the rest of a query is ignored.
const MAX_TERMS: usize = 8;

pub struct Search {
    /// The terms as typed, for the index.
    terms: Vec<String>,
    /// A LIKE pattern per term, for the literal match.
    patterns: Vec<String>,
}

impl Search {
    /// At most 100 characters; empty means no search.
    pub fn parse(q: Option<&str>) -> Result<Self> {
        let q = q.unwrap_or_default().trim();
        if q.chars().count() > 100 {
            return Err(Error::field("q", "must be at most 100 characters"));
        }
        let terms: Vec<String> = q.split_whitespace().take(MAX_TERMS).map(str::to_owned).collect();
        let patterns = terms.iter().map(|term| format!("%{}%", escape(term))).collect();
        Ok(Self { terms, patterns })
    }

    /// The terms, if there is a query.
    pub fn terms(&self) -> Option<&[String]> {
        (!self.terms.is_empty()).then_some(self.terms.as_slice())
    }

    /// A LIKE pattern per term, if there is a query.
    pub fn patterns(&self) -> Option<&[String]> {
        (!self.patterns.is_empty()).then_some(self.patterns.as_slice())
    }
}

/// `term` matched literally by LIKE: its wildcards and escapes escaped.
fn escape(term: &str) -> String {
    term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_split_and_escaped_literally() {
        let search = Search::parse(Some(" 物流  数据\t100%_a\\b ")).expect("valid");
        assert_eq!(search.terms(), Some(&["物流".to_owned(), "数据".into(), "100%_a\\b".into()][..]));
        assert_eq!(search.patterns().map(|p| p[2].as_str()), Some("%100\\%\\_a\\\\b%"));
        assert!(Search::parse(Some("  ")).is_ok_and(|s| s.terms().is_none() && s.patterns().is_none()));
        assert!(Search::parse(None).is_ok_and(|s| s.terms().is_none()));
        assert!(Search::parse(Some(&"长".repeat(101))).is_err());
        assert_eq!(Search::parse(Some(&"a ".repeat(20))).expect("valid").terms().map(<[String]>::len), Some(MAX_TERMS));
    }
}
