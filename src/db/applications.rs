use chrono::{DateTime, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::domain::{ApplicationState, Category, DataSource, RefusalGround, normalized_product_name};

#[derive(Debug, Clone)]
pub struct ApplicationRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub state: ApplicationState,
    pub version: i32,
    pub product_name: String,
    pub category: Category,
    pub r#abstract: String,
    pub data_sources: Json<Vec<DataSource>>,
    pub data_format: Option<String>,
    pub data_scale: Option<String>,
    pub update_frequency: Option<String>,
    pub application_number: Option<String>,
    pub registration_number: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewer_id: Option<Uuid>,
    pub supplement_reason: Option<String>,
    pub supplement_due_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    /// The grounds of a rejection.
    pub refusal_grounds: Option<Vec<RefusalGround>>,
    pub announcement_starts_at: Option<DateTime<Utc>>,
    pub announcement_ends_at: Option<DateTime<Utc>>,
    pub certificate_number: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ApplicationRow {
    /// Whether the applicant ever submitted it: until then (a draft, or a
    /// draft withdrawn) it is theirs alone, and the registry does not see it.
    pub fn ever_submitted(&self) -> bool {
        self.submitted_at.is_some()
    }
}

/// The fields an applicant writes.
#[derive(Debug, Clone)]
pub struct ApplicationFields {
    pub product_name: String,
    pub category: Category,
    pub r#abstract: String,
    pub data_sources: Json<Vec<DataSource>>,
    pub data_format: Option<String>,
    pub data_scale: Option<String>,
    pub update_frequency: Option<String>,
}

/// What a transition writes besides the state; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct TransitionChanges {
    pub submitted_at: Option<DateTime<Utc>>,
    pub application_number: Option<String>,
    pub reviewer_id: Option<Uuid>,
    /// `Some(None)` clears the supplement request, `Some(Some(..))` sets it.
    pub supplement: Option<Option<(String, DateTime<Utc>)>>,
    pub decision_reason: Option<String>,
    pub refusal_grounds: Option<Vec<RefusalGround>>,
    pub registration_number: Option<String>,
    pub announcement: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub certificate_number: Option<String>,
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    org_id: Uuid,
    fields: &ApplicationFields,
    now: DateTime<Utc>,
) -> sqlx::Result<ApplicationRow> {
    // Read back in the same round trip: the row as stored, defaults included.
    sqlx::query_as!(
        ApplicationRow,
        r#"INSERT INTO applications (id, org_id, state, version, product_name, category, abstract, data_sources,
                data_format, data_scale, update_frequency, created_at, updated_at, normalized_product_name)
           VALUES ($1, $2, 'draft', 1, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)
           RETURNING id, org_id, state AS "state: ApplicationState", version, product_name,
                category AS "category: Category", abstract AS "abstract",
                data_sources AS "data_sources: Json<Vec<DataSource>>", data_format, data_scale, update_frequency,
                application_number, registration_number, submitted_at, reviewer_id,
                supplement_reason, supplement_due_at, decision_reason,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", announcement_starts_at,
                announcement_ends_at, certificate_number, created_at, updated_at"#,
        id,
        org_id,
        fields.product_name,
        fields.category as Category,
        fields.r#abstract,
        &fields.data_sources as _,
        fields.data_format,
        fields.data_scale,
        fields.update_frequency,
        now,
        normalized_product_name(&fields.product_name),
    )
    .fetch_one(conn)
    .await
}

/// The application, in any organization (for staff and the worker).
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ApplicationRow>> {
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, org_id, state AS "state: ApplicationState", version, product_name,
                category AS "category: Category", abstract AS "abstract",
                data_sources AS "data_sources: Json<Vec<DataSource>>", data_format, data_scale, update_frequency,
                application_number, registration_number, submitted_at, reviewer_id,
                supplement_reason, supplement_due_at, decision_reason,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", announcement_starts_at,
                announcement_ends_at, certificate_number, created_at, updated_at
           FROM applications WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// The application if it belongs to the organization.
pub async fn find_in_org(conn: &mut PgConnection, org_id: Uuid, id: Uuid) -> sqlx::Result<Option<ApplicationRow>> {
    Ok(find(conn, id).await?.filter(|row| row.org_id == org_id))
}

/// One page of an organization's applications, newest first.
pub async fn list_in_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    state: Option<ApplicationState>,
    before: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<ApplicationRow>> {
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, org_id, state AS "state: ApplicationState", version, product_name,
                category AS "category: Category", abstract AS "abstract",
                data_sources AS "data_sources: Json<Vec<DataSource>>", data_format, data_scale, update_frequency,
                application_number, registration_number, submitted_at, reviewer_id,
                supplement_reason, supplement_due_at, decision_reason,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", announcement_starts_at,
                announcement_ends_at, certificate_number, created_at, updated_at
           FROM applications
           WHERE org_id = $1 AND ($2::application_state IS NULL OR state = $2) AND ($3::uuid IS NULL OR id < $3)
           ORDER BY id DESC LIMIT $4"#,
        org_id,
        state as Option<ApplicationState>,
        before,
        limit
    )
    .fetch_all(conn)
    .await
}

