//! `dataip staff …`: registry staff, managed from the command line.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;

use super::{service_error, state};
use crate::{
    config::Config,
    domain::StaffRole,
    services::{self, accounts::NewAccount, staff::NewStaff},
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
    let request = NewStaff { account: NewAccount { email, password, display_name: name }, role };
    let user = services::staff::add(&state, request).await.map_err(service_error)?;
    println!("added {} {} ({})", user.role.as_str(), user.email, user.id);
    Ok(())
}
