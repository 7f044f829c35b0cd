//! New applications and drafts: the form with every field of the API's
//! `POST /applications` body, validated by the same service, data sources
//! as repeatable rows (added and removed by buttons that post the form back,
//! everything typed kept: no script needed). One concern, long because each
//! field has its words in two languages, its control, and its checks.
//!
//! - `GET/POST /workbench/applications/new`: `action=save` creates the draft
//!   (`applications::create`) and goes to its page.
//! - `GET/POST /workbench/applications/{id}/edit`: the same form filled in,
//!   for an application the party may still change (a draft, or one
//!   answering a supplement request); `action=save` updates it
//!   (`applications::update`, guarded by the `version` read).
//! - `action=add-source` shows one more empty data source row;
//!   `action=remove-source-{n}` drops row `n` (counted from 0).
//!
//! The controls carry the API's names (`product_name`, `category`,
//! `abstract`, `data_sources[0][kind]`...). A required field left empty
//! is named beside its control here, before the service is asked (the
//! decoding of the API's type would only say "missing field"); a row of
//! data source left wholly empty is dropped. Everything else is the
//! service's to check, its errors shown beside their fields.

use std::collections::BTreeMap;

use askama::Template;
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use chrono::NaiveDate;
use uuid::Uuid;

use crate::workbench::{
    form::Submitted,
    page::{self, Ctx, FieldErrors, api_name},
    visit::Applicant,
    words::words,
};
use crate::{
    domain::{Abstract, Category, DataAttribute, DataSourceKind, ProductName, RecordDate, SourceDescription},
    http::error::ApiError,
    services::{
        Error,
        registration::{
            application_views::ApplicationView,
            applications::{self, ApplicationPatch, NewApplication},
        },
    },
    state::AppState,
};

/// As many data sources as an application may have (the service says so
/// too): the form offers no row beyond.
const MAX_SOURCES: usize = 20;
/// Row numbers a posted form may use (a forged `data_sources[999999][...]`
/// makes no rows).
const MAX_ROW_INDEX: usize = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/workbench/applications/new", get(show_new).post(post_new))
        .route("/workbench/applications/{id}/edit", get(show_edit).post(post_edit))
}

words! { pub FormWords {
    new_title: "新建申请", "New application";
    edit_title: "修改申请内容", "Edit the application";
    intro: "填写数据产品的基本信息并保存为草稿。保存后可在申请页面上传材料、提交申请。带 * 的为必填项。", "Fill in the data product's particulars and save them as a draft. Then, on the application's page, upload the materials and submit. Fields marked * are required.";
    edit_intro: "修改后保存；提交前可以多次修改。", "Save your changes; you may change the application as often as needed before submitting it.";
    back: "返回申请", "Back to the application";
    required: "必填", "required";
    product: "数据产品", "The data product";
    product_name: "产品名称", "Product name";
    product_name_hint: "最多 100 个字符。", "At most 100 characters.";
    category: "类别", "Category";
    choose: "请选择", "Choose one";
    category_data_collection: "数据集合（数据加工集合）", "Data collection (a processed data collection)";
    category_data_product: "数据产品（数据加工产品）", "Data product (a processed data product)";
    category_data_algorithm: "数据算法（数据技术算法，如人工智能模型）", "Data algorithm (a data technique or algorithm, e.g. an AI model)";
    summary: "产品简介", "Abstract";
    summary_hint: "说明数据产品是什么，最多 2000 个字符。", "What the product is, in at most 2000 characters.";
    data_format: "数据格式", "Data format";
    data_format_hint: "例如 CSV、JSON；可不填，最多 200 个字符。", "E.g. CSV, JSON; optional, at most 200 characters.";
    data_scale: "数据规模", "Data scale";
    data_scale_hint: "例如 1.2 亿条；可不填，最多 200 个字符。", "E.g. 120 million records; optional, at most 200 characters.";
    update_frequency: "更新频率", "Update frequency";
    update_frequency_hint: "例如 每日；可不填，最多 200 个字符。", "E.g. daily; optional, at most 200 characters.";
    sources: "数据来源", "Data sources";
    sources_hint: "最多 20 项；提交申请时至少需要一项。完全空白的行在保存时忽略。", "At most 20; at least one is needed to submit. A row left wholly empty is ignored when saving.";
    source: "数据来源", "Data source";
    no_sources: "尚未添加数据来源。", "No data source yet.";
    kind: "来源类型", "Kind of source";
    kind_self_collected: "自行采集", "Self-collected";
    kind_licensed: "授权许可", "Licensed";
    kind_purchased: "购买取得", "Purchased";
    kind_public_authorized: "公共数据授权运营", "Public data, under authorized operation";
    description: "来源说明", "Description";
    description_hint: "数据从何而来、依据什么协议；最多 1000 个字符。", "Where the data comes from, under which agreement; at most 1000 characters.";
    agreement_ends_on: "协议到期日", "Agreement ends on";
    agreement_ends_on_hint: "提供数据的协议有期限时填写（年-月-日），不得早于今天。", "If the agreement providing the data ends (year-month-day); not a date already past.";
    add_source: "添加一项数据来源", "Add a data source";
    remove_source: "删除数据来源", "Remove data source";
    colon: "：", ": ";
    save: "保存草稿", "Save the draft";
    save_changes: "保存修改", "Save the changes";
    missing: "请填写此项。", "Fill this in.";
    missing_choice: "请选择一项。", "Choose one.";
    unknown_choice: "请从列表中选择。", "Choose one of the list.";
    bad_date: "请按 年-月-日 填写日期，例如 2027-06-30。", "Give the date as year-month-day, e.g. 2027-06-30.";
    out_of_range: "日期须在 1900 年至 9999 年之间。", "The date must be of the years 1900 to 9999.";
    unreadable: "表单内容无法读取：", "The form could not be read:";
    unknown_action: "未知的操作。", "Unknown action.";
} }

