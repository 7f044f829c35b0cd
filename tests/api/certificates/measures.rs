//! Preservation measures (issue 29): staff record a court's seizure on a
//! certificate; while it is in force no transfer, pledge, licence or
//! cancellation is filed or approved; the public record, the portal, the
//! PDF and the ledger show it; staff lift it, or the worker does when its
//! term ends.

use dataip::domain::StaffRole;
use serde_json::{Value, json};

use super::{
    acts::{Holder, file, file_ok, holder, license, pledge, setup},
    openings::entries,
};
use crate::{
    edge::portal::page,
    helpers::{TestApp, spawn_app_with},
    operations::cli,
};

fn seizure(ends_on: Option<&str>) -> Value {
    json!({"authority": "上海市浦东新区人民法院", "kind": "seizure", "document_number": "（2026）沪0115执保1234号",
        "starts_on": "2026-12-01", "ends_on": ends_on})
}

fn measures_path(h: &Holder) -> String {
    format!("/admin/certificates/{}/measures", h.certificate)
}

async fn record(app: &TestApp, h: &Holder, body: Value) -> Value {
    app.post(&measures_path(h), Some(&h.reviewer), body).await.assert_status(201).clone()
}

async fn pdf_text(app: &TestApp, h: &Holder) -> String {
    let pdf = app
        .client
        .get(app.url(&format!("/certificates/{}/pdf", h.certificate)))
        .bearer_auth(&h.tenant.token)
        .send()
        .await
        .expect("sent");
    let file = std::env::temp_dir().join(format!("dataip-measure-{}.pdf", uuid::Uuid::now_v7()));
    std::fs::write(&file, pdf.bytes().await.expect("bytes")).expect("written");
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext");
    String::from_utf8_lossy(&text.stdout).into_owned()
}

/// Mail is queued (nothing listens): notices wait in the outbox.
fn with_mail_queued(config: &mut dataip::config::Config) {
    setup(config);
    config.mail.host = "127.0.0.1".into();
    config.mail.port = crate::helpers::free_port();
    config.mail.sender = "数据知识产权登记 <registry@test.example>".into();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seizure_holds_the_certificate_until_staff_lift_it() {
    let app = spawn_app_with(with_mail_queued).await;
    let h = holder(&app).await;
    let buyer = app.signup().await;
    let transfer = json!({"kind": "transfer", "transferee_credit_code": buyer.credit_code});
    let waiting = file_ok(&app, &h, license(false, "2027-01-01", "2027-02-01")).await;

    let measure = record(&app, &h, seizure(None)).await;
    assert_eq!(measure["in_force"], true);
    assert_eq!(measure["kind"], "seizure");
    let id = measure["id"].as_str().expect("id").to_owned();

    // Every act that would move or bind the certificate is refused, filed
    // or approved; a change is not held back.
    for act in [
        transfer.clone(),
        pledge(),
        license(false, "2027-03-01", "2027-04-01"),
        json!({"kind": "cancellation", "reason": "停止运营"}),
    ] {
        let answer = file(&app, &h, act.clone()).await;
        answer.assert_problem(409, "under_preservation");
        assert_eq!(answer.body["measure_id"], id.as_str(), "{act}");
        assert!(answer.body["detail"].as_str().is_some_and(|d| d.contains("上海市浦东新区人民法院")));
    }
    let approve = app.post(&format!("/review/acts/{waiting}/approve"), Some(&h.reviewer), json!({})).await;
    approve.assert_problem(409, "under_preservation");
    file_ok(&app, &h, json!({"kind": "change", "abstract": "覆盖长三角地区的物流时效数据，按小时更新。"})).await;

    // The public record, the portal, the PDF and the ledger show it; the
    // holder is told.
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    let shown = &record.assert_status(200)["measures"][0];
    assert_eq!(shown["authority"], "上海市浦东新区人民法院");
    assert_eq!(shown["document_number"], "（2026）沪0115执保1234号");
    assert_eq!((shown["in_force"].clone(), shown["starts_on"].clone()), (json!(true), json!("2026-12-01")));
    let portal = page(&app, &format!("/certificates/{}", h.number), &[]).await;
    assert!(portal.has("查封中") && portal.has("（2026）沪0115执保1234号"), "{}", portal.text);
    let english = page(&app, &format!("/certificates/{}?lang=en", h.number), &[]).await;
    assert!(english.has("Under preservation") && english.has("Seizure"));
    let text = pdf_text(&app, &h).await;
    assert!(text.contains("保全措施") && text.contains("查封") && text.contains("执保1234号"), "{text}");
    let told: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'certificate.measure_recorded'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert!(told >= 1, "the holder is told");
    let recorded = entries(&app).await;
    let entry = recorded.iter().find(|e| e.contains("measure.recorded")).expect("on the ledger");
    assert!(entry.contains("上海市浦东新区人民法院") && entry.contains("\"kind\":\"seizure\""), "{entry}");

    // Lifted by staff, with the reason: acts go through again.
    let lift = format!("{}/{id}/lift", measures_path(&h));
    let lifted = app.post(&lift, Some(&h.reviewer), json!({"reason": "浦东法院解除查封裁定"})).await;
    assert_eq!(lifted.assert_status(200)["in_force"], false);
    app.post(&lift, Some(&h.reviewer), json!({"reason": "again"})).await.assert_problem(409, "invalid_transition");
    app.post(&format!("/review/acts/{waiting}/approve"), Some(&h.reviewer), json!({})).await.assert_status(200);
    file(&app, &h, transfer).await.assert_status(201);
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert_eq!(record.body["measures"][0]["in_force"], false);
    let portal = page(&app, &format!("/certificates/{}", h.number), &[]).await;
    assert!(!portal.has("查封中") && portal.has("已解除"));
    assert!(entries(&app).await.iter().any(|e| e.contains("measure.lifted")));
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE target_id = $1::uuid ORDER BY at, id")
            .bind(&id)
            .fetch_all(&app.state.db)
            .await
            .expect("audit");
    assert_eq!(actions, ["measure.record", "measure.lift"]);
    let (passed, output) = cli::audit(&app.database_url).await;
    assert!(passed, "{output}");
}

#[tokio::test]
async fn the_order_is_for_staff_and_a_measure_ends_with_its_term() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let measure = record(&app, &h, seizure(Some("2026-12-20"))).await;
    let id = measure["id"].as_str().expect("id").to_owned();
    let document = format!("{}/{id}/document", measures_path(&h));
    let upload = |token: String, bytes: &'static [u8]| {
        let request = app
            .client
            .put(app.url(&document))
            .bearer_auth(token)
            .header("content-type", "application/pdf")
            .header("content-disposition", "attachment; filename=\"order.pdf\"")
            .body(bytes);
        async move { crate::helpers::answer(request.send().await.expect("sent")).await }
    };
    let uploaded = upload(h.reviewer.clone(), b"%PDF-1.7 the court's order").await;
    assert_eq!(uploaded.assert_status(200)["document"]["filename"], "order.pdf");
    upload(h.tenant.token.clone(), b"%PDF-1.7 forged").await.assert_problem(403, "forbidden");
    let fetched = app.client.get(app.url(&document)).bearer_auth(&h.reviewer).send().await.expect("sent");
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.expect("bytes").as_ref(), b"%PDF-1.7 the court's order");
    let record = app.get(&format!("/public/certificates/{}", h.number), None).await;
    assert!(record.assert_status(200)["measures"][0].get("document").is_none(), "the order is never public");

    // The day after its last day, the worker lifts it.
    app.clock.advance(chrono::Duration::days(30));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let listed = app.get(&measures_path(&h), Some(&reviewer)).await;
    let listed = listed.assert_status(200)[0].clone();
    assert_eq!(listed["in_force"], false);
    assert!(listed["lift_reason"].as_str().is_some_and(|r| r.contains("2026-12-20")));
    assert!(entries(&app).await.iter().any(|e| e.contains("measure.lifted")));
}

