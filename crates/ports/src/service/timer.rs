//! Timer use cases.

use std::collections::HashMap;
use std::sync::Arc;

use hourglass_domain::ids::{TagId, TimerId, UserId};
use hourglass_domain::planning::Tag;
use hourglass_domain::timer::{NewTimer, Timer, TimerChange, TimerCommand, TimerPatch};
use hourglass_domain::validation::Visibility;
use thiserror::Error;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::event::{DomainEvent, EventPublisher};
use crate::id::IdGenerator;
use crate::page::{Page, PageRequest};
use crate::planning::TagRepository;
use crate::processed::{CommandKey, Idempotent};
use crate::timer::{
    DeleteTimerError, FriendTimer, InsertTimerError, TaggedTimer, TimerCommandError, TimerFilter,
    TimerListQuery, TimerRepository, TimerScope, UpdateTimerError,
};

/// `timer.sync` with `scope: "all"` returns at most this many timers.
pub const SYNC_ALL_LIMIT: u32 = 200;

/// Reading one timer failed.
#[derive(Debug, Error)]
pub enum TimerReadError {
    /// No such timer, or the caller may not read it (indistinguishable on purpose).
    #[error("timer not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Which timers `timer.sync` without `timer_id` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncScope {
    /// RUNNING and PAUSED, newest first.
    #[default]
    Active,
    /// The newest [`SYNC_ALL_LIMIT`] of any status.
    All,
}

/// The timer use cases for a signed-in user.
#[derive(Clone)]
pub struct TimerService {
    timers: Arc<dyn TimerRepository>,
    /// Tags are loaded once per change, for the reply and every receiver alike.
    tags: Arc<dyn TagRepository>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl TimerService {
    /// Wires the service to its ports.
    pub fn new(
        timers: Arc<dyn TimerRepository>,
        tags: Arc<dyn TagRepository>,
        publisher: Arc<dyn EventPublisher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            timers,
            tags,
            publisher,
            clock,
            ids,
        }
    }

    /// Starts a new timer now and announces `start`; returns it with its tags.
    ///
    /// # Errors
    /// [`InsertTimerError::UnknownLink`] for a schedule, todo or tag that is not the owner's.
    pub async fn create(&self, new: NewTimer) -> Result<TaggedTimer, InsertTimerError> {
        let id = TimerId::new(self.ids.new_uuid());
        let timer = Timer::start(id, new, self.clock.now());
        self.timers.insert(&timer).await?;
        Ok(self.announced(TimerChange::START, timer).await)
    }

    /// [`TimerService::create`] sent with a `request_id`: starts the timer at `key.now` and
    /// stores its outcome under `key` in the same transaction
    /// ([`TimerRepository::insert_once`]). Announces `start` only when it was applied; an
    /// outcome the key already held comes back as it is (the caller decides about replays).
    ///
    /// # Errors
    /// [`InsertTimerError::UnknownLink`] for a schedule, todo or tag that is not the owner's;
    /// [`InsertTimerError::Storage`]. Nothing is stored, the key included.
    pub async fn create_once(
        &self,
        new: NewTimer,
        key: &CommandKey,
    ) -> Result<Idempotent<TaggedTimer>, InsertTimerError> {
        let id = TimerId::new(self.ids.new_uuid());
        let timer = Timer::start(id, new, key.now);
        Ok(match self.timers.insert_once(&timer, key).await? {
            Idempotent::Applied(()) => {
                Idempotent::Applied(self.announced(TimerChange::START, timer).await)
            }
            Idempotent::Remembered(recorded) => Idempotent::Remembered(recorded),
        })
    }

    /// Pauses, resumes, stops or cancels the owner's timer now, then announces it.
    ///
    /// # Errors
    /// [`TimerCommandError::NotFound`] for a missing or foreign timer,
    /// [`TimerCommandError::Rejected`] when the state machine refuses.
    pub async fn command(
        &self,
        owner: UserId,
        id: TimerId,
        command: TimerCommand,
    ) -> Result<TaggedTimer, TimerCommandError> {
        let timer = self
            .timers
            .apply_command(owner, id, command, self.clock.now())
            .await?;
        Ok(self.announced(TimerChange::from(command), timer).await)
    }

