//! The applicant's side of the procedure: preparing an application,
//! submitting it, withdrawing it, and reading its history.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::services::{
    Error, Fields, Result,
    idempotency::Idempotent,
    procedure::{self, EventActor, Step},
    registration::application_views::{ApplicationView, EventView},
};
use crate::{
    auth::Tenant,
    db::{
        self,
        applications::{ApplicationFields, ApplicationRow, TransitionChanges},
    },
    domain::{
        Abstract, Action, ApplicationState, Category, DataAttribute, DataSource, HistoryAction, MaterialKind, Name,
        ProductName, Text, WithdrawalReason,
    },
    pagination::{Page, PageRequest},
    state::AppState,
};

const MAX_DATA_SOURCES: usize = 20;

/// A new application's fields.
#[derive(Debug, Clone, Serialize, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApplication {
    /// At most 100 characters (after trimming), no control characters.
    pub product_name: ProductName,
    #[serde(deserialize_with = "crate::domain::fields::text")]
    pub category: Category,
    /// What the product is, in up to 2000 characters.
    #[serde(rename = "abstract")]
    #[schema(rename = "abstract")]
    pub summary: Abstract,
    /// At most 20; at least one is needed to submit.
    #[schema(max_items = 20)]
    pub data_sources: Vec<DataSource>,
    /// At most 200 characters; empty means none.
    #[serde(default)]
    pub data_format: Option<DataAttribute>,
    /// At most 200 characters; empty means none.
    #[serde(default)]
    pub data_scale: Option<DataAttribute>,
    /// At most 200 characters; empty means none.
    #[serde(default)]
    pub update_frequency: Option<DataAttribute>,
}

/// Any subset of the creation fields; `version` (or `If-Match`) guards
/// against overwriting a change made meanwhile.
#[derive(Debug, Clone, Default, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    #[serde(default)]
    pub product_name: Option<ProductName>,
    #[serde(default, deserialize_with = "crate::domain::fields::optional_text")]
    pub category: Option<Category>,
    #[serde(rename = "abstract")]
    #[schema(rename = "abstract")]
    #[serde(default)]
    pub summary: Option<Abstract>,
    #[schema(max_items = 20)]
    #[serde(default)]
    pub data_sources: Option<Vec<DataSource>>,
    /// null clears it.
    #[serde(default, deserialize_with = "present")]
    pub data_format: Option<Option<DataAttribute>>,
    /// null clears it.
    #[serde(default, deserialize_with = "present")]
    pub data_scale: Option<Option<DataAttribute>>,
    /// null clears it.
    #[serde(default, deserialize_with = "present")]
    pub update_frequency: Option<Option<DataAttribute>>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// Tells a field given as null (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// The applicant declares the data lawfully obtained and infringing no
    /// one's rights; must be true.
    #[serde(default)]
    pub commitment: bool,
}

#[derive(Debug, Default, eserde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Why, in up to 1000 characters.
    #[serde(default)]
    pub reason: Option<WithdrawalReason>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateFilter {
    /// Only applications in this state.
    pub state: Option<ApplicationState>,
}

impl NewApplication {
    /// Checks every field, recording each problem; `today` is the registry's
    /// date, before which no agreement may already have ended.
    fn parse(&self, fields: &mut Fields, today: NaiveDate) -> Option<ApplicationFields> {
        let product_name = fields.check("product_name", self.product_name.parse());
        let summary = fields.check("abstract", self.summary.parse());
        let data_sources = parse_data_sources(&self.data_sources, fields, today);
        let mut optional = |field: &str, value: &Option<DataAttribute>| match value {
            None => Some(None),
            Some(text) => fields.check(field, text.parse()).map(|name| name.map(Name::into_string)),
        };
        let data_format = optional("data_format", &self.data_format);
        let data_scale = optional("data_scale", &self.data_scale);
        let update_frequency = optional("update_frequency", &self.update_frequency);
        Some(ApplicationFields {
            product_name: product_name?.into_string(),
            category: self.category,
            r#abstract: summary?.into_string(),
            data_sources: sqlx::types::Json(data_sources?),
            data_format: data_format?,
            data_scale: data_scale?,
            update_frequency: update_frequency?,
        })
    }

