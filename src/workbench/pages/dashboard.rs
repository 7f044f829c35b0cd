//! `/workbench`: the party's applications by state, with what each awaits
//! and by when; what asks for the party's word (supplements, objections to
//! answer, acts of other parties to confirm); and whether the party may
//! submit at all (its verification).
//!
//! Read through the services the API's lists use (`applications::list` per
//! state, `objections::for_holder`, `confirmations::awaiting`,
//! `verification::get`), each list to its first page: `?state=` shows one
//! state's applications alone, page by page (`&cursor=`).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::workbench::{
    page::{self, Ctx},
    visit::Applicant,
    words::words,
};
use crate::{
    domain::{ActKind, ApplicationState, Category, Lang, ObjectionState, Verification},
    pagination::PageQuery,
    services::{
        Error,
        accounts::verification,
        certificates::acts::confirmations,
        objections,
        registration::{
            application_views::ApplicationView,
            applications::{self, StateFilter},
        },
    },
    state::AppState,
};

/// Applications of each state on the dashboard itself.
const FIRST_PAGE: u32 = 10;
/// Applications per page when one state is shown alone.
const STATE_PAGE: u32 = 20;
/// Acts awaiting the party's word listed on the dashboard.
const CONFIRMATIONS_SHOWN: usize = 5;

/// The states in the order the dashboard shows them: what needs the party
/// first, what is over last.
const ORDER: [ApplicationState; 9] = [
    ApplicationState::SupplementRequested,
    ApplicationState::Draft,
    ApplicationState::InAnnouncement,
    ApplicationState::ObjectionReview,
    ApplicationState::Submitted,
    ApplicationState::UnderReview,
    ApplicationState::Registered,
    ApplicationState::Rejected,
    ApplicationState::Withdrawn,
];

words! { pub DashboardWords {
    title: "我的申请", "My applications";
    colon: "：", ": ";
    new_application: "新建申请", "New application";
    party: "申请主体", "Applicant party";
    verified: "已核验，可以提交申请。", "Verified: it may submit applications.";
    unverified: "尚未核验：请上传营业执照（自然人为身份证件），核验通过后才能提交申请。", "Not verified yet: upload the business licence (a person's identity document); only a verified party can submit applications.";
    pending: "核验材料已提交，等待登记机构审核；审核通过前不能提交申请。", "Verification documents are with the registry's staff; until they are accepted, applications cannot be submitted.";
    refused: "核验未通过，请重新上传材料；通过前不能提交申请。原因：", "Verification was refused; upload the documents again. Until verified, applications cannot be submitted. Reason:";
    go_verify: "前往主体核验", "Go to the party's verification";
    todo: "待办事项", "Waiting for you";
    nothing_todo: "目前没有等待您处理的事项。", "Nothing is waiting for you right now.";
    todo_supplement: "补正并重新提交", "Supplement and resubmit";
    todo_objection: "答复异议", "Answer objections";
    todo_confirm: "确认其他主体的行为", "Confirm another party's act";
    by: "期限", "Due";
    none_yet: "还没有任何申请。", "No applications yet.";
    start: "新建第一份申请", "Start your first application";
    product_name: "产品名称", "Product name";
    number: "申请号", "Application no.";
    category: "类别", "Category";
    awaits: "当前等待", "Awaiting";
    when: "期限 / 日期", "Due / date";
    more: "查看该状态的全部申请", "All applications in this state";
    next_page: "下一页", "Next page";
    back: "返回我的申请", "Back to my applications";
    none_in_state: "该状态下没有申请。", "No applications in this state.";
    await_draft: "待完善并提交", "To be completed and submitted";
    await_submitted: "等待登记机构受理", "Waiting for the registry to take it up";
    await_under_review: "审查中，等待审查结论", "Under examination; awaiting the decision";
    await_supplement: "请补正后重新提交，逾期视为撤回", "Supplement it and submit again; past the due date it is deemed withdrawn";
    await_announcement: "公示中，公示期内任何人可提出异议", "In public announcement; anyone may object until it ends";
    await_objection_review: "公示期满，等待登记机构对异议作出决定", "The announcement has ended; the registry is deciding the objections";
    await_registered: "已登记，证书号", "Registered; certificate no.";
    await_rejected: "已驳回", "Rejected";
    await_withdrawn: "已撤回", "Withdrawn";
    last_changed: "最近修改", "Last changed";
    submitted_on: "提交于", "Submitted";
    announcement_ends: "公示截止", "Announcement ends";
    decided: "决定于", "Decided";
    objections_open: "件异议未决", "objection(s) open";
    objections_unanswered: "件尚未答复", "not yet answered";
    decision_due: "登记机构决定期限", "The registry decides by";
    confirmations: "等待您确认的行为", "Acts awaiting your confirmation";
    confirmations_all: "查看并答复全部待确认行为", "See and answer every act awaiting you";
    act_kind: "行为", "Act";
    filed: "提出于", "Filed";
    answer_by: "答复期限", "Answer by";
    state_draft: "草稿", "Drafts";
    state_submitted: "已提交", "Submitted";
    state_under_review: "审查中", "Under review";
    state_supplement_requested: "待补正", "Supplement requested";
    state_in_announcement: "公示中", "In announcement";
    state_objection_review: "异议审查中", "Objections under review";
    state_registered: "已登记", "Registered";
    state_rejected: "已驳回", "Rejected";
    state_withdrawn: "已撤回", "Withdrawn";
    category_data_collection: "数据集合", "Data collection";
    category_data_product: "数据产品", "Data product";
    category_data_algorithm: "数据算法", "Data algorithm";
    act_license: "许可", "Licence";
    act_pledge: "质押", "Pledge";
    act_pledge_release: "质押解除", "Pledge release";
    act_transfer: "转让", "Transfer";
    act_change: "变更", "Change";
    act_renewal: "续展", "Renewal";
    act_cancellation: "注销", "Cancellation";
    act_revocation: "撤销", "Revocation";
} }

