//! The fields of requests, each declared once: how it is read where serde
//! alone would say too little (enums through their text, so that a wrong
//! value is reported under its own path; dates within the era the registry
//! records), what its OpenAPI schema says (lengths, patterns, formats), and
//! how it is checked (the text fields, by the use-case that reads them).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, de::DeserializeOwned};
use utoipa::openapi::{
    RefOr,
    schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type},
};

use super::{CreditCode, CreditCodeError, IdNumber, IdNumberError, Name, Text};

/// Reads an enum through its text, so that a wrong value is reported under
/// its own path (`#[serde(deserialize_with = "crate::domain::fields::text")]`).
pub fn text<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    from_text(&text)
}

/// [`text`] for an optional enum (with `#[serde(default)]`).
pub fn optional_text<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<Option<T>, D::Error> {
    Option::<String>::deserialize(deserializer)?.map(|text| from_text(&text)).transpose()
}

/// [`text`] for a list of enums, each item read through its text; a wrong
/// one is named by its index.
pub fn texts<'de, D: Deserializer<'de>, T: DeserializeOwned>(deserializer: D) -> Result<Vec<T>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .enumerate()
        .map(|(at, text)| {
            from_text(text)
                .map_err(|error: serde::de::value::Error| serde::de::Error::custom(format!("[{at}]: {error}")))
        })
        .collect()
}

fn from_text<T: DeserializeOwned, E: serde::de::Error>(text: &str) -> Result<T, E> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text)).map_err(E::custom)
}

/// The dates a request may give: the registry's records are of this era,
/// and the database stores them all.
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");

/// A `YYYY-MM-DD` date between [`FIRST_DATE`] and [`LAST_DATE`].
pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let date = NaiveDate::deserialize(deserializer)?;
    in_range(date)
}

/// [`date`], optional (with `#[serde(default)]`).
pub fn optional_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    Option::<NaiveDate>::deserialize(deserializer)?.map(in_range).transpose()
}

fn in_range<E: serde::de::Error>(date: NaiveDate) -> Result<NaiveDate, E> {
    if (FIRST_DATE..=LAST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(E::custom(format!(
            "must be a date between {FIRST_DATE} and {LAST_DATE}, not one in the year {}",
            date.year()
        )))
    }
}

/// The pattern of a date of the registry's era, as the OpenAPI document
/// gives it: a year from [`FIRST_DATE`]'s to [`LAST_DATE`]'s.
const DATE_PATTERN: &str = r"^(19[0-9]{2}|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}$";

/// A `YYYY-MM-DD` date between [`FIRST_DATE`] and [`LAST_DATE`]: reading
/// one out of that range fails (under the field's path), and its schema
/// says so once (`format: date` and the years' pattern).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RecordDate(NaiveDate);

impl RecordDate {
    /// The date, if it is of the registry's era.
    pub fn new(date: NaiveDate) -> Option<Self> {
        in_range::<serde::de::value::Error>(date).ok().map(Self)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

impl From<RecordDate> for NaiveDate {
    fn from(date: RecordDate) -> Self {
        date.0
    }
}

impl PartialEq<NaiveDate> for RecordDate {
    fn eq(&self, other: &NaiveDate) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<NaiveDate> for RecordDate {
    fn partial_cmp(&self, other: &NaiveDate) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl std::fmt::Display for RecordDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for RecordDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        date(deserializer).map(Self)
    }
}

eserde::impl_edeserialize_compat!(RecordDate);

impl utoipa::PartialSchema for RecordDate {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(DATE_PATTERN))
            .description(Some(format!("A date of the years {} to {}.", FIRST_DATE.year(), LAST_DATE.year())))
            .into()
    }
}

impl utoipa::ToSchema for RecordDate {}

/// How a text field is checked, and what its schema says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// One line: trimmed, not blank, no control character.
    Line,
    /// Prose: trimmed, not blank, line breaks and tabs but no other control
    /// character.
    Paragraph,
    /// A [`Form::Line`] that may be left blank: blank means none.
    OptionalLine,
    /// A [`Form::Paragraph`] that may be left blank: blank means none.
    OptionalParagraph,
}

