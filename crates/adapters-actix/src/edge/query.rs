//! The query string of REST requests, parsed by hand.
//!
//! `serde_urlencoded` (and so `web::Query`) cannot express what the contract asks of `status`:
//! a repeatable key (`status=A&status=B`), the PHP-style `status[]=A`, and comma-separated values
//! (`status=A,B`), in any mix. So the query string is decoded into its raw `(key, value)` pairs
//! once ([`QueryParams::parse`]) and each parameter is read from those pairs with the rule it
//! needs. Every refusal is a [`QueryError`] naming the parameter, which becomes 400
//! `INVALID_PARAMETER` (or `INVALID_TIMEZONE`). Unknown parameters are ignored, so clients may
//! send more than a route reads.
//!
//! Dates ([`QueryParams::instant`]) accept an ISO-8601 datetime — naive (read as UTC) or with an
//! offset (`Z`, `±HH`, `±HH:MM`, `±HHMM`; a space where the `+` was, as an unencoded `+` decodes)
//! — or a plain date `YYYY-MM-DD`, read as the start or the end of that day in the request's
//! `timezone` (UTC without one).

use std::fmt;

use chrono::{DateTime, Datelike as _, Days, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use hourglass_domain::time::Timestamp;

use crate::edge::timezone::{InvalidTimezone, RenderZone};

/// How many characters of a refused value an error message repeats.
const MAX_ECHOED_CHARS: usize = 64;

/// A query parameter that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// A parameter with a value it may not have; the message names the parameter.
    Invalid {
        /// The parameter's name.
        param: &'static str,
        /// What is wrong, naming the parameter.
        message: String,
    },
    /// `timezone` is not an accepted form.
    Timezone(InvalidTimezone),
}

impl QueryError {
    /// A refusal of `param`; `message` must name it.
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            param,
            message: message.into(),
        }
    }

    fn unknown_value(param: &'static str, allowed: &str, value: &str) -> Self {
        Self::invalid(
            param,
            format!("{param} must be one of {allowed}, got {:?}", echo(value)),
        )
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { message, .. } => f.write_str(message),
            Self::Timezone(invalid) => invalid.fmt(f),
        }
    }
}

impl std::error::Error for QueryError {}

/// A refused value as repeated in a message: at most 64 characters.
fn echo(value: &str) -> String {
    value.chars().take(MAX_ECHOED_CHARS).collect()
}

/// Which end of a plain date (`YYYY-MM-DD`) a date parameter means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// 00:00:00 of that day (`start_date`).
    Start,
    /// 23:59:59 of that day (`end_date`): the last whole second, as instants have no fraction.
    End,
}

