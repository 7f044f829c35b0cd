//! One `dataip serve` child process, for whoever needs the real binary
//! rather than the service in-process: the fault tests (killed mid-write,
//! restarted), the hostile-input tests (peak memory from `/proc`) and the
//! HTTP benchmark (the release server, measured from outside).
//!
//! Included with `#[path]` at the root of the API tests (tests/api/main.rs)
//! and of bench/http.rs, and reached as `crate::child` from both; it needs
//! nothing of theirs.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context;

/// `dataip serve` on a free port, killed (SIGKILL) when dropped, so that a
/// run ending early leaves no server behind.
pub struct ChildServer {
    child: Child,
    /// `127.0.0.1:port`, for raw TCP.
    pub address: String,
    /// `http://127.0.0.1:port`.
    pub base: String,
    log: Option<PathBuf>,
    probe: reqwest::Client,
}

impl ChildServer {
    /// Starts `dataip` (the caller's command: its binary, database and
    /// configuration) as `serve` with `settings` (environment variables,
    /// after the command's own), in `data_dir` if given, and waits until it
    /// is ready. Its standard error goes to `log` (a file, not a pipe: a pipe
    /// nobody reads would block the server once full), or nowhere.
    pub async fn start(
        mut dataip: Command,
        settings: &[(&str, &str)],
        data_dir: Option<&Path>,
        log: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let address = format!("127.0.0.1:{port}");
        dataip.arg("serve");
        if let Some(dir) = data_dir {
            dataip.arg("--data-dir").arg(dir);
        }
        let stderr = match log {
            Some(file) => File::create(file).context("the log file")?.into(),
            None => Stdio::null(),
        };
        let child = dataip
            .env("DATAIP__SERVER__ADDR", &address)
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .context("could not start dataip serve")?;
        // A probe answered late is asked again rather than waited for.
        let probe = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let base = format!("http://{address}");
        let mut server = Self { child, address, base, log: log.map(Path::to_path_buf), probe };
        server.wait_until_ready(Duration::from_secs(30)).await?;
        Ok(server)
    }

    /// Waits until `/readyz` answers 200 (the database answers and its
    /// schema is current): how long that took. An error as soon as the
    /// process has exited, or once `within` has passed, with its log.
    pub async fn wait_until_ready(&mut self, within: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        while started.elapsed() < within {
            anyhow::ensure!(self.alive(), "dataip serve exited:\n{}", self.log());
            // Refused until it listens: not an error yet.
            let answer = self.probe.get(format!("{}/readyz", self.base)).send().await;
            if answer.is_ok_and(|answer| answer.status() == 200) {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("dataip serve was not ready within {within:?}:\n{}", self.log())
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// What it has logged so far (nothing without a log file).
    pub fn log(&self) -> String {
        self.log.as_ref().and_then(|file| std::fs::read_to_string(file).ok()).unwrap_or_default()
    }

    /// Its resident memory now (`VmRSS`), in bytes.
    pub fn resident_memory(&self) -> u64 {
        self.status_bytes("VmRSS:")
    }

    /// Its peak resident memory so far (`VmHWM`), in bytes: what a request
    /// cost at worst, however briefly.
    pub fn peak_memory(&self) -> u64 {
        self.status_bytes("VmHWM:")
    }

    /// A field of `/proc/{pid}/status` (Linux; the process alive).
    fn status_bytes(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        let line = status.lines().find_map(|line| line.strip_prefix(field)).expect(field);
        let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().expect("a number of kB");
        kib * 1024
    }

    /// SIGKILL: no signal handler runs, no request drains, no transaction
    /// is committed or rolled back by the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        self.kill();
    }
}
