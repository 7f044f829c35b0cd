//! One concern, the party's integrations (long because each has its forms):
//! API keys, webhooks with their deliveries, watches, and the request to be
//! a relying party: what the API's `/organization/api-keys`,
//! `/organization/webhooks`, `/watches` and `/organization/relying-party`
//! do, through the same services. Keys and webhooks are an owner's; a
//! member sees their own watches and the party's standing.
//!
//! A new key's or webhook's secret is shown once, on the page that answers
//! the form (200, never kept by a cache), not after a redirect.

use askama::Template;
use axum::{
    Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::workbench::{
    form::Submitted,
    page::{self, Ctx, Done, FieldErrors},
    visit::Applicant,
    words::words,
};
use crate::{
    auth::Owner,
    domain::{KeyName, PartyKind},
    notifications::EventKind,
    pagination::PageQuery,
    services::{
        Error,
        accounts::{
            organization::{self, ApiKeyView, NewApiKey},
            relying_parties::{self, RelyingPartyKind, RelyingPartyRequest, RelyingPartyView},
            verification,
        },
        notifications::{
            watches::{self, Channel, NewWatch, WatchKind, WatchView},
            webhooks::{self, DeliveryView, NewWebhook, WebhookView},
        },
    },
    state::AppState,
};

/// Keys listed per page.
const KEYS_PER_PAGE: u32 = 50;
/// Deliveries shown under each webhook on the main page.
const RECENT_DELIVERIES: usize = 3;

const PAGE: &str = "/workbench/integrations";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(show))
        .route("/workbench/integrations/keys", post(create_key))
        .route("/workbench/integrations/keys/{id}", post(revoke_key))
        .route("/workbench/integrations/webhooks", post(create_webhook))
        .route("/workbench/integrations/webhooks/{id}", get(show_webhook).post(act_on_webhook))
        .route("/workbench/integrations/webhooks/{id}/deliveries/{delivery}", post(redeliver))
        .route("/workbench/integrations/watches", post(create_watch))
        .route("/workbench/integrations/watches/{id}", post(stop_watch))
        .route("/workbench/integrations/relying-party", post(request_relying_party))
}

