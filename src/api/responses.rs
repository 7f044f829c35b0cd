//! The problem answers of the OpenAPI document, each kind defined once: a
//! response component per kind (`#/components/responses/...`), and groups of
//! them that handlers list in `responses(...)` by what they do (take a JSON
//! body, need a tenant, page a list...). A handler adds its own rows after
//! the groups for answers whose reasons are its own (a 409 or a rule-bound
//! 422): a later row of the same status replaces the group's.

use std::collections::BTreeMap;

use serde_json::json;
use utoipa::{
    IntoResponses,
    openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response},
};

use crate::http::error::{PROBLEM_JSON, ProblemCode};

/// One kind of problem answer.
struct Kind {
    name: &'static str,
    status: u16,
    code: ProblemCode,
    description: &'static str,
    example_detail: &'static str,
}

impl Kind {
    fn response(&self) -> Response {
        let example = json!({
            "type": self.code.type_uri(),
            "title": axum::http::StatusCode::from_u16(self.status)
                .ok()
                .and_then(|status| status.canonical_reason())
                .unwrap_or("Error"),
            "status": self.status,
            "detail": self.example_detail,
            "code": self.code.as_str(),
        });
        let content =
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).example(Some(example)).build();
        ResponseBuilder::new().description(self.description).content(PROBLEM_JSON, content).build()
    }

    fn reference(&self) -> (String, RefOr<Response>) {
        (self.status.to_string(), RefOr::Ref(Ref::from_response_name(self.name)))
    }
}

macro_rules! kinds {
    ($($name:ident = $status:literal, $code:ident, $detail:literal, $description:literal;)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl $name {
                const KIND: Kind = Kind {
                    name: stringify!($name),
                    status: $status,
                    code: ProblemCode::$code,
                    description: $description,
                    example_detail: $detail,
                };
            }

            impl IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([Self::KIND.reference()])
                }
            }
        )*

        /// Every response component, for the document's `components`.
        pub fn components() -> Vec<(String, RefOr<Response>)> {
            vec![$((stringify!($name).to_owned(), RefOr::T($name::KIND.response()))),*]
        }

        /// Every kind, for the tests.
        #[cfg(test)]
        const KINDS: &[Kind] = &[$($name::KIND),*];
    };
}

kinds! {
    BadRequest = 400, ValidationFailed, "the body is not valid JSON: EOF while parsing an object at line 1 column 17",
        "Malformed request (`code`: `validation_failed`): a body that is not JSON at all, or a path parameter, query parameter or header (`If-Match`, `Idempotency-Key`) that is not of its documented form, e.g. an id that is not a UUID, an unknown enum value, a number that is not one.";
    Unauthorized = 401, Unauthorized, "this endpoint needs an Authorization: Bearer token",
        "No valid credentials (`code`: `unauthorized`): no `Authorization: Bearer` header, an access token that is invalid or expired, an API key that is unknown or revoked, or an account disabled since the token was issued.";
    TenantOnly = 403, Forbidden, "registry staff do not act for an applicant organization",
        "Registry staff do not act for an applicant organization (`code`: `forbidden`): this needs an organization's user or API key.";
    OwnerOnly = 403, Forbidden, "only an owner of the organization may do this",
        "Only an owner of the organization may do this (`code`: `forbidden`): members, API keys and staff are refused.";
    StaffOnly = 403, Forbidden, "only registry staff may do this",
        "Only registry staff (reviewers and admins) may do this (`code`: `forbidden`).";
    AdminOnly = 403, Forbidden, "only a registry admin may do this",
        "Only a registry admin may do this (`code`: `forbidden`).";
    NotFound = 404, NotFound, "no such resource",
        "No such resource, or none the caller may see (`code`: `not_found`): another organization's answers exactly as if it did not exist.";
    RequestTimeout = 408, RequestTimeout, "the request took too long",
        "The request took longer than the server allows (`server.request_timeout`; `server.upload_timeout` for uploads of materials, business licences and objection evidence) and was abandoned (`code`: `request_timeout`). Nothing is left half done: a write either completed before or was rolled back.";
    PreconditionFailed = 412, PreconditionFailed, "the application has changed since you read it (now version 4); read it again and retry",
        "The resource changed since it was read (`code`: `precondition_failed`): `If-Match` (or `version`) names an older version. Read it again and retry.";
    PayloadTooLarge = 413, PayloadTooLarge, "the request body is too large",
        "The body is larger than the server accepts (`server.body_limit`) (`code`: `payload_too_large`).";
    UnsupportedMediaType = 415, UnsupportedMediaType, "send the body as Content-Type: application/json",
        "The body is not sent as JSON (`code`: `unsupported_media_type`): send it with `Content-Type: application/json`.";
    ValidationFailed = 422, ValidationFailed, "product_name: must not be empty",
        "The JSON is well-formed but not a valid request (`code`: `validation_failed`): a field is missing, of the wrong type, unknown, or breaks a rule (a length, a format, a range, no NUL character). Every offending field is listed in `errors`.";
    InvalidPage = 422, ValidationFailed, "limit: must be between 1 and 100",
        "A query parameter is not valid (`code`: `validation_failed`): `limit` outside 1 to 100, a `cursor` that this list did not give out, or a value holding the NUL character (`%00`); `errors` names it.";
    Internal = 500, Internal, "an internal error occurred; it has been logged",
        "An unexpected failure (`code`: `internal`). It has been logged; the body carries no internal detail.";
    Unavailable = 503, Unavailable, "the registry's database is out of reach; try again in 5 seconds",
        "The service cannot take the request now (`code`: `unavailable`): its database is out of reach, or, for requests that check or set a password, every password hasher is busy. Nothing was changed; retry after `Retry-After` seconds.";
}

/// Unions of response groups, for `responses(...)`.
macro_rules! group {
    ($(#[$doc:meta])* $name:ident = $($part:ident),+) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                let mut responses = BTreeMap::new();
                $(responses.extend($part::responses());)+
                responses
            }
        }
    };
}

group!(
    /// What any request can meet: the timeout, an unexpected failure, and
    /// the service out of reach of its database.
    Always = RequestTimeout,
    Internal,
    Unavailable
);
group!(
    /// A JSON request body: malformed (400), too large (413), not JSON (415),
    /// or of the wrong shape (422).
    JsonBody = BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed
);
group!(
    /// A list's `limit` and `cursor`: not a number (400) or out of range (422).
    Paged = BadRequest,
    InvalidPage
);
group!(
    /// Any authenticated caller (user or API key).
    Authenticated = Unauthorized
);
group!(
    /// An organization's user or API key; staff are refused.
    AsTenant = Unauthorized,
    TenantOnly
);
group!(
    /// An owner of the organization (a person).
    AsOwner = Unauthorized,
    OwnerOnly
);
group!(
    /// Registry staff.
    AsStaff = Unauthorized,
    StaffOnly
);
group!(
    /// A registry admin.
    AsAdmin = Unauthorized,
    AdminOnly
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_its_code_and_status() {
        for kind in KINDS {
            let said = format!("(`code`: `{}`)", kind.code);
            assert!(kind.description.contains(&said), "{}: {said} is not in its description", kind.name);
            let status = axum::http::StatusCode::from_u16(kind.status).expect("a status");
            // A kind more specific than its status's default says so by a code of its own.
            assert!(
                ProblemCode::for_status(status) == kind.code || status == axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "{}",
                kind.name
            );
        }
    }
}
