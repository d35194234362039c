//! The `timezone` parameter: parsing it and rendering instants with it.
//!
//! `timer-api.md`, "Datetimes and `timezone`": instants are stored in UTC and rendered with second
//! precision. Without a `timezone` parameter they are written as naive UTC
//! (`2026-01-28T10:00:00`); with one, every datetime of the payload is converted and carries its
//! offset as `±HH:MM` (`2026-01-28T19:00:00+09:00`, `+00:00` for `UTC`). Envelope `timestamp`
//! fields are always UTC with `Z` ([`render_envelope_timestamp`]).
//!
//! Accepted values ([`RenderZone::parse`]): `UTC` or `Z` in any case; offsets `±H`, `±HH`,
//! `±HH:MM`, `±HHMM` within ±14:00, where a leading space reads as `+` (an unencoded `+` in a URL
//! query decodes to a space); IANA names such as `Asia/Seoul`. Anything else is
//! [`InvalidTimezone`], which REST answers with 400 `INVALID_TIMEZONE` and the WebSocket handshake
//! with HTTP 400 before the upgrade.

use std::fmt;

use chrono::{Datelike, FixedOffset, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use hourglass_domain::time::Timestamp;

/// How datetimes of one response (or one WebSocket connection) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenderZone {
    /// No `timezone` parameter: naive UTC without an offset, `2026-01-28T10:00:00`.
    #[default]
    NaiveUtc,
    /// A fixed offset (`UTC`/`Z` is `+00:00`): `2026-01-28T19:00:00+09:00`.
    Fixed(FixedOffset),
    /// An IANA zone; the offset is the one in force at each rendered instant (DST-correct).
    Named(Tz),
}

/// Largest accepted offset, in minutes (±14:00, the widest offset in use on Earth).
const MAX_OFFSET_MINUTES: i32 = 14 * 60;

/// The naive format: no offset, second precision.
const NAIVE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// The zoned format: second precision, offset as `±HH:MM`.
const ZONED_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%:z";

/// How many characters of a refused value the error message repeats.
const MAX_ECHOED_CHARS: usize = 64;

/// A `timezone` value that is none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTimezone {
    value: String,
}

impl InvalidTimezone {
    fn new(raw: &str) -> Self {
        Self {
            value: raw.chars().take(MAX_ECHOED_CHARS).collect(),
        }
    }

    /// The refused value (cut to its first 64 characters).
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for InvalidTimezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid timezone {:?}: expected UTC, Z, an offset written ±H, ±HH, ±HH:MM or ±HHMM \
             within ±14:00 (e.g. +09:00), or an IANA name (e.g. Asia/Seoul)",
            self.value
        )
    }
}

impl std::error::Error for InvalidTimezone {}

impl RenderZone {
    /// The zone for an optional `timezone` parameter: absent means [`RenderZone::NaiveUtc`].
    ///
    /// # Errors
    /// [`InvalidTimezone`] when the value is present but not an accepted form.
    pub fn from_param(raw: Option<&str>) -> Result<Self, InvalidTimezone> {
        raw.map_or(Ok(Self::NaiveUtc), Self::parse)
    }

    /// Parses a `timezone` value (see the module documentation for the accepted forms).
    ///
    /// # Errors
    /// [`InvalidTimezone`] for anything else, including the empty string.
    pub fn parse(raw: &str) -> Result<Self, InvalidTimezone> {
        if raw.eq_ignore_ascii_case("utc") || raw.eq_ignore_ascii_case("z") {
            return Ok(Self::Fixed(utc_offset()));
        }
        if let Some(offset) = parse_offset(raw) {
            return Ok(Self::Fixed(offset));
        }
        // chrono-tz names are case-sensitive, like the tz database itself.
        raw.parse::<Tz>()
            .map(Self::Named)
            .map_err(|_| InvalidTimezone::new(raw))
    }

