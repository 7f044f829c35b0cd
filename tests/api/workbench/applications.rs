//! The applicants' dashboard (applications by state, with what each awaits
//! and by when) and the application form (every field of the API's body,
//! data source rows added and removed without a script, a draft created and
//! edited through the same service as the API).

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;

use super::kit::{Page, Visitor, field_value};
use crate::{
    certificates::acts::{file, holder_after},
    helpers::{PASSWORD, TestApp, spawn_app},
};
use dataip::domain::StaffRole;

#[track_caller]
fn assert_status(page: &Page, status: StatusCode) {
    assert_eq!(page.status, status, "{}", page.body);
}

/// The section of the dashboard showing applications in `state`.
fn section<'a>(page: &'a Page, state: &str) -> &'a str {
    let start = page.body.find(&format!("data-state=\"{state}\"")).unwrap_or_else(|| panic!("no {state} section"));
    let rest = &page.body[start..];
    &rest[..rest.find("</section>").expect("section end")]
}

/// A moment as the pages show it, on the registry's clock.
fn shown(app: &TestApp, at: &serde_json::Value) -> String {
    let at: DateTime<Utc> = at.as_str().expect("a time").parse().expect("RFC 3339");
    at.with_timezone(&app.state.config.registry.time_zone).format("%Y-%m-%d %H:%M").to_string()
}

/// The form's fields for a product with `sources` (kind, description,
/// agreement end) and `action`.
fn product<'a>(csrf: &'a str, action: &'a str, sources: &[(&'a str, &'a str, &'a str)]) -> Vec<(String, &'a str)> {
    let mut fields = vec![
        ("csrf".to_owned(), csrf),
        ("product_name".to_owned(), "长三角冷链温控数据集"),
        ("category".to_owned(), "data_product"),
        ("abstract".to_owned(), "冷链车辆的温度曲线，逐分钟采集。"),
        ("data_format".to_owned(), "Parquet"),
        ("data_scale".to_owned(), "3 亿条"),
        ("update_frequency".to_owned(), "每小时"),
    ];
    for (i, (kind, description, ends)) in sources.iter().enumerate() {
        fields.push((format!("data_sources[{i}][kind]"), kind));
        fields.push((format!("data_sources[{i}][description]"), description));
        fields.push((format!("data_sources[{i}][agreement_ends_on]"), ends));
    }
    fields.push(("action".to_owned(), action));
    fields
}

