//! The notification object (`notifications-sse.md`, "Notification object"), shared by the REST
//! list and the SSE `notification` event.
//!
//! `actorNickname` and `actorProfileImage` are the actor's *current* profile, loaded for a whole
//! page in one query. A notification whose actor deleted their account has no actor any more:
//! `actorId` and `actorProfileImage` are null and `actorNickname` is `탈퇴한 사용자` (its message
//! was renamed the same way by the deletion). The message otherwise keeps the nickname it was
//! created with, as the original does.
//!
//! `relatedId` is a number for a meetup (as in the original) and a UUID string for a timer
//! (`TIME_UP`, `TIMER_FORGOTTEN`), so the meetup and follow shapes stay byte for byte the
//! original's.

use std::collections::HashMap;

use hourglass_domain::ids::UserId;
use hourglass_domain::notification::{Notification, NotificationKind, RelatedId, RelatedType};
use hourglass_domain::profile::DELETED_USER_NICKNAME;
use hourglass_ports::error::StorageError;
use hourglass_ports::service::user::UserService;
use hourglass_ports::user::User;
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};

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
    /// The actor's current nickname; `탈퇴한 사용자` once the actor deleted their account.
    pub actor_nickname: Option<String>,
    /// The actor's current picture; null without one.
    pub actor_profile_image: Option<String>,
    /// `FOLLOW`, `ENTER`, `EXIT`, `CREATE`, `CANCLE` (sic), `TEST`, `TIME_UP` or
    /// `TIMER_FORGOTTEN`.
    #[serde(rename = "type")]
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    /// The Korean text to show.
    pub message: String,
    /// Whether the receiver has read it.
    pub is_read: bool,
    /// The meetup id (a number) for meetup kinds, the timer id (a UUID string) for timer kinds;
    /// null otherwise.
    #[schema(schema_with = related_id_schema, required = false)]
    pub related_id: Option<RelatedIdDto>,
    /// `FOLLOW`, `POST`, `TEST` or `TIMER`.
    #[schema(schema_with = related_type_schema)]
    pub related_type: String,
    /// The front-end path to open on click.
    pub redirect_url: String,
    /// When it was stored (naive UTC, or in the request's `timezone`).
    pub created_at: String,
}

/// `relatedId` on the wire: a meetup id stays a JSON number, a timer id is a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum RelatedIdDto {
    /// A meetup id, e.g. `520`.
    Meetup(i64),
    /// A timer id, hyphenated, e.g. `"0193…-…"`.
    Timer(String),
}

impl From<RelatedId> for RelatedIdDto {
    fn from(related: RelatedId) -> Self {
        match related {
            RelatedId::Meetup(meetup) => Self::Meetup(meetup.get()),
            RelatedId::Timer(timer) => Self::Timer(timer.to_string()),
        }
    }
}

/// The `type` schema: a string among the domain's kinds, so a new kind shows up by itself.
fn kind_schema() -> Schema {
    wire_enum(
        NotificationKind::ALL.map(NotificationKind::as_str),
        "`FOLLOW`, `ENTER`, `EXIT`, `CREATE`, `CANCLE` (sic), `TEST`, `TIME_UP` or `TIMER_FORGOTTEN`.",
    )
}

/// The `relatedType` schema, from the domain's related types.
fn related_type_schema() -> Schema {
    wire_enum(
        RelatedType::ALL.map(RelatedType::as_str),
        "`FOLLOW`, `POST`, `TEST` or `TIMER`.",
    )
}

fn wire_enum<const N: usize>(values: [&'static str; N], description: &str) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .description(Some(description))
            .build(),
    )
}

/// The `relatedId` schema: a number (meetup), a UUID string (timer) or null.
fn related_id_schema() -> Schema {
    let variant = |schema_type: Type, format: Option<KnownFormat>, description: &str| {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(schema_type)
                .format(format.map(SchemaFormat::KnownFormat))
                .description(Some(description))
                .build(),
        ))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(variant(
                Type::Integer,
                Some(KnownFormat::Int64),
                "A meetup id (`relatedType` `POST`).",
            ))
            .item(variant(
                Type::String,
                Some(KnownFormat::Uuid),
                "A timer id (`relatedType` `TIMER`).",
            ))
            .item(variant(Type::Null, None, "Nothing (`FOLLOW`, `TEST`)."))
            .description(Some(
                "The meetup id (a number) for meetup kinds, the timer id (a UUID string) for \
                 timer kinds; null otherwise.",
            ))
            .build(),
    )
}

