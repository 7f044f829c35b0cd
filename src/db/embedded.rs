//! A private PostgreSQL for trying dataip out. In development, when the
//! database URL is the built-in default and nothing answers there, `dataip
//! serve` and `dataip demo` start one in the data directory
//! (`{data_dir}/postgres`), reachable only on a Unix socket, and stop it when
//! they exit; a server left running by a crash is stopped and started
//! afresh. PostgreSQL refuses to run as root, so as root its programs run as
//! the `postgres` user. Its programs are found through `DATAIP_PG_BINDIR`,
//! `pg_config --bindir`, or the usual install paths.

use std::{
    path::{Path, PathBuf},
    process::Command,
    str::FromStr,
    time::Duration,
};

use anyhow::Context;
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;

use crate::config::{Config, Environment, Secret};

/// The running private server; stopped when dropped.
pub struct EmbeddedPostgres {
    bin: PathBuf,
    cluster: PathBuf,
    /// `postgres` when dataip runs as root.
    user: Option<&'static str>,
}

/// Starts the private PostgreSQL when the configuration calls for one and
/// points `config.database.url` at it; `None` when a database is configured
/// or answers at the default address.
pub async fn start_if_needed(config: &mut Config) -> anyhow::Result<Option<EmbeddedPostgres>> {
    if config.environment != Environment::Development || !config.sources.database_url_is_default {
        return Ok(None);
    }
    let options = PgConnectOptions::from_str(config.database.url.expose())?;
    let (host, port) = (options.get_host().to_owned(), options.get_port());
    let address = format!("{host}:{port}");
    if tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(&address))
        .await
        .is_ok_and(|c| c.is_ok())
    {
        return Ok(None);
    }
    let bin = binaries().ok_or_else(|| {
        anyhow::anyhow!(
            "nothing answers at {address} (the default database address) and PostgreSQL's programs (initdb, \
             pg_ctl) are not installed here. Install PostgreSQL (Debian or Ubuntu: apt-get install postgresql; \
             macOS: brew install postgresql) and dataip starts a private one in its data directory, or set \
             DATABASE_URL to a PostgreSQL you can reach"
        )
    })?;
    let cluster = std::path::absolute(config.data_dir.join("postgres"))?;
    let database = options.get_database().unwrap_or("dataip").to_owned();
    let (server, socket) = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(bin, cluster)).await??;
    config.database.url = Secret::new(format!("postgres://postgres@localhost/{database}?host={}", socket.display()));
    Ok(Some(server))
}

/// The directory holding initdb and pg_ctl.
fn binaries() -> Option<PathBuf> {
    let usable = |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|p| dir.join(p).is_file());
    if let Some(dir) = std::env::var_os("DATAIP_PG_BINDIR") {
        // Told where: look nowhere else.
        return Some(PathBuf::from(dir)).filter(|dir| usable(dir));
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(|entry| entry.ok().map(|e| e.path().join("bin"))).collect())
        .unwrap_or_default();
    // The newest version first.
    debian.sort_by_key(|dir| {
        std::cmp::Reverse(dir.parent().and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok()).unwrap_or(0))
    });
    let usual = ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"].map(PathBuf::from);
    from_pg_config.into_iter().chain(debian).chain(usual).find(|dir| usable(dir))
}

