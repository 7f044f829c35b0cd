use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::domain::{ApplicationState, HistoryAction, RefusalGround};

#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub org_id: Uuid,
    pub at: DateTime<Utc>,
    /// applicant, reviewer, public or system.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: HistoryAction,
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
        event.action as HistoryAction,
        event.from_state as Option<ApplicationState>,
        event.to_state as Option<ApplicationState>,
        event.note,
        event.refusal_grounds.as_deref() as Option<&[RefusalGround]>,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Many history entries in one statement, in the order given.
pub async fn insert_each(conn: &mut PgConnection, events: &[EventRow]) -> sqlx::Result<()> {
    let n = events.len();
    let (mut ids, mut application_ids, mut org_ids, mut at) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut actor_kinds, mut actor_ids, mut actions) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut from_states, mut to_states, mut notes, mut grounds) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for event in events {
        ids.push(event.id);
        application_ids.push(event.application_id);
        org_ids.push(event.org_id);
        at.push(event.at);
        actor_kinds.push(event.actor_kind.as_str());
        actor_ids.push(event.actor_id);
        actions.push(event.action);
        from_states.push(event.from_state);
        to_states.push(event.to_state);
        notes.push(event.note.as_deref());
        // Arrays of arrays cannot be unnested row by row: each row's grounds travel as a JSON array.
        grounds.push(event.refusal_grounds.as_ref().map(Json));
    }
    sqlx::query!(
        r#"INSERT INTO application_events
               (id, application_id, org_id, at, actor_kind, actor_id, action, from_state, to_state, note,
                refusal_grounds)
           SELECT t.id, t.application_id, t.org_id, t.at, t.actor_kind, t.actor_id, t.action, t.from_state,
                  t.to_state, t.note,
                  CASE WHEN t.grounds IS NOT NULL THEN
                      ARRAY(SELECT g::refusal_ground
                            FROM jsonb_array_elements_text(t.grounds) WITH ORDINALITY AS e(g, n) ORDER BY n)
                  END
           FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[], $6::uuid[], $7::text[],
                       $8::application_state[], $9::application_state[], $10::text[], $11::jsonb[])
                WITH ORDINALITY
                AS t(id, application_id, org_id, at, actor_kind, actor_id, action, from_state, to_state, note,
                     grounds, n)
           ORDER BY t.n"#,
        &ids,
        &application_ids,
        &org_ids,
        &at,
        &actor_kinds as &[&str],
        &actor_ids as &[Option<Uuid>],
        &actions as &[HistoryAction],
        &from_states as &[Option<ApplicationState>],
        &to_states as &[Option<ApplicationState>],
        &notes as &[Option<&str>],
        &grounds as &[Option<Json<&Vec<RefusalGround>>>],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The history of an application, oldest first.
pub async fn of_application(conn: &mut PgConnection, application_id: Uuid) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as!(
        EventRow,
        r#"SELECT id, application_id, org_id, at, actor_kind, actor_id, action AS "action: HistoryAction",
                from_state AS "from_state: ApplicationState", to_state AS "to_state: ApplicationState", note,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>"
           FROM application_events WHERE application_id = $1 ORDER BY id"#,
        application_id
    )
    .fetch_all(conn)
    .await
}
