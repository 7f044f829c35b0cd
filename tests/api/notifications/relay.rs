//! A TCP relay a test controls, to put between the registry and PostgreSQL:
//! it forwards both ways until told to go silent, then forwards nothing and
//! keeps every socket open, as a connection whose peer or middlebox went
//! away without a word looks (half-open).

use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use sqlx::postgres::PgConnectOptions;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::watch,
    task::JoinSet,
};

pub struct Relay {
    port: u16,
    silent: watch::Sender<bool>,
    accepted: Arc<AtomicUsize>,
    /// Accepting, and the connections' pumps: all stop with the relay.
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// A relay to the server `database_url` names, on a free local port.
    /// Synchronous, so that a configuration closure can start one.
    pub fn to(database_url: &str) -> Self {
        let options = PgConnectOptions::from_str(database_url).expect("a postgres:// URL");
        let target = (options.get_host().to_owned(), options.get_port());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let listener = TcpListener::from_std(listener).expect("in a runtime");
        let (silent, quiet) = watch::channel(false);
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            let mut pumps = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(target.clone()).await else { continue };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                pumps.spawn(pump(client_read, server_write, quiet.clone()));
                pumps.spawn(pump(server_read, client_write, quiet.clone()));
            }
        });
        Self { port, silent, accepted, task }
    }

    /// `database_url` with the relay in place of its server.
    pub fn url_for(&self, database_url: &str) -> String {
        let mut url = reqwest::Url::parse(database_url).expect("a URL");
        url.set_host(Some("127.0.0.1")).expect("host");
        url.set_port(Some(self.port)).expect("port");
        url.to_string()
    }

    /// Forwards nothing more, either way, and closes nothing.
    pub fn silence(&self) {
        self.silent.send_replace(true);
    }

    /// Forwards again, what was held back first.
    pub fn resume(&self) {
        self.silent.send_replace(false);
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies `from` to `to` whenever the relay is not silent.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut silent: watch::Receiver<bool>) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        if silent.wait_for(|silent| !silent).await.is_err() {
            return;
        }
        // A read cut short by the silence loses nothing: it takes bytes
        // only when it completes.
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            _ = silent.wait_for(|silent| *silent) => continue,
        };
        let count = match read {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(count) => count,
        };
        // Read just as the silence began: held back until it ends.
        if silent.wait_for(|silent| !silent).await.is_err() || to.write_all(&buffer[..count]).await.is_err() {
            return;
        }
    }
}
