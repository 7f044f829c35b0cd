//! Input as a careless or hostile client sends it: every problem of a body
//! in one answer under its full path, unknown fields refused, and no value
//! parsed from a request (cursors, dates) ever answered with a 5xx.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use dataip::domain::StaffRole;
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{Value, json};

use crate::{
    certificates::acts::{holder, setup},
    helpers::{Answer, TestApp, application_body, spawn_app, spawn_app_with},
};

#[tokio::test]
async fn every_problem_of_an_application_comes_at_once_under_its_path() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let body = json!({
        "category": "gadget",
        "abstract": "覆盖长三角地区的物流时效数据。",
        "data_sources": [
            {"description": "自有数据"},
            {"kind": "licensed", "description": "授权数据", "agreement_ends_on": "-4800-01-01"}
        ],
        "data_fromat": "CSV"
    });
    let answer = app.post("/applications", Some(&tenant.token), body).await;
    answer.assert_problem(422, "validation_failed");
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["category", "data_fromat", "data_sources[0].kind", "data_sources[1].agreement_ends_on", "product_name"],
        "{}",
        answer.body
    );
    assert_eq!(app.count("applications").await, 0);

    // A PATCH too: an unknown field is refused, not dropped.
    let id = app.create_application(&tenant.token).await;
    let patch = app.patch(&format!("/applications/{id}"), Some(&tenant.token), json!({"data_fromat": "JSON"})).await;
    patch.assert_problem(422, "validation_failed");
    assert_eq!(patch.error_fields(), ["data_fromat"]);
    let read = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(read.body["version"], 1, "nothing changed");
}

#[tokio::test]
async fn every_problem_of_an_act_comes_at_once_under_its_path() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let path = format!("/certificates/{}/acts", h.certificate);
    let act = json!({"kind": "license", "licensee": {"name": "杭州智算", "credit_code": 91330100},
        "exclusive": "yes", "starts_on": "2027-02-30", "ends_on": "99999-01-01", "territory": "华东"});
    let answer = app.post(&path, Some(&h.tenant.token), act).await;
    answer.assert_problem(422, "validation_failed");
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["ends_on", "exclusive", "licensee.credit_code", "scope", "starts_on", "territory"],
        "{}",
        answer.body
    );
    for (body, field) in [
        (json!({"licensee": {"name": "x", "credit_code": "y"}}), "kind"),
        (json!({"kind": "gift"}), "kind"),
        (json!({"kind": 7}), "kind"),
        (json!({"kind": "renewal", "now": true}), "now"),
        (json!({"kind": "pledge_release", "pledge_id": "not-a-uuid"}), "pledge_id"),
    ] {
        let answer = app.post(&path, Some(&h.tenant.token), body.clone()).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), [field], "{body}: {}", answer.body);
    }
    assert_eq!(app.count("certificate_acts").await, 0);
}