const CATEGORIES: [Category; 3] = [Category::DataCollection, Category::DataProduct, Category::DataAlgorithm];
const KINDS: [DataSourceKind; 4] = [
    DataSourceKind::SelfCollected,
    DataSourceKind::Licensed,
    DataSourceKind::Purchased,
    DataSourceKind::PublicAuthorized,
];

fn category_value(category: Category) -> &'static str {
    match category {
        Category::DataCollection => "data_collection",
        Category::DataProduct => "data_product",
        Category::DataAlgorithm => "data_algorithm",
    }
}

fn kind_value(kind: DataSourceKind) -> &'static str {
    match kind {
        DataSourceKind::SelfCollected => "self_collected",
        DataSourceKind::Licensed => "licensed",
        DataSourceKind::Purchased => "purchased",
        DataSourceKind::PublicAuthorized => "public_authorized",
    }
}

impl FormWords {
    fn category(&self, category: Category) -> &'static str {
        match category {
            Category::DataCollection => self.category_data_collection,
            Category::DataProduct => self.category_data_product,
            Category::DataAlgorithm => self.category_data_algorithm,
        }
    }

    fn kind(&self, kind: DataSourceKind) -> &'static str {
        match kind {
            DataSourceKind::SelfCollected => self.kind_self_collected,
            DataSourceKind::Licensed => self.kind_licensed,
            DataSourceKind::Purchased => self.kind_purchased,
            DataSourceKind::PublicAuthorized => self.kind_public_authorized,
        }
    }

    /// The label of a field as the API names it (`data_sources[1].kind`),
    /// for the summary above the form.
    fn label_of(&self, field: &str) -> String {
        let field = api_name(field);
        if let Some(rest) = field.strip_prefix("data_sources[")
            && let Some((index, part)) = rest.split_once(']')
            && let Ok(index) = index.parse::<usize>()
        {
            let part = match part.trim_start_matches('.') {
                "kind" => self.kind,
                "description" => self.description,
                "agreement_ends_on" => self.agreement_ends_on,
                _ => "",
            };
            let row = format!("{} {}", self.source, index + 1);
            return if part.is_empty() { row } else { format!("{row} · {part}") };
        }
        match field.as_str() {
            "product_name" => self.product_name,
            "category" => self.category,
            "abstract" => self.summary,
            "data_sources" => self.sources,
            "data_format" => self.data_format,
            "data_scale" => self.data_scale,
            "update_frequency" => self.update_frequency,
            _ => "",
        }
        .to_owned()
    }
}

