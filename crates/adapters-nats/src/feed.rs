//! The consumer side: one ordered push consumer per subject this instance cares about, each
//! handing its messages to the [`BusInbox`] in stream order.
//!
//! The ordered consumer (async-nats) checks every delivery's consumer sequence and, on a gap, a
//! missed heartbeat or a reconnection, recreates itself from the last stream sequence it
//! delivered: a gap is filled from the stream, and after a broker restart each subject catches
//! up where it left off. On top of it this module drops what it already delivered (by stream
//! sequence, and by outbox id in a bounded window) and calls [`BusInbox::missed`] only when an
//! outage outlasted the retention and the stream has since dropped messages this instance had
//! not seen.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::{DeliverPolicy, push::OrderedConfig};
use futures_util::StreamExt;
use hourglass_ports::bus::{BusInbox, Interest, InterestWatcher, Subject};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::bus::{Link, NatsEventBus};
use crate::recent::RecentIds;
use crate::subjects::outbox_id;

/// Outbox ids remembered per subject to drop a repeat.
const RECENT_IDS: usize = 256;
/// A message published just before an outage reaches us within this; an outage shorter than
/// the retention minus this loses nothing.
const DELIVERY_SLACK: Duration = Duration::from_secs(1);
/// First and longest wait between attempts to create a subject's consumer.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// What the feed looks like now (readiness, metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedHealth {
    /// The client is connected to NATS.
    pub connected: bool,
    /// Subjects cared about (each has a task).
    pub subjects: usize,
    /// Subjects whose consumer exists on the broker: messages published from now on reach
    /// the inbox.
    pub consuming: usize,
    /// Messages handed to the inbox so far.
    pub delivered: u64,
    /// Times [`BusInbox::missed`] was called.
    pub missed: u64,
}

/// State shared by the feed's tasks.
struct Shared {
    bus: NatsEventBus,
    inbox: Arc<dyn BusInbox>,
    /// Told when a subject's consumer exists.
    interest: Arc<dyn Interest>,
    /// The highest stream sequence this instance knows it has seen past: what a subject
    /// received, or where a new consumer started. Messages after it that the stream no longer
    /// holds may have been ours.
    seen_up_to: AtomicU64,
    subjects: AtomicUsize,
    consuming: AtomicUsize,
    delivered: AtomicU64,
    missed: AtomicU64,
}

/// Forwards interest changes to the feed's task without blocking the caller.
struct Watcher {
    changes: mpsc::UnboundedSender<Subject>,
}

impl InterestWatcher for Watcher {
    fn gained(&self, subject: Subject) {
        // After `stop` nobody listens; nothing to do then.
        let _ = self.changes.send(subject);
    }

    fn lost(&self, subject: Subject) {
        let _ = self.changes.send(subject);
    }

    /// Each subject's consumer tells the interest once it exists ([`Interest::subscribed`]):
    /// it starts at the next message published, so a connection must not read what it first
    /// shows before that.
    fn confirms(&self) -> bool {
        true
    }
}

/// The running consumer side of the NATS engine.
pub struct NatsEventFeed {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for NatsEventFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsEventFeed")
            .field("health", &self.health())
            .finish_non_exhaustive()
    }
}