    /// [`TimerService::command`] sent with a `request_id`: applies it to `key.user`'s timer at
    /// `key.now` and stores its outcome under `key` in the same transaction
    /// ([`TimerRepository::apply_command_once`]). Announces the change only when it was
    /// applied; an outcome the key already held comes back as it is.
    ///
    /// # Errors
    /// When the key holds no outcome: [`TimerCommandError::NotFound`] for a missing or foreign
    /// timer, [`TimerCommandError::Rejected`] when the state machine refuses;
    /// [`TimerCommandError::Storage`]. Nothing is stored, the key included.
    pub async fn command_once(
        &self,
        id: TimerId,
        command: TimerCommand,
        key: &CommandKey,
    ) -> Result<Idempotent<TaggedTimer>, TimerCommandError> {
        Ok(
            match self.timers.apply_command_once(id, command, key).await? {
                Idempotent::Applied(timer) => {
                    Idempotent::Applied(self.announced(TimerChange::from(command), timer).await)
                }
                Idempotent::Remembered(recorded) => Idempotent::Remembered(recorded),
            },
        )
    }

    /// The owner's own timer (WebSocket `timer.sync` with `timer_id`).
    ///
    /// # Errors
    /// [`TimerReadError::NotFound`] for a missing or foreign timer.
    pub async fn own(&self, owner: UserId, id: TimerId) -> Result<TaggedTimer, TimerReadError> {
        match self.timers.find(id).await? {
            Some(timer) if timer.owner_id() == owner => {
                let tags = self.tags_among(owner, timer.tag_ids()).await?;
                Ok(TaggedTimer::new(timer, tags))
            }
            _ => Err(TimerReadError::NotFound),
        }
    }

    /// A timer the viewer may read: their own, a friend's `friends`/`public` one, or anyone's
    /// `public` one.
    ///
    /// # Errors
    /// [`TimerReadError::NotFound`] when missing or not readable.
    pub async fn readable(&self, viewer: UserId, id: TimerId) -> Result<Timer, TimerReadError> {
        let Some(timer) = self.timers.find(id).await? else {
            return Err(TimerReadError::NotFound);
        };
        let owner = timer.owner_id();
        let needs_friendship = owner != viewer && timer.visibility() == Visibility::Friends;
        let are_friends = needs_friendship && self.timers.are_friends(viewer, owner).await?;
        if timer.readable_by(viewer, are_friends) {
            Ok(timer)
        } else {
            Err(TimerReadError::NotFound)
        }
    }