/// The decoded `(key, value)` pairs of one query string, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Decodes `query` (`application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte).
    /// Decoding never fails: invalid UTF-8 becomes U+FFFD and then fails the parameter's own
    /// check.
    pub fn parse(query: &str) -> Self {
        Self {
            pairs: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// Every value given for `name`, under `name` or `name[]`, in order.
    fn raw_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter_map(move |(key, value)| {
            let bare = key.strip_suffix("[]").unwrap_or(key);
            (bare == name).then_some(value.as_str())
        })
    }

    /// The value of a single-valued parameter; giving it twice is an error (which one would win
    /// is a guess the server should not make).
    ///
    /// # Errors
    /// [`QueryError::Invalid`] when `name` appears more than once.
    pub fn single(&self, name: &'static str) -> Result<Option<&str>, QueryError> {
        let mut values = self.raw_values(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(QueryError::invalid(
                name,
                format!("{name} must be given at most once"),
            ));
        }
        Ok(first)
    }

    /// Every value of a repeatable parameter: repeated keys, `name[]` keys and comma-separated
    /// values, trimmed, in order. Empty items are kept so that the caller refuses them.
    pub fn list<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        self.raw_values(name)
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect()
    }

    /// A repeatable, case-insensitive enumeration: every value parsed, duplicates dropped.
    ///
    /// # Errors
    /// [`QueryError::Invalid`] naming `name` for a value `parse` refuses.
    pub fn enum_list<T: PartialEq>(
        &self,
        name: &'static str,
        allowed: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, QueryError> {
        let mut out = Vec::new();
        for raw in self.list(name) {
            let Some(value) = parse(raw) else {
                return Err(QueryError::unknown_value(name, allowed, raw));
            };
            if !out.contains(&value) {
                out.push(value);
            }
        }
        Ok(out)
    }

    /// A single-valued enumeration (`scope`, `type`, `tag_include_mode`), case-insensitive.
    ///
    /// # Errors
    /// [`QueryError::Invalid`] naming `name` for an unknown value or a repeated key.
    pub fn enum_value<T>(
        &self,
        name: &'static str,
        allowed: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, QueryError> {
        let Some(raw) = self.single(name)? else {
            return Ok(None);
        };
        parse(raw.trim())
            .map(Some)
            .ok_or_else(|| QueryError::unknown_value(name, allowed, raw))
    }

    /// A boolean flag: `true`/`false`/`1`/`0` in any case; absent is `false`.
    ///
    /// # Errors
    /// [`QueryError::Invalid`] naming `name` for anything else.
    pub fn flag(&self, name: &'static str) -> Result<bool, QueryError> {
        let Some(raw) = self.single(name)? else {
            return Ok(false);
        };
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(QueryError::invalid(
                name,
                format!("{name} must be true or false, got {:?}", echo(raw)),
            )),
        }
    }

    /// `limit`: `default` when absent, else an integer in `1..=max`.
    ///
    /// # Errors
    /// [`QueryError::Invalid`] naming `limit` for a non-integer or a value outside `1..=max`.
    pub fn limit(&self, default: u32, max: u32) -> Result<u32, QueryError> {
        let Some(raw) = self.single("limit")? else {
            return Ok(default);
        };
        match raw.trim().parse::<u32>() {
            Ok(limit) if (1..=max).contains(&limit) => Ok(limit),
            _ => Err(QueryError::invalid(
                "limit",
                format!(
                    "limit must be an integer between 1 and {max}, got {:?}",
                    echo(raw)
                ),
            )),
        }
    }

    /// `timezone`: how the response writes datetimes (naive UTC without it).
    ///
    /// # Errors
    /// [`QueryError::Timezone`] for a value that is not an accepted form,
    /// [`QueryError::Invalid`] when given twice.
    pub fn timezone(&self) -> Result<RenderZone, QueryError> {
        RenderZone::from_param(self.single("timezone")?).map_err(QueryError::Timezone)
    }

    /// A date parameter (`start_date`, `end_date`): see the module documentation. A plain date
    /// is read in `zone` (UTC for [`RenderZone::NaiveUtc`]).
    ///
    /// # Errors
    /// [`QueryError::Invalid`] naming `name` for a value that is neither form.
    pub fn instant(
        &self,
        name: &'static str,
        zone: &RenderZone,
        edge: DayEdge,
    ) -> Result<Option<Timestamp>, QueryError> {
        let Some(raw) = self.single(name)? else {
            return Ok(None);
        };
        parse_instant(raw.trim(), zone, edge)
            .map(Some)
            .ok_or_else(|| {
                QueryError::invalid(
                    name,
                    format!(
                        "{name} must be an ISO-8601 datetime (e.g. 2026-01-28T10:00:00, \
                         2026-01-28T19:00:00+09:00) or a date YYYY-MM-DD, got {:?}",
                        echo(raw)
                    ),
                )
            })
    }
}

/// The years an instant from a client may fall in (UTC). Outside them PostgreSQL either cannot
/// store the instant or renders it in a form clients cannot read back, so it is refused as bad
/// input wherever it comes in: query filters, body fields, report dates, cursors.
pub const ACCEPTED_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// `instant`, when it falls within [`ACCEPTED_YEARS`].
pub fn accepted(instant: Timestamp) -> Option<Timestamp> {
    ACCEPTED_YEARS
        .contains(&instant.as_utc().year())
        .then_some(instant)
}

/// A datetime (naive = UTC, or with an offset) or, for query parameters, a plain date read at
/// `edge` of that day in `zone`. `None` when it is neither, or outside [`ACCEPTED_YEARS`].
pub fn parse_instant(raw: &str, zone: &RenderZone, edge: DayEdge) -> Option<Timestamp> {
    if raw.len() == 10 {
        // The date's own year, not its edges' UTC year: both edges of a day must be read alike
        // (9999-12-31 in a zone west of UTC ends in year 10000 UTC, which PostgreSQL stores).
        let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|date| ACCEPTED_YEARS.contains(&date.year()))?;
        return day_edge(date, zone, edge);
    }
    parse_datetime(raw)
}

/// An ISO-8601 datetime: naive (read as UTC) or with `Z` / an offset; fractions are dropped.
/// A space in place of the offset's `+` (an unencoded `+` in a URL) reads as `+`. `None` outside
/// [`ACCEPTED_YEARS`].
pub fn parse_datetime(raw: &str) -> Option<Timestamp> {
    any_datetime(raw).and_then(accepted)
}