    fn from_row(row: &ApplicationRow) -> Self {
        Self {
            product_name: row.product_name.clone().into(),
            category: row.category,
            summary: row.r#abstract.clone().into(),
            data_sources: row.data_sources.0.clone(),
            data_format: row.data_format.clone().map(DataAttribute::from),
            data_scale: row.data_scale.clone().map(DataAttribute::from),
            update_frequency: row.update_frequency.clone().map(DataAttribute::from),
        }
    }

    fn merge(mut self, patch: ApplicationPatch) -> Self {
        self.product_name = patch.product_name.unwrap_or(self.product_name);
        self.category = patch.category.unwrap_or(self.category);
        self.summary = patch.summary.unwrap_or(self.summary);
        self.data_sources = patch.data_sources.unwrap_or(self.data_sources);
        self.data_format = patch.data_format.unwrap_or(self.data_format);
        self.data_scale = patch.data_scale.unwrap_or(self.data_scale);
        self.update_frequency = patch.update_frequency.unwrap_or(self.update_frequency);
        self
    }
}

fn parse_data_sources(sources: &[DataSource], fields: &mut Fields, today: NaiveDate) -> Option<Vec<DataSource>> {
    if sources.len() > MAX_DATA_SOURCES {
        fields.add("data_sources", format!("at most {MAX_DATA_SOURCES} data sources"));
        return None;
    }
    let mut parsed = Vec::with_capacity(sources.len());
    let mut valid = true;
    for (i, source) in sources.iter().enumerate() {
        let description = fields.check(&format!("data_sources[{i}].description"), source.description.parse());
        if let Some(ends) = source.agreement_ends_on
            && ends < today
        {
            fields.add(&format!("data_sources[{i}].agreement_ends_on"), "the agreement has already ended");
            valid = false;
        }
        match description {
            Some(description) => {
                parsed.push(DataSource { description: description.into_string().into(), ..source.clone() })
            }
            None => valid = false,
        }
    }
    valid.then_some(parsed)
}

/// The registry's calendar date at `now`.
fn today(state: &AppState, now: DateTime<Utc>) -> NaiveDate {
    state.config.calendar.today(now)
}

/// Creates a draft. With an `Idempotency-Key`, a repeat of the same request
/// answers the first response and creates nothing.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id))]
pub async fn create(
    state: &AppState,
    tenant: Tenant,
    request: NewApplication,
    idempotency_key: Option<String>,
) -> Result<ApplicationView> {
    let now = state.clock.now();
    let idempotent = Idempotent::new(tenant.org_id, idempotency_key, "create_application", &request)?;
    let mut fields = Fields::new();
    let Some(parsed) = request.parse(&mut fields, today(state, now)).filter(|_| fields.is_empty()) else {
        return Err(fields.into_error());
    };

    let mut tx = state.db.begin().await?;
    if let Some(idempotent) = &idempotent
        && let Some(earlier) = idempotent.earlier(&mut tx, now).await?
    {
        return Ok(earlier);
    }
    // Checked without a lock, so that creations do not queue behind one
    // another: concurrent ones may pass the cap by as many as are in flight.
    let cap = state.config.quota.open_drafts_per_organization;
    if db::applications::count_drafts(&mut tx, tenant.org_id, i64::from(cap)).await? >= i64::from(cap) {
        return Err(Error::QuotaExceeded(format!(
            "the organization already has {cap} applications in draft (quota.open_drafts_per_organization): \
             submit or withdraw some first"
        )));
    }
    let row = db::applications::insert(&mut tx, Uuid::now_v7(), tenant.org_id, &parsed, now).await?;
    procedure::record(&mut tx, &row, tenant.actor.into(), HistoryAction::Create, None, None, now).await?;
    let view = ApplicationView::new(row, Vec::new());
    if let Some(idempotent) = &idempotent {
        idempotent.remember(&mut tx, &view).await?;
    }
    tx.commit().await?;
    tracing::info!(application_id = %view.id, "application created");
    Ok(view)
}