words! { pub IntegrationsWords {
    title: "接口与通知", "Keys and notifications";
    intro: "API 密钥让您的系统调用登记机构的 API；Webhook 把事件推送到您的系统；关注在新公示或证书变化时通知您。", "API keys let your systems call the registry's API; webhooks push events to your systems; watches tell you of new announcements and changes of certificates.";
    owner_only: "只有所有者可以管理 API 密钥和 Webhook。", "Only an owner manages API keys and webhooks.";
    keys_heading: "API 密钥", "API keys";
    key_name: "名称", "Name";
    key_name_hint: "密钥的用途，例如“ERP 对接”。", "What the key is for, e.g. \"ERP integration\".";
    created_at: "创建时间", "Created";
    last_used: "最近使用", "Last used";
    never: "从未", "Never";
    no_keys: "没有有效的 API 密钥。", "No active API keys.";
    create_key: "创建密钥", "Create key";
    create_key_legend: "新建 API 密钥", "A new API key";
    revoke: "吊销", "Revoke";
    revoke_confirm: "确定吊销此密钥吗？使用它的系统将立即无法访问，且不能恢复。", "Revoke this key? Systems using it are refused at once, for good.";
    new_key_heading: "新密钥已创建", "The new key";
    new_key_once: "请立即复制并妥善保存：此密钥只显示这一次，离开本页后无法再次查看。", "Copy it and keep it safe now: it is shown this once and cannot be shown again.";
    new_key_use: "用法：请求头 Authorization: Bearer <密钥>", "Use: the header Authorization: Bearer <key>";
    webhooks_heading: "Webhook", "Webhooks";
    url: "接收地址（URL）", "Endpoint URL";
    url_hint: "事件以 POST 方式发送到此地址，按 Standard Webhooks 规范签名。", "Events are POSTed to this address, signed per the Standard Webhooks specification.";
    events: "订阅的事件", "Events";
    events_hint: "选择 1 至 30 项：全部事件、某一类事件（前缀.*）或具体事件。", "Choose 1 to 30: every event, a family (prefix.*) or single kinds.";
    all_events: "全部事件", "Every event";
    single_events: "具体事件", "Single kinds";
    no_webhooks: "没有 Webhook。", "No webhooks.";
    failing_since: "投递失败，已暂停，自", "Failing, paused since";
    recent_deliveries: "最近的投递", "Recent deliveries";
    no_deliveries: "尚无投递。", "No deliveries yet.";
    all_deliveries: "全部投递与操作", "All deliveries and actions";
    create_webhook: "添加 Webhook", "Add webhook";
    create_webhook_legend: "新建 Webhook", "A new webhook";
    new_secret_heading: "签名密钥", "Signing secret";
    new_secret_once: "请立即复制并妥善保存：签名密钥只显示这一次。接收方用它验证每次投递的签名。", "Copy it and keep it safe now: it is shown this once. The receiver checks each delivery's signature with it.";
    ping: "发送测试事件", "Send a test event";
    rotate: "更换签名密钥", "Rotate the secret";
    rotate_confirm: "确定更换签名密钥吗？旧密钥在 24 小时内仍会同时签名。", "Rotate the secret? The old one keeps signing too for 24 hours.";
    enable: "恢复投递", "Resume deliveries";
    delete: "删除", "Delete";
    delete_confirm: "确定删除此 Webhook 吗？此后不会再向它发送任何事件。", "Delete this webhook? Nothing more is sent to it.";
    webhook_heading: "Webhook 详情", "Webhook";
    back: "返回接口与通知", "Back to keys and notifications";
    deliveries_heading: "投递记录（最近 100 次）", "Deliveries (the last 100)";
    delivery_kind: "事件", "Event";
    delivery_status: "状态", "Status";
    attempts: "尝试次数", "Attempts";
    answer: "应答", "Answer";
    latency: "耗时", "Latency";
    next_attempt: "下次尝试", "Next attempt";
    last_error: "失败原因", "Why it failed";
    redeliver: "重新投递", "Send again";
    s_pending: "待发送", "Pending";
    s_delivered: "已送达", "Delivered";
    s_abandoned: "已放弃", "Abandoned";
    watches_heading: "关注", "Watches";
    watches_hint: "关注新公示中的产品名称词语、持有人的统一社会信用代码或材料的 SHA-256（本人的关注）；或关注一张证书的变化（本主体的关注）。", "Watch new announcements for a phrase of the product name, a holder's credit code or a material's SHA-256 (yours); or a certificate's changes (the party's).";
    watch_kind: "关注什么", "What to watch";
    watch_value: "关注内容", "Value";
    watch_value_hint: "词语、统一社会信用代码、64 位十六进制 SHA-256 或证书编号。", "A phrase, a credit code, 64 hex digits of SHA-256 or a certificate number.";
    channels: "通知方式", "Tell me by";
    k_name: "产品名称中的词语", "A phrase of a product's name";
    k_credit_code: "持有人的统一社会信用代码", "A holder's credit code";
    k_sha256: "材料的 SHA-256", "A material's SHA-256";
    k_certificate: "证书（按证书编号）", "A certificate (by its number)";
    c_email: "电子邮件", "E-mail";
    c_webhook: "Webhook", "Webhook";
    no_watches: "没有关注。", "No watches.";
    create_watch: "添加关注", "Watch";
    create_watch_legend: "新建关注", "A new watch";
    stop_watch: "停止关注", "Stop";
    stop_watch_confirm: "确定停止此关注吗？", "Stop this watch?";
    relying_heading: "依赖方", "Relying party";
    relying_hint: "银行、数据交易所、法院等机构可申请成为依赖方：经登记机构核验后，其 API 密钥查询证书状态的额度提高。", "A bank, an exchange or a court may ask to be a relying party: once staff verify it, its API keys may query certificates' status more often.";
    relying_none: "本组织尚未申请。", "The organization has not asked.";
    relying_kind: "机构类型", "Kind of institution";
    r_bank: "银行", "Bank";
    r_exchange: "数据交易所", "Exchange";
    r_court: "法院", "Court";
    r_other: "其他", "Other";
    purpose: "用途", "Purpose";
    purpose_hint: "依赖登记机构的应答做什么，至多 500 字。", "What the organization relies on the registry's answers for; at most 500 characters.";
    relying_state: "状态", "Status";
    rp_pending: "待审核", "Pending";
    rp_verified: "已核验", "Verified";
    rp_refused: "未通过", "Refused";
    requested_at: "申请时间", "Asked";
    decided_at: "决定时间", "Decided";
    refusal_reason: "未通过的原因", "Why it was refused";
    allowance: "状态查询额度", "Status query allowance";
    per: "次，每", "per";
    request_relying_party: "提交申请", "Ask";
    request_again: "重新申请", "Ask again";
    ask_legend: "申请成为依赖方", "Ask to be a relying party";
    change_legend: "修改申请", "Change the request";
    relying_verified_first: "组织核验通过后方可申请。", "The organization must be verified first.";
    actions: "操作", "Actions";
    next_page: "下一页", "Next page";
    done_key_revoked: "密钥已吊销。", "The key was revoked.";
    done_webhook_deleted: "Webhook 已删除。", "The webhook was deleted.";
    done_pinged: "测试事件已排队发送。", "A test event was queued.";
    done_enabled: "已恢复投递。", "Deliveries resumed.";
    done_redelivered: "已排队重新投递。", "Queued to be sent again.";
    done_watch_created: "关注已添加。", "The watch was added.";
    done_watch_stopped: "关注已停止。", "The watch was stopped.";
    done_relying_party: "申请已提交，等待登记机构审核。", "The request was sent; it awaits registry staff.";
    choose_kind: "请选择一项。", "Choose one.";
    unknown_action: "此表单没有这个操作。", "This form has no such action.";
} }