#[tokio::test]
async fn only_staff_record_measures_and_bad_ones_change_nothing() {
    let app = spawn_app_with(setup).await;
    let h = holder(&app).await;
    let path = measures_path(&h);
    app.post(&path, None, seizure(None)).await.assert_problem(401, "unauthorized");
    app.post(&path, Some(&h.tenant.token), seizure(None)).await.assert_problem(403, "forbidden");
    let unknown = format!("/admin/certificates/{}/measures", uuid::Uuid::now_v7());
    app.post(&unknown, Some(&h.reviewer), seizure(None)).await.assert_problem(404, "not_found");
    let cases = [
        (seizure(Some("2026-11-30")), "ends_on"),
        (json!({"authority": " ", "kind": "seizure", "document_number": "x", "starts_on": "2026-12-01"}), "authority"),
        (
            json!({"authority": "法院", "kind": "confiscation", "document_number": "x", "starts_on": "2026-12-01"}),
            "kind",
        ),
        (
            json!({"authority": "法院", "kind": "freeze", "document_number": "", "starts_on": "2026-12-01"}),
            "document_number",
        ),
    ];
    for (body, field) in cases {
        let answer = app.post(&path, Some(&h.reviewer), body.clone()).await;
        answer.assert_problem(422, "validation_failed");
        assert_eq!(answer.error_fields(), [field], "{body}");
    }
    assert_eq!(app.count("preservation_measures").await, 0);
    let lift = format!("{path}/{}/lift", uuid::Uuid::now_v7());
    app.post(&lift, Some(&h.reviewer), json!({"reason": "x"})).await.assert_problem(404, "not_found");
}

#[tokio::test]
async fn the_holder_and_a_registered_pledgee_are_told() {
    let app = spawn_app_with(with_mail_queued).await;
    let h = holder(&app).await;
    let bank = app.signup().await;
    let pledge = json!({"kind": "pledge", "pledgee": {"name": "上海银行", "credit_code": bank.credit_code},
        "secured_amount": {"amount": "100.00", "currency": "CNY"}, "starts_on": "2026-12-01", "ends_on": "2027-12-01"});
    let filed = file(&app, &h, pledge).await;
    let act = filed.assert_status(201)["id"].as_str().expect("id").to_owned();
    super::acts::accept(&app, &bank, &act).await;
    super::acts::approve(&app, &h, &act).await.assert_status(200);
    record(&app, &h, seizure(None)).await;
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT recipient FROM outbox WHERE kind = 'certificate.measure_recorded' ORDER BY recipient",
    )
    .fetch_all(&app.state.db)
    .await
    .expect("recipients");
    let mut expected = vec![h.tenant.email.clone(), bank.email.clone()];
    expected.sort();
    assert_eq!(told, expected);
}
