//! `dataip staff …`: registry staff, managed from the command line.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

use super::{service_error, state};
use crate::{
    config::Config,
    domain::StaffRole,
    services::{self, accounts::staff::NewStaff},
};

use clap::Subcommand;

use super::CONFIGURATION_HELP;

#[derive(Subcommand)]
pub enum Command {
    /// Add a reviewer or admin. The password is asked for (hidden) on a
    /// terminal, else read as one line from standard input.
    #[command(after_help = CONFIGURATION_HELP)]
    Add {
        /// The staff member's e-mail address, with which they log in.
        #[arg(long)]
        email: String,
        /// Their name as the registry shows it.
        #[arg(long)]
        name: String,
        /// reviewer: examines applications and acts; admin: also manages staff.
        #[arg(long, value_enum)]
        role: StaffRole,
    },
    /// List every staff member: role, e-mail, name, and whether disabled.
    #[command(after_help = CONFIGURATION_HELP)]
    List,
    /// Disable a staff member: they can no longer log in, their sessions end
    /// and their access tokens stop working at once.
    #[command(after_help = CONFIGURATION_HELP)]
    Disable {
        /// The staff member's e-mail address.
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled staff member again (they log in afresh).
    #[command(after_help = CONFIGURATION_HELP)]
    Enable {
        /// The staff member's e-mail address.
        #[arg(long)]
        email: String,
    },
}

impl Command {
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        match self {
            Self::Add { email, name, role } => add(config, email, name, role).await,
            Self::List => list(config).await,
            Self::Disable { email } => set_disabled(config, &email, true).await,
            Self::Enable { email } => set_disabled(config, &email, false).await,
        }
    }
}

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
    let request = NewStaff { email, password, display_name: name.into(), role };
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
