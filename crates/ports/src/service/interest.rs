//! Which users' events this instance needs: the [`Interest`] that keeps an event bus from
//! handing every instance every event.
//!
//! An instance cares about a user's **timer** events while that user has a timer WebSocket
//! connection here (their own devices), or while one of their friends has (the friend is shown
//! `timer.friend_activity`). It cares about a user's **notification** events while that user has
//! a notification stream here. Everything else it is never handed: the PostgreSQL engine drops
//! such events before loading anything for them, and the NATS engine never subscribes to them.
//!
//! Each subject is counted: the user's own connections count once (however many), and each
//! online friend counts once more; the subject is gained at the first count and lost at the
//! last, and only those transitions reach the watchers (an engine subscribing per subject).
//!
//! Friend lists are read from storage when a user's first connection opens, and again when a
//! follow of theirs changes ([`InterestIndex::follow_changed`]) or events may have been missed
//! ([`InterestIndex::refresh`]). Until the first read returns, the user's friends are not
//! counted: a friend's activity in that instant reaches the new connection through its
//! `timer.friends_snapshot`, read after the connection registered.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use hourglass_domain::ids::UserId;
use tokio::sync::Notify;

use crate::bus::{Interest, InterestWatcher, Subject};
use crate::follow::FollowRepository;

/// The subjects this instance's connections care about; a cheap clone around shared state.
#[derive(Clone)]
pub struct InterestIndex {
    inner: Arc<Inner>,
}

struct Inner {
    follows: Arc<dyn FollowRepository>,
    state: Mutex<State>,
    watchers: RwLock<Vec<Arc<dyn InterestWatcher>>>,
    /// Woken whenever a friend-list read ends or a subscription is confirmed (see
    /// [`InterestIndex::ready`]).
    read_ended: Notify,
}

#[derive(Default)]
struct State {
    /// Users with timer connections here: how many, and the friends counted for them.
    viewers: HashMap<UserId, Viewer>,
    /// Users with notification streams here, and how many.
    streams: HashMap<UserId, usize>,
    /// Why each subject is cared about, counted.
    counts: HashMap<Subject, usize>,
    /// Bumped by every friend-list read that starts, so an older answer never replaces a newer.
    reads: u64,
    /// Whether a watcher confirms its subscriptions ([`InterestWatcher::confirms`]).
    confirming: bool,
    /// Subjects gained and not yet confirmed by that watcher.
    unconfirmed: HashSet<Subject>,
}

#[derive(Default)]
struct Viewer {
    connections: usize,
    /// The friends counted for this viewer.
    friends: Vec<UserId>,
    /// The read whose answer may still be applied.
    pending: Option<u64>,
}

/// What a change of counts did to the subjects: the transitions the watchers hear.
#[derive(Default)]
struct Transitions {
    gained: Vec<Subject>,
    lost: Vec<Subject>,
}

impl State {
    /// Whether a connection of `user` must still wait (see [`InterestIndex::ready`]).
    fn waits_for(&self, user: UserId) -> bool {
        let viewer = self.viewers.get(&user);
        if viewer.is_some_and(|viewer| viewer.pending.is_some()) {
            return true;
        }
        if self.unconfirmed.is_empty() {
            return false;
        }
        let friends = viewer
            .map(|viewer| viewer.friends.as_slice())
            .unwrap_or(&[]);
        [Subject::timers(user), Subject::notifications(user)]
            .into_iter()
            .chain(friends.iter().map(|friend| Subject::timers(*friend)))
            .any(|subject| self.unconfirmed.contains(&subject))
    }

    fn add(&mut self, subject: Subject, transitions: &mut Transitions) {
        let count = self.counts.entry(subject).or_insert(0);
        *count += 1;
        if *count == 1 {
            transitions.gained.push(subject);
        }
    }

    fn remove(&mut self, subject: Subject, transitions: &mut Transitions) {
        if let Some(count) = self.counts.get_mut(&subject) {
            *count -= 1;
            if *count == 0 {
                self.counts.remove(&subject);
                transitions.lost.push(subject);
            }
        }
    }
}

