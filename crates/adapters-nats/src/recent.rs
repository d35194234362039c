//! A bounded memory of the ids a subject already handed to the inbox.

use std::collections::{HashSet, VecDeque};

/// The last `capacity` ids seen, so a repeat (a republished batch outside the broker's dedupe
/// window, a redelivery after a consumer was recreated) is dropped without growing memory.
#[derive(Debug)]
pub struct RecentIds {
    capacity: usize,
    order: VecDeque<i64>,
    seen: HashSet<i64>,
}

impl RecentIds {
    /// Remembers up to `capacity` ids (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            order: VecDeque::with_capacity(capacity),
            seen: HashSet::with_capacity(capacity),
        }
    }

    /// Records `id`; `false` when it was already among the remembered ones.
    pub fn insert(&mut self, id: i64) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_is_refused_and_memory_stays_bounded() {
        let mut recent = RecentIds::new(2);
        assert!(recent.insert(1));
        assert!(!recent.insert(1));
        assert!(recent.insert(2));
        assert!(recent.insert(3));
        // 1 was forgotten to stay within two ids.
        assert!(recent.insert(1));
        assert!(!recent.insert(3));
        assert!(recent.seen.len() <= 2 && recent.order.len() <= 2);
    }
}