/// The characters of a line, of prose, and of neither blank nor control.
macro_rules! line_char {
    () => {
        r"[^\u0000-\u001F\u007F-\u009F]"
    };
}
macro_rules! paragraph_char {
    () => {
        r"[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]"
    };
}
macro_rules! visible_char {
    () => {
        r"[^\s\u0000-\u001F\u007F-\u009F]"
    };
}

impl Form {
    /// The pattern the OpenAPI document gives (the server trims and counts).
    fn pattern(self) -> &'static str {
        match self {
            Self::Line => concat!("^", line_char!(), "*", visible_char!(), line_char!(), "*$"),
            Self::Paragraph => concat!("^", paragraph_char!(), "*", visible_char!(), paragraph_char!(), "*$"),
            Self::OptionalLine => concat!("^", line_char!(), "*$"),
            Self::OptionalParagraph => concat!("^", paragraph_char!(), "*$"),
        }
    }

    fn schema(self, max: usize, example: Option<&str>) -> RefOr<Schema> {
        let description = match self {
            Self::Line => format!("At most {max} characters once trimmed, not blank, no control characters."),
            Self::Paragraph => format!(
                "At most {max} characters once trimmed, not blank; line breaks and tabs but no other control characters."
            ),
            Self::OptionalLine => {
                format!("At most {max} characters once trimmed, no control characters; blank means none.")
            }
            Self::OptionalParagraph => format!(
                "At most {max} characters once trimmed; line breaks and tabs but no other control characters; blank means none."
            ),
        };
        let required = matches!(self, Self::Line | Self::Paragraph);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(required.then_some(1))
            .max_length(Some(max))
            .pattern(Some(self.pattern()))
            .description(Some(description))
            .examples(example)
            .into()
    }
}

/// Declares a text field of requests: a type that reads and writes a JSON
/// string as it came (so that a request reads, and is remembered for
/// idempotency, exactly as sent), whose schema gives its limits, and whose
/// `parse` checks them where the use-case checks its fields, answering the
/// checked value ([`Name`] for a line, [`Text`] for prose).
macro_rules! text_fields {
    ($($(#[$doc:meta])* $name:ident: $form:ident, at most $max:literal $(, example $example:literal)?;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// At most this many characters, once trimmed.
            pub const MAX: usize = $max;

            /// The text as it came, unchecked.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> Self {
                text.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        text_fields!(@parse $name $form);

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self(text)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self(text.to_owned())
            }
        }

        eserde::impl_edeserialize_compat!($name);

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                Form::$form.schema($max, None $(.or(Some($example)))?)
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
    (@parse $name:ident Line) => {
        impl $name {
            /// Trimmed, checked: not blank, at most [`Self::MAX`] characters, no control character.
            pub fn parse(&self) -> Result<Name, String> {
                Name::parse(&self.0, Self::MAX)
            }
        }
    };
    (@parse $name:ident Paragraph) => {
        impl $name {
            /// Trimmed, checked: not blank, at most [`Self::MAX`] characters, no control
            /// character but line breaks and tabs.
            pub fn parse(&self) -> Result<Text, String> {
                Text::parse(&self.0, Self::MAX)
            }
        }
    };
    (@parse $name:ident OptionalLine) => {
        impl $name {
            /// None when blank; else trimmed and checked as a line.
            pub fn parse(&self) -> Result<Option<Name>, String> {
                match self.0.trim() {
                    "" => Ok(None),
                    text => Name::parse(text, Self::MAX).map(Some),
                }
            }
        }
    };
    (@parse $name:ident OptionalParagraph) => {
        impl $name {
            /// None when blank; else trimmed and checked as prose.
            pub fn parse(&self) -> Result<Option<Text>, String> {
                match self.0.trim() {
                    "" => Ok(None),
                    text => Text::parse(text, Self::MAX).map(Some),
                }
            }
        }
    };
}

text_fields! {
    /// A data product's name.
    ProductName: Line, at most 100, example "长三角物流时效数据集";
    /// An organization's name, as its business licence gives it.
    OrganizationName: Line, at most 200, example "上海数据科技有限公司";
    /// A person's name as others see it.
    DisplayName: Line, at most 100, example "张伟";
    /// A natural person's name, as their identity document gives it.
    PersonName: Line, at most 100, example "张伟";
    /// The name an objector gives.
    ObjectorName: Line, at most 100;
    /// What an API key is for.
    KeyName: Line, at most 100;
    /// The authority that ordered a preservation measure.
    AuthorityName: Line, at most 200, example "上海市浦东新区人民法院";
    /// An order's document number, as the order gives it.
    DocumentNumber: Line, at most 100, example "（2026）沪0115执保1234号";
    /// One thing about a product's data: its format, scale or update frequency.
    DataAttribute: OptionalLine, at most 200;
    /// What a data product is.
    Abstract: Paragraph, at most 2000;
    /// Where a data source's data comes from.
    SourceDescription: Paragraph, at most 1000;
    /// Why: a decision's reasons, an act's grounds, an objector's interest.
    Reason: Paragraph, at most 2000;
    /// What a license allows.
    LicenseScope: Paragraph, at most 2000;
    /// A long statement: an objection's grounds, an answer to one.
    Statement: Paragraph, at most 5000;
    /// Why an application is withdrawn, if the applicant says.
    WithdrawalReason: OptionalParagraph, at most 1000;
    /// A reviewer's comment, if any.
    Comment: OptionalParagraph, at most 2000;
}

/// A unified social credit code as a request gives it: checked by
/// [`CreditCodeText::parse`] where the use-case checks its fields;
/// its schema (`CreditCode`) gives its length and alphabet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreditCodeText(String);

impl CreditCodeText {
    pub fn parse(&self) -> Result<CreditCode, CreditCodeError> {
        CreditCode::parse(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<CreditCodeText> for String {
    fn from(code: CreditCodeText) -> Self {
        code.0
    }
}

impl std::fmt::Display for CreditCodeText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for CreditCodeText {
    fn from(code: String) -> Self {
        Self(code)
    }
}

eserde::impl_edeserialize_compat!(CreditCodeText);

impl utoipa::PartialSchema for CreditCodeText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(CreditCode::LENGTH))
            .pattern(Some(CreditCode::PATTERN))
            .description(Some("A unified social credit code: 18 characters with a valid check character."))
            .examples(Some("91310000MA1FL4B24G"))
            .into()
    }
}

impl utoipa::ToSchema for CreditCodeText {
    fn name() -> std::borrow::Cow<'static, str> {
        "CreditCode".into()
    }
}

