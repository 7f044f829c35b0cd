use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct OrganizationRow {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut PgConnection, org: &OrganizationRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO organizations (id, name, credit_code, created_at) VALUES ($1, $2, $3, $4)",
        org.id,
        org.name,
        org.credit_code,
        org.created_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrganizationRow>> {
    sqlx::query_as!(OrganizationRow, "SELECT id, name, credit_code, created_at FROM organizations WHERE id = $1", id)
        .fetch_optional(conn)
        .await
}

pub async fn find_by_credit_code(conn: &mut PgConnection, credit_code: &str) -> sqlx::Result<Option<OrganizationRow>> {
    sqlx::query_as!(
        OrganizationRow,
        "SELECT id, name, credit_code, created_at FROM organizations WHERE credit_code = $1",
        credit_code
    )
    .fetch_optional(conn)
    .await
}

/// Locks the organization's row until the transaction ends: changes that
/// check one of its quotas take their turn.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("SELECT id FROM organizations WHERE id = $1 FOR UPDATE", id).fetch_optional(conn).await?;
    Ok(())
}
