//! How a request's fields are read where serde alone would say too little:
//! enums through their text (so that a wrong value is reported under its
//! own path) and dates within the era the registry records.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, de::DeserializeOwned};

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
