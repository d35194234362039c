//! State-changing timer commands, run at most once per `request_id`.
//!
//! The contract (`timer-api.md`, "Envelope"): a command re-sent with a `request_id` whose command
//! already succeeded for this user within [`REMEMBER_SECONDS`] gets the original outcome again
//! without being applied twice; of two concurrent duplicates one applies and the other gets the
//! replay; a failed command is forgotten, so its retry runs again; a `request_id` names one
//! command, so reusing it for another kind of command is refused. [`CommandService::execute`]
//! is the one place these rules are decided.
//!
//! The outcome is kept as domain data ([`RecordedOutcome`]): the edge renders a replay exactly as
//! it renders a first reply, in the asking connection's time zone.

use std::sync::Arc;
use std::time::Duration;

use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::timer::{NewTimer, TimerChange, TimerCommand};
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
#[cfg(doc)]
use crate::processed::REMEMBER_SECONDS;
use crate::processed::{
    ProcessedCommandRepository, RecordedOutcome, Reservation, STALE_RESERVATION_SECONDS,
};
use crate::service::timer::TimerService;
use crate::timer::{InsertTimerError, TaggedTimer, TimerCommandError};

/// Between two looks at a `request_id` that another connection is still working on.
const DUPLICATE_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How long a duplicate waits for the first copy of its command to finish before giving up.
const DUPLICATE_WAIT: Duration = Duration::from_secs(10);

/// First wait before trying again to release a failed command's `request_id`; doubled per
/// failure up to [`RELEASE_RETRY_MAX`].
const RELEASE_RETRY_MIN: Duration = Duration::from_millis(250);

/// Longest wait between two attempts to release a failed command's `request_id`.
const RELEASE_RETRY_MAX: Duration = Duration::from_secs(4);

/// A state-changing timer command, as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerRequest {
    /// Start a new timer.
    Create(NewTimer),
    /// Pause, resume, stop or cancel one of the user's timers.
    Control {
        /// Which timer.
        timer_id: TimerId,
        /// What to do.
        command: TimerCommand,
    },
}

impl TimerRequest {
    /// The kind of request (`create`, `pause`, …): a `request_id` is bound to one kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Create(_) => "create",
            Self::Control { command, .. } => command.as_str(),
        }
    }
}

/// What a successful command did, with the timer as every device is shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutcome {
    /// What changed.
    pub change: TimerChange,
    /// The timer as the command left it, with its tags.
    pub timer: TaggedTimer,
}

/// How a command was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Executed {
    /// It ran now.
    Applied(CommandOutcome),
    /// It had already run under this `request_id`: the recorded outcome, not applied again.
    Replayed(CommandOutcome),
}

impl Executed {
    /// The outcome, first or replayed.
    pub fn outcome(&self) -> &CommandOutcome {
        match self {
            Self::Applied(outcome) | Self::Replayed(outcome) => outcome,
        }
    }
}

