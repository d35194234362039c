//! The failure every storage operation can have, whatever it does.
//!
//! Operation errors (e.g. [`crate::timer::TimerCommandError`]) name the cases callers branch on
//! and wrap this one for the rest, so adapters map "database down" to 503 and "value refused" to
//! a client error in one place.

use thiserror::Error;

/// Any error, boxed, as the source of an opaque failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A storage failure no caller can act on, except by retrying later or reporting it.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The database cannot be reached (connection refused, pool exhausted, timeout): retry later.
    #[error("storage unavailable")]
    Unavailable(#[source] BoxError),
    /// The database refused a value the request carried: a data exception or an integrity
    /// violation (SQLSTATE classes 22 and 23) that no operation error names. A backstop behind
    /// the edge's validation: the request is at fault, and repeating it fails the same way.
    #[error("storage refused a value")]
    Rejected(#[source] BoxError),
    /// Anything else: a bug, corrupt data, a broken invariant.
    #[error("storage failure")]
    Unknown(#[source] BoxError),
}
