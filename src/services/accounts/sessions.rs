//! Signing up, logging in, and the life of a session: access tokens that
//! expire quickly and refresh tokens that rotate on every use.

use std::net::IpAddr;

use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{
    Error, Fields, Result,
    accounts::{self, NewAccount, PartyView, UserView},
    throttle::{LoginLimits, Throttle, address_key},
};
use crate::{
    auth::{OpaqueToken, REFRESH_TOKEN_PREFIX},
    config::Config,
    db::{self, parties::PartyRow, refresh_tokens::RefreshTokenRow, users::UserRow},
    domain::{CreditCodeText, Email, IdNumberText, OrganizationName, PartyKind, PersonName, Role},
    state::AppState,
};

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The organization signing up; give this or `person`, not both.
    #[serde(default)]
    pub organization: Option<NewOrganization>,
    /// The natural person signing up; give this or `organization`.
    #[serde(default)]
    pub person: Option<NewPerson>,
    pub user: NewAccount,
}

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub name: PersonName,
    /// 18-character resident identity number with a valid check character;
    /// never shown back but masked.
    pub id_number: IdNumberText,
}

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: OrganizationName,
    /// 18-character unified social credit code with a valid check character.
    pub credit_code: CreditCodeText,
}

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer`, valid for `expires_in` seconds.
    pub access_token: String,
    /// Exchanged once at /auth/refresh for a new pair.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    pub expires_in: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SignupResponse {
    /// The party signed up: an organization or a person.
    pub party: PartyView,
    /// The same, for an organization (absent for a person).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<PartyView>,
    pub user: UserView,
    #[serde(flatten)]
    pub tokens: TokenPair,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    /// The user's organization; null for a person's account and for staff.
    pub organization: Option<PartyView>,
    /// The user's party, organization or person; null for staff.
    pub party: Option<PartyView>,
}

const BAD_CREDENTIALS: Error = Error::Unauthorized("wrong e-mail address or password");
const BAD_REFRESH: Error = Error::Unauthorized("the refresh token is invalid or has expired");

fn signup_throttle(config: &Config) -> Throttle {
    Throttle {
        bucket: "signup.address",
        limit: config.throttle.signups_per_address,
        window: config.throttle.signup_window.get(),
    }
}

/// Creates an organization, unverified, and its first owner, and logs the
/// owner in.
#[tracing::instrument(skip_all)]
pub async fn signup(state: &AppState, request: SignupRequest, client: IpAddr) -> Result<SignupResponse> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    let party = match (&request.organization, &request.person) {
        (Some(organization), None) => {
            let name = fields.check("organization.name", organization.name.parse());
            let code = fields.check("organization.credit_code", organization.credit_code.parse());
            name.zip(code).map(|(name, code)| PartyRow::organization(name.into_string(), code.to_string(), now))
        }
        (None, Some(person)) => {
            let name = fields.check("person.name", person.name.parse());
            let number = fields.check("person.id_number", person.id_number.parse());
            name.zip(number).map(|(name, number)| PartyRow::person(name.into_string(), number.expose().to_owned(), now))
        }
        (organization, _) => {
            let field = if organization.is_some() { "person" } else { "organization" };
            fields.add(field, "give exactly one of organization and person");
            None
        }
    };
    let account = request.user.parse(&mut fields, "user.");
    let (Some(party), Some(account)) = (party, account) else {
        return Err(fields.into_error());
    };

    signup_throttle(&state.config).take(&mut *state.db.acquire().await?, &address_key(client), now).await?;
    let account = account.hash(state).await?;

    let mut tx = state.db.begin().await?;
    // Several parties may claim a credit code or an identity number until
    // one of them is verified; after that, it is that one's.
    if db::parties::find_verified(&mut tx, party.identity()).await?.is_some() {
        return Err(Error::Conflict(match party.kind {
            PartyKind::Organization => "a verified organization already holds this credit code".into(),
            PartyKind::Person => "a verified person already holds this identity number".into(),
        }));
    }
    db::parties::insert(&mut tx, &party).await?;
    let address = accounts::NewAddress::ToConfirm { added_by: None };
    let user = accounts::insert_user(&mut tx, state, account, Role::Owner, Some(party.id), address, now).await?;
    let tokens = start_session(state, &mut tx, &user, None, user.token_generation).await?;
    tx.commit().await?;
    tracing::info!(party_id = %party.id, kind = %party.kind, user_id = %user.id, "party signed up");
    Ok(SignupResponse {
        organization: PartyView::as_organization(&party),
        party: party.into(),
        user: user.into(),
        tokens,
    })
}

/// Exchanges an e-mail address and password for a token pair. Unknown
/// addresses and wrong passwords fail alike; attempts are throttled as
/// [`LoginLimits`] describes.
#[tracing::instrument(skip_all)]
pub async fn login(state: &AppState, request: LoginRequest, client: IpAddr) -> Result<TokenPair> {
    let user = check_credentials(state, &request, client).await?;
    let mut tx = state.db.begin().await?;
    // The generation read with the password just checked: should a change
    // or reset have replaced that password meanwhile, these tokens are born
    // dead.
    let tokens = start_session(state, &mut tx, &user, None, user.token_generation).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// The enabled account these credentials are right for: the check every
/// sign-in makes, the API's and the workbench's alike, throttled as
/// [`LoginLimits`] describes.
pub async fn check_credentials(state: &AppState, request: &LoginRequest, client: IpAddr) -> Result<UserRow> {
    let now = state.clock.now();
    // An address that cannot be an account still counts against the client.
    let email = Email::parse(&request.email).map_or_else(|_| request.email.clone(), |e| e.as_str().to_owned());
    let mut conn = state.db.acquire().await?;
    let attempt = LoginLimits::new(&state.config.throttle).attempt(&mut conn, &email, client, now).await?;
    let user = db::users::find_by_email(&mut conn, &email).await?;
    drop(conn);
    let verified = state.passwords.verify(&request.password, user.as_ref().map(|u| u.password_hash.clone())).await;
    // A disabled account fails exactly like a wrong password.
    let user = match verified {
        Ok(verified) => user.filter(|user| verified && user.disabled_at.is_none()),
        // Not checked (every hasher busy): it does not count.
        Err(error) => {
            attempt.take_back(&mut *state.db.acquire().await?).await?;
            return Err(error.into());
        }
    };
    let Some(user) = user else {
        tracing::info!("failed login");
        return Err(BAD_CREDENTIALS);
    };
    attempt.take_back(&mut *state.db.acquire().await?).await?;
    Ok(user)
}

/// Rotates a refresh token: the presented one stops working and a new pair
/// is issued in the same family. A token presented a second time means it
/// leaked: the whole family is revoked.
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, request: RefreshRequest) -> Result<TokenPair> {
    let now = state.clock.now();
    let presented = OpaqueToken::parse(REFRESH_TOKEN_PREFIX, request.refresh_token.trim()).ok_or(BAD_REFRESH)?;
    let mut tx = state.db.begin().await?;
    let row = db::refresh_tokens::find_for_update(&mut tx, presented.id)
        .await?
        .filter(|row| presented.matches(&row.secret_hash))
        .ok_or(BAD_REFRESH)?;
    if row.revoked_at.is_some() {
        return Err(BAD_REFRESH);
    }
    if row.used_at.is_some() {
        db::refresh_tokens::revoke_family(&mut tx, row.family_id, now).await?;
        tx.commit().await?;
        tracing::warn!(user_id = %row.user_id, family_id = %row.family_id, "refresh token reused; session revoked");
        return Err(Error::Unauthorized("this refresh token was already used; the session has been ended"));
    }
    if row.expires_at <= now {
        return Err(BAD_REFRESH);
    }
    db::refresh_tokens::mark_used(&mut tx, row.id, now).await?;
    // Disabling, a password change and a reset revoke the sessions too;
    // the generation also covers a refresh racing them (the pair issued
    // here carries the presented token's, already out of date).
    let user = db::users::find(&mut tx, row.user_id)
        .await?
        .filter(|user| user.disabled_at.is_none() && user.token_generation == row.token_generation)
        .ok_or(BAD_REFRESH)?;
    let tokens = start_session(state, &mut tx, &user, Some(row.family_id), row.token_generation).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// Ends the session the refresh token belongs to. Unknown tokens are
/// ignored, so logging out twice is harmless.
#[tracing::instrument(skip_all)]
pub async fn logout(state: &AppState, request: RefreshRequest) -> Result<()> {
    let Some(presented) = OpaqueToken::parse(REFRESH_TOKEN_PREFIX, request.refresh_token.trim()) else {
        return Ok(());
    };
    let mut tx = state.db.begin().await?;
    if let Some(row) = db::refresh_tokens::find_for_update(&mut tx, presented.id).await?
        && presented.matches(&row.secret_hash)
    {
        db::refresh_tokens::revoke_family(&mut tx, row.family_id, state.clock.now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The logged-in user and their organization.
pub async fn me(state: &AppState, user_id: Uuid) -> Result<MeResponse> {
    let mut conn = state.db.acquire().await?;
    let user =
        db::users::find(&mut conn, user_id).await?.ok_or(Error::Unauthorized("this account no longer exists"))?;
    let party = match user.org_id {
        Some(org_id) => db::parties::find(&mut conn, org_id).await?,
        None => None,
    };
    let organization = party.as_ref().and_then(PartyView::as_organization);
    Ok(MeResponse { user: user.into(), organization, party: party.map(PartyView::from) })
}

/// Issues an access token and a refresh token (continuing `family`, or
/// starting a new one) of the user's credential `generation`.
async fn start_session(
    state: &AppState,
    conn: &mut PgConnection,
    user: &UserRow,
    family: Option<Uuid>,
    generation: i32,
) -> Result<TokenPair> {
    let now = state.clock.now();
    let secret = OpaqueToken::generate()?;
    let family = family.unwrap_or_else(Uuid::now_v7);
    let expires_at = state
        .config
        .auth
        .refresh_token_ttl
        .after(&now)
        .ok_or_else(|| anyhow::anyhow!("refresh token expiry out of range"))?;
    db::refresh_tokens::insert(
        conn,
        &RefreshTokenRow {
            id: secret.id,
            family_id: family,
            user_id: user.id,
            secret_hash: secret.secret_hash(),
            created_at: now,
            expires_at,
            used_at: None,
            revoked_at: None,
            token_generation: generation,
        },
    )
    .await?;
    let access = state.jwt.issue(user.id, user.org_id, user.role, family, generation, now)?;
    Ok(TokenPair {
        access_token: access.token,
        refresh_token: secret.render(REFRESH_TOKEN_PREFIX),
        token_type: "Bearer",
        expires_in: access.expires_in,
    })
}

/// Deletes refresh tokens that expired more than a day ago (kept that long
/// so that a late reuse is still recognised as one).
pub async fn purge_expired(state: &AppState, now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
    let before = now - chrono::Duration::days(1);
    Ok(db::refresh_tokens::delete_expired(&mut *state.db.acquire().await?, before).await?)
}
