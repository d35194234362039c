//! The social REST API of `/api/v1` (`notifications-sse.md`): following, meetups and stored
//! notifications. The notification stream itself is [`crate::realtime::sse`].
//!
//! Under `/api/v1` every JSON key and query parameter is camelCase. Lists are JSON arrays, newest
//! first, paged with `limit` (1–100, default 50) and an opaque `cursor`; the next page's cursor
//! comes back in `X-Next-Cursor` (absent on the last page), as in the timer API.
//!
//! # Layout
//! - [`cursor`]: the opaque cursor of numeric-id lists.
//! - [`follows`]: `/api/v1/users/{id}/follow`, `/followers`, `/following`, `/users/me/friends`.
//! - [`meetups`]: `/api/v1/meetups` and `/api/v1/meetups/{id}/…`.
//! - [`notifications`]: `/api/v1/notifications…` and the notification JSON object.

pub mod cursor;
pub mod follows;
pub mod meetups;
pub mod notifications;

use std::collections::HashMap;

use actix_web::web;
use hourglass_domain::ids::UserId;
use hourglass_ports::user::User;

use crate::edge::error::ApiError;
use crate::state::AppState;

/// Default page size of the social lists.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size of the social lists.
pub const MAX_LIMIT: u32 = 100;

/// Registers the following, meetup and notification routes. Literal paths go before the
/// `{id}` ones that could also match them (`/notifications/read-all` before
/// `/notifications/{id}`), although the method guards already keep them apart.
pub fn configure(cfg: &mut web::ServiceConfig) {
    follows::configure(cfg);
    meetups::configure(cfg);
    notifications::configure(cfg);
}

/// The users among `ids`, by id, loaded in one query (never one per user).
///
/// # Errors
/// Storage failures as 503/500.
pub async fn users_by_id(
    state: &AppState,
    ids: impl IntoIterator<Item = UserId>,
) -> Result<HashMap<UserId, User>, ApiError> {
    let mut ids: Vec<UserId> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let users = state.users.find_many(&ids).await?;
    Ok(users.into_iter().map(|user| (user.id, user)).collect())
}