/// What a data source row holds, as typed.
#[derive(Debug, Clone, Default)]
struct SourceValues {
    kind: String,
    description: String,
    agreement_ends_on: String,
}

impl SourceValues {
    fn is_blank(&self) -> bool {
        [&self.kind, &self.description, &self.agreement_ends_on].iter().all(|v| v.trim().is_empty())
    }
}

/// The form's fields as typed (or as the application holds them).
#[derive(Debug, Clone, Default)]
struct Values {
    product_name: String,
    category: String,
    summary: String,
    sources: Vec<SourceValues>,
    data_format: String,
    data_scale: String,
    update_frequency: String,
    /// The version the edit was read at (`version`, as the API's patch).
    version: String,
}

impl Values {
    /// A new application: one empty data source row to begin with.
    fn blank() -> Self {
        Self { sources: vec![SourceValues::default()], ..Self::default() }
    }

    fn of_application(view: &ApplicationView) -> Self {
        Self {
            product_name: view.product_name.clone(),
            category: category_value(view.category).to_owned(),
            summary: view.summary.clone(),
            sources: view
                .data_sources
                .iter()
                .map(|source| SourceValues {
                    kind: kind_value(source.kind).to_owned(),
                    description: source.description.as_str().to_owned(),
                    agreement_ends_on: source.agreement_ends_on.map(|d| d.to_string()).unwrap_or_default(),
                })
                .collect(),
            data_format: view.data_format.clone().unwrap_or_default(),
            data_scale: view.data_scale.clone().unwrap_or_default(),
            update_frequency: view.update_frequency.clone().unwrap_or_default(),
            version: view.version.to_string(),
        }
    }

    /// The fields as posted: rows by their number, in order (numbers
    /// skipped close up).
    fn of_form(form: &Submitted) -> Self {
        let mut values = Self::default();
        let mut rows: BTreeMap<usize, SourceValues> = BTreeMap::new();
        for (name, value) in &form.fields {
            let value = value.clone();
            match name.as_str() {
                "product_name" => values.product_name = value,
                "category" => values.category = value,
                "abstract" => values.summary = value,
                "data_format" => values.data_format = value,
                "data_scale" => values.data_scale = value,
                "update_frequency" => values.update_frequency = value,
                "version" => values.version = value,
                name => {
                    let Some((index, part)) = source_control(name) else { continue };
                    let row = rows.entry(index).or_default();
                    match part {
                        "kind" => row.kind = value,
                        "description" => row.description = value,
                        "agreement_ends_on" => row.agreement_ends_on = value,
                        _ => {}
                    }
                }
            }
        }
        values.sources = rows.into_values().take(MAX_SOURCES + 1).collect();
        values
    }

    /// The fields as the API's body names them, for decoding into its type.
    fn pairs(&self, with_version: bool) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("product_name".to_owned(), self.product_name.clone()),
            ("category".to_owned(), self.category.clone()),
            ("abstract".to_owned(), self.summary.clone()),
            ("data_format".to_owned(), self.data_format.clone()),
            ("data_scale".to_owned(), self.data_scale.clone()),
            ("update_frequency".to_owned(), self.update_frequency.clone()),
        ];
        for (i, source) in self.sources.iter().enumerate() {
            pairs.push((format!("data_sources[{i}][kind]"), source.kind.clone()));
            pairs.push((format!("data_sources[{i}][description]"), source.description.clone()));
            pairs.push((format!("data_sources[{i}][agreement_ends_on]"), source.agreement_ends_on.clone()));
        }
        if with_version {
            pairs.push(("version".to_owned(), self.version.clone()));
        }
        pairs
    }

    /// What must be there before the service is asked: the required
    /// fields filled in, the choices among those offered, dates that are
    /// dates. Each problem is recorded beside its field.
    fn check(&self, w: &FormWords, errors: &mut FieldErrors) {
        let mut required = |field: &str, value: &str| {
            if value.trim().is_empty() {
                errors.add(field, w.missing);
            }
        };
        required("product_name", &self.product_name);
        required("abstract", &self.summary);
        for (i, source) in self.sources.iter().enumerate() {
            required(&format!("data_sources[{i}].description"), &source.description);
        }
        let known_category = CATEGORIES.iter().any(|c| category_value(*c) == self.category);
        match self.category.as_str() {
            "" => errors.add("category", w.missing_choice),
            _ if !known_category => errors.add("category", w.unknown_choice),
            _ => {}
        }
        for (i, source) in self.sources.iter().enumerate() {
            let known_kind = KINDS.iter().any(|k| kind_value(*k) == source.kind);
            match source.kind.as_str() {
                "" => errors.add(&format!("data_sources[{i}].kind"), w.missing_choice),
                _ if !known_kind => errors.add(&format!("data_sources[{i}].kind"), w.unknown_choice),
                _ => {}
            }
            let date = source.agreement_ends_on.trim();
            if !date.is_empty() {
                let field = format!("data_sources[{i}].agreement_ends_on");
                match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                    Err(_) => errors.add(&field, w.bad_date),
                    Ok(day) if RecordDate::new(day).is_none() => errors.add(&field, w.out_of_range),
                    Ok(_) => {}
                }
            }
        }
    }
}

