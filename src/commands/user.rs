//! `dataip user …`: any account, staff or applicant, from the command line.

use super::{service_error, state};
use crate::{config::Config, services};

use clap::Subcommand;

use super::CONFIGURATION_HELP;

#[derive(Subcommand)]
pub enum Command {
    /// Print a one-time token (valid an hour) with which the account's owner
    /// sets a new password at POST /api/v1/auth/password-reset.
    #[command(after_help = CONFIGURATION_HELP)]
    ResetPassword {
        /// The account's e-mail address.
        #[arg(long)]
        email: String,
    },
}

impl Command {
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        match self {
            Self::ResetPassword { email } => reset_password(config, &email).await,
        }
    }
}

/// `dataip user reset-password`: a one-time token for the account, valid
/// for an hour, that its owner redeems with
/// `POST /api/v1/auth/password-reset {token, new_password}`. The registry
/// keeps only its hash; this is the only time it is shown.
pub async fn reset_password(config: Config, email: &str) -> anyhow::Result<()> {
    let state = state(config).await?;
    let reset = services::accounts::password_resets::issue(&state, email).await.map_err(service_error)?;
    let url = format!("{}/api/v1/auth/password-reset", state.config.registry.public_url.trim_end_matches('/'));
    println!(
        "A one-time password reset for {} ({}), valid until {}:",
        reset.user.email,
        reset.user.role.as_str(),
        reset.expires_at.to_rfc3339()
    );
    println!();
    println!("  {}", reset.token);
    println!();
    println!("Hand it to them over a channel you trust. They set a new password with:");
    println!("  curl --fail-with-body {url} -H 'content-type: application/json' \\");
    println!("    -d '{{\"token\": \"{}\", \"new_password\": \"…\"}}'", reset.token);
    println!("Their sessions end when they do; an earlier unused reset no longer works.");
    Ok(())
}