fn pairs<'a>(fields: &'a [(String, &'a str)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(name, value)| (name.as_str(), *value)).collect()
}

#[tokio::test]
async fn the_dashboard_shows_each_application_by_state_with_what_it_awaits() {
    let app = spawn_app().await;
    // Another party holds a certificate, and transfers it to this one.
    let seller = holder_after(&app, chrono::Duration::days(20)).await;
    let tenant = app.signup().await;
    let transfer = json!({"kind": "transfer", "transferee_credit_code": tenant.credit_code});
    let act = file(&app, &seller, transfer).await;
    assert_eq!(act.assert_status(201)["state"], "awaiting_confirmation");
    let act = act.body["id"].as_str().expect("id").to_owned();
    let due: DateTime<Utc> = sqlx::query_scalar("SELECT due_at FROM act_confirmations WHERE act_id = $1::uuid")
        .bind(&act)
        .fetch_one(&app.state.db)
        .await
        .expect("the word awaited");
    let asked_by = shown(&app, &serde_json::to_value(due).expect("a time"));
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let mut browser = Visitor::new(&app);
    browser.get("/workbench").await.assert_redirect_to("/login?next=%2Fworkbench");

    let draft = app.create_application(&tenant.token).await;
    let asked = app.claimed_application(&tenant.token, &reviewer).await;
    let path = format!("/review/applications/{asked}/request-supplement");
    app.post(&path, Some(&reviewer), json!({"reason": "请补充数据来源证明"})).await.assert_status(200);
    let supplement = app.get(&format!("/applications/{asked}"), Some(&tenant.token)).await;
    let due = shown(&app, &supplement.body["supplement"]["due_at"]);
    let announced = app.announced_application(&tenant.token, &reviewer).await;
    app.object(&announced).await;
    let announcement = app.get(&format!("/applications/{announced}"), Some(&tenant.token)).await;
    let ends = shown(&app, &announcement.body["announcement"]["ends_at"]);

    browser.sign_in(&tenant.email, PASSWORD).await;
    let page = browser.get("/workbench").await;
    assert_status(&page, StatusCode::OK);
    assert!(page.body.contains("已核验"), "a verified party is told it may submit");
    assert!(!page.body.contains("href=\"/workbench/party\">前往"), "no call to verify");

    let drafts = section(&page, "draft");
    assert!(drafts.contains(&format!("href=\"/workbench/applications/{draft}\"")), "{drafts}");
    assert!(drafts.contains("待完善并提交"));
    let supplements = section(&page, "supplement_requested");
    assert!(supplements.contains(&format!("href=\"/workbench/applications/{asked}\"")), "{supplements}");
    assert!(supplements.contains("请补充数据来源证明") && supplements.contains(&due), "{supplements} lacks {due}");
    let announcements = section(&page, "in_announcement");
    assert!(announcements.contains(&format!("/workbench/applications/{announced}")), "{announcements}");
    assert!(announcements.contains(&ends), "{announcements} lacks {ends}");
    assert!(announcements.contains("1 件异议未决，1 件尚未答复"), "{announcements}");
    assert!(!page.body.contains("data-state=\"registered\""), "empty states are left out");
    // What waits for the party, first: the supplement and the objection.
    let todo = &page.body[page.body.find("id=\"todo-heading\"").expect("to do")..];
    let todo = &todo[..todo.find("</section>").expect("end")];
    assert!(todo.contains("补正并重新提交") && todo.contains(&due), "{todo}");
    assert!(todo.contains(&format!("/workbench/applications/{announced}#objections")), "{todo}");
    assert!(todo.contains("href=\"/workbench/confirmations\"") && todo.contains(&asked_by), "{todo} lacks {asked_by}");
    let confirmations = &page.body[page.body.find("id=\"confirmations-heading\"").expect("confirmations")..];
    assert!(confirmations.contains("<td>转让</td>") && confirmations.contains(&asked_by), "{confirmations}");

    // One state alone, in English.
    let only = browser.get("/workbench?state=draft&lang=en").await;
    assert_status(&only, StatusCode::OK);
    assert!(only.body.contains("<h1>Drafts</h1>") && only.body.contains(&draft), "{}", only.body);
    assert!(!only.body.contains(&asked));

    // Only a draft (or a supplement request) is edited: the service's refusal.
    let refused = browser.get(&format!("/workbench/applications/{announced}/edit")).await;
    assert_status(&refused, StatusCode::CONFLICT);
    let csrf = browser.get("/workbench/applications/new").await.csrf();
    let fields = product(&csrf, "save", &[("self_collected", "自有", "")]);
    let refused = browser.post(&format!("/workbench/applications/{announced}/edit"), &pairs(&fields)).await;
    assert_status(&refused, StatusCode::CONFLICT);

    // An unverified party is sent to verify before it can submit.
    let unverified = app.signup_unverified().await;
    let mut other = Visitor::new(&app);
    other.sign_in(&unverified.email, PASSWORD).await;
    let page = other.get("/workbench").await;
    assert_status(&page, StatusCode::OK);
    assert!(page.body.contains("role=\"alert\"") && page.body.contains("href=\"/workbench/party\""), "{}", page.body);
    assert!(page.body.contains("还没有任何申请"));
}

#[tokio::test]
async fn the_form_keeps_what_was_typed_adds_rows_and_saves_every_field() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let mut browser = Visitor::new(&app);
    browser
        .get("/workbench/applications/new")
        .await
        .assert_redirect_to("/login?next=%2Fworkbench%2Fapplications%2Fnew");
    browser.sign_in(&tenant.email, PASSWORD).await;
    let form = browser.get("/workbench/applications/new?lang=en").await;
    assert_status(&form, StatusCode::OK);
    for name in [
        "product_name",
        "category",
        "abstract",
        "data_format",
        "data_scale",
        "update_frequency",
        "data_sources[0][kind]",
        "data_sources[0][description]",
        "data_sources[0][agreement_ends_on]",
    ] {
        assert!(form.body.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(form.body.contains("maxlength=\"2000\"") && form.body.contains("maxlength=\"1000\""));
    assert!(form.body.contains("Data algorithm") && form.body.contains("Self-collected"));
    let csrf = form.csrf();
    let before = app.count("applications").await;

    // A required field left empty: 422, the error beside it, the rest kept.
    let mut fields = product(&csrf, "save", &[("licensed", "某物流公司授权的运单数据", "2031-06-30")]);
    fields[1].1 = "";
    let page = browser.post("/workbench/applications/new", &pairs(&fields)).await;
    assert_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"product_name-error\""), "{}", page.body);
    assert!(page.body.contains("aria-describedby=\"product_name-hint product_name-error\""));
    assert!(page.body.contains("class=\"errors-summary\""));
    assert_eq!(field_value(&page.body, "data_scale").as_deref(), Some("3 亿条"));
    assert_eq!(field_value(&page.body, "data_sources[0][agreement_ends_on]").as_deref(), Some("2031-06-30"));
    assert!(page.body.contains(">某物流公司授权的运单数据</textarea>"));
    assert!(page.body.contains("value=\"licensed\" selected"));
    assert!(page.body.contains("value=\"data_product\" selected"));

    // add-source: one more empty row, everything typed kept.
    let fields = product(&csrf, "add-source", &[("licensed", "某物流公司授权的运单数据", "2031-06-30")]);
    let page = browser.post("/workbench/applications/new", &pairs(&fields)).await;
    assert_status(&page, StatusCode::OK);
    assert!(page.body.contains("name=\"data_sources[1][kind]\""), "a second row");
    assert!(!page.body.contains("name=\"data_sources[2][kind]\""));
    assert_eq!(field_value(&page.body, "product_name").as_deref(), Some("长三角冷链温控数据集"));
    assert!(page.body.contains(">某物流公司授权的运单数据</textarea>"));
    assert!(page.body.contains("value=\"remove-source-1\""));
    // remove-source-0: the second row moves up.
    let two = [("licensed", "甲", "2031-06-30"), ("purchased", "乙", "")];
    let page = browser.post("/workbench/applications/new", &pairs(&product(&csrf, "remove-source-0", &two))).await;
    assert_status(&page, StatusCode::OK);
    assert!(page.body.contains(">乙</textarea>") && !page.body.contains(">甲</textarea>"));
    assert!(!page.body.contains("name=\"data_sources[1][kind]\""));

    // The service's own checks, beside their fields: an agreement already ended.
    let ended = [("self_collected", "自有车载传感器", ""), ("licensed", "甲", "2001-01-01")];
    let page = browser.post("/workbench/applications/new", &pairs(&product(&csrf, "save", &ended))).await;
    assert_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("id=\"data_sources-1-agreement_ends_on-error\""), "{}", page.body);
    // Without the form's token: refused, nothing made.
    let forged = product("", "save", &[("self_collected", "自有车载传感器", "")]);
    let forged: Vec<_> = pairs(&forged).into_iter().filter(|(name, _)| *name != "csrf").collect();
    assert_status(&browser.post("/workbench/applications/new", &forged).await, StatusCode::FORBIDDEN);
    assert_eq!(app.count("applications").await, before);

    // save: the draft, every field as the API shows it; a blank row ignored.
    let sources = [
        ("self_collected", "自有车载传感器", ""),
        ("licensed", "某物流公司授权的运单数据", "2031-06-30"),
        ("", "", ""),
    ];
    let page = browser.post("/workbench/applications/new", &pairs(&product(&csrf, "save", &sources))).await;
    page.assert_redirect_to("/workbench/applications/");
    let id = page.location.as_deref().and_then(|l| l.strip_prefix("/workbench/applications/")).expect("an id");
    let id = id.split('?').next().expect("id");
    let body = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await.assert_status(200).clone();
    assert_eq!(body["state"], "draft");
    assert_eq!(body["product_name"], "长三角冷链温控数据集");
    assert_eq!(body["category"], "data_product");
    assert_eq!(body["abstract"], "冷链车辆的温度曲线，逐分钟采集。");
    assert_eq!(body["data_format"], "Parquet");
    assert_eq!(body["data_scale"], "3 亿条");
    assert_eq!(body["update_frequency"], "每小时");
    assert_eq!(
        body["data_sources"],
        json!([
            {"kind": "self_collected", "description": "自有车载传感器"},
            {"kind": "licensed", "description": "某物流公司授权的运单数据", "agreement_ends_on": "2031-06-30"}
        ])
    );
}