/// The application, if it belongs to the caller's organization.
pub async fn get(state: &AppState, tenant: Tenant, id: Uuid) -> Result<ApplicationView> {
    let mut conn = state.db.acquire().await?;
    let row = db::applications::find_in_org(&mut conn, tenant.org_id, id).await?.ok_or(Error::NotFound)?;
    ApplicationView::load(&mut conn, row).await
}

/// The organization's applications, newest first.
pub async fn list(
    state: &AppState,
    tenant: Tenant,
    filter: StateFilter,
    page: PageRequest<Uuid>,
) -> Result<Page<ApplicationView>> {
    let mut conn = state.db.acquire().await?;
    let rows =
        db::applications::list_in_org(&mut conn, tenant.org_id, filter.state, page.after, page.fetch_limit()).await?;
    let rows = page.page(rows, |row| row.id, |row| row);
    Ok(Page { items: ApplicationView::load_many(&mut conn, rows.items).await?, next_cursor: rows.next_cursor })
}

/// Changes fields of a draft or of an application answering a supplement
/// request. `if_match` (from the header) or the body's `version` must be
/// the current version, else 412.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, application_id = %id))]
pub async fn update(
    state: &AppState,
    tenant: Tenant,
    id: Uuid,
    patch: ApplicationPatch,
    if_match: Option<i32>,
) -> Result<ApplicationView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = db::applications::find_in_org(&mut tx, tenant.org_id, id).await?.ok_or(Error::NotFound)?;
    if !current.state.is_editable() {
        return Err(Error::InvalidTransition {
            subject: "application",
            from: current.state.to_string(),
            action: "edit".into(),
        });
    }
    // Invalid fields first: a change that could never apply is 422 whatever
    // the version it names.
    let expected = if_match.or(patch.version);
    let mut fields = Fields::new();
    let parsed = NewApplication::from_row(&current).merge(patch).parse(&mut fields, today(state, now));
    let Some(parsed) = parsed.filter(|_| fields.is_empty()) else {
        return Err(fields.into_error());
    };
    if expected.is_some_and(|version| version != current.version) {
        return Err(stale(current.version));
    }
    let row = db::applications::update_fields(&mut tx, tenant.org_id, id, current.version, &parsed, now)
        .await?
        .ok_or_else(|| stale(current.version + 1))?;
    procedure::record(&mut tx, &row, tenant.actor.into(), HistoryAction::Update, None, None, now).await?;
    let view = ApplicationView::load(&mut tx, row).await?;
    tx.commit().await?;
    Ok(view)
}

fn stale(current: i32) -> Error {
    Error::PreconditionFailed(format!(
        "the application has changed since you read it (now version {current}); read it again and retry"
    ))
}

/// Files the application: the first time, or again with the supplement.
/// Every missing piece is listed at once.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, application_id = %id))]
pub async fn submit(state: &AppState, tenant: Tenant, id: Uuid, request: SubmitRequest) -> Result<ApplicationView> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The organization first (as uploads take it), so that two submissions
    // of one product name cannot both pass the duplicate check; the
    // application, so that materials cannot change between the check and
    // the move.
    db::parties::lock(&mut tx, tenant.org_id).await?;
    let current = db::applications::find_in_org_for_update(&mut tx, tenant.org_id, id).await?.ok_or(Error::NotFound)?;
    procedure::check(&current, Action::Submit)?;
    crate::services::accounts::verification::ensure_verified(&mut tx, tenant.org_id, "submit applications").await?;
    check_complete(&mut tx, state, &current, &request, now).await?;
    let exception_note =
        crate::services::registration::refiling::check_submission(&mut tx, state, &current, now).await?;
    let application_number = match &current.application_number {
        Some(_) => None,
        None => {
            let year = now.with_timezone(&state.config.calendar.zone).year();
            Some(db::applications::next_application_number(&mut tx, year).await?)
        }
    };
    let changes = TransitionChanges {
        submitted_at: Some(now),
        application_number,
        supplement: Some(None),
        ..TransitionChanges::default()
    };
    let step = Step::new(Action::Submit, tenant.actor.into()).note(exception_note).changes(changes);
    let row = procedure::apply(&mut tx, &current, step, now).await?;
    crate::services::notifications::application_changed(&mut tx, state, &row, now).await?;
    let view = ApplicationView::load(&mut tx, row).await?;
    tx.commit().await?;
    tracing::info!(application_number = view.application_number.as_deref(), "application submitted");
    Ok(view)
}

