//! The opaque `cursor` of paginated lists and the `X-Next-Cursor` header.
//!
//! A cursor is the keyset position after a page's last item: its `created_at` and id
//! ([`Cursor`]). On the wire it is 26 bytes written as 52 lower-case hex digits: a format version,
//! a kind byte (timers, schedules, todos, tags — so a schedule cursor passed to the timer list is
//! refused instead of silently skipping rows), the instant as big-endian Unix seconds and the
//! UUID. Clients must treat it as opaque; hex keeps it URL-safe without encoding. Anything that
//! does not decode is 400 `INVALID_PARAMETER` naming `cursor`.

use actix_web::HttpResponse;
use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId};
use hourglass_domain::time::Timestamp;
use hourglass_ports::page::Cursor;
use serde::Serialize;
use uuid::Uuid;

use crate::edge::query::{QueryError, QueryParams};

/// The response header that carries the next page's cursor (absent on the last page).
pub const NEXT_CURSOR_HEADER: &str = "X-Next-Cursor";

/// The wire format's version byte; a new layout gets a new one.
const FORMAT_VERSION: u8 = 1;
/// Version + kind + 8 bytes of seconds + 16 bytes of UUID.
const CURSOR_BYTES: usize = 26;

/// An id type a list pages by, with the kind byte that marks its cursors.
pub trait CursorId: Copy {
    /// Distinguishes the cursors of different lists.
    const KIND: u8;
    /// The UUID inside.
    fn to_uuid(self) -> Uuid;
    /// Wraps a UUID.
    fn from_uuid(raw: Uuid) -> Self;
}

macro_rules! cursor_id {
    ($id:ty, $kind:expr) => {
        impl CursorId for $id {
            const KIND: u8 = $kind;
            fn to_uuid(self) -> Uuid {
                self.get()
            }
            fn from_uuid(raw: Uuid) -> Self {
                <$id>::new(raw)
            }
        }
    };
}

cursor_id!(TimerId, 1);
cursor_id!(ScheduleId, 2);
cursor_id!(TodoId, 3);
cursor_id!(TagId, 4);

/// Writes `cursor` in the opaque wire form.
pub fn encode<Id: CursorId>(cursor: &Cursor<Id>) -> String {
    let mut bytes = Vec::with_capacity(CURSOR_BYTES);
    bytes.push(FORMAT_VERSION);
    bytes.push(Id::KIND);
    bytes.extend_from_slice(&cursor.created_at.unix_seconds().to_be_bytes());
    bytes.extend_from_slice(cursor.id.to_uuid().as_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a cursor written by [`encode`] for the same kind of list; `None` for anything else.
pub fn decode<Id: CursorId>(raw: &str) -> Option<Cursor<Id>> {
    // Hex digits only: `u8::from_str_radix` alone would also take a sign (`+f`), accepting
    // cursors that are not the form `encode` writes.
    if raw.len() != CURSOR_BYTES * 2 || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = (0..CURSOR_BYTES)
        .map(|i| u8::from_str_radix(&raw[i * 2..i * 2 + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let (header, rest) = bytes.split_at(2);
    if header != [FORMAT_VERSION, Id::KIND] {
        return None;
    }
    let (seconds, uuid) = rest.split_at(8);
    let seconds = i64::from_be_bytes(seconds.try_into().ok()?);
    let created_at = Timestamp::from_unix_seconds(seconds)?;
    let id = Uuid::from_slice(uuid).ok()?;
    Some(Cursor {
        created_at,
        id: Id::from_uuid(id),
    })
}

/// The `cursor` parameter of a list request: `None` for the first page.
///
/// # Errors
/// [`QueryError::Invalid`] naming `cursor` when it is repeated or does not decode.
pub fn from_query<Id: CursorId>(params: &QueryParams) -> Result<Option<Cursor<Id>>, QueryError> {
    let Some(raw) = params.single("cursor")? else {
        return Ok(None);
    };
    decode(raw.trim()).map(Some).ok_or_else(|| {
        QueryError::invalid(
            "cursor",
            "cursor is not valid: pass the X-Next-Cursor value of the previous page unchanged",
        )
    })
}

/// A 200 answer with a page as a JSON array and, unless it is the last page, `X-Next-Cursor`.
pub fn page_response<T: Serialize, Id: CursorId>(
    items: Vec<T>,
    next: Option<Cursor<Id>>,
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(next) = next {
        response.insert_header((NEXT_CURSOR_HEADER, encode(&next)));
    }
    response.json(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(seconds: i64, id: u128) -> Cursor<TimerId> {
        let Some(created_at) = Timestamp::from_unix_seconds(seconds) else {
            panic!("in range")
        };
        Cursor {
            created_at,
            id: TimerId::new(Uuid::from_u128(id)),
        }
    }

    #[test]
    fn round_trips() {
        for (seconds, id) in [(1_769_594_400, 0x0194_4f2a), (0, 0), (-86_400, u128::MAX)] {
            let original = cursor(seconds, id);
            let text = encode(&original);
            assert_eq!(text.len(), 52);
            assert!(text.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
            assert_eq!(decode::<TimerId>(&text), Some(original));
        }
    }

    #[test]
    fn refuses_garbage_and_truncation() {
        let good = encode(&cursor(1_769_594_400, 7));
        for bad in [
            "",
            "abc",
            &good[..50],
            &format!("{good}00"),
            &good.replace(|c: char| c.is_ascii_digit(), "z"),
            "€€€€€€€€€€€€€€€€€€€€€€€€€€",
        ] {
            assert_eq!(decode::<TimerId>(bad), None, "{bad}");
        }
    }

    #[test]
    fn refuses_another_lists_cursor_and_another_version() {
        let timer_cursor = encode(&cursor(1_769_594_400, 7));
        assert_eq!(decode::<ScheduleId>(&timer_cursor), None);
        let other_version = format!("02{}", &timer_cursor[2..]);
        assert_eq!(decode::<TimerId>(&other_version), None);
    }

    /// Found with the `rest_query` fuzz target (fuzz/regressions/rest_query): a sign inside a
    /// byte pair (`+1` reads as 1) was accepted, so a cursor other than the written one decoded.
    #[test]
    fn only_the_written_hex_form_decodes() {
        let text = encode(&cursor(1_769_594_400, 7));
        let signed = format!("+1{}", &text[2..]);
        assert_eq!(signed.len(), text.len());
        assert_eq!(decode::<TimerId>(&signed), None);
        let params = QueryParams::parse(&format!("cursor=%2B1{}", &text[2..]));
        assert!(from_query::<TimerId>(&params).is_err());
    }

    #[test]
    fn upper_case_hex_is_read_too() {
        let original = cursor(1_769_594_400, 0xabcdef);
        let upper = encode(&original).to_ascii_uppercase();
        assert_eq!(decode::<TimerId>(&upper), Some(original));
    }

    #[test]
    fn a_bad_cursor_parameter_names_cursor() {
        let params = QueryParams::parse("cursor=nope");
        let Err(error) = from_query::<TimerId>(&params) else {
            panic!("must be refused")
        };
        assert!(matches!(
            error,
            QueryError::Invalid {
                param: "cursor",
                ..
            }
        ));
        assert_eq!(from_query::<TimerId>(&QueryParams::parse("")), Ok(None));
    }
}
