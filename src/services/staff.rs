//! Registry staff: reviewers and admins, created by an admin or from the
//! command line.

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    Fields, Result,
    accounts::{self, NewAccount, UserView},
};
use crate::{
    db,
    domain::StaffRole,
    pagination::{Page, PageRequest},
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
pub struct NewStaff {
    #[serde(flatten)]
    pub account: NewAccount,
    pub role: StaffRole,
}

#[tracing::instrument(skip_all, fields(role = ?request.role))]
pub async fn add(state: &AppState, request: NewStaff) -> Result<UserView> {
    let mut fields = Fields::new();
    let account = request.account.parse(&mut fields, "").ok_or_else(|| fields.into_error())?;
    let account = account.hash(state).await?;
    let mut conn = state.db.acquire().await?;
    let user = accounts::insert_user(&mut conn, account, request.role.into(), None, state.clock.now()).await?;
    tracing::info!(user_id = %user.id, "staff member added");
    Ok(user.into())
}

pub async fn list(state: &AppState, page: PageRequest<Uuid>) -> Result<Page<UserView>> {
    let mut conn = state.db.acquire().await?;
    let rows = db::users::list_staff(&mut conn, page.after, page.fetch_limit()).await?;
    Ok(page.page(rows, |row| row.id, UserView::from))
}
