use dataip::domain::StaffRole;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn approved_applications_are_announced_with_hashes_only() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    app.submitted_application(&tenant.token).await;
    app.create_application(&tenant.token).await;

    let list = app.get("/public/announcements", None).await;
    let list = list.assert_status(200).clone();
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "only applications in announcement");
    let item = &items[0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["holder_name"], "上海数据科技有限公司");
    assert_eq!(item["product_name"], "长三角物流时效数据集");
    assert!(item["registration_number"].as_str().is_some_and(|n| n.len() == 16));
    assert!(item["starts_at"].is_string() && item["ends_at"].is_string());
    let materials = item["materials"].as_array().expect("materials");
    assert_eq!(materials.len(), 4);
    for material in materials {
        let keys: Vec<&String> = material.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["kind", "sha256"], "kinds and hashes only");
    }
    let text = list.to_string();
    assert!(!text.contains("%PDF"), "no contents");
    assert!(!text.contains("filename"), "no file names");

    let detail = app.get(&format!("/public/announcements/{id}"), None).await;
    assert_eq!(detail.assert_status(200), item);
    let other = app.create_application(&tenant.token).await;
    app.get(&format!("/public/announcements/{other}"), None).await.assert_problem(404, "not_found");
    app.get("/public/announcements/nope", None).await.assert_problem(400, "validation_failed");
}

#[tokio::test]
async fn search_finds_chinese_text_in_names_holders_and_abstracts() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let logistics = app.announced_application(&tenant.token, &reviewer).await;
    let model = app.create_application(&tenant.token).await;
    app.patch(
        &format!("/applications/{model}"),
        Some(&tenant.token),
        json!({"product_name": "医疗影像识别模型", "category": "data_algorithm", "abstract": "基于深度学习的肺结节检测算法"}),
    )
    .await
    .assert_status(200);
    app.upload_required(&tenant.token, &model).await;
    app.post(&format!("/applications/{model}/submit"), Some(&tenant.token), json!({"commitment": true}))
        .await
        .assert_status(200);
    app.post(&format!("/review/applications/{model}/claim"), Some(&reviewer), json!({})).await.assert_status(200);
    app.post(&format!("/review/applications/{model}/approve"), Some(&reviewer), json!({})).await.assert_status(200);

    assert_eq!(found(&app, "物流").await, [logistics.as_str()], "two Chinese characters of a product name");
    assert_eq!(found(&app, "肺结节").await, [model.as_str()], "words of an abstract");
    assert_eq!(found(&app, "模型").await, [model.as_str()]);
    assert_eq!(found(&app, "数据科技").await.len(), 2, "the holder's name");
    assert!(found(&app, "区块链").await.is_empty());
    assert!(found(&app, "100%").await.is_empty(), "wildcards are literal");

    let algorithms = app.get("/public/announcements?category=data_algorithm", None).await;
    assert_eq!(algorithms.body["items"].as_array().map(Vec::len), Some(1));
    app.get("/public/announcements?category=toaster", None).await.assert_problem(400, "validation_failed");
    let long = "长".repeat(101);
    app.get(&format!("/public/announcements?q={}", urlencode(&long)), None)
        .await
        .assert_problem(422, "validation_failed");

    let page = app.get("/public/announcements?limit=1", None).await;
    assert_eq!(page.body["items"][0]["id"], model.as_str(), "newest first");
    let cursor = page.body["next_cursor"].as_str().expect("more").to_owned();
    let rest = app.get(&format!("/public/announcements?limit=1&cursor={cursor}"), None).await;
    assert_eq!(rest.body["items"][0]["id"], logistics.as_str());
}

#[tokio::test]
async fn a_closed_window_leaves_the_list_but_the_announcement_says_what_came_of_it() {
    let app = spawn_app_with(|config| config.workflow.announcement_period = "PT2S".parse().expect("duration")).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    app.close_windows(chrono::Duration::seconds(3)).await;
    let list = app.get("/public/announcements", None).await;
    assert_eq!(list.body["items"], json!([]));
    let closed = app.get(&format!("/public/announcements/{id}"), None).await;
    assert_eq!(closed.assert_status(200)["outcome"], "registered");
    assert!(closed.body["certificate_number"].as_str().is_some_and(|n| n.len() == 17), "{}", closed.body);
    // Never announced: still not found.
    let draft = app.create_application(&tenant.token).await;
    app.get(&format!("/public/announcements/{draft}"), None).await.assert_problem(404, "not_found");
}

/// The ids of the announcements a public search finds.
pub async fn found(app: &crate::helpers::TestApp, q: &str) -> Vec<String> {
    let answer = app.get(&format!("/public/announcements?q={}", urlencode(q)), None).await;
    answer.assert_status(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect()
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