fn any_datetime(raw: &str) -> Option<Timestamp> {
    // The date/time separator may be a space (`2026-01-28 10:00:00`); after the time part, a
    // space can only be a decoded `+`.
    let mut text: String = raw.to_owned();
    if text.len() > 10 && text.as_bytes().get(10) == Some(&b' ') {
        text.replace_range(10..11, "T");
    }
    // Byte 11 need not be a character boundary (`0123456789é…`), so split without panicking.
    if let Some((head, tail)) = text.split_at_checked(11)
        && tail.contains(' ')
    {
        text = format!("{head}{}", tail.replace(' ', "+"));
    }
    let text = text.as_str();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(Timestamp::from_utc(instant.with_timezone(&Utc)));
    }
    const WITH_OFFSET: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%#z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%dT%H:%M:%S%.fZ",
    ];
    for format in WITH_OFFSET {
        if let Ok(instant) = DateTime::<FixedOffset>::parse_from_str(text, format) {
            return Some(Timestamp::from_utc(instant.with_timezone(&Utc)));
        }
    }
    const NAIVE: [&str; 3] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ];
    for format in NAIVE {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Timestamp::from_utc(naive.and_utc()));
        }
    }
    None
}

/// The first instant of `date` in `zone` (UTC for [`RenderZone::NaiveUtc`]): local midnight,
/// or the first instant that exists when midnight falls in a DST gap. `None` when the whole
/// date does not exist in the zone (Pacific/Apia skipped 2011-12-30). The worked-time report
/// cuts its days here.
pub fn start_of_day(date: NaiveDate, zone: &RenderZone) -> Option<Timestamp> {
    day_edge(date, zone, DayEdge::Start)
}

