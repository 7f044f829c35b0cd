//! Keyset pagination: `?limit=&cursor=` in, `{items, next_cursor}` out. The
//! cursor is the key of the last item served, opaque to clients (base64url
//! JSON), so pages stay stable while rows are inserted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{Error, Result};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// The paging part of a list request's query string.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page, as given: opaque. An empty or
    /// altered one is refused (422).
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

/// What a list is ordered by, as its cursors carry it. A cursor is opaque
/// but comes from the client: a key that decodes is still range-checked
/// before it reaches SQL (a crafted timestamp can lie outside what
/// PostgreSQL stores).
pub trait CursorKey: Serialize + DeserializeOwned {
    fn in_range(&self) -> bool;
}

impl CursorKey for Uuid {
    fn in_range(&self) -> bool {
        true
    }
}

impl CursorKey for i64 {
    fn in_range(&self) -> bool {
        *self >= 0
    }
}

impl CursorKey for (DateTime<Utc>, Uuid) {
    fn in_range(&self) -> bool {
        (1..=9999).contains(&self.0.year())
    }
}

/// A validated page request whose cursor decodes to a key of type `K`.
#[derive(Debug)]
pub struct PageRequest<K> {
    pub limit: u32,
    pub after: Option<K>,
}

impl PageQuery {
    pub fn parse<K: CursorKey>(&self) -> Result<PageRequest<K>> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::field("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let after = match &self.cursor {
            None => None,
            Some(text) => {
                let key = decode::<K>(text).filter(K::in_range);
                Some(key.ok_or_else(|| Error::field("cursor", "is not a cursor this list gave out"))?)
            }
        };
        Ok(PageRequest { limit, after })
    }
}

impl<K> PageRequest<K> {
    /// Rows to fetch: one more than the page, to learn whether more follow.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Turns `limit + 1` fetched rows into a page, the cursor keyed on the
    /// last item served.
    pub fn page<T, U>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> K, view: impl Fn(T) -> U) -> Page<U>
    where
        K: Serialize,
    {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more { rows.last().map(|row| encode(&key(row))) } else { None };
        Page { items: rows.into_iter().map(view).collect(), next_cursor }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

fn encode<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

fn decode<K: DeserializeOwned>(text: &str) -> Option<K> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_carry_a_cursor_only_when_more_follow() {
        let request: PageRequest<Uuid> = PageQuery { limit: Some(2), cursor: None }.parse().expect("valid");
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = request.page(ids.clone(), |id| *id, |id| id);
        assert_eq!(page.items, ids[..2]);
        let cursor = page.next_cursor.expect("more follow");
        let next: PageRequest<Uuid> = PageQuery { limit: Some(2), cursor: Some(cursor) }.parse().expect("valid");
        assert_eq!(next.after, Some(ids[1]));
        let last = next.page(vec![ids[2]], |id| *id, |id| id);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn refuses_bad_limits_and_cursors() {
        assert!(PageQuery { limit: Some(0), cursor: None }.parse::<Uuid>().is_err());
        assert!(PageQuery { limit: Some(101), cursor: None }.parse::<Uuid>().is_err());
        assert!(PageQuery { limit: None, cursor: Some("!!".into()) }.parse::<Uuid>().is_err());
        assert!(PageQuery { limit: None, cursor: Some("e30".into()) }.parse::<Uuid>().is_err());
        let far = encode(&("-4800-01-01T00:00:00Z", Uuid::nil()));
        assert!(PageQuery { limit: None, cursor: Some(far) }.parse::<(DateTime<Utc>, Uuid)>().is_err());
        let near = encode(&("2026-11-26T00:00:00Z", Uuid::nil()));
        assert!(PageQuery { limit: None, cursor: Some(near) }.parse::<(DateTime<Utc>, Uuid)>().is_ok());
        assert!(PageQuery { limit: None, cursor: Some(encode(&-1i64)) }.parse::<i64>().is_err());
    }
}