/// A command was not carried out; nothing was stored.
#[derive(Debug, Error)]
pub enum CommandError {
    /// Creating the timer failed (a link that is not the user's, or storage).
    #[error(transparent)]
    Create(#[from] InsertTimerError),
    /// The timer is missing or foreign, the state machine refused, or storage failed.
    #[error(transparent)]
    Control(#[from] TimerCommandError),
    /// The `request_id` already names a command of another kind.
    #[error("this request_id was already used for a {used_for} command; use a new request_id")]
    RequestIdReused {
        /// The kind it was used for ([`TimerRequest::kind`]).
        used_for: String,
    },
    /// Another copy of this command is still running after [`DUPLICATE_WAIT`].
    #[error("a command with this request_id is still in progress; retry later")]
    StillInProgress,
    /// The `request_id` bookkeeping itself failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Runs the user's state-changing timer commands, each at most once per `request_id`.
#[derive(Clone)]
pub struct CommandService {
    timers: TimerService,
    processed: Arc<dyn ProcessedCommandRepository>,
    clock: Arc<dyn Clock>,
}

impl CommandService {
    /// Wires the service: `timers` runs the commands, `processed` remembers their outcomes.
    pub fn new(
        timers: TimerService,
        processed: Arc<dyn ProcessedCommandRepository>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            timers,
            processed,
            clock,
        }
    }

    /// Runs `request` for `user`. With a `request_id` it runs at most once (see the module
    /// documentation); without one it simply runs.
    ///
    /// # Errors
    /// [`CommandError::Create`] and [`CommandError::Control`] as the command failed;
    /// [`CommandError::RequestIdReused`], [`CommandError::StillInProgress`] and
    /// [`CommandError::Storage`] from the `request_id` bookkeeping.
    pub async fn execute(
        &self,
        user: UserId,
        request_id: Option<&str>,
        request: TimerRequest,
    ) -> Result<Executed, CommandError> {
        let Some(request_id) = request_id else {
            return self.run(user, request).await.map(Executed::Applied);
        };
        let kind = request.kind();
        if let Some(replay) = self.reserve(user, request_id, kind).await? {
            return Ok(Executed::Replayed(replay));
        }
        match self.run(user, request).await {
            Ok(outcome) => {
                self.record(user, request_id, &outcome).await;
                Ok(Executed::Applied(outcome))
            }
            Err(error) => {
                self.release(user, request_id).await;
                Err(error)
            }
        }
    }

    /// Takes the key for a command of `kind`: `None` once it is the caller's, or the recorded
    /// outcome of the same command to replay.
    async fn reserve(
        &self,
        user: UserId,
        request_id: &str,
        kind: &str,
    ) -> Result<Option<CommandOutcome>, CommandError> {
        let give_up = tokio::time::Instant::now() + DUPLICATE_WAIT;
        loop {
            let reservation = self
                .processed
                .reserve(user, request_id, kind, self.clock.now())
                .await?;
            match reservation {
                Reservation::Reserved => return Ok(None),
                Reservation::Completed(record) if record.command_type == kind => {
                    return Ok(Some(self.replayed(record.outcome).await));
                }
                Reservation::InProgress { command_type } if command_type == kind => {
                    if tokio::time::Instant::now() >= give_up {
                        return Err(CommandError::StillInProgress);
                    }
                    tokio::time::sleep(DUPLICATE_POLL_INTERVAL).await;
                }
                Reservation::Completed(record) => {
                    return Err(CommandError::RequestIdReused {
                        used_for: record.command_type,
                    });
                }
                Reservation::InProgress { command_type } => {
                    return Err(CommandError::RequestIdReused {
                        used_for: command_type,
                    });
                }
            }
        }
    }

    async fn run(
        &self,
        user: UserId,
        request: TimerRequest,
    ) -> Result<CommandOutcome, CommandError> {
        Ok(match request {
            TimerRequest::Create(new) => CommandOutcome {
                change: TimerChange::START,
                timer: self.timers.create(new).await?,
            },
            TimerRequest::Control { timer_id, command } => CommandOutcome {
                change: TimerChange::from(command),
                timer: self.timers.command(user, timer_id, command).await?,
            },
        })
    }

    /// A recorded outcome with the recorded timer's current tags (labels are not history).
    async fn replayed(&self, recorded: RecordedOutcome) -> CommandOutcome {
        CommandOutcome {
            change: recorded.change,
            timer: self.timers.tagged(recorded.timer).await,
        }
    }

    /// Stores what the command did. Failing here does not undo the committed change: a retry
    /// would then run the command again, which the state machine refuses for every command but
    /// a create.
    async fn record(&self, user: UserId, request_id: &str, outcome: &CommandOutcome) {
        let recorded = RecordedOutcome {
            change: outcome.change,
            timer: outcome.timer.timer.clone(),
        };
        if let Err(error) = self
            .processed
            .complete(user, request_id, &recorded, self.clock.now())
            .await
        {
            tracing::warn!(%error, "cannot record a command's outcome; a retry would run it again");
        }
    }

    /// Forgets the reservation of a failed command so that its retry runs again.
    async fn release(&self, user: UserId, request_id: &str) {
        if let Err(error) = self.processed.release(user, request_id).await {
            // Typically the database went away mid-command. Left alone, the reservation would
            // only expire after STALE_RESERVATION_SECONDS, and the client's retry (which the
            // contract asks for) would wait and be refused until then, long after the database
            // is back.
            tracing::warn!(%error,
                "cannot release a failed command's request_id; retrying in the background");
            tokio::spawn(release_until_done(
                self.processed.clone(),
                user,
                request_id.to_owned(),
                RELEASE_RETRY_MIN,
                Duration::from_secs(STALE_RESERVATION_SECONDS.unsigned_abs()),
            ));
        }
    }
}

/// Releases `request_id` of `user`, retrying with backoff (from `first_wait`) until it works or
/// `give_up` has passed (the reservation is stale by then and taken over anyway); whether it was
/// released.
async fn release_until_done(
    processed: Arc<dyn ProcessedCommandRepository>,
    user: UserId,
    request_id: String,
    first_wait: Duration,
    give_up: Duration,
) -> bool {
    let started = tokio::time::Instant::now();
    let mut wait = first_wait;
    loop {
        tokio::time::sleep(wait).await;
        match processed.release(user, &request_id).await {
            Ok(()) => {
                tracing::info!(%user, "released a failed command's request_id after retrying");
                return true;
            }
            Err(_) if started.elapsed() + wait >= give_up => {
                tracing::warn!(%user, "gave up releasing a failed command's request_id");
                return false;
            }
            Err(_) => wait = (wait * 2).min(RELEASE_RETRY_MAX),
        }
    }
}

#[cfg(test)]
mod tests;
