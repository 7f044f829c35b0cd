//! How applications, their materials and their history are shown.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::Result;
use crate::{
    db::{self, application_events::EventRow, applications::ApplicationRow, materials::MaterialRow},
    domain::{ApplicationState, Category, DataSource, MaterialKind, RefusalGround},
};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MaterialView {
    pub kind: MaterialKind,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

impl From<MaterialRow> for MaterialView {
    fn from(row: MaterialRow) -> Self {
        Self {
            kind: row.kind,
            filename: row.filename,
            media_type: row.media_type,
            size: row.size,
            sha256: hex::encode(&row.sha256),
            uploaded_at: row.uploaded_at,
        }
    }
}

/// When the public announcement runs: objections are accepted until `ends_at`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnnouncementWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupplementView {
    pub reason: String,
    /// Without a resubmission by then, the application is deemed withdrawn.
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApplicationView {
    pub id: Uuid,
    pub state: ApplicationState,
    /// Grows on every change; send it back in `If-Match` to update safely.
    pub version: i32,
    pub product_name: String,
    pub category: Category,
    #[serde(rename = "abstract")]
    #[schema(rename = "abstract")]
    pub summary: String,
    pub data_sources: Vec<DataSource>,
    pub data_format: Option<String>,
    pub data_scale: Option<String>,
    pub update_frequency: Option<String>,
    /// Assigned at the first submission.
    pub application_number: Option<String>,
    /// The product's registration ("ID card") number, assigned at approval.
    pub registration_number: Option<String>,
    pub materials: Vec<MaterialView>,
    pub announcement: Option<AnnouncementWindow>,
    pub certificate_number: Option<String>,
    pub supplement: Option<SupplementView>,
    pub decision_reason: Option<String>,
    /// The grounds of a rejection (by a reviewer, or on an upheld
    /// objection), from the measures' list; empty otherwise.
    // Default: answers remembered for an Idempotency-Key before the field
    // existed still read back.
    #[serde(default)]
    #[schema(required = true)]
    pub refusal_grounds: Vec<RefusalGround>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationView {
    pub fn new(row: ApplicationRow, materials: Vec<MaterialRow>) -> Self {
        let supplement = match (row.state, row.supplement_reason, row.supplement_due_at) {
            (ApplicationState::SupplementRequested, Some(reason), Some(due_at)) => {
                Some(SupplementView { reason, due_at })
            }
            _ => None,
        };
        let announcement = match (row.announcement_starts_at, row.announcement_ends_at) {
            (Some(starts_at), Some(ends_at)) => Some(AnnouncementWindow { starts_at, ends_at }),
            _ => None,
        };
        Self {
            id: row.id,
            state: row.state,
            version: row.version,
            product_name: row.product_name,
            category: row.category,
            summary: row.r#abstract,
            data_sources: row.data_sources.0,
            data_format: row.data_format,
            data_scale: row.data_scale,
            update_frequency: row.update_frequency,
            application_number: row.application_number,
            registration_number: row.registration_number,
            materials: materials.into_iter().map(MaterialView::from).collect(),
            announcement,
            certificate_number: row.certificate_number,
            supplement,
            decision_reason: row.decision_reason,
            refusal_grounds: row.refusal_grounds.unwrap_or_default(),
            submitted_at: row.submitted_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }

    /// The view of one application, with its materials.
    pub async fn load(conn: &mut PgConnection, row: ApplicationRow) -> Result<Self> {
        let materials = db::materials::of_applications(conn, &[row.id]).await?;
        Ok(Self::new(row, materials))
    }

    /// The views of a page of applications, with two queries in all.
    pub async fn load_many(conn: &mut PgConnection, rows: Vec<ApplicationRow>) -> Result<Vec<Self>> {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut materials: HashMap<Uuid, Vec<MaterialRow>> = HashMap::new();
        for material in db::materials::of_applications(conn, &ids).await? {
            materials.entry(material.application_id).or_default().push(material);
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let own = materials.remove(&row.id).unwrap_or_default();
                Self::new(row, own)
            })
            .collect())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActorView {
    /// applicant, reviewer, public or system.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub at: DateTime<Utc>,
    pub actor: ActorView,
    pub action: String,
    pub from_state: Option<ApplicationState>,
    pub to_state: Option<ApplicationState>,
    pub note: Option<String>,
    /// The grounds a rejection or an upheld objection named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal_grounds: Option<Vec<RefusalGround>>,
}

impl From<EventRow> for EventView {
    fn from(row: EventRow) -> Self {
        Self {
            at: row.at,
            actor: ActorView { kind: row.actor_kind, id: row.actor_id },
            action: row.action.as_str().to_owned(),
            from_state: row.from_state,
            to_state: row.to_state,
            note: row.note,
            refusal_grounds: row.refusal_grounds,
        }
    }
}
