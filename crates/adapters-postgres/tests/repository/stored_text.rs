//! Text stored before the control-character rule (issue 17) still loads: input refuses C0
//! controls other than tab and line breaks, but rows that already hold them are read back as
//! they are, never reported as corrupt.

use diesel::sql_types::Text;
use diesel_async::RunQueryDsl as _;
use hourglass_adapters_postgres::repository::{
    PgMeetupRepository, PgScheduleRepository, PgTagRepository, PgTimerRepository, PgTodoRepository,
};
use hourglass_domain::meetup::{MeetupDescription, MeetupTitle, NewMeetup};
use hourglass_ports::meetup::MeetupRepository as _;
use hourglass_ports::planning::{ScheduleRepository as _, TagRepository as _, TodoRepository as _};
use hourglass_ports::timer::TimerRepository as _;

use crate::support::{at, database, schedule, tag, timer, todo, user};

/// Bell, escape and a lone carriage return: what the input rule now refuses.
const OLD: &str = "old\u{7}\u{1b}[31m\rtext";

#[tokio::test]
async fn rows_holding_control_characters_still_load() -> anyhow::Result<()> {
    let db = database().await?;
    let alice = user(&db, "alice").await?;
    let timers = PgTimerRepository::new(db.pool());
    let schedules = PgScheduleRepository::new(db.pool());
    let todos = PgTodoRepository::new(db.pool());
    let tags = PgTagRepository::new(db.pool());
    let meetups = PgMeetupRepository::new(db.pool());
    let running = timer(alice, at(0));
    timers.insert(&running).await?;
    let plan = schedule(alice, vec![]);
    schedules.insert(&plan).await?;
    let task = todo(alice, vec![]);
    todos.insert(&task).await?;
    let label = tag(alice, "label");
    tags.insert(&label).await?;
    let Ok(title) = MeetupTitle::parse("Study") else {
        panic!("valid title")
    };
    let meetup = meetups
        .create(
            NewMeetup {
                host_id: alice,
                title,
                description: MeetupDescription::empty(),
                starts_at: at(3_600),
                capacity: None,
            },
            at(0),
        )
        .await?
        .meetup;

    // As an older release could have stored them.
    let mut conn = db.pool().get().await?;
    for statement in [
        "UPDATE timers SET title = $1, description = $1",
        "UPDATE schedules SET title = $1, description = $1",
        "UPDATE todos SET title = $1, description = $1",
        "UPDATE tags SET name = $1",
        "UPDATE meetups SET title = $1, description = $1",
    ] {
        diesel::sql_query(statement)
            .bind::<Text, _>(OLD)
            .execute(&mut conn)
            .await?;
    }

    let loaded = timers.find(running.id()).await?;
    let loaded = loaded.as_ref().and_then(|t| t.title());
    assert_eq!(loaded.map(|t| t.as_str()), Some(OLD));
    let loaded = schedules.find(alice, plan.id).await?;
    assert_eq!(
        loaded.map(|s| s.title.as_str().to_owned()).as_deref(),
        Some(OLD)
    );
    let loaded = todos.find(alice, task.id).await?;
    assert_eq!(
        loaded
            .and_then(|t| t.description)
            .map(|d| d.as_str().to_owned())
            .as_deref(),
        Some(OLD)
    );
    let loaded = tags.find(alice, label.id).await?;
    assert_eq!(
        loaded.map(|t| t.name.as_str().to_owned()).as_deref(),
        Some(OLD)
    );
    let loaded = meetups.find(meetup.id()).await?;
    assert_eq!(
        loaded
            .map(|m| m.description().as_str().to_owned())
            .as_deref(),
        Some(OLD)
    );
    Ok(())
}
