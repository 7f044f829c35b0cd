//! The same product filed twice. An organization may not submit a product
//! name (in its normal form: NFKC, white space removed, case folded) that it
//! already has live in the same category, nor one of an application it
//! withdrew itself less than `workflow.refile_bar` ago, unless an admin
//! granted an exception. Reviewers see, on each application, the live
//! filings of any organization that share its name or the bytes of its
//! summary, processing and innovation, scenarios or sample.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::services::{Error, Fields, Result};
use crate::{
    auth::Admin,
    db::{self, applications::ApplicationRow, refile_exceptions::RefileExceptionRow, refiling::SimilarRow},
    domain::{ApplicationState, Category, ProductName, Reason, normalized_product_name},
    state::AppState,
};

/// Similar filings shown on one application.
const SIMILAR_LIMIT: i64 = 20;

/// Checks a submission against the organization's other filings, in the
/// caller's transaction (which holds the organization's lock, so that two
/// submissions of one name cannot both pass). Answers the note for the
/// history when an exception lifted the re-filing bar.
pub async fn check_submission(
    conn: &mut PgConnection,
    state: &AppState,
    application: &ApplicationRow,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let name = normalized_product_name(&application.product_name);
    let (org_id, id) = (application.org_id, application.id);
    if let Some((other, other_state)) =
        db::refiling::live_of_org(conn, org_id, &name, application.category, id, now).await?
    {
        let standing = match other_state {
            ApplicationState::Registered => "registered with an active certificate".to_owned(),
            state => format!("now {state}"),
        };
        return Err(Error::ConflictWith {
            message: format!(
                "your organization already has this product in category {}: application {other}, {standing}, \
                 has the same product name (compared ignoring case, width and white space); change this \
                 application's product name, or withdraw the other",
                category_name(application.category)
            ),
            application_id: other,
        });
    }

    let bar = state.config.workflow.refile_bar;
    // Calendar months are not all as long: look a week further back, then
    // compute each withdrawal's own end of the bar.
    let since =
        state.config.calendar.deadline_before(now, bar).ok_or_else(|| anyhow::anyhow!("refile bar out of range"))?
            - Duration::days(7);
    let mut barred = None;
    for (other, withdrawn_at) in db::refiling::withdrawn_by_applicant(conn, org_id, &name, id, since).await? {
        let lifted_at = state
            .config
            .calendar
            .deadline(withdrawn_at, bar)
            .ok_or_else(|| anyhow::anyhow!("refile bar out of range"))?;
        if now < lifted_at && barred.as_ref().is_none_or(|(_, _, later)| lifted_at > *later) {
            barred = Some((other, withdrawn_at, lifted_at));
        }
    }
    let Some((other, withdrawn_at, lifted_at)) = barred else {
        return Ok(None);
    };
    if let Some(exception) = db::refile_exceptions::take(conn, org_id, &name, id, now).await? {
        return Ok(Some(format!(
            "the re-filing bar (application {other} withdrawn) is lifted by exception {exception}"
        )));
    }
    let at = |time: DateTime<Utc>| time.to_rfc3339_opts(SecondsFormat::Secs, true);
    Err(Error::ConflictWith {
        message: format!(
            "your organization withdrew application {other}, of the same product name, at {}: the same product \
             may be filed again from {} (workflow.refile_bar = {bar}), or sooner with an exception granted by \
             the registry",
            at(withdrawn_at),
            at(lifted_at)
        ),
        application_id: other,
    })
}

fn category_name(category: Category) -> &'static str {
    match category {
        Category::DataCollection => "data_collection",
        Category::DataProduct => "data_product",
        Category::DataAlgorithm => "data_algorithm",
    }
}

/// What an admin grants.
#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRefileException {
    /// The product name the organization may file again (compared in its
    /// normal form, ignoring case, width and white space).
    pub product_name: ProductName,
    /// Why the registry lets it be filed again before the bar ends.
    pub reason: Reason,
}

/// An exception to the re-filing bar.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefileExceptionView {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// As granted.
    pub product_name: String,
    /// The normal form submissions are compared in.
    pub normalized_product_name: String,
    pub reason: String,
    /// The admin who granted it.
    pub granted_by: Uuid,
    pub granted_at: DateTime<Utc>,
    /// The application whose submission took it (an exception is used once);
    /// null while unused.
    pub used_by_application_id: Option<Uuid>,
    pub used_at: Option<DateTime<Utc>>,
}

