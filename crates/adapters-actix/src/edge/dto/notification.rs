//! The notification object (`notifications-sse.md`, "Notification object"), shared by the REST
//! list and the SSE `notification` event.
//!
//! `actorNickname` and `actorProfileImage` are the actor's *current* profile, loaded for a whole
//! page in one query; they are null for system notifications (no actor) and for an actor whose
//! account is gone. The message keeps the nickname it was created with, as the original does.

use std::collections::HashMap;

use hourglass_domain::ids::UserId;
use hourglass_domain::notification::Notification;
use hourglass_ports::error::StorageError;
use hourglass_ports::service::user::UserService;
use hourglass_ports::user::User;
use serde::Serialize;

use crate::edge::timezone::RenderZone;

/// A notification as REST and the SSE `notification` event render it: exactly the original
/// spec's object, camelCase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "id": 1, "receiverId": 100, "actorId": 102, "actorNickname": "user0",
    "actorProfileImage": "https://example.com/profile/user0.jpg", "type": "FOLLOW",
    "message": "user0님이 회원님을 팔로우하기 시작했습니다.", "isRead": false,
    "relatedId": null, "relatedType": "FOLLOW", "redirectUrl": "/profile/102",
    "createdAt": "2025-12-15T22:35:21"
}))]
pub struct NotificationDto {
    /// Increases per receiver in commit order; the SSE `id:` and `Last-Event-ID`.
    pub id: i64,
    /// Who receives it.
    pub receiver_id: i64,
    /// Who caused it; null for a system notification.
    pub actor_id: Option<i64>,
    /// The actor's current nickname; null without an actor.
    pub actor_nickname: Option<String>,
    /// The actor's current picture; null without one.
    pub actor_profile_image: Option<String>,
    /// `FOLLOW`, `ENTER`, `EXIT`, `CREATE`, `CANCLE` (sic) or `TEST`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The Korean text to show.
    pub message: String,
    /// Whether the receiver has read it.
    pub is_read: bool,
    /// The meetup id for meetup kinds; null otherwise.
    pub related_id: Option<i64>,
    /// `FOLLOW`, `POST` or `TEST`.
    pub related_type: String,
    /// The front-end path to open on click.
    pub redirect_url: String,
    /// When it was stored (naive UTC, or in the request's `timezone`).
    pub created_at: String,
}

impl NotificationDto {
    /// `notification` rendered with `zone`, `actor` being its actor's current profile.
    pub fn render(notification: &Notification, actor: Option<&User>, zone: &RenderZone) -> Self {
        Self {
            id: notification.id().get(),
            receiver_id: notification.receiver().get(),
            actor_id: notification.actor().map(UserId::get),
            actor_nickname: actor.map(|user| user.nickname.as_str().to_owned()),
            actor_profile_image: actor
                .and_then(|user| user.profile_image.as_ref())
                .map(|image| image.as_str().to_owned()),
            kind: notification.kind().as_str().to_owned(),
            message: notification.message().to_owned(),
            is_read: notification.is_read(),
            related_id: notification.related_id(),
            related_type: notification.related_type().as_str().to_owned(),
            redirect_url: notification.redirect_url().to_owned(),
            created_at: zone.render(notification.created_at()),
        }
    }

    /// Every notification of `page` rendered, with all their actors loaded in one query (never
    /// one per notification).
    ///
    /// # Errors
    /// [`StorageError`].
    pub async fn render_all(
        users: &UserService,
        page: &[Notification],
        zone: &RenderZone,
    ) -> Result<Vec<Self>, StorageError> {
        let mut ids: Vec<UserId> = page.iter().filter_map(Notification::actor).collect();
        ids.sort_unstable();
        ids.dedup();
        let actors: HashMap<UserId, User> = users
            .find_many(&ids)
            .await?
            .into_iter()
            .map(|user| (user.id, user))
            .collect();
        Ok(page
            .iter()
            .map(|n| Self::render(n, n.actor().and_then(|a| actors.get(&a)), zone))
            .collect())
    }
}
