use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, types::Json};
use uuid::Uuid;

use crate::domain::{Category, CertificateDocument, CertificateStatus, DataSource, PartyKind, normalized_product_name};
use tlog::signing::Signature;
use tlog::{Receipt, commitment::Openings};

#[derive(Debug, Clone)]
pub struct CertificateRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub application_id: Uuid,
    pub certificate_number: String,
    pub registration_number: String,
    pub product_name: String,
    pub category: Category,
    pub r#abstract: String,
    pub status: CertificateStatus,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The signed issuance record.
    pub document: Json<CertificateDocument>,
    pub signature: Json<Signature>,
    /// The receipt of the issuance entry, once appended to the ledger.
    pub ledger: Option<Json<Receipt>>,
    pub issued_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    /// The data sources as the register holds them now (a change act may
    /// extend an agreement).
    pub data_sources: Json<Vec<DataSource>>,
    /// The day the data-source agreement that set the current `valid_until`
    /// ends, when one did.
    pub validity_bound: Option<NaiveDate>,
}

/// A certificate with its current holder's name, for public records.
#[derive(Debug, Clone)]
pub struct PublicCertificateRow {
    pub certificate: CertificateRow,
    pub holder_kind: PartyKind,
    pub holder_name: String,
    /// The holder's credit code, when it is an organization.
    pub holder_credit_code: Option<String>,
    /// Whether registry staff have verified the holder.
    pub holder_verified: bool,
}

/// Stores a new certificate; false if the application has one already.
pub async fn insert(conn: &mut PgConnection, row: &CertificateRow) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO certificates (id, org_id, application_id, certificate_number, registration_number, product_name,
             category, abstract, status, valid_from, valid_until, document, signature, ledger, issued_at,
             status_changed_at, normalized_product_name, data_sources, validity_bound)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT (application_id) DO NOTHING",
        row.id,
        row.org_id,
        row.application_id,
        row.certificate_number,
        row.registration_number,
        row.product_name,
        row.category as Category,
        row.r#abstract,
        row.status as CertificateStatus,
        row.valid_from,
        row.valid_until,
        &row.document as _,
        &row.signature as _,
        &row.ledger as _,
        row.issued_at,
        row.status_changed_at,
        normalized_product_name(&row.product_name),
        &row.data_sources as _,
        row.validity_bound,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// [`insert`] for many certificates in one statement, in the order given.
/// Returns the applications whose certificate was stored; the others had
/// one already.
pub async fn insert_each(conn: &mut PgConnection, rows: &[CertificateRow]) -> sqlx::Result<Vec<Uuid>> {
    let n = rows.len();
    let mut ids = Vec::with_capacity(n);
    let mut org_ids = Vec::with_capacity(n);
    let mut application_ids = Vec::with_capacity(n);
    let mut numbers = Vec::with_capacity(n);
    let mut registration_numbers = Vec::with_capacity(n);
    let mut product_names = Vec::with_capacity(n);
    let mut normalized_names = Vec::with_capacity(n);
    let mut categories = Vec::with_capacity(n);
    let mut abstracts = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut valid_from = Vec::with_capacity(n);
    let mut valid_until = Vec::with_capacity(n);
    let mut documents = Vec::with_capacity(n);
    let mut signatures = Vec::with_capacity(n);
    let mut ledgers = Vec::with_capacity(n);
    let mut issued_at = Vec::with_capacity(n);
    let mut status_changed_at = Vec::with_capacity(n);
    let mut data_sources = Vec::with_capacity(n);
    let mut validity_bounds = Vec::with_capacity(n);
    for row in rows {
        ids.push(row.id);
        org_ids.push(row.org_id);
        application_ids.push(row.application_id);
        numbers.push(row.certificate_number.as_str());
        registration_numbers.push(row.registration_number.as_str());
        product_names.push(row.product_name.as_str());
        normalized_names.push(normalized_product_name(&row.product_name));
        categories.push(row.category);
        abstracts.push(row.r#abstract.as_str());
        statuses.push(row.status);
        valid_from.push(row.valid_from);
        valid_until.push(row.valid_until);
        documents.push(Json(&row.document.0));
        signatures.push(Json(&row.signature.0));
        ledgers.push(row.ledger.as_ref().map(|receipt| Json(&receipt.0)));
        issued_at.push(row.issued_at);
        status_changed_at.push(row.status_changed_at);
        data_sources.push(Json(&row.data_sources.0));
        validity_bounds.push(row.validity_bound);
    }
    sqlx::query_scalar!(
        r#"INSERT INTO certificates (id, org_id, application_id, certificate_number, registration_number,
               product_name, category, abstract, status, valid_from, valid_until, document, signature, ledger,
               issued_at, status_changed_at, normalized_product_name, data_sources, validity_bound)
           SELECT t.id, t.org_id, t.application_id, t.certificate_number, t.registration_number, t.product_name,
                  t.category, t.abstract, t.status, t.valid_from, t.valid_until, t.document, t.signature, t.ledger,
                  t.issued_at, t.status_changed_at, t.normalized_product_name, t.data_sources, t.validity_bound
           FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                       $7::product_category[], $8::text[], $9::certificate_status[], $10::timestamptz[],
                       $11::timestamptz[], $12::jsonb[], $13::jsonb[], $14::jsonb[], $15::timestamptz[],
                       $16::timestamptz[], $17::text[], $18::jsonb[], $19::date[])
                WITH ORDINALITY
                AS t(id, org_id, application_id, certificate_number, registration_number, product_name, category,
                     abstract, status, valid_from, valid_until, document, signature, ledger, issued_at,
                     status_changed_at, normalized_product_name, data_sources, validity_bound, n)
           ORDER BY t.n
           ON CONFLICT (application_id) DO NOTHING
           RETURNING application_id"#,
        &ids,
        &org_ids,
        &application_ids,
        &numbers as &[&str],
        &registration_numbers as &[&str],
        &product_names as &[&str],
        &categories as &[Category],
        &abstracts as &[&str],
        &statuses as &[CertificateStatus],
        &valid_from,
        &valid_until,
        &documents as &[Json<&CertificateDocument>],
        &signatures as &[Json<&Signature>],
        &ledgers as &[Option<Json<&Receipt>>],
        &issued_at,
        &status_changed_at,
        &normalized_names,
        &data_sources as &[Json<&Vec<DataSource>>],
        &validity_bounds as &[Option<NaiveDate>],
    )
    .fetch_all(conn)
    .await
}

