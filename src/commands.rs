//! What each subcommand of the `dataip` binary does.

use std::{io::BufRead, sync::Arc};

use anyhow::Context;

use crate::{
    clock::SystemClock,
    config::Config,
    db,
    domain::StaffRole,
    jobs::Worker,
    services::{self, accounts::NewAccount, staff::NewStaff},
    startup::{Application, shutdown_on_signal},
    state::AppState,
};

/// `dataip serve`: the API and the worker.
pub async fn serve(config: Config) -> anyhow::Result<()> {
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
    let pool = db::prepare(&config).await?;
    let state = AppState::new(config, pool, Arc::new(SystemClock))?;
    Worker::new(state).run(shutdown_on_signal()).await;
    Ok(())
}

/// `dataip staff add`: creates a reviewer or admin, the password read as one
/// line from standard input.
pub async fn staff_add(config: Config, email: String, name: String, role: StaffRole) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("could not read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let pool = db::prepare(&config).await?;
    let state = AppState::new(config, pool, Arc::new(SystemClock))?;
    let request = NewStaff { account: NewAccount { email, password, display_name: name }, role };
    match services::staff::add(&state, request).await {
        Ok(user) => {
            println!("added {:?} {} ({})", user.role, user.email, user.id);
            Ok(())
        }
        Err(services::Error::Validation(errors)) => {
            let problems: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            anyhow::bail!("{}", problems.join("; "))
        }
        Err(error) => Err(anyhow::anyhow!("{error}")),
    }
}

/// `dataip verify`: offline certificate verification, which needs the
/// ledger.
pub fn verify() -> anyhow::Result<()> {
    anyhow::bail!("not yet available: certificate verification arrives with the ledger")
}