struct KeyShown {
    id: String,
    name: String,
    created_at: String,
    last_used: Option<String>,
}

struct DeliveryShown {
    id: String,
    /// Where its redelivery is asked.
    path: String,
    kind: String,
    status: &'static str,
    status_class: &'static str,
    pending: bool,
    attempts: i32,
    created_at: String,
    delivered_at: Option<String>,
    next_attempt_at: Option<String>,
    answer: String,
    latency: String,
    last_error: String,
}

struct WebhookShown {
    id: String,
    url: String,
    events: Vec<String>,
    created_at: String,
    failing_since: Option<String>,
    recent: Vec<DeliveryShown>,
}

struct WatchShown {
    id: String,
    kind: String,
    value: String,
    channels: String,
    created_at: String,
}

struct RelyingShown {
    kind: String,
    purpose: String,
    state: &'static str,
    state_class: &'static str,
    verified: bool,
    refused: bool,
    requested_at: String,
    decided_at: Option<String>,
    refusal_reason: Option<String>,
    allowance: String,
}

/// A secret shown once: a new key's, or a webhook's signing secret.
struct Secret {
    name: String,
    value: String,
}

/// A checkbox of the webhook form's events.
struct EventOption {
    index: usize,
    value: &'static str,
    checked: bool,
}

/// The form refused, by its name (`key`, `webhook`, `watch`,
/// `relying-party`), with its errors and what was typed.
#[derive(Default)]
struct Refusal {
    form: &'static str,
    errors: FieldErrors,
    typed: Vec<(String, String)>,
}

impl Refusal {
    fn of(form: &'static str, errors: FieldErrors, submitted: &Submitted) -> Self {
        Self { form, errors, typed: submitted.fields.clone() }
    }

    fn one(form: &'static str, field: &str, message: &str, submitted: &Submitted) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        Self::of(form, errors, submitted)
    }
}

#[derive(Template)]
#[template(path = "workbench/integrations.html")]
struct IntegrationsPage<'a> {
    ctx: &'a Ctx,
    w: &'static IntegrationsWords,
    owner: bool,
    note: &'a str,
    new_key: Option<Secret>,
    new_secret: Option<Secret>,
    keys: Vec<KeyShown>,
    keys_next: Option<String>,
    webhooks: Vec<WebhookShown>,
    watches: Vec<WatchShown>,
    organization: bool,
    verified: bool,
    relying: Option<RelyingShown>,
    /// Whether the organization is a verified relying party already.
    relying_verified: bool,
    event_prefixes: Vec<EventOption>,
    event_kinds: Vec<EventOption>,
    refusal: &'a Refusal,
}