/// The certificate numbers of applications that have one.
pub async fn numbers_of_applications(
    conn: &mut PgConnection,
    application_ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "SELECT application_id, certificate_number FROM certificates WHERE application_id = ANY($1)",
        application_ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.application_id, r.certificate_number)).collect())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<CertificateRow>> {
    sqlx::query_as!(
        CertificateRow,
        r#"SELECT id, org_id, application_id, certificate_number, registration_number, product_name,
                category AS "category: Category", abstract AS "abstract", status AS "status: CertificateStatus",
                valid_from, valid_until, document AS "document: Json<CertificateDocument>",
                signature AS "signature: Json<Signature>", ledger AS "ledger: Json<Receipt>", issued_at,
                status_changed_at, data_sources AS "data_sources: Json<Vec<DataSource>>", validity_bound
           FROM certificates WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn find_for_application(
    conn: &mut PgConnection,
    application_id: Uuid,
) -> sqlx::Result<Option<CertificateRow>> {
    let id = sqlx::query_scalar!("SELECT id FROM certificates WHERE application_id = $1", application_id)
        .fetch_optional(&mut *conn)
        .await?;
    match id {
        Some(id) => find(conn, id).await,
        None => Ok(None),
    }
}

/// One page of an organization's certificates, newest first.
pub async fn list_in_org(
    conn: &mut PgConnection,
    org_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> sqlx::Result<Vec<CertificateRow>> {
    sqlx::query_as!(
        CertificateRow,
        r#"SELECT id, org_id, application_id, certificate_number, registration_number, product_name,
                category AS "category: Category", abstract AS "abstract", status AS "status: CertificateStatus",
                valid_from, valid_until, document AS "document: Json<CertificateDocument>",
                signature AS "signature: Json<Signature>", ledger AS "ledger: Json<Receipt>", issued_at,
                status_changed_at, data_sources AS "data_sources: Json<Vec<DataSource>>", validity_bound
           FROM certificates WHERE org_id = $1 AND ($2::uuid IS NULL OR id < $2)
           ORDER BY id DESC LIMIT $3"#,
        org_id,
        before,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Stores the openings of certificate documents' commitments.
pub async fn insert_openings(conn: &mut PgConnection, openings: &[(Uuid, Openings)]) -> sqlx::Result<()> {
    if openings.is_empty() {
        return Ok(());
    }
    let (ids, openings): (Vec<Uuid>, Vec<Json<&Openings>>) = openings.iter().map(|(id, o)| (*id, Json(o))).unzip();
    sqlx::query!(
        "INSERT INTO certificate_openings (certificate_id, openings)
         SELECT * FROM unnest($1::uuid[], $2::jsonb[])",
        &ids,
        &openings as &[Json<&Openings>],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The openings of a certificate document's commitments; empty when it has
/// none (an organization's).
pub async fn openings(conn: &mut PgConnection, certificate_id: Uuid) -> sqlx::Result<Openings> {
    let row = sqlx::query_scalar!(
        r#"SELECT openings AS "openings: Json<Openings>" FROM certificate_openings WHERE certificate_id = $1"#,
        certificate_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|Json(openings)| openings).unwrap_or_default())
}

/// The public record of a certificate by its number.
pub async fn find_public(conn: &mut PgConnection, number: &str) -> sqlx::Result<Option<PublicCertificateRow>> {
    let row = sqlx::query!(
        r#"SELECT c.id, o.kind AS "holder_kind: PartyKind", o.name AS holder_name, o.credit_code AS holder_credit_code,
                o.verification = 'verified' AS "holder_verified!"
           FROM certificates c JOIN organizations o ON o.id = c.org_id
           WHERE c.certificate_number = $1"#,
        number
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(find(conn, row.id).await?.map(|certificate| PublicCertificateRow {
        certificate,
        holder_kind: row.holder_kind,
        holder_name: row.holder_name,
        holder_credit_code: row.holder_credit_code,
        holder_verified: row.holder_verified,
    }))
}

/// One page of the public register, newest first, whose product name,
/// abstract or holder name hold every one of `patterns` (ILIKE).
pub async fn search_public(
    conn: &mut PgConnection,
    category: Option<Category>,
    status: Option<CertificateStatus>,
    patterns: Option<&[String]>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<PublicCertificateRow>> {
    let (before_at, before_id) = before.unzip();
    let rows = sqlx::query!(
        r#"SELECT c.id, c.org_id, c.application_id, c.certificate_number, c.registration_number, c.product_name,
                c.category AS "category: Category", c.abstract AS "abstract",
                c.status AS "status: CertificateStatus", c.valid_from, c.valid_until,
                c.document AS "document: Json<CertificateDocument>", c.signature AS "signature: Json<Signature>",
                c.ledger AS "ledger: Json<Receipt>", c.issued_at, c.status_changed_at,
                c.data_sources AS "data_sources: Json<Vec<DataSource>>", c.validity_bound,
                o.kind AS "holder_kind: PartyKind", o.name AS holder_name, o.credit_code AS holder_credit_code,
                o.verification = 'verified' AS "holder_verified!"
           FROM certificates c JOIN organizations o ON o.id = c.org_id
           WHERE ($1::product_category IS NULL OR c.category = $1)
             AND ($2::text[] IS NULL OR NOT EXISTS (
                  SELECT FROM unnest($2) AS p(pattern)
                  WHERE NOT (c.product_name ILIKE pattern OR c.abstract ILIKE pattern OR o.name ILIKE pattern)))
             AND ($3::timestamptz IS NULL OR (c.issued_at, c.id) < ($3, $4::uuid))
             AND ($6::certificate_status IS NULL OR c.status = $6)
           ORDER BY c.issued_at DESC, c.id DESC LIMIT $5"#,
        category as Option<Category>,
        patterns,
        before_at,
        before_id,
        limit,
        status as Option<CertificateStatus>
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PublicCertificateRow {
            certificate: CertificateRow {
                id: r.id,
                org_id: r.org_id,
                application_id: r.application_id,
                certificate_number: r.certificate_number,
                registration_number: r.registration_number,
                product_name: r.product_name,
                category: r.category,
                r#abstract: r.r#abstract,
                status: r.status,
                valid_from: r.valid_from,
                valid_until: r.valid_until,
                document: r.document,
                signature: r.signature,
                ledger: r.ledger,
                issued_at: r.issued_at,
                status_changed_at: r.status_changed_at,
                data_sources: r.data_sources,
                validity_bound: r.validity_bound,
            },
            holder_kind: r.holder_kind,
            holder_name: r.holder_name,
            holder_credit_code: r.holder_credit_code,
            holder_verified: r.holder_verified,
        })
        .collect())
}

pub async fn next_serial(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT nextval('certificate_serial_seq') AS "serial!""#).fetch_one(conn).await
}

/// `count` serials at once, ascending.
pub async fn next_serials(conn: &mut PgConnection, count: usize) -> sqlx::Result<Vec<i64>> {
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    let mut serials = sqlx::query_scalar!(
        r#"SELECT nextval('certificate_serial_seq') AS "serial!" FROM generate_series(1, $1::int)"#,
        count
    )
    .fetch_all(conn)
    .await?;
    // Drawn in order; sorted all the same, should another worker's draws interleave.
    serials.sort_unstable();
    Ok(serials)
}

/// Active certificates whose validity has ended, locked for this worker and
/// skipped by any other.
pub async fn lock_due_expiries(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT id FROM certificates WHERE status = 'active' AND valid_until <= $1
         ORDER BY valid_until LIMIT $2 FOR UPDATE SKIP LOCKED",
        now,
        limit
    )
    .fetch_all(conn)
    .await
}

pub struct ExpiredRow {
    pub certificate_number: String,
    pub valid_until: DateTime<Utc>,
}

/// Marks the certificates expired (those still active and due).
pub async fn expire(conn: &mut PgConnection, ids: &[Uuid], now: DateTime<Utc>) -> sqlx::Result<Vec<ExpiredRow>> {
    sqlx::query_as!(
        ExpiredRow,
        "UPDATE certificates SET status = 'expired', status_changed_at = $2
         WHERE id = ANY($1) AND status = 'active' AND valid_until <= $2
         RETURNING certificate_number, valid_until",
        ids,
        now
    )
    .fetch_all(conn)
    .await
}

/// The certificate, locked until the transaction ends.
pub async fn find_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<CertificateRow>> {
    let locked = sqlx::query_scalar!("SELECT id FROM certificates WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(&mut *conn)
        .await?;
    match locked {
        Some(id) => find(conn, id).await,
        None => Ok(None),
    }
}

/// What later acts may change about a certificate.
#[derive(Debug, Clone)]
pub struct Register {
    pub status: CertificateStatus,
    pub org_id: Uuid,
    pub product_name: String,
    pub r#abstract: String,
    pub valid_until: DateTime<Utc>,
    pub data_sources: Json<Vec<DataSource>>,
    pub validity_bound: Option<NaiveDate>,
}

impl CertificateRow {
    pub fn register(&self) -> Register {
        Register {
            status: self.status,
            org_id: self.org_id,
            product_name: self.product_name.clone(),
            r#abstract: self.r#abstract.clone(),
            valid_until: self.valid_until,
            data_sources: self.data_sources.clone(),
            validity_bound: self.validity_bound,
        }
    }
}

/// Changes an active certificate's current state; false if it is no longer active.
pub async fn update_active(
    conn: &mut PgConnection,
    id: Uuid,
    register: &Register,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE certificates SET status = $2, org_id = $3, product_name = $4, abstract = $5, valid_until = $6,
             status_changed_at = CASE WHEN status = $2 THEN status_changed_at ELSE $7 END,
             normalized_product_name = $8, data_sources = $9, validity_bound = $10
         WHERE id = $1 AND status = 'active'",
        id,
        register.status as CertificateStatus,
        register.org_id,
        register.product_name,
        register.r#abstract,
        register.valid_until,
        now,
        normalized_product_name(&register.product_name),
        &register.data_sources as _,
        register.validity_bound,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Certificates valid now.
pub async fn count_active(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM certificates WHERE status = 'active'"#)
        .fetch_one(conn)
        .await
}

/// How many certificates the register holds, whatever their status.
pub async fn count(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM certificates"#).fetch_one(conn).await
}

/// Certificates' numbers and when each record last changed, in number
/// order, `limit` of them past the first `offset`: one part of the
/// sitemap. New certificates come last, so earlier parts stay as they are.
pub async fn numbers(conn: &mut PgConnection, offset: i64, limit: i64) -> sqlx::Result<Vec<(String, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        "SELECT certificate_number, status_changed_at FROM certificates ORDER BY certificate_number OFFSET $1 LIMIT $2",
        offset,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.certificate_number, r.status_changed_at)).collect())
}

/// A certificate's latest change, as the gazette's feed tells it.
#[derive(Debug, Clone)]
pub struct ChangeRow {
    pub certificate_number: String,
    pub product_name: String,
    pub category: Category,
    pub holder_name: String,
    pub status: CertificateStatus,
    pub issued_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
}

/// The certificates whose status changed last (issuance included), latest
/// first.
pub async fn recent_changes(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<ChangeRow>> {
    sqlx::query_as!(
        ChangeRow,
        r#"SELECT c.certificate_number, c.product_name, c.category AS "category: Category", o.name AS holder_name,
                c.status AS "status: CertificateStatus", c.issued_at, c.status_changed_at
           FROM certificates c JOIN organizations o ON o.id = c.org_id
           ORDER BY c.status_changed_at DESC, c.id DESC LIMIT $1"#,
        limit
    )
    .fetch_all(conn)
    .await
}
