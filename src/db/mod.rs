//! Database access: plain async functions per aggregate taking
//! `&mut PgConnection`, so the caller decides the transaction.

pub mod act_confirmations;
pub mod act_documents;
pub mod acts;
pub mod announcements;
pub mod api_keys;
pub mod application_events;
pub mod applications;
pub mod audit_log;
pub mod blobs;
pub mod business_licences;
pub mod certificates;
pub mod email_confirmations;
pub mod embedded;
pub mod idempotency;
pub mod ledger;
pub mod licenses;
pub mod materials;
pub mod measures;
pub mod objection_evidence;
pub mod objections;
pub mod outbox;
pub mod parties;
pub mod password_resets;
pub mod pledges;
pub mod refile_exceptions;
pub mod refiling;
pub mod refresh_tokens;
pub mod relying_parties;
pub mod reminders;
pub mod status;
pub mod throttle;
pub mod tlog;
pub mod users;
pub mod watches;
pub mod web_sessions;
pub mod webhooks;

use std::str::FromStr;

use anyhow::Context;
use sqlx::{
    ConnectOptions, PgConnection, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::config::DatabaseConfig;

pub static MIGRATOR: Migrator = sqlx::migrate!();

/// Creates the database named in the URL if it does not exist yet, with
/// UTF-8 encoding and the configured locale (pg_trgm needs UTF-8 to index
/// Chinese text).
pub async fn ensure_database(config: &DatabaseConfig) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(config.url.expose()).context("DATABASE_URL is not a postgres:// URL")?;
    let name = options.get_database().unwrap_or("postgres").to_owned();
    let mut admin = connect_maintenance(&options).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&name)
        .fetch_one(&mut admin)
        .await?;
    if exists {
        return Ok(());
    }
    // CREATE DATABASE takes no bind parameters: quote the identifier and the
    // locale literal by hand.
    let statement = format!(
        "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE {locale} LC_CTYPE {locale}",
        quote_identifier(&name),
        locale = quote_literal(&config.locale),
    );
    match sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await {
        Ok(_) => {
            tracing::info!(database = %name, "created the database");
            Ok(())
        }
        // Another process created it first.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => Ok(()),
        Err(e) => Err(e).with_context(|| format!("could not create database {name:?}")),
    }
}

/// Drops a database, disconnecting its clients (used by the test suite).
pub async fn drop_database(url: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url)?;
    let name = options.get_database().unwrap_or_default().to_owned();
    let mut admin = connect_maintenance(&options).await?;
    let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&name));
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await?;
    Ok(())
}

async fn connect_maintenance(options: &PgConnectOptions) -> anyhow::Result<PgConnection> {
    let mut last_error = None;
    for maintenance in ["postgres", "template1"] {
        match options.clone().database(maintenance).connect().await {
            Ok(connection) => return Ok(connection),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.map_or_else(|| anyhow::anyhow!("no maintenance database"), anyhow::Error::from))
        .context(unreachable(options))
}

/// What to say when PostgreSQL does not answer: where it was looked for, and
/// which setting to change.
fn unreachable(options: &PgConnectOptions) -> String {
    let place = match options.get_socket() {
        Some(socket) => format!("the socket in {}", socket.display()),
        None => format!("{}:{}", options.get_host(), options.get_port()),
    };
    format!(
        "could not connect to PostgreSQL at {place} (database {:?}, user {:?}): start PostgreSQL there, or set \
         DATABASE_URL (the setting database.url) to one that answers",
        options.get_database().unwrap_or("postgres"),
        options.get_username()
    )
}

/// The same server and credentials, another database name.
pub fn with_database(url: &str, name: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (head, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let base = match head[authority_start..].find('/') {
        Some(slash) => &head[..authority_start + slash],
        None => head,
    };
    format!("{base}/{name}{query}")
}

/// The database a URL names (`postgres` when it names none).
pub fn database_name(url: &str) -> anyhow::Result<String> {
    let options = PgConnectOptions::from_str(url).context("DATABASE_URL is not a postgres:// URL")?;
    Ok(options.get_database().unwrap_or("postgres").to_owned())
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<PgPool> {
    connect_to(config, config.url.expose()).await
}

/// The pool of `database.read_url`, if one is set.
pub async fn connect_replica(config: &DatabaseConfig) -> anyhow::Result<Option<PgPool>> {
    match config.read_url.expose() {
        "" => Ok(None),
        url => connect_to(config, url).await.map(Some).context("database.read_url"),
    }
}

/// Where the change feed listens: `database.listen_url`, else the
/// primary's own options.
pub fn listen_options(config: &DatabaseConfig, primary: &PgPool) -> anyhow::Result<PgConnectOptions> {
    match config.listen_url.expose() {
        "" => Ok((*primary.connect_options()).clone()),
        url => PgConnectOptions::from_str(url).context("database.listen_url"),
    }
}

async fn connect_to(config: &DatabaseConfig, url: &str) -> anyhow::Result<PgPool> {
    // Plan each execution of a prepared statement with its parameters and
    // the table as it is now: a generic plan cached while a table was small
    // (a sequential scan) would otherwise stay for the connection's life as
    // the table grows.
    //
    // A statement that runs past `database.statement_timeout` is cancelled
    // by the server: a request given up on must not leave its query running.
    let statement_timeout = config.statement_timeout.get().as_millis().to_string();
    let options = PgConnectOptions::from_str(url)?
        .options([("plan_cache_mode", "force_custom_plan"), ("statement_timeout", statement_timeout.as_str())]);
    let context = unreachable(&options);
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout.get())
        .connect_with(options)
        .await
        .context(context)
}

/// Creates the database if needed and applies every pending migration.
pub async fn prepare(config: &DatabaseConfig) -> anyhow::Result<PgPool> {
    ensure_database(config).await?;
    let pool = connect(config).await?;
    MIGRATOR.run(&pool).await.context("could not apply migrations")?;
    Ok(pool)
}

/// True when the database answers and every embedded migration is applied.
pub async fn schema_is_current(pool: &PgPool) -> bool {
    let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let applied: Result<Option<i64>, _> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success").fetch_one(pool).await;
    matches!(applied, Ok(Some(version)) if version >= latest)
}

/// The name of the constraint a statement violated, if it violated one; used
/// to turn unique and foreign-key violations into 409/422 answers.
pub fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    error.as_database_error().and_then(|e| e.constraint())
}

/// True when `error` says the database is out of reach rather than that the
/// statement was wrong: no connection could be had in time, the connection
/// broke, or the server refuses connections or is shutting down. Requests
/// answer these 503 (`unavailable`) so that clients retry.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            // 08: connection exception; 57P: operator intervention (shutdown,
            // cannot connect now); 53300: too many connections; 55000 with
            // "accepting connections": a database closed to connections.
            code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                || (code == "55000" && error.message().contains("accepting connections"))
        }),
        _ => false,
    }
}