    /// The timers `timer.sync` returns without `timer_id`.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn sync(
        &self,
        owner: UserId,
        scope: SyncScope,
    ) -> Result<Vec<TaggedTimer>, StorageError> {
        let timers = match scope {
            SyncScope::Active => self.timers.list_active(owner).await?,
            SyncScope::All => {
                let query = TimerListQuery {
                    viewer: owner,
                    filter: TimerFilter {
                        scope: TimerScope::Mine,
                        ..TimerFilter::default()
                    },
                    page: PageRequest {
                        limit: SYNC_ALL_LIMIT,
                        after: None,
                    },
                };
                self.timers.list(&query).await?.items
            }
        };
        // One look-up for the tags of the whole list.
        let mut ids: Vec<TagId> = timers.iter().flat_map(|t| t.tag_ids().to_vec()).collect();
        ids.sort_unstable();
        ids.dedup();
        let tags: HashMap<TagId, Tag> = self
            .tags_among(owner, &ids)
            .await?
            .into_iter()
            .map(|tag| (tag.id, tag))
            .collect();
        Ok(timers
            .into_iter()
            .map(|timer| {
                let own = timer
                    .tag_ids()
                    .iter()
                    .filter_map(|id| tags.get(id).cloned())
                    .collect();
                TaggedTimer::new(timer, own)
            })
            .collect())
    }

    /// The owner's newest RUNNING or PAUSED timer, if any.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn newest_active(&self, owner: UserId) -> Result<Option<Timer>, StorageError> {
        Ok(self.timers.list_active(owner).await?.into_iter().next())
    }

    /// One page of a timer list.
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn list(&self, query: &TimerListQuery) -> Result<Page<Timer, TimerId>, StorageError> {
        self.timers.list(query).await
    }

    /// Changes the owner's timer's metadata; announces `update` only if something changed.
    ///
    /// # Errors
    /// [`UpdateTimerError::NotFound`], [`UpdateTimerError::UnknownLink`].
    pub async fn patch(
        &self,
        owner: UserId,
        id: TimerId,
        patch: TimerPatch,
    ) -> Result<Timer, UpdateTimerError> {
        let patched = self
            .timers
            .update_details(owner, id, patch, self.clock.now())
            .await?;
        if patched.changed {
            let tagged = self.tagged(patched.timer.clone()).await;
            self.announce_change(TimerChange::Details, &tagged).await;
        }
        if patched.hidden_from_friends {
            let event = DomainEvent::TimerHidden {
                timer: patched.timer.clone(),
                actor_name: None,
            };
            super::announce(&self.publisher, event).await;
        }
        Ok(patched.timer)
    }

    /// One page of `viewer`'s friends' RUNNING and PAUSED timers that friends may see, with
    /// their owners and tags, most recently changed first (`GET /api/v1/users/me/friends/active`
    /// and `timer.friends_snapshot`).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn friends_active(
        &self,
        viewer: UserId,
        page: PageRequest<TimerId>,
    ) -> Result<Page<FriendTimer<TaggedTimer>, TimerId>, StorageError> {
        let found = self.timers.list_friends_active(viewer, page).await?;
        let mut items = Vec::with_capacity(found.items.len());
        // One tag look-up per timer: a page holds at most 100, usually a handful.
        for FriendTimer { friend, timer } in found.items {
            let timer = self.tagged(timer).await;
            items.push(FriendTimer { friend, timer });
        }
        Ok(Page {
            items,
            next: found.next,
        })
    }

    /// Deletes the owner's timer and announces it to the owner's devices.
    ///
    /// # Errors
    /// [`DeleteTimerError::NotFound`].
    pub async fn delete(&self, owner: UserId, id: TimerId) -> Result<(), DeleteTimerError> {
        self.timers.delete(owner, id).await?;
        super::announce(
            &self.publisher,
            DomainEvent::TimerDeleted {
                owner,
                timer_id: id,
            },
        )
        .await;
        Ok(())
    }

    /// Announces timers changed as a side effect (a linked schedule, todo or tag was deleted).
    pub async fn announce_updates(&self, timers: Vec<Timer>) {
        for timer in timers {
            let tagged = self.tagged(timer).await;
            self.announce_change(TimerChange::Details, &tagged).await;
        }
    }

    /// The owner's tags among `ids`; no round trip when there are none.
    async fn tags_among(&self, owner: UserId, ids: &[TagId]) -> Result<Vec<Tag>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.tags.find_many(owner, ids).await
    }

    /// `timer` with its tags, after its change committed ([`TaggedTimer::load`]).
    pub async fn tagged(&self, timer: Timer) -> TaggedTimer {
        TaggedTimer::load(timer, self.tags.as_ref()).await
    }

    /// A committed change's timer with its tags, announced.
    async fn announced(&self, change: TimerChange, timer: Timer) -> TaggedTimer {
        let tagged = self.tagged(timer).await;
        self.announce_change(change, &tagged).await;
        tagged
    }

    async fn announce_change(&self, change: TimerChange, timer: &TaggedTimer) {
        let event = DomainEvent::TimerChanged {
            actor: timer.timer.owner_id(),
            change,
            timer: timer.clone(),
            actor_name: None,
        };
        super::announce(&self.publisher, event).await;
    }
}

#[cfg(test)]
mod tests;
