//! The wire shape of a timer and of the schedule, todo and tag objects it embeds.
//!
//! Keys follow the Timer model table of `timer-api.md` exactly. A DTO is built for one viewer at
//! one instant in one zone: `elapsed_time` and `overtime` of a RUNNING timer are computed as of
//! `now` (the moment the response is built, and a read never changes the timer), `is_shared` says
//! whether the viewer is someone other than the owner, and every datetime — including
//! `pause_history[].at` and the embedded objects' fields — is written by the [`RenderZone`].

use hourglass_domain::ids::UserId;
use hourglass_domain::planning::{Schedule, Tag, Todo};
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{PauseEvent, Timer};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::edge::timezone::RenderZone;

/// A tag as embedded in timers (and returned by the tag routes): `{id, name, color}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TagDto {
    /// The tag's UUID.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Its color, `#RRGGBB`.
    pub color: String,
}

impl From<&Tag> for TagDto {
    fn from(tag: &Tag) -> Self {
        Self {
            id: tag.id.get(),
            name: tag.name.as_str().to_owned(),
            color: tag.color.as_str().to_owned(),
        }
    }
}

/// A schedule: `{id, title, description, start_time, end_time, tag_ids, created_at, updated_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScheduleDto {
    /// The schedule's UUID.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Description or null.
    pub description: Option<String>,
    /// Start, zone-rendered.
    pub start_time: String,
    /// End, zone-rendered.
    pub end_time: String,
    /// Attached tags' UUIDs (`[]` when none).
    pub tag_ids: Vec<Uuid>,
    /// Creation instant, zone-rendered.
    pub created_at: String,
    /// Last change, zone-rendered.
    pub updated_at: String,
}

impl ScheduleDto {
    /// Writes `schedule` with its datetimes in `zone`.
    pub fn render(schedule: &Schedule, zone: &RenderZone) -> Self {
        Self {
            id: schedule.id.get(),
            title: schedule.title.as_str().to_owned(),
            description: schedule.description.as_ref().map(|d| d.as_str().to_owned()),
            start_time: zone.render(schedule.window.start_time()),
            end_time: zone.render(schedule.window.end_time()),
            tag_ids: schedule.tag_ids.iter().map(|t| t.get()).collect(),
            created_at: zone.render(schedule.created_at),
            updated_at: zone.render(schedule.updated_at),
        }
    }
}

/// A todo: `{id, title, description, status, deadline, tag_ids, created_at, updated_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TodoDto {
    /// The todo's UUID.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Description or null.
    pub description: Option<String>,
    /// `TODO`, `IN_PROGRESS` or `DONE`.
    pub status: String,
    /// Deadline, zone-rendered, or null.
    pub deadline: Option<String>,
    /// Attached tags' UUIDs (`[]` when none).
    pub tag_ids: Vec<Uuid>,
    /// Creation instant, zone-rendered.
    pub created_at: String,
    /// Last change, zone-rendered.
    pub updated_at: String,
}

impl TodoDto {
    /// Writes `todo` with its datetimes in `zone`.
    pub fn render(todo: &Todo, zone: &RenderZone) -> Self {
        Self {
            id: todo.id.get(),
            title: todo.title.as_str().to_owned(),
            description: todo.description.as_ref().map(|d| d.as_str().to_owned()),
            status: todo.status.as_str().to_owned(),
            deadline: zone.render_opt(todo.deadline),
            tag_ids: todo.tag_ids.iter().map(|t| t.get()).collect(),
            created_at: zone.render(todo.created_at),
            updated_at: zone.render(todo.updated_at),
        }
    }
}

/// One `pause_history` entry: `{action, at, elapsed?}`; `elapsed` is omitted when absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PauseEventDto {
    /// `start`, `pause`, `resume`, `stop` or `cancel`.
    pub action: String,
    /// When, zone-rendered.
    pub at: String,
    /// Elapsed seconds right after the event; only on `pause`, `stop` and `cancel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed: Option<i64>,
}

impl PauseEventDto {
    /// Writes `event` with its instant in `zone`.
    pub fn render(event: &PauseEvent, zone: &RenderZone) -> Self {
        Self {
            action: event.action.as_str().to_owned(),
            at: zone.render(event.at),
            elapsed: event.elapsed,
        }
    }
}

/// What a timer response embeds besides the timer itself.
///
/// The caller decides what to embed (`include_schedule`, `include_todo`, `tag_include_mode`) and
/// has already checked that the viewer may read it; the WebSocket passes the timer's own tags and
/// no schedule or todo.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimerEmbeds<'a> {
    /// The linked schedule to embed, or `None` for `schedule: null`.
    pub schedule: Option<&'a Schedule>,
    /// The linked todo to embed, or `None` for `todo: null`.
    pub todo: Option<&'a Todo>,
    /// The tags to list, in order (`[]` when tags were not requested).
    pub tags: &'a [&'a Tag],
}

