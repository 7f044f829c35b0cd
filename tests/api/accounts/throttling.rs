use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::{Answer, PASSWORD, TestApp, answer, fresh_credit_code, signup_body, spawn_app_with};

/// A login as if from `address`, through a proxy the registry trusts.
async fn login_from(app: &TestApp, address: &str, body: &Value) -> Answer {
    let request = app.client.post(app.url("/auth/login")).header("x-forwarded-for", address).json(body);
    answer(request.send().await.expect("sent")).await
}

#[tokio::test]
async fn failed_logins_lock_the_account_for_that_address_for_the_window() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_account_address = 3).await;
    let tenant = app.signup().await;
    let wrong = json!({"email": tenant.email, "password": "wrong password!"});
    for _ in 0..3 {
        app.post("/auth/login", None, wrong.clone()).await.assert_problem(401, "unauthorized");
    }
    let locked = app.post("/auth/login", None, wrong.clone()).await;
    locked.assert_problem(429, "rate_limited");
    let retry_after: u64 = locked.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Even the right password waits.
    let right = json!({"email": tenant.email, "password": PASSWORD});
    app.post("/auth/login", None, right.clone()).await.assert_problem(429, "rate_limited");

    // After the window, the account opens again.
    app.clock.advance(chrono::Duration::minutes(16));
    app.post("/auth/login", None, right).await.assert_status(200);
}

