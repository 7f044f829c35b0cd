//! Request bodies as the API reads them: every missing, malformed or
//! unknown field reported at once, each under its full path
//! (`data_sources[0].kind`), and values range-checked where they are parsed,
//! so that nothing a client sends can reach the database out of range.
//!
//! Bodies are read twice only when they are wrong: serde first, then, to
//! collect every problem, [eserde](https://docs.rs/eserde) (a well-kept
//! crate made for exactly this). Enums are read through their text (see
//! [`crate::domain::fields::text`]) because eserde loses track of paths after a wrong enum value.

use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field: dotted for nested objects, indexed for arrays
    /// (`user.email`, `data_sources[0].kind`).
    pub field: String,
    pub message: String,
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Not JSON at all (400).
    Malformed(String),
    /// JSON of the wrong shape: every problem (422).
    Invalid(Vec<FieldError>),
}

/// A request body, read with every problem reported at once.
pub trait Body: Sized {
    fn from_json(bytes: &[u8]) -> Result<Self, BodyError>;
}

/// Implements [`Body`] for types that derive `eserde::Deserialize`.
#[macro_export]
macro_rules! bodies {
    ($($body:ty),* $(,)?) => {
        $(impl $crate::input::Body for $body {
            fn from_json(bytes: &[u8]) -> Result<Self, $crate::input::BodyError> {
                $crate::input::read(bytes)
            }
        })*
    };
}

/// Reads a body: malformed JSON first (the whole body must be one JSON
/// value), then the shape, collecting every problem.
pub fn read<T: for<'de> eserde::EDeserialize<'de>>(bytes: &[u8]) -> Result<T, BodyError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|error| BodyError::Malformed(format!("the body is not valid JSON: {error}")))?;
    // Every body is an object; serde would also take an array of the
    // fields' values in order, which the contract does not offer.
    if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
        return Err(invalid("body", "must be a JSON object"));
    }
    refuse_nul(bytes)?;
    let errors = match eserde::json::from_slice::<T>(bytes) {
        Ok(value) => return Ok(value),
        Err(errors) => errors,
    };
    // An unknown field stops eserde from reading the rest of its object:
    // each one is noted and taken out, and the body read again, until
    // what is left shows every other problem.
    let mut problems: Vec<FieldError> = Vec::new();
    let (mut errors, mut body) = (errors, None::<serde_json::Value>);
    for _ in 0..MAX_UNKNOWN_FIELDS {
        let mut unknown = Vec::new();
        for error in errors.iter().filter(|error| !is_syntax(error.message())) {
            let path = error.path().map(|path| path.to_string()).unwrap_or_default();
            let problem = problem(&path, error.message());
            if error.message().starts_with("unknown field") {
                unknown.extend(error.path().cloned());
            }
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
        if unknown.is_empty() {
            break;
        }
        let value = match &mut body {
            Some(value) => value,
            None => body.insert(serde_json::from_slice(bytes).map_err(|e| BodyError::Malformed(e.to_string()))?),
        };
        for path in &unknown {
            remove(value, path);
        }
        let again = serde_json::to_vec(value).map_err(|e| BodyError::Malformed(e.to_string()))?;
        errors = match eserde::json::from_slice::<T>(&again) {
            // Only the unknown fields were wrong.
            Ok(_) => break,
            Err(errors) => errors,
        };
    }
    Err(BodyError::Invalid(problems))
}

/// PostgreSQL's text cannot hold the NUL character (JSON's `\u0000`): a
/// string carrying one is refused here, under its path, rather than by the
/// database.
fn refuse_nul(bytes: &[u8]) -> Result<(), BodyError> {
    if !bytes.windows(5).any(|window| window.eq_ignore_ascii_case(b"u0000")) {
        return Ok(());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| BodyError::Malformed(e.to_string()))?;
    let mut found = Vec::new();
    find_nul(&value, String::new(), &mut found);
    match found.is_empty() {
        true => Ok(()),
        false => Err(BodyError::Invalid(found)),
    }
}

fn find_nul(value: &serde_json::Value, path: String, found: &mut Vec<FieldError>) {
    let nul = |field: String| FieldError { field, message: "must not contain the NUL character".into() };
    let at = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => {
            found.push(nul(if path.is_empty() { "body".into() } else { path }));
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                find_nul(item, format!("{path}[{index}]"), found);
            }
        }
        serde_json::Value::Object(object) => {
            for (key, item) in object {
                if key.contains('\0') {
                    found.push(nul(at(&key.replace('\0', "\\u0000"))));
                } else {
                    find_nul(item, at(key), found);
                }
            }
        }
        _ => {}
    }
}

/// Bodies are at most a few kilobytes; past this many unknown fields the
/// client hears about these first.
const MAX_UNKNOWN_FIELDS: usize = 32;

