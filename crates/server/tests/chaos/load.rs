//! Load under faults: "workers" (one active device per user) issue pause/resume continuously
//! with a `request_id` each, retry the way `docs/websocket.md` asks (same `request_id`, backoff,
//! reconnect to the next instance), and write down what they were told; "observers" (a second
//! device of the same user, usually on another instance) only read and keep the newest state per
//! timer. After the fault the test compares both with the database ([`crate::ledger`]).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hourglass_adapters_postgres::pool::PgPool;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::device::{self, Device, Event};
use crate::ledger;

/// How long a command may go unanswered before the device counts as lost: far above any
/// command's duration. (A retry waits for an earlier attempt of its `request_id` only while that
/// attempt's transaction lasts: the key and the outcome are stored in it.)
const REPLY_TIMEOUT: Duration = Duration::from_secs(12);

/// How long one command is retried (same `request_id`) before the worker gives up on it.
const GIVE_UP_AFTER: Duration = Duration::from_secs(20);

/// Backoff between retries and reconnects.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A timer as a device last heard of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerView {
    /// `version`.
    pub version: i64,
    /// `status`.
    pub status: String,
}

/// A success reply: the command `action` is stored on `timer` as `version`.
#[derive(Debug, Clone)]
pub struct Ack {
    /// The timer.
    pub timer: String,
    /// Its version in the reply.
    pub version: i64,
    /// `start`, `pause` or `resume`.
    pub action: String,
    /// When the reply arrived.
    pub at: Instant,
}

/// What one worker saw.
#[derive(Debug, Default)]
pub struct WorkerReport {
    /// The user (`sub`).
    pub sub: String,
    /// Success replies, in order.
    pub acks: Vec<Ack>,
    /// Error replies by code, with when each arrived.
    pub errors: BTreeMap<String, Vec<Instant>>,
    /// How connections ended, by close code (`dropped` without a close frame; `silent` when a
    /// reply did not come in time and the device hung up).
    pub closes: BTreeMap<String, usize>,
    /// Successful connections (1: never reconnected).
    pub connects: usize,
    /// Failed connection attempts.
    pub failed_connects: usize,
    /// Commands whose outcome the worker never learned (see [`ledger::Tally::uncertain`]).
    pub uncertain: i64,
    /// Commands sent that had no reply when the connection closed.
    pub unanswered_at_close: i64,
    /// Commands refused by the state machine (`PAUSE_FAILED`, `RESUME_FAILED`): the timer was not
    /// where this device thought, which only an earlier command whose outcome the device never
    /// learned (given up on) can cause. A retried `request_id` gets its outcome, never this.
    pub refused: i64,
    /// How long each retry (the command sent again with its `request_id`, after no reply or an
    /// error) waited for its reply, success or error.
    pub retry_replies: Vec<Duration>,
    /// Greeting syncs compared with the database ([`WorkerPlan::verify_syncs`]).
    pub syncs_verified: usize,
    /// Greeting syncs that differed from the database.
    pub sync_mismatches: Vec<String>,
    /// The endpoints of the connections, in order.
    pub endpoints: Vec<String>,
}

impl WorkerReport {
    fn error(&mut self, code: &str) {
        self.errors
            .entry(code.to_owned())
            .or_default()
            .push(Instant::now());
    }

    fn closed(&mut self, code: Option<u16>) {
        let key = code.map_or_else(|| "dropped".to_owned(), |c| c.to_string());
        *self.closes.entry(key).or_default() += 1;
    }

    /// Error replies of every code.
    pub fn error_count(&self) -> usize {
        self.errors.values().map(Vec::len).sum()
    }

    /// The longest wait of a retry for its reply, if anything was retried.
    pub fn slowest_retry_reply(&self) -> Option<Duration> {
        self.retry_replies.iter().max().copied()
    }
}

/// What a worker does.
#[derive(Clone)]
pub struct WorkerPlan {
    /// The user (`sub`).
    pub sub: String,
    /// WebSocket URLs, tried in order from the first; a lost connection moves to the next.
    pub endpoints: Vec<String>,
    /// Timers to create and then pause/resume in turn.
    pub timers: usize,
    /// Pause between two commands.
    pub pace: Duration,
    /// Reconnect when the connection ends (otherwise the worker stops there).
    pub reconnect: bool,
    /// Compare each greeting `timer.sync_result` with the database through this pool.
    pub verify_syncs: Option<PgPool>,
}

