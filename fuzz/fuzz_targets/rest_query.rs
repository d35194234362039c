//! REST query strings: `QueryParams::parse` and every accessor the list handlers call on it.
//!
//! Input: a raw query string (what actix hands the handlers as `query_string()`).
//!
//! Properties: nothing panics; every `INVALID_PARAMETER` message names its parameter; `limit` is
//! within `1..=max`; enumerations hold no duplicates; a plain date's start is not after its end,
//! and a datetime reads the same at either edge; an accepted datetime is written back by the
//! renderer as a string that parses to the same instant; a cursor that decodes is exactly the
//! canonical form `encode` writes (case aside) and is refused by every other list kind.

#![no_main]

use hourglass_adapters_actix::edge::error::ApiError;
use hourglass_adapters_actix::http::rest::cursor::{self, CursorId};
use hourglass_adapters_actix::edge::query::{
    DayEdge, QueryError, QueryParams, parse_datetime, parse_instant,
};
use hourglass_adapters_actix::http::rest::render::{TagMode, ViewOptions};
use hourglass_adapters_actix::http::social::cursor::{self as social_cursor, ListKind, NumericId};
use hourglass_adapters_actix::edge::timezone::RenderZone;
use hourglass_domain::ids::{MeetupId, NotificationId, ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::TimerStatus;
use libfuzzer_sys::fuzz_target;

/// What the list handlers pass to `limit`.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let params = QueryParams::parse(query);
    assert_eq!(
        QueryParams::parse(query),
        params,
        "parsing is deterministic"
    );

    let statuses = params.enum_list("status", "RUNNING, PAUSED, COMPLETED, CANCELLED", |raw| {
        raw.parse::<TimerStatus>().ok()
    });
    if let Ok(statuses) = &statuses {
        for (i, status) in statuses.iter().enumerate() {
            assert!(!statuses[..i].contains(status), "duplicate {status}");
        }
        assert!(statuses.len() <= params.list("status").len());
    }
    check(statuses.map(drop), "status");
    check(
        params.enum_value("scope", "mine, shared, all", |raw| {
            ["mine", "shared", "all"]
                .into_iter()
                .find(|name| name.eq_ignore_ascii_case(raw))
        }),
        "scope",
    );
    check(
        params.enum_value("type", "independent, schedule, todo", |raw| {
            ["independent", "schedule", "todo"]
                .into_iter()
                .find(|name| name.eq_ignore_ascii_case(raw))
        }),
        "type",
    );
    check(
        params.enum_value("tag_include_mode", TagMode::ALLOWED, TagMode::parse),
        "tag_include_mode",
    );
    for name in ["include_schedule", "include_todo", "unreadOnly"] {
        check(params.flag(name), name);
    }

    match params.limit(DEFAULT_LIMIT, MAX_LIMIT) {
        Ok(limit) => assert!((1..=MAX_LIMIT).contains(&limit), "{limit}"),
        Err(error) => assert_names(&error, "limit"),
    }

    let zone = params.timezone();
    if let Err(error) = &zone {
        match error {
            QueryError::Timezone(_) => {}
            QueryError::Invalid { .. } => assert_names(error, "timezone"),
        }
    }
    let view = ViewOptions::from_query(&params);
    if let (Ok(view), Ok(zone)) = (&view, &zone) {
        assert_eq!(view.zone, *zone);
    }
    drop(view.map_err(ApiError::from));
    let zone = zone.unwrap_or_default();
    for name in ["start_date", "end_date"] {
        check_instant(&params, name, &zone);
    }

    check_cursor::<TimerId>(&params);
    check_cursor::<ScheduleId>(&params);
    check_cursor::<TodoId>(&params);
    check_cursor::<TagId>(&params);
    check_social_cursor::<UserId>(&params, ListKind::Followers);
    check_social_cursor::<UserId>(&params, ListKind::Following);
    check_social_cursor::<UserId>(&params, ListKind::Friends);
    check_social_cursor::<MeetupId>(&params, ListKind::Meetups);
    check_social_cursor::<NotificationId>(&params, ListKind::Notifications);
});

fn check<T>(result: Result<T, QueryError>, name: &str) {
    if let Err(error) = result {
        assert_names(&error, name);
        drop(ApiError::from(error));
    }
}

fn assert_names(error: &QueryError, name: &str) {
    match error {
        QueryError::Invalid { param, message } => {
            assert_eq!(*param, name);
            assert!(message.contains(name), "{message:?} does not name {name}");
        }
        QueryError::Timezone(_) => panic!("{name}: unexpected timezone error"),
    }
}

