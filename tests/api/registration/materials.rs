use dataip::domain::StaffRole;
use futures_util::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{answer, spawn_app, spawn_app_with};

#[tokio::test]
async fn upload_hashes_stores_and_serves_the_bytes() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let content = format!("%PDF-1.7 {}", "申请表内容".repeat(1000));
    let request = app
        .client
        .put(app.url(&format!("/applications/{id}/materials/application_form")))
        .bearer_auth(&tenant.token)
        .header("content-type", "application/pdf")
        .header("content-disposition", "attachment; filename*=UTF-8''%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf")
        .body(content.clone());
    let uploaded = answer(request.send().await.expect("sent")).await;
    let uploaded = uploaded.assert_status(200).clone();
    assert_eq!(uploaded["kind"], "application_form");
    assert_eq!(uploaded["filename"], "申请表.pdf");
    assert_eq!(uploaded["media_type"], "application/pdf");
    assert_eq!(uploaded["size"], content.len());
    assert_eq!(uploaded["sha256"], hex::encode(Sha256::digest(content.as_bytes())));

    let application = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(application.body["materials"], json!([uploaded]));
    assert_eq!(application.body["version"], 2, "a material change is a change");

    let download = app
        .client
        .get(app.url(&format!("/applications/{id}/materials/application_form")))
        .bearer_auth(&tenant.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    let disposition = download.headers()["content-disposition"].to_str().expect("ascii").to_owned();
    assert!(disposition.contains("filename*=UTF-8''%E7%94%B3%E8%AF%B7%E8%A1%A8.pdf"), "{disposition}");
    assert_eq!(download.bytes().await.expect("body"), content.as_bytes());

    let events = app.get(&format!("/applications/{id}/events"), Some(&tenant.token)).await;
    assert!(events.body.as_array().is_some_and(|e| e.iter().any(|e| e["action"] == "upload_material")));
}