/// Takes the value at `path` out of `value`.
fn remove(value: &mut serde_json::Value, path: &eserde::path::Path) {
    let segments: Vec<&eserde::path::Segment> = path.iter().collect();
    let Some((last, parents)) = segments.split_last() else { return };
    let mut at = value;
    for segment in parents {
        let next = match segment {
            eserde::path::Segment::Seq { index } => at.get_mut(*index),
            eserde::path::Segment::Map { key } | eserde::path::Segment::Enum { variant: key } => {
                at.get_mut(key.as_str())
            }
        };
        match next {
            Some(next) => at = next,
            None => return,
        }
    }
    if let (eserde::path::Segment::Map { key }, Some(object)) = (last, at.as_object_mut()) {
        object.remove(key.as_str());
    }
}

/// A body tagged by `kind` (as acts are): the tag picks the shape, read by
/// `read_variant` from the rest of the object, so that every path stays
/// whole. (eserde loses paths inside internally tagged enums.)
pub fn read_tagged<T>(
    bytes: &[u8],
    read_variant: impl FnOnce(&str, &[u8]) -> Option<Result<T, BodyError>>,
    kinds: &[&str],
) -> Result<T, BodyError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|error| BodyError::Malformed(format!("the body is not valid JSON: {error}")))?;
    let serde_json::Value::Object(mut object) = value else {
        return Err(invalid("body", "must be an object"));
    };
    let expected = kinds.iter().map(|kind| format!("`{kind}`")).collect::<Vec<_>>().join(", ");
    let kind = match object.remove("kind") {
        Some(serde_json::Value::String(kind)) => kind,
        Some(_) => return Err(invalid("kind", &format!("must be one of {expected}"))),
        None => return Err(invalid("kind", &format!("is required: one of {expected}"))),
    };
    let rest = serde_json::to_vec(&object).map_err(|error| BodyError::Malformed(error.to_string()))?;
    read_variant(&kind, &rest).unwrap_or_else(|| Err(invalid("kind", &format!("must be one of {expected}"))))
}

/// The body was checked to be JSON first: a syntax complaint from the
/// second reading only means it stopped following the document after an
/// earlier problem.
fn is_syntax(message: &str) -> bool {
    ["expected `", "expected value", "EOF while parsing", "trailing "].iter().any(|start| message.starts_with(start))
}

fn invalid(field: &str, message: &str) -> BodyError {
    BodyError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}

