//! The grounds on which the registry refuses a registration: a reviewer's
//! rejection and an upheld objection each name one or more, beside their
//! free-text reason.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A ground for refusing registration, from the Shanghai measures' list
/// (art. 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "refusal_ground", rename_all = "snake_case")]
pub enum RefusalGround {
    /// It harms national security or the public interest.
    PublicInterest,
    /// It infringes personal information or privacy.
    PersonalInformation,
    /// The data was obtained unlawfully, or infringes others' rights.
    UnlawfulSource,
    /// Its ownership is unclear or disputed.
    OwnershipDisputed,
    /// Concealment or fraud.
    Fraud,
    /// A duplicate application, or a re-application within six months of a
    /// voluntary withdrawal without good reason.
    Duplicate,
    /// Another ground, which the reason names.
    Other,
}

impl RefusalGround {
    pub const ALL: [RefusalGround; 7] = [
        Self::PublicInterest,
        Self::PersonalInformation,
        Self::UnlawfulSource,
        Self::OwnershipDisputed,
        Self::Fraud,
        Self::Duplicate,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PublicInterest => "public_interest",
            Self::PersonalInformation => "personal_information",
            Self::UnlawfulSource => "unlawful_source",
            Self::OwnershipDisputed => "ownership_disputed",
            Self::Fraud => "fraud",
            Self::Duplicate => "duplicate",
            Self::Other => "other",
        }
    }

    /// The grounds a decision names: at least one, each once. The message
    /// says what is wrong otherwise.
    pub fn check_list(grounds: &[RefusalGround]) -> Result<(), String> {
        if grounds.is_empty() {
            return Err(format!("name at least one ground: {}", Self::names()));
        }
        for (at, ground) in grounds.iter().enumerate() {
            if grounds[..at].contains(ground) {
                return Err(format!("{} is named twice; name each ground once", ground.as_str()));
            }
        }
        Ok(())
    }

    /// Every ground's name, for messages.
    pub fn names() -> String {
        Self::ALL.iter().map(|ground| ground.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The grounds as a history note shows them.
    pub fn list(grounds: &[RefusalGround]) -> String {
        grounds.iter().map(|ground| ground.as_str()).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_wire_format() {
        for ground in RefusalGround::ALL {
            assert_eq!(serde_json::to_value(ground).ok(), Some(serde_json::Value::from(ground.as_str())));
        }
    }

    #[test]
    fn a_list_names_at_least_one_ground_each_once() {
        use RefusalGround::*;
        assert!(RefusalGround::check_list(&[Fraud]).is_ok());
        assert!(RefusalGround::check_list(&RefusalGround::ALL).is_ok());
        assert!(RefusalGround::check_list(&[]).is_err_and(|m| m.contains("at least one")));
        assert!(RefusalGround::check_list(&[Fraud, Other, Fraud]).is_err_and(|m| m.contains("fraud is named twice")));
    }
}
