//! Extractors whose rejections are problem+json with a clear reason: JSON
//! bodies (naming the offending field), path and query parameters, and the
//! client's address.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use super::error::ApiError;
use crate::input::{Body, BodyError};

/// A JSON request or response body.
pub struct Json<T>(pub T);

impl<T: Body, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse_json(&json_bytes(request, state).await?).map(Json)
    }
}

/// The bytes of a body sent as JSON (`application/json` or `+json`).
async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| {
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body as Content-Type: application/json",
        ));
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| ApiError::new(rejection.status(), rejection.body_text()))
}

/// A JSON body that may be left out entirely (no body at all, or `null`),
/// in which case it is `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: Body + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let empty = request.headers().get(header::CONTENT_TYPE).is_none()
            && request.headers().get(header::CONTENT_LENGTH).is_none_or(|length| length.as_bytes() == b"0");
        if empty {
            return Ok(OptionalJson(T::default()));
        }
        let bytes = json_bytes(request, state).await?;
        if bytes.trim_ascii() == b"null" {
            return Ok(OptionalJson(T::default()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// What an `If-Match` header names.
enum EntityTag<'a> {
    /// `*`: whatever is there.
    Any,
    /// A tag's text, without its quotes (which clients may leave out).
    Strong(&'a str),
    /// The same, after `W/`.
    Weak(&'a str),
}

/// The request's `If-Match`, if any.
fn if_match_tag(parts: &Parts) -> Option<EntityTag<'_>> {
    let text = parts.headers.get(header::IF_MATCH)?.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Some(EntityTag::Any);
    }
    let (tag, weak) = match text.strip_prefix("W/") {
        Some(tag) => (tag, true),
        None => (text, false),
    };
    let tag = tag.strip_prefix('"').unwrap_or(tag);
    let tag = tag.strip_suffix('"').unwrap_or(tag);
    Some(if weak { EntityTag::Weak(tag) } else { EntityTag::Strong(tag) })
}

/// The version in an `If-Match` header (`"3"`, `W/"3"` or `3`); `*` or no
/// header means no condition.
pub struct IfMatch(pub Option<i32>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let version = match if_match_tag(parts) {
            None | Some(EntityTag::Any) => return Ok(IfMatch(None)),
            Some(EntityTag::Strong(version) | EntityTag::Weak(version)) => version,
        };
        // Digits only, as the document's pattern says (no sign, at most nine).
        let digits = !version.is_empty() && version.len() <= 9 && version.bytes().all(|b| b.is_ascii_digit());
        version.parse().ok().filter(|_| digits).map(|v| IfMatch(Some(v))).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "If-Match must be the version in quotes, as the ETag gives it: \"3\"",
            )
        })
    }
}

/// The SHA-256 in an `If-Match` header (`"<64 hex digits>"`, as a file's
/// `ETag` gives it): the file the caller read, which a decision about it
/// pins. A strong tag only: the bytes must be the same. No header is
/// `None`; the handler decides whether that may be.
pub struct IfMatchDigest(pub Option<[u8; 32]>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatchDigest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let digest = match if_match_tag(parts) {
            None => return Ok(IfMatchDigest(None)),
            Some(EntityTag::Strong(digest)) => digest,
            Some(EntityTag::Any | EntityTag::Weak(_)) => "",
        };
        let mut bytes = [0u8; 32];
        match hex::decode_to_slice(digest, &mut bytes) {
            Ok(()) => Ok(IfMatchDigest(Some(bytes))),
            Err(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "If-Match must be the file's SHA-256 in quotes, as its ETag gives it: \"9f86d0…\" (64 hex digits)",
            )),
        }
    }
}

/// The `Idempotency-Key` header, if any.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(value) => value.to_str().map(|key| IdempotencyKey(Some(key.to_owned()))).map_err(|_| {
                ApiError::new(StatusCode::BAD_REQUEST, "Idempotency-Key must be visible ASCII characters")
            }),
        }
    }
}

/// Parses a JSON body: malformed JSON is 400; JSON of the wrong shape is
/// 422 listing every problem, each under its field's path.
pub fn parse_json<T: Body>(bytes: &[u8]) -> Result<T, ApiError> {
    T::from_json(bytes).map_err(|error| match error {
        BodyError::Malformed(message) => ApiError::new(StatusCode::BAD_REQUEST, message),
        BodyError::Invalid(errors) => crate::services::Error::Validation(errors).into(),
    })
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters; a value of the wrong form (not a UUID, an unknown kind)
/// is 400.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection| ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text()))
    }
}

/// Query parameters; a malformed one is 400. One holding the NUL character
/// (`%00`), which no database text can hold, is 422 naming it.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if let Some((name, _)) =
            form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(
                crate::services::Error::field(name.replace('\0', "%00"), "must not contain the NUL character").into()
            );
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, eserde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Signup {
        user: User,
    }

    #[derive(Debug, eserde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct User {
        email: String,
        age: u8,
    }

    crate::bodies!(Signup);

    #[test]
    fn malformed_json_is_400_and_wrong_shapes_name_every_field() {
        assert_eq!(parse_json::<Signup>(b"{not json").err().map(|e| e.status()), Some(StatusCode::BAD_REQUEST));
        assert_eq!(
            parse_json::<Signup>(br#"{"user":{"email":"a","age":1}} trailing"#).err().map(|e| e.status()),
            Some(StatusCode::BAD_REQUEST)
        );
        let error = parse_json::<Signup>(br#"{"user":{"email":"a@b.c","age":"old"}}"#).expect_err("wrong type");
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(format!("{error:?}").contains("user.age"), "{error:?}");
        let error = parse_json::<Signup>(br#"{"user":{"age":300}, "extra": 1}"#).expect_err("several");
        let text = format!("{error:?}");
        for field in ["user.email", "user.age", "extra"] {
            assert!(text.contains(&format!("\"{field}\"")), "{field}: {text}");
        }
    }
}