/// Running workers and observers, stopped together.
pub struct Load {
    stop: watch::Sender<bool>,
    workers: Vec<JoinHandle<anyhow::Result<WorkerReport>>>,
}

impl Load {
    /// Starts one worker per plan.
    pub fn start(plans: Vec<WorkerPlan>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let workers = plans
            .into_iter()
            .map(|plan| tokio::spawn(Worker::new(plan, stopped.clone()).run()))
            .collect();
        Self { stop, workers }
    }

    /// Asks every worker to stop after its current command, and collects their reports.
    pub async fn stop(self) -> anyhow::Result<Vec<WorkerReport>> {
        self.stop.send_replace(true);
        let mut reports = Vec::new();
        for worker in self.workers {
            reports.push(
                tokio::time::timeout(GIVE_UP_AFTER + REPLY_TIMEOUT * 2, worker)
                    .await
                    .context("a worker did not stop")???,
            );
        }
        Ok(reports)
    }

    /// Waits for every worker to end by itself (their connections closed and `reconnect` is
    /// off), at most `limit`.
    pub async fn join(self, limit: Duration) -> anyhow::Result<Vec<WorkerReport>> {
        let mut reports = Vec::new();
        for worker in self.workers {
            reports.push(
                tokio::time::timeout(limit, worker)
                    .await
                    .context("a worker did not end")???,
            );
        }
        Ok(reports)
    }
}

/// How one command ended for the worker.
enum Outcome {
    Acked(Value),
    Refused,
    GaveUp,
}

struct Worker {
    plan: WorkerPlan,
    stopped: watch::Receiver<bool>,
    device: Option<Device>,
    /// Index into `plan.endpoints` of the current (or next) connection.
    endpoint: usize,
    timers: Vec<String>,
    known: HashMap<String, TimerView>,
    report: WorkerReport,
    serial: u64,
}

impl Worker {
    fn new(plan: WorkerPlan, stopped: watch::Receiver<bool>) -> Self {
        let report = WorkerReport {
            sub: plan.sub.clone(),
            ..WorkerReport::default()
        };
        Self {
            plan,
            stopped,
            device: None,
            endpoint: 0,
            timers: Vec::new(),
            known: HashMap::new(),
            report,
            serial: 0,
        }
    }

    fn stopping(&self) -> bool {
        *self.stopped.borrow()
    }

    async fn run(mut self) -> anyhow::Result<WorkerReport> {
        while self.timers.len() < self.plan.timers && !self.stopping() {
            let request_id = self.next_request_id();
            let message = device::create(&self.plan.sub, &request_id);
            match self.execute(&message, &request_id).await? {
                Some(Outcome::Acked(reply)) => {
                    let id = reply["payload"]["timer"]["id"]
                        .as_str()
                        .context("created timer id")?
                        .to_owned();
                    self.timers.push(id);
                }
                Some(Outcome::Refused | Outcome::GaveUp) => {}
                None => return Ok(self.report),
            }
        }
        let mut turn = 0;
        while !self.stopping() && !self.timers.is_empty() {
            let id = self.timers[turn % self.timers.len()].clone();
            turn += 1;
            let verb = match self.known.get(&id) {
                Some(view) if view.status == "PAUSED" => "resume",
                _ => "pause",
            };
            let request_id = self.next_request_id();
            let message = device::control(verb, &id, &request_id);
            match self.execute(&message, &request_id).await? {
                Some(_) => {}
                None => break,
            }
            tokio::time::sleep(self.plan.pace).await;
        }
        Ok(self.report)
    }

    fn next_request_id(&mut self) -> String {
        self.serial += 1;
        format!("{}-{}", self.plan.sub, self.serial)
    }