fn check_instant(params: &QueryParams, name: &'static str, zone: &RenderZone) {
    let start = params.instant(name, zone, DayEdge::Start);
    let end = params.instant(name, zone, DayEdge::End);
    for result in [&start, &end] {
        if let Err(error) = result {
            assert_names(error, name);
        }
    }
    let raw = match params.single(name) {
        Ok(Some(raw)) => raw.trim(),
        Ok(None) => {
            assert_eq!((start, end), (Ok(None), Ok(None)));
            return;
        }
        Err(_) => {
            assert!(start.is_err() && end.is_err());
            return;
        }
    };
    if raw.len() != 10 {
        // A datetime reads the same at either edge.
        assert_eq!(start, end, "{name}={raw:?}");
        if let Ok(Some(t)) = start {
            check_datetime_round_trip(raw, t);
        }
        return;
    }
    match (start, end) {
        (Ok(Some(start)), Ok(Some(end))) => {
            assert_eq!(parse_instant(raw, zone, DayEdge::Start), Some(start));
            assert_eq!(parse_instant(raw, zone, DayEdge::End), Some(end));
            assert!(start < end, "{name}={raw:?} in {zone:?}: {start} > {end}");
            // A day lasts 23 to 25 hours, or longer around a historical date-line jump.
            assert!(
                end.seconds_since(start) < 3 * 86_400,
                "{raw:?}: {start}..{end}"
            );
        }
        // A day that has a first second has a last one.
        (Ok(Some(start)), end) => panic!("{name}={raw:?} in {zone:?}: starts {start}, end {end:?}"),
        // A day skipped entirely (Pacific/Apia 2011-12-30) has no start; its end is where the
        // next existing day begins, minus a second.
        (Err(_), _) => {}
        (Ok(None), _) => panic!("{name}={raw:?} read as absent"),
    }
}

/// What the renderer writes for an instant parses back to that instant.
fn check_datetime_round_trip(raw: &str, t: Timestamp) {
    assert_eq!(parse_datetime(raw), Some(t));
    let year = t.as_utc().format("%Y").to_string();
    if year.len() != 4 || year.starts_with(['+', '-']) {
        return;
    }
    for zone in [
        RenderZone::NaiveUtc,
        // UTC with an explicit `+00:00`, the other way an instant is written.
        RenderZone::Fixed(chrono::Offset::fix(&chrono::Utc)),
    ] {
        let written = zone.render(t);
        assert_eq!(parse_datetime(&written), Some(t), "{raw:?} -> {written:?}");
    }
}

fn check_cursor<Id: CursorId + PartialEq + std::fmt::Debug>(params: &QueryParams) {
    match cursor::from_query::<Id>(params) {
        Ok(None) => assert!(matches!(params.single("cursor"), Ok(None))),
        Ok(Some(decoded)) => {
            let Ok(Some(raw)) = params.single("cursor") else {
                panic!("a cursor was decoded from nothing");
            };
            let encoded = cursor::encode(&decoded);
            assert_eq!(
                encoded,
                raw.trim().to_ascii_lowercase(),
                "a cursor that is not the canonical form was accepted"
            );
            assert_eq!(cursor::decode::<Id>(&encoded), Some(decoded));
        }
        Err(error) => assert_names(&error, "cursor"),
    }
}

fn check_social_cursor<Id: NumericId + PartialEq + std::fmt::Debug>(
    params: &QueryParams,
    kind: ListKind,
) {
    match social_cursor::from_query::<Id>(kind, params) {
        Ok(None) => assert!(matches!(params.single("cursor"), Ok(None))),
        Ok(Some(decoded)) => {
            let Ok(Some(raw)) = params.single("cursor") else {
                panic!("a cursor was decoded from nothing");
            };
            let encoded = social_cursor::encode(kind, &decoded);
            assert_eq!(
                encoded,
                raw.trim().to_ascii_lowercase(),
                "a cursor that is not the canonical form was accepted"
            );
            assert_eq!(social_cursor::decode::<Id>(kind, &encoded), Some(decoded));
            for other in [
                ListKind::Followers,
                ListKind::Following,
                ListKind::Friends,
                ListKind::Meetups,
                ListKind::Notifications,
            ] {
                if other != kind {
                    assert!(social_cursor::decode::<Id>(other, &encoded).is_none());
                }
            }
        }
        Err(error) => assert_names(&error, "cursor"),
    }
}
