//! The opaque `cursor` of the `/api/v1` lists, whose items have numeric ids (users, meetups,
//! notifications).
//!
//! Like the timer lists' cursor ([`crate::http::rest::cursor`]) it is the keyset position after a
//! page's last item, `created_at` (whole seconds) and id, written as lower-case hex: a format
//! version, a kind byte (so a follower cursor passed to the notification list is refused rather
//! than silently skipping rows), the seconds and the id, both big-endian. Anything that does not
//! decode is 400 `INVALID_PARAMETER` naming `cursor`.

use actix_web::HttpResponse;
use hourglass_domain::ids::{MeetupId, NotificationId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_ports::page::Cursor;
use serde::Serialize;

use crate::http::rest::cursor::NEXT_CURSOR_HEADER;
use crate::edge::query::{QueryError, QueryParams};

/// The wire format's version byte.
const FORMAT_VERSION: u8 = 1;
/// Version + kind + 8 bytes of seconds + 8 bytes of id.
const CURSOR_BYTES: usize = 18;

/// Which list a cursor belongs to. The id type alone cannot tell: followers, following and
/// friends all page users, by different orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `GET /api/v1/users/{id}/followers`.
    Followers = 0x11,
    /// `GET /api/v1/users/{id}/following`.
    Following = 0x12,
    /// `GET /api/v1/users/me/friends`.
    Friends = 0x13,
    /// `GET /api/v1/meetups`.
    Meetups = 0x14,
    /// `GET /api/v1/notifications`.
    Notifications = 0x15,
}

/// A numeric id a list pages by.
pub trait NumericId: Copy {
    /// The raw value.
    fn raw(self) -> i64;
    /// Wraps a raw value.
    fn wrap(raw: i64) -> Self;
}

macro_rules! numeric_id {
    ($id:ty) => {
        impl NumericId for $id {
            fn raw(self) -> i64 {
                self.get()
            }
            fn wrap(raw: i64) -> Self {
                <$id>::new(raw)
            }
        }
    };
}

numeric_id!(UserId);
numeric_id!(MeetupId);
numeric_id!(NotificationId);

/// Writes `cursor` of a `kind` list in the opaque wire form.
pub fn encode<Id: NumericId>(kind: ListKind, cursor: &Cursor<Id>) -> String {
    let mut bytes = Vec::with_capacity(CURSOR_BYTES);
    bytes.push(FORMAT_VERSION);
    bytes.push(kind as u8);
    bytes.extend_from_slice(&cursor.created_at.unix_seconds().to_be_bytes());
    bytes.extend_from_slice(&cursor.id.raw().to_be_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a cursor written by [`encode`] for the same `kind`; `None` for anything else.
pub fn decode<Id: NumericId>(kind: ListKind, raw: &str) -> Option<Cursor<Id>> {
    // Hex digits only: `u8::from_str_radix` alone would also take a sign (`+f`), accepting
    // cursors that are not the form `encode` writes.
    if raw.len() != CURSOR_BYTES * 2 || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = (0..CURSOR_BYTES)
        .map(|i| u8::from_str_radix(raw.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let (header, rest) = bytes.split_at(2);
    if header != [FORMAT_VERSION, kind as u8] {
        return None;
    }
    let (seconds, id) = rest.split_at(8);
    let created_at = Timestamp::from_unix_seconds(i64::from_be_bytes(seconds.try_into().ok()?))?;
    Some(Cursor {
        created_at,
        id: Id::wrap(i64::from_be_bytes(id.try_into().ok()?)),
    })
}

/// The `cursor` parameter of a `kind` list: `None` for the first page.
///
/// # Errors
/// [`QueryError::Invalid`] naming `cursor` when it is repeated or does not decode.
pub fn from_query<Id: NumericId>(
    kind: ListKind,
    params: &QueryParams,
) -> Result<Option<Cursor<Id>>, QueryError> {
    let Some(raw) = params.single("cursor")? else {
        return Ok(None);
    };
    decode(kind, raw.trim()).map(Some).ok_or_else(|| {
        QueryError::invalid(
            "cursor",
            "cursor is not valid: pass the X-Next-Cursor value of the previous page unchanged",
        )
    })
}

/// A 200 answer with a page as a JSON array and, unless it is the last page, `X-Next-Cursor`.
pub fn page_response<T: Serialize, Id: NumericId>(
    kind: ListKind,
    items: &[T],
    next: Option<Cursor<Id>>,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(next) = next {
        response.insert_header((NEXT_CURSOR_HEADER, encode(kind, &next)));
    }
    response.json(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(seconds: i64, id: i64) -> Cursor<UserId> {
        let Some(created_at) = Timestamp::from_unix_seconds(seconds) else {
            panic!("in range")
        };
        Cursor {
            created_at,
            id: UserId::new(id),
        }
    }

    #[test]
    fn round_trips_and_is_bound_to_its_list() {
        for (seconds, id) in [(1_769_594_400, 7), (0, 0), (-86_400, i64::MAX)] {
            let original = cursor(seconds, id);
            let text = encode(ListKind::Followers, &original);
            assert_eq!(text.len(), 36);
            assert_eq!(decode(ListKind::Followers, &text), Some(original));
            assert_eq!(decode::<UserId>(ListKind::Friends, &text), None);
        }
    }

    #[test]
    fn garbage_is_refused() {
        for raw in ["", "zz", &"0".repeat(36), "é".repeat(18).as_str()] {
            assert_eq!(decode::<UserId>(ListKind::Followers, raw), None, "{raw}");
        }
    }

    /// Found with the `rest_query` fuzz target (fuzz/regressions/rest_query): a sign inside a
    /// byte pair (`+1` reads as 1) was accepted, so a cursor other than the written one decoded.
    #[test]
    fn only_the_written_hex_form_decodes() {
        let text = encode(ListKind::Followers, &cursor(1_769_594_400, 7));
        let signed = format!("+1{}", &text[2..]);
        assert_eq!(signed.len(), text.len());
        assert_eq!(decode::<UserId>(ListKind::Followers, &signed), None);
        assert_eq!(
            decode::<UserId>(ListKind::Followers, &text.to_ascii_uppercase()),
            Some(cursor(1_769_594_400, 7))
        );
    }
}