/// Everything a submission needs, each gap reported.
async fn check_complete(
    conn: &mut PgConnection,
    state: &AppState,
    application: &ApplicationRow,
    request: &SubmitRequest,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut fields = Fields::new();
    let materials = db::materials::of_applications(conn, &[application.id]).await?;
    for kind in MaterialKind::REQUIRED {
        if !materials.iter().any(|m| m.kind == kind) {
            fields.add(&format!("materials.{}", kind.as_str()), "this material is required");
        }
    }
    let sources = &application.data_sources.0;
    if sources.is_empty() {
        fields.add("data_sources", "at least one data source is required");
    }
    parse_data_sources(sources, &mut fields, today(state, now));
    if !request.commitment {
        fields.add(
            "commitment",
            "must be true: declare that the data was lawfully obtained and infringes no one's rights",
        );
    }
    fields.finish()
}

/// Gives the application up, from any state before a final outcome.
#[tracing::instrument(skip_all, fields(org_id = %tenant.org_id, application_id = %id))]
pub async fn withdraw(state: &AppState, tenant: Tenant, id: Uuid, request: WithdrawRequest) -> Result<ApplicationView> {
    let now = state.clock.now();
    let reason = match &request.reason {
        None => None,
        Some(reason) => reason.parse().map_err(|m| Error::field("reason", m))?.map(Text::into_string),
    };
    let mut tx = state.db.begin().await?;
    let current = db::applications::find_in_org(&mut tx, tenant.org_id, id).await?.ok_or(Error::NotFound)?;
    let step = Step::new(Action::Withdraw, tenant.actor.into()).note(reason);
    let row = procedure::apply(&mut tx, &current, step, now).await?;
    crate::services::objections::close_moot(&mut tx, &row, "the application was withdrawn", now).await?;
    let view = ApplicationView::load(&mut tx, row).await?;
    tx.commit().await?;
    Ok(view)
}

/// The application's history, oldest first.
pub async fn events(state: &AppState, tenant: Tenant, id: Uuid) -> Result<Vec<EventView>> {
    let mut conn = state.db.acquire().await?;
    db::applications::find_in_org(&mut conn, tenant.org_id, id).await?.ok_or(Error::NotFound)?;
    Ok(db::application_events::of_application(&mut conn, id).await?.into_iter().map(EventView::from).collect())
}

/// Withdraws applications whose supplement deadline passed ("deemed
/// withdrawn"), a batch at a time; safe with several workers at once.
pub async fn lapse_due_supplements(state: &AppState, batch: i64) -> Result<u64> {
    let mut lapsed = 0;
    loop {
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let due = db::applications::lock_lapsed_supplements(&mut tx, now, batch).await?;
        for id in &due {
            let current = db::applications::find(&mut tx, *id).await?.ok_or(Error::NotFound)?;
            let note = Some("deemed withdrawn: no supplement was filed by the deadline".to_owned());
            procedure::apply(&mut tx, &current, Step::new(Action::LapseSupplement, EventActor::System).note(note), now)
                .await?;
        }
        tx.commit().await?;
        lapsed += due.len() as u64;
        if (due.len() as i64) < batch {
            return Ok(lapsed);
        }
    }
}

/// Forgets Idempotency-Keys after a day: retries come sooner than that.
pub async fn purge_idempotency_keys(state: &AppState, now: DateTime<Utc>) -> Result<u64> {
    let before = now - chrono::Duration::days(1);
    Ok(db::idempotency::delete_before(&mut *state.db.acquire().await?, before).await?)
}