impl DashboardWords {
    fn state(&self, state: ApplicationState) -> &'static str {
        match state {
            ApplicationState::Draft => self.state_draft,
            ApplicationState::Submitted => self.state_submitted,
            ApplicationState::UnderReview => self.state_under_review,
            ApplicationState::SupplementRequested => self.state_supplement_requested,
            ApplicationState::InAnnouncement => self.state_in_announcement,
            ApplicationState::ObjectionReview => self.state_objection_review,
            ApplicationState::Registered => self.state_registered,
            ApplicationState::Rejected => self.state_rejected,
            ApplicationState::Withdrawn => self.state_withdrawn,
        }
    }

    fn category(&self, category: Category) -> &'static str {
        match category {
            Category::DataCollection => self.category_data_collection,
            Category::DataProduct => self.category_data_product,
            Category::DataAlgorithm => self.category_data_algorithm,
        }
    }

    fn act(&self, kind: ActKind) -> &'static str {
        match kind {
            ActKind::License => self.act_license,
            ActKind::Pledge => self.act_pledge,
            ActKind::PledgeRelease => self.act_pledge_release,
            ActKind::Transfer => self.act_transfer,
            ActKind::Change => self.act_change,
            ActKind::Renewal => self.act_renewal,
            ActKind::Cancellation => self.act_cancellation,
            ActKind::Revocation => self.act_revocation,
        }
    }
}

/// " (3 days left)", in the page's language.
fn days_left(lang: Lang, days: i64) -> String {
    match (lang, days) {
        (Lang::ZhCn, 0) => "（今天截止）".to_owned(),
        (Lang::ZhCn, n) => format!("（还剩 {n} 天）"),
        (Lang::En, 0) => " (ends today)".to_owned(),
        (Lang::En, 1) => " (1 day left)".to_owned(),
        (Lang::En, n) => format!(" ({n} days left)"),
    }
}

/// One application as a row of its state's table.
struct Row {
    link: String,
    product_name: String,
    number: String,
    category: &'static str,
    awaits: String,
    /// What the date is (due, ends, submitted...), and the date.
    when_label: &'static str,
    when: String,
    /// The application's open objections, as a sentence; empty if none.
    objections: String,
    /// The state asks something of the party by a date.
    urgent: bool,
}

/// One state's applications.
struct Group {
    state: &'static str,
    title: &'static str,
    rows: Vec<Row>,
    /// The next page of this state, if more follow.
    more: Option<String>,
}

/// Something waiting for the party.
struct Todo {
    what: String,
    link: String,
    subject: String,
    due: String,
}

/// An act of another party awaiting this party's word.
struct Confirmation {
    kind: &'static str,
    filed: String,
    due: String,
}