impl IntegrationsPage<'_> {
    /// The error of `field` in `form`, if that form was refused.
    fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.refusal.form == form).then(|| self.refusal.errors.on(field)).flatten()
    }

    /// The first error of a field of `form` named `prefix` or `prefix[i]`.
    fn error_under(&self, form: &str, prefix: &str) -> Option<&str> {
        if self.refusal.form != form {
            return None;
        }
        self.refusal
            .errors
            .all()
            .find(|(field, _)| *field == prefix || field.starts_with(&format!("{prefix}[")))
            .map(|(_, message)| message)
    }

    fn typed(&self, form: &str, name: &str) -> &str {
        if self.refusal.form != form {
            return "";
        }
        self.refusal.typed.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }

    /// Whether `value` was among the values sent under `list[i]` in `form`.
    fn typed_in(&self, form: &str, list: &str, value: &str) -> bool {
        self.refusal.form == form && listed(&self.refusal.typed, list).any(|typed| typed == value)
    }

    fn chosen(&self, form: &str, name: &str, value: &str, default: &str) -> bool {
        match self.typed(form, name) {
            "" => value == default,
            typed => typed == value,
        }
    }
}

/// The values sent under `list[0]`, `list[1]`... in order.
fn listed<'a>(fields: &'a [(String, String)], list: &'a str) -> impl Iterator<Item = &'a str> {
    fields
        .iter()
        .filter(move |(name, _)| name.strip_prefix(list).is_some_and(|rest| rest.starts_with('[')))
        .map(|(_, value)| value.as_str())
}

/// An enum of the API's from its text, as the API reads it.
fn variant<T: DeserializeOwned>(text: &str) -> Option<T> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text)).ok()
}

/// The webhook form's choices: everything, each family, each kind.
fn event_options(typed: &[(String, String)]) -> (Vec<EventOption>, Vec<EventOption>) {
    let mut prefixes: Vec<&'static str> = vec!["*"];
    for kind in EventKind::ALL {
        let prefix = kind.as_str().split_once('.').map_or("", |(prefix, _)| prefix);
        let family = match prefix {
            "application" => "application.*",
            "objection" => "objection.*",
            "act" => "act.*",
            "certificate" => "certificate.*",
            "organization" => "organization.*",
            "relying_party" => "relying_party.*",
            "watch" => "watch.*",
            "security" => "security.*",
            _ => continue,
        };
        if !prefixes.contains(&family) {
            prefixes.push(family);
        }
    }
    let checked = |value: &str| listed(typed, "events").any(|typed| typed == value);
    let families = prefixes
        .iter()
        .enumerate()
        .map(|(index, value)| EventOption { index, value, checked: checked(value) })
        .collect::<Vec<_>>();
    let start = families.len();
    let kinds = EventKind::ALL
        .iter()
        .enumerate()
        .map(|(at, kind)| EventOption { index: start + at, value: kind.as_str(), checked: checked(kind.as_str()) })
        .collect();
    (families, kinds)
}

/// `GET /workbench/integrations`.
async fn show(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, Query(query): Query<Done>) -> Response {
    let w = IntegrationsWords::of(ctx.lang);
    let note = match query.done.as_str() {
        "key-revoked" => w.done_key_revoked,
        "webhook-deleted" => w.done_webhook_deleted,
        "watch-created" => w.done_watch_created,
        "watch-stopped" => w.done_watch_stopped,
        "relying-party-requested" => w.done_relying_party,
        _ => "",
    };
    let shown = Shown { note, cursor: query.cursor, ..Shown::default() };
    render(&state, &ctx, &applicant, StatusCode::OK, shown).await
}

/// What the main page shows besides the lists.
#[derive(Default)]
struct Shown<'a> {
    note: &'a str,
    cursor: Option<String>,
    new_key: Option<Secret>,
    new_secret: Option<Secret>,
    refusal: Refusal,
}

async fn render(state: &AppState, ctx: &Ctx, applicant: &Applicant, status: StatusCode, shown: Shown<'_>) -> Response {
    match page_of(state, ctx, applicant, status, shown).await {
        Ok(response) => response,
        Err(error) => page::failure(ctx, error),
    }
}

