use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{ApplicationState, RefusalGround};

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub org_id: Uuid,
    pub at: DateTime<Utc>,
    /// applicant, reviewer, public or system.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub from_state: Option<ApplicationState>,
    pub to_state: Option<ApplicationState>,
    pub note: Option<String>,
    /// The grounds a rejection or an upheld objection named.
    pub refusal_grounds: Option<Vec<RefusalGround>>,
}

pub async fn insert(conn: &mut PgConnection, event: &EventRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO application_events
            (id, application_id, org_id, at, actor_kind, actor_id, action, from_state, to_state, note,
             refusal_grounds)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        event.id,
        event.application_id,
        event.org_id,
        event.at,
        event.actor_kind,
        event.actor_id,
        event.action,
        event.from_state as Option<ApplicationState>,
        event.to_state as Option<ApplicationState>,
        event.note,
        event.refusal_grounds.as_deref() as Option<&[RefusalGround]>,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The history of an application, oldest first.
pub async fn of_application(conn: &mut PgConnection, application_id: Uuid) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as!(
        EventRow,
        r#"SELECT id, application_id, org_id, at, actor_kind, actor_id, action,
                from_state AS "from_state: ApplicationState", to_state AS "to_state: ApplicationState", note,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>"
           FROM application_events WHERE application_id = $1 ORDER BY id"#,
        application_id
    )
    .fetch_all(conn)
    .await
}
