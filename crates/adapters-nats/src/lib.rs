//! The NATS JetStream engine of the event bus between Hourglass instances (issue 22).
//!
//! It implements the ports of `hourglass_ports::bus`: [`NatsEventBus`] is the relay's
//! [`EventSink`](hourglass_ports::bus::EventSink) (per-user subjects `<prefix>.u.<user>.t|n` in
//! one stream, deduplicated by outbox id), and [`NatsEventFeed`] consumes the subjects this
//! instance's [`Interest`](hourglass_ports::bus::Interest) names and hands each message to the
//! [`BusInbox`](hourglass_ports::bus::BusInbox) in per-subject order. Payloads are opaque.
//!
//! Dependency rule (`scripts/arch.sh`): this crate depends on the ports, the domain, async-nats
//! and the async runtime only; never on diesel, actix, or the other adapters and the server.

mod bus;
mod error;
mod feed;
mod health;
mod recent;
mod settings;
mod subjects;

pub use bus::NatsEventBus;
pub use error::NatsError;
pub use feed::{FeedHealth, NatsEventFeed};
pub use health::LinkHealth;
pub use settings::{MAX_DUPLICATE_WINDOW, NatsSettings};
pub use subjects::{SubjectNames, message_id, outbox_id};
