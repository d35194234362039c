//! `GET /v1/reports/summary`: the seconds the caller worked in `[from, to)`, per day, tag,
//! schedule or todo, as JSON or (`Accept: text/csv`) CSV.
//!
//! The edge owns the time zone: it turns `from`, `to` and `timezone` into the UTC instant at
//! which each local day begins ([`start_of_day`]), so a 23 h or 25 h DST day is a shorter or
//! longer bucket, and hands the use case a [`Calendar`] of plain UTC days. The domain sums the
//! RUNNING intervals of `pause_history` into those buckets without knowing any zone.
//!
//! [`ReportService`]: hourglass_ports::service::report::ReportService

use actix_web::http::header::{
    self, Accept, CONTENT_DISPOSITION, CONTENT_TYPE, Header, HeaderValue, VARY,
};
use actix_web::{HttpRequest, HttpResponse, routes, web};
use chrono::{Datelike as _, Days, NaiveDate};
use hourglass_domain::report::{Calendar, DaySpan, GroupBy, MAX_REPORT_DAYS};
use hourglass_domain::time::Timestamp;

use crate::edge::auth::CurrentUser;
use crate::edge::dto::report::{ReportDto, render_csv};
use crate::edge::error::{ApiError, ErrorBody};
use crate::edge::query::{ACCEPTED_YEARS, QueryError, QueryParams, start_of_day};
use crate::edge::timezone::RenderZone;
use crate::state::AppState;

/// The `group_by` values, for error messages.
const GROUP_BY_VALUES: &str = "day, tag, schedule, todo";

/// How far past `to` a day start is looked for when `to` itself does not exist in the zone.
const MAX_SKIPPED_DAYS: u64 = 3;

/// A required `YYYY-MM-DD` parameter.
fn date_param(params: &QueryParams, name: &'static str) -> Result<NaiveDate, QueryError> {
    let Some(raw) = params.single(name)? else {
        return Err(QueryError::invalid(
            name,
            format!("{name} is required, as a date YYYY-MM-DD"),
        ));
    };
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|date| raw.len() == 10 && ACCEPTED_YEARS.contains(&date.year()))
        .ok_or_else(|| {
            QueryError::invalid(
                name,
                format!(
                    "{name} must be a date YYYY-MM-DD, got {:?}",
                    raw.chars().take(64).collect::<String>()
                ),
            )
        })
}

/// The days `[from, to)` in `zone`, each cut at local midnight.
///
/// # Errors
/// `INVALID_PARAMETER` when `from` is after `to` or the range is longer than
/// [`MAX_REPORT_DAYS`].
pub fn calendar(from: NaiveDate, to: NaiveDate, zone: &RenderZone) -> Result<Calendar, ApiError> {
    if from > to {
        return Err(QueryError::invalid("from", "from must not be after to").into());
    }
    let days = usize::try_from(to.signed_duration_since(from).num_days()).unwrap_or(usize::MAX);
    if days > MAX_REPORT_DAYS {
        return Err(QueryError::invalid(
            "to",
            format!("a report covers at most {MAX_REPORT_DAYS} days (from .. to), not {days}"),
        )
        .into());
    }
    let out_of_range = || ApiError::from(QueryError::invalid("to", "the dates are out of range"));
    // Day i begins at starts[i]; the day after the last begins at starts[days].
    let dates: Vec<NaiveDate> = (0..=days)
        .map(|i| from.checked_add_days(Days::new(u64::try_from(i).unwrap_or(u64::MAX))))
        .collect::<Option<_>>()
        .ok_or_else(out_of_range)?;
    let mut starts: Vec<Option<Timestamp>> =
        dates.iter().map(|date| start_of_day(*date, zone)).collect();
    // A date the zone skipped entirely is an empty day that begins (and ends) where the next
    // existing date begins.
    let mut next: Option<Timestamp> = None;
    if starts.last().copied().flatten().is_none() {
        next = (1..=MAX_SKIPPED_DAYS)
            .filter_map(|n| to.checked_add_days(Days::new(n)))
            .find_map(|date| start_of_day(date, zone));
    }
    for start in starts.iter_mut().rev() {
        match start {
            Some(at) => next = Some(*at),
            None => *start = next,
        }
    }
    let starts: Vec<Timestamp> = starts
        .into_iter()
        .collect::<Option<_>>()
        .ok_or_else(out_of_range)?;
    let spans = dates
        .iter()
        .zip(starts.windows(2))
        .map(|(date, bounds)| DaySpan {
            date: *date,
            start: bounds[0],
            end: bounds[1],
        })
        .collect();
    let start = starts.first().copied().ok_or_else(out_of_range)?;
    Calendar::new(start, spans).map_err(|error| QueryError::invalid("to", error.to_string()).into())
}