/// One of eserde's errors in the API's words: missing fields under their
/// own path, no line and column, no internal type names.
fn problem(path: &str, message: &str) -> FieldError {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    let join = |parent: &str, child: &str| match parent {
        "" | "." => child.to_owned(),
        parent => format!("{parent}.{child}"),
    };
    if let Some(name) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
        return FieldError { field: join(path, name), message: "is required".into() };
    }
    let field = match path {
        "" | "." => "body".to_owned(),
        path => path.to_owned(),
    };
    let message = match message.split_once("expected struct __ImplEDeserializeFor") {
        Some((before, _)) => format!("{before}expected an object"),
        None => message.replace("unknown field", "not a field of this request:"),
    };
    FieldError { field, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    use crate::domain::fields::{ProductName, RecordDate, date, optional_date, optional_text, text, texts};

    #[derive(Debug, serde::Deserialize, Clone, Copy, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Colour {
        Red,
    }

    #[derive(Debug, eserde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Party {
        name: String,
        #[serde(deserialize_with = "text")]
        colour: Colour,
    }

    #[derive(Debug, eserde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Form {
        party: Party,
        parties: Vec<Party>,
        #[serde(deserialize_with = "date")]
        on: NaiveDate,
        #[serde(default, deserialize_with = "optional_date")]
        until: Option<NaiveDate>,
        #[serde(default, deserialize_with = "optional_text")]
        tint: Option<Colour>,
        #[serde(default, deserialize_with = "texts")]
        tints: Vec<Colour>,
        #[serde(default)]
        since: Option<RecordDate>,
        #[serde(default)]
        label: Option<ProductName>,
    }

    fn problems(json: &str) -> Vec<(String, String)> {
        match read::<Form>(json.as_bytes()) {
            Err(BodyError::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn every_problem_comes_at_once_under_its_path() {
        let found = problems(
            r#"{"party": {"name": 1, "colour": "blue"}, "parties": [{"name": "a", "colour": "red"}, {"colour": "red"}],
                "on": "-4800-01-01", "until": "2026-02-30", "tint": 7, "data_fromat": "CSV"}"#,
        );
        let fields: Vec<&str> = found.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(
            fields,
            ["party.name", "party.colour", "parties[1].name", "on", "until", "tint", "data_fromat"],
            "{found:?}"
        );
        assert_eq!(found[2].1, "is required");
        assert!(found[1].1.contains("unknown variant `blue`"), "{found:?}");
        assert!(found[3].1.contains("between 1900-01-01 and 9999-12-31"), "{found:?}");
        assert!(found[6].1.starts_with("not a field of this request"), "{found:?}");
        assert!(found.iter().all(|(_, message)| !message.contains("line")), "{found:?}");
    }

    #[test]
    fn unknown_fields_do_not_hide_the_other_problems() {
        let found = problems(r#"{"aaa": 1, "party": {"zzz": 2, "name": 3}, "parties": [{"x": 1}]}"#);
        let mut fields: Vec<&str> = found.iter().map(|(field, _)| field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "aaa",
                "on",
                "parties[0].colour",
                "parties[0].name",
                "parties[0].x",
                "party.colour",
                "party.name",
                "party.zzz"
            ],
            "{found:?}"
        );
    }

    #[test]
    fn missing_fields_and_wrong_shapes_are_named() {
        let found = problems("{}");
        assert_eq!(found.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(), ["party", "parties", "on"]);
        let found = problems(r#"{"party": null, "parties": {}, "on": "2026-01-01"}"#);
        assert!(found.iter().any(|(f, m)| f == "party" && m.contains("expected an object")), "{found:?}");
        assert!(found.iter().any(|(f, m)| f == "parties" && m.contains("expected a sequence")), "{found:?}");
        assert!(found.iter().all(|(_, m)| !m.starts_with("expected `")), "no syntax noise: {found:?}");
        assert!(matches!(read::<Form>(b"null"), Err(BodyError::Invalid(_))));
        let found = problems(r#"[{"name": "x", "colour": "red"}, [], "2026-01-01"]"#);
        assert_eq!(found, [("body".to_owned(), "must be a JSON object".to_owned())], "no array for an object");
        assert!(matches!(read::<Form>(b"{\"on\": "), Err(BodyError::Malformed(_))));
        assert!(matches!(read::<Form>(b"{} trailing"), Err(BodyError::Malformed(_))));
    }

    #[test]
    fn nul_characters_are_refused_under_their_path() {
        let found = problems(r#"{"party": {"name": "a\u0000b", "colour": "red"}, "parties": [], "on": "2026-01-01"}"#);
        assert_eq!(found, [("party.name".to_owned(), "must not contain the NUL character".to_owned())]);
        let escaped =
            read::<Form>(br#"{"party": {"name": "a\\u0000b", "colour": "red"}, "parties": [], "on": "2026-01-01"}"#);
        assert!(escaped.is_ok(), "a backslash followed by u0000 is only text");
    }

    #[test]
    fn lists_of_enums_name_the_wrong_item() {
        let found = problems(
            r#"{"party": {"name": "x", "colour": "red"}, "parties": [], "on": "2026-01-01", "tints": ["red", "blue"]}"#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "tints");
        assert!(found[0].1.starts_with("[1]: unknown variant `blue`"), "{found:?}");
        let form = read::<Form>(
            br#"{"party": {"name": "x", "colour": "red"}, "parties": [], "on": "2026-01-01", "tints": ["red"]}"#,
        )
        .expect("valid");
        assert_eq!(form.tints, [Colour::Red]);
    }

    #[test]
    fn field_types_report_under_their_paths_with_the_rest() {
        let found = problems(
            r#"{"party": {"name": "x", "colour": "blue"}, "parties": [], "on": "2026-01-01",
                "since": "1899-12-31", "label": 7}"#,
        );
        let fields: Vec<&str> = found.iter().map(|(field, _)| field.as_str()).collect();
        assert_eq!(fields, ["party.colour", "since", "label"], "{found:?}");
        assert_eq!(found[1].1, "must be a date between 1900-01-01 and 9999-12-31, not one in the year 1899");
        assert_eq!(found[2].1, "invalid type: integer `7`, expected a string");
        let form = read::<Form>(
            br#"{"party": {"name": "x", "colour": "red"}, "parties": [], "on": "2026-01-01",
                 "since": "1900-01-01", "label": "  \u0007  "}"#,
        )
        .expect("read: the text is checked where it is parsed");
        assert_eq!(form.since.map(RecordDate::date), NaiveDate::from_ymd_opt(1900, 1, 1));
        assert_eq!(form.label.as_ref().map(ProductName::as_str), Some("  \u{7}  "));
        assert!(form.label.is_some_and(|label| label.parse().is_err()));
    }

    #[test]
    fn good_bodies_read() {
        let form = read::<Form>(
            br#"{"party": {"name": "x", "colour": "red"}, "parties": [], "on": "2026-01-01", "tint": null}"#,
        )
        .expect("valid");
        assert_eq!((form.party.name.as_str(), form.party.colour, form.tint), ("x", Colour::Red, None));
        assert!(form.parties.is_empty() && form.until.is_none());
        assert_eq!(form.on, NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"));
    }
}
