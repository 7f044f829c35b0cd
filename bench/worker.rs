//! How fast the worker registers applications whose announcement has ended:
//! N applications made due at once, then timed while the worker closes
//! their windows and issues their certificates, with one worker and with
//! two side by side.
//!
//!     cargo bench --bench worker -- 10000 100000
//!
//! Needs the PostgreSQL of DATABASE_URL (default 127.0.0.1:5432); makes and
//! drops a database of its own.

use std::{sync::Arc, time::Instant};

use chrono::{Duration, Utc};
use dataip::{
    clock::SystemClock,
    config::{Config, Environment, Secret},
    db,
    domain::RegistrationNumber,
    services::objections::close_due_announcements,
    state::AppState,
};
use uuid::Uuid;

const BATCH: i64 = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000] } else { sizes };
    println!("| applications | workers | seconds | certificates/s |");
    println!("|---:|---:|---:|---:|");
    for &n in &sizes {
        for workers in [1, 2] {
            let (seconds, issued) = run(n, workers).await?;
            anyhow::ensure!(issued == n as i64, "issued {issued} certificates for {n} applications");
            println!("| {n} | {workers} | {seconds:.2} | {:.0} |", n as f64 / seconds);
        }
    }
    Ok(())
}

/// Makes `n` applications due, then times `workers` workers closing them.
async fn run(n: usize, workers: usize) -> anyhow::Result<(f64, i64)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut config = Config::load_from(Environment::Test, &dir)?;
    let url = config.database.url.expose().to_owned();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(base, _)| base);
    let url = format!("{base}/dataip_bench_{}", Uuid::now_v7().simple());
    config.database.url = Secret::new(url.clone());
    config.database.max_connections = 8;
    let pool = db::prepare(&config).await?;
    seed(&pool, n).await?;
    let state = AppState::new(config, pool.clone(), Arc::new(SystemClock))?;

    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move { close_due_announcements(&state, BATCH).await })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let issued: i64 = sqlx::query_scalar("SELECT count(*) FROM certificates").fetch_one(&pool).await?;
    pool.close().await;
    db::drop_database(&url).await?;
    Ok((seconds, issued))
}

/// One organization with `n` applications in announcement whose window
/// ended a minute ago, each with the four required materials.
async fn seed(pool: &sqlx::PgPool, n: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let org = Uuid::now_v7();
    sqlx::query("INSERT INTO organizations (id, name, credit_code, created_at) VALUES ($1, '基准测试数据有限公司', '91310000MA1FL4B24G', $2)")
        .bind(org)
        .bind(now)
        .execute(pool)
        .await?;
    let blob = Uuid::now_v7();
    sqlx::query("INSERT INTO blobs (id, sha256, size, created_at) VALUES ($1, sha256('bench'), 5, $2)")
        .bind(blob)
        .bind(now)
        .execute(pool)
        .await?;
    sqlx::query("INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, 0, 'bench')")
        .bind(blob)
        .execute(pool)
        .await?;
    for start in (0..n).step_by(10_000) {
        let count = (n - start).min(10_000);
        let ids: Vec<Uuid> = (0..count).map(|_| Uuid::now_v7()).collect();
        let numbers: Vec<String> = (start..start + count)
            .map(|i| RegistrationNumber::new("3100", 2026, i as u64 + 1).map(|r| r.to_string()))
            .collect::<Result<_, _>>()?;
        sqlx::query(
            "INSERT INTO applications (id, org_id, state, version, product_name, category, abstract, data_sources,
                 registration_number, submitted_at, announcement_starts_at, announcement_ends_at, created_at, updated_at)
             SELECT id, $2, 'in_announcement', 5, '基准数据产品 ' || number, 'data_product', '用于基准测试的数据产品',
                 '[{\"kind\":\"self_collected\",\"description\":\"自有数据\"}]', number, $3, $3, $4, $3, $3
             FROM UNNEST($1::uuid[], $5::text[]) AS t(id, number)",
        )
        .bind(&ids)
        .bind(org)
        .bind(now - Duration::days(16))
        .bind(now - Duration::minutes(1))
        .bind(&numbers)
        .execute(pool)
        .await?;
        sqlx::query(
            "INSERT INTO materials (application_id, org_id, kind, filename, media_type, size, sha256, blob_id, uploaded_at)
             SELECT id, $2, kind::material_kind, kind || '.pdf', 'application/pdf', 5, sha256('bench'), $3, $4
             FROM UNNEST($1::uuid[]) AS t(id)
             CROSS JOIN UNNEST(ARRAY['application_form', 'summary', 'processing_innovation', 'application_scenarios']) AS k(kind)",
        )
        .bind(&ids)
        .bind(org)
        .bind(blob)
        .bind(now)
        .execute(pool)
        .await?;
    }
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}
