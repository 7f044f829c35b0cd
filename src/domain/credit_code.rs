//! The unified social credit code of a Chinese organization (GB 32100-2015).

use std::fmt;

/// The 31 characters a credit code may contain: digits and the capital
/// letters without I, O, S, V and Z. A character's value is its index.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of the first 17 positions: 3^i mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// An 18-character unified social credit code whose last character is the
/// correct check character.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters")]
    Length,
    #[error("character {0:?} cannot appear in a unified social credit code")]
    Character(char),
    #[error("the check character does not match (expected {expected})")]
    Checksum { expected: char },
}

impl CreditCode {
    /// A code's length, in characters.
    pub const LENGTH: usize = 18;
    /// What a request may give, as the OpenAPI document says it: the
    /// alphabet's characters, either case, with spaces around.
    pub const PATTERN: &'static str = r"^\s*[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18}\s*$";

    /// Parses a code, accepting lower-case letters and surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let code = input.trim().to_ascii_uppercase();
        if code.chars().count() != Self::LENGTH {
            return Err(CreditCodeError::Length);
        }
        let mut values = [0u32; 18];
        for (slot, c) in values.iter_mut().zip(code.chars()) {
            *slot = value_of(c).ok_or(CreditCodeError::Character(c))?;
        }
        let expected = check_character(&values[..17]);
        if values[17] != value_of(expected).unwrap_or(u32::MAX) {
            return Err(CreditCodeError::Checksum { expected });
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Completes 17 valid characters with their check character; used to
    /// make example and test codes.
    pub fn complete(first17: &str) -> Result<Self, CreditCodeError> {
        let values: Vec<u32> =
            first17.chars().map(|c| value_of(c).ok_or(CreditCodeError::Character(c))).collect::<Result<_, _>>()?;
        if values.len() != 17 {
            return Err(CreditCodeError::Length);
        }
        Self::parse(&format!("{first17}{}", check_character(&values)))
    }
}

fn value_of(c: char) -> Option<u32> {
    let byte = u8::try_from(c).ok()?;
    ALPHABET.iter().position(|&a| a == byte).and_then(|i| u32::try_from(i).ok())
}

fn check_character(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    char::from(ALPHABET[check as usize])
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in ["91350100M000100Y43", "91110108551385082Q", "91310000MA1FL4B24G"] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn normalises_case_and_spaces() {
        let code = CreditCode::parse(" 91350100m000100y43 ").expect("valid");
        assert_eq!(code.as_str(), "91350100M000100Y43");
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        assert_eq!(CreditCode::parse("91350100M000100Y44"), Err(CreditCodeError::Checksum { expected: '3' }));
    }

    #[test]
    fn rejects_wrong_length_and_forbidden_letters() {
        assert_eq!(CreditCode::parse("9135010"), Err(CreditCodeError::Length));
        assert_eq!(CreditCode::parse("91350100M000100I43"), Err(CreditCodeError::Character('I')));
        assert_eq!(CreditCode::parse("９１350100M000100Y43"), Err(CreditCodeError::Character('９')));
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let valid = "91350100M000100Y43";
        for position in 0..18 {
            for &replacement in ALPHABET {
                let mut bytes = valid.as_bytes().to_vec();
                if bytes[position] == replacement {
                    continue;
                }
                bytes[position] = replacement;
                let altered = String::from_utf8(bytes).expect("ascii");
                assert!(CreditCode::parse(&altered).is_err(), "{altered}");
            }
        }
    }

    #[test]
    fn complete_appends_the_check_character() {
        let code = CreditCode::complete("91350100M000100Y4").expect("valid");
        assert_eq!(code.as_str(), "91350100M000100Y43");
    }
}