async fn page_of(
    state: &AppState,
    ctx: &Ctx,
    applicant: &Applicant,
    status: StatusCode,
    shown: Shown<'_>,
) -> Result<Response, Error> {
    let w = IntegrationsWords::of(ctx.lang);
    let owner = applicant.owner();
    let (mut keys, mut keys_next, mut webhooks) = (Vec::new(), None, Vec::new());
    if let Some(owner) = owner {
        let request = PageQuery { limit: Some(KEYS_PER_PAGE), cursor: shown.cursor.clone() }.parse::<Uuid>()?;
        let page = organization::list_api_keys(state, owner, request).await?;
        keys = page.items.iter().map(|key| key_shown(ctx, key)).collect();
        keys_next = page.next_cursor.as_deref().map(|cursor| ctx.link_with(PAGE, &[("cursor", cursor)]));
        for webhook in webhooks::list(state, owner).await? {
            let recent = webhooks::deliveries(state, owner, webhook.id).await?;
            let recent = recent.iter().take(RECENT_DELIVERIES).map(|d| delivery_shown(ctx, w, webhook.id, d)).collect();
            webhooks.push(webhook_shown(ctx, &webhook, recent));
        }
    }
    let watches =
        watches::list(state, applicant.tenant()).await?.iter().map(|watch| watch_shown(ctx, w, watch)).collect();
    let party = verification::get(state, applicant.org_id).await?.organization;
    let relying = match relying_parties::get(state, applicant.tenant()).await {
        Ok(view) => Some(relying_shown(ctx, w, &view)),
        Err(Error::NotFound) => None,
        Err(error) => return Err(error),
    };
    let (event_prefixes, event_kinds) =
        event_options(if shown.refusal.form == "webhook" { &shown.refusal.typed } else { &[] });
    let page = IntegrationsPage {
        ctx,
        w,
        owner: owner.is_some(),
        note: shown.note,
        new_key: shown.new_key,
        new_secret: shown.new_secret,
        keys,
        keys_next,
        webhooks,
        watches,
        organization: party.kind == PartyKind::Organization,
        verified: party.verification == crate::domain::Verification::Verified,
        relying_verified: relying.as_ref().is_some_and(|relying| relying.verified),
        relying,
        event_prefixes,
        event_kinds,
        refusal: &shown.refusal,
    };
    Ok(page::html(status, &page))
}

fn key_shown(ctx: &Ctx, key: &ApiKeyView) -> KeyShown {
    KeyShown {
        id: key.id.to_string(),
        name: key.name.clone(),
        created_at: ctx.time(key.created_at),
        last_used: key.last_used_at.map(|at| ctx.time(at)),
    }
}

fn webhook_shown(ctx: &Ctx, webhook: &WebhookView, recent: Vec<DeliveryShown>) -> WebhookShown {
    WebhookShown {
        id: webhook.id.to_string(),
        url: webhook.url.clone(),
        events: webhook.events.clone(),
        created_at: ctx.time(webhook.created_at),
        failing_since: webhook.failing_since.map(|at| ctx.time(at)),
        recent,
    }
}

fn delivery_shown(ctx: &Ctx, w: &IntegrationsWords, webhook: Uuid, delivery: &DeliveryView) -> DeliveryShown {
    let (status, status_class) = match delivery.status {
        "delivered" => (w.s_delivered, "active"),
        "abandoned" => (w.s_abandoned, "revoked"),
        _ => (w.s_pending, "expired"),
    };
    DeliveryShown {
        id: delivery.id.to_string(),
        path: format!("{PAGE}/webhooks/{webhook}/deliveries/{}", delivery.id),
        kind: delivery.kind.clone(),
        status,
        status_class,
        pending: delivery.status == "pending",
        attempts: delivery.attempts,
        created_at: ctx.time(delivery.created_at),
        delivered_at: delivery.delivered_at.map(|at| ctx.time(at)),
        next_attempt_at: delivery.next_attempt_at.map(|at| ctx.time(at)),
        answer: delivery.response_status.map(|status| status.to_string()).unwrap_or_default(),
        latency: delivery.latency_ms.map(|ms| format!("{ms} ms")).unwrap_or_default(),
        last_error: delivery.last_error.clone().unwrap_or_default(),
    }
}

