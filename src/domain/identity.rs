//! Value types for people and organizations, each checked on construction.

use std::fmt;

/// A normalised (trimmed, lower-case) e-mail address: an addr-spec alone,
/// `name@example.com`. No display name (`Name <name@example.com>`), which
/// would let one mailbox hide behind many strings, and no address literal
/// (`name@[192.0.2.1]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let email = input.trim().to_lowercase();
        if email.len() > 254 {
            return Err("must be at most 254 characters");
        }
        let options = email_address::Options::default().without_display_text().without_domain_literal();
        if email_address::EmailAddress::parse_with_options(&email, options).is_err() {
            return Err("must be an e-mail address alone, such as name@example.com, with no name around it");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the policy. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    /// Bounded so that hashing cost cannot be driven up by huge inputs.
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, &'static str> {
        if input.chars().count() < Self::MIN_CHARS {
            return Err("must be at least 10 characters");
        }
        if input.len() > Self::MAX_BYTES {
            return Err("must be at most 1024 bytes");
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Trimmed, non-empty text of bounded length: names of people, organizations
/// and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(input: &str, max_chars: usize) -> Result<Self, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("must not be empty".into());
        }
        if name.chars().count() > max_chars {
            return Err(format!("must be at most {max_chars} characters"));
        }
        if name.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Trimmed, non-empty prose of bounded length: abstracts, reasons,
/// descriptions. Line breaks and tabs are kept; other control characters
/// are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub fn parse(input: &str, max_chars: usize) -> Result<Self, String> {
        let text = input.trim();
        if text.is_empty() {
            return Err("must not be empty".into());
        }
        if text.chars().count() > max_chars {
            return Err(format!("must be at most {max_chars} characters"));
        }
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse(" Alice@Example.COM ").map(|e| e.0), Ok("alice@example.com".into()));
        assert!(Email::parse("not-an-email").is_err());
        for dressed in
            ["n1 <victim@example.com>", "\"n1\" <victim@example.com>", "<victim@example.com>", "a@[192.0.2.1]"]
        {
            assert!(Email::parse(dressed).is_err(), "{dressed}");
        }
        assert!(Email::parse("a@").is_err());
    }

    #[test]
    fn password_policy() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse("long enough!").is_ok());
        // Ten Chinese characters are ten characters, though thirty bytes.
        assert!(Password::parse("数据知识产权登记密码").is_ok());
        assert!(Password::parse(&"x".repeat(2000)).is_err());
        assert_eq!(format!("{:?}", Password::parse("secret-password").ok()), "Some(Password(..))");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  上海数据有限公司 ", 10).map(Name::into_string), Ok("上海数据有限公司".into()));
        assert!(Name::parse("   ", 10).is_err());
        assert!(Name::parse("abc", 2).is_err());
        assert!(Name::parse("a\u{0}b", 10).is_err());
    }

    #[test]
    fn text_keeps_line_breaks() {
        assert_eq!(Text::parse(" 第一段\n第二段 ", 10).map(Text::into_string), Ok("第一段\n第二段".into()));
        assert!(Text::parse("a\u{7}b", 10).is_err());
        assert!(Text::parse("", 10).is_err());
        assert!(Text::parse("abcdef", 5).is_err());
    }
}