impl NotificationDto {
    /// `notification` rendered with `zone`, `actor` being its actor's current profile.
    pub fn render(notification: &Notification, actor: Option<&User>, zone: &RenderZone) -> Self {
        Self {
            id: notification.id().get(),
            receiver_id: notification.receiver().get(),
            actor_id: notification.actor().map(UserId::get),
            actor_nickname: match (notification.actor(), actor) {
                (_, Some(user)) => Some(user.nickname.as_str().to_owned()),
                (None, None) => Some(DELETED_USER_NICKNAME.to_owned()),
                // Deleted since this notification was read, or not loaded: unknown.
                (Some(_), None) => None,
            },
            actor_profile_image: actor
                .and_then(|user| user.profile_image.as_ref())
                .map(|image| image.as_str().to_owned()),
            kind: notification.kind().as_str().to_owned(),
            message: notification.message().to_owned(),
            is_read: notification.is_read(),
            related_id: notification.related_id().map(RelatedIdDto::from),
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

#[cfg(test)]
mod tests {
    use hourglass_domain::ids::{MeetupId, NotificationId, TimerId};
    use hourglass_domain::notification::NotificationDraft;
    use hourglass_domain::profile::Nickname;
    use hourglass_domain::time::Timestamp;
    use hourglass_domain::validation::Title;
    use uuid::Uuid;

    use super::*;

    fn rendered(draft: NotificationDraft) -> Result<String, Box<dyn std::error::Error>> {
        let created = Timestamp::from_unix_seconds(1_765_838_121).ok_or("instant")?;
        let notification = Notification::from_draft(NotificationId::new(1), draft, created);
        let dto = NotificationDto::render(&notification, None, &RenderZone::NaiveUtc);
        Ok(serde_json::to_string(&dto)?)
    }

    #[test]
    fn related_id_is_a_number_for_a_meetup_and_null_for_a_follow()
    -> Result<(), Box<dyn std::error::Error>> {
        let nick = Nickname::parse("user0")?;
        let meetup = NotificationDraft::meetup_entered(
            UserId::new(100),
            UserId::new(105),
            &nick,
            MeetupId::new(500),
        );
        assert_eq!(
            rendered(meetup)?,
            r#"{"id":1,"receiverId":100,"actorId":105,"actorNickname":null,"actorProfileImage":null,"type":"ENTER","message":"user0님이 모임에 참여하셨습니다.","isRead":false,"relatedId":500,"relatedType":"POST","redirectUrl":"/post/500","createdAt":"2025-12-15T22:35:21"}"#
        );
        let follow = NotificationDraft::follow(UserId::new(100), UserId::new(102), &nick);
        assert_eq!(
            rendered(follow)?,
            r#"{"id":1,"receiverId":100,"actorId":102,"actorNickname":null,"actorProfileImage":null,"type":"FOLLOW","message":"user0님이 회원님을 팔로우하기 시작했습니다.","isRead":false,"relatedId":null,"relatedType":"FOLLOW","redirectUrl":"/profile/102","createdAt":"2025-12-15T22:35:21"}"#
        );
        Ok(())
    }

    #[test]
    fn related_id_is_a_string_for_a_timer() -> Result<(), Box<dyn std::error::Error>> {
        let timer = TimerId::new(Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001));
        let draft = NotificationDraft::time_up(UserId::new(7), timer, Some(&Title::new("공부")?));
        assert_eq!(
            rendered(draft)?,
            r#"{"id":1,"receiverId":7,"actorId":7,"actorNickname":null,"actorProfileImage":null,"type":"TIME_UP","message":"'공부' 타이머의 시간이 다 되었습니다.","isRead":false,"relatedId":"01930000-0000-7000-8000-000000000001","relatedType":"TIMER","redirectUrl":"/timers/01930000-0000-7000-8000-000000000001","createdAt":"2025-12-15T22:35:21"}"#
        );
        Ok(())
    }
}

/// The data of the SSE `unread-count` event (an extension): the receiver's unread count as of the
/// change it follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({"unreadCount": 3}))]
pub struct UnreadCountEventDto {
    /// Unread notifications of the receiver.
    pub unread_count: u64,
}

/// The data of the SSE `notification-read` and `notification-deleted` events (extensions): the
/// ids of the receiver's notifications that were marked read, or deleted, in one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"ids": [41, 42]}))]
pub struct NotificationIdsEventDto {
    /// The notifications' ids, ascending.
    pub ids: Vec<i64>,
}