fn watch_shown(ctx: &Ctx, w: &IntegrationsWords, watch: &WatchView) -> WatchShown {
    let kind = match watch.kind.as_str() {
        "name" => w.k_name,
        "credit_code" => w.k_credit_code,
        "sha256" => w.k_sha256,
        "certificate" => w.k_certificate,
        other => other,
    };
    let channels = watch
        .channels
        .iter()
        .map(|channel| match channel.as_str() {
            "email" => w.c_email,
            "webhook" => w.c_webhook,
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" · ");
    WatchShown {
        id: watch.id.to_string(),
        kind: kind.to_owned(),
        value: watch.value.clone(),
        channels,
        created_at: ctx.time(watch.created_at),
    }
}

fn relying_shown(ctx: &Ctx, w: &IntegrationsWords, view: &RelyingPartyView) -> RelyingShown {
    let kind = match view.kind.as_str() {
        "bank" => w.r_bank,
        "exchange" => w.r_exchange,
        "court" => w.r_court,
        "other" => w.r_other,
        other => other,
    };
    let (state, state_class) = match view.state.as_str() {
        "verified" => (w.rp_verified, "active"),
        "refused" => (w.rp_refused, "revoked"),
        _ => (w.rp_pending, "expired"),
    };
    RelyingShown {
        kind: kind.to_owned(),
        purpose: view.purpose.clone(),
        state,
        state_class,
        verified: view.state == "verified",
        refused: view.state == "refused",
        requested_at: ctx.time(view.requested_at),
        decided_at: view.decided_at.map(|at| ctx.time(at)),
        refusal_reason: view.refusal_reason.clone(),
        allowance: format!("{} {} {}", view.allowance, w.per, view.window),
    }
}

/// Why a form is refused before any service is asked.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// Not an action of this form.
    Action,
    /// An owner's form, posted by a member: as the API's `Owner` answers.
    NotOwner,
    /// Not an id: as one that is not this party's.
    NotFound,
}

impl Refused {
    fn page(self, ctx: &Ctx) -> Response {
        match self {
            Self::Action => {
                let w = IntegrationsWords::of(ctx.lang);
                page::message(ctx, StatusCode::BAD_REQUEST, ctx.t.refused_title, w.unknown_action)
            }
            Self::NotOwner => page::failure(ctx, Error::Forbidden("only an owner of the organization may do this")),
            Self::NotFound => page::not_found(ctx),
        }
    }
}

fn owner_of(applicant: &Applicant) -> Result<Owner, Refused> {
    applicant.owner().ok_or(Refused::NotOwner)
}

/// The form's action must be one of `expected`.
fn expect_action(form: &Submitted, expected: &[&str]) -> Result<(), Refused> {
    expected.contains(&form.action.as_str()).then_some(()).ok_or(Refused::Action)
}

fn id_of(text: &str) -> Result<Uuid, Refused> {
    text.parse().map_err(|_| Refused::NotFound)
}

/// A service's refusal of `form`: its fields' errors re-shown beside them
/// (422), anything else as its page.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    applicant: &Applicant,
    form: &'static str,
    submitted: &Submitted,
    error: Error,
) -> Response {
    match FieldErrors::of(&error) {
        Some(errors) => {
            let shown = Shown { refusal: Refusal::of(form, errors, submitted), ..Shown::default() };
            render(state, ctx, applicant, StatusCode::UNPROCESSABLE_ENTITY, shown).await
        }
        None => page::failure(ctx, error),
    }
}

/// `POST /workbench/integrations/keys`: `action` `create-key`, `name`.
/// Answers 200 with the key shown once.
async fn create_key(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, form: Submitted) -> Response {
    if let Err(refused) = expect_action(&form, &["create-key"]) {
        return refused.page(&ctx);
    }
    let owner = match owner_of(&applicant) {
        Ok(owner) => owner,
        Err(refused) => return refused.page(&ctx),
    };
    let request = NewApiKey { name: KeyName::from(form.text("name")) };
    match organization::create_api_key(&state, owner, request).await {
        Ok(created) => {
            let new_key = Some(Secret { name: created.name, value: created.key });
            render(&state, &ctx, &applicant, StatusCode::OK, Shown { new_key, ..Shown::default() }).await
        }
        Err(error) => refused(&state, &ctx, &applicant, "key", &form, error).await,
    }
}

/// `POST /workbench/integrations/keys/{id}`: `action` `revoke-key`.
async fn revoke_key(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    form: Submitted,
) -> Response {
    let checked = expect_action(&form, &["revoke-key"])
        .and_then(|()| owner_of(&applicant))
        .and_then(|owner| Ok((owner, id_of(&id)?)));
    let (owner, id) = match checked {
        Ok(checked) => checked,
        Err(refused) => return refused.page(&ctx),
    };
    match organization::revoke_api_key(&state, owner, id).await {
        Ok(()) => ctx.see_other(&format!("{PAGE}?done=key-revoked")),
        Err(error) => page::failure(&ctx, error),
    }
}

