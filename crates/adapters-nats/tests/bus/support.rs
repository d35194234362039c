//! What the NATS tests share: the server URL, per-test streams, an in-test `Interest`, a
//! recording `BusInbox`, a nats-server of a test's own, and a TCP proxy that can cut the line.

use std::collections::HashSet;
use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hourglass_adapters_nats::{NatsEventBus, NatsEventFeed, NatsSettings};
use hourglass_domain::ids::UserId;
use hourglass_ports::bus::{BusInbox, BusMessage, EventSink, Interest, InterestWatcher, Subject};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// How long any wait may take before the test fails.
pub const BOUND: Duration = Duration::from_secs(30);

/// The shared server (`just test` starts it with scripts/nats.sh).
pub fn nats_url() -> String {
    match std::env::var("TEST_NATS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "TEST_NATS_URL is not set: start NATS with `url=$(scripts/nats.sh start)` and export \
             TEST_NATS_URL=$url (`just test` does both)"
        ),
    }
}

/// Settings with a stream and subject prefix no other test uses.
pub fn settings(url: &str, test: &str) -> NatsSettings {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let unique = format!(
        "{}_{}_{}",
        test,
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut settings = NatsSettings::new(url);
    settings.stream = format!("T_{unique}");
    settings.subject_prefix = format!("t{unique}");
    settings.request_timeout = Duration::from_secs(2);
    settings
}

pub fn t(user: i64) -> Subject {
    Subject::timers(UserId::new(user))
}

pub fn n(user: i64) -> Subject {
    Subject::notifications(UserId::new(user))
}

pub fn message(id: i64, subjects: &[Subject]) -> BusMessage {
    BusMessage {
        id,
        subjects: subjects.to_vec(),
        payload: format!("{{\"id\":{id}}}"),
    }
}

/// The subjects a test says it cares about; tells watchers like the real index does.
#[derive(Default)]
pub struct TestInterest {
    subjects: Mutex<HashSet<Subject>>,
    watchers: Mutex<Vec<Arc<dyn InterestWatcher>>>,
}

impl TestInterest {
    pub fn with(subjects: &[Subject]) -> Arc<Self> {
        let interest = Self::default();
        interest
            .subjects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(subjects.iter().copied());
        Arc::new(interest)
    }

    fn watchers(&self) -> Vec<Arc<dyn InterestWatcher>> {
        self.watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn gain(&self, subject: Subject) {
        self.subjects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(subject);
        for watcher in self.watchers() {
            watcher.gained(subject);
        }
    }

    pub fn lose(&self, subject: Subject) {
        self.subjects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&subject);
        for watcher in self.watchers() {
            watcher.lost(subject);
        }
    }
}

impl Interest for TestInterest {
    fn cares_about(&self, subject: Subject) -> bool {
        self.subjects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&subject)
    }

    fn subjects(&self) -> Vec<Subject> {
        self.subjects
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect()
    }

    fn watch(&self, watcher: Arc<dyn InterestWatcher>) {
        self.watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(watcher);
    }

    // The tests wait for the feed's `consuming` count instead.
    fn subscribed(&self, _subject: Subject) {}
}

/// What reached the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Got {
    Message { id: i64, payload: String },
    Missed,
}

pub struct RecordingInbox {
    tx: mpsc::UnboundedSender<Got>,
}

#[async_trait]
impl BusInbox for RecordingInbox {
    async fn received(&self, id: i64, payload: &str, _received: Instant) {
        let _ = self.tx.send(Got::Message {
            id,
            payload: payload.to_owned(),
        });
    }

    async fn missed(&self) {
        let _ = self.tx.send(Got::Missed);
    }
}

pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Got>,
}

pub fn inbox() -> (Arc<RecordingInbox>, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Arc::new(RecordingInbox { tx }), Inbox { rx })
}

impl Inbox {
    /// The next thing the inbox got; fails the test after [`BOUND`].
    pub async fn next(&mut self) -> Got {
        match tokio::time::timeout(BOUND, self.rx.recv()).await {
            Ok(Some(got)) => got,
            Ok(None) => panic!("the inbox was dropped"),
            Err(_) => panic!("nothing reached the inbox within {BOUND:?}"),
        }
    }

    /// The next message id (a `missed` fails the test).
    pub async fn next_id(&mut self) -> i64 {
        match self.next().await {
            Got::Message { id, .. } => id,
            Got::Missed => panic!("missed() was called"),
        }
    }

    /// Ids until `last` arrives (included).
    pub async fn ids_until(&mut self, last: i64) -> Vec<i64> {
        let mut ids = Vec::new();
        loop {
            let id = self.next_id().await;
            ids.push(id);
            if id == last {
                return ids;
            }
        }
    }

    /// What arrived so far without waiting.
    pub fn drain(&mut self) -> Vec<Got> {
        let mut got = Vec::new();
        while let Ok(item) = self.rx.try_recv() {
            got.push(item);
        }
        got
    }
}

/// Waits until the feed's consumers exist for `count` subjects.
pub async fn consuming(feed: &NatsEventFeed, count: usize) {
    let deadline = Instant::now() + BOUND;
    while feed.health().consuming != count {
        assert!(
            Instant::now() < deadline,
            "the feed did not reach {count} consumers: {:?}",
            feed.health()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Publishes until the broker confirms (what the relay does with its rows).
pub async fn publish_until_stored(bus: &NatsEventBus, batch: &[BusMessage]) {
    let deadline = Instant::now() + BOUND * 2;
    while let Err(err) = bus.publish(batch).await {
        assert!(Instant::now() < deadline, "publish never succeeded: {err}");
    }
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// A nats-server of one test's own, on its own port and store (fault tests kill it).
pub struct OwnServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl OwnServer {
    pub async fn start(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hg-nats-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut server = Self {
            port: free_port(),
            dir,
            child: None,
        };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on the same port and store; returns once it accepts connections.
    pub async fn restart(&mut self) {
        std::fs::create_dir_all(&self.dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", self.dir.display()));
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".into());
        let child = Command::new(&binary)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.dir.join("jetstream"))
            .arg("-l")
            .arg(self.dir.join("nats-server.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {binary} (scripts/nats.sh install): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + BOUND;
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(Instant::now() < deadline, "own nats-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// kill -9, then wait for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TCP proxy in front of a server whose line a test can cut (connections dropped, new ones
/// refused) and restore.
pub struct Proxy {
    pub port: u16,
    cut: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("proxy bind: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy addr: {e}"))
            .port();
        let (cut, cut_rx) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *cut_rx.borrow() {
                    continue;
                }
                let mut cut_rx = cut_rx.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self { port, cut }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn set_cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}
