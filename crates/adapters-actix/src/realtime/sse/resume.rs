//! The `Last-Event-ID` seam, the one place where a stream's position meets storage: where a
//! stream resumes from, what it missed after that position (read on connect and again on a
//! resync), and which live notifications it already has. Ids are visible per receiver in commit
//! order, so "after the last id" is exactly "not yet sent".

use actix_web::HttpRequest;
use hourglass_domain::ids::{NotificationId, UserId};
use hourglass_ports::error::StorageError;
use hourglass_ports::service::notification::REPLAY_LIMIT;

use super::LAST_EVENT_ID_HEADER;
use crate::edge::dto::NotificationDto;
use crate::edge::error::ApiError;
use crate::edge::query::QueryParams;
use crate::edge::timezone::RenderZone;
use crate::state::AppState;

/// `Last-Event-ID` (header; the browser's reconnect) or else `lastEventId` (query). Empty means
/// none.
///
/// # Errors
/// 400 `INVALID_PARAMETER` naming the parameter when it is not a non-negative integer.
pub(super) fn last_event_id(
    request: &HttpRequest,
    params: &QueryParams,
) -> Result<Option<NotificationId>, ApiError> {
    let header = request
        .headers()
        .get(LAST_EVENT_ID_HEADER)
        .map(|value| value.to_str().unwrap_or("?").trim())
        .filter(|value| !value.is_empty());
    let (name, raw) = match header {
        Some(raw) => ("Last-Event-ID", raw),
        None => match params.single("lastEventId")?.map(str::trim) {
            Some(raw) if !raw.is_empty() => ("lastEventId", raw),
            _ => return Ok(None),
        },
    };
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id >= 0)
        .map(|id| Some(NotificationId::new(id)))
        .ok_or_else(|| {
            ApiError::invalid_parameter(format!(
                "{name} must be a notification id (a non-negative integer)"
            ))
        })
}

/// What `user` missed after `after`, oldest first, at most [`REPLAY_LIMIT`], rendered in `zone`.
///
/// # Errors
/// [`StorageError`].
pub(super) async fn missed_after(
    state: &AppState,
    user: UserId,
    after: NotificationId,
    zone: &RenderZone,
) -> Result<Vec<(NotificationId, NotificationDto)>, StorageError> {
    let missed = state
        .notifications
        .replay_after(user, after, REPLAY_LIMIT)
        .await?;
    let dtos = NotificationDto::render_all(&state.users, &missed, zone).await?;
    Ok(missed.iter().map(|n| n.id()).zip(dtos).collect())
}

/// Whether a live notification `id` is one the client already has (from the replay, or sent).
pub(super) fn already_sent(last_sent: Option<NotificationId>, id: NotificationId) -> bool {
    last_sent.is_some_and(|last| id <= last)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn resume(header: Option<&'static str>, query: &str) -> Result<Option<i64>, String> {
        let mut request = TestRequest::default().uri(&format!("/x?{query}"));
        if let Some(value) = header {
            request = request.insert_header((LAST_EVENT_ID_HEADER, value));
        }
        let request = request.to_http_request();
        last_event_id(&request, &QueryParams::parse(request.query_string()))
            .map(|id| id.map(NotificationId::get))
            .map_err(|error| error.message().to_owned())
    }

    #[test]
    fn a_live_notification_at_or_below_the_position_is_a_duplicate() {
        let at = |id| Some(NotificationId::new(id));
        assert!(already_sent(at(5), NotificationId::new(5)));
        assert!(already_sent(at(5), NotificationId::new(4)));
        assert!(!already_sent(at(5), NotificationId::new(6)));
        assert!(!already_sent(None, NotificationId::new(1)));
    }

    #[test]
    fn the_header_wins_over_the_query_and_empty_means_none() {
        assert_eq!(resume(None, ""), Ok(None));
        assert_eq!(resume(None, "lastEventId=5"), Ok(Some(5)));
        assert_eq!(resume(Some("9"), "lastEventId=5"), Ok(Some(9)));
        assert_eq!(resume(Some(""), "lastEventId=5"), Ok(Some(5)));
        assert_eq!(resume(None, "lastEventId="), Ok(None));
        assert!(matches!(resume(Some("x"), ""), Err(m) if m.starts_with("Last-Event-ID")));
        assert!(matches!(resume(None, "lastEventId=-1"), Err(m) if m.starts_with("lastEventId")));
    }
}