/// Whether the client prefers CSV: the first media type of `Accept` (by quality) that this
/// route serves decides; JSON when there is none, or it is `application/json` or a wildcard.
fn wants_csv(request: &HttpRequest) -> bool {
    let Ok(accept) = Accept::parse(request) else {
        return false;
    };
    for mime in accept.ranked() {
        match (mime.type_().as_str(), mime.subtype().as_str()) {
            ("text", "csv") => return true,
            ("application", "json") | ("application" | "*", "*") => return false,
            _ => {}
        }
    }
    false
}

/// `GET /v1/reports/summary`: seconds worked in `[from, to)`, grouped.
#[utoipa::path(
    get,
    path = "/v1/reports/summary",
    operation_id = "summary_report",
    tag = "reports",
    params(
        ("from" = String, Query, description = "First day, `YYYY-MM-DD`, in `timezone`"),
        ("to" = String, Query, description = "Day after the last one, `YYYY-MM-DD`: the range is `[from, to)`; `from == to` is empty; at most 400 days after `from`"),
        ("timezone" = Option<String>, Query, description = "Whose local midnights cut the days (DST-correct): `UTC`, an offset or an IANA name; UTC when absent"),
        ("group_by" = Option<String>, Query, description = "`day` (default), `tag`, `schedule` or `todo`"),
    ),
    responses(
        (status = 200, description = "Seconds per group and overall; `Accept: text/csv` gives CSV (`key,name,seconds,completed,cancelled,active`, a row per group, then a `total` row)",
            content(
                (ReportDto = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "`INVALID_PARAMETER` (missing or bad date, `from` after `to`, more than 400 days, unknown `group_by`) or `INVALID_TIMEZONE`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[routes]
#[get("/v1/reports/summary")]
#[get("/api/v1/reports/summary", name = "api_v1_summary_report")]
pub async fn summary_report(
    state: web::Data<AppState>,
    user: CurrentUser,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(request.query_string());
    let zone = params.timezone()?;
    let timezone = match params.single("timezone")? {
        // An unencoded `+` arrives as a space.
        Some(raw) => raw
            .strip_prefix(' ')
            .map_or_else(|| raw.to_owned(), |rest| format!("+{rest}")),
        None => "UTC".to_owned(),
    };
    let from = date_param(&params, "from")?;
    let to = date_param(&params, "to")?;
    let group_by = params
        .enum_value("group_by", GROUP_BY_VALUES, GroupBy::parse)?
        .unwrap_or(GroupBy::Day);
    let calendar = calendar(from, to, &zone)?;
    let report = state
        .reports
        .summary(user.0.user_id, calendar, group_by)
        .await?;
    let dto = ReportDto::render(
        &report,
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
        timezone,
    );
    let vary = (VARY, HeaderValue::from_static("Accept"));
    if wants_csv(&request) {
        let filename = format!(
            "attachment; filename=\"report-{}-{}-{}.csv\"",
            dto.from, dto.to, dto.group_by
        );
        let mut response = HttpResponse::Ok();
        response
            .insert_header((
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ))
            .insert_header(vary);
        if let Ok(value) = header::HeaderValue::from_str(&filename) {
            response.insert_header((CONTENT_DISPOSITION, value));
        }
        return Ok(response.body(render_csv(&dto)));
    }
    Ok(HttpResponse::Ok().insert_header(vary).json(dto))
}

#[cfg(test)]
mod tests;
