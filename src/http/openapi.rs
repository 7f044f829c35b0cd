//! The OpenAPI 3 document, assembled from the routers' annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use super::error::Problem;
use crate::services::FieldError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dataip",
        description = "Registry of data-product intellectual property: applications, review, public announcement, certificates and the acts on them.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "auth", description = "Signing up, logging in, sessions"),
        (name = "organization", description = "An applicant organization's members and API keys"),
        (name = "applications", description = "Preparing, submitting and following applications"),
        (name = "review", description = "Examination by the registry's reviewers"),
        (name = "certificates", description = "The holder's registration certificates"),
        (name = "public", description = "Announcements, objections, the register and certificates, for anyone"),
        (name = "ledger", description = "The tamper-evident log: checkpoints, entries, proofs and anchors"),
        (name = "admin", description = "Registry staff management"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("A JWT access token from /auth/login, or an organization API key (dipk_…).".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}
