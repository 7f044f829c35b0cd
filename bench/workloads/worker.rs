//! The worker registering applications whose announcement has ended: N
//! applications made due at once, then timed while `workers` workers close
//! their windows and issue their certificates.

use std::{sync::Arc, time::Instant};

use chrono::{Duration, Utc};
use dataip::{
    clock::SystemClock,
    db::{self, organizations::OrganizationRow},
    domain::{RegistrationNumber, Verification},
    services::closing::close_due,
    state::AppState,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::database::BenchDatabase;

/// Applications per transaction, as the worker's job takes them.
const BATCH: i64 = 100;

pub struct WorkerRun {
    pub seconds: f64,
    pub issued: i64,
}

/// Makes `n` applications due, then times `workers` workers closing them.
pub async fn run(n: usize, workers: usize) -> anyhow::Result<WorkerRun> {
    let database = BenchDatabase::create().await?;
    seed(&database.pool, n).await?;
    let state = AppState::new(database.config.clone(), database.pool.clone(), Arc::new(SystemClock))?;

    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move { close_due(&state, BATCH).await })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let issued: i64 = sqlx::query_scalar("SELECT count(*) FROM certificates").fetch_one(&database.pool).await?;
    drop(state);
    database.drop().await?;
    Ok(WorkerRun { seconds, issued })
}

/// One organization with `n` applications in announcement whose window
/// ended a minute ago, each with the four required materials. Written
/// through the service's own storage functions and compile-checked queries,
/// so a schema change breaks the build, not the benchmark.
async fn seed(pool: &sqlx::PgPool, n: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    // Verified, as an organization must be before it files anything.
    let org = OrganizationRow {
        verification: Verification::Verified,
        ..OrganizationRow::new("基准测试数据有限公司".into(), "91310000MA1FL4B24G".into(), now)
    };
    db::organizations::insert(&mut tx, &org).await?;
    let content = b"%PDF-1.7 bench";
    let sha256 = Sha256::digest(content).to_vec();
    let size = i64::try_from(content.len())?;
    let chunk = Uuid::now_v7();
    db::blobs::insert_chunk(&mut tx, chunk, 0, content, now).await?;
    let blob = db::blobs::finish(&mut tx, chunk, &sha256, size, now).await?;
    for start in (0..n).step_by(10_000) {
        let count = (n - start).min(10_000);
        let ids: Vec<Uuid> = (0..count).map(|_| Uuid::now_v7()).collect();
        let numbers: Vec<String> = (start..start + count)
            .map(|i| RegistrationNumber::new("3100", 2026, i as u64 + 1).map(|r| r.to_string()))
            .collect::<Result<_, _>>()?;
        sqlx::query!(
            r#"INSERT INTO applications (id, org_id, state, version, product_name, category, abstract, data_sources,
                   registration_number, submitted_at, announcement_starts_at, announcement_ends_at, created_at,
                   updated_at, normalized_product_name)
               SELECT id, $2, 'in_announcement', 5, '基准数据产品 ' || number, 'data_product', '用于基准测试的数据产品',
                   '[{"kind":"self_collected","description":"自有数据"}]', number, $3, $3, $4, $3, $3,
                   '基准数据产品' || lower(number)
               FROM UNNEST($1::uuid[], $5::text[]) AS t(id, number)"#,
            &ids,
            org.id,
            now - Duration::days(16),
            now - Duration::minutes(1),
            &numbers,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO materials (application_id, org_id, kind, filename, media_type, size, sha256, blob_id, uploaded_at)
             SELECT id, $2, kind::material_kind, kind || '.pdf', 'application/pdf', $5, $6, $3, $4
             FROM UNNEST($1::uuid[]) AS t(id)
             CROSS JOIN UNNEST(ARRAY['application_form', 'summary', 'processing_innovation', 'application_scenarios'])
                 AS k(kind)",
            &ids,
            org.id,
            blob,
            now,
            size,
            &sha256,
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}
