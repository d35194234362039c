//! The friend lists the delivery service remembers for `timer.friend_activity`.
//!
//! Looking an actor's friends up again for every state change cost each command an extra pool
//! checkout and a join on `follows` (docs/benchmarks.md). Friendships change rarely, and every
//! change is announced (`DomainEvent::FollowChanged`, in-process on the instance that made it and
//! through the database on the others), so the service keeps each actor's list until a follow of
//! theirs changes, and forgets everything when events may have been missed (the cross-instance
//! listener reconnected).
//!
//! A look-up that started before a change and returns after it must not store its stale answer:
//! every forget bumps a generation, and an answer is kept only when no forget happened while it
//! was being fetched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hourglass_domain::ids::UserId;

/// Lists kept at most; past this the cache starts over rather than grow with every user who
/// ever acted (remote actors are never "offline" here, so nothing else would evict them).
const MAX_REMEMBERED: usize = 100_000;

/// Remembered friend ids per user.
#[derive(Debug, Default)]
pub(crate) struct FriendCache {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    lists: HashMap<UserId, Arc<[UserId]>>,
    /// Bumped by every forget; see the module documentation.
    generation: u64,
}

impl FriendCache {
    /// `user`'s friends, if remembered.
    pub(crate) fn get(&self, user: UserId) -> Option<Arc<[UserId]>> {
        self.lock().lists.get(&user).cloned()
    }

    /// The current generation; pass it to [`FriendCache::remember`] with what was fetched
    /// after reading it.
    pub(crate) fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps `friends` as `user`'s list unless something was forgotten since `fetched_at`
    /// (then the list may predate that change).
    pub(crate) fn remember(&self, user: UserId, friends: Arc<[UserId]>, fetched_at: u64) {
        let mut state = self.lock();
        if state.generation != fetched_at {
            return;
        }
        if state.lists.len() >= MAX_REMEMBERED {
            state.lists.clear();
        }
        state.lists.insert(user, friends);
    }

    /// A follow between `a` and `b` changed: both lists may be wrong now.
    pub(crate) fn forget(&self, a: UserId, b: UserId) {
        let mut state = self.lock();
        state.lists.remove(&a);
        state.lists.remove(&b);
        state.generation = state.generation.wrapping_add(1);
    }

    /// `user`'s follow changes may stop arriving: forget their list.
    pub(crate) fn forget_user(&self, user: UserId) {
        let mut state = self.lock();
        state.lists.remove(&user);
        state.generation = state.generation.wrapping_add(1);
    }

    /// Changes may have been missed: forget every list.
    pub(crate) fn forget_all(&self) {
        let mut state = self.lock();
        state.lists.clear();
        state.generation = state.generation.wrapping_add(1);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: UserId = UserId::new(1);
    const BOB: UserId = UserId::new(2);
    const CAROL: UserId = UserId::new(3);

    fn list(ids: &[UserId]) -> Arc<[UserId]> {
        ids.into()
    }

    #[test]
    fn a_remembered_list_is_returned_until_a_follow_of_that_user_changes() {
        let cache = FriendCache::default();
        assert!(cache.get(ALICE).is_none());
        cache.remember(ALICE, list(&[BOB]), cache.generation());
        cache.remember(CAROL, list(&[]), cache.generation());
        assert_eq!(cache.get(ALICE).as_deref(), Some(&[BOB][..]));
        // Bob unfollows Alice: both sides forget, Carol's list stays.
        cache.forget(BOB, ALICE);
        assert!(cache.get(ALICE).is_none());
        assert_eq!(cache.get(CAROL).as_deref(), Some(&[][..]));
        cache.forget_all();
        assert!(cache.get(CAROL).is_none());
    }

    #[test]
    fn an_answer_fetched_across_a_change_is_not_kept() {
        let cache = FriendCache::default();
        let fetched_at = cache.generation();
        // While Alice's friends were being read, a follow changed.
        cache.forget(BOB, CAROL);
        cache.remember(ALICE, list(&[BOB]), fetched_at);
        assert!(cache.get(ALICE).is_none());
        let fetched_at = cache.generation();
        cache.forget_all();
        cache.remember(ALICE, list(&[BOB]), fetched_at);
        assert!(cache.get(ALICE).is_none());
    }

    #[test]
    fn the_cache_starts_over_instead_of_growing_past_its_bound() {
        let cache = FriendCache::default();
        for id in 0..i64::try_from(MAX_REMEMBERED).unwrap_or(i64::MAX) {
            cache.remember(UserId::new(id), list(&[]), cache.generation());
        }
        cache.remember(UserId::new(1_000_000), list(&[BOB]), cache.generation());
        assert_eq!(cache.lock().lists.len(), 1);
    }
}
