//! The resident identity number of a natural person (GB 11643-1999): six
//! digits of the address code, eight of the date of birth, three of the
//! sequence, and an ISO 7064 MOD 11-2 check character (a digit or `X`).
//!
//! The number is sensitive personal information: nothing public ever shows
//! it. The type has no `Display` and a masked `Debug`, so that it cannot
//! reach a log, an error or an answer by accident; [`IdNumber::expose`] is
//! the one way to the digits, for the places allowed to hold them (the
//! person's own account, staff, and the commitment's opening).

use std::fmt;

use chrono::NaiveDate;

use super::registration_number::mod11_2_check;

/// An 18-character resident identity number with a real date of birth and
/// the correct check character.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

/// Why a number is not a resident identity number. The messages never
/// repeat the number or its check character: an error travels further than
/// the number may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("a resident identity number has 18 characters: 17 digits and a check character (a digit or X)")]
    Form,
    #[error("the date of birth in this resident identity number is not a date")]
    BirthDate,
    #[error("the check character of this resident identity number does not match (GB 11643-1999)")]
    Checksum,
}

impl IdNumber {
    /// A number's length, in characters.
    pub const LENGTH: usize = 18;
    /// What a request may give, as the OpenAPI document says it: 17 digits
    /// and a digit or `X` (either case), with spaces around.
    pub const PATTERN: &'static str = r"^\s*[0-9]{17}[0-9Xx]\s*$";

    /// Parses a number, accepting a lower-case `x` and surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, IdNumberError> {
        let number = input.trim().to_ascii_uppercase();
        let (body, check) = number.split_at_checked(17).ok_or(IdNumberError::Form)?;
        let check_ok = check.len() == 1 && check.bytes().all(|b| b.is_ascii_digit() || b == b'X');
        if !body.bytes().all(|b| b.is_ascii_digit()) || !check_ok {
            return Err(IdNumberError::Form);
        }
        if NaiveDate::parse_from_str(&body[6..14], "%Y%m%d").is_err() {
            return Err(IdNumberError::BirthDate);
        }
        if check != mod11_2_check(body).to_string() {
            return Err(IdNumberError::Checksum);
        }
        Ok(Self(number))
    }

    /// Completes 17 digits with their check character; used to make example
    /// and test numbers.
    pub fn complete(first17: &str) -> Result<Self, IdNumberError> {
        match first17.len() == 17 && first17.bytes().all(|b| b.is_ascii_digit()) {
            true => Self::parse(&format!("{first17}{}", mod11_2_check(first17))),
            false => Err(IdNumberError::Form),
        }
    }

    /// The number in clear: only for the person, staff, storage and the
    /// commitment's opening.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The number as everyone else sees it: the first three and the last
    /// four characters, the eleven between as `*` (`110***********123X`).
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks a stored number the way [`IdNumber::masked`] does (also a number
/// read back from the database, which is not parsed again).
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() != IdNumber::LENGTH {
        return "*".repeat(IdNumber::LENGTH);
    }
    let mut masked: String = chars[..3].iter().collect();
    masked.push_str(&"*".repeat(11));
    masked.extend(&chars[14..]);
    masked
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_parses_with_its_x() {
        // The example of GB 11643-1999's annex.
        let number = IdNumber::parse(" 11010519491231002x ").expect("the example parses");
        assert_eq!(number.expose(), "11010519491231002X");
        assert_eq!(number.masked(), "110***********002X");
        assert_eq!(format!("{number:?}"), "IdNumber(\"110***********002X\")");
    }

    #[test]
    fn a_wrong_check_character_is_refused_without_naming_the_right_one() {
        let error = IdNumber::parse("110105194912310021").expect_err("a wrong check character");
        assert_eq!(error, IdNumberError::Checksum);
        assert!(!error.to_string().contains('X'), "{error}");
    }

    #[test]
    fn forms_and_dates_are_checked() {
        assert_eq!(IdNumber::parse("1101051949123100"), Err(IdNumberError::Form));
        assert_eq!(IdNumber::parse("1101051949123100XX"), Err(IdNumberError::Form));
        assert_eq!(IdNumber::parse("11010519491231002Ｘ"), Err(IdNumberError::Form));
        assert_eq!(IdNumber::parse("11010519491331002X"), Err(IdNumberError::BirthDate));
        let completed = IdNumber::complete("31010119900307123").expect("completed");
        assert!(IdNumber::parse(completed.expose()).is_ok());
        assert_eq!(mask("short"), "*".repeat(18));
    }
}
