//! The public announcement: what anyone may read about an application in
//! its objection window. Material contents are never public: only their
//! kinds and hashes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{Error, Result, search::Search};
use crate::{
    db::{self, announcements::AnnouncementRow},
    domain::{ApplicationState, Category, MaterialHash},
    pagination::{Page, PageRequest},
    state::AppState,
};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementFilter {
    pub category: Option<Category>,
    /// Words of the product name, abstract or holder name (Chinese
    /// included), at most 100 characters.
    #[param(max_length = 100)]
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: Uuid,
    pub registration_number: Option<String>,
    pub product_name: String,
    pub category: Category,
    pub holder_name: String,
    /// Registry staff have checked the holder's business licence: it is the
    /// company its credit code names.
    pub holder_verified: bool,
    #[serde(rename = "abstract")]
    #[schema(rename = "abstract")]
    pub summary: String,
    pub starts_at: Option<DateTime<Utc>>,
    /// Objections are accepted until then.
    pub ends_at: Option<DateTime<Utc>>,
    pub materials: Vec<MaterialHash>,
    /// `open` while objections are accepted; once the window has closed,
    /// what came of it.
    pub outcome: AnnouncementOutcome,
    /// The certificate issued, once `registered`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
}

/// What an announcement came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementOutcome {
    /// The window is open: objections are accepted.
    Open,
    /// The window has closed and registry staff are deciding objections.
    ObjectionReview,
    /// No objection stood: the certificate was issued.
    Registered,
    /// An objection was upheld, or the data's authorization lapsed.
    Refused,
    /// The applicant withdrew the application.
    Withdrawn,
}

impl AnnouncementOutcome {
    fn of(state: ApplicationState) -> Self {
        match state {
            ApplicationState::ObjectionReview => Self::ObjectionReview,
            ApplicationState::Registered => Self::Registered,
            ApplicationState::Rejected => Self::Refused,
            ApplicationState::Withdrawn => Self::Withdrawn,
            // Only announced applications are read here.
            _ => Self::Open,
        }
    }

    pub fn is_open(self) -> bool {
        self == Self::Open
    }
}

impl AnnouncementView {
    fn new(row: AnnouncementRow, materials: Vec<MaterialHash>) -> Self {
        Self {
            id: row.id,
            registration_number: row.registration_number,
            product_name: row.product_name,
            category: row.category,
            holder_name: row.holder_name,
            holder_verified: row.holder_verified,
            summary: row.r#abstract,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            materials,
            outcome: AnnouncementOutcome::of(row.state),
            certificate_number: row.certificate_number,
        }
    }
}

/// Current announcements, newest first.
pub async fn list(
    state: &AppState,
    filter: AnnouncementFilter,
    page: PageRequest<(DateTime<Utc>, Uuid)>,
) -> Result<Page<AnnouncementView>> {
    let search = Search::parse(filter.q.as_deref())?;
    let mut conn = state.public_read().await?;
    let rows =
        db::announcements::search(&mut conn, filter.category, search.terms(), page.after, page.fetch_limit()).await?;
    let rows = page.page(rows, |row| (row.starts_at.unwrap_or_default(), row.id), |row| row);
    with_materials(&mut conn, rows).await
}

/// Announcements whose window has closed, the latest closed first, with
/// their outcome.
pub async fn list_past(
    state: &AppState,
    filter: AnnouncementFilter,
    page: PageRequest<(DateTime<Utc>, Uuid)>,
) -> Result<Page<AnnouncementView>> {
    let search = Search::parse(filter.q.as_deref())?;
    let mut conn = state.public_read().await?;
    let rows =
        db::announcements::search_past(&mut conn, filter.category, search.patterns(), page.after, page.fetch_limit())
            .await?;
    let rows = page.page(rows, |row| (row.ends_at.unwrap_or_default(), row.id), |row| row);
    with_materials(&mut conn, rows).await
}

/// Applications in their announcement now.
pub async fn open_count(state: &AppState) -> Result<i64> {
    Ok(db::announcements::count_open(&mut *state.public_read().await?).await?)
}

async fn with_materials(conn: &mut PgConnection, rows: Page<AnnouncementRow>) -> Result<Page<AnnouncementView>> {
    let ids: Vec<Uuid> = rows.items.iter().map(|row| row.id).collect();
    let mut hashes: HashMap<Uuid, Vec<MaterialHash>> = HashMap::new();
    for material in db::materials::of_applications(conn, &ids).await? {
        hashes.entry(material.application_id).or_default().push(material.hash());
    }
    let items = rows
        .items
        .into_iter()
        .map(|row| {
            let materials = hashes.remove(&row.id).unwrap_or_default();
            AnnouncementView::new(row, materials)
        })
        .collect();
    Ok(Page { items, next_cursor: rows.next_cursor })
}

/// One announcement, open or closed.
pub async fn get(state: &AppState, id: Uuid) -> Result<AnnouncementView> {
    let mut conn = state.public_read().await?;
    let row = db::announcements::find(&mut conn, id).await?.ok_or(Error::NotFound)?;
    let materials = db::materials::of_applications(&mut conn, &[id]).await?.into_iter().map(|m| m.hash()).collect();
    Ok(AnnouncementView::new(row, materials))
}
