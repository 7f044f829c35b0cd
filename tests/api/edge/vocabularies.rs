//! Each vocabulary stored as text is one enum, and its column's CHECK
//! lists exactly that enum's words: a new variant without its migration
//! (or the other way round) fails here.

use dataip::{
    db::outbox::Channel,
    domain::{AuditAction, AuditTarget, HistoryAction, MeasureKind, PartyKind},
};

use crate::helpers::spawn_app;

/// The words of the one CHECK constraint on `table.column` alone.
async fn checked_words(pool: &sqlx::PgPool, table: &str, column: &str) -> Vec<String> {
    let definitions: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND cardinality(c.conkey) = 1 AND a.attname = $2",
    )
    .bind(table)
    .bind(column)
    .fetch_all(pool)
    .await
    .expect("constraints");
    let [definition] = definitions.as_slice() else {
        panic!("{table}.{column} should have one CHECK, not {definitions:?}");
    };
    // CHECK ((action = ANY (ARRAY['submit'::text, ...]))): the quoted words.
    let mut words: Vec<String> = definition.split('\'').skip(1).step_by(2).map(str::to_owned).collect();
    words.sort();
    words
}

fn sorted(words: impl IntoIterator<Item = &'static str>) -> Vec<String> {
    let mut words: Vec<String> = words.into_iter().map(str::to_owned).collect();
    words.sort();
    words
}

#[tokio::test]
async fn each_text_vocabulary_is_its_enum() {
    let app = spawn_app().await;
    let pool = &app.state.db;
    let cases = [
        ("application_events", "action", sorted(HistoryAction::ALL.iter().map(|word| word.as_str()))),
        ("audit_log", "action", sorted(AuditAction::ALL.iter().map(|word| word.as_str()))),
        ("audit_log", "target_type", sorted(AuditTarget::ALL.iter().map(|word| word.as_str()))),
        ("outbox", "channel", sorted(Channel::ALL.iter().map(|word| word.as_str()))),
        ("organizations", "kind", sorted(PartyKind::ALL.iter().map(|word| word.as_str()))),
        ("licenses", "licensee_kind", sorted(PartyKind::ALL.iter().map(|word| word.as_str()))),
        ("preservation_measures", "kind", sorted(MeasureKind::ALL.iter().map(|word| word.as_str()))),
    ];
    for (table, column, expected) in cases {
        assert_eq!(checked_words(pool, table, column).await, expected, "{table}.{column}");
    }
}

#[tokio::test]
async fn a_word_outside_the_vocabulary_is_refused() {
    let app = spawn_app().await;
    let refused = sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target_type, target_id)
         VALUES (now(), 'cli', 'application.dance', 'application', gen_random_uuid())",
    )
    .execute(&app.state.db)
    .await
    .expect_err("an unknown action");
    assert!(refused.to_string().contains("audit_log_action_check"), "{refused}");
}