impl NatsEventFeed {
    /// Registers with `interest` (first, so no change is lost), then consumes every subject it
    /// cares about now and follows its changes: a subject gained is consumed from the next
    /// message published, a subject lost stops being consumed. Must be called inside a tokio
    /// runtime.
    pub fn start(
        bus: &NatsEventBus,
        interest: Arc<dyn Interest>,
        inbox: Arc<dyn BusInbox>,
    ) -> Self {
        let (changes, rx) = mpsc::unbounded_channel();
        interest.watch(Arc::new(Watcher { changes }));
        let shared = Arc::new(Shared {
            bus: bus.clone(),
            inbox,
            interest: Arc::clone(&interest),
            seen_up_to: AtomicU64::new(0),
            subjects: AtomicUsize::new(0),
            consuming: AtomicUsize::new(0),
            delivered: AtomicU64::new(0),
            missed: AtomicU64::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(control(shared.clone(), interest, rx, stopped));
        Self {
            shared,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops every consumer and waits for the feed's tasks to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(err) = task.await
        {
            tracing::error!(error = %err, "NATS feed task failed");
        }
    }

    /// Connection, subjects and counters now.
    pub fn health(&self) -> FeedHealth {
        FeedHealth {
            connected: self.shared.bus.is_connected(),
            subjects: self.shared.subjects.load(Ordering::Relaxed),
            consuming: self.shared.consuming.load(Ordering::Relaxed),
            delivered: self.shared.delivered.load(Ordering::Relaxed),
            missed: self.shared.missed.load(Ordering::Relaxed),
        }
    }
}

impl Drop for NatsEventFeed {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// One subject's consumer task, stopped by dropping or sending on `stop`.
struct Following {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// The feed's task: reconciles the running consumers with the interest, and checks for lost
/// messages after each outage.
async fn control(
    shared: Arc<Shared>,
    interest: Arc<dyn Interest>,
    mut changes: mpsc::UnboundedReceiver<Subject>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut following: HashMap<Subject, Following> = HashMap::new();
    let mut link = shared.bus.link.clone();
    let mut down_since = match *link.borrow_and_update() {
        Link::Up => None,
        Link::Down(since) => Some(since),
    };
    for subject in interest.subjects() {
        reconcile(&shared, interest.as_ref(), &mut following, subject);
    }
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            change = changes.recv() => match change {
                Some(subject) => reconcile(&shared, interest.as_ref(), &mut following, subject),
                None => break,
            },
            changed = link.changed() => {
                if changed.is_err() {
                    // The client is gone for good: nothing more will arrive.
                    break;
                }
                let now = *link.borrow_and_update();
                match (now, down_since) {
                    (Link::Down(since), None) => down_since = Some(since),
                    (Link::Up, Some(since)) => {
                        down_since = None;
                        check_outage(&shared, since.elapsed()).await;
                    }
                    _ => {}
                }
            }
        }
    }
    for (_, follow) in following.drain() {
        let _ = follow.stop.send(());
        if let Err(err) = follow.task.await {
            tracing::error!(error = %err, "NATS subject task failed");
        }
    }
    shared.subjects.store(0, Ordering::Relaxed);
}

/// Starts or stops `subject`'s consumer to match what `interest` says now. Changes may arrive
/// out of order from several threads; asking the interest again makes the order irrelevant.
fn reconcile(
    shared: &Arc<Shared>,
    interest: &dyn Interest,
    following: &mut HashMap<Subject, Following>,
    subject: Subject,
) {
    let wanted = interest.cares_about(subject);
    if wanted && !following.contains_key(&subject) {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(follow(shared.clone(), subject, stopped));
        following.insert(subject, Following { stop, task });
    } else if !wanted && let Some(follow) = following.remove(&subject) {
        // The task deletes its consumer and ends on its own.
        let _ = follow.stop.send(());
    }
    shared.subjects.store(following.len(), Ordering::Relaxed);
}

/// After an outage of `outage`: messages may have aged out unseen only if the outage was
/// about as long as the retention; then the stream's first sequence says whether any did.
async fn check_outage(shared: &Shared, outage: Duration) {
    let retention = shared.bus.settings.retention;
    if outage + DELIVERY_SLACK < retention {
        tracing::info!(
            ?outage,
            "NATS back within the retention; subjects catch up from the stream"
        );
        return;
    }
    let seen = shared.seen_up_to.load(Ordering::Relaxed);
    let lost = match shared
        .bus
        .jetstream
        .get_stream(&shared.bus.settings.stream)
        .await
    {
        Ok(mut stream) => match stream.info().await {
            Ok(info) => info.state.first_sequence > seen + 1,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the stream after an outage; assuming messages were lost");
                true
            }
        },
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the stream after an outage; assuming messages were lost");
            true
        }
    };
    if lost {
        tracing::warn!(
            ?outage,
            ?retention,
            "NATS outage outlasted the retention; resyncing clients"
        );
        shared.missed.fetch_add(1, Ordering::Relaxed);
        shared.inbox.missed().await;
    }
}

/// Consumes `subject` until stopped: creates its ordered consumer (retrying while the broker
/// is away), hands each new message to the inbox, and deletes the consumer at the end.
async fn follow(shared: Arc<Shared>, subject: Subject, mut stopped: oneshot::Receiver<()>) {
    let filter = shared.bus.names.subject(subject);
    let mut delay = RETRY_FIRST;
    let (consumer, mut floor) = loop {
        let created = tokio::select! {
            _ = &mut stopped => return,
            created = create(&shared, &filter) => created,
        };
        match created {
            Ok(created) => break created,
            Err(err) => {
                tracing::warn!(subject = %filter, error = %err, "cannot create the subject's consumer; retrying");
                tokio::select! {
                    _ = &mut stopped => return,
                    () = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(RETRY_MAX);
            }
        }
    };
    shared.seen_up_to.fetch_max(floor, Ordering::Relaxed);
    shared.consuming.fetch_add(1, Ordering::Relaxed);
    shared.interest.subscribed(subject);
    let name = consumer.0;
    let mut messages = consumer.1;
    let mut recent = RecentIds::new(RECENT_IDS);
    loop {
        let next = tokio::select! {
            _ = &mut stopped => break,
            next = messages.next() => next,
        };
        let message = match next {
            Some(Ok(message)) => message,
            Some(Err(err)) => {
                // The ordered consumer recreates itself after this; keep reading.
                tracing::debug!(subject = %filter, error = %err, "ordered consumer hiccup");
                continue;
            }
            None => break,
        };
        let received = Instant::now();
        let sequence = match message.info() {
            Ok(info) => info.stream_sequence,
            Err(err) => {
                tracing::warn!(subject = %filter, error = %err, "message without JetStream metadata");
                continue;
            }
        };
        // Already delivered, or from before this subject was gained (a consumer recreated
        // before its first delivery starts at the stream's beginning).
        if sequence <= floor {
            continue;
        }
        floor = sequence;
        shared.seen_up_to.fetch_max(sequence, Ordering::Relaxed);
        let id = message
            .headers
            .as_ref()
            .and_then(|headers| headers.get(async_nats::header::NATS_MESSAGE_ID))
            .and_then(|value| outbox_id(value.as_str()));
        let Some(id) = id else {
            tracing::warn!(subject = %filter, sequence, "message without an outbox id; dropped");
            continue;
        };
        if !recent.insert(id) {
            continue;
        }
        let Ok(payload) = std::str::from_utf8(&message.payload) else {
            tracing::warn!(subject = %filter, id, "payload is not UTF-8; dropped");
            continue;
        };
        shared.inbox.received(id, payload, received).await;
        shared.delivered.fetch_add(1, Ordering::Relaxed);
    }
    drop(messages);
    shared.consuming.fetch_sub(1, Ordering::Relaxed);
    // Unsubscribing already stops delivery; deleting frees the consumer now rather than after
    // its inactivity threshold. A consumer the ordered stream recreated under another name is
    // reaped by that threshold (30 s).
    if let Err(err) = shared
        .bus
        .jetstream
        .delete_consumer_from_stream(&name, &shared.bus.settings.stream)
        .await
    {
        tracing::debug!(subject = %filter, error = %err, "consumer not deleted");
    }
}

type Created = (
    (String, async_nats::jetstream::consumer::push::Ordered),
    u64,
);

/// Creates an ordered push consumer on `filter` delivering from the next message published;
/// returns its name, its messages and the stream sequence it starts after.
async fn create(shared: &Shared, filter: &str) -> Result<Created, async_nats::Error> {
    let stream = shared
        .bus
        .jetstream
        .get_stream_no_info(&shared.bus.settings.stream)
        .await?;
    let consumer = stream
        .create_consumer(OrderedConfig {
            deliver_subject: shared.bus.client.new_inbox(),
            filter_subject: filter.to_owned(),
            deliver_policy: DeliverPolicy::New,
            ..Default::default()
        })
        .await?;
    let floor = consumer.cached_info().delivered.stream_sequence;
    let name = consumer.cached_info().name.clone();
    let messages = consumer.messages().await?;
    Ok(((name, messages), floor))
}
