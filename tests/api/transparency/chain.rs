//! Chains for the anchoring tests: a local EVM chain, anvil, from the npm
//! package `@foundry-rs/anvil` (installed with `npm ci --prefix tools/anvil`;
//! the binary ships inside the package), on a free loopback port; and a
//! chain that never answers.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

/// anvil's first development account.
pub const ANVIL_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
pub const ANVIL_CHAIN_ID: u64 = 31337;

pub struct Anvil {
    child: Child,
    pub url: String,
}

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("DATAIP_ANVIL") {
        return PathBuf::from(path);
    }
    let arch = match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    };
    let os = std::env::consts::OS;
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tools/anvil/node_modules/@foundry-rs/anvil-{os}-{arch}/bin/anvil"))
}

impl Anvil {
    pub async fn start() -> Anvil {
        let binary = binary();
        assert!(
            binary.is_file(),
            "anvil is not installed at {}: run `npm ci --prefix tools/anvil` (or set DATAIP_ANVIL)",
            binary.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("anvil starts");
        let anvil = Anvil { child, url: format!("http://127.0.0.1:{port}") };
        for _ in 0..100 {
            if anvil.rpc("eth_chainId", json!([])).await.is_some() {
                return anvil;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("anvil did not answer on {}", anvil.url);
    }

    /// One JSON-RPC call; the result, if it answered.
    pub async fn rpc(&self, method: &str, params: Value) -> Option<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer = reqwest::Client::new().post(&self.url).json(&body).send().await.ok()?;
        let answer: Value = answer.json().await.ok()?;
        answer.get("result").cloned()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON-RPC endpoint that accepts connections, reads nothing and never
/// answers, keeping every connection open: a chain that hangs.
pub struct SilentChain {
    pub url: String,
    connections: watch::Receiver<usize>,
    listener: JoinHandle<()>,
}

impl SilentChain {
    pub async fn start() -> SilentChain {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("free port");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (count, connections) = watch::channel(0);
        let listener = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
                count.send_replace(open.len());
            }
        });
        SilentChain { url, connections, listener }
    }

    /// Waits (at most ten seconds) until a client has connected: an
    /// anchoring attempt is waiting on this chain.
    pub async fn wait_for_a_caller(&self) {
        let mut connections = self.connections.clone();
        let called = tokio::time::timeout(Duration::from_secs(10), connections.wait_for(|count| *count > 0)).await;
        assert!(called.is_ok_and(|changed| changed.is_ok()), "nobody called the chain at {}", self.url);
    }
}

impl Drop for SilentChain {
    fn drop(&mut self) {
        self.listener.abort();
    }
}
