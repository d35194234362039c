//! The hub: the registry of open connections and the in-process [`EventPublisher`].
//!
//! PLACEHOLDER (being replaced in this change): publishes nowhere yet.

use async_trait::async_trait;
use hourglass_ports::event::{DomainEvent, EventPublisher, PublishError};

/// The connection registry and fan-out.
#[derive(Clone, Default)]
pub struct Hub;

#[async_trait]
impl EventPublisher for Hub {
    async fn publish(&self, _event: DomainEvent) -> Result<(), PublishError> {
        Ok(())
    }
}
