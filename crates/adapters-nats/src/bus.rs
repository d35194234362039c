//! The connection, the stream, and the producer side ([`EventSink`]).

use std::time::Instant;

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage, stream};
use async_trait::async_trait;
use hourglass_ports::bus::{BusMessage, EventSink, SinkError};
use tokio::sync::watch;

use crate::error::NatsError;
use crate::settings::NatsSettings;
use crate::subjects::{SubjectNames, message_id};

/// Whether the client is connected, and since when it is not (the feed compares an outage
/// with the retention to decide whether messages may have aged out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Link {
    /// Connected.
    Up,
    /// Disconnected since this instant; the client keeps reconnecting.
    Down(Instant),
}

/// One connection to NATS with the stream ensured: publishes for the relay and serves the
/// feeds started on it. Cheap to clone (the client is shared).
#[derive(Clone)]
pub struct NatsEventBus {
    pub(crate) client: async_nats::Client,
    pub(crate) jetstream: jetstream::Context,
    pub(crate) settings: NatsSettings,
    pub(crate) names: SubjectNames,
    pub(crate) link: watch::Receiver<Link>,
}

impl std::fmt::Debug for NatsEventBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsEventBus")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl NatsEventBus {
    /// Connects (after the first connection the client reconnects forever, with backoff) and
    /// makes sure the stream exists with [`NatsSettings`]' shape: subjects `<prefix>.u.>`, file
    /// storage, `max_age` = retention, dedupe window `min(retention, 2 min)`; an existing stream
    /// with another shape is updated.
    ///
    /// # Errors
    /// [`NatsError::Connect`] when the server is unreachable, [`NatsError::Stream`] when the
    /// stream cannot be created or updated.
    pub async fn connect(settings: NatsSettings) -> Result<Self, NatsError> {
        let (link_tx, link) = watch::channel(Link::Up);
        let client = async_nats::ConnectOptions::new()
            .name("hourglass")
            .max_reconnects(None)
            .request_timeout(Some(settings.request_timeout))
            .event_callback(move |event| {
                let link_tx = link_tx.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            tracing::info!("NATS connected");
                            link_tx.send_replace(Link::Up);
                        }
                        async_nats::Event::Disconnected => {
                            tracing::warn!("NATS disconnected; reconnecting");
                            // Keep the first instant of an outage across repeated attempts.
                            link_tx.send_if_modified(|link| {
                                if *link == Link::Up {
                                    *link = Link::Down(Instant::now());
                                    true
                                } else {
                                    false
                                }
                            });
                        }
                        other => tracing::debug!(event = %other, "NATS event"),
                    }
                }
            })
            .connect(settings.url.as_str())
            .await
            .map_err(|source| NatsError::Connect {
                url: settings.url.clone(),
                source,
            })?;
        let jetstream = jetstream::ContextBuilder::new()
            .timeout(settings.request_timeout)
            .build(client.clone());
        let names = SubjectNames::new(&settings.subject_prefix);
        let bus = Self {
            client,
            jetstream,
            settings,
            names,
            link,
        };
        bus.ensure_stream().await?;
        Ok(bus)
    }

    /// The stream's wanted configuration.
    fn stream_config(&self) -> stream::Config {
        stream::Config {
            name: self.settings.stream.clone(),
            subjects: vec![self.names.stream_filter()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            max_age: self.settings.retention,
            duplicate_window: self.settings.duplicate_window(),
            num_replicas: 1,
            ..Default::default()
        }
    }

    async fn ensure_stream(&self) -> Result<(), NatsError> {
        let wanted = self.stream_config();
        let fail = |reason: String| NatsError::Stream {
            stream: wanted.name.clone(),
            reason,
        };
        let mut existing = self
            .jetstream
            .get_or_create_stream(wanted.clone())
            .await
            .map_err(|err| fail(err.to_string()))?;
        let info = existing.info().await.map_err(|err| fail(err.to_string()))?;
        let current = &info.config;
        if current.subjects != wanted.subjects
            || current.storage != wanted.storage
            || current.max_age != wanted.max_age
            || current.duplicate_window != wanted.duplicate_window
        {
            tracing::info!(stream = %wanted.name, "updating the stream's configuration");
            let updated = stream::Config {
                // The server refuses to change a stream's storage; keep what it has.
                storage: current.storage,
                ..wanted.clone()
            };
            self.jetstream
                .update_stream(updated)
                .await
                .map_err(|err| fail(err.to_string()))?;
        }
        Ok(())
    }

    /// Whether the client is connected now.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// The settings it was connected with.
    pub fn settings(&self) -> &NatsSettings {
        &self.settings
    }
}

fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> SinkError {
    SinkError::Unavailable(Box::new(err))
}

#[async_trait]
impl EventSink for NatsEventBus {
    /// Sends every (message, subject) pair first, then awaits the acknowledgements: one round
    /// trip per batch instead of one per message. A republished batch is dropped by the
    /// broker's dedupe window (`Nats-Msg-Id` = `<id>.<user>.<t|n>`).
    async fn publish(&self, batch: &[BusMessage]) -> Result<(), SinkError> {
        let mut acks: Vec<PublishAckFuture> =
            Vec::with_capacity(batch.iter().map(|m| m.subjects.len()).sum());
        for message in batch {
            let payload = bytes::Bytes::from(message.payload.clone());
            for &subject in &message.subjects {
                let publish = PublishMessage::build()
                    .payload(payload.clone())
                    .message_id(message_id(message.id, subject));
                let ack = self
                    .jetstream
                    .send_publish(self.names.subject(subject), publish)
                    .await
                    .map_err(unavailable)?;
                acks.push(ack);
            }
        }
        let mut failed = None;
        for ack in acks {
            if let Err(err) = ack.await {
                failed.get_or_insert(err);
            }
        }
        match failed {
            None => Ok(()),
            Some(err) => {
                // A broker that came back without its store has no stream: nothing answers a
                // publish on its subjects. Create it again, so the relay's next try succeeds.
                if let Err(stream) = self.ensure_stream().await {
                    tracing::warn!(error = %stream, "the event stream cannot be ensured");
                }
                Err(unavailable(err))
            }
        }
    }
}