impl<'a> TimerEmbeds<'a> {
    /// No schedule, no todo, no tags.
    pub fn none() -> Self {
        Self::default()
    }

    /// Tags only (what the WebSocket sends: the timer's own tags, `schedule`/`todo` null).
    pub fn tags_only(tags: &'a [&'a Tag]) -> Self {
        Self {
            tags,
            ..Self::default()
        }
    }
}

/// A timer as the API writes it (the Timer model table of `timer-api.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimerDto {
    /// The timer's UUID.
    pub id: Uuid,
    /// Linked schedule or null.
    pub schedule_id: Option<Uuid>,
    /// Linked todo or null.
    pub todo_id: Option<Uuid>,
    /// Title or null.
    pub title: Option<String>,
    /// Description or null.
    pub description: Option<String>,
    /// Planned seconds.
    pub allocated_duration: i64,
    /// Seconds spent RUNNING as of the moment the response was built.
    pub elapsed_time: i64,
    /// `RUNNING`, `PAUSED`, `COMPLETED` or `CANCELLED`.
    pub status: String,
    /// Creation instant of the timer; never changes.
    pub started_at: String,
    /// Last pause, or null.
    pub paused_at: Option<String>,
    /// Stop or cancel instant, or null.
    pub ended_at: Option<String>,
    /// Every transition, oldest first.
    pub pause_history: Vec<PauseEventDto>,
    /// Creation instant.
    pub created_at: String,
    /// Last stored change.
    pub updated_at: String,
    /// The embedded schedule, or null.
    pub schedule: Option<ScheduleDto>,
    /// The embedded todo, or null.
    pub todo: Option<TodoDto>,
    /// Embedded tags (`[]` when not requested).
    pub tags: Vec<TagDto>,
    /// The owner's user id as a decimal string.
    pub owner_id: String,
    /// Whether the viewer is not the owner.
    pub is_shared: bool,
    /// `private`, `friends` or `public`.
    pub visibility: String,
    /// `elapsed_time > allocated_duration`.
    pub overtime: bool,
    /// 1 at creation, +1 per stored change.
    pub version: i64,
}

