//! Public reads kept in memory stay correct: across two replicas of the
//! registry on one database, after a change made through either, after the
//! change feed's connection breaks or goes silent, past their max age, and
//! at the registry's midnight; and writes the public cannot see leave them
//! in memory.

use std::time::{Duration, Instant};

use dataip::{
    config::Secret,
    domain::{ExactDuration, StaffRole},
};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    certificates::acts,
    helpers::{TestApp, spawn_app, spawn_app_with},
    notifications::relay::Relay,
};

/// Reads `path` on `app` until `done` holds of the answer; how long that took.
async fn read_until(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let answer = app.get(path, None).await;
        if done(answer.assert_status(200)) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{path} did not change: {}", answer.body);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn record_path(number: &str) -> String {
    format!("/public/certificates/{number}")
}

/// Renames the certificate where no trigger sees it (as if its
/// notification were lost): only a record read afresh shows the new name.
async fn rename_unnoticed(db: &PgPool, number: &str, name: &str) {
    let mut tx = db.begin().await.expect("begin");
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await.expect("set");
    let renamed = sqlx::query("UPDATE certificates SET product_name = $1 WHERE certificate_number = $2")
        .bind(name)
        .bind(number)
        .execute(&mut *tx)
        .await
        .expect("rename");
    assert_eq!(renamed.rows_affected(), 1);
    tx.commit().await.expect("commit");
}