#[derive(Template)]
#[template(path = "workbench/dashboard.html")]
struct DashboardPage<'a> {
    ctx: &'a Ctx,
    w: &'static DashboardWords,
    party_name: String,
    /// The verification sentence; `verified` tells whether to send the
    /// party to verify.
    verification: String,
    verified: bool,
    todos: Vec<Todo>,
    confirmations: Vec<Confirmation>,
    confirmations_more: bool,
    groups: Vec<Group>,
    /// One state alone (`?state=`): its title.
    only: Option<&'static str>,
}

impl DashboardPage<'_> {
    fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.rows.is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    cursor: Option<String>,
}

/// `GET /workbench` (and `?state=<state>&cursor=<next>` for one state's
/// applications alone, page by page).
pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    applicant: Applicant,
    Query(query): Query<DashboardQuery>,
) -> Response {
    match build(&state, &ctx, &applicant, query).await {
        Ok(page) => page::html(StatusCode::OK, &page),
        Err(error) => page::failure(&ctx, error),
    }
}

async fn build<'a>(
    state: &AppState,
    ctx: &'a Ctx,
    applicant: &Applicant,
    query: DashboardQuery,
) -> Result<DashboardPage<'a>, Error> {
    let w = DashboardWords::of(ctx.lang);
    let tenant = applicant.tenant();
    let now = state.clock.now();
    let only = ApplicationState::ALL.into_iter().find(|s| s.as_str() == query.state);

    let party = verification::get(state, applicant.org_id).await?;
    let verified = party.organization.verification == Verification::Verified;
    let verification = match party.organization.verification {
        Verification::Verified => w.verified.to_owned(),
        Verification::Unverified => w.unverified.to_owned(),
        Verification::Pending => w.pending.to_owned(),
        Verification::Refused => format!("{} {}", w.refused, party.refusal_reason.as_deref().unwrap_or_default()),
    };

    let (states, limit, cursor) = match only {
        Some(one) => (vec![one], STATE_PAGE, query.cursor.filter(|c| !c.is_empty())),
        None => (ORDER.to_vec(), FIRST_PAGE, None),
    };
    let mut groups = Vec::with_capacity(states.len());
    let mut todos = Vec::new();
    for application_state in states {
        let request = PageQuery { limit: Some(limit), cursor: cursor.clone() }.parse()?;
        let filter = StateFilter { state: Some(application_state) };
        let listed = applications::list(state, tenant, filter, request).await?;
        let mut rows = Vec::with_capacity(listed.items.len());
        for view in listed.items {
            let link = ctx.link(&format!("/workbench/applications/{}", view.id));
            let mut row = row_of(ctx, w, &view, now);
            if view.supplement.is_some() {
                todos.push(Todo {
                    what: w.todo_supplement.to_owned(),
                    link: link.clone(),
                    subject: view.product_name.clone(),
                    due: row.when.clone(),
                });
            }
            if matches!(view.state, ApplicationState::InAnnouncement | ApplicationState::ObjectionReview) {
                let found = objections::for_holder(state, tenant, view.id).await?;
                let open: Vec<_> = found.iter().filter(|o| o.state == ObjectionState::Open).collect();
                if !open.is_empty() {
                    let unanswered = open.iter().filter(|o| o.responses.is_empty()).count();
                    let decision_due = open.iter().map(|o| o.decision_due_at).min();
                    let decision_due = decision_due.map(|at| ctx.day(at)).unwrap_or_default();
                    let (comma, semicolon) = if ctx.lang == Lang::ZhCn { ("，", "；") } else { (", ", "; ") };
                    row.objections = format!(
                        "{} {}{comma}{unanswered} {}{semicolon}{}{}{decision_due}",
                        open.len(),
                        w.objections_open,
                        w.objections_unanswered,
                        w.decision_due,
                        w.colon,
                    );
                    row.urgent = row.urgent || unanswered > 0;
                    if unanswered > 0 {
                        todos.push(Todo {
                            what: match ctx.lang {
                                Lang::ZhCn => format!("{}（{unanswered} 件）", w.todo_objection),
                                Lang::En => format!("{} ({unanswered})", w.todo_objection),
                            },
                            link: format!("{link}#objections"),
                            subject: view.product_name.clone(),
                            due: decision_due,
                        });
                    }
                }
            }
            rows.push(row);
        }
        let more = listed.next_cursor.map(|next| {
            let pairs = [("state", application_state.as_str()), ("cursor", next.as_str())];
            // From the dashboard, the state's whole list from its start;
            // from that list, its next page.
            ctx.link_with("/workbench", if only.is_some() { &pairs[..] } else { &pairs[..1] })
        });
        groups.push(Group { state: application_state.as_str(), title: w.state(application_state), rows, more });
    }

    let (confirmations, confirmations_more) = match only {
        Some(_) => (Vec::new(), false),
        None => {
            let awaiting = confirmations::awaiting(state, tenant).await?;
            let more = awaiting.len() > CONFIRMATIONS_SHOWN;
            let period = state.config.workflow.counterparty_period;
            let shown = awaiting
                .into_iter()
                .take(CONFIRMATIONS_SHOWN)
                .map(|act| {
                    // The word was asked for when the act was filed, for the
                    // counterparty period (as `confirmations::ask` sets it).
                    let due = state.config.calendar.deadline(act.filed_at, period);
                    Confirmation {
                        kind: w.act(act.kind),
                        filed: ctx.day(act.filed_at),
                        due: due.map(|at| ctx.time(at)).unwrap_or_default(),
                    }
                })
                .collect::<Vec<_>>();
            if !shown.is_empty() {
                todos.push(Todo {
                    what: w.todo_confirm.to_owned(),
                    link: ctx.link("/workbench/confirmations"),
                    subject: shown.iter().map(|c| c.kind).collect::<Vec<_>>().join(" · "),
                    due: shown.first().map(|c| c.due.clone()).unwrap_or_default(),
                });
            }
            (shown, more)
        }
    };

    Ok(DashboardPage {
        ctx,
        w,
        party_name: party.organization.name,
        verification,
        verified,
        todos,
        confirmations,
        confirmations_more,
        groups,
        only: only.map(|s| w.state(s)),
    })
}

