//! Paging of every REST list: the page-size limits, the opaque `cursor` and `X-Next-Cursor`.
//!
//! # Limits
//! `limit` defaults to [`DEFAULT_LIMIT`] on every list. Timer lists accept up to
//! [`TIMER_LIST_MAX_LIMIT`] and every other list up to [`MAX_LIMIT`]: the two contracts give
//! different maximums (`timer-api.md`, "REST": "at most 200 for timers, 100 elsewhere";
//! `notifications-sse.md`: `limit (≤ 100)`).
//!
//! # Cursor
//! A cursor is the keyset position after a page's last item: its `created_at` in whole seconds
//! and its id ([`Cursor`]). On the wire it is hex of a format version byte, a byte naming the
//! list, the seconds as a big-endian `i64` and the id: the 16 bytes of a UUID for the lists of
//! the timer API, a big-endian `i64` for the numeric ids of users, meetups and notifications —
//! 52 or 36 hex digits. The list byte makes a cursor of one list (a schedule cursor, a follower
//! cursor) a refusal on another instead of silently skipping rows; the id type alone cannot tell
//! followers, following and friends apart. Clients treat the cursor as opaque; hex keeps it
//! URL-safe without encoding. Anything that does not decode is 400 `INVALID_PARAMETER` naming
//! `cursor`.
//!
//! Every list is a [`List`] constant ([`TIMERS`], [`FOLLOWERS`], …) carrying its list byte, its
//! largest `limit` and, in its type, the id it pages by: a list's cursors can only be read back
//! as that id.

use std::fmt;
use std::marker::PhantomData;

use actix_web::HttpResponse;
use hourglass_domain::ids::{MeetupId, NotificationId, ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_ports::page::{Cursor, PageRequest};
use serde::Serialize;
use uuid::Uuid;

use crate::edge::query::{QueryError, QueryParams};

/// Page size when a list request has no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest `limit` of the timer lists (`/timers`, `/schedules/{id}/timers`, `/todos/{id}/timers`).
pub const TIMER_LIST_MAX_LIMIT: u32 = 200;
/// Largest `limit` of every other list: schedules, todos, tags, followers, following, friends,
/// meetups and notifications.
pub const MAX_LIMIT: u32 = 100;

/// The response header that carries the next page's cursor (absent on the last page).
pub const NEXT_CURSOR_HEADER: &str = "X-Next-Cursor";

/// The wire format's version byte; a new layout gets a new one.
const FORMAT_VERSION: u8 = 1;
/// Version, list byte and the seconds, before the id.
const HEADER_BYTES: usize = 2 + 8;

/// A paginated list: the byte that marks its cursors, its largest `limit`, and (as `Id`) what it
/// pages by.
pub struct List<Id> {
    tag: u8,
    max_limit: u32,
    id: PhantomData<fn() -> Id>,
}

impl<Id> List<Id> {
    const fn new(tag: u8, max_limit: u32) -> Self {
        Self {
            tag,
            max_limit,
            id: PhantomData,
        }
    }

    /// The largest `limit` this list accepts.
    pub const fn max_limit(&self) -> u32 {
        self.max_limit
    }
}

// By hand: a derive would require `Id: Clone` and `Id: Debug`, which a marker does not need.
impl<Id> Clone for List<Id> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Id> Copy for List<Id> {}

impl<Id> fmt::Debug for List<Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("tag", &self.tag)
            .field("max_limit", &self.max_limit)
            .finish()
    }
}