/// The first (or last) whole second of `date` in `zone`.
fn day_edge(date: NaiveDate, zone: &RenderZone, edge: DayEdge) -> Option<Timestamp> {
    let start_of = |day: NaiveDate| -> Option<DateTime<Utc>> {
        let midnight = day.and_hms_opt(0, 0, 0)?;
        match zone {
            RenderZone::NaiveUtc => Some(midnight.and_utc()),
            RenderZone::Fixed(offset) => offset
                .from_local_datetime(&midnight)
                .single()
                .map(|t| t.with_timezone(&Utc)),
            // A day that starts inside a DST gap (midnight skipped) starts at the first instant
            // that exists; an ambiguous midnight starts at the earlier one.
            RenderZone::Named(tz) => tz
                .from_local_datetime(&midnight)
                .earliest()
                .or_else(|| {
                    tz.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc)),
        }
    };
    let instant = match edge {
        DayEdge::Start => start_of(date)?,
        DayEdge::End => {
            // The next day may not exist at all (Pacific/Apia skipped 2011-12-30 when it crossed
            // the date line): this day then ends where the next existing day begins.
            let next = date.checked_add_days(Days::new(1))?;
            let next_start =
                start_of(next).or_else(|| start_of(next.checked_add_days(Days::new(1))?))?;
            next_start - chrono::Duration::seconds(1)
        }
    };
    Some(Timestamp::from_utc(instant))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::error::ApiError;

    fn ts(raw: &str) -> Timestamp {
        let Ok(instant) = DateTime::parse_from_rfc3339(raw) else {
            panic!("valid instant {raw}")
        };
        Timestamp::from_utc(instant.with_timezone(&Utc))
    }

    fn zone(raw: &str) -> RenderZone {
        let Ok(zone) = RenderZone::parse(raw) else {
            panic!("valid zone {raw}")
        };
        zone
    }

    fn statuses(query: &str) -> Result<Vec<String>, QueryError> {
        QueryParams::parse(query).enum_list("status", "A, B, C", |raw| {
            ["A", "B", "C"]
                .into_iter()
                .find(|s| s.eq_ignore_ascii_case(raw))
                .map(str::to_owned)
        })
    }

    #[test]
    fn status_is_read_in_all_three_forms_and_mixed() -> Result<(), QueryError> {
        for query in [
            "status=A&status=B",
            "status[]=A&status[]=B",
            "status%5B%5D=A&status%5B%5D=b",
            "status=A,B",
            "status=a%2Cb",
            "status=A&status[]=B,a",
            "status=A , B",
        ] {
            assert_eq!(statuses(query)?, vec!["A", "B"], "{query}");
        }
        assert_eq!(statuses("")?, Vec::<String>::new());
        assert_eq!(statuses("other=1")?, Vec::<String>::new());
        Ok(())
    }

    #[test]
    fn an_unknown_or_empty_status_names_the_parameter() {
        for query in ["status=A,Z", "status=", "status=A,,B", "status[]=nope"] {
            let Err(error) = statuses(query) else {
                panic!("{query} must be refused")
            };
            assert!(
                matches!(
                    &error,
                    QueryError::Invalid {
                        param: "status",
                        ..
                    }
                ),
                "{query}"
            );
            assert!(
                error.to_string().starts_with("status must be one of"),
                "{error}"
            );
        }
    }

    #[test]
    fn single_values_may_not_repeat() {
        let params = QueryParams::parse("scope=mine&scope=all");
        let Err(error) = params.single("scope") else {
            panic!("must be refused")
        };
        assert_eq!(error.to_string(), "scope must be given at most once");
    }

    #[test]
    fn enum_values_are_case_insensitive_and_named_when_unknown() -> Result<(), QueryError> {
        let parse = |raw: &str| raw.eq_ignore_ascii_case("mine").then_some(1);
        assert_eq!(
            QueryParams::parse("scope=MINE").enum_value("scope", "mine", parse)?,
            Some(1)
        );
        assert_eq!(
            QueryParams::parse("").enum_value("scope", "mine", parse)?,
            None
        );
        let Err(error) = QueryParams::parse("scope=ours").enum_value("scope", "mine", parse) else {
            panic!("must be refused")
        };
        assert_eq!(error.to_string(), "scope must be one of mine, got \"ours\"");
        Ok(())
    }

    #[test]
    fn flags_accept_true_false_one_zero() -> Result<(), QueryError> {
        for (query, expected) in [
            ("f=true", true),
            ("f=TRUE", true),
            ("f=1", true),
            ("f=false", false),
            ("f=0", false),
            ("", false),
        ] {
            let params = QueryParams::parse(query);
            let parsed = params.flag("f");
            assert_eq!(parsed, Ok(expected), "{query}");
        }
        let Err(error) = QueryParams::parse("f=yes").flag("f") else {
            panic!("must be refused")
        };
        assert!(error.to_string().starts_with("f must be true or false"));
        Ok(())
    }

    #[test]
    fn limit_defaults_and_is_bounded() -> Result<(), QueryError> {
        assert_eq!(QueryParams::parse("").limit(50, 200)?, 50);
        assert_eq!(QueryParams::parse("limit=200").limit(50, 200)?, 200);
        assert_eq!(QueryParams::parse("limit=1").limit(50, 200)?, 1);
        for bad in ["limit=201", "limit=0", "limit=-1", "limit=abc", "limit="] {
            let Err(error) = QueryParams::parse(bad).limit(50, 200) else {
                panic!("{bad} must be refused")
            };
            assert!(error.to_string().starts_with("limit must be"), "{error}");
        }
        Ok(())
    }

    #[test]
    fn a_bad_timezone_is_its_own_error() -> Result<(), QueryError> {
        assert_eq!(QueryParams::parse("").timezone()?, RenderZone::NaiveUtc);
        // An unencoded `+` decodes to a space, which the zone parser reads as `+`.
        assert_eq!(
            QueryParams::parse("timezone=+09:00").timezone()?,
            zone("+09:00")
        );
        assert_eq!(
            QueryParams::parse("timezone=Asia%2FSeoul").timezone()?,
            zone("Asia/Seoul")
        );
        let error = QueryParams::parse("timezone=Mars").timezone();
        assert!(matches!(error, Err(QueryError::Timezone(_))), "{error:?}");
        let api = ApiError::from(QueryError::Timezone(
            RenderZone::parse("x")
                .err()
                .unwrap_or_else(|| panic!("refused")),
        ));
        assert_eq!(api.code(), "INVALID_TIMEZONE");
        Ok(())
    }

    #[test]
    fn datetimes_naive_are_utc_and_offsets_are_honoured() {
        let utc = RenderZone::NaiveUtc;
        let cases = [
            ("2026-01-28T10:00:00", "2026-01-28T10:00:00Z"),
            ("2026-01-28T10:00:00.750", "2026-01-28T10:00:00Z"),
            ("2026-01-28T10:00", "2026-01-28T10:00:00Z"),
            ("2026-01-28 10:00:00", "2026-01-28T10:00:00Z"),
            ("2026-01-28T10:00:00Z", "2026-01-28T10:00:00Z"),
            ("2026-01-28T10:00:00z", "2026-01-28T10:00:00Z"),
            ("2026-01-28T19:00:00+09:00", "2026-01-28T10:00:00Z"),
            ("2026-01-28T19:00:00+0900", "2026-01-28T10:00:00Z"),
            ("2026-01-28T19:00:00+09", "2026-01-28T10:00:00Z"),
            ("2026-01-28T19:00:00 09:00", "2026-01-28T10:00:00Z"),
            ("2026-01-28T05:00:00-05:00", "2026-01-28T10:00:00Z"),
            ("2026-01-28T19:00+09:00", "2026-01-28T10:00:00Z"),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                parse_instant(raw, &utc, DayEdge::Start),
                Some(ts(expected)),
                "{raw}"
            );
        }
        // The zone only matters for plain dates.
        assert_eq!(
            parse_instant("2026-01-28T10:00:00", &zone("Asia/Seoul"), DayEdge::Start),
            Some(ts("2026-01-28T10:00:00Z"))
        );
    }

    #[test]
    fn dates_are_the_start_or_end_of_that_day_in_the_zone() {
        let cases = [
            (RenderZone::NaiveUtc, DayEdge::Start, "2026-01-28T00:00:00Z"),
            (RenderZone::NaiveUtc, DayEdge::End, "2026-01-28T23:59:59Z"),
            (zone("Asia/Seoul"), DayEdge::Start, "2026-01-27T15:00:00Z"),
            (zone("Asia/Seoul"), DayEdge::End, "2026-01-28T14:59:59Z"),
            (zone("-05:00"), DayEdge::Start, "2026-01-28T05:00:00Z"),
            (zone("UTC"), DayEdge::End, "2026-01-28T23:59:59Z"),
        ];
        for (zone, edge, expected) in cases {
            assert_eq!(
                parse_instant("2026-01-28", &zone, edge),
                Some(ts(expected)),
                "{zone:?} {edge:?}"
            );
        }
        // 2026-03-08 in New York has 23 hours (DST starts).
        assert_eq!(
            parse_instant("2026-03-08", &zone("America/New_York"), DayEdge::End),
            Some(ts("2026-03-09T03:59:59Z"))
        );
    }

    /// Found with the `rest_query` fuzz target (fuzz/regressions/rest_query): a multi-byte
    /// character across byte 11 panicked (slicing inside a character) instead of being refused.
    #[test]
    fn a_multibyte_character_at_the_time_part_is_refused_not_a_panic() {
        for raw in [
            "0123456789éx",
            "2026-01-28é10:00:00",
            "2026-01-28T€ 10",
            "2026-01-2€ 1",
        ] {
            assert_eq!(parse_datetime(raw), None, "{raw}");
            assert_eq!(
                parse_instant(raw, &RenderZone::NaiveUtc, DayEdge::Start),
                None,
                "{raw}"
            );
        }
        let params = QueryParams::parse("start_date=0123456789%C3%A9x");
        assert!(matches!(
            params.instant("start_date", &RenderZone::NaiveUtc, DayEdge::Start),
            Err(QueryError::Invalid {
                param: "start_date",
                ..
            })
        ));
    }

    /// Found by the `rest_query` fuzz target (fuzz/regressions/rest_query): the end of the day
    /// before a skipped day was refused as if the date were malformed.
    #[test]
    fn the_day_before_a_skipped_day_ends_where_the_next_existing_day_begins() {
        let apia = zone("Pacific/Apia");
        // 2011-12-29 ran at -10:00; the next local day was 2011-12-31 at +14:00.
        assert_eq!(
            parse_instant("2011-12-29", &apia, DayEdge::Start),
            Some(ts("2011-12-29T10:00:00Z"))
        );
        assert_eq!(
            parse_instant("2011-12-29", &apia, DayEdge::End),
            Some(ts("2011-12-30T09:59:59Z"))
        );
        assert_eq!(
            parse_instant("2011-12-31", &apia, DayEdge::Start),
            Some(ts("2011-12-30T10:00:00Z"))
        );
        // The skipped day itself has no instants.
        assert_eq!(parse_instant("2011-12-30", &apia, DayEdge::Start), None);
        let params = QueryParams::parse("end_date=2011-12-29");
        assert_eq!(
            params.instant("end_date", &apia, DayEdge::End),
            Ok(Some(ts("2011-12-30T09:59:59Z")))
        );
    }

    #[test]
    fn garbage_dates_are_refused_with_the_parameter_named() {
        for raw in [
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "28-01-2026",
            "2026-01-28T25:00:00",
            "2026-01-28T10:00:00+15:00x",
            "",
        ] {
            assert_eq!(
                parse_instant(raw, &RenderZone::NaiveUtc, DayEdge::Start),
                None,
                "{raw}"
            );
        }
        let params = QueryParams::parse("start_date=soon");
        let Err(error) = params.instant("start_date", &RenderZone::NaiveUtc, DayEdge::Start) else {
            panic!("must be refused")
        };
        assert!(
            error.to_string().starts_with("start_date must be"),
            "{error}"
        );
    }
}
