//! `dataip org …`: applicant organizations, from the command line.

use uuid::Uuid;

use super::{service_error, state};
use crate::{
    config::Config,
    domain::Verification,
    services::{self, accounts::verification::OrganizationDetails},
};

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
/// code, the operator having checked its business licence (uploaded, or by
/// other means). Several organizations may claim one code until one is
/// verified; when more than one unverified organization claims it, none is
/// chosen for the operator: they are listed, and `--id` names the one.
/// Verifying the organization that is verified already changes nothing.
pub async fn verify(config: Config, credit_code: &str, id: Option<Uuid>, name: Option<&str>) -> anyhow::Result<()> {
    let state = state(config).await?;
    let claimants = services::accounts::verification::claimants(&state, credit_code).await.map_err(service_error)?;
    let code = claimants.first().and_then(|org| org.organization.credit_code.clone());
    let Some(code) = code else {
        anyhow::bail!("no organization has signed up with credit code {}", credit_code.trim());
    };
    let verified = claimants.iter().find(|org| org.organization.verification == Verification::Verified);
    let chosen = match (id, verified) {
        (None, Some(holder)) => {
            println!("{} is already verified: {}", code, describe(holder));
            return Ok(());
        }
        (Some(id), _) => claimants
            .iter()
            .find(|org| org.organization.id == id)
            .ok_or_else(|| anyhow::anyhow!("organization {id} does not claim credit code {code}"))?,
        (None, None) => match claimants.as_slice() {
            [only] => only,
            several => anyhow::bail!(
                "{} organizations claim credit code {code}; say which to verify with --id:\n{}",
                several.len(),
                several.iter().map(|org| format!("  {}", describe(org))).collect::<Vec<_>>().join("\n")
            ),
        },
    };
    if chosen.organization.verification == Verification::Verified {
        println!("{} is already verified: {}", code, describe(chosen));
        return Ok(());
    }
    let org = services::accounts::verification::verify_by_operator(&state, chosen.organization.id, name)
        .await
        .map_err(service_error)?;
    println!("verified {}", describe(&org));
    Ok(())
}

/// One line: id, name, credit code, verification, licence, signup date.
fn describe(org: &OrganizationDetails) -> String {
    let licence = match &org.business_licence {
        Some(licence) => format!("licence {} uploaded {}", licence.filename, licence.uploaded_at.format("%Y-%m-%d")),
        None => "no licence".to_owned(),
    };
    let organization = &org.organization;
    format!(
        "{} {} ({}, {}; {licence}; signed up {})",
        organization.id,
        organization.name,
        organization.credit_code.as_deref().or(organization.id_number_masked.as_deref()).unwrap_or_default(),
        organization.verification,
        organization.created_at.format("%Y-%m-%d")
    )
}