#[tokio::test]
async fn large_files_are_streamed_in_chunks_and_come_back_whole() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    // 3.5 MiB of varied bytes: four chunks in storage.
    let mut content: Vec<u8> = (0..3_670_016u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    content[..4].copy_from_slice(b"PK\x03\x04");
    app.upload(&tenant.token, &id, "sample", "application/zip", content.clone()).await.assert_status(200);
    assert_eq!(app.count("blob_chunks").await, 4);
    let download = app
        .client
        .get(app.url(&format!("/applications/{id}/materials/sample")))
        .bearer_auth(&tenant.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(download.headers()["content-length"], content.len().to_string().as_str());
    assert!(download.bytes().await.expect("body") == content, "same bytes back");
}

#[tokio::test]
async fn identical_files_are_stored_once_and_replacing_keeps_one_per_kind() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let mine = app.create_application(&tenant.token).await;
    let theirs = app.create_application(&other.token).await;
    app.upload(&tenant.token, &mine, "summary", "text/plain", "same words").await.assert_status(200);
    app.upload(&other.token, &theirs, "summary", "text/plain", "same words").await.assert_status(200);
    assert_eq!(app.count("blobs").await, 1);
    assert_eq!(app.count("materials").await, 2);

    let replaced = app.upload(&tenant.token, &mine, "summary", "text/plain", "new words").await;
    assert_eq!(replaced.assert_status(200)["sha256"], hex::encode(Sha256::digest(b"new words")));
    assert_eq!(app.count("materials").await, 2);
    let read = app.get(&format!("/applications/{mine}"), Some(&tenant.token)).await;
    assert_eq!(read.body["materials"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn unused_contents_are_purged_by_the_worker() {
    // Only this test's worker step runs.
    let app = spawn_app_with(|config| config.worker.interval = "PT1H".parse().expect("duration")).await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    app.upload(&tenant.token, &id, "summary", "text/plain", "first").await.assert_status(200);
    app.upload(&tenant.token, &id, "summary", "text/plain", "second").await.assert_status(200);
    assert_eq!(app.count("blobs").await, 2);
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    assert_eq!(app.count("blobs").await, 1);
    assert_eq!(app.count("blob_chunks").await, 1);
}

#[tokio::test]
async fn oversized_and_unaccepted_uploads_are_refused_and_store_nothing() {
    let app = spawn_app_with(|config| config.materials.max_size = 1000).await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;

    app.upload(&tenant.token, &id, "summary", "application/pdf", vec![b'x'; 1001])
        .await
        .assert_problem(413, "payload_too_large");
    // Without a declared length (chunked), the limit holds while streaming.
    let pieces = std::iter::once(b"%PDF-1.7 ".to_vec()).chain((0..20).map(|_| vec![b'y'; 100]));
    let stream = futures_util::stream::iter(pieces.map(Ok::<_, std::io::Error>));
    let chunked = app
        .client
        .put(app.url(&format!("/applications/{id}/materials/summary")))
        .bearer_auth(&tenant.token)
        .header("content-type", "application/pdf")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .expect("sent");
    answer(chunked).await.assert_problem(413, "payload_too_large");

    app.upload(&tenant.token, &id, "summary", "application/x-msdownload", "MZ")
        .await
        .assert_problem(415, "unsupported_media_type");
    let untyped = app
        .client
        .put(app.url(&format!("/applications/{id}/materials/summary")))
        .bearer_auth(&tenant.token)
        .body("no type")
        .send()
        .await
        .expect("sent");
    answer(untyped).await.assert_problem(415, "unsupported_media_type");
    app.upload(&tenant.token, &id, "summary", "application/pdf", "").await.assert_problem(422, "validation_failed");
    // The first bytes must agree with the declared type, where it has a signature.
    let pdf_as_png = app.upload(&tenant.token, &id, "summary", "image/png", "%PDF-1.7 a real PDF").await;
    pdf_as_png.assert_problem(422, "validation_failed");
    assert_eq!(pdf_as_png.error_fields(), ["Content-Type"]);
    app.upload(&tenant.token, &id, "summary", "application/pdf", &b"MZ\x90\0 a program"[..])
        .await
        .assert_problem(422, "validation_failed");
    app.upload(&tenant.token, &id, "summary", "application/pdf", "%PD").await.assert_problem(422, "validation_failed");
    app.upload(&tenant.token, &id, "photo_of_cat", "application/pdf", "x")
        .await
        .assert_problem(400, "validation_failed");

    assert_eq!(app.count("materials").await, 0);
    assert_eq!(app.count("blobs").await, 0);
    assert_eq!(app.count("blob_chunks").await, 0);
    let read = app.get(&format!("/applications/{id}"), Some(&tenant.token)).await;
    assert_eq!(read.body["version"], 1);
}

#[tokio::test]
async fn materials_are_fixed_once_submitted_until_a_supplement_is_requested() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;

    app.upload(&tenant.token, &id, "summary", "application/pdf", "late")
        .await
        .assert_problem(409, "invalid_transition");
    app.delete(&format!("/applications/{id}/materials/summary"), Some(&tenant.token))
        .await
        .assert_problem(409, "invalid_transition");

    app.post(
        &format!("/review/applications/{id}/request-supplement"),
        Some(&reviewer),
        json!({"reason": "请补充数据来源证明"}),
    )
    .await
    .assert_status(200);
    app.upload(&tenant.token, &id, "data_source_proof", "application/pdf", "%PDF-1.7 proof").await.assert_status(200);
    assert_eq!(app.delete(&format!("/applications/{id}/materials/sample"), Some(&tenant.token)).await.status, 404);
    assert_eq!(
        app.delete(&format!("/applications/{id}/materials/data_source_proof"), Some(&tenant.token)).await.status,
        204
    );
}

#[tokio::test]
async fn materials_are_private_to_their_organization_and_staff() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let other = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let draft = app.create_application(&tenant.token).await;
    app.upload(&tenant.token, &draft, "summary", "text/plain", "secret sauce").await.assert_status(200);
    let path = format!("/applications/{draft}/materials/summary");

    app.get(&path, Some(&other.token)).await.assert_problem(404, "not_found");
    app.upload(&other.token, &draft, "summary", "text/plain", "overwrite").await.assert_problem(404, "not_found");
    app.delete(&path, Some(&other.token)).await.assert_problem(404, "not_found");
    app.get(&path, None).await.assert_problem(401, "unauthorized");
    app.upload(&reviewer, &draft, "summary", "text/plain", "staff").await.assert_problem(403, "forbidden");
    // Staff do not see drafts.
    app.get(&path, Some(&reviewer)).await.assert_problem(404, "not_found");

    let submitted = app.submitted_application(&tenant.token).await;
    let download = app.get(&format!("/applications/{submitted}/materials/summary"), Some(&reviewer)).await;
    assert_eq!(download.status, 200, "reviewers read submitted materials");
    let member = app.add_member(&tenant, "member").await;
    assert_eq!(app.get(&path, Some(&member)).await.status, 200);
    let read = app.get(&path, Some(&tenant.token)).await;
    assert_eq!(read.body, "secret sauce");
}

#[tokio::test]
async fn chunks_of_abandoned_uploads_are_purged() {
    let app = spawn_app_with(|config| config.worker.interval = "PT1H".parse().expect("duration")).await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    app.upload(&tenant.token, &id, "summary", "text/plain", "kept").await.assert_status(200);
    // What an upload cut off halfway leaves: chunks that belong to no blob.
    sqlx::query(
        "INSERT INTO blob_chunks (blob_id, seq, data, written_at) VALUES (gen_random_uuid(), 0, 'half', now())",
    )
    .execute(&app.state.db)
    .await
    .expect("inserted");
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    assert_eq!(app.count("blob_chunks").await, 2, "recent chunks may belong to an upload in progress");
    app.clock.advance(chrono::Duration::hours(2));
    dataip::jobs::Worker::new(app.state.clone()).step().await;
    assert_eq!(app.count("blob_chunks").await, 1);
    let read = app
        .get(
            &format!("/applications/{id}/materials/summary"),
            Some(&app.login(&tenant.email, crate::helpers::PASSWORD).await),
        )
        .await;
    assert_eq!(read.body, "kept");
}

#[tokio::test]
async fn uploads_get_longer_than_other_requests_but_not_forever() {
    let app = spawn_app_with(|config| {
        config.server.request_timeout = "PT1S".parse().expect("duration");
        config.server.upload_timeout = "PT3S".parse().expect("duration");
    })
    .await;
    let tenant = app.signup().await;
    let id = app.create_application(&tenant.token).await;
    let slow = |pause: u64| {
        let pieces = futures_util::stream::iter(0..3).then(move |i| async move {
            tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            Ok::<_, std::io::Error>(format!("part {i} ").into_bytes())
        });
        app.client
            .put(app.url(&format!("/applications/{id}/materials/summary")))
            .bearer_auth(&tenant.token)
            .header("content-type", "text/plain")
            .body(reqwest::Body::wrap_stream(pieces))
            .send()
    };
    // 1.5 s in all: more than a request may take, well within an upload's time.
    let answer = answer(slow(500).await.expect("sent")).await;
    answer.assert_status(200);
    // 4.5 s: too long even for an upload.
    let answer = answer_of(slow(1500).await).await;
    answer.assert_problem(408, "request_timeout");
}

async fn answer_of(response: reqwest::Result<reqwest::Response>) -> crate::helpers::Answer {
    answer(response.expect("an answer, not a broken connection")).await
}
