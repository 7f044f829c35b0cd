//! Deadlines on the working calendar: working days skip public holidays
//! and count make-up working days; calendar-day deadlines that end on a
//! rest day move to the next working day.

use chrono::{DateTime, Utc};
use dataip::domain::StaffRole;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Moves the app's clock to `at` (it runs on from there).
fn set_clock(app: &TestApp, at: &str) {
    let at: DateTime<Utc> = at.parse().expect("time");
    app.clock.advance(at - dataip::clock::Clock::now(app.clock.as_ref()));
}

async fn supplement_due(app: &TestApp, body: serde_json::Value) -> crate::helpers::Answer {
    let tenant = app.signup().await;
    let reviewer = app.staff(StaffRole::Reviewer).await;
    let id = app.claimed_application(&tenant.token, &reviewer).await;
    app.post(&format!("/review/applications/{id}/request-supplement"), Some(&reviewer), body).await
}

#[tokio::test]
async fn a_supplement_due_in_working_days_skips_the_national_day_holiday() {
    let app = spawn_app().await;
    // Monday 28 September 2026, 10:00 in Shanghai.
    set_clock(&app, "2026-09-28T02:00:00Z");
    let answer = supplement_due(&app, json!({"reason": "缺少样本", "due_in_working_days": 5})).await;
    // 29 and 30 September, then (1 to 7 October off) 8, 9 and Saturday 10 October, a make-up working day.
    let due = answer.assert_status(200)["supplement"]["due_at"].as_str().unwrap_or_default().to_owned();
    assert!(due.starts_with("2026-10-10T02:00"), "{due}");
}

#[tokio::test]
async fn a_calendar_day_deadline_on_a_holiday_moves_to_the_next_working_day() {
    let app = spawn_app_with(|config| config.workflow.deadlines_skip_rest_days = true).await;
    set_clock(&app, "2026-09-28T02:00:00Z");
    // Three days later is 1 October, National Day: due on Thursday 8 October.
    let answer = supplement_due(&app, json!({"reason": "缺少样本", "due_in_days": 3})).await;
    let due = answer.assert_status(200)["supplement"]["due_at"].as_str().unwrap_or_default().to_owned();
    assert!(due.starts_with("2026-10-08T02:00"), "{due}");

    // Off, the deadline keeps its length.
    let app = spawn_app_with(|config| config.workflow.deadlines_skip_rest_days = false).await;
    set_clock(&app, "2026-09-28T02:00:00Z");
    let answer = supplement_due(&app, json!({"reason": "缺少样本", "due_in_days": 3})).await;
    let due = answer.assert_status(200)["supplement"]["due_at"].as_str().unwrap_or_default().to_owned();
    assert!(due.starts_with("2026-10-01T02:00"), "{due}");
}

#[tokio::test]
async fn a_supplement_period_is_given_one_way_and_in_range() {
    let app = spawn_app().await;
    let both = supplement_due(&app, json!({"reason": "缺少样本", "due_in_days": 3, "due_in_working_days": 3})).await;
    both.assert_problem(422, "validation_failed");
    assert_eq!(both.error_fields(), ["due_in_working_days"]);
    let too_many = supplement_due(&app, json!({"reason": "缺少样本", "due_in_working_days": 251})).await;
    assert_eq!(too_many.error_fields(), ["due_in_working_days"]);
}
