//! One module per page family; each handler reads through the same
//! services as the public API.

pub mod announcements;
pub mod certificates;
pub mod confirm_act;
pub mod confirm_email;
pub mod discovery;
pub mod feeds;
pub mod home;
pub mod ledger;
pub mod objection_form;
pub mod objections;
pub mod unsubscribe;
pub mod verify;

use axum::{extract::FromRequestParts, http::request::Parts};

use super::page::Ctx;
use crate::{
    domain::{Category, CertificateStatus},
    pagination::{CursorKey, DEFAULT_LIMIT, PageQuery, PageRequest},
};

/// A list page's query, read leniently: a person's address bar is not an
/// API client, so an unknown category or status shows everything.
#[derive(Debug, Default, Clone)]
pub struct ListQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub cursor: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let mut query = Self::default();
        for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
            // PostgreSQL text cannot hold NUL; a search never needs it.
            let value = Some(value.replace('\0', "")).filter(|v| !v.trim().is_empty());
            match name.as_ref() {
                "q" => query.q = value.map(|q| q.chars().take(100).collect()),
                "category" => query.category = value,
                "status" => query.status = value,
                "cursor" => query.cursor = value,
                _ => {}
            }
        }
        Ok(query)
    }
}

impl ListQuery {
    pub fn category(&self) -> Option<Category> {
        self.category.as_deref().and_then(parse_enum)
    }

    /// The page the cursor names; a stale or altered cursor in an address
    /// starts over at the first page.
    pub fn page_request<K: CursorKey>(&self) -> PageRequest<K> {
        let page = PageQuery { limit: None, cursor: self.cursor.clone() };
        page.parse().unwrap_or(PageRequest { limit: DEFAULT_LIMIT, after: None })
    }

    pub fn certificate_status(&self) -> Option<CertificateStatus> {
        self.status.as_deref().and_then(parse_enum)
    }
}

/// An enum from its wire name.
fn parse_enum<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
}

/// One `<option>` of a filter.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub fn category_options(ctx: &Ctx, selected: Option<Category>) -> Vec<Choice> {
    [Category::DataCollection, Category::DataProduct, Category::DataAlgorithm]
        .into_iter()
        .map(|category| Choice {
            value: announcements::category_value(category),
            label: ctx.t.category(category),
            selected: selected == Some(category),
        })
        .collect()
}

pub fn status_options(ctx: &Ctx, selected: Option<CertificateStatus>) -> Vec<Choice> {
    use CertificateStatus::*;
    [Active, Expired, Revoked, Cancelled]
        .into_iter()
        .map(|status| Choice {
            value: status.as_str(),
            label: ctx.t.status(status),
            selected: selected == Some(status),
        })
        .collect()
}
