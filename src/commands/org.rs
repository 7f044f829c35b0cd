//! `dataip org …`: applicant organizations, from the command line.

use uuid::Uuid;

use super::party::{self, Claim};
use crate::config::Config;

use clap::Subcommand;

use super::CONFIGURATION_HELP;

#[derive(Subcommand)]
pub enum Command {
    /// Verify the organization that claims a credit code, having checked its
    /// business licence (the one it uploaded, or on paper). A verified
    /// organization may submit applications and holds its credit code.
    ///
    /// When several unverified organizations claim the code, they are listed
    /// and none is verified: name one with --id. The organization that is
    /// verified already is left as it is.
    #[command(after_help = CONFIGURATION_HELP)]
    Verify {
        /// The organization's unified social credit code.
        #[arg(long)]
        credit_code: String,
        /// Which of the organizations claiming the code to verify.
        #[arg(long, value_name = "UUID")]
        id: Option<uuid::Uuid>,
        /// The organization's name as its licence gives it, if it signed up
        /// under another.
        #[arg(long)]
        name: Option<String>,
    },
}

impl Command {
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        match self {
            Self::Verify { credit_code, id, name } => verify(config, &credit_code, id, name.as_deref()).await,
        }
    }
}

/// `dataip org verify`: verifies the organization that claims the credit
/// code (see [`party::verify`]).
pub async fn verify(config: Config, credit_code: &str, id: Option<Uuid>, name: Option<&str>) -> anyhow::Result<()> {
    party::verify(config, Claim::CreditCode(credit_code), id, name).await
}