    /// Writes `t` in this zone with second precision.
    pub fn render(&self, t: Timestamp) -> String {
        let utc = t.as_utc();
        let offset_seconds = self.offset_seconds_at(t);
        // Every timer message renders several datetimes per receiver, and chrono's `format`
        // interprets its pattern on each call: writing the digits directly was the largest
        // single saving on the command path (docs/benchmarks.md). Only the common case is
        // hand-written; chrono keeps the rare ones (a year outside 0–9999, a historical offset
        // with seconds, a leap second), so both paths print the same text.
        let local = utc
            .naive_utc()
            .checked_add_signed(chrono::TimeDelta::seconds(i64::from(
                offset_seconds.unwrap_or(0),
            )))
            .filter(|local| (0..=9999).contains(&local.year()));
        // A leap second (nanoseconds past 1e9) is written `:60` by chrono.
        let plain = offset_seconds.is_none_or(|s| s % 60 == 0) && utc.nanosecond() < 1_000_000_000;
        let Some(local) = local.filter(|_| plain) else {
            return match self {
                Self::NaiveUtc => utc.format(NAIVE_FORMAT).to_string(),
                Self::Fixed(offset) => utc.with_timezone(offset).format(ZONED_FORMAT).to_string(),
                Self::Named(tz) => utc.with_timezone(tz).format(ZONED_FORMAT).to_string(),
            };
        };
        let mut out = String::with_capacity(25);
        push_digits(&mut out, local.year().unsigned_abs(), 4);
        out.push('-');
        push_digits(&mut out, local.month(), 2);
        out.push('-');
        push_digits(&mut out, local.day(), 2);
        out.push('T');
        push_digits(&mut out, local.hour(), 2);
        out.push(':');
        push_digits(&mut out, local.minute(), 2);
        out.push(':');
        push_digits(&mut out, local.second(), 2);
        if let Some(seconds) = offset_seconds {
            out.push(if seconds < 0 { '-' } else { '+' });
            let minutes = seconds.unsigned_abs() / 60;
            push_digits(&mut out, minutes / 60, 2);
            out.push(':');
            push_digits(&mut out, minutes % 60, 2);
        }
        out
    }

    /// [`RenderZone::render`] for an optional instant (`None` stays `None`, i.e. JSON `null`).
    pub fn render_opt(&self, t: Option<Timestamp>) -> Option<String> {
        t.map(|t| self.render(t))
    }

    /// The offset from UTC in force at `t`, in seconds (`None` for [`RenderZone::NaiveUtc`]).
    pub fn offset_seconds_at(&self, t: Timestamp) -> Option<i32> {
        let utc = t.as_utc();
        match self {
            Self::NaiveUtc => None,
            Self::Fixed(offset) => Some(offset.local_minus_utc()),
            Self::Named(tz) => Some(
                tz.offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ),
        }
    }
}

/// An envelope `timestamp`: always UTC with `Z`, whatever the connection's `timezone`.
pub fn render_envelope_timestamp(t: Timestamp) -> String {
    let mut rendered = RenderZone::NaiveUtc.render(t);
    rendered.push('Z');
    rendered
}

fn utc_offset() -> FixedOffset {
    Utc.fix()
}

/// Appends `value` in decimal, zero-padded to `width` digits (`value` has at most `width`).
fn push_digits(out: &mut String, value: u32, width: u32) {
    let mut divisor = 10_u32.pow(width.saturating_sub(1));
    while divisor > 0 {
        let digit = (value / divisor) % 10;
        out.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
        divisor /= 10;
    }
}

/// `±H`, `±HH`, `±HH:MM`, `±HHMM` within ±14:00; a leading space stands for `+`.
fn parse_offset(raw: &str) -> Option<FixedOffset> {
    let (sign, rest) = match raw.as_bytes().first()? {
        b'+' | b' ' => (1, &raw[1..]),
        b'-' => (-1, &raw[1..]),
        _ => return None,
    };
    if !rest.is_ascii() {
        return None;
    }
    let (hours, minutes) = match rest.len() {
        1 | 2 => (rest, "0"),
        4 => rest.split_at(2),
        5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
        _ => return None,
    };
    let hours = parse_digits(hours)?;
    let minutes = parse_digits(minutes)?;
    if minutes >= 60 {
        return None;
    }
    let total = hours * 60 + minutes;
    if total > MAX_OFFSET_MINUTES {
        return None;
    }
    FixedOffset::east_opt(sign * total * 60)
}

