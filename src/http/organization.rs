//! /organization/*: an organization's members and API keys.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::{ApiResult, Problem},
    extract::{Json, Path, Query},
    responses::{Always, AsOwner, AsTenant, BadRequest, JsonBody, Paged},
};
use crate::{
    auth::{Owner, Tenant},
    pagination::{Page, PageQuery},
    services::{
        accounts::UserView,
        organization::{self, ApiKeyView, CreatedApiKey, NewApiKey, NewMember},
    },
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_member, list_members))
        .routes(routes!(remove_member))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
}

/// Adds an owner or member to the caller's organization.
#[utoipa::path(post, path = "/organization/members", tag = "organization", operation_id = "addMember",
    security(("bearer" = [])), request_body = NewMember, responses(
    (status = 201, description = "The new user", body = UserView),
    Always, JsonBody, AsOwner,
    (status = 409, description = "The e-mail address is already registered (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid fields, each listed in `errors` (`code`: `validation_failed`): besides the schema, an e-mail address that is not one, or a password under 10 characters", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "The organization added as many members as it may in the window (`throttle.members_per_organization` per `throttle.members_window`; `code`: `rate_limited`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
))]
async fn add_member(
    State(state): State<AppState>,
    owner: Owner,
    Json(request): Json<NewMember>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    Ok((StatusCode::CREATED, Json(organization::add_member(&state, owner, request).await?)))
}

/// The organization's users, oldest first; removed members are not listed.
#[utoipa::path(get, path = "/organization/members", tag = "organization", operation_id = "listMembers",
    security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, description = "A page of the organization's users", body = Page<UserView>),
    Always, Paged, AsTenant,
))]
async fn list_members(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<UserView>>> {
    Ok(Json(organization::list_members(&state, tenant.org_id, page.parse()?).await?))
}

/// Removes a user from the caller's organization.
///
/// The account is disabled, not deleted, because the organization's
/// histories name it: it can no longer log in, its refresh tokens are
/// revoked, access tokens it already holds are refused from its next
/// request, and it no longer appears in GET /organization/members. Its
/// e-mail address stays registered to it and cannot be used for a new
/// account. API keys it created belong to the organization and keep working:
/// revoke them too if the person knew them. Owners may remove themselves
/// while another owner remains; the last owner cannot be removed (409).
#[utoipa::path(delete, path = "/organization/members/{id}", tag = "organization", operation_id = "removeMember",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The user's id")), responses(
    (status = 204, description = "Removed"),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such active member in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The organization's last owner cannot be removed (`code`: `conflict`)", body = Problem, content_type = "application/problem+json"),
))]
async fn remove_member(State(state): State<AppState>, owner: Owner, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    organization::remove_member(&state, owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates an API key; its secret is in this answer only.
#[utoipa::path(post, path = "/organization/api-keys", tag = "organization", operation_id = "createApiKey",
    security(("bearer" = [])), request_body = NewApiKey, responses(
    (status = 201, description = "The key, with its secret", body = CreatedApiKey),
    Always, JsonBody, AsOwner,
))]
async fn create_api_key(
    State(state): State<AppState>,
    owner: Owner,
    Json(request): Json<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    Ok((StatusCode::CREATED, Json(organization::create_api_key(&state, owner, request).await?)))
}

/// The organization's active API keys, without secrets.
#[utoipa::path(get, path = "/organization/api-keys", tag = "organization", operation_id = "listApiKeys",
    security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, description = "A page of the active keys", body = Page<ApiKeyView>),
    Always, Paged, AsOwner,
))]
async fn list_api_keys(
    State(state): State<AppState>,
    owner: Owner,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page<ApiKeyView>>> {
    Ok(Json(organization::list_api_keys(&state, owner, page.parse()?).await?))
}

/// Revokes an API key at once.
#[utoipa::path(delete, path = "/organization/api-keys/{id}", tag = "organization", operation_id = "revokeApiKey",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The key's id")), responses(
    (status = 204, description = "Revoked"),
    Always, BadRequest, AsOwner,
    (status = 404, description = "No such active key in this organization (`code`: `not_found`)", body = Problem, content_type = "application/problem+json"),
))]
async fn revoke_api_key(State(state): State<AppState>, owner: Owner, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    organization::revoke_api_key(&state, owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