impl TimerDto {
    /// Writes `timer` for `viewer` as of `now`, with datetimes in `zone`.
    ///
    /// Pure: `now` only feeds `elapsed_time` and `overtime` of a RUNNING timer; the timer is not
    /// touched.
    pub fn render(
        timer: &Timer,
        viewer: UserId,
        now: Timestamp,
        zone: &RenderZone,
        embeds: TimerEmbeds<'_>,
    ) -> Self {
        Self {
            id: timer.id().get(),
            schedule_id: timer.schedule_id().map(|id| id.get()),
            todo_id: timer.todo_id().map(|id| id.get()),
            title: timer.title().map(|t| t.as_str().to_owned()),
            description: timer.description().map(|d| d.as_str().to_owned()),
            allocated_duration: timer.allocated_duration().seconds(),
            elapsed_time: timer.elapsed_at(now),
            status: timer.status().as_str().to_owned(),
            started_at: zone.render(timer.started_at()),
            paused_at: zone.render_opt(timer.paused_at()),
            ended_at: zone.render_opt(timer.ended_at()),
            pause_history: timer
                .pause_history()
                .events()
                .iter()
                .map(|event| PauseEventDto::render(event, zone))
                .collect(),
            created_at: zone.render(timer.created_at()),
            updated_at: zone.render(timer.updated_at()),
            schedule: embeds.schedule.map(|s| ScheduleDto::render(s, zone)),
            todo: embeds.todo.map(|t| TodoDto::render(t, zone)),
            tags: embeds.tags.iter().map(|tag| TagDto::from(*tag)).collect(),
            owner_id: timer.owner_id().to_string(),
            is_shared: viewer != timer.owner_id(),
            visibility: timer.visibility().as_str().to_owned(),
            overtime: timer.overtime_at(now),
            version: timer.version(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId};
    use hourglass_domain::planning::{ScheduleWindow, TodoStatus};
    use hourglass_domain::timer::{NewTimer, TimerCommand};
    use hourglass_domain::validation::{
        AllocatedDuration, Description, TagColor, TagName, Title, Visibility,
    };
    use serde_json::{Value, json};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const OWNER: UserId = UserId::new(42);
    const FRIEND: UserId = UserId::new(7);
    const TIMER_UUID: &str = "01944f2a-0000-7000-8000-000000000001";
    const SCHEDULE_UUID: &str = "01944f2a-0000-7000-8000-000000000002";
    const TODO_UUID: &str = "01944f2a-0000-7000-8000-000000000003";
    const TAG_UUID: &str = "01944f2a-0000-7000-8000-000000000004";
    /// 2026-01-28T10:00:00Z.
    const T0: i64 = 1_769_594_400;

    fn at(offset_seconds: i64) -> Timestamp {
        let Some(t) = Timestamp::from_unix_seconds(T0 + offset_seconds) else {
            panic!("in range")
        };
        t
    }

    fn uuid(raw: &str) -> Uuid {
        let Ok(id) = Uuid::parse_str(raw) else {
            panic!("valid uuid {raw}")
        };
        id
    }

    fn seoul() -> RenderZone {
        let Ok(zone) = RenderZone::parse("Asia/Seoul") else {
            panic!("valid zone")
        };
        zone
    }

    fn started(allocated: i64, title: Option<&str>) -> Result<Timer, Box<dyn std::error::Error>> {
        let new = NewTimer {
            owner_id: OWNER,
            allocated_duration: AllocatedDuration::new(allocated)?,
            title: title.map(Title::new).transpose()?,
            description: None,
            schedule_id: None,
            todo_id: None,
            tag_ids: Vec::new(),
            visibility: Visibility::default(),
        };
        Ok(Timer::start(TimerId::new(uuid(TIMER_UUID)), new, at(0)))
    }

    fn to_json(dto: &TimerDto) -> Result<Value, serde_json::Error> {
        serde_json::to_value(dto)
    }

    #[test]
    fn a_running_timer_read_90_seconds_after_start() -> TestResult {
        let timer = started(1500, Some("Write report"))?;
        let dto = TimerDto::render(
            &timer,
            OWNER,
            at(90),
            &RenderZone::NaiveUtc,
            TimerEmbeds::none(),
        );
        assert_eq!(
            to_json(&dto)?,
            json!({
                "id": TIMER_UUID,
                "schedule_id": null,
                "todo_id": null,
                "title": "Write report",
                "description": null,
                "allocated_duration": 1500,
                "elapsed_time": 90,
                "status": "RUNNING",
                "started_at": "2026-01-28T10:00:00",
                "paused_at": null,
                "ended_at": null,
                "pause_history": [{"action": "start", "at": "2026-01-28T10:00:00"}],
                "created_at": "2026-01-28T10:00:00",
                "updated_at": "2026-01-28T10:00:00",
                "schedule": null,
                "todo": null,
                "tags": [],
                "owner_id": "42",
                "is_shared": false,
                "visibility": "friends",
                "overtime": false,
                "version": 1
            })
        );
        Ok(())
    }

    #[test]
    fn keys_come_in_the_order_of_the_contract_table() -> TestResult {
        let timer = started(1500, None)?;
        let dto = TimerDto::render(
            &timer,
            OWNER,
            at(0),
            &RenderZone::NaiveUtc,
            TimerEmbeds::none(),
        );
        let text = serde_json::to_string(&dto)?;
        let keys = [
            "id",
            "schedule_id",
            "todo_id",
            "title",
            "description",
            "allocated_duration",
            "elapsed_time",
            "status",
            "started_at",
            "paused_at",
            "ended_at",
            "pause_history",
            "created_at",
            "updated_at",
            "schedule",
            "todo",
            "tags",
            "owner_id",
            "is_shared",
            "visibility",
            "overtime",
            "version",
        ];
        let positions: Vec<Option<usize>> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")))
            .collect();
        assert!(positions.iter().all(Option::is_some), "{text}");
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        Ok(())
    }

    #[test]
    fn a_paused_timer_in_seoul_renders_every_datetime_with_its_offset() -> TestResult {
        let mut timer = started(3600, None)?;
        timer.apply(TimerCommand::Pause, at(1800))?;
        let dto = TimerDto::render(&timer, OWNER, at(3600), &seoul(), TimerEmbeds::none());
        assert_eq!(
            to_json(&dto)?,
            json!({
                "id": TIMER_UUID,
                "schedule_id": null,
                "todo_id": null,
                "title": null,
                "description": null,
                "allocated_duration": 3600,
                "elapsed_time": 1800,
                "status": "PAUSED",
                "started_at": "2026-01-28T19:00:00+09:00",
                "paused_at": "2026-01-28T19:30:00+09:00",
                "ended_at": null,
                "pause_history": [
                    {"action": "start", "at": "2026-01-28T19:00:00+09:00"},
                    {"action": "pause", "at": "2026-01-28T19:30:00+09:00", "elapsed": 1800}
                ],
                "created_at": "2026-01-28T19:00:00+09:00",
                "updated_at": "2026-01-28T19:30:00+09:00",
                "schedule": null,
                "todo": null,
                "tags": [],
                "owner_id": "42",
                "is_shared": false,
                "visibility": "friends",
                "overtime": false,
                "version": 2
            })
        );
        Ok(())
    }

    #[test]
    fn a_resumed_then_stopped_timer_carries_elapsed_on_closing_events_only() -> TestResult {
        let mut timer = started(3600, None)?;
        timer.apply(TimerCommand::Pause, at(1800))?;
        timer.apply(TimerCommand::Resume, at(2100))?;
        timer.apply(TimerCommand::Stop, at(3000))?;
        let utc = RenderZone::parse("UTC")?;
        let dto = TimerDto::render(&timer, OWNER, at(9000), &utc, TimerEmbeds::none());
        let json = to_json(&dto)?;
        assert_eq!(
            json["pause_history"],
            json!([
                {"action": "start", "at": "2026-01-28T10:00:00+00:00"},
                {"action": "pause", "at": "2026-01-28T10:30:00+00:00", "elapsed": 1800},
                {"action": "resume", "at": "2026-01-28T10:35:00+00:00"},
                {"action": "stop", "at": "2026-01-28T10:50:00+00:00", "elapsed": 2700}
            ])
        );
        assert_eq!(json["status"], "COMPLETED");
        assert_eq!(json["elapsed_time"], 2700);
        // Resume cleared paused_at; stop leaves it as it was.
        assert_eq!(json["paused_at"], Value::Null);
        assert_eq!(json["ended_at"], "2026-01-28T10:50:00+00:00");
        assert_eq!(json["version"], 4);
        Ok(())
    }

    #[test]
    fn overtime_turns_true_once_elapsed_exceeds_the_allocation() -> TestResult {
        let timer = started(60, None)?;
        let render = |now| {
            TimerDto::render(
                &timer,
                OWNER,
                now,
                &RenderZone::NaiveUtc,
                TimerEmbeds::none(),
            )
        };
        let at_limit = render(at(60));
        assert_eq!((at_limit.elapsed_time, at_limit.overtime), (60, false));
        let over = render(at(61));
        assert_eq!((over.elapsed_time, over.overtime), (61, true));
        let json = to_json(&over)?;
        assert_eq!(json["overtime"], true);
        assert_eq!(json["status"], "RUNNING");
        // A read changes nothing: the timer still renders as before.
        assert_eq!(render(at(60)), at_limit);
        Ok(())
    }

    #[test]
    fn a_stopped_timer_stays_overtime_and_stops_counting() -> TestResult {
        let mut timer = started(60, None)?;
        timer.apply(TimerCommand::Stop, at(120))?;
        let dto = TimerDto::render(
            &timer,
            OWNER,
            at(10_000),
            &RenderZone::NaiveUtc,
            TimerEmbeds::none(),
        );
        assert_eq!((dto.elapsed_time, dto.overtime), (120, true));
        Ok(())
    }

    #[test]
    fn owner_id_is_a_decimal_string_and_is_shared_follows_the_viewer() -> TestResult {
        let timer = started(1500, None)?;
        let for_owner = TimerDto::render(
            &timer,
            OWNER,
            at(0),
            &RenderZone::NaiveUtc,
            TimerEmbeds::none(),
        );
        let for_friend = TimerDto::render(
            &timer,
            FRIEND,
            at(0),
            &RenderZone::NaiveUtc,
            TimerEmbeds::none(),
        );
        assert_eq!(to_json(&for_owner)?["owner_id"], json!("42"));
        assert_eq!(to_json(&for_owner)?["is_shared"], json!(false));
        assert_eq!(to_json(&for_friend)?["owner_id"], json!("42"));
        assert_eq!(to_json(&for_friend)?["is_shared"], json!(true));
        Ok(())
    }

    struct Fixtures {
        schedule: Schedule,
        todo: Todo,
        tag: Tag,
    }

    fn fixtures() -> Result<Fixtures, Box<dyn std::error::Error>> {
        let schedule = Schedule {
            id: ScheduleId::new(uuid(SCHEDULE_UUID)),
            owner_id: OWNER,
            title: Title::new("Standup")?,
            description: Some(Description::new("daily")?),
            window: ScheduleWindow::new(at(0), at(1800))?,
            tag_ids: vec![TagId::new(uuid(TAG_UUID))],
            created_at: at(-3600),
            updated_at: at(-60),
        };
        let todo = Todo {
            id: TodoId::new(uuid(TODO_UUID)),
            owner_id: OWNER,
            title: Title::new("Ship it")?,
            description: None,
            status: TodoStatus::InProgress,
            deadline: Some(at(86_400)),
            tag_ids: Vec::new(),
            created_at: at(-7200),
            updated_at: at(-7200),
        };
        let tag = Tag {
            id: TagId::new(uuid(TAG_UUID)),
            owner_id: OWNER,
            name: TagName::new("focus")?,
            color: TagColor::new("#ff8800")?,
            created_at: at(-7200),
            updated_at: at(-7200),
        };
        Ok(Fixtures {
            schedule,
            todo,
            tag,
        })
    }

    #[test]
    fn embeds_are_null_or_empty_when_not_given() -> TestResult {
        let timer = started(1500, None)?;
        let json = to_json(&TimerDto::render(
            &timer,
            OWNER,
            at(0),
            &seoul(),
            TimerEmbeds::none(),
        ))?;
        assert_eq!(json["schedule"], Value::Null);
        assert_eq!(json["todo"], Value::Null);
        assert_eq!(json["tags"], json!([]));
        let Some(object) = json.as_object() else {
            panic!("an object")
        };
        assert!(object.contains_key("schedule") && object.contains_key("todo"));
        Ok(())
    }

    #[test]
    fn embedded_objects_are_rendered_in_the_zone() -> TestResult {
        let f = fixtures()?;
        let timer = started(1500, None)?;
        let tags = [&f.tag];
        let embeds = TimerEmbeds {
            schedule: Some(&f.schedule),
            todo: Some(&f.todo),
            tags: &tags,
        };
        let json = to_json(&TimerDto::render(&timer, OWNER, at(0), &seoul(), embeds))?;
        assert_eq!(
            json["schedule"],
            json!({
                "id": SCHEDULE_UUID,
                "title": "Standup",
                "description": "daily",
                "start_time": "2026-01-28T19:00:00+09:00",
                "end_time": "2026-01-28T19:30:00+09:00",
                "tag_ids": [TAG_UUID],
                "created_at": "2026-01-28T18:00:00+09:00",
                "updated_at": "2026-01-28T18:59:00+09:00"
            })
        );
        assert_eq!(
            json["todo"],
            json!({
                "id": TODO_UUID,
                "title": "Ship it",
                "description": null,
                "status": "IN_PROGRESS",
                "deadline": "2026-01-29T19:00:00+09:00",
                "tag_ids": [],
                "created_at": "2026-01-28T17:00:00+09:00",
                "updated_at": "2026-01-28T17:00:00+09:00"
            })
        );
        assert_eq!(
            json["tags"],
            json!([{"id": TAG_UUID, "name": "focus", "color": "#FF8800"}])
        );
        Ok(())
    }

    #[test]
    fn tags_only_embeds_tags_without_schedule_or_todo() -> TestResult {
        let f = fixtures()?;
        let timer = started(1500, None)?;
        let tags = [&f.tag];
        let dto = TimerDto::render(
            &timer,
            OWNER,
            at(0),
            &RenderZone::NaiveUtc,
            TimerEmbeds::tags_only(&tags),
        );
        assert!(dto.schedule.is_none() && dto.todo.is_none());
        assert_eq!(dto.tags, vec![TagDto::from(&f.tag)]);
        Ok(())
    }

    #[test]
    fn standalone_schedule_and_todo_render_naive_without_a_zone() -> TestResult {
        let f = fixtures()?;
        let schedule =
            serde_json::to_value(ScheduleDto::render(&f.schedule, &RenderZone::NaiveUtc))?;
        assert_eq!(schedule["start_time"], "2026-01-28T10:00:00");
        let mut todo = f.todo.clone();
        todo.deadline = None;
        let todo = serde_json::to_value(TodoDto::render(&todo, &RenderZone::NaiveUtc))?;
        assert_eq!(todo["deadline"], Value::Null);
        assert_eq!(todo["created_at"], "2026-01-28T08:00:00");
        Ok(())
    }

    #[test]
    fn a_timer_dto_round_trips_through_json() -> TestResult {
        let mut timer = started(1500, Some("t"))?;
        timer.apply(TimerCommand::Pause, at(30))?;
        let dto = TimerDto::render(&timer, FRIEND, at(40), &seoul(), TimerEmbeds::none());
        let back: TimerDto = serde_json::from_str(&serde_json::to_string(&dto)?)?;
        assert_eq!(back, dto);
        Ok(())
    }
}