/// `data_sources[3][kind]` → (3, "kind").
fn source_control(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("data_sources[")?;
    let (index, rest) = rest.split_once("][")?;
    let part = rest.strip_suffix(']')?;
    let index = index.parse::<usize>().ok().filter(|i| *i < MAX_ROW_INDEX)?;
    Some((index, part))
}

/// A control of the form: its name (the API's), id, value and error.
struct Control {
    name: String,
    id: String,
    value: String,
    error: Option<String>,
}

impl Control {
    fn new(name: &str, value: &str, errors: &FieldErrors) -> Self {
        Self {
            name: name.to_owned(),
            id: control_id(name),
            value: value.to_owned(),
            error: errors.on(name).map(str::to_owned),
        }
    }

    /// Whether `choice` is the value chosen (for a select's options).
    fn is(&self, choice: impl AsRef<str>) -> bool {
        self.value == choice.as_ref()
    }

    /// The ids `aria-describedby` names: the hint, and the error if any.
    fn described_by(&self) -> String {
        match self.error {
            Some(_) => format!("{0}-hint {0}-error", self.id),
            None => format!("{}-hint", self.id),
        }
    }
}

/// An element id for a control named `a[0][b]` (or `a[0].b`): `a-0-b`.
fn control_id(name: &str) -> String {
    api_name(name).replace(['[', '.'], "-").replace(']', "")
}

/// An optional line about the product's data (format, scale, update
/// frequency).
struct Attribute {
    control: Control,
    label: &'static str,
    hint: &'static str,
}

/// One choice of a select.
struct Choice {
    value: &'static str,
    label: &'static str,
}

struct SourceRow {
    /// 1, 2, ... for people.
    number: usize,
    /// The `remove-source-{n}` action of this row.
    remove: String,
    kind: Control,
    description: Control,
    agreement_ends_on: Control,
}

/// An error in the summary above the form: which field (a link to it).
struct Summary {
    href: String,
    label: String,
    message: String,
}

#[derive(Template)]
#[template(path = "workbench/application_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    w: &'static FormWords,
    title: &'static str,
    intro: &'static str,
    save_label: &'static str,
    /// Where the form posts.
    action: String,
    /// The application's page, when editing.
    back: Option<String>,
    /// The version the edit was read at.
    version: Option<String>,
    summary: Vec<Summary>,
    /// Errors of the whole list of sources (too many).
    sources_error: Option<String>,
    product_name: Control,
    category: Control,
    summary_text: Control,
    attributes: Vec<Attribute>,
    rows: Vec<SourceRow>,
    categories: Vec<Choice>,
    kinds: Vec<Choice>,
    can_add: bool,
    max_product_name: usize,
    max_summary: usize,
    max_description: usize,
    max_attribute: usize,
}

/// Which form: a new application, or the edit of one.
#[derive(Clone, Copy)]
enum Which {
    New,
    Edit(Uuid),
}