/// One page of the review queue: applications in `state` across all
/// organizations, oldest submission first, after the (submitted_at, id) key.
pub async fn queue(
    conn: &mut PgConnection,
    state: ApplicationState,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<ApplicationRow>> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, org_id, state AS "state: ApplicationState", version, product_name,
                category AS "category: Category", abstract AS "abstract",
                data_sources AS "data_sources: Json<Vec<DataSource>>", data_format, data_scale, update_frequency,
                application_number, registration_number, submitted_at, reviewer_id,
                supplement_reason, supplement_due_at, decision_reason,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", announcement_starts_at,
                announcement_ends_at, certificate_number, created_at, updated_at
           FROM applications
           WHERE state = $1 AND submitted_at IS NOT NULL
             AND ($2::timestamptz IS NULL OR (submitted_at, id) > ($2, $3::uuid))
           ORDER BY submitted_at, id LIMIT $4"#,
        state as ApplicationState,
        after_at,
        after_id,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Rewrites the applicant's fields if the application is still editable and
/// at `version`; `None` when it is not (the caller finds out why).
pub async fn update_fields(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
    version: i32,
    fields: &ApplicationFields,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<ApplicationRow>> {
    let updated = sqlx::query_scalar!(
        r#"UPDATE applications SET product_name = $4, category = $5, abstract = $6, data_sources = $7,
                data_format = $8, data_scale = $9, update_frequency = $10,
                version = version + 1, updated_at = $11, normalized_product_name = $12
           WHERE id = $1 AND org_id = $2 AND version = $3 AND state = ANY($13)
           RETURNING id"#,
        id,
        org_id,
        version,
        fields.product_name,
        fields.category as Category,
        fields.r#abstract,
        &fields.data_sources as _,
        fields.data_format,
        fields.data_scale,
        fields.update_frequency,
        now,
        normalized_product_name(&fields.product_name),
        &ApplicationState::EDITABLE as &[ApplicationState],
    )
    .fetch_optional(&mut *conn)
    .await?;
    reread(conn, updated).await
}

/// Bumps the version of an editable application whose materials changed;
/// false when it is no longer editable.
pub async fn touch_editable(conn: &mut PgConnection, org_id: Uuid, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE applications SET version = version + 1, updated_at = $3
         WHERE id = $1 AND org_id = $2 AND state = ANY($4)",
        id,
        org_id,
        now,
        &ApplicationState::EDITABLE as &[ApplicationState],
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves the application from `from` to `to`, writing `changes`, if it is
/// still in `from`; `None` when it no longer is (a lost race).
pub async fn transition(
    conn: &mut PgConnection,
    id: Uuid,
    from: ApplicationState,
    to: ApplicationState,
    changes: &TransitionChanges,
    now: DateTime<Utc>,
) -> sqlx::Result<Option<ApplicationRow>> {
    let (set_supplement, supplement) = match &changes.supplement {
        None => (false, None),
        Some(value) => (true, value.clone()),
    };
    let (supplement_reason, supplement_due_at) = supplement.unzip();
    let (announcement_starts_at, announcement_ends_at) = changes.announcement.unzip();
    let moved = sqlx::query_scalar!(
        r#"UPDATE applications SET
                state = $3, version = version + 1, updated_at = $4,
                submitted_at = COALESCE($5, submitted_at),
                application_number = COALESCE(application_number, $6),
                reviewer_id = COALESCE($7, reviewer_id),
                supplement_reason = CASE WHEN $8 THEN $9 ELSE supplement_reason END,
                supplement_due_at = CASE WHEN $8 THEN $10 ELSE supplement_due_at END,
                decision_reason = COALESCE($11, decision_reason),
                registration_number = COALESCE(registration_number, $12),
                announcement_starts_at = COALESCE($13, announcement_starts_at),
                announcement_ends_at = COALESCE($14, announcement_ends_at),
                certificate_number = COALESCE(certificate_number, $15),
                refusal_grounds = COALESCE($16, refusal_grounds)
           WHERE id = $1 AND state = $2
           RETURNING id"#,
        id,
        from as ApplicationState,
        to as ApplicationState,
        now,
        changes.submitted_at,
        changes.application_number,
        changes.reviewer_id,
        set_supplement,
        supplement_reason,
        supplement_due_at,
        changes.decision_reason,
        changes.registration_number,
        announcement_starts_at,
        announcement_ends_at,
        changes.certificate_number,
        changes.refusal_grounds.as_deref() as Option<&[RefusalGround]>,
    )
    .fetch_optional(&mut *conn)
    .await?;
    reread(conn, moved).await
}

/// One application's move in [`transition_each`].
#[derive(Debug, Clone)]
pub struct Move<'a> {
    pub id: Uuid,
    pub from: ApplicationState,
    pub to: ApplicationState,
    pub changes: &'a TransitionChanges,
}

/// [`transition`] for many applications in one statement: each moves only
/// if it is still in its `from`. Returns the ids that moved.
pub async fn transition_each(
    conn: &mut PgConnection,
    moves: &[Move<'_>],
    now: DateTime<Utc>,
) -> sqlx::Result<Vec<Uuid>> {
    let n = moves.len();
    let (mut ids, mut from, mut to) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut submitted_at, mut application_number, mut reviewer_id) = (Vec::new(), Vec::new(), Vec::new());
    let (mut set_supplement, mut supplement_reason, mut supplement_due_at) = (Vec::new(), Vec::new(), Vec::new());
    let (mut decision_reason, mut registration_number) = (Vec::new(), Vec::new());
    let (mut starts_at, mut ends_at, mut certificate_number) = (Vec::new(), Vec::new(), Vec::new());
    let mut refusal_grounds = Vec::new();
    for Move { id, from: was, to: becomes, changes } in moves {
        ids.push(*id);
        from.push(*was);
        to.push(*becomes);
        submitted_at.push(changes.submitted_at);
        application_number.push(changes.application_number.as_deref());
        reviewer_id.push(changes.reviewer_id);
        set_supplement.push(changes.supplement.is_some());
        let (reason, due) = changes.supplement.clone().flatten().unzip();
        supplement_reason.push(reason);
        supplement_due_at.push(due);
        decision_reason.push(changes.decision_reason.as_deref());
        registration_number.push(changes.registration_number.as_deref());
        let (starts, ends) = changes.announcement.unzip();
        starts_at.push(starts);
        ends_at.push(ends);
        certificate_number.push(changes.certificate_number.as_deref());
        // Arrays of arrays cannot be unnested row by row: each row's grounds travel as a JSON array.
        refusal_grounds.push(changes.refusal_grounds.as_ref().map(Json));
    }
    sqlx::query_scalar!(
        r#"UPDATE applications a SET
                state = t.to_state, version = a.version + 1, updated_at = $1,
                submitted_at = COALESCE(t.submitted_at, a.submitted_at),
                application_number = COALESCE(a.application_number, t.application_number),
                reviewer_id = COALESCE(t.reviewer_id, a.reviewer_id),
                supplement_reason = CASE WHEN t.set_supplement THEN t.supplement_reason ELSE a.supplement_reason END,
                supplement_due_at = CASE WHEN t.set_supplement THEN t.supplement_due_at ELSE a.supplement_due_at END,
                decision_reason = COALESCE(t.decision_reason, a.decision_reason),
                registration_number = COALESCE(a.registration_number, t.registration_number),
                announcement_starts_at = COALESCE(t.starts_at, a.announcement_starts_at),
                announcement_ends_at = COALESCE(t.ends_at, a.announcement_ends_at),
                certificate_number = COALESCE(a.certificate_number, t.certificate_number),
                refusal_grounds = COALESCE(
                    (SELECT array_agg(g::refusal_ground ORDER BY n)
                     FROM jsonb_array_elements_text(t.refusal_grounds) WITH ORDINALITY AS e(g, n)),
                    CASE WHEN t.refusal_grounds IS NOT NULL THEN '{}'::refusal_ground[] END,
                    a.refusal_grounds)
           FROM UNNEST($2::uuid[], $3::application_state[], $4::application_state[], $5::timestamptz[], $6::text[],
                       $7::uuid[], $8::bool[], $9::text[], $10::timestamptz[], $11::text[], $12::text[],
                       $13::timestamptz[], $14::timestamptz[], $15::text[], $16::jsonb[])
                AS t(id, from_state, to_state, submitted_at, application_number, reviewer_id, set_supplement,
                     supplement_reason, supplement_due_at, decision_reason, registration_number, starts_at, ends_at,
                     certificate_number, refusal_grounds)
           WHERE a.id = t.id AND a.state = t.from_state
           RETURNING a.id"#,
        now,
        &ids,
        &from as &[ApplicationState],
        &to as &[ApplicationState],
        &submitted_at as &[Option<DateTime<Utc>>],
        &application_number as &[Option<&str>],
        &reviewer_id as &[Option<Uuid>],
        &set_supplement,
        &supplement_reason as &[Option<String>],
        &supplement_due_at as &[Option<DateTime<Utc>>],
        &decision_reason as &[Option<&str>],
        &registration_number as &[Option<&str>],
        &starts_at as &[Option<DateTime<Utc>>],
        &ends_at as &[Option<DateTime<Utc>>],
        &certificate_number as &[Option<&str>],
        &refusal_grounds as &[Option<Json<&Vec<RefusalGround>>>],
    )
    .fetch_all(conn)
    .await
}

/// Applications by id, in any order; ids not found are left out.
pub async fn find_each(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<ApplicationRow>> {
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, org_id, state AS "state: ApplicationState", version, product_name,
                category AS "category: Category", abstract AS "abstract",
                data_sources AS "data_sources: Json<Vec<DataSource>>", data_format, data_scale, update_frequency,
                application_number, registration_number, submitted_at, reviewer_id,
                supplement_reason, supplement_due_at, decision_reason,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", announcement_starts_at,
                announcement_ends_at, certificate_number, created_at, updated_at
           FROM applications WHERE id = ANY($1)"#,
        ids
    )
    .fetch_all(conn)
    .await
}

/// Applications whose announcement window has closed, the earliest closed
/// first, locked for this worker and skipped by any other.
// `LIMIT (SELECT $2)`: a limit the planner cannot read makes it plan for a
// tenth of the rows, i.e. walk the index in order and stop. With the
// number in sight and no statistics it believes a few hundred rows are
// due, and for a batch larger than that it reads, sorts and discards every
// due row on each batch: quadratic in the backlog.
pub async fn lock_due_announcements(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<ApplicationRow>> {
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, org_id, state AS "state: ApplicationState", version, product_name,
                category AS "category: Category", abstract AS "abstract",
                data_sources AS "data_sources: Json<Vec<DataSource>>", data_format, data_scale, update_frequency,
                application_number, registration_number, submitted_at, reviewer_id,
                supplement_reason, supplement_due_at, decision_reason,
                refusal_grounds AS "refusal_grounds: Vec<RefusalGround>", announcement_starts_at,
                announcement_ends_at, certificate_number, created_at, updated_at
           FROM applications
           WHERE state = 'in_announcement' AND announcement_ends_at <= $1
           ORDER BY announcement_ends_at LIMIT (SELECT $2::bigint) FOR UPDATE SKIP LOCKED"#,
        now,
        limit
    )
    .fetch_all(conn)
    .await
}

/// The row a write just changed (writes return only the id, so that the
/// column list lives in the reads).
async fn reread(conn: &mut PgConnection, id: Option<Uuid>) -> sqlx::Result<Option<ApplicationRow>> {
    match id {
        Some(id) => find(conn, id).await,
        None => Ok(None),
    }
}

/// Draws the next application number: the year and a never-reused serial.
pub async fn next_application_number(conn: &mut PgConnection, year: i32) -> sqlx::Result<String> {
    let serial =
        sqlx::query_scalar!(r#"SELECT nextval('application_number_seq') AS "serial!""#).fetch_one(conn).await?;
    Ok(format!("{year}-{serial:06}"))
}

/// Draws the next registration serial.
pub async fn next_registration_serial(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT nextval('registration_serial_seq') AS "serial!""#).fetch_one(conn).await
}

/// Supplement requests whose deadline has passed, locked for this worker and
/// skipped by any other.
pub async fn lock_lapsed_supplements(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM applications
         WHERE state = 'supplement_requested' AND supplement_due_at <= $1
         ORDER BY supplement_due_at LIMIT $2
         FOR UPDATE SKIP LOCKED",
        now,
        limit
    )
    .fetch_all(conn)
    .await
}

/// The application if it belongs to the organization, locked until the
/// transaction ends.
pub async fn find_in_org_for_update(
    conn: &mut PgConnection,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ApplicationRow>> {
    let locked =
        sqlx::query_scalar!("SELECT id FROM applications WHERE id = $1 AND org_id = $2 FOR UPDATE", id, org_id)
            .fetch_optional(&mut *conn)
            .await?;
    reread(conn, locked).await
}

/// The application, locked until the transaction ends.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<ApplicationRow>> {
    let locked = sqlx::query_scalar!("SELECT id FROM applications WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?;
    reread(conn, locked).await
}

/// The organization's applications in draft, counted up to `limit`.
pub async fn count_drafts(conn: &mut PgConnection, org_id: Uuid, limit: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (
             SELECT 1 FROM applications WHERE org_id = $1 AND state = 'draft' LIMIT $2
           ) AS drafts"#,
        org_id,
        limit
    )
    .fetch_one(conn)
    .await
}