#[tokio::test]
async fn failed_logins_from_one_address_are_limited_across_accounts() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_address = 4).await;
    for i in 0..4 {
        let attempt = json!({"email": format!("guess{i}@example.com"), "password": "wrong password!"});
        app.post("/auth/login", None, attempt).await.assert_problem(401, "unauthorized");
    }
    let attempt = json!({"email": "guess-more@example.com", "password": "wrong password!"});
    app.post("/auth/login", None, attempt).await.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn signups_are_limited_per_address() {
    let app = spawn_app_with(|config| config.throttle.signups_per_address = 2).await;
    app.signup().await;
    app.signup().await;
    let third = app.post("/auth/signup", None, signup_body("third@example.com", &fresh_credit_code())).await;
    third.assert_problem(429, "rate_limited");
    assert!(third.header("retry-after").is_some());
    assert_eq!(app.count("organizations").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_let_at_most_the_limit_through() {
    let app = Arc::new(spawn_app_with(|config| config.throttle.login_failures_per_account_address = 5).await);
    let tenant = app.signup().await;
    let wrong = json!({"email": tenant.email, "password": "wrong password!"});
    // 60 guesses released at once: each is counted before its password is
    // checked, so only the first five are checked.
    let barrier = Arc::new(tokio::sync::Barrier::new(60));
    let guesses: Vec<_> = (0..60)
        .map(|_| {
            let (app, barrier, wrong) = (app.clone(), barrier.clone(), wrong.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                app.post("/auth/login", None, wrong).await.status.as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.expect("joined"));
    }
    let checked = statuses.iter().filter(|status| **status == 401).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!((checked, refused), (5, 55), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attack_from_many_addresses_does_not_lock_the_owner_out() {
    let app = Arc::new(
        spawn_app_with(|config| {
            config.server.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
            config.throttle.login_failures_per_account = 100;
        })
        .await,
    );
    let tenant = app.signup().await;
    let wrong = json!({"email": tenant.email, "password": "wrong password!"});
    // 1,000 guesses from 200 addresses, five each, eight at a time.
    let mut statuses = Vec::new();
    for round in 0..125 {
        let batch: Vec<_> = (0..8)
            .map(|i| {
                let (app, wrong) = (app.clone(), wrong.clone());
                let address = format!("198.51.{}.{}", (round * 8 + i) % 200 / 100, (round * 8 + i) % 100 + 1);
                tokio::spawn(async move { login_from(&app, &address, &wrong).await.status.as_u16() })
            })
            .collect();
        for guess in batch {
            statuses.push(guess.await.expect("joined"));
        }
    }
    assert_eq!(statuses.len(), 1000);
    assert!(statuses.iter().all(|status| [401, 429].contains(status)), "{statuses:?}");
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert!(refused >= 600, "past the ceiling, addresses that failed are refused: {refused} refused");

    // The owner, from an address that has not failed, logs in.
    let right = json!({"email": tenant.email, "password": PASSWORD});
    login_from(&app, "203.0.113.7", &right).await.assert_status(200);
    // An attacking address is still refused, even with the right password.
    login_from(&app, "198.51.0.1", &right).await.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn a_right_password_does_not_count_against_the_account() {
    let app = spawn_app_with(|config| config.throttle.login_failures_per_account_address = 2).await;
    let tenant = app.signup().await;
    let right = json!({"email": tenant.email, "password": PASSWORD});
    for _ in 0..5 {
        app.post("/auth/login", None, right.clone()).await.assert_status(200);
    }
}

#[tokio::test]
async fn spoofed_forwarded_addresses_are_ignored_from_an_untrusted_peer() {
    // Nothing trusted: the test client (127.0.0.1) is the client, whatever it forwards.
    let app = spawn_app_with(|config| config.throttle.login_failures_per_address = 3).await;
    for i in 0..3 {
        let attempt = json!({"email": format!("guess{i}@example.com"), "password": "wrong password!"});
        login_from(&app, &format!("192.0.2.{i}"), &attempt).await.assert_problem(401, "unauthorized");
    }
    let attempt = json!({"email": "guess-more@example.com", "password": "wrong password!"});
    login_from(&app, "192.0.2.99", &attempt).await.assert_problem(429, "rate_limited");
    let forwarded = app
        .client
        .post(app.url("/auth/login"))
        .header("forwarded", "for=192.0.2.100")
        .json(&attempt)
        .send()
        .await
        .expect("sent");
    answer(forwarded).await.assert_problem(429, "rate_limited");
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client() {
    let app = spawn_app_with(|config| {
        config.server.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
        config.throttle.login_failures_per_address = 2;
    })
    .await;
    let attempt = json!({"email": "guess@example.com", "password": "wrong password!"});
    for _ in 0..2 {
        // The left-most entry is the client's own claim; the proxy appended the real one.
        login_from(&app, "192.0.2.1, 198.51.100.1", &attempt).await.assert_problem(401, "unauthorized");
    }
    login_from(&app, "192.0.2.2, 198.51.100.1", &attempt).await.assert_problem(429, "rate_limited");
    login_from(&app, "192.0.2.1, 198.51.100.2", &attempt).await.assert_problem(401, "unauthorized");
}

/// A signup through a proxy that appended 203.0.113.9 to `X-Forwarded-For`,
/// from a client that wrote a `Forwarded` of its own, new each time.
async fn signup_with_a_forged_forwarded(app: &TestApp, i: usize) -> u16 {
    let body = signup_body(&format!("spoof{i}@example.com"), &fresh_credit_code());
    let request = app
        .client
        .post(app.url("/auth/signup"))
        .header("x-forwarded-for", "203.0.113.9")
        .header("forwarded", format!("for=198.51.100.{i}"))
        .json(&body);
    answer(request.send().await.expect("sent")).await.status.as_u16()
}

#[tokio::test]
async fn a_client_cannot_name_itself_in_the_header_the_proxy_does_not_write() {
    let app = spawn_app_with(|config| {
        config.server.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
        config.throttle.signups_per_address = 10;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..14 {
        statuses.push(signup_with_a_forged_forwarded(&app, i).await);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 4, "{statuses:?}");

    // An operator whose proxy writes `Forwarded` says so; then that one is read.
    let app = spawn_app_with(|config| {
        config.server.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
        config.server.forwarded_header = dataip::config::ForwardedHeader::Forwarded;
        config.throttle.signups_per_address = 1;
    })
    .await;
    for i in 0..2 {
        assert_eq!(signup_with_a_forged_forwarded(&app, i).await, 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hashing_queue_answers_503_at_once() {
    let app = Arc::new(
        spawn_app_with(|config| {
            config.auth.hashing_concurrency = 1;
            config.auth.hashing_queue = 0;
            config.throttle.login_failures_per_address = 1000;
            config.throttle.login_failures_per_account_address = 1000;
        })
        .await,
    );
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let logins: Vec<_> = (0..16)
        .map(|i| {
            let (app, barrier) = (app.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                let body = json!({"email": format!("nobody{i}@example.com"), "password": "wrong password!"});
                app.post("/auth/login", None, body).await
            })
        })
        .collect();
    let mut busy = 0;
    for login in logins {
        let answer = login.await.expect("joined");
        match answer.status.as_u16() {
            401 => {}
            503 => {
                answer.assert_problem(503, "unavailable");
                assert_eq!(answer.header("retry-after"), Some("1"));
                busy += 1;
            }
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    assert!(busy > 0, "one hasher and no queue: some of 16 concurrent logins are refused");
}

#[tokio::test]
async fn adding_members_checks_the_address_first_and_is_limited_per_organization() {
    let app = spawn_app_with(|config| config.throttle.members_per_organization = 3).await;
    let tenant = app.signup().await;
    let member = |email: &str| json!({"email": email, "password": PASSWORD, "display_name": "成员", "role": "member"});
    // A taken address is refused before any hashing (it still counts).
    app.post("/organization/members", Some(&tenant.token), member(&tenant.email)).await.assert_problem(409, "conflict");
    app.post("/organization/members", Some(&tenant.token), member("one@example.com")).await.assert_status(201);
    app.post("/organization/members", Some(&tenant.token), member("two@example.com")).await.assert_status(201);
    let limited = app.post("/organization/members", Some(&tenant.token), member("three@example.com")).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    // Another organization has its own budget.
    let other = app.signup().await;
    app.post("/organization/members", Some(&other.token), member("four@example.com")).await.assert_status(201);
}

#[tokio::test]
async fn concurrent_logins_of_one_account_are_answered_never_with_a_500() {
    // The throttle's counters were once locked in different orders by the
    // hit and the take-back: two concurrent logins deadlocked.
    let app = spawn_app_with(|config| {
        config.throttle.login_failures_per_account_address = 1000;
        config.throttle.login_failures_per_account = 1000;
        config.auth.hashing_queue = 64;
    })
    .await;
    let tenant = app.signup().await;
    let body = json!({"email": tenant.email, "password": PASSWORD});
    let logins = (0..24).map(|_| app.post("/auth/login", None, body.clone()));
    let answers = futures_util::future::join_all(logins).await;
    let statuses: Vec<u16> = answers.iter().map(|answer| answer.status.as_u16()).collect();
    assert!(statuses.iter().all(|&status| status == 200), "every login succeeds: {statuses:?}");
}