/// `GET /v1/timers` and the timers of a schedule or todo.
pub const TIMERS: List<TimerId> = List::new(0x01, TIMER_LIST_MAX_LIMIT);
/// `GET /v1/schedules`.
pub const SCHEDULES: List<ScheduleId> = List::new(0x02, MAX_LIMIT);
/// `GET /v1/todos`.
pub const TODOS: List<TodoId> = List::new(0x03, MAX_LIMIT);
/// `GET /v1/tags`.
pub const TAGS: List<TagId> = List::new(0x04, MAX_LIMIT);
/// `GET /api/v1/users/{id}/followers`.
pub const FOLLOWERS: List<UserId> = List::new(0x11, MAX_LIMIT);
/// `GET /api/v1/users/{id}/following`.
pub const FOLLOWING: List<UserId> = List::new(0x12, MAX_LIMIT);
/// `GET /api/v1/users/me/friends`.
pub const FRIENDS: List<UserId> = List::new(0x13, MAX_LIMIT);
/// `GET /api/v1/users/me/friends/active`; its cursor's instant is the timer's `updated_at`
/// (the list is ordered by last change), its id the timer's.
pub const FRIENDS_ACTIVE: List<TimerId> = List::new(0x16, MAX_LIMIT);
/// `GET /api/v1/meetups`.
pub const MEETUPS: List<MeetupId> = List::new(0x14, MAX_LIMIT);
/// `GET /api/v1/notifications`.
pub const NOTIFICATIONS: List<NotificationId> = List::new(0x15, MAX_LIMIT);

/// An id a list pages by, as a cursor writes it.
pub trait CursorKey: Copy {
    /// How many bytes the id takes.
    const BYTES: usize;
    /// Appends the id's bytes to `out`.
    fn write(self, out: &mut Vec<u8>);
    /// The id in exactly [`Self::BYTES`] bytes; `None` for any other length.
    fn read(bytes: &[u8]) -> Option<Self>;
}

macro_rules! uuid_key {
    ($($id:ty),*) => {$(
        impl CursorKey for $id {
            const BYTES: usize = 16;
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(self.get().as_bytes());
            }
            fn read(bytes: &[u8]) -> Option<Self> {
                Uuid::from_slice(bytes).ok().map(<$id>::new)
            }
        }
    )*};
}

macro_rules! numeric_key {
    ($($id:ty),*) => {$(
        impl CursorKey for $id {
            const BYTES: usize = 8;
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.get().to_be_bytes());
            }
            fn read(bytes: &[u8]) -> Option<Self> {
                Some(<$id>::new(i64::from_be_bytes(bytes.try_into().ok()?)))
            }
        }
    )*};
}

uuid_key!(TimerId, ScheduleId, TodoId, TagId);
numeric_key!(UserId, MeetupId, NotificationId);