/// `POST /workbench/integrations/webhooks`: `action` `create-webhook`,
/// `url` and `events[i]` (checkboxes). Answers 200 with the signing secret
/// shown once.
async fn create_webhook(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, form: Submitted) -> Response {
    if let Err(refused) = expect_action(&form, &["create-webhook"]) {
        return refused.page(&ctx);
    }
    let owner = match owner_of(&applicant) {
        Ok(owner) => owner,
        Err(refused) => return refused.page(&ctx),
    };
    let request = NewWebhook {
        url: form.text("url").trim().to_owned(),
        events: listed(&form.fields, "events").map(str::to_owned).collect(),
    };
    match webhooks::create(&state, owner, request).await {
        Ok(created) => {
            let new_secret = Some(Secret { name: created.webhook.url, value: created.secret });
            render(&state, &ctx, &applicant, StatusCode::OK, Shown { new_secret, ..Shown::default() }).await
        }
        Err(error) => refused(&state, &ctx, &applicant, "webhook", &form, error).await,
    }
}

#[derive(Template)]
#[template(path = "workbench/integrations_webhook.html")]
struct WebhookPage<'a> {
    ctx: &'a Ctx,
    w: &'static IntegrationsWords,
    note: &'a str,
    /// Where the webhook's actions are posted.
    here: String,
    webhook: WebhookShown,
    deliveries: Vec<DeliveryShown>,
    new_secret: Option<String>,
}

/// `GET /workbench/integrations/webhooks/{id}`: the webhook, its last 100
/// deliveries, and what an owner may do with them.
async fn show_webhook(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    Query(query): Query<Done>,
) -> Response {
    let w = IntegrationsWords::of(ctx.lang);
    let note = match query.done.as_str() {
        "pinged" => w.done_pinged,
        "enabled" => w.done_enabled,
        "redelivered" => w.done_redelivered,
        _ => "",
    };
    let checked = owner_of(&applicant).and_then(|owner| Ok((owner, id_of(&id)?)));
    let (owner, id) = match checked {
        Ok(checked) => checked,
        Err(refused) => return refused.page(&ctx),
    };
    webhook_page(&state, &ctx, owner, id, note, None).await
}

async fn webhook_page(
    state: &AppState,
    ctx: &Ctx,
    owner: Owner,
    id: Uuid,
    note: &str,
    new_secret: Option<String>,
) -> Response {
    let w = IntegrationsWords::of(ctx.lang);
    // The deliveries first: another party's webhook is 404 there.
    let deliveries = match webhooks::deliveries(state, owner, id).await {
        Ok(deliveries) => deliveries,
        Err(error) => return page::failure(ctx, error),
    };
    let webhook = match webhooks::list(state, owner).await {
        Ok(list) => match list.into_iter().find(|webhook| webhook.id == id) {
            Some(webhook) => webhook,
            None => return page::not_found(ctx),
        },
        Err(error) => return page::failure(ctx, error),
    };
    let page = WebhookPage {
        ctx,
        w,
        note,
        here: format!("{PAGE}/webhooks/{id}"),
        webhook: webhook_shown(ctx, &webhook, Vec::new()),
        deliveries: deliveries.iter().map(|delivery| delivery_shown(ctx, w, id, delivery)).collect(),
        new_secret,
    };
    page::html(StatusCode::OK, &page)
}

/// `POST /workbench/integrations/webhooks/{id}`: `action` one of
/// `ping-webhook`, `rotate-secret` (answers 200 with the new secret shown
/// once), `enable-webhook`, `delete-webhook`.
async fn act_on_webhook(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    form: Submitted,
) -> Response {
    let checked = expect_action(&form, &["ping-webhook", "rotate-secret", "enable-webhook", "delete-webhook"])
        .and_then(|()| owner_of(&applicant))
        .and_then(|owner| Ok((owner, id_of(&id)?)));
    let (owner, id) = match checked {
        Ok(checked) => checked,
        Err(refused) => return refused.page(&ctx),
    };
    let here = format!("{PAGE}/webhooks/{id}");
    let done = match form.action.as_str() {
        "ping-webhook" => webhooks::ping(&state, owner, id).await.map(|_| format!("{here}?done=pinged")),
        "enable-webhook" => webhooks::enable(&state, owner, id).await.map(|_| format!("{here}?done=enabled")),
        "delete-webhook" => webhooks::delete(&state, owner, id).await.map(|()| format!("{PAGE}?done=webhook-deleted")),
        _ => {
            return match webhooks::rotate(&state, owner, id).await {
                Ok(rotated) => webhook_page(&state, &ctx, owner, id, "", Some(rotated.secret)).await,
                Err(error) => page::failure(&ctx, error),
            };
        }
    };
    match done {
        Ok(path) => ctx.see_other(&path),
        Err(error) => page::failure(&ctx, error),
    }
}