impl EmbeddedPostgres {
    /// Initializes the cluster if needed, stops a server a crash left
    /// running, and starts it; answers the server and its socket directory.
    fn start(bin: PathBuf, cluster: PathBuf) -> anyhow::Result<(Self, PathBuf)> {
        let user = is_root().then_some("postgres");
        let cluster = match user {
            Some(user) => reachable_by(user, cluster)?,
            None => cluster,
        };
        std::fs::create_dir_all(&cluster).with_context(|| format!("could not create {}", cluster.display()))?;
        let socket = socket_directory(&cluster)?;
        let server = Self { bin, cluster, user };
        if let Some(user) = user {
            for dir in [&server.cluster, &socket] {
                run(Command::new("chown").args(["-R", &format!("{user}:"), &dir.display().to_string()]))?;
            }
        }
        if !server.cluster.join("PG_VERSION").is_file() {
            tracing::info!(cluster = %server.cluster.display(), "creating a private PostgreSQL cluster");
            run(server.program("initdb").args(["-D", &server.cluster.display().to_string()]).args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]))?;
        }
        if server.pg_ctl(&["status"]).output()?.status.success() {
            tracing::warn!(cluster = %server.cluster.display(), "a private PostgreSQL was left running (a crash?): restarting it");
            run(&mut server.pg_ctl(&["stop", "-m", "fast", "-w"]))?;
        }
        let settings = format!("-c listen_addresses='' -c unix_socket_directories='{}'", socket.display());
        let log = server.cluster.join("server.log").display().to_string();
        run(&mut server.pg_ctl(&["start", "-w", "-t", "60", "-l", &log, "-o", &settings]))?;
        tracing::info!(
            cluster = %server.cluster.display(),
            socket = %socket.display(),
            "started a private PostgreSQL (no database was configured and none answered at the default address); \
             it stops when dataip does"
        );
        Ok((server, socket))
    }

    /// A PostgreSQL program, as the user that may run it.
    fn program(&self, name: &str) -> Command {
        let mut command = self.command(&self.bin.join(name).display().to_string());
        command.env("LC_ALL", "C.UTF-8");
        command
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut command = self.program("pg_ctl");
        command.args(["-D", &self.cluster.display().to_string()]).args(args);
        command
    }

    /// `program`, run as `self.user` when there is one.
    fn command(&self, program: &str) -> Command {
        match self.user {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--", program]);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        match self.pg_ctl(&["stop", "-m", "fast", "-w"]).output() {
            Ok(output) if output.status.success() => tracing::info!("stopped the private PostgreSQL"),
            Ok(output) => {
                tracing::warn!(error = %String::from_utf8_lossy(&output.stderr), "could not stop the private PostgreSQL")
            }
            Err(error) => tracing::warn!(%error, "could not stop the private PostgreSQL"),
        }
    }
}

/// The cluster directory, or, when `user` cannot reach it (a data
/// directory under root's home, say), a directory of its own under /var/tmp
/// named after it: PostgreSQL refuses to run as root, so it runs as `user`.
fn reachable_by(user: &str, cluster: PathBuf) -> anyhow::Result<PathBuf> {
    let parent = cluster.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).with_context(|| format!("could not create {}", parent.display()))?;
    let reaches = Command::new("runuser")
        .args(["-u", user, "--", "test", "-x", &parent.display().to_string()])
        .output()
        .is_ok_and(|output| output.status.success());
    if reaches {
        return Ok(cluster);
    }
    let digest = Sha256::digest(cluster.as_os_str().as_encoded_bytes());
    let elsewhere = PathBuf::from(format!("/var/tmp/dataip-{}/postgres", hex::encode(&digest[..6])));
    tracing::warn!(
        wanted = %cluster.display(),
        cluster = %elsewhere.display(),
        "the {user} user cannot reach the data directory (PostgreSQL refuses to run as root, so it runs as {user}): \
         the private PostgreSQL lives here instead"
    );
    Ok(elsewhere)
}

/// Where the server's socket goes: the cluster directory, unless its path
/// is too long for a Unix socket (about 100 bytes); then a short directory
/// under /tmp named after it.
fn socket_directory(cluster: &Path) -> anyhow::Result<PathBuf> {
    if cluster.join(".s.PGSQL.5432").as_os_str().len() < 100 {
        return Ok(cluster.to_owned());
    }
    let digest = Sha256::digest(cluster.as_os_str().as_encoded_bytes());
    let dir = PathBuf::from(format!("/tmp/dataip-pg-{}", hex::encode(&digest[..6])));
    std::fs::create_dir_all(&dir).with_context(|| format!("could not create {}", dir.display()))?;
    Ok(dir)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("could not run {command:?}"))?;
    anyhow::ensure!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}