fn render(ctx: &Ctx, which: Which, values: &Values, errors: &FieldErrors, status: StatusCode) -> Response {
    let w = FormWords::of(ctx.lang);
    let control = |name: &str, value: &str| Control::new(name, value, errors);
    let rows = values
        .sources
        .iter()
        .enumerate()
        .map(|(i, source)| SourceRow {
            number: i + 1,
            remove: format!("remove-source-{i}"),
            kind: control(&format!("data_sources[{i}][kind]"), &source.kind),
            description: control(&format!("data_sources[{i}][description]"), &source.description),
            agreement_ends_on: control(&format!("data_sources[{i}][agreement_ends_on]"), &source.agreement_ends_on),
        })
        .collect();
    let summary = errors
        .all()
        .map(|(field, message)| Summary {
            href: if field.is_empty() { String::new() } else { format!("#{}", control_id(field)) },
            label: w.label_of(field),
            message: message.to_owned(),
        })
        .collect();
    let (title, intro, save_label, action, back, version) = match which {
        Which::New => (w.new_title, w.intro, w.save, "/workbench/applications/new".to_owned(), None, None),
        Which::Edit(id) => (
            w.edit_title,
            w.edit_intro,
            w.save_changes,
            format!("/workbench/applications/{id}/edit"),
            Some(ctx.link(&format!("/workbench/applications/{id}"))),
            Some(values.version.clone()),
        ),
    };
    let page = FormPage {
        ctx,
        w,
        title,
        intro,
        save_label,
        action: ctx.link(&action),
        back,
        version,
        summary,
        sources_error: errors.on("data_sources").map(str::to_owned),
        product_name: control("product_name", &values.product_name),
        category: control("category", &values.category),
        summary_text: control("abstract", &values.summary),
        attributes: vec![
            Attribute {
                control: control("data_format", &values.data_format),
                label: w.data_format,
                hint: w.data_format_hint,
            },
            Attribute {
                control: control("data_scale", &values.data_scale),
                label: w.data_scale,
                hint: w.data_scale_hint,
            },
            Attribute {
                control: control("update_frequency", &values.update_frequency),
                label: w.update_frequency,
                hint: w.update_frequency_hint,
            },
        ],
        rows,
        categories: CATEGORIES.iter().map(|c| Choice { value: category_value(*c), label: w.category(*c) }).collect(),
        kinds: KINDS.iter().map(|k| Choice { value: kind_value(*k), label: w.kind(*k) }).collect(),
        can_add: values.sources.len() < MAX_SOURCES,
        max_product_name: ProductName::MAX,
        max_summary: Abstract::MAX,
        max_description: SourceDescription::MAX,
        max_attribute: DataAttribute::MAX,
    };
    page::html(status, &page)
}

/// `GET /workbench/applications/new`.
async fn show_new(ctx: Ctx, _applicant: Applicant) -> Response {
    render(&ctx, Which::New, &Values::blank(), &FieldErrors::default(), StatusCode::OK)
}

