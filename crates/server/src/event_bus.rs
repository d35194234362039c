//! The event bus this instance runs (`EVENT_BUS`): its receiving side, which hands events to the
//! instance's inbox, and its outbox relay, which publishes what the writers left.
//!
//! Both engines share the inbox ([`PgEventInbox`]: decode, interest, load, route) and the
//! outbox; they differ only in transport:
//!
//! - `postgres`: the relay calls `pg_notify`, one `LISTEN` connection per instance hears every
//!   event, and the inbox drops what no local connection cares about before loading it;
//! - `nats`: the relay publishes to per-user JetStream subjects, and the instance subscribes only
//!   to the subjects its connections care about.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hourglass_adapters_nats::{LinkHealth, NatsEventBus, NatsEventFeed, NatsSettings};
use hourglass_adapters_postgres::inbox::PgEventInbox;
use hourglass_adapters_postgres::listener::PgEventListener;
use hourglass_adapters_postgres::relay::PgOutboxRelay;
use hourglass_ports::health::ListenerProbe;
use hourglass_ports::service::interest::InterestIndex;

use crate::config::{EventBusConfig, EventBusEngine};

/// The running receiving side of one engine.
enum Receiver {
    Postgres(PgEventListener),
    Nats(NatsEventFeed, LinkHealth),
}

/// The running bus: receiving side and relay.
pub struct RunningBus {
    receiver: Receiver,
    relay: PgOutboxRelay,
}

impl std::fmt::Debug for RunningBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningBus").finish_non_exhaustive()
    }
}

impl RunningBus {
    /// Starts receiving into `inbox` (subscribing as `interest` says, with NATS), then the relay:
    /// receiving first, so this instance hears the events its relay publishes for others.
    ///
    /// # Errors
    /// When the engine or the database cannot be reached.
    pub async fn start(
        config: &EventBusConfig,
        database_url: &str,
        inbox: Arc<PgEventInbox>,
        interest: &InterestIndex,
    ) -> anyhow::Result<Self> {
        match config.event_bus {
            EventBusEngine::Postgres => {
                let listener = PgEventListener::start(database_url, inbox)
                    .await
                    .context("cannot listen for events on the database")?;
                let relay = PgOutboxRelay::start(database_url, config.relay())
                    .await
                    .context("cannot start the outbox relay")?;
                Ok(Self {
                    receiver: Receiver::Postgres(listener),
                    relay,
                })
            }
            EventBusEngine::Nats => {
                let settings = NatsSettings {
                    stream: config.nats_stream.clone(),
                    subject_prefix: config.nats_subject_prefix.clone(),
                    retention: Duration::from_secs(config.event_bus_retention_seconds),
                    ..NatsSettings::new(config.nats_url.clone())
                };
                // The URL may carry a password: the error says what failed, not where.
                let bus = NatsEventBus::connect(settings)
                    .await
                    .context("cannot reach NATS JetStream (NATS_URL, EVENT_BUS=nats)")?;
                let feed = NatsEventFeed::start(&bus, Arc::new(interest.clone()), inbox);
                let health = LinkHealth::follow(&bus);
                let relay =
                    PgOutboxRelay::start_publishing_to(database_url, config.relay(), Arc::new(bus))
                        .await
                        .context("cannot start the outbox relay")?;
                tracing::info!(stream = %config.nats_stream, "events cross instances through NATS JetStream");
                Ok(Self {
                    receiver: Receiver::Nats(feed, health),
                    relay,
                })
            }
        }
    }

    /// The health of the receiving connection (the `LISTEN` connection, or the NATS client),
    /// for `/metrics`.
    pub fn receiving_health(&self) -> Arc<dyn ListenerProbe> {
        match &self.receiver {
            Receiver::Postgres(listener) => Arc::new(listener.health()),
            Receiver::Nats(_, health) => Arc::new(health.clone()),
        }
    }

    /// Publishes what the last commands left, then stops receiving.
    pub async fn stop(self) {
        self.relay.stop().await;
        match self.receiver {
            Receiver::Postgres(listener) => listener.stop().await,
            Receiver::Nats(feed, _) => feed.stop().await,
        }
    }
}
