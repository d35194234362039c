//! REST query strings: `QueryParams::parse` and every accessor the list handlers call on it.
//!
//! Input: a raw query string (what actix hands the handlers as `query_string()`).
//!
//! Properties: nothing panics; every `INVALID_PARAMETER` message names its parameter; `limit` is
//! within `1..=max`; enumerations hold no duplicates; a plain date's start is not after its end,
//! and a datetime reads the same at either edge; an accepted datetime is written back by the
//! renderer as a string that parses to the same instant; a cursor that decodes is exactly the
//! canonical form `encode` writes (case aside) and is refused by every other list.

#![no_main]

use hourglass_adapters_actix::edge::error::ApiError;
use hourglass_adapters_actix::edge::query::{
    DayEdge, QueryError, QueryParams, parse_datetime, parse_instant,
};
use hourglass_adapters_actix::edge::timezone::RenderZone;
use hourglass_adapters_actix::http::paging::{self, CursorKey, List};
use hourglass_adapters_actix::http::render::{TagMode, ViewOptions};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::TimerStatus;
use libfuzzer_sys::fuzz_target;

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

    for max in [paging::TIMER_LIST_MAX_LIMIT, paging::MAX_LIMIT] {
        match params.limit(paging::DEFAULT_LIMIT, max) {
            Ok(limit) => assert!((1..=max).contains(&limit), "{limit}"),
            Err(error) => assert_names(&error, "limit"),
        }
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

    check_cursors(&params);
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

/// Every list's `cursor`, each at its index in [`decodes_per_list`].
fn check_cursors(params: &QueryParams) {
    check_cursor(params, paging::TIMERS, 0);
    check_cursor(params, paging::SCHEDULES, 1);
    check_cursor(params, paging::TODOS, 2);
    check_cursor(params, paging::TAGS, 3);
    check_cursor(params, paging::FOLLOWERS, 4);
    check_cursor(params, paging::FOLLOWING, 5);
    check_cursor(params, paging::FRIENDS, 6);
    check_cursor(params, paging::MEETUPS, 7);
    check_cursor(params, paging::NOTIFICATIONS, 8);
}

fn check_cursor<Id: CursorKey + PartialEq + std::fmt::Debug>(
    params: &QueryParams,
    list: List<Id>,
    index: usize,
) {
    match paging::cursor(list, params) {
        Ok(None) => assert!(matches!(params.single("cursor"), Ok(None))),
        Ok(Some(decoded)) => {
            let Ok(Some(raw)) = params.single("cursor") else {
                panic!("a cursor was decoded from nothing");
            };
            let encoded = paging::encode(list, &decoded);
            assert_eq!(
                encoded,
                raw.trim().to_ascii_lowercase(),
                "a cursor that is not the canonical form was accepted"
            );
            assert_eq!(paging::decode(list, &encoded), Some(decoded));
            let mut expected = [false; 9];
            expected[index] = true;
            assert_eq!(
                decodes_per_list(&encoded),
                expected,
                "{encoded} is read by another list"
            );
        }
        Err(error) => assert_names(&error, "cursor"),
    }
}

/// Whether `raw` decodes as a cursor of each list, in the order of [`check_cursors`].
fn decodes_per_list(raw: &str) -> [bool; 9] {
    [
        paging::decode(paging::TIMERS, raw).is_some(),
        paging::decode(paging::SCHEDULES, raw).is_some(),
        paging::decode(paging::TODOS, raw).is_some(),
        paging::decode(paging::TAGS, raw).is_some(),
        paging::decode(paging::FOLLOWERS, raw).is_some(),
        paging::decode(paging::FOLLOWING, raw).is_some(),
        paging::decode(paging::FRIENDS, raw).is_some(),
        paging::decode(paging::MEETUPS, raw).is_some(),
        paging::decode(paging::NOTIFICATIONS, raw).is_some(),
    ]
}
