//! State-changing timer commands, run at most once per `request_id`.
//!
//! The contract (`timer-api.md`, "Envelope"): a command re-sent with a `request_id` whose command
//! already succeeded for this user within [`REMEMBER_SECONDS`] gets the original outcome again
//! without being applied twice; of two concurrent duplicates one applies and the other gets the
//! replay; a failed command is forgotten, so its retry runs again; a `request_id` names one
//! command, so reusing it for another kind of command is refused. [`CommandService::execute`]
//! is the one place these rules are decided.
//!
//! The storage half is atomic: the repository claims the key and records the outcome in the
//! command's own transaction ([`crate::processed`]), and answers either "applied" or "this key
//! already holds that outcome" ([`Idempotent`]). A failed command therefore leaves no trace to
//! clean up, and a duplicate waits inside the database for the first copy's transaction, not in
//! a polling loop here. What to make of a remembered outcome (a replay, or a refusal when it was
//! another kind of command) is decided here.
//!
//! The outcome is kept as domain data ([`RecordedOutcome`]): the edge renders a replay exactly as
//! it renders a first reply, in the asking connection's time zone.

use std::sync::Arc;

use hourglass_domain::ids::{TimerId, UserId};
use hourglass_domain::timer::{NewTimer, TimerChange, TimerCommand};
use thiserror::Error;

use crate::clock::Clock;
#[cfg(doc)]
use crate::processed::REMEMBER_SECONDS;
use crate::processed::{CommandKey, Idempotent, RecordedOutcome};
use crate::service::timer::TimerService;
use crate::timer::{InsertTimerError, TaggedTimer, TimerCommandError};

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

/// A command was not carried out; nothing was stored (its `request_id` included).
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
}

/// Runs the user's state-changing timer commands, each at most once per `request_id`.
#[derive(Clone)]
pub struct CommandService {
    timers: TimerService,
    clock: Arc<dyn Clock>,
}

impl CommandService {
    /// Wires the service: `timers` runs the commands and, for a command with a `request_id`,
    /// stores its outcome in the same transaction; `clock` says when a command runs.
    pub fn new(timers: TimerService, clock: Arc<dyn Clock>) -> Self {
        Self { timers, clock }
    }

    /// Runs `request` for `user`. With a `request_id` it runs at most once (see the module
    /// documentation); without one it simply runs.
    ///
    /// # Errors
    /// [`CommandError::Create`] and [`CommandError::Control`] as the command failed (storage
    /// included); [`CommandError::RequestIdReused`] when the `request_id` holds the outcome of
    /// another kind of command.
    pub async fn execute(
        &self,
        user: UserId,
        request_id: Option<&str>,
        request: TimerRequest,
    ) -> Result<Executed, CommandError> {
        let Some(request_id) = request_id else {
            return self.run(user, request).await.map(Executed::Applied);
        };
        let key = CommandKey {
            user,
            request_id: request_id.to_owned(),
            kind: request.kind(),
            now: self.clock.now(),
        };
        let done = match request {
            TimerRequest::Create(new) => {
                self.timers
                    .create_once(new, &key)
                    .await?
                    .map(|timer| CommandOutcome {
                        change: TimerChange::START,
                        timer,
                    })
            }
            TimerRequest::Control { timer_id, command } => self
                .timers
                .command_once(timer_id, command, &key)
                .await?
                .map(|timer| CommandOutcome {
                    change: TimerChange::from(command),
                    timer,
                }),
        };
        match done {
            Idempotent::Applied(outcome) => Ok(Executed::Applied(outcome)),
            Idempotent::Remembered(record) if record.command_type == key.kind => {
                Ok(Executed::Replayed(self.replayed(record.outcome).await))
            }
            Idempotent::Remembered(record) => Err(CommandError::RequestIdReused {
                used_for: record.command_type,
            }),
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
}

#[cfg(test)]
mod tests;
