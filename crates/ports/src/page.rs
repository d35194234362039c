//! Keyset pagination: newest first, by `created_at` then id, descending.

use hourglass_domain::time::Timestamp;

/// The position after the last item of a page: the next page holds items strictly older.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor<Id> {
    /// `created_at` of the last item returned.
    pub created_at: Timestamp,
    /// Id of the last item returned; breaks ties between equal `created_at`.
    pub id: Id,
}

/// How many items, starting after which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest<Id> {
    /// At most this many items (the adapter enforces the contract's maximum).
    pub limit: u32,
    /// Start after this item; `None` for the first page.
    pub after: Option<Cursor<Id>>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, Id> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<Cursor<Id>>,
}