/// What the application awaits, and the date that matters in its state.
fn row_of(ctx: &Ctx, w: &DashboardWords, view: &ApplicationView, now: DateTime<Utc>) -> Row {
    let due = |at: DateTime<Utc>| format!("{}{}", ctx.time(at), days_left(ctx.lang, ctx.days_until(now, at)));
    let (awaits, when_label, when, urgent) = match view.state {
        ApplicationState::Draft => (w.await_draft.to_owned(), w.last_changed, ctx.day(view.updated_at), false),
        ApplicationState::Submitted => (
            w.await_submitted.to_owned(),
            w.submitted_on,
            view.submitted_at.map(|at| ctx.day(at)).unwrap_or_default(),
            false,
        ),
        ApplicationState::UnderReview => (
            w.await_under_review.to_owned(),
            w.submitted_on,
            view.submitted_at.map(|at| ctx.day(at)).unwrap_or_default(),
            false,
        ),
        ApplicationState::SupplementRequested => match &view.supplement {
            Some(supplement) => {
                (format!("{}{}{}", w.await_supplement, w.colon, supplement.reason), w.by, due(supplement.due_at), true)
            }
            None => (w.await_supplement.to_owned(), w.by, String::new(), true),
        },
        ApplicationState::InAnnouncement => (
            w.await_announcement.to_owned(),
            w.announcement_ends,
            view.announcement.as_ref().map(|a| due(a.ends_at)).unwrap_or_default(),
            false,
        ),
        ApplicationState::ObjectionReview => (
            w.await_objection_review.to_owned(),
            w.announcement_ends,
            view.announcement.as_ref().map(|a| ctx.day(a.ends_at)).unwrap_or_default(),
            false,
        ),
        ApplicationState::Registered => (
            format!("{} {}", w.await_registered, view.certificate_number.as_deref().unwrap_or_default()),
            w.decided,
            ctx.day(view.updated_at),
            false,
        ),
        ApplicationState::Rejected => {
            let reason = view.decision_reason.as_deref().unwrap_or_default();
            let awaits = if reason.is_empty() {
                w.await_rejected.to_owned()
            } else {
                format!("{}{}{reason}", w.await_rejected, w.colon)
            };
            (awaits, w.decided, ctx.day(view.updated_at), false)
        }
        ApplicationState::Withdrawn => (w.await_withdrawn.to_owned(), w.last_changed, ctx.day(view.updated_at), false),
    };
    Row {
        link: ctx.link(&format!("/workbench/applications/{}", view.id)),
        product_name: view.product_name.clone(),
        number: view.application_number.clone().unwrap_or_default(),
        category: w.category(view.category),
        awaits,
        when_label,
        when,
        objections: String::new(),
        urgent,
    }
}