impl std::fmt::Debug for InterestIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterestIndex").finish_non_exhaustive()
    }
}

impl InterestIndex {
    /// An empty index reading friend lists from `follows`.
    pub fn new(follows: Arc<dyn FollowRepository>) -> Self {
        Self {
            inner: Arc::new(Inner {
                follows,
                state: Mutex::new(State::default()),
                watchers: RwLock::new(Vec::new()),
                read_ended: Notify::new(),
            }),
        }
    }

    /// A timer connection of `user` opened here. The first one makes the user's timer events,
    /// and (once their friend list is read, in the background) their friends', cared about.
    pub fn viewer_joined(&self, user: UserId) {
        let mut transitions = Transitions::default();
        let read = {
            let mut state = self.lock();
            let first = {
                let viewer = state.viewers.entry(user).or_default();
                viewer.connections += 1;
                viewer.connections == 1
            };
            if first {
                state.add(Subject::timers(user), &mut transitions);
                self.tell(&mut state, transitions);
                Some(self.start_read(&mut state, user))
            } else {
                None
            }
        };
        if let Some(read) = read {
            self.spawn_read(user, read);
        }
    }

    /// A timer connection of `user` closed here.
    pub fn viewer_left(&self, user: UserId) {
        let mut transitions = Transitions::default();
        {
            let mut state = self.lock();
            let Some(viewer) = state.viewers.get_mut(&user) else {
                return;
            };
            viewer.connections -= 1;
            if viewer.connections == 0 {
                let friends = state
                    .viewers
                    .remove(&user)
                    .map(|viewer| viewer.friends)
                    .unwrap_or_default();
                for friend in friends {
                    state.remove(Subject::timers(friend), &mut transitions);
                }
                state.remove(Subject::timers(user), &mut transitions);
            }
            self.tell(&mut state, transitions);
        }
    }

    /// A notification stream of `user` opened here.
    pub fn stream_opened(&self, user: UserId) {
        let mut transitions = Transitions::default();
        {
            let mut state = self.lock();
            let count = state.streams.entry(user).or_insert(0);
            *count += 1;
            if *count == 1 {
                state.add(Subject::notifications(user), &mut transitions);
            }
            self.tell(&mut state, transitions);
        }
    }

    /// A notification stream of `user` closed here.
    pub fn stream_closed(&self, user: UserId) {
        let mut transitions = Transitions::default();
        {
            let mut state = self.lock();
            let Some(count) = state.streams.get_mut(&user) else {
                return;
            };
            *count -= 1;
            if *count == 0 {
                state.streams.remove(&user);
                state.remove(Subject::notifications(user), &mut transitions);
            }
            self.tell(&mut state, transitions);
        }
    }

    /// A follow between `a` and `b` was made or removed: the friend lists of whichever of them
    /// is connected here are read again.
    pub fn follow_changed(&self, a: UserId, b: UserId) {
        for user in [a, b] {
            let read = {
                let mut state = self.lock();
                if state.viewers.contains_key(&user) {
                    Some(self.start_read(&mut state, user))
                } else {
                    None
                }
            };
            if let Some(read) = read {
                self.spawn_read(user, read);
            }
        }
    }

    /// Events may have been missed: every connected viewer's friend list is read again.
    pub fn refresh(&self) {
        let reads: Vec<(UserId, u64)> = {
            let mut state = self.lock();
            let users: Vec<UserId> = state.viewers.keys().copied().collect();
            users
                .into_iter()
                .map(|user| (user, self.start_read(&mut state, user)))
                .collect()
        };
        for (user, read) in reads {
            self.spawn_read(user, read);
        }
    }

    /// Marks a friend-list read of `user` as the one whose answer counts.
    fn start_read(&self, state: &mut State, user: UserId) -> u64 {
        state.reads += 1;
        let read = state.reads;
        if let Some(viewer) = state.viewers.get_mut(&user) {
            viewer.pending = Some(read);
        }
        read
    }

