//! The registration number: a data product's "ID card" number. Sixteen
//! characters: the 4-digit registry code, the 4-digit year, a 7-digit serial
//! and an ISO 7064 MOD 11-2 check character (0-9 or X), as on Chinese
//! resident ID cards.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistrationNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationNumberError {
    #[error("a registration number has 16 characters: 15 digits and a check character")]
    Form,
    #[error("the check character does not match (expected {expected})")]
    Checksum { expected: char },
    #[error("the serial {0} does not fit in 7 digits")]
    SerialTooLarge(u64),
}

impl RegistrationNumber {
    /// Builds the number of the `serial`-th registration of `year` at the
    /// registry `registry_code` (4 digits, e.g. 3100 for Shanghai).
    pub fn new(registry_code: &str, year: i32, serial: u64) -> Result<Self, RegistrationNumberError> {
        if serial > 9_999_999 {
            return Err(RegistrationNumberError::SerialTooLarge(serial));
        }
        let body = format!("{registry_code}{year:04}{serial:07}");
        if body.len() != 15 || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegistrationNumberError::Form);
        }
        let check = mod11_2_check(&body);
        Ok(Self(format!("{body}{check}")))
    }

    pub fn parse(input: &str) -> Result<Self, RegistrationNumberError> {
        let text = input.trim().to_ascii_uppercase();
        let (body, check) = text.split_at_checked(15).ok_or(RegistrationNumberError::Form)?;
        if text.len() != 16 || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegistrationNumberError::Form);
        }
        let expected = mod11_2_check(body);
        if check != expected.to_string() {
            return Err(RegistrationNumberError::Checksum { expected });
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The ISO 7064 MOD 11-2 check character of a string of digits: the c with
/// Σ dᵢ·2ⁱ + c ≡ 1 (mod 11), i counted from the right starting at 1.
pub fn mod11_2_check(digits: &str) -> char {
    let sum = digits.bytes().fold(0u32, |acc, b| (acc + u32::from(b - b'0')) * 2 % 11);
    match (12 - sum) % 11 {
        10 => 'X',
        c => char::from(b'0' + u8::try_from(c).unwrap_or(0)),
    }
}

impl fmt::Display for RegistrationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_resident_id_card_check_characters() {
        // Published specimen numbers of the national standard GB 11643.
        assert_eq!(mod11_2_check("11010519491231002"), 'X');
        assert_eq!(mod11_2_check("44052418800101001"), '4');
    }

    #[test]
    fn builds_and_parses_back() {
        let number = RegistrationNumber::new("3100", 2026, 42).expect("valid");
        assert_eq!(number.as_str().len(), 16);
        assert!(number.as_str().starts_with("310020260000042"));
        assert_eq!(RegistrationNumber::parse(number.as_str()), Ok(number));
    }

    #[test]
    fn catches_every_single_digit_error_and_transposition() {
        let number = RegistrationNumber::new("3100", 2026, 1_234_567).expect("valid");
        let text = number.as_str().as_bytes();
        for i in 0..15 {
            for d in b'0'..=b'9' {
                if d == text[i] {
                    continue;
                }
                let mut altered = text.to_vec();
                altered[i] = d;
                let altered = String::from_utf8(altered).expect("ascii");
                assert!(RegistrationNumber::parse(&altered).is_err(), "{altered}");
            }
            if i < 14 && text[i] != text[i + 1] {
                let mut swapped = text.to_vec();
                swapped.swap(i, i + 1);
                let swapped = String::from_utf8(swapped).expect("ascii");
                assert!(RegistrationNumber::parse(&swapped).is_err(), "{swapped}");
            }
        }
    }

    #[test]
    fn refuses_malformed_text() {
        for bad in ["", "3100", "31002026000004X12", "A10020260000042X", "3100202600000421X"] {
            assert!(RegistrationNumber::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            RegistrationNumber::new("3100", 2026, 10_000_000),
            Err(RegistrationNumberError::SerialTooLarge(10_000_000))
        );
    }
}