/// `POST /workbench/applications/new`.
async fn post_new(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, form: Submitted) -> Response {
    let w = FormWords::of(ctx.lang);
    let values = match step(w, &form.action, Values::of_form(&form)) {
        Step::Save(values) => values,
        Step::Show(values, errors, status) => return render(&ctx, Which::New, &values, &errors, status),
    };
    let mut errors = FieldErrors::default();
    values.check(w, &mut errors);
    if !errors.is_empty() {
        return render(&ctx, Which::New, &values, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let decoded = Submitted { action: String::new(), fields: values.pairs(false) }.decode::<NewApplication>();
    let request = match decoded {
        Ok(request) => request,
        Err(error) => return unreadable(&ctx, Which::New, &values, error),
    };
    match applications::create(&state, applicant.tenant(), request, None).await {
        Ok(view) => ctx.see_other(&format!("/workbench/applications/{}?done=created", view.id)),
        Err(error) => refused(&ctx, Which::New, &values, error),
    }
}

/// `GET /workbench/applications/{id}/edit`.
async fn show_edit(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return page::not_found(&ctx) };
    let view = match applications::get(&state, applicant.tenant(), id).await {
        Ok(view) => view,
        Err(error) => return page::failure(&ctx, error),
    };
    if let Some(refusal) = not_editable(&view) {
        return page::failure(&ctx, refusal);
    }
    render(&ctx, Which::Edit(id), &Values::of_application(&view), &FieldErrors::default(), StatusCode::OK)
}

/// `POST /workbench/applications/{id}/edit`.
async fn post_edit(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    form: Submitted,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else { return page::not_found(&ctx) };
    let which = Which::Edit(id);
    // Another party's application is not found, and one past editing
    // refused, before anything is shown.
    match applications::get(&state, applicant.tenant(), id).await {
        Ok(view) => {
            if let Some(refusal) = not_editable(&view) {
                return page::failure(&ctx, refusal);
            }
        }
        Err(error) => return page::failure(&ctx, error),
    }
    let w = FormWords::of(ctx.lang);
    let values = match step(w, &form.action, Values::of_form(&form)) {
        Step::Save(values) => values,
        Step::Show(values, errors, status) => return render(&ctx, which, &values, &errors, status),
    };
    let mut errors = FieldErrors::default();
    values.check(w, &mut errors);
    if !errors.is_empty() {
        return render(&ctx, which, &values, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let decoded = Submitted { action: String::new(), fields: values.pairs(true) }.decode::<ApplicationPatch>();
    let mut patch = match decoded {
        Ok(patch) => patch,
        Err(error) => return unreadable(&ctx, which, &values, error),
    };
    // The form sends every field: one left empty is cleared, not kept (the
    // decoding leaves empty fields out), and no row means no sources.
    patch.data_format = Some(patch.data_format.flatten());
    patch.data_scale = Some(patch.data_scale.flatten());
    patch.update_frequency = Some(patch.update_frequency.flatten());
    patch.data_sources = Some(patch.data_sources.unwrap_or_default());
    match applications::update(&state, applicant.tenant(), id, patch, None).await {
        Ok(view) => ctx.see_other(&format!("/workbench/applications/{}?done=saved", view.id)),
        Err(error) => refused(&ctx, which, &values, error),
    }
}

/// The refusal `applications::update` answers for an application no longer
/// editable (only a draft, or one answering a supplement request, is).
fn not_editable(view: &ApplicationView) -> Option<Error> {
    (!view.state.is_editable()).then(|| Error::InvalidTransition {
        subject: "application",
        from: view.state.to_string(),
        action: "edit".into(),
    })
}

/// What a posted form asks for.
enum Step {
    /// `save`, or no action at all (Enter in a field of a browser that
    /// names no button): the values to save, rows left wholly empty
    /// dropped.
    Save(Values),
    /// The form again: with a row added (`add-source`) or removed
    /// (`remove-source-{n}`), or an unknown action said above it.
    Show(Values, FieldErrors, StatusCode),
}

fn step(w: &FormWords, action: &str, mut values: Values) -> Step {
    if action.is_empty() || action == "save" {
        values.sources.retain(|source| !source.is_blank());
        return Step::Save(values);
    }
    if action == "add-source" {
        if values.sources.len() < MAX_SOURCES {
            values.sources.push(SourceValues::default());
        }
        return Step::Show(values, FieldErrors::default(), StatusCode::OK);
    }
    match action.strip_prefix("remove-source-").and_then(|n| n.parse::<usize>().ok()) {
        Some(index) => {
            if index < values.sources.len() {
                values.sources.remove(index);
            }
            Step::Show(values, FieldErrors::default(), StatusCode::OK)
        }
        None => {
            let mut errors = FieldErrors::default();
            errors.add("", w.unknown_action);
            Step::Show(values, errors, StatusCode::BAD_REQUEST)
        }
    }
}

/// The fields passed every check here and still did not decode into the
/// API's type: said above the form.
fn unreadable(ctx: &Ctx, which: Which, values: &Values, error: serde_qs::Error) -> Response {
    let mut errors = FieldErrors::default();
    errors.add("", format!("{} {error}", FormWords::of(ctx.lang).unreadable));
    render(ctx, which, values, &errors, StatusCode::UNPROCESSABLE_ENTITY)
}

/// The service's refusal: field errors beside their fields (422); a quota,
/// a stale version or a conflict above the form, with everything typed
/// kept and the API's status; anything else its page.
fn refused(ctx: &Ctx, which: Which, values: &Values, error: Error) -> Response {
    if let Some(errors) = FieldErrors::of(&error) {
        return render(ctx, which, values, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match error {
        Error::QuotaExceeded(_) | Error::PreconditionFailed(_) | Error::Conflict(_) => {
            let mut errors = FieldErrors::default();
            errors.add("", error.to_string());
            let status = ApiError::from(error).status();
            render(ctx, which, values, &errors, status)
        }
        error => page::failure(ctx, error),
    }
}