    /// Reads `user`'s friends on the current runtime and applies them (see
    /// [`InterestIndex::apply_friends`]).
    fn spawn_read(&self, user: UserId, read: u64) {
        let index = self.clone();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no runtime to read a friend list on; friends' activity not received");
            return;
        };
        runtime.spawn(async move {
            match index.inner.follows.friend_ids(user).await {
                Ok(friends) => index.apply_friends(user, read, friends),
                Err(error) => {
                    tracing::warn!(%error, user = %user,
                        "friend list unavailable; friends' activity not received until it is read");
                    index.read_failed(user, read);
                }
            }
        });
    }

    /// Waits until the friend list of `user`, a viewer here, has been read (or its read
    /// failed), and a confirming engine receives `user`'s subjects and their friends', at most
    /// `limit`: a connection waits for it before it reads what it first sends, so no event
    /// committed after that read can pass this instance by.
    pub async fn ready(&self, user: UserId, limit: std::time::Duration) {
        let waited = tokio::time::timeout(limit, async {
            loop {
                let ended = self.inner.read_ended.notified();
                let mut ended = std::pin::pin!(ended);
                ended.as_mut().enable();
                if !self.lock().waits_for(user) {
                    return;
                }
                ended.await;
            }
        })
        .await;
        if waited.is_err() {
            tracing::warn!(user = %user, "friend list still unread; going on without it");
        }
    }

    /// Read `read` of `user`'s friends failed: the previous list stays counted.
    fn read_failed(&self, user: UserId, read: u64) {
        {
            let mut state = self.lock();
            if let Some(viewer) = state.viewers.get_mut(&user)
                && viewer.pending == Some(read)
            {
                viewer.pending = None;
            }
        }
        self.inner.read_ended.notify_waiters();
    }

    /// `friends` is what read `read` found for `user`: counted instead of the previous list,
    /// unless the user left or a newer read started meanwhile.
    pub(crate) fn apply_friends(&self, user: UserId, read: u64, mut friends: Vec<UserId>) {
        friends.sort_unstable();
        friends.dedup();
        friends.retain(|friend| *friend != user);
        let mut transitions = Transitions::default();
        let mut state = self.lock();
        let Some(viewer) = state.viewers.get_mut(&user) else {
            return;
        };
        if viewer.pending != Some(read) {
            return;
        }
        viewer.pending = None;
        let previous = std::mem::replace(&mut viewer.friends, friends.clone());
        // Add before removing, so a friend on both lists is never lost for an instant.
        for friend in &friends {
            state.add(Subject::timers(*friend), &mut transitions);
        }
        for friend in previous {
            state.remove(Subject::timers(friend), &mut transitions);
        }
        self.tell(&mut state, transitions);
        // Waiters check under the lock, so they see the list applied.
        self.inner.read_ended.notify_waiters();
    }

    /// Tells the watchers; called with the state locked, so every watcher hears the
    /// transitions of one subject in the order they happened.
    fn tell(&self, state: &mut State, transitions: Transitions) {
        if transitions.gained.is_empty() && transitions.lost.is_empty() {
            return;
        }
        if state.confirming {
            state.unconfirmed.extend(transitions.gained.iter().copied());
            for subject in &transitions.lost {
                state.unconfirmed.remove(subject);
            }
        }
        let watchers = self
            .inner
            .watchers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for watcher in &watchers {
            for subject in &transitions.gained {
                watcher.gained(*subject);
            }
            for subject in &transitions.lost {
                watcher.lost(*subject);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Interest for InterestIndex {
    fn subscribed(&self, subject: Subject) {
        self.lock().unconfirmed.remove(&subject);
        self.inner.read_ended.notify_waiters();
    }

    fn cares_about(&self, subject: Subject) -> bool {
        self.lock().counts.contains_key(&subject)
    }

    fn subjects(&self) -> Vec<Subject> {
        let mut subjects: Vec<Subject> = self.lock().counts.keys().copied().collect();
        subjects.sort_unstable();
        subjects
    }

    fn watch(&self, watcher: Arc<dyn InterestWatcher>) {
        if watcher.confirms() {
            self.lock().confirming = true;
        }
        self.inner
            .watchers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(watcher);
    }
}

#[cfg(test)]
mod tests;
