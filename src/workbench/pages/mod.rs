//! The workbench's pages, one module per task; each module routes its own
//! addresses (`routes`, and `upload_routes` for forms that send a file).

mod account;
mod application;
mod application_form;
mod certificates;
mod confirmations;
mod dashboard;
mod integrations;
mod party;
pub mod sign_in;

use axum::{Router, routing::get};

use crate::state::AppState;

/// Pages and plain forms.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(sign_in::show).post(sign_in::sign_in))
        .route("/logout", get(sign_in::logout_page).post(sign_in::logout))
        .route("/workbench", get(dashboard::show))
        .merge(account::routes())
        .merge(application_form::routes())
        .merge(application::routes())
        .merge(certificates::routes())
        .merge(confirmations::routes())
        .merge(party::routes())
        .merge(integrations::routes())
}

/// Forms that upload a file (materials, identity documents), under the
/// upload's limits.
pub fn upload_routes() -> Router<AppState> {
    Router::new().merge(application::upload_routes()).merge(party::upload_routes()).merge(certificates::upload_routes())
}