/// Waits until `app` serves the certificate's record from memory (read,
/// rename unnoticed, read the old name again): its feed listens and has
/// heard of every change so far. Between which instants the answer kept
/// was computed.
async fn until_served_from_memory(app: &TestApp, db: &PgPool, number: &str) -> (Instant, Instant) {
    let path = record_path(number);
    let started = Instant::now();
    loop {
        let before = Instant::now();
        let kept = app.get(&path, None).await.assert_status(200)["product"]["name"].clone();
        let after = Instant::now();
        rename_unnoticed(db, number, &format!("改名 {}", Uuid::now_v7())).await;
        if app.get(&path, None).await.assert_status(200)["product"]["name"] == kept {
            return (before, after);
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{} never served {path} from memory", app.base);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_change_is_read_at_once_by_its_writer_and_within_a_second_on_the_other_replica() {
    let first = spawn_app().await;
    // The second replica reads the public views from a "replica" database
    // (here the same one): the read pool is used and stays correct.
    let url = first.database_url.clone();
    let second = first.spawn_replica_with(|config| config.database.read_url = Secret::new(url)).await;
    let tenant = first.signup().await;
    let reviewer = first.staff(StaffRole::Reviewer).await;
    let id = first.announced_application(&tenant.token, &reviewer).await;
    let path = format!("/public/announcements/{id}");
    for app in [&first, &second] {
        for _ in 0..2 {
            assert_eq!(app.get(&path, None).await.assert_status(200)["outcome"], "open", "{}", app.base);
        }
        let list = app.get("/public/announcements", None).await;
        assert_eq!(list.assert_status(200)["items"].as_array().map(Vec::len), Some(1));
    }

    // Withdrawn through the second replica: its writer reads the change at
    // once, and the first replica within a second.
    second.post(&format!("/applications/{id}/withdraw"), Some(&tenant.token), json!({})).await.assert_status(200);
    assert_eq!(second.get(&path, None).await.assert_status(200)["outcome"], "withdrawn", "read at once");
    let list = second.get("/public/announcements", None).await;
    assert_eq!(list.assert_status(200)["items"], json!([]));
    let waited = read_until(&first, &path, |view| view["outcome"] == "withdrawn").await;
    assert!(waited < Duration::from_secs(1), "the other replica took {waited:?}");
    let waited = read_until(&first, "/public/announcements", |list| list["items"] == json!([])).await;
    assert!(waited < Duration::from_secs(1), "the other replica's list took {waited:?}");

    // The same on the portal's pages, for a change the worker makes.
    let id = first.announced_application(&tenant.token, &reviewer).await;
    let page = format!("/announcements/{id}?lang=en");
    for app in [&first, &second] {
        let html =
            app.client.get(format!("{}{page}", app.base)).send().await.expect("page").text().await.expect("text");
        assert!(html.contains("days left"), "open: {html}");
    }
    first.close_windows(chrono::Duration::days(16)).await;
    for app in [&first, &second] {
        let started = Instant::now();
        loop {
            let html =
                app.client.get(format!("{}{page}", app.base)).send().await.expect("page").text().await.expect("text");
            if html.contains("the certificate was issued") {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(1), "{} still shows the open window", app.base);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn the_cache_serves_until_a_change_and_is_flushed_when_its_feed_reconnects() {
    // No worker step meanwhile: its ledger appends are changes too.
    let app = spawn_app_with(|config| config.worker.interval = ExactDuration::seconds(3600)).await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let path = format!("/public/announcements/{id}");
    // Writes answer once the feed has heard of them (`catch_up`): what is
    // read next is kept.
    let before = app.get(&path, None).await.assert_status(200).clone();

    // A change no trigger reports (as if its notification were lost while
    // the feed was away): the kept answer is still served.
    let pool = sqlx::PgPool::connect(&app.database_url).await.expect("connect");
    let mut conn = pool.acquire().await.expect("connection");
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.expect("set");
    sqlx::query("UPDATE applications SET product_name = '改名后的数据集' WHERE id = $1::uuid")
        .bind(&id)
        .execute(&mut *conn)
        .await
        .expect("rename");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.get(&path, None).await.assert_status(200), &before, "served from memory");

    // The feed's connection breaks: once it listens again, nothing kept
    // from before is served.
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = $1",
    )
    .bind(dataip::change_feed::APPLICATION_NAME)
    .fetch_one(&pool)
    .await
    .expect("terminate");
    assert_eq!(killed, 1, "the one listener");
    read_until(&app, &path, |view| view["product_name"] == "改名后的数据集").await;
}

#[tokio::test]
async fn days_left_follow_the_registrys_date_with_no_change_of_data() {
    let app = spawn_app().await;
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.announced_application(&tenant.token, &reviewer).await;
    let page = format!("{}/announcements/{id}?lang=en", app.base);
    let read = || async { app.client.get(&page).send().await.expect("page").text().await.expect("text") };
    let today = read().await;
    assert_eq!(read().await, today, "the same page, served again");
    let days_left =
        |html: &str| html.split(" days left").next().and_then(|head| head.rsplit('>').next()).map(str::to_owned);
    let before = days_left(&today).expect("days left shown");

    app.clock.advance(chrono::Duration::days(1));
    let tomorrow = read().await;
    let after = days_left(&tomorrow).expect("days left shown");
    assert_eq!(
        after.trim().parse::<i64>().expect("a number") + 1,
        before.trim().parse::<i64>().expect("a number"),
        "one day fewer: {before} then {after}"
    );
}

#[tokio::test]
async fn writes_the_public_cannot_see_leave_the_cache_warm_and_public_ones_are_read_at_once() {
    // Public reads from a "replica" (here the same database): writes the
    // public cannot see leave them there too.
    let app = spawn_app_with(|config| {
        acts::setup(config);
        config.database.read_url = config.database.url.clone();
    })
    .await;
    let h = acts::holder(&app).await;
    let db = PgPool::connect(&app.database_url).await.expect("connect");
    until_served_from_memory(&app, &db, &h.number).await;
    let path = record_path(&h.number);
    let kept = app.get(&path, None).await.assert_status(200)["product"]["name"].clone();
    let (generation, position) = (app.state.changes.generation(), app.state.changes.fresh_from());
    assert!(position.is_some(), "public reads go to the replica");
    rename_unnoticed(&db, &h.number, "改名后的数据集").await;

    // The holder's own business, through the same process.
    let token = Some(h.tenant.token.as_str());
    let still_kept = |after: &'static str| {
        let (app, path, kept) = (&app, &path, &kept);
        async move {
            let record = app.get(path, None).await;
            assert_eq!(&record.assert_status(200)["product"]["name"], kept, "served from memory after {after}");
        }
    };
    let draft = app.create_application(&h.tenant.token).await;
    still_kept("a draft made").await;
    app.patch(&format!("/applications/{draft}"), token, json!({"product_name": "草稿的新名字"}))
        .await
        .assert_status(200);
    still_kept("a draft edited").await;
    app.patch("/me", token, json!({"language": "en"})).await.assert_status(204);
    let off = json!({"kinds": [{"kind": "application.submitted", "email": false}]});
    app.call(reqwest::Method::PUT, "/me/notifications", token, Some(off)).await.assert_status(200);
    still_kept("a profile and its notification settings changed").await;
    app.post("/organization/api-keys", token, json!({"name": "ERP"})).await.assert_status(201);
    still_kept("an API key made").await;
    let act = acts::file_ok(&app, &h, acts::license(false, "2027-01-01", "2027-12-31")).await;
    still_kept("an act filed, pending review").await;
    // Signed statements are made for their asker and never kept: asking,
    // a thousand at once, neither flushes nor fills the cache.
    app.get(&format!("/public/certificates/{}/status", h.number), None).await.assert_status(200);
    let bulk = json!({"numbers": vec![h.number.as_str(); 1000]});
    let answer = app.client.post(app.url("/public/status")).json(&bulk).send().await.expect("sent");
    assert_eq!(answer.status(), 200);
    answer.text().await.expect("the bundle");
    still_kept("status statements asked, a thousand at once").await;
    assert_eq!(app.state.changes.generation(), generation, "no new generation");
    assert_eq!(app.state.changes.fresh_from(), position, "public reads still go to the replica");

    // A change the public sees, through the same process: read at once.
    acts::approve(&app, &h, &act).await.assert_status(200);
    let record = app.get(&path, None).await.assert_status(200).clone();
    assert_eq!(record["licenses"].as_array().map(Vec::len), Some(1), "{record}");
    assert_eq!(record["product"]["name"], "改名后的数据集", "read afresh");
    assert_ne!(app.state.changes.generation(), generation);
    assert!(app.state.changes.fresh_from().is_some(), "public reads still go to the replica: {position:?}");
}

#[tokio::test]
async fn nothing_is_served_from_memory_past_its_max_age() {
    let max_age = Duration::from_secs(2);
    let app = spawn_app_with(|config| {
        acts::setup(config);
        config.server.public_cache_max_age = ExactDuration::seconds(2);
    })
    .await;
    let h = acts::holder(&app).await;
    let db = PgPool::connect(&app.database_url).await.expect("connect");
    let path = record_path(&h.number);
    let (computed_after, computed_by) = until_served_from_memory(&app, &db, &h.number).await;
    let kept = app.get(&path, None).await.assert_status(200).clone();
    rename_unnoticed(&db, &h.number, "改名后的数据集").await;
    assert_eq!(app.get(&path, None).await.assert_status(200), &kept, "served from memory");

    read_until(&app, &path, |record| record["product"]["name"] == "改名后的数据集").await;
    assert!(computed_after.elapsed() >= max_age, "computed again before its max age, with no change heard of");
    // Beyond the max age: the reads' polling, 20 ms apart.
    let age = computed_by.elapsed();
    assert!(age <= max_age + Duration::from_millis(250), "served {age:?} after it was computed");
}

#[tokio::test]
async fn a_silent_feed_is_noticed_and_listens_again_once_its_connection_answers() {
    let max_age = Duration::from_secs(2);
    // The reader listens through a relay the test silences; the writer
    // listens directly.
    let mut relay = None;
    let reader = spawn_app_with(|config| {
        acts::setup(config);
        config.server.public_cache_max_age = ExactDuration::seconds(2);
        let started = Relay::to(config.database.url.expose());
        config.database.listen_url = Secret::new(started.url_for(config.database.url.expose()));
        relay = Some(started);
    })
    .await;
    let relay = relay.expect("the relay started");
    let writer = reader.spawn_replica_with(|config| config.database.listen_url = Secret::default()).await;
    let h = acts::holder(&writer).await;
    let db = PgPool::connect(&reader.database_url).await.expect("connect");
    until_served_from_memory(&reader, &db, &h.number).await;
    let path = record_path(&h.number);
    assert_eq!(reader.get(&path, None).await.assert_status(200)["status"], "active");

    // Half-open: nothing goes through, nothing is closed. A revocation
    // through the writer is read at once there, and within the max age on
    // the reader, whose feed hears nothing of it.
    relay.silence();
    let silenced = Instant::now();
    let revoke = format!("/review/certificates/{}/revoke", h.certificate);
    writer
        .post(&revoke, Some(&h.reviewer), json!({"grounds": "登记时提交的材料存在虚假内容"}))
        .await
        .assert_status(200);
    assert_eq!(writer.get(&path, None).await.assert_status(200)["status"], "revoked", "read at once by its writer");
    read_until(&reader, &path, |record| record["status"] == "revoked").await;
    let waited = silenced.elapsed();
    assert!(waited <= max_age, "the reader served the revoked certificate as active for {waited:?}");

    // The heartbeat noticed the silence: the reader stopped listening (and
    // serving from memory) within about half the max age.
    while reader.state.changes.generation().is_some() {
        assert!(silenced.elapsed() < max_age, "the reader still listens on a silent connection");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let noticed = silenced.elapsed();
    assert!(noticed <= max_age / 2 + Duration::from_millis(500), "noticed after {noticed:?}");
    let attempts = relay.accepted();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(relay.accepted() > attempts, "the feed keeps trying to listen again");
    assert_eq!(reader.state.changes.generation(), None, "and cannot while the relay is silent");

    // Once the relay forwards again, the feed listens again: the reader
    // serves from memory, and hears a change within a second, well inside
    // the max age of what it keeps.
    relay.resume();
    until_served_from_memory(&reader, &db, &h.number).await;
    let changed = Instant::now();
    sqlx::query("UPDATE certificates SET product_name = '重新听到' WHERE certificate_number = $1")
        .bind(&h.number)
        .execute(&db)
        .await
        .expect("a change the triggers report");
    read_until(&reader, &path, |record| record["product"]["name"] == "重新听到").await;
    let heard = changed.elapsed();
    assert!(heard < Duration::from_secs(1), "heard after {heard:?}");
}

#[tokio::test]
async fn public_reads_are_listed_and_private_ones_are_not() {
    use dataip::http::public_cache::PublicRead;
    let app = spawn_app().await;
    let kept = |answer: &axum::response::Response| answer.extensions().get::<PublicRead>().is_some();
    let get = |path: &'static str| crate::edge::limits::through_the_router(&app, reqwest::Method::GET, path, None);
    for path in [
        "/",
        "/announcements",
        "/announcements/past",
        "/certificates/DIP-2026",
        "/verify",
        "/ledger",
        "/tlog/tile/0/000",
        "/api/v1/public/announcements",
        "/api/v1/public/certificates/X/proof",
        "/api/v1/public/ledger/checkpoint",
    ] {
        assert!(kept(&get(path).await), "{path}");
    }
    for path in [
        "/objections/1",
        "/unsubscribe",
        "/api/v1/public/objections/1",
        "/api/v1/applications",
        "/api/v1/me",
        "/healthz",
        "/metrics",
    ] {
        assert!(!kept(&get(path).await), "{path}");
    }
}
