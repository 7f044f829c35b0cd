//! The parties migration (issue 28) on a copy of a wave-2 database: what
//! this registry wrote before persons existed, organizations, certificates
//! and ledger, copied into the schema of before and migrated forward, stays
//! what it was, byte for byte, and still audits.

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, migrate::Migrator};

use crate::{
    certificates::acts::{approve, file_ok, holder, license, setup, transferred},
    helpers::TestApp,
    operations::cli,
};

/// The first migration of issue 28.
const PARTIES: i64 = 20261207002000;

async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url).await.expect("connected")
}

/// Every table of `to`, filled with `from`'s rows of it, in the columns
/// both have; foreign keys are not checked while copying (the rows were
/// consistent where they came from).
async fn copy_rows(from: &mut PgConnection, to: &mut PgConnection) {
    let columns = "SELECT table_name::text, string_agg(column_name::text, ', ' ORDER BY ordinal_position)
                   FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'
                   GROUP BY table_name";
    let wanted: Vec<(String, String)> = sqlx::query_as(columns).fetch_all(&mut *to).await.expect("columns");
    let present: Vec<(String, String)> = sqlx::query_as(columns).fetch_all(&mut *from).await.expect("columns");
    sqlx::raw_sql("SET session_replication_role = replica").execute(&mut *to).await.expect("replica");
    for (table, names) in wanted {
        let Some((_, there)) = present.iter().find(|(t, _)| *t == table) else { continue };
        let there: Vec<&str> = there.split(", ").collect();
        let common: Vec<&str> = names.split(", ").filter(|c| there.contains(c)).collect();
        let common = common.join(", ");
        let out = format!("COPY (SELECT {common} FROM {table}) TO STDOUT");
        let data: Vec<bytes::Bytes> =
            from.copy_out_raw(&out).await.expect("copy out").try_collect().await.expect("copied out");
        let mut copy_in = to.copy_in_raw(&format!("COPY {table} ({common}) FROM STDIN")).await.expect("copy in");
        for chunk in data {
            copy_in.send(chunk).await.expect("sent");
        }
        copy_in.finish().await.expect("copied in");
    }
    sqlx::raw_sql("SET session_replication_role = origin").execute(&mut *to).await.expect("origin");
}

/// What must not change: organizations, signed documents, ledger leaves.
async fn kept(conn: &mut PgConnection) -> Value {
    let organizations: Vec<(String,)> = sqlx::query_as(
        "SELECT concat_ws('|', id, name, credit_code, created_at, verification, verification_changed_at)
         FROM organizations ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("organizations");
    let certificates: Vec<(String, String)> =
        sqlx::query_as("SELECT document::text, signature::text FROM certificates ORDER BY id")
            .fetch_all(&mut *conn)
            .await
            .expect("certificates");
    let leaves: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT entry FROM ledger_leaves ORDER BY 1").fetch_all(&mut *conn).await.expect("leaves");
    json!({
        "organizations": organizations.into_iter().map(|(o,)| o).collect::<Vec<_>>(),
        "certificates": certificates,
        "leaves": leaves.into_iter().map(|(l,)| hex::encode(l)).collect::<Vec<_>>(),
    })
}

async fn wave_2_registry(app: &TestApp) {
    let h = holder(app).await;
    let act = file_ok(app, &h, license(true, "2027-01-01", "2027-06-30")).await;
    approve(app, &h, &act).await.assert_status(200);
    let buyer = app.signup().await;
    transferred(app, &h, &buyer).await;
    app.signup_unverified().await;
    dataip::jobs::Worker::new(app.state.clone()).step().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wave_2_database_migrates_with_organizations_documents_and_ledger_unchanged() {
    let app = crate::helpers::spawn_app_with(setup).await;
    wave_2_registry(&app).await;

    let name = format!("dataip_test_wave2_{}", uuid::Uuid::now_v7().simple());
    let create = format!("CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(&app.state.db).await.expect("created");
    let url = dataip::db::with_database(&app.database_url, &name);
    let mut wave_2 = connect(&url).await;
    let before: Vec<_> = dataip::db::MIGRATOR.iter().filter(|m| m.version < PARTIES).cloned().collect();
    Migrator::with_migrations(before).run(&mut wave_2).await.expect("the wave-2 schema");
    let mut source = connect(&app.database_url).await;
    copy_rows(&mut source, &mut wave_2).await;
    let original = kept(&mut source).await;
    assert_eq!(kept(&mut wave_2).await, original, "the copy holds what the registry wrote");

    dataip::db::MIGRATOR.run(&mut wave_2).await.expect("migrated");
    assert_eq!(kept(&mut wave_2).await, original, "the migration changed nothing of it");
    let kinds: Vec<(String, bool)> = sqlx::query_as("SELECT DISTINCT kind, id_number IS NULL FROM organizations")
        .fetch_all(&mut wave_2)
        .await
        .expect("kinds");
    assert_eq!(kinds, [("organization".to_owned(), true)]);
    // Each signed document reads as the holder it named and writes back
    // to the very bytes that were signed.
    let documents: Vec<(Value,)> =
        sqlx::query_as("SELECT document FROM certificates").fetch_all(&mut wave_2).await.expect("documents");
    for (document,) in documents {
        let typed: dataip::domain::CertificateDocument = serde_json::from_value(document.clone()).expect("reads");
        assert!(typed.holder.credit_code().is_some());
        let signed = tlog::signing::canonical_json(&document).expect("canonical");
        assert_eq!(tlog::signing::canonical_json(&typed).expect("canonical"), signed);
    }
    wave_2.close().await.expect("closed");
    let (passed, output) = cli::audit(&url).await;
    assert!(passed, "{output}");
    dataip::db::drop_database(&url).await.expect("dropped");
}