/// `POST /workbench/integrations/webhooks/{id}/deliveries/{delivery}`:
/// `action` `redeliver`.
async fn redeliver(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path((id, delivery)): Path<(String, String)>,
    form: Submitted,
) -> Response {
    let checked = expect_action(&form, &["redeliver"])
        .and_then(|()| owner_of(&applicant))
        .and_then(|owner| Ok((owner, id_of(&id)?, id_of(&delivery)?)));
    let (owner, id, delivery) = match checked {
        Ok(checked) => checked,
        Err(refused) => return refused.page(&ctx),
    };
    match webhooks::redeliver(&state, owner, id, delivery).await {
        Ok(()) => ctx.see_other(&format!("{PAGE}/webhooks/{id}?done=redelivered")),
        Err(error) => page::failure(&ctx, error),
    }
}

/// `POST /workbench/integrations/watches`: `action` `create-watch`,
/// `kind`, `value`, `channels[i]` (checkboxes), as `POST /watches` takes
/// them.
async fn create_watch(State(state): State<AppState>, ctx: Ctx, applicant: Applicant, form: Submitted) -> Response {
    if let Err(refused) = expect_action(&form, &["create-watch"]) {
        return refused.page(&ctx);
    }
    let w = IntegrationsWords::of(ctx.lang);
    let Some(kind) = variant::<WatchKind>(form.text("kind")) else {
        let shown = Shown { refusal: Refusal::one("watch", "kind", w.choose_kind, &form), ..Shown::default() };
        return render(&state, &ctx, &applicant, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    };
    let channels: Option<Vec<Channel>> = listed(&form.fields, "channels").map(variant::<Channel>).collect();
    let Some(channels) = channels else {
        let shown = Shown { refusal: Refusal::one("watch", "channels", w.choose_kind, &form), ..Shown::default() };
        return render(&state, &ctx, &applicant, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    };
    let request = NewWatch { kind, value: form.text("value").to_owned(), channels };
    match watches::create(&state, applicant.tenant(), request).await {
        Ok(_) => ctx.see_other(&format!("{PAGE}?done=watch-created")),
        Err(error) => refused(&state, &ctx, &applicant, "watch", &form, error).await,
    }
}

/// `POST /workbench/integrations/watches/{id}`: `action` `stop-watch`.
async fn stop_watch(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Path(id): Path<String>,
    form: Submitted,
) -> Response {
    let checked = expect_action(&form, &["stop-watch"]).and_then(|()| id_of(&id));
    let id = match checked {
        Ok(id) => id,
        Err(refused) => return refused.page(&ctx),
    };
    match watches::delete(&state, applicant.tenant(), id).await {
        Ok(()) => ctx.see_other(&format!("{PAGE}?done=watch-stopped")),
        Err(error) => page::failure(&ctx, error),
    }
}

/// `POST /workbench/integrations/relying-party`: `action`
/// `request-relying-party`, `kind`, `purpose`, as `PUT
/// /organization/relying-party` takes them.
async fn request_relying_party(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    form: Submitted,
) -> Response {
    if let Err(refused) = expect_action(&form, &["request-relying-party"]) {
        return refused.page(&ctx);
    }
    let owner = match owner_of(&applicant) {
        Ok(owner) => owner,
        Err(refused) => return refused.page(&ctx),
    };
    let w = IntegrationsWords::of(ctx.lang);
    let Some(kind) = variant::<RelyingPartyKind>(form.text("kind")) else {
        let shown = Shown { refusal: Refusal::one("relying-party", "kind", w.choose_kind, &form), ..Shown::default() };
        return render(&state, &ctx, &applicant, StatusCode::UNPROCESSABLE_ENTITY, shown).await;
    };
    let request = RelyingPartyRequest { kind, purpose: form.text("purpose").to_owned() };
    match relying_parties::request(&state, owner, request).await {
        Ok(_) => ctx.see_other(&format!("{PAGE}?done=relying-party-requested")),
        Err(error) => refused(&state, &ctx, &applicant, "relying-party", &form, error).await,
    }
}
