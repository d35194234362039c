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

use anyhow::Context as _;
use hourglass_adapters_postgres::inbox::PgEventInbox;
use hourglass_adapters_postgres::listener::PgEventListener;
use hourglass_adapters_postgres::listener_health::ListenerHealth;
use hourglass_adapters_postgres::relay::PgOutboxRelay;
use hourglass_ports::service::interest::InterestIndex;

use crate::config::{EventBusConfig, EventBusEngine};

/// The running receiving side of one engine.
enum Receiver {
    Postgres(PgEventListener),
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
        let _interest = interest;
        match config.event_bus {
            EventBusEngine::Postgres | EventBusEngine::Nats => {
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
        }
    }

    /// The health of the PostgreSQL listening connection, for `/metrics` (`None` with NATS).
    pub fn listener_health(&self) -> Option<ListenerHealth> {
        match &self.receiver {
            Receiver::Postgres(listener) => Some(listener.health()),
        }
    }

    /// Publishes what the last commands left, then stops receiving.
    pub async fn stop(self) {
        self.relay.stop().await;
        match self.receiver {
            Receiver::Postgres(listener) => listener.stop().await,
        }
    }
}
