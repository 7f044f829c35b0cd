//! A database of a benchmark's own, made and dropped around each run, on the
//! PostgreSQL of DATABASE_URL (default 127.0.0.1:5432), with the test
//! configuration.

use dataip::{
    config::{Config, Environment, Secret},
    db,
};
use sqlx::PgPool;
use uuid::Uuid;

pub struct BenchDatabase {
    pub config: Config,
    pub pool: PgPool,
    url: String,
}

impl BenchDatabase {
    /// Creates and migrates a fresh database.
    pub async fn create() -> anyhow::Result<Self> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut config = Config::load_from(Environment::Test, &dir)?;
        let url = db::with_database(config.database.url.expose(), &format!("dataip_bench_{}", Uuid::now_v7().simple()));
        config.database.url = Secret::new(url.clone());
        config.database.max_connections = 8;
        let pool = db::prepare(&config.database).await?;
        Ok(Self { config, pool, url })
    }

    pub async fn drop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        db::drop_database(&self.url).await
    }
}
