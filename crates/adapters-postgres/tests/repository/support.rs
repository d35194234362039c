//! Builders shared by the test modules.

use hourglass_adapters_postgres::repository::PgUserRepository;
use hourglass_domain::ids::{ScheduleId, TagId, TimerId, TodoId, UserId};
use hourglass_domain::planning::{Schedule, ScheduleWindow, Tag, Todo, TodoStatus};
use hourglass_domain::profile::Nickname;
use hourglass_domain::time::Timestamp;
use hourglass_domain::timer::{NewTimer, Timer};
use hourglass_domain::validation::{AllocatedDuration, TagColor, TagName, Title, Visibility};
use hourglass_ports::user::{InitialProfile, SignIn, UserRepository};
use hourglass_test_support::TestDatabase;
use uuid::Uuid;

/// A fixed "now": 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600;

pub fn at(seconds_after_t0: i64) -> Timestamp {
    let Some(instant) = Timestamp::from_unix_seconds(T0 + seconds_after_t0) else {
        panic!("valid instant")
    };
    instant
}

pub async fn database() -> anyhow::Result<TestDatabase> {
    Ok(TestDatabase::create().await?)
}

pub fn nickname(raw: &str) -> Nickname {
    let Ok(nick) = Nickname::parse(raw) else {
        panic!("valid nickname {raw}")
    };
    nick
}

/// A new user whose subject and nickname are `name`.
pub async fn user(db: &TestDatabase, name: &str) -> anyhow::Result<UserId> {
    let users = PgUserRepository::new(db.pool());
    let user = users
        .find_or_create(
            &SignIn::new("test", name),
            InitialProfile {
                nickname: nickname(name),
                profile_image: None,
            },
            at(0),
        )
        .await?;
    Ok(user.id)
}

pub fn title(raw: &str) -> Title {
    let Ok(title) = Title::new(raw) else {
        panic!("valid title")
    };
    title
}

pub struct TimerSpec {
    pub schedule_id: Option<ScheduleId>,
    pub todo_id: Option<TodoId>,
    pub tag_ids: Vec<TagId>,
    pub visibility: Visibility,
}

impl Default for TimerSpec {
    fn default() -> Self {
        Self {
            schedule_id: None,
            todo_id: None,
            tag_ids: Vec::new(),
            visibility: Visibility::Friends,
        }
    }
}

pub fn timer_with(owner: UserId, now: Timestamp, spec: TimerSpec) -> Timer {
    let Ok(allocated_duration) = AllocatedDuration::new(1500) else {
        panic!("valid duration")
    };
    Timer::start(
        TimerId::new(Uuid::now_v7()),
        NewTimer {
            owner_id: owner,
            allocated_duration,
            title: Some(title("focus")),
            description: None,
            schedule_id: spec.schedule_id,
            todo_id: spec.todo_id,
            tag_ids: spec.tag_ids,
            visibility: spec.visibility,
        },
        now,
    )
}

pub fn timer(owner: UserId, now: Timestamp) -> Timer {
    timer_with(owner, now, TimerSpec::default())
}

pub fn schedule(owner: UserId, tags: Vec<TagId>) -> Schedule {
    let Ok(window) = ScheduleWindow::new(at(3_600), at(7_200)) else {
        panic!("valid window")
    };
    Schedule {
        id: ScheduleId::new(Uuid::now_v7()),
        owner_id: owner,
        title: title("meeting"),
        description: None,
        window,
        tag_ids: tags,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub fn todo(owner: UserId, tags: Vec<TagId>) -> Todo {
    Todo {
        id: TodoId::new(Uuid::now_v7()),
        owner_id: owner,
        title: title("write report"),
        description: None,
        status: TodoStatus::Todo,
        deadline: Some(at(86_400)),
        tag_ids: tags,
        created_at: at(0),
        updated_at: at(0),
    }
}

pub fn tag(owner: UserId, name: &str) -> Tag {
    let (Ok(name), Ok(color)) = (TagName::new(name), TagColor::new("#a1b2c3")) else {
        panic!("valid tag")
    };
    Tag {
        id: TagId::new(Uuid::now_v7()),
        owner_id: owner,
        name,
        color,
        created_at: at(0),
        updated_at: at(0),
    }
}