#[tokio::test]
async fn a_draft_is_edited_in_the_same_form_and_another_partys_is_not_found() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let stranger = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let theirs = app.create_application(&stranger.token).await;
    let mut browser = Visitor::new(&app);
    browser.sign_in(&tenant.email, PASSWORD).await;

    let form = browser.get(&format!("/workbench/applications/{id}/edit")).await;
    assert_status(&form, StatusCode::OK);
    assert_eq!(field_value(&form.body, "product_name").as_deref(), Some("长三角物流时效数据集"));
    assert_eq!(field_value(&form.body, "data_format").as_deref(), Some("CSV"));
    assert_eq!(field_value(&form.body, "version").as_deref(), Some("1"));
    assert!(form.body.contains(">自有物流系统运单数据</textarea>"));
    let csrf = form.csrf();

    // Another party's draft: as if it did not exist, to see and to change.
    assert_status(&browser.get(&format!("/workbench/applications/{theirs}/edit")).await, StatusCode::NOT_FOUND);
    let fields = product(&csrf, "save", &[("self_collected", "自有", "")]);
    let path = format!("/workbench/applications/{theirs}/edit");
    assert_status(&browser.post(&path, &pairs(&fields)).await, StatusCode::NOT_FOUND);
    assert_status(&browser.get("/workbench/applications/not-an-id/edit").await, StatusCode::NOT_FOUND);

    // Saved: the fields replaced, an emptied optional field cleared.
    let mut fields = product(&csrf, "save", &[("purchased", "向某数据交易所购买", "")]);
    fields.push(("version".to_owned(), "1"));
    for field in fields.iter_mut().filter(|(name, _)| name == "data_format") {
        field.1 = "";
    }
    let page = browser.post(&format!("/workbench/applications/{id}/edit"), &pairs(&fields)).await;
    page.assert_redirect_to(&format!("/workbench/applications/{id}"));
    let body = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await.assert_status(200).clone();
    assert_eq!(body["product_name"], "长三角冷链温控数据集");
    assert_eq!(body["data_format"], serde_json::Value::Null);
    assert_eq!(body["data_sources"], json!([{"kind": "purchased", "description": "向某数据交易所购买"}]));
    assert_eq!(body["version"], 2);
    // The version read is stale now: said above the form, what was typed kept.
    let page = browser.post(&format!("/workbench/applications/{id}/edit"), &pairs(&fields)).await;
    assert_status(&page, StatusCode::PRECONDITION_FAILED);
    assert!(page.body.contains("class=\"errors-summary\"") && page.body.contains("向某数据交易所购买"));
    let stranger_view = app.get(&format!("/applications/{theirs}"), Some(&stranger.token)).await;
    assert_eq!(stranger_view.assert_status(200)["version"], 1, "untouched");
}