    /// Runs one command to a known outcome, retrying with the same `request_id`; `None` when the
    /// worker is done (stopped, or its connection ended and `reconnect` is off).
    async fn execute(
        &mut self,
        message: &Value,
        request_id: &str,
    ) -> anyhow::Result<Option<Outcome>> {
        let began = Instant::now();
        let mut attempted = false;
        loop {
            let retry = attempted;
            if self.device.is_none() && !self.connect().await? {
                if attempted {
                    self.report.uncertain += 1;
                }
                return Ok(None);
            }
            let Some(device) = self.device.as_mut() else {
                continue;
            };
            if device.send(message).await.is_err() {
                self.report.closed(None);
                self.device = None;
                continue;
            }
            attempted = true;
            let sent = Instant::now();
            let reply = self.await_reply(request_id).await;
            if retry && matches!(reply, Reply::Success(_) | Reply::Error(..)) {
                self.report.retry_replies.push(sent.elapsed());
            }
            match reply {
                Reply::Success(reply) => {
                    self.ack(&reply)?;
                    return Ok(Some(Outcome::Acked(reply)));
                }
                Reply::Error(code, text) => {
                    self.report.error(&code);
                    match code.as_str() {
                        "PAUSE_FAILED" | "RESUME_FAILED" => {
                            // The timer is not where this device thought (see `refused`): move on
                            // with the state a sync gives.
                            self.report.uncertain += 1;
                            self.report.refused += 1;
                            self.refresh(message).await;
                            return Ok(Some(Outcome::Refused));
                        }
                        "SERVICE_UNAVAILABLE" | "INTERNAL_ERROR" => {}
                        other => {
                            anyhow::bail!("{}: unexpected error {other}: {text}", self.plan.sub)
                        }
                    }
                }
                Reply::Closed(code) => {
                    self.report.closed(code);
                    self.report.unanswered_at_close += 1;
                    self.device = None;
                    if !self.plan.reconnect {
                        self.report.uncertain += 1;
                        return Ok(None);
                    }
                }
                Reply::Silent => {
                    *self.report.closes.entry("silent".to_owned()).or_default() += 1;
                    self.device = None;
                }
            }
            if self.stopping() || began.elapsed() > GIVE_UP_AFTER {
                self.report.uncertain += 1;
                return Ok(Some(Outcome::GaveUp));
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
    }

    /// Reads until the reply to `request_id`, keeping what else arrives (fan-out, resyncs).
    async fn await_reply(&mut self, request_id: &str) -> Reply {
        let Some(device) = self.device.as_mut() else {
            return Reply::Closed(None);
        };
        let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match device.next(left).await {
                Event::Message(message) => {
                    if message["request_id"] == request_id {
                        if message["type"] == "error" {
                            let code = message["payload"]["code"].as_str().unwrap_or("?");
                            let text = message["payload"]["message"].as_str().unwrap_or("");
                            return Reply::Error(code.to_owned(), text.to_owned());
                        }
                        return Reply::Success(message);
                    }
                    note(&mut self.known, &message);
                }
                Event::Closed(code) => return Reply::Closed(code),
                Event::Silent => return Reply::Silent,
            }
        }
    }

    fn ack(&mut self, reply: &Value) -> anyhow::Result<()> {
        let timer = &reply["payload"]["timer"];
        let ack = Ack {
            timer: timer["id"].as_str().context("timer id")?.to_owned(),
            version: timer["version"].as_i64().context("version")?,
            action: reply["payload"]["action"]
                .as_str()
                .context("action")?
                .to_owned(),
            at: Instant::now(),
        };
        note(&mut self.known, reply);
        self.report.acks.push(ack);
        Ok(())
    }

    /// Asks for the timer's current state after a refusal (`timer.sync` of it).
    async fn refresh(&mut self, message: &Value) {
        let Some(id) = message["payload"]["timer_id"].as_str() else {
            return;
        };
        let request_id = self.next_request_id();
        let sync = device::command(
            "timer.sync",
            serde_json::json!({"timer_id": id}),
            &request_id,
        );
        let Some(device) = self.device.as_mut() else {
            return;
        };
        if device.send(&sync).await.is_err() {
            return;
        }
        if let Reply::Success(reply) = self.await_reply(&request_id).await {
            note(&mut self.known, &reply);
        }
    }

    /// Connects to the current endpoint, moving to the next after a failure, until connected
    /// (`true`) or stopped (`false`).
    async fn connect(&mut self) -> anyhow::Result<bool> {
        let first = self.report.connects == 0 && self.report.failed_connects == 0;
        if !first && !self.plan.reconnect {
            return Ok(false);
        }
        if !first {
            // The connection was lost: the next one goes elsewhere, as behind a load balancer
            // that took the lost instance out.
            self.endpoint += 1;
        }
        while !self.stopping() {
            let url = self.plan.endpoints[self.endpoint % self.plan.endpoints.len()].clone();
            match Device::connect(&url, &self.plan.sub).await {
                Ok(device) => {
                    self.report.connects += 1;
                    self.report.endpoints.push(url);
                    self.adopt_sync(&device.greeting_sync);
                    if let Some(pool) = self.plan.verify_syncs.clone() {
                        self.verify(&pool, &device.greeting_sync).await;
                    }
                    self.device = Some(device);
                    return Ok(true);
                }
                Err(_) => {
                    self.report.failed_connects += 1;
                    self.endpoint += 1;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
        }
        Ok(false)
    }

    /// The greeting sync is the truth after a (re)connect (`docs/websocket.md`).
    fn adopt_sync(&mut self, sync: &Value) {
        for timer in sync["payload"]["timers"].as_array().into_iter().flatten() {
            if let (Some(id), Some(view)) = (timer["id"].as_str(), view(timer)) {
                self.known.insert(id.to_owned(), view);
            }
        }
    }

    /// The greeting sync equals what the database holds for this user (nothing else changes
    /// this user's timers while its only active device is connecting).
    async fn verify(&mut self, pool: &PgPool, sync: &Value) {
        let rows = match ledger::timers_of(pool, std::slice::from_ref(&self.plan.sub)).await {
            Ok(rows) => rows,
            Err(error) => {
                self.report
                    .sync_mismatches
                    .push(format!("cannot read the database: {error}"));
                return;
            }
        };
        let synced: BTreeMap<String, TimerView> = sync["payload"]["timers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| Some((t["id"].as_str()?.to_owned(), view(t)?)))
            .collect();
        let stored: BTreeMap<String, TimerView> = rows
            .values()
            .map(|row| {
                (
                    row.id.clone(),
                    TimerView {
                        version: row.version,
                        status: row.status.clone(),
                    },
                )
            })
            .collect();
        self.report.syncs_verified += 1;
        if synced != stored {
            self.report
                .sync_mismatches
                .push(format!("sync {synced:?} but stored {stored:?}"));
        }
    }
}

enum Reply {
    Success(Value),
    /// Code and message.
    Error(String, String),
    Closed(Option<u16>),
    Silent,
}

fn view(timer: &Value) -> Option<TimerView> {
    Some(TimerView {
        version: timer["version"].as_i64()?,
        status: timer["status"].as_str()?.to_owned(),
    })
}

/// The timers a message carries: one for `timer.created`/`timer.updated`, all of a
/// `timer.sync_result`, none otherwise.
fn timers_in(message: &Value) -> Vec<&Value> {
    match message["type"].as_str() {
        Some("timer.created" | "timer.updated") => vec![&message["payload"]["timer"]],
        Some("timer.sync_result") => message["payload"]["timers"]
            .as_array()
            .map(|all| all.iter().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Applies a fan-out or sync message to `known`: newer versions only.
fn note(known: &mut HashMap<String, TimerView>, message: &Value) {
    for timer in timers_in(message) {
        if let (Some(id), Some(view)) = (timer["id"].as_str(), view(timer)) {
            let newer = known.get(id).is_none_or(|old| view.version > old.version);
            if newer {
                known.insert(id.to_owned(), view);
            }
        }
    }
}

/// What an observer ended up believing.
#[derive(Debug, Default)]
pub struct ObserverReport {
    /// The user (`sub`).
    pub sub: String,
    /// The newest state per timer.
    pub known: HashMap<String, TimerView>,
    /// Connections made (1: never reconnected).
    pub connects: usize,
    /// `timer.sync_result`s received after the greeting (resyncs after a lost `LISTEN`).
    pub resyncs: usize,
    /// Messages that listed a timer at a lower version than already seen.
    pub regressions: Vec<String>,
    /// Changes that arrived again (a version already seen, outside a sync).
    pub duplicates: Vec<String>,
    /// Changes that skipped versions, not followed by any sync that would have filled them.
    pub open_gaps: Vec<String>,
    /// Changes received (outside syncs).
    pub changes: usize,
}

/// A read-only device of `sub` that reconnects (through `endpoints` in turn) until stopped.
pub struct Observer {
    stop: watch::Sender<bool>,
    task: JoinHandle<ObserverReport>,
    /// The newest state per timer, as it changes.
    view: watch::Receiver<HashMap<String, TimerView>>,
}

impl Observer {
    /// Starts observing.
    pub fn start(sub: &str, endpoints: Vec<String>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let (publish, view) = watch::channel(HashMap::new());
        let task = tokio::spawn(observe(sub.to_owned(), endpoints, stopped, publish));
        Self { stop, task, view }
    }

    /// Waits until the observer knows every timer of `wanted` at its version or a newer one, at
    /// most `limit`; returns how long that took.
    pub async fn caught_up(
        &mut self,
        wanted: &BTreeMap<String, i64>,
        limit: Duration,
    ) -> anyhow::Result<Duration> {
        let started = Instant::now();
        tokio::time::timeout(
            limit,
            self.view.wait_for(|known| {
                wanted
                    .iter()
                    .all(|(id, version)| known.get(id).is_some_and(|seen| seen.version >= *version))
            }),
        )
        .await
        .with_context(|| format!("not caught up within {limit:?}"))??;
        Ok(started.elapsed())
    }

    /// Stops and returns what it saw.
    pub async fn stop(self) -> anyhow::Result<ObserverReport> {
        self.stop.send_replace(true);
        Ok(tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .context("an observer did not stop")??)
    }
}

async fn observe(
    sub: String,
    endpoints: Vec<String>,
    stopped: watch::Receiver<bool>,
    publish: watch::Sender<HashMap<String, TimerView>>,
) -> ObserverReport {
    let mut report = ObserverReport {
        sub: sub.clone(),
        ..ObserverReport::default()
    };
    let mut endpoint = 0;
    while !*stopped.borrow() {
        let url = &endpoints[endpoint % endpoints.len()];
        let Ok(mut device) = Device::connect(url, &sub).await else {
            endpoint += 1;
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        report.connects += 1;
        observe_message(&mut report, &device.greeting_sync, true);
        publish.send_replace(report.known.clone());
        loop {
            if *stopped.borrow() {
                return report;
            }
            match device.next(Duration::from_millis(100)).await {
                Event::Message(message) => {
                    observe_message(&mut report, &message, false);
                    publish.send_replace(report.known.clone());
                }
                Event::Silent => {}
                Event::Closed(_) => {
                    endpoint += 1;
                    break;
                }
            }
        }
    }
    report
}

fn observe_message(report: &mut ObserverReport, message: &Value, greeting: bool) {
    let is_sync = message["type"] == "timer.sync_result";
    if is_sync && !greeting {
        report.resyncs += 1;
    }
    if is_sync {
        // A sync states everything: whatever was skipped before it is filled.
        report.open_gaps.clear();
    }
    let before: HashMap<String, TimerView> = report.known.clone();
    if !is_sync {
        for timer in timers_in(message) {
            let (Some(id), Some(view)) = (timer["id"].as_str(), view(timer)) else {
                continue;
            };
            report.changes += 1;
            match before.get(id) {
                Some(old) if view.version == old.version => report.duplicates.push(format!(
                    "{id}: version {} twice ({})",
                    view.version, message["type"]
                )),
                Some(old) if view.version > old.version + 1 => report.open_gaps.push(format!(
                    "{id}: version {} then {} ({})",
                    old.version, view.version, message["type"]
                )),
                _ => {}
            }
        }
    }
    // A sync replaces what the device knew; a regression would be a bug of the server.
    for timer in timers_in(message) {
        if let (Some(id), Some(view)) = (timer["id"].as_str(), view(timer)) {
            if let Some(old) = before.get(id)
                && view.version < old.version
            {
                report
                    .regressions
                    .push(format!("{id}: {old:?} then {view:?} ({})", message["type"]));
            }
            report.known.insert(id.to_owned(), view);
        }
    }
}

/// One line per worker for the test output: acks, errors by code, closes, connections.
pub fn summary(reports: &[WorkerReport]) -> String {
    reports
        .iter()
        .map(|r| {
            let errors: BTreeMap<&str, usize> =
                r.errors.iter().map(|(code, at)| (code.as_str(), at.len())).collect();
            format!(
                "  {}: {} acks, errors {errors:?}, closes {:?}, {} connections ({} failed attempts), \
                 {} uncertain ({} refused), {} retries (slowest reply {:?}), {} syncs verified",
                r.sub,
                r.acks.len(),
                r.closes,
                r.connects,
                r.failed_connects,
                r.uncertain,
                r.refused,
                r.retry_replies.len(),
                r.slowest_retry_reply(),
                r.syncs_verified
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Plans for `count` users named `{prefix}-{i}`, each on `endpoints(i)`, three timers each.
pub fn plans(
    prefix: &str,
    count: usize,
    endpoints: impl Fn(usize) -> Vec<String>,
    pace: Duration,
    reconnect: bool,
    verify_syncs: Option<PgPool>,
) -> Vec<WorkerPlan> {
    (0..count)
        .map(|i| WorkerPlan {
            sub: format!("{prefix}-{i}"),
            endpoints: endpoints(i),
            timers: 3,
            pace,
            reconnect,
            verify_syncs: verify_syncs.clone(),
        })
        .collect()
}