/// Writes `cursor` of `list` in the opaque wire form (lower-case hex).
pub fn encode<Id: CursorKey>(list: List<Id>, cursor: &Cursor<Id>) -> String {
    let mut bytes = Vec::with_capacity(HEADER_BYTES + Id::BYTES);
    bytes.push(FORMAT_VERSION);
    bytes.push(list.tag);
    bytes.extend_from_slice(&cursor.created_at.unix_seconds().to_be_bytes());
    cursor.id.write(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a cursor that [`encode`] wrote for the same `list` (hex digits in either case); `None`
/// for anything else.
pub fn decode<Id: CursorKey>(list: List<Id>, raw: &str) -> Option<Cursor<Id>> {
    // Hex digits only: `u8::from_str_radix` alone would also take a sign (`+f`), accepting
    // cursors that are not the form `encode` writes.
    let len = HEADER_BYTES + Id::BYTES;
    if raw.len() != len * 2 || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = (0..len)
        .map(|i| u8::from_str_radix(raw.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let (header, rest) = bytes.split_at(2);
    if header != [FORMAT_VERSION, list.tag] {
        return None;
    }
    let (seconds, id) = rest.split_at(8);
    let created_at = Timestamp::from_unix_seconds(i64::from_be_bytes(seconds.try_into().ok()?))
        .and_then(crate::edge::query::accepted)?;
    Some(Cursor {
        created_at,
        id: Id::read(id)?,
    })
}

/// The `cursor` parameter of a `list` request: `None` for the first page.
///
/// # Errors
/// [`QueryError::Invalid`] naming `cursor` when it is repeated or does not decode.
pub fn cursor<Id: CursorKey>(
    list: List<Id>,
    params: &QueryParams,
) -> Result<Option<Cursor<Id>>, QueryError> {
    let Some(raw) = params.single("cursor")? else {
        return Ok(None);
    };
    decode(list, raw.trim()).map(Some).ok_or_else(|| {
        QueryError::invalid(
            "cursor",
            "cursor is not valid: pass the X-Next-Cursor value of the previous page unchanged",
        )
    })
}

/// `limit` (within the list's bounds) and `cursor` of a `list` request, in that order.
///
/// # Errors
/// [`QueryError::Invalid`] naming `limit` or `cursor`.
pub fn page_request<Id: CursorKey>(
    list: List<Id>,
    params: &QueryParams,
) -> Result<PageRequest<Id>, QueryError> {
    Ok(PageRequest {
        limit: params.limit(DEFAULT_LIMIT, list.max_limit)?,
        after: cursor(list, params)?,
    })
}

/// A 200 answer with a page as a JSON array and, unless it is the last page, `X-Next-Cursor`.
pub fn page_response<Id: CursorKey, T: Serialize>(
    list: List<Id>,
    items: &[T],
    next: Option<Cursor<Id>>,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(next) = next {
        response.insert_header((NEXT_CURSOR_HEADER, encode(list, &next)));
    }
    response.json(items)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(seconds: i64) -> Timestamp {
        let Some(t) = Timestamp::from_unix_seconds(seconds) else {
            panic!("{seconds} is in range")
        };
        t
    }

    fn timer_cursor(seconds: i64, id: u128) -> Cursor<TimerId> {
        Cursor {
            created_at: at(seconds),
            id: TimerId::new(Uuid::from_u128(id)),
        }
    }

    fn user_cursor(seconds: i64, id: i64) -> Cursor<UserId> {
        Cursor {
            created_at: at(seconds),
            id: UserId::new(id),
        }
    }

    /// The bytes every cursor handed out so far carries: a change here breaks the cursors
    /// clients hold.
    #[test]
    fn the_wire_form_is_fixed() {
        assert_eq!(
            encode(
                TIMERS,
                &timer_cursor(1_769_594_400, 0x0194_4f2a_0000_7000_8000_0000_0000_0001)
            ),
            "0101000000006979de2001944f2a000070008000000000000001"
        );
        assert_eq!(
            encode(
                TAGS,
                &Cursor {
                    created_at: at(-86_400),
                    id: TagId::new(Uuid::from_u128(u128::MAX)),
                }
            ),
            "0104fffffffffffeae80ffffffffffffffffffffffffffffffff"
        );
        assert_eq!(
            encode(
                NOTIFICATIONS,
                &Cursor {
                    created_at: at(1_769_594_400),
                    id: NotificationId::new(7),
                }
            ),
            "0115000000006979de200000000000000007"
        );
        assert_eq!(
            encode(FOLLOWERS, &user_cursor(0, i64::MAX)),
            "011100000000000000007fffffffffffffff"
        );
    }

    #[test]
    fn the_list_bytes_are_fixed_and_distinct() {
        let uuid_lists = [TIMERS.tag, SCHEDULES.tag, TODOS.tag, TAGS.tag];
        let numeric_lists = [
            FOLLOWERS.tag,
            FOLLOWING.tag,
            FRIENDS.tag,
            MEETUPS.tag,
            NOTIFICATIONS.tag,
        ];
        assert_eq!(uuid_lists, [0x01, 0x02, 0x03, 0x04]);
        assert_eq!(numeric_lists, [0x11, 0x12, 0x13, 0x14, 0x15]);
    }

    #[test]
    fn limits_follow_the_contracts() {
        assert_eq!(TIMERS.max_limit(), 200);
        for max in [
            SCHEDULES.max_limit(),
            TODOS.max_limit(),
            TAGS.max_limit(),
            FOLLOWERS.max_limit(),
            FOLLOWING.max_limit(),
            FRIENDS.max_limit(),
            MEETUPS.max_limit(),
            NOTIFICATIONS.max_limit(),
        ] {
            assert_eq!(max, 100);
        }
        let Ok(page) = page_request(TAGS, &QueryParams::parse("")) else {
            panic!("no parameters is the first page")
        };
        assert_eq!((page.limit, page.after), (50, None));
        assert!(page_request(TAGS, &QueryParams::parse("limit=101")).is_err());
        assert!(page_request(TIMERS, &QueryParams::parse("limit=200")).is_ok());
        assert!(page_request(TIMERS, &QueryParams::parse("limit=201")).is_err());
    }

    #[test]
    fn refuses_garbage_and_truncation() {
        let good = encode(TIMERS, &timer_cursor(1_769_594_400, 7));
        for bad in [
            "",
            "abc",
            &good[..50],
            &format!("{good}00"),
            &good.replace(|c: char| c.is_ascii_digit(), "z"),
            "€€€€€€€€€€€€€€€€€€€€€€€€€€",
        ] {
            assert_eq!(decode(TIMERS, bad), None, "{bad}");
        }
        for raw in ["", "zz", &"0".repeat(36), "é".repeat(18).as_str()] {
            assert_eq!(decode(FOLLOWERS, raw), None, "{raw}");
        }
    }

    #[test]
    fn refuses_another_lists_cursor_and_another_version() {
        let timer = encode(TIMERS, &timer_cursor(1_769_594_400, 7));
        assert_eq!(decode(SCHEDULES, &timer), None);
        assert_eq!(decode(TIMERS, &format!("02{}", &timer[2..])), None);
        let follower = encode(FOLLOWERS, &user_cursor(1_769_594_400, 7));
        assert_eq!(decode(FRIENDS, &follower), None);
        assert_eq!(decode(FOLLOWING, &follower), None);
        assert_eq!(decode(MEETUPS, &follower), None);
        // A numeric cursor has another length than a UUID one: refused before the list byte.
        assert_eq!(decode(TIMERS, &follower), None);
    }

    /// Found with the `rest_query` fuzz target (fuzz/regressions/rest_query): a sign inside a
    /// byte pair (`+1` reads as 1) was accepted, so a cursor other than the written one decoded.
    #[test]
    fn only_the_written_hex_form_decodes() {
        let text = encode(TIMERS, &timer_cursor(1_769_594_400, 7));
        let signed = format!("+1{}", &text[2..]);
        assert_eq!(signed.len(), text.len());
        assert_eq!(decode(TIMERS, &signed), None);
        let params = QueryParams::parse(&format!("cursor=%2B1{}", &text[2..]));
        assert!(cursor(TIMERS, &params).is_err());

        let text = encode(FOLLOWERS, &user_cursor(1_769_594_400, 7));
        assert_eq!(decode(FOLLOWERS, &format!("+1{}", &text[2..])), None);
    }

    #[test]
    fn upper_case_hex_is_read_too() {
        let original = timer_cursor(1_769_594_400, 0xabcdef);
        let upper = encode(TIMERS, &original).to_ascii_uppercase();
        assert_eq!(decode(TIMERS, &upper), Some(original));
        let original = user_cursor(1_769_594_400, 7);
        let upper = encode(FOLLOWERS, &original).to_ascii_uppercase();
        assert_eq!(decode(FOLLOWERS, &upper), Some(original));
    }

    #[test]
    fn a_bad_cursor_parameter_names_cursor() {
        for raw in ["cursor=nope", "cursor=a&cursor=b"] {
            let Err(error) = cursor(MEETUPS, &QueryParams::parse(raw)) else {
                panic!("{raw} must be refused")
            };
            assert!(
                matches!(
                    error,
                    QueryError::Invalid {
                        param: "cursor",
                        ..
                    }
                ),
                "{raw}"
            );
        }
        assert_eq!(cursor(TIMERS, &QueryParams::parse("")), Ok(None));
    }

    proptest! {
        #[test]
        fn round_trips(seconds in -62_135_596_800_i64..253_402_300_799, uuid: u128, id: i64) {
            let timer = timer_cursor(seconds, uuid);
            let text = encode(TIMERS, &timer);
            prop_assert_eq!(text.len(), 52);
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            prop_assert_eq!(decode(TIMERS, &text), Some(timer));

            let user = user_cursor(seconds, id);
            let text = encode(FRIENDS, &user);
            prop_assert_eq!(text.len(), 36);
            prop_assert_eq!(decode(FRIENDS, &text), Some(user));
        }
    }
}
