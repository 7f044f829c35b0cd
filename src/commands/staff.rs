//! `dataip staff …`: registry staff, managed from the command line.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

use super::{service_error, state};
use crate::{
    config::Config,
    domain::StaffRole,
    services::{self, accounts::staff::NewStaff},
};

/// `dataip staff add`: creates a reviewer or admin. On a terminal the
/// password is asked for twice, hidden; otherwise it is read as one line
/// from standard input (scripts pipe it in).
pub async fn add(config: Config, email: String, name: String, role: StaffRole) -> anyhow::Result<()> {
    let password = if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("Password for {email} (at least 10 characters): "))?;
        let again = rpassword::prompt_password("The same password again: ")?;
        anyhow::ensure!(password == again, "the two passwords differ");
        password
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("could not read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    let state = state(config).await?;
    let request = NewStaff { email, password, display_name: name, role };
    let user = services::accounts::staff::add(&state, services::audit::AuditActor::Cli, request)
        .await
        .map_err(service_error)?;
    println!("added {} {} ({})", user.role.as_str(), user.email, user.id);
    Ok(())
}

/// `dataip staff list`: every staff member, oldest first, disabled ones
/// marked.
pub async fn list(config: Config) -> anyhow::Result<()> {
    let state = state(config).await?;
    let staff = services::accounts::staff::list_all(&state).await.map_err(service_error)?;
    if staff.is_empty() {
        println!("no staff yet: add the first admin with `dataip staff add --role admin`");
        return Ok(());
    }
    let width = staff.iter().map(|user| user.email.chars().count()).max().unwrap_or(0);
    for user in staff {
        let status = match user.disabled_at {
            Some(at) => format!("disabled {}", at.format("%Y-%m-%d %H:%M UTC")),
            None => "active".into(),
        };
        println!(
            "{:<8}  {:<width$}  {:<20}  {}  since {}",
            user.role.as_str(),
            user.email,
            user.display_name,
            status,
            user.created_at.format("%Y-%m-%d")
        );
    }
    Ok(())
}

/// `dataip staff disable` / `enable`: a disabled member of staff cannot log
/// in, their sessions end, and their access tokens stop working at once.
pub async fn set_disabled(config: Config, email: &str, disabled: bool) -> anyhow::Result<()> {
    let state = state(config).await?;
    let user = match disabled {
        true => services::accounts::staff::disable(&state, services::audit::AuditActor::Cli, email).await,
        false => services::accounts::staff::enable(&state, services::audit::AuditActor::Cli, email).await,
    }
    .map_err(service_error)?;
    let now = if user.disabled_at.is_some() { "disabled" } else { "active" };
    println!("{} {} is {now}", user.role.as_str(), user.email);
    Ok(())
}
