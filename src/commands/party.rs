//! `dataip party …`: applicants of either kind, organizations and natural
//! persons, from the command line.

use clap::Subcommand;
use uuid::Uuid;

use super::{CONFIGURATION_HELP, service_error, state};
use crate::{
    config::Config,
    domain::{IdNumber, Verification},
    services::{self, accounts::verification::OrganizationDetails},
};

#[derive(Subcommand)]
pub enum Command {
    /// Verify the party that claims a credit code or a resident identity
    /// number, having checked its business licence or identity document
    /// (the one it uploaded, or on paper). A verified party may submit
    /// applications and holds its code or number.
    ///
    /// When several unverified parties claim it, they are listed and none is
    /// verified: name one with --id. The party that is verified already is
    /// left as it is.
    #[command(after_help = CONFIGURATION_HELP)]
    Verify {
        /// An organization's unified social credit code.
        #[arg(long, required_unless_present = "id_number", conflicts_with = "id_number")]
        credit_code: Option<String>,
        /// A natural person's resident identity number (shown back masked).
        #[arg(long)]
        id_number: Option<String>,
        /// Which of the parties claiming it to verify.
        #[arg(long, value_name = "UUID")]
        id: Option<Uuid>,
        /// The party's name as its document gives it, if it signed up under
        /// another.
        #[arg(long)]
        name: Option<String>,
    },
}

impl Command {
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        match self {
            Self::Verify { credit_code, id_number, id, name } => {
                let claim = match (&credit_code, &id_number) {
                    (Some(code), _) => Claim::CreditCode(code),
                    (None, Some(number)) => Claim::IdNumber(number),
                    (None, None) => anyhow::bail!("give --credit-code or --id-number"),
                };
                verify(config, claim, id, name.as_deref()).await
            }
        }
    }
}

/// What an operator names a party by.
#[derive(Debug, Clone, Copy)]
pub enum Claim<'a> {
    CreditCode(&'a str),
    IdNumber(&'a str),
}

impl Claim<'_> {
    fn kind(self) -> &'static str {
        match self {
            Self::CreditCode(_) => "organization",
            Self::IdNumber(_) => "person",
        }
    }

    /// The claim as this command prints it: a number masked.
    fn label(self) -> String {
        match self {
            Self::CreditCode(code) => format!("credit code {}", code.trim()),
            Self::IdNumber(number) => {
                let shown = IdNumber::parse(number).map_or_else(|_| "that".to_owned(), |number| number.masked());
                format!("identity number {shown}")
            }
        }
    }
}

/// Verifies the party that claims the code or number, the operator having
/// checked its document (uploaded, or by other means). Several parties may
/// claim one until one is verified; when more than one unverified party
/// claims it, none is chosen for the operator: they are listed, and `--id`
/// names the one. Verifying the party that is verified already changes
/// nothing.
pub async fn verify(config: Config, claim: Claim<'_>, id: Option<Uuid>, name: Option<&str>) -> anyhow::Result<()> {
    let state = state(config).await?;
    let claimants = match claim {
        Claim::CreditCode(code) => services::accounts::verification::claimants(&state, code).await,
        Claim::IdNumber(number) => services::accounts::verification::claimants_by_id_number(&state, number).await,
    }
    .map_err(service_error)?;
    let (kind, label) = (claim.kind(), claim.label());
    let Some(first) = claimants.first() else {
        anyhow::bail!("no {kind} has signed up with {label}");
    };
    let shown = first.organization.shown_identity();
    let verified = claimants.iter().find(|party| party.organization.verification == Verification::Verified);
    let chosen = match (id, verified) {
        (None, Some(holder)) => {
            println!("{shown} is already verified: {}", describe(holder));
            return Ok(());
        }
        (Some(id), _) => claimants
            .iter()
            .find(|party| party.organization.id == id)
            .ok_or_else(|| anyhow::anyhow!("{kind} {id} does not claim {label}"))?,
        (None, None) => match claimants.as_slice() {
            [only] => only,
            several => anyhow::bail!(
                "{} {kind}s claim {label}; say which to verify with --id:\n{}",
                several.len(),
                several.iter().map(|party| format!("  {}", describe(party))).collect::<Vec<_>>().join("\n")
            ),
        },
    };
    if chosen.organization.verification == Verification::Verified {
        println!("{shown} is already verified: {}", describe(chosen));
        return Ok(());
    }
    let party = services::accounts::verification::verify_by_operator(&state, chosen.organization.id, name)
        .await
        .map_err(service_error)?;
    println!("verified {}", describe(&party));
    Ok(())
}

/// One line: id, name, code or masked number, verification, document,
/// signup date.
fn describe(party: &OrganizationDetails) -> String {
    let licence = match &party.business_licence {
        Some(licence) => format!("licence {} uploaded {}", licence.filename, licence.uploaded_at.format("%Y-%m-%d")),
        None => "no licence".to_owned(),
    };
    let view = &party.organization;
    format!(
        "{} {} ({}, {}; {licence}; signed up {})",
        view.id,
        view.name,
        view.shown_identity(),
        view.verification,
        view.created_at.format("%Y-%m-%d")
    )
}