/// A resident identity number as a request gives it: checked by
/// [`IdNumberText::parse`] where the use-case checks its fields. It never
/// shows itself: no `Display`, a masked `Debug`, and a value of another JSON
/// type is refused without being repeated.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdNumberText(String);

impl IdNumberText {
    pub fn parse(&self) -> Result<IdNumber, IdNumberError> {
        IdNumber::parse(&self.0)
    }
}

impl std::fmt::Debug for IdNumberText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdNumberText(..)")
    }
}

impl From<String> for IdNumberText {
    fn from(number: String) -> Self {
        Self(number)
    }
}

impl<'de> Deserialize<'de> for IdNumberText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = IdNumberText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a resident identity number as a string")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<IdNumberText, E> {
                Ok(IdNumberText(value.to_owned()))
            }
            // Any other type: the default messages would repeat the value.
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<IdNumberText, E> {
                Err(E::custom("a resident identity number must be a string"))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<IdNumberText, E> {
                Err(E::custom("a resident identity number must be a string"))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<IdNumberText, E> {
                Err(E::custom("a resident identity number must be a string"))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

eserde::impl_edeserialize_compat!(IdNumberText);

/// In full: only for a request's idempotency fingerprint (a hash). Answers
/// never carry an `IdNumberText`; they carry the number masked.
impl Serialize for IdNumberText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl utoipa::PartialSchema for IdNumberText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(IdNumber::LENGTH))
            .pattern(Some(IdNumber::PATTERN))
            .description(Some(
                "A resident identity number (GB 11643-1999): 17 digits and a check character (a digit or X). \
                 Never shown back but masked.",
            ))
            .examples(Some("11010519491231002X"))
            .into()
    }
}

impl utoipa::ToSchema for IdNumberText {
    fn name() -> std::borrow::Cow<'static, str> {
        "IdNumber".into()
    }
}
