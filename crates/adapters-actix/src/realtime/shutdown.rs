//! The shutdown flag every long-lived connection obeys: raised once, seen by WebSocket
//! connections and SSE streams alike, including those that open afterwards.

use tokio::sync::watch;

/// A flag that turns `true` once, when the server shuts down; a cheap clone.
#[derive(Debug, Clone)]
pub struct Shutdown {
    flag: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self {
            flag: watch::channel(false).0,
        }
    }
}

impl Shutdown {
    /// Raises the flag: every connection, present and future, finishes what it is doing and
    /// closes (WebSocket 1001, SSE streams end).
    pub fn close_all(&self) {
        self.flag.send_replace(true);
    }

    /// A receiver of the flag.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.flag.subscribe()
    }
}
