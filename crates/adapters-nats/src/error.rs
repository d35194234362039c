//! What can go wrong setting the bus up.

use thiserror::Error;

/// Connecting to NATS or preparing the stream failed.
#[derive(Debug, Error)]
pub enum NatsError {
    /// The server did not accept the connection.
    #[error("cannot connect to NATS at {url}")]
    Connect {
        /// The URL tried.
        url: String,
        /// Why.
        #[source]
        source: async_nats::ConnectError,
    },
    /// The stream could not be created, read or updated.
    #[error("cannot prepare JetStream stream {stream}: {reason}")]
    Stream {
        /// Its name.
        stream: String,
        /// The server's or client's answer.
        reason: String,
    },
}
