//! What each subcommand of the `dataip` binary does.

mod demo;
mod ledger;
mod org;
mod staff;
mod user;
mod verify;
mod witness;

use std::sync::Arc;

pub use self::{
    demo::demo,
    ledger::{MonitorOptions, audit, export as ledger_export, monitor as ledger_monitor},
    org::verify as org_verify,
    staff::{add as staff_add, list as staff_list, set_disabled as staff_set_disabled},
    user::reset_password,
    verify::{Verifiable, verify, verify_proof},
    witness::{WitnessOptions, witness},
};
use crate::{
    clock::SystemClock,
    config::Config,
    db,
    jobs::Worker,
    services,
    startup::{Application, shutdown_on_signal},
    state::AppState,
};

/// Says where the configuration came from, so that an operator can tell
/// which file and which data directory a process is using.
pub fn log_configuration(config: &Config) {
    let file = config.sources.file.as_ref().map(|file| file.display().to_string());
    let data_dir = std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    tracing::info!(
        environment = config.environment.as_str(),
        config_dir = %config.sources.config_dir.display(),
        file = file.as_deref().unwrap_or("none (built-in defaults and environment only)"),
        data_dir = %data_dir.display(),
        "configuration read"
    );
}

/// `dataip serve`: the API and the worker (on a private PostgreSQL when
/// development has no database; see `db::embedded`).
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    let _postgres = db::embedded::start_if_needed(&mut config).await?;
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    app.run_until_stopped(shutdown_on_signal()).await
}

/// `dataip migrate`: create the database if needed and apply migrations.
pub async fn migrate(config: Config) -> anyhow::Result<()> {
    let pool = db::prepare(&config).await?;
    let applied = db::MIGRATOR.iter().count();
    pool.close().await;
    println!("database is up to date ({applied} migrations)");
    Ok(())
}

/// `dataip worker`: only the background worker (run several for capacity).
pub async fn worker(config: Config) -> anyhow::Result<()> {
    let state = state(config).await?;
    services::transparency::ledger::check_signing_key(&state).await?;
    Worker::new(state).run(shutdown_on_signal()).await;
    Ok(())
}

/// The application state over a prepared database, for one-off commands.
async fn state(mut config: Config) -> anyhow::Result<AppState> {
    let pool = db::prepare(&config).await?;
    adopt_stored_origin(&mut config, &pool).await?;
    AppState::new(config, pool, Arc::new(SystemClock))
}

/// With no `ledger.origin` configured, a command that does not serve takes
/// the origin the ledger was started under (the server's derives from the
/// address it serves).
async fn adopt_stored_origin(config: &mut Config, pool: &sqlx::PgPool) -> anyhow::Result<()> {
    if config.ledger.origin.is_empty() {
        let mut conn = pool.acquire().await?;
        if let Some(latest) = db::ledger::latest_checkpoint(&mut conn).await? {
            config.ledger.origin = latest.note.lines().next().unwrap_or_default().to_owned();
        }
    }
    Ok(())
}

/// A use-case's error as a command prints it: every field problem at once.
fn service_error(error: services::Error) -> anyhow::Error {
    match error {
        services::Error::Validation(errors) => {
            let problems: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow::anyhow!("{}", problems.join("; "))
        }
        error => anyhow::anyhow!("{error}"),
    }
}
