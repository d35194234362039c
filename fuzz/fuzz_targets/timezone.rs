//! The `timezone` parameter (`RenderZone::parse` / `from_param`) and rendering with it.
//!
//! Input: the `timezone` value, optionally followed by `\n` and up to 8 bytes read as Unix
//! seconds (big-endian, folded into the years 0000–9999 that RFC 3339 can write).
//!
//! Properties: `parse` and `from_param(Some(_))` agree; a refusal repeats the value's first 64
//! characters; `UTC`/`Z` is `+00:00`; a fixed offset is whole minutes within ±14:00; a named zone
//! keeps its exact IANA name. For every accepted zone and instant, the rendered string parses
//! back as RFC 3339 with the offset `offset_seconds_at` reports and the same instant (up to the
//! seconds of historical LMT offsets, which `±HH:MM` rounds to whole minutes); naive UTC parses back
//! as the same naive time; the envelope timestamp is RFC 3339 in UTC with `Z`.

#![no_main]

use chrono::{DateTime, NaiveDateTime, Offset as _, TimeZone as _};
use hourglass_adapters_actix::edge::timezone::{RenderZone, render_envelope_timestamp};
use hourglass_domain::time::Timestamp;
use libfuzzer_sys::fuzz_target;

/// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z minus a day of margin for offsets.
const FIRST_SECOND: i64 = -62_167_219_200 + 86_400;
const LAST_SECOND: i64 = 253_402_300_799 - 86_400;

/// 2026-01-28T10:00:00Z, the spec's example instant, when the input gives none.
const DEFAULT_SECOND: i64 = 1_769_594_400;

fuzz_target!(|data: &[u8]| {
    let (zone_bytes, instant_bytes) = match data.iter().position(|&b| b == b'\n') {
        Some(newline) => (&data[..newline], Some(&data[newline + 1..])),
        None => (data, None),
    };
    let Ok(raw) = std::str::from_utf8(zone_bytes) else {
        return;
    };
    let instant = instant_of(instant_bytes);

    assert_eq!(RenderZone::from_param(None), Ok(RenderZone::NaiveUtc));
    let parsed = RenderZone::parse(raw);
    assert_eq!(RenderZone::from_param(Some(raw)), parsed);

    let zone = match parsed {
        Ok(zone) => zone,
        Err(invalid) => {
            let echoed: String = raw.chars().take(64).collect();
            assert_eq!(invalid.value(), echoed);
            assert!(!invalid.to_string().is_empty());
            check_rendering(RenderZone::NaiveUtc, instant);
            return;
        }
    };
    match zone {
        RenderZone::NaiveUtc => panic!("a present value parsed as naive UTC: {raw:?}"),
        RenderZone::Fixed(offset) => {
            let seconds = offset.local_minus_utc();
            assert!(seconds.abs() <= 14 * 3600, "{raw:?} -> {seconds}");
            assert_eq!(seconds % 60, 0, "{raw:?} -> {seconds}");
            if raw.eq_ignore_ascii_case("utc") || raw.eq_ignore_ascii_case("z") {
                assert_eq!(seconds, 0);
            }
        }
        RenderZone::Named(tz) => assert_eq!(tz.name(), raw),
    }
    check_rendering(zone, instant);
});

fn instant_of(bytes: Option<&[u8]>) -> Timestamp {
    let seconds = match bytes {
        None | Some([]) => DEFAULT_SECOND,
        Some(bytes) => {
            let mut buf = [0_u8; 8];
            let n = bytes.len().min(8);
            buf[8 - n..].copy_from_slice(&bytes[..n]);
            let raw = i64::from_be_bytes(buf);
            FIRST_SECOND + raw.rem_euclid(LAST_SECOND - FIRST_SECOND + 1)
        }
    };
    match Timestamp::from_unix_seconds(seconds) {
        Some(t) => t,
        None => panic!("{seconds} is within chrono's range"),
    }
}

fn check_rendering(zone: RenderZone, t: Timestamp) {
    let rendered = zone.render(t);
    assert_eq!(zone.render_opt(Some(t)), Some(rendered.clone()));
    assert_eq!(zone.render_opt(None), None);
    let offset = zone.offset_seconds_at(t);
    match zone {
        RenderZone::NaiveUtc => {
            assert_eq!(offset, None);
            let naive = match NaiveDateTime::parse_from_str(&rendered, "%Y-%m-%dT%H:%M:%S") {
                Ok(naive) => naive,
                Err(error) => panic!("naive {rendered:?} does not parse back: {error}"),
            };
            assert_eq!(naive, t.as_utc().naive_utc());
        }
        RenderZone::Fixed(_) | RenderZone::Named(_) => {
            let Some(offset) = offset else {
                panic!("no offset for {zone:?}");
            };
            let back = match DateTime::parse_from_rfc3339(&rendered) {
                Ok(back) => back,
                Err(error) => panic!("{rendered:?} ({zone:?}) is not RFC 3339: {error}"),
            };
            // `±HH:MM` rounds an LMT offset such as +08:27:52 (before ~1920) to whole minutes.
            let written = offset.signum() * ((offset.abs() + 30) / 60) * 60;
            assert_eq!(back.offset().fix().local_minus_utc(), written, "{rendered}");
            assert_eq!(
                back.timestamp() - t.unix_seconds(),
                i64::from(offset - written),
                "{rendered} ({zone:?}) is another instant than {t}"
            );
            if let RenderZone::Named(tz) = zone {
                let expected = tz.offset_from_utc_datetime(&t.as_utc().naive_utc()).fix();
                assert_eq!(expected.local_minus_utc(), offset);
            }
        }
    }
    let envelope = render_envelope_timestamp(t);
    assert!(envelope.ends_with('Z'), "{envelope}");
    match DateTime::parse_from_rfc3339(&envelope) {
        Ok(back) => assert_eq!(back.timestamp(), t.unix_seconds()),
        Err(error) => panic!("envelope {envelope:?} is not RFC 3339: {error}"),
    }
}