/// Only ASCII digits (no sign, no spaces), which `str::parse` alone would not guarantee.
fn parse_digits(s: &str) -> Option<i32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Timestamp {
        let Some(naive) = NaiveDate::from_ymd_opt(y, mo, d).and_then(|d| d.and_hms_opt(h, mi, s))
        else {
            panic!("valid date")
        };
        Timestamp::from_utc(naive.and_utc())
    }

    /// The hand-written rendering must print exactly what chrono's patterns print.
    fn chrono_render(zone: &RenderZone, t: Timestamp) -> String {
        let utc = t.as_utc();
        match zone {
            RenderZone::NaiveUtc => utc.format(NAIVE_FORMAT).to_string(),
            RenderZone::Fixed(offset) => utc.with_timezone(offset).format(ZONED_FORMAT).to_string(),
            RenderZone::Named(tz) => utc.with_timezone(tz).format(ZONED_FORMAT).to_string(),
        }
    }

    proptest::proptest! {
        #[test]
        fn rendering_matches_chronos_patterns(
            seconds in -70_000_000_000_i64..260_000_000_000_i64,
            zone in proptest::sample::select(vec![
                "naive", "UTC", "+09:00", "-03:30", "+14:00", "-14", "Asia/Seoul",
                "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Europe/London",
            ]),
        ) {
            let Some(utc) = chrono::DateTime::from_timestamp(seconds, 0) else {
                return Ok(());
            };
            let t = Timestamp::from_utc(utc);
            let zone = if zone == "naive" {
                RenderZone::NaiveUtc
            } else {
                RenderZone::parse(zone).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?
            };
            proptest::prop_assert_eq!(zone.render(t), chrono_render(&zone, t));
        }
    }

    #[test]
    fn a_leap_second_renders_like_chrono() {
        // `start_date=6-01-28T0:0:60` (the fuzz target `rest_query`) parses to a leap second.
        let Some(leap) =
            NaiveDate::from_ymd_opt(6, 1, 28).and_then(|d| d.and_hms_milli_opt(0, 0, 59, 1_000))
        else {
            panic!("valid leap second")
        };
        let t = Timestamp::from_utc(leap.and_utc());
        for zone in [
            RenderZone::NaiveUtc,
            fixed(9 * 3600),
            RenderZone::Named(chrono_tz::Asia::Seoul),
        ] {
            assert_eq!(zone.render(t), chrono_render(&zone, t));
        }
        assert_eq!(RenderZone::NaiveUtc.render(t), "0006-01-28T00:00:60");
    }

    #[test]
    fn historical_offsets_with_seconds_and_far_years_render_like_chrono() {
        let seoul = RenderZone::Named(chrono_tz::Asia::Seoul);
        for t in [
            ts(1900, 1, 1, 0, 0, 0),
            ts(1, 1, 1, 0, 0, 0),
            ts(9999, 12, 31, 23, 59, 59),
        ] {
            assert_eq!(seoul.render(t), chrono_render(&seoul, t));
            assert_eq!(
                RenderZone::NaiveUtc.render(t),
                chrono_render(&RenderZone::NaiveUtc, t)
            );
        }
    }

    fn jan28() -> Timestamp {
        ts(2026, 1, 28, 10, 0, 0)
    }

    fn fixed(seconds: i32) -> RenderZone {
        let Some(offset) = FixedOffset::east_opt(seconds) else {
            panic!("valid offset")
        };
        RenderZone::Fixed(offset)
    }

    fn parsed(raw: &str) -> RenderZone {
        match RenderZone::parse(raw) {
            Ok(zone) => zone,
            Err(err) => panic!("{raw:?} must be accepted: {err}"),
        }
    }

    fn refused(raw: &str) {
        let Err(err) = RenderZone::parse(raw) else {
            panic!("{raw:?} must be refused")
        };
        assert_eq!(err.value(), raw);
    }

    #[test]
    fn utc_and_z_in_any_case_are_a_zero_offset() {
        for raw in ["UTC", "utc", "Utc", "uTc", "Z", "z"] {
            assert_eq!(parsed(raw), fixed(0), "{raw}");
            assert_eq!(parsed(raw).render(jan28()), "2026-01-28T10:00:00+00:00");
        }
    }

    #[test]
    fn every_offset_form_is_accepted() {
        let nine = 9 * 3600;
        for raw in [
            "+9", "+09", "+09:00", "+0900", " 9", " 09", " 09:00", " 0900",
        ] {
            assert_eq!(parsed(raw), fixed(nine), "{raw}");
        }
        for raw in ["-5", "-05", "-05:00", "-0500"] {
            assert_eq!(parsed(raw), fixed(-5 * 3600), "{raw}");
        }
        assert_eq!(parsed("+05:30"), fixed(5 * 3600 + 30 * 60));
        assert_eq!(parsed("+0545"), fixed(5 * 3600 + 45 * 60));
        assert_eq!(parsed("-09:30"), fixed(-(9 * 3600 + 30 * 60)));
        assert_eq!(parsed("+0"), fixed(0));
        assert_eq!(parsed("-00:00"), fixed(0));
    }

    #[test]
    fn offsets_are_bounded_by_fourteen_hours() {
        assert_eq!(parsed("+14:00"), fixed(14 * 3600));
        assert_eq!(parsed("+14"), fixed(14 * 3600));
        assert_eq!(parsed("-14:00"), fixed(-14 * 3600));
        assert_eq!(parsed("-1400"), fixed(-14 * 3600));
        assert_eq!(parsed("+13:59"), fixed(13 * 3600 + 59 * 60));
        for raw in [
            "+14:01", "-14:01", "+1401", "+15", "-15", "+24", "+1460", "+99",
        ] {
            refused(raw);
        }
    }

    #[test]
    fn minutes_must_be_below_sixty() {
        for raw in ["+09:60", "+0960", "+00:75", "-01:99"] {
            refused(raw);
        }
        assert_eq!(parsed("+00:59"), fixed(59 * 60));
    }

    #[test]
    fn malformed_offsets_are_refused() {
        for raw in [
            "+",
            "-",
            " ",
            "+9:00",
            "+090",
            "+09:0",
            "+09:000",
            "+09-00",
            "+0a",
            "++9",
            "+-9",
            "+ 9",
            "+09 ",
            "09:00",
            "0900",
            "9",
            "+09:00Z",
            "+\u{0660}9",
            "\u{2212}09:00",
            "+09:00:00",
            "  09:00",
        ] {
            refused(raw);
        }
    }

    #[test]
    fn iana_names_are_accepted() {
        assert_eq!(parsed("Asia/Seoul"), RenderZone::Named(Tz::Asia__Seoul));
        assert_eq!(
            parsed("America/New_York"),
            RenderZone::Named(Tz::America__New_York)
        );
        assert_eq!(parsed("Etc/UTC"), RenderZone::Named(Tz::Etc__UTC));
        assert_eq!(
            parsed("Europe/London"),
            RenderZone::Named(Tz::Europe__London)
        );
    }

    #[test]
    fn garbage_is_refused() {
        for raw in [
            "",
            "abc/def",
            "GMT+9",
            "UTC+9",
            "UTC+09:00",
            "KST",
            "asia/seoul",
            " Asia/Seoul",
            "Asia/Seoul ",
            " UTC",
            "ZZ",
            "Asia/Seoul\0",
        ] {
            refused(raw);
        }
    }

    #[test]
    fn the_error_names_the_value_and_the_accepted_forms() {
        let Err(err) = RenderZone::parse("Mars/Olympus") else {
            panic!("must be refused")
        };
        let message = err.to_string();
        assert!(message.contains("\"Mars/Olympus\""), "{message}");
        for form in ["UTC", "±HH:MM", "±14:00", "Asia/Seoul"] {
            assert!(message.contains(form), "{message} lacks {form}");
        }
    }

    #[test]
    fn long_refused_values_are_cut_in_the_error() {
        let raw = "x".repeat(500);
        let Err(err) = RenderZone::parse(&raw) else {
            panic!("must be refused")
        };
        assert_eq!(err.value().len(), MAX_ECHOED_CHARS);
    }

    #[test]
    fn an_absent_parameter_is_naive_utc() {
        assert_eq!(RenderZone::from_param(None), Ok(RenderZone::NaiveUtc));
        assert_eq!(RenderZone::from_param(Some("+09:00")), Ok(fixed(9 * 3600)));
        assert!(RenderZone::from_param(Some("")).is_err());
        assert_eq!(RenderZone::default(), RenderZone::NaiveUtc);
    }

    #[test]
    fn naive_rendering_has_no_offset_and_whole_seconds() {
        assert_eq!(RenderZone::NaiveUtc.render(jan28()), "2026-01-28T10:00:00");
        assert_eq!(
            RenderZone::NaiveUtc.render(ts(1999, 12, 31, 23, 59, 59)),
            "1999-12-31T23:59:59"
        );
        assert_eq!(
            RenderZone::NaiveUtc.render(Timestamp::EPOCH),
            "1970-01-01T00:00:00"
        );
    }

    #[test]
    fn zoned_rendering_converts_and_carries_the_offset() {
        assert_eq!(
            parsed("Asia/Seoul").render(jan28()),
            "2026-01-28T19:00:00+09:00"
        );
        assert_eq!(
            parsed("+09:00").render(jan28()),
            "2026-01-28T19:00:00+09:00"
        );
        assert_eq!(parsed(" 9").render(jan28()), "2026-01-28T19:00:00+09:00");
        assert_eq!(
            parsed("-05:30").render(jan28()),
            "2026-01-28T04:30:00-05:30"
        );
        assert_eq!(parsed("+14").render(jan28()), "2026-01-29T00:00:00+14:00");
        assert_eq!(
            parsed("-14:00").render(jan28()),
            "2026-01-27T20:00:00-14:00"
        );
        assert_eq!(
            parsed("Etc/UTC").render(jan28()),
            "2026-01-28T10:00:00+00:00"
        );
    }

    #[test]
    fn named_zones_follow_daylight_saving_time() {
        let new_york = parsed("America/New_York");
        assert_eq!(new_york.render(jan28()), "2026-01-28T05:00:00-05:00");
        assert_eq!(
            new_york.render(ts(2026, 7, 15, 10, 0, 0)),
            "2026-07-15T06:00:00-04:00"
        );
        assert_eq!(new_york.offset_seconds_at(jan28()), Some(-5 * 3600));
        // 2026-03-08 07:00 UTC is 03:00 EDT, the first instant after the spring-forward gap.
        assert_eq!(
            new_york.render(ts(2026, 3, 8, 6, 59, 59)),
            "2026-03-08T01:59:59-05:00"
        );
        assert_eq!(
            new_york.render(ts(2026, 3, 8, 7, 0, 0)),
            "2026-03-08T03:00:00-04:00"
        );
        let london = parsed("Europe/London");
        assert_eq!(london.render(jan28()), "2026-01-28T10:00:00+00:00");
        assert_eq!(
            london.render(ts(2026, 7, 15, 10, 0, 0)),
            "2026-07-15T11:00:00+01:00"
        );
    }

    #[test]
    fn render_opt_keeps_none() {
        assert_eq!(RenderZone::NaiveUtc.render_opt(None), None);
        assert_eq!(
            RenderZone::NaiveUtc.render_opt(Some(jan28())),
            Some("2026-01-28T10:00:00".to_owned())
        );
        assert_eq!(RenderZone::NaiveUtc.offset_seconds_at(jan28()), None);
    }

    #[test]
    fn envelope_timestamps_are_always_utc_with_z() {
        assert_eq!(render_envelope_timestamp(jan28()), "2026-01-28T10:00:00Z");
        assert_eq!(
            render_envelope_timestamp(Timestamp::EPOCH),
            "1970-01-01T00:00:00Z"
        );
    }
}