/// Runs `cases` generated values through `check` (a request that must not
/// answer 5xx), on the test's runtime.
fn never_5xx<S: Strategy>(cases: u32, strategy: S, check: impl Fn(S::Value) -> Answer)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() });
    runner
        .run(&strategy, |value| {
            let shown = format!("{value:?}");
            let answer = check(value);
            prop_assert!(answer.status.as_u16() < 500, "{shown} answered {}: {}", answer.status, answer.body);
            prop_assert!(
                answer.status.is_success() || answer.header("content-type") == Some("application/problem+json")
            );
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}

/// Cursors a client could craft: random text, and well-formed ones holding
/// keys out of any range (timestamps from -262143 to 262143 years, numbers,
/// nulls, nested junk).
fn cursors() -> impl Strategy<Value = String> {
    let junk = proptest::collection::vec(any::<u8>(), 0..48).prop_map(|bytes| URL_SAFE_NO_PAD.encode(bytes));
    let text = proptest::collection::vec(any::<char>(), 0..24).prop_map(|chars| chars.into_iter().collect::<String>());
    let keys = (-262_143i32..=262_143, 1u32..=12, 1u32..=28, any::<i64>(), any::<bool>()).prop_map(
        |(year, month, day, number, pair)| {
            let stamp = format!("{year:+07}-{month:02}-{day:02}T00:00:00Z");
            let key = if pair {
                json!([stamp, "00000000-0000-7000-8000-000000000000"])
            } else {
                json!([number, stamp, null])
            };
            URL_SAFE_NO_PAD.encode(key.to_string())
        },
    );
    let numbers = any::<i64>().prop_map(|n| URL_SAFE_NO_PAD.encode(n.to_string()));
    prop_oneof![junk, text, keys, numbers]
}

fn get(app: &TestApp, path: String, token: Option<&str>) -> Answer {
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| handle.block_on(app.get(&path, token)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cursor_on_any_list_answers_5xx() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let admin = app.staff(StaffRole::Admin).await;
    let lists = [
        ("/public/announcements", None),
        ("/public/registry", None),
        ("/public/ledger/anchors", None),
        ("/applications", Some(&tenant.token)),
        ("/certificates", Some(&tenant.token)),
        ("/organization/members", Some(&tenant.token)),
        ("/organization/api-keys", Some(&tenant.token)),
        ("/review/applications", Some(&reviewer)),
        ("/review/objections", Some(&reviewer)),
        ("/review/acts", Some(&reviewer)),
        ("/admin/staff", Some(&admin)),
    ];
    for (list, token) in lists {
        never_5xx(48, cursors(), |cursor| {
            let encoded: String = url_encode(&cursor);
            get(&app, format!("{list}?cursor={encoded}"), token.map(String::as_str))
        });
    }
    // The one from the report: a timestamp PostgreSQL cannot store.
    let far =
        URL_SAFE_NO_PAD.encode(json!(["-4800-01-01T00:00:00Z", "00000000-0000-7000-8000-000000000000"]).to_string());
    let answer = app.get(&format!("/public/announcements?cursor={far}"), None).await;
    answer.assert_problem(422, "validation_failed");
    assert_eq!(answer.error_fields(), ["cursor"]);
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Dates a client could send: any year chrono can name and beyond, any
/// month and day, and text that is no date at all.
fn dates() -> impl Strategy<Value = Value> {
    let shaped = (-999_999i32..=999_999, 0u32..=13, 0u32..=32)
        .prop_map(|(year, month, day)| json!(format!("{year:04}-{month:02}-{day:02}")));
    let signed = (-300_000i32..=300_000, 1u32..=12, 1u32..=28)
        .prop_map(|(year, month, day)| json!(format!("{year:+07}-{month:02}-{day:02}")));
    let odd = prop_oneof![any::<i64>().prop_map(|n| json!(n)), Just(json!(null)), Just(json!("")), Just(json!([]))];
    prop_oneof![shaped, signed, odd]
}

fn post(app: &TestApp, path: &str, token: &str, body: Value) -> Answer {
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| handle.block_on(app.post(path, Some(token), body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_date_in_any_body_answers_5xx() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let acts = format!("/certificates/{}/acts", h.certificate);
    never_5xx(64, (dates(), dates()), |(starts_on, ends_on)| {
        let license = json!({"kind": "license", "licensee": {"name": "杭州智算有限公司", "credit_code": "91330100MA2H3E5E7H"},
            "exclusive": true, "scope": "训练", "starts_on": starts_on, "ends_on": ends_on});
        post(&app, &acts, &h.tenant.token, license)
    });
    never_5xx(64, (dates(), dates()), |(starts_on, ends_on)| {
        let pledge = json!({"kind": "pledge", "pledgee": {"name": "上海银行", "credit_code": "91310000MA1K8B5C3M"},
            "secured_amount": {"amount": "1.00", "currency": "CNY"}, "starts_on": starts_on, "ends_on": ends_on});
        post(&app, &acts, &h.tenant.token, pledge)
    });
    never_5xx(64, dates(), |ends_on| {
        let mut body = application_body();
        body["data_sources"][0]["agreement_ends_on"] = ends_on;
        post(&app, "/applications", &h.tenant.token, body)
    });
}

#[tokio::test]
async fn the_nul_character_is_refused_before_the_database() {
    let app = spawn_app().await;
    for path in ["/public/announcements?q=%00", "/public/registry?q=a%00b&category=data_product"] {
        let answer = app.get(path, None).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), ["q"], "{path}");
    }
    let login =
        app.post("/auth/login", None, json!({"email": "a\u{0}b@example.com", "password": "x\u{0}yyyyyyyyyy"})).await;
    login.assert_problem(422, "validation_failed");
    assert_eq!(login.error_fields(), ["email", "password"]);
    let tenant = app.signup().await;
    let mut body = application_body();
    body["data_sources"][0]["description"] = json!("自有\u{0}数据");
    let answer = app.post("/applications", Some(&tenant.token), body).await;
    assert_eq!(answer.error_fields(), ["data_sources[0].description"], "{}", answer.body);
}
