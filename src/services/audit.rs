//! The audit log: every action of registry staff and operators, written in
//! the transaction of the action itself (so there is never an action
//! without its row, nor a row without its action), append-only (the table
//! refuses updates and deletes), listed and exported by admins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::Result;
use crate::{
    db::{
        self,
        audit_log::{AuditFilter, AuditRow, NewAuditRow},
    },
    domain::AuditAction,
    pagination::{Page, PageRequest},
    state::AppState,
};

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditActor {
    /// A reviewer or admin, through the API.
    Staff(Uuid),
    /// An operator, through `dataip` on the command line.
    Cli,
}

/// One action, on one record (of the kind `action.target()`).
pub struct Audit {
    pub action: AuditAction,
    pub target_id: Uuid,
    /// The record's relevant fields before and after the action.
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Records `audit` in the caller's transaction.
pub async fn record(conn: &mut PgConnection, actor: AuditActor, at: DateTime<Utc>, audit: Audit) -> Result<()> {
    let (actor, actor_id) = match actor {
        AuditActor::Staff(id) => ("staff", Some(id)),
        AuditActor::Cli => ("cli", None),
    };
    let row = NewAuditRow {
        at,
        actor,
        actor_id,
        action: audit.action,
        target_type: audit.action.target(),
        target_id: audit.target_id,
        before: audit.before,
        after: audit.after,
    };
    Ok(db::audit_log::insert(conn, &row).await?)
}

/// The filters of `GET /admin/audit`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only actions of this staff member.
    pub actor_id: Option<Uuid>,
    /// Only this action (`application.approve`, ...).
    #[param(max_length = 100, pattern = r"^[a-z_.]+$")]
    pub action: Option<String>,
    /// Only actions on this record.
    pub target_id: Option<Uuid>,
    /// From this time on.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
}

impl AuditQuery {
    fn filter(self) -> AuditFilter {
        AuditFilter {
            actor_id: self.actor_id,
            action: self.action,
            target_id: self.target_id,
            since: self.since,
            until: self.until,
        }
    }
}

/// One row of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `staff` (then `actor_id` names them) or `cli`.
    pub actor: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    /// `application`, `objection`, `act`, `certificate`, `user`, `organization`.
    pub target_type: String,
    pub target_id: Uuid,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl From<AuditRow> for AuditEntryView {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: row.at,
            actor: row.actor,
            actor_id: row.actor_id,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            before: row.before,
            after: row.after,
        }
    }
}

/// A page of the log, newest first (the cursor is the last row's id).
pub async fn list(state: &AppState, query: AuditQuery, page: PageRequest<i64>) -> Result<Page<AuditEntryView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::audit_log::list(&mut conn, &query.filter(), page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, AuditEntryView::from))
}

/// Most rows one export holds; narrow the filter (`since`, `until`) for more.
pub const EXPORT_LIMIT: i64 = 100_000;

/// The log as CSV (RFC 4180), newest first.
pub async fn export_csv(state: &AppState, query: AuditQuery) -> Result<Vec<u8>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::audit_log::list(&mut conn, &query.filter(), None, EXPORT_LIMIT).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = ["id", "at", "actor", "actor_id", "action", "target_type", "target_id", "before", "after"];
    let write = |writer: &mut csv::Writer<Vec<u8>>, record: Vec<String>| {
        writer.write_record(record.iter().map(|cell| spreadsheet_safe(cell))).map_err(anyhow::Error::from)
    };
    write(&mut writer, header.iter().map(|cell| (*cell).to_owned()).collect())?;
    for row in rows {
        let json = |value: &Option<Value>| value.as_ref().map(Value::to_string).unwrap_or_default();
        write(
            &mut writer,
            vec![
                row.id.to_string(),
                row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                row.actor,
                row.actor_id.map(|id| id.to_string()).unwrap_or_default(),
                row.action,
                row.target_type,
                row.target_id.to_string(),
                json(&row.before),
                json(&row.after),
            ],
        )?;
    }
    Ok(writer.into_inner().map_err(|error| anyhow::anyhow!("{error}"))?)
}

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a
/// leading tab or carriage return) gets a leading apostrophe, as OWASP
/// advises against CSV injection; the text stays readable.
fn spreadsheet_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_are_defused() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("-2"), "'-2");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("\tx"), "'\tx");
        assert_eq!(spreadsheet_safe("application.approve"), "application.approve");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