impl From<RefileExceptionRow> for RefileExceptionView {
    fn from(row: RefileExceptionRow) -> Self {
        Self {
            id: row.id,
            organization_id: row.org_id,
            product_name: row.product_name,
            normalized_product_name: row.normalized_product_name,
            reason: row.reason,
            granted_by: row.granted_by,
            granted_at: row.granted_at,
            used_by_application_id: row.used_by,
            used_at: row.used_at,
        }
    }
}

/// Grants an organization an exception to the re-filing bar for a product
/// name: its next submission of that name passes the bar.
#[tracing::instrument(skip_all, fields(admin_id = %admin.user_id, org_id = %org_id))]
pub async fn grant_exception(
    state: &AppState,
    admin: Admin,
    org_id: Uuid,
    request: NewRefileException,
) -> Result<RefileExceptionView> {
    let now = state.clock.now();
    let mut fields = Fields::new();
    let name = fields.check("product_name", request.product_name.parse());
    let reason = fields.check("reason", request.reason.parse());
    let (Some(name), Some(reason)) = (name, reason) else {
        return Err(fields.into_error());
    };
    let mut tx = state.db.begin().await?;
    db::parties::find(&mut tx, org_id).await?.ok_or(Error::NotFound)?;
    let row = RefileExceptionRow {
        id: Uuid::now_v7(),
        org_id,
        normalized_product_name: normalized_product_name(name.as_str()),
        product_name: name.into_string(),
        reason: reason.into_string(),
        granted_by: admin.user_id,
        granted_at: now,
        used_by: None,
        used_at: None,
    };
    db::refile_exceptions::insert(&mut tx, &row).await?;
    let audit = crate::services::audit::Audit {
        action: crate::domain::AuditAction::OrganizationGrantRefileException,
        target_id: org_id,
        before: None,
        after: Some(
            serde_json::json!({"exception_id": row.id, "product_name": row.product_name, "reason": row.reason}),
        ),
    };
    crate::services::audit::record(&mut tx, crate::services::audit::AuditActor::Staff(admin.user_id), now, audit)
        .await?;
    tx.commit().await?;
    tracing::info!(exception_id = %row.id, "refile exception granted");
    Ok(row.into())
}

/// What a similar filing shares with the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SimilarityMatch {
    /// The same product name, ignoring case, width and white space.
    ProductName,
    /// The same bytes (SHA-256) of that material.
    Summary,
    ProcessingInnovation,
    ApplicationScenarios,
    Sample,
}

impl SimilarityMatch {
    fn parse(signal: &str) -> Option<Self> {
        Some(match signal {
            "product_name" => Self::ProductName,
            "summary" => Self::Summary,
            "processing_innovation" => Self::ProcessingInnovation,
            "application_scenarios" => Self::ApplicationScenarios,
            "sample" => Self::Sample,
            _ => return None,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarOrganization {
    pub id: Uuid,
    pub name: String,
}

/// Another live application or registration that resembles this one: of
/// any organization, shown to staff only.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarFiling {
    pub application_id: Uuid,
    pub application_number: Option<String>,
    /// From `submitted` to `objection_review`, or `registered` (with an
    /// active certificate).
    pub state: ApplicationState,
    /// For a registration, the name on the register now.
    pub product_name: String,
    pub category: Category,
    /// The organization that filed it, or that holds its certificate now.
    pub organization: SimilarOrganization,
    pub registration_number: Option<String>,
    pub certificate_number: Option<String>,
    /// What it shares with this application, the name first, then the
    /// materials whose SHA-256 is the same (kind for kind).
    pub matches: Vec<SimilarityMatch>,
}

impl From<SimilarRow> for SimilarFiling {
    fn from(row: SimilarRow) -> Self {
        let mut matches: Vec<SimilarityMatch> = row.matches.iter().filter_map(|m| SimilarityMatch::parse(m)).collect();
        matches.sort_unstable();
        matches.dedup();
        Self {
            application_id: row.application_id,
            application_number: row.application_number,
            state: row.state,
            product_name: row.product_name,
            category: row.category,
            organization: SimilarOrganization { id: row.organization_id, name: row.organization_name },
            registration_number: row.registration_number,
            certificate_number: row.certificate_number,
            matches,
        }
    }
}

/// The live filings that resemble the application, most alike first.
pub async fn similar_filings(
    conn: &mut PgConnection,
    application: &ApplicationRow,
    now: DateTime<Utc>,
) -> Result<Vec<SimilarFiling>> {
    let name = normalized_product_name(&application.product_name);
    let rows = db::refiling::similar_to(conn, application.id, &name, now, SIMILAR_LIMIT).await?;
    Ok(rows.into_iter().map(SimilarFiling::from).collect())
}
