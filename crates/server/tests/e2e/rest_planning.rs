//! Schedules, todos and tags over real HTTP: owner-scoped CRUD, validation, pagination, the
//! schedule date filter, and what deleting one does to the timers that link to it.

use std::collections::HashSet;

use hourglass_domain::ids::{ScheduleId, TagId, TodoId};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::rest_support::{
    TimerSpec, ago, created_id, delete, get, patch, post, spawn, stored, user, uuid,
};

#[tokio::test]
async fn schedules_crud_is_owner_scoped() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    let tag = post(
        &app,
        &alice,
        "/v1/tags",
        json!({"name": "focus", "color": "#abcdef"}),
    )
    .await?;
    let tag_id = created_id(&tag)?;

    let created = post(
        &app,
        &alice,
        "/v1/schedules?timezone=Asia/Seoul",
        json!({
            "title": "Standup",
            "description": "daily",
            "start_time": "2026-01-28T10:00:00",
            "end_time": "2026-01-28T19:30:00+09:00",
            "tag_ids": [tag_id]
        }),
    )
    .await?;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["start_time"], "2026-01-28T19:00:00+09:00");
    assert_eq!(created.body["end_time"], "2026-01-28T19:30:00+09:00");
    assert_eq!(created.body["tag_ids"], json!([tag_id]));
    let id = created_id(&created)?;
    let path = format!("/v1/schedules/{id}");

    let read = get(&app, &alice, &path).await?;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["title"], "Standup");
    assert_eq!(read.body["start_time"], "2026-01-28T10:00:00");
    assert_eq!(read.body["description"], "daily");

    let changed = patch(
        &app,
        &alice,
        &path,
        json!({"title": "Retro", "description": null, "tag_ids": [], "end_time": "2026-01-28T12:00:00Z"}),
    )
    .await?;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["title"], "Retro");
    assert_eq!(changed.body["description"], Value::Null);
    assert_eq!(changed.body["tag_ids"], json!([]));
    assert_eq!(changed.body["end_time"], "2026-01-28T12:00:00");
    assert_eq!(
        changed.body["start_time"], "2026-01-28T10:00:00",
        "absent keeps"
    );

    for (body, field) in [
        (json!({"end_time": "2026-01-28T09:00:00"}), "end_time"),
        (json!({"title": null}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"start_time": "soon"}), "start_time"),
    ] {
        let answer = patch(&app, &alice, &path, body).await?;
        answer.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED")?;
        assert!(
            answer.message().contains(field),
            "{field}: {}",
            answer.message()
        );
    }
    for body in [
        json!({"start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
        json!({"title": "x", "end_time": "2026-01-28T11:00:00"}),
        json!({"title": "x", "start_time": "2026-01-28T12:00:00", "end_time": "2026-01-28T11:00:00"}),
        json!({"title": 1, "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
    ] {
        post(&app, &alice, "/v1/schedules", body)
            .await?
            .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED")?;
    }
    // A tag that is someone else's is not found.
    let bob_tag = created_id(
        &post(
            &app,
            &bob,
            "/v1/tags",
            json!({"name": "b", "color": "#000000"}),
        )
        .await?,
    )?;
    post(
        &app,
        &alice,
        "/v1/schedules",
        json!({"title": "x", "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00", "tag_ids": [bob_tag]}),
    )
    .await?
    .expect_error(StatusCode::NOT_FOUND, "TAG_NOT_FOUND")?;
    patch(&app, &alice, &path, json!({"tag_ids": [bob_tag]}))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TAG_NOT_FOUND")?;

    // Bob sees nothing of Alice's.
    get(&app, &bob, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "SCHEDULE_NOT_FOUND")?;
    patch(&app, &bob, &path, json!({"title": "x"}))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "SCHEDULE_NOT_FOUND")?;
    delete(&app, &bob, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "SCHEDULE_NOT_FOUND")?;
    assert_eq!(get(&app, &bob, "/v1/schedules").await?.items().len(), 0);
    get(&app, &alice, "/v1/schedules/nope")
        .await?
        .expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;

    assert_eq!(
        delete(&app, &alice, &path).await?.status,
        StatusCode::NO_CONTENT
    );
    get(&app, &alice, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "SCHEDULE_NOT_FOUND")?;
    delete(&app, &alice, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "SCHEDULE_NOT_FOUND")?;
    app.stop().await
}

#[tokio::test]
async fn schedule_lists_page_and_filter_on_start_time() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let mut all = Vec::new();
    for day in 20..27 {
        let answer = post(
            &app,
            &alice,
            "/v1/schedules",
            json!({
                "title": format!("day {day}"),
                "start_time": format!("2026-01-{day}T23:30:00Z"),
                "end_time": format!("2026-01-{day}T23:45:00Z"),
            }),
        )
        .await?;
        all.push(created_id(&answer)?);
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/schedules?limit=2".to_owned();
    for _ in 0..10 {
        let answer = get(&app, &alice, &path).await?;
        seen.extend(answer.ids());
        match answer.next_cursor() {
            Some(cursor) => path = format!("/api/v1/schedules?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        7,
        "no duplicates"
    );
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        all.iter().collect::<HashSet<_>>(),
        "no gaps"
    );
    // 2026-01-22T23:30Z is the 23rd in Seoul.
    let utc = get(
        &app,
        &alice,
        "/v1/schedules?start_date=2026-01-22&end_date=2026-01-23",
    )
    .await?;
    let titles: HashSet<String> = utc
        .items()
        .iter()
        .filter_map(|s| s["title"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        titles,
        HashSet::from(["day 22".to_owned(), "day 23".to_owned()])
    );
    let seoul = get(
        &app,
        &alice,
        "/v1/schedules?start_date=2026-01-23&end_date=2026-01-23&timezone=Asia/Seoul",
    )
    .await?;
    assert_eq!(seoul.items().len(), 1);
    assert_eq!(seoul.items()[0]["title"], "day 22");
    assert_eq!(seoul.items()[0]["start_time"], "2026-01-23T08:30:00+09:00");
    for query in [
        "limit=101",
        "start_date=x",
        "start_date=2026-01-24&end_date=2026-01-23",
        "cursor=00",
    ] {
        get(&app, &alice, &format!("/v1/schedules?{query}"))
            .await?
            .expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
    }
    get(&app, &alice, "/v1/schedules?timezone=Nowhere")
        .await?
        .expect_error(StatusCode::BAD_REQUEST, "INVALID_TIMEZONE")?;
    assert_eq!(
        get(&app, &alice, "/v1/schedules?limit=100")
            .await?
            .items()
            .len(),
        7
    );
    app.stop().await
}

#[tokio::test]
async fn todos_crud_is_owner_scoped() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    let created = post(
        &app,
        &alice,
        "/v1/todos",
        json!({"title": "Ship", "deadline": "2026-02-01T09:00:00+09:00"}),
    )
    .await?;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["status"], "TODO");
    assert_eq!(created.body["deadline"], "2026-02-01T00:00:00");
    let path = format!("/v1/todos/{}", created_id(&created)?);

    let changed = patch(
        &app,
        &alice,
        &format!("{path}?timezone=%2B09:00"),
        json!({"status": "IN_PROGRESS", "deadline": null}),
    )
    .await?;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.body["status"], "IN_PROGRESS");
    assert_eq!(changed.body["deadline"], Value::Null);
    assert_eq!(changed.body["title"], "Ship");
    assert!(
        changed.body["created_at"]
            .as_str()
            .unwrap_or("")
            .ends_with("+09:00")
    );

    for (body, field) in [
        (json!({"status": "LATER"}), "status"),
        (json!({"status": null}), "status"),
        (json!({"deadline": "friday"}), "deadline"),
        (json!({"description": "x".repeat(2001)}), "description"),
    ] {
        let answer = patch(&app, &alice, &path, body).await?;
        answer.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED")?;
        assert!(
            answer.message().contains(field),
            "{field}: {}",
            answer.message()
        );
    }
    post(
        &app,
        &alice,
        "/v1/todos",
        json!({"description": "no title"}),
    )
    .await?
    .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED")?;
    get(&app, &bob, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TODO_NOT_FOUND")?;
    patch(&app, &bob, &path, json!({"status": "DONE"}))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TODO_NOT_FOUND")?;
    delete(&app, &bob, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TODO_NOT_FOUND")?;

    for i in 0..3 {
        post(&app, &alice, "/v1/todos", json!({"title": format!("t{i}")})).await?;
    }
    let first = get(&app, &alice, "/v1/todos?limit=3").await?;
    assert_eq!(first.items().len(), 3);
    let Some(cursor) = first.next_cursor() else {
        anyhow::bail!("a second page exists");
    };
    let second = get(&app, &alice, &format!("/v1/todos?limit=3&cursor={cursor}")).await?;
    assert_eq!((second.items().len(), second.next_cursor()), (1, None));
    assert_eq!(get(&app, &bob, "/v1/todos").await?.items().len(), 0);

    assert_eq!(
        delete(&app, &alice, &path).await?.status,
        StatusCode::NO_CONTENT
    );
    get(&app, &alice, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TODO_NOT_FOUND")?;
    app.stop().await
}

#[tokio::test]
async fn tags_have_unique_names_and_checked_colors() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    let created = post(
        &app,
        &alice,
        "/v1/tags",
        json!({"name": " focus ", "color": "#a1b2c3"}),
    )
    .await?;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], "focus");
    assert_eq!(created.body["color"], "#A1B2C3");
    let path = format!("/v1/tags/{}", created_id(&created)?);

    post(
        &app,
        &alice,
        "/v1/tags",
        json!({"name": "focus", "color": "#000000"}),
    )
    .await?
    .expect_error(StatusCode::CONFLICT, "DUPLICATE_NAME")?;
    // Unique per owner only.
    assert_eq!(
        post(
            &app,
            &bob,
            "/v1/tags",
            json!({"name": "focus", "color": "#000000"})
        )
        .await?
        .status,
        StatusCode::CREATED
    );
    let other = created_id(
        &post(
            &app,
            &alice,
            "/v1/tags",
            json!({"name": "deep", "color": "#000000"}),
        )
        .await?,
    )?;
    patch(
        &app,
        &alice,
        &format!("/v1/tags/{other}"),
        json!({"name": "focus"}),
    )
    .await?
    .expect_error(StatusCode::CONFLICT, "DUPLICATE_NAME")?;

    for (body, field) in [
        (json!({"name": "x", "color": "red"}), "color"),
        (json!({"name": "   ", "color": "#000000"}), "name"),
        (json!({"name": "x".repeat(51), "color": "#000000"}), "name"),
        (json!({"name": "x"}), "color"),
    ] {
        let answer = post(&app, &alice, "/v1/tags", body).await?;
        answer.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED")?;
        assert!(
            answer.message().contains(field),
            "{field}: {}",
            answer.message()
        );
    }
    let renamed = patch(&app, &alice, &path, json!({"color": "#00ff00"})).await?;
    assert_eq!(
        (renamed.body["name"].clone(), renamed.body["color"].clone()),
        (json!("focus"), json!("#00FF00"))
    );
    patch(&app, &alice, &path, json!({"color": null}))
        .await?
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED")?;
    assert_eq!(get(&app, &alice, &path).await?.body["color"], "#00FF00");
    get(&app, &bob, &path)
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TAG_NOT_FOUND")?;
    assert_eq!(get(&app, &alice, "/v1/tags").await?.items().len(), 2);
    app.stop().await
}

#[tokio::test]
async fn deleting_a_schedule_todo_or_tag_keeps_timers_and_bumps_their_version() -> anyhow::Result<()>
{
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let tag = created_id(
        &post(
            &app,
            &alice,
            "/v1/tags",
            json!({"name": "t", "color": "#000000"}),
        )
        .await?,
    )?;
    let keep_tag = created_id(
        &post(
            &app,
            &alice,
            "/v1/tags",
            json!({"name": "keep", "color": "#000000"}),
        )
        .await?,
    )?;
    let schedule = created_id(
        &post(
            &app,
            &alice,
            "/v1/schedules",
            json!({"title": "S", "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00", "tag_ids": [tag, keep_tag]}),
        )
        .await?,
    )?;
    let todo = created_id(
        &post(
            &app,
            &alice,
            "/v1/todos",
            json!({"title": "T", "tag_ids": [tag]}),
        )
        .await?,
    )?;
    let (schedule_id, todo_id) = (ScheduleId::new(uuid(&schedule)?), TodoId::new(uuid(&todo)?));
    let (tag_id, keep_id) = (TagId::new(uuid(&tag)?), TagId::new(uuid(&keep_tag)?));
    let on_both = TimerSpec::completed_at(ago(100)?)?
        .schedule(schedule_id)
        .todo(todo_id)
        .tags(&[tag_id, keep_id])
        .store(&app, &alice)
        .await?;
    let untouched = TimerSpec::completed_at(ago(100)?)?
        .store(&app, &alice)
        .await?;

    assert_eq!(
        delete(&app, &alice, &format!("/v1/schedules/{schedule}"))
            .await?
            .status,
        StatusCode::NO_CONTENT
    );
    let after_schedule = get(&app, &alice, &format!("/v1/timers/{}", on_both.id())).await?;
    assert_eq!(after_schedule.body["schedule_id"], Value::Null);
    assert_eq!(after_schedule.body["todo_id"], todo);
    assert_eq!(after_schedule.body["version"], on_both.version() + 1);

    assert_eq!(
        delete(&app, &alice, &format!("/v1/todos/{todo}"))
            .await?
            .status,
        StatusCode::NO_CONTENT
    );
    let after_todo = get(
        &app,
        &alice,
        &format!("/v1/timers/{}?tag_include_mode=timer_only", on_both.id()),
    )
    .await?;
    assert_eq!(after_todo.body["todo_id"], Value::Null);
    assert_eq!(after_todo.body["version"], on_both.version() + 2);
    assert_eq!(after_todo.body["tags"].as_array().map(Vec::len), Some(2));

    assert_eq!(
        delete(&app, &alice, &format!("/v1/tags/{tag}"))
            .await?
            .status,
        StatusCode::NO_CONTENT
    );
    let after_tag = get(
        &app,
        &alice,
        &format!("/v1/timers/{}?tag_include_mode=timer_only", on_both.id()),
    )
    .await?;
    assert_eq!(
        after_tag.body["tags"],
        json!([{"id": keep_tag, "name": "keep", "color": "#000000"}])
    );
    assert_eq!(after_tag.body["version"], on_both.version() + 3);
    get(&app, &alice, &format!("/v1/tags/{tag}"))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TAG_NOT_FOUND")?;

    // Timers that linked nothing deleted are left alone.
    assert_eq!(stored(&app, untouched.id()).await?, Some(untouched));
    app.stop().await
}

#[tokio::test]
async fn rest_changes_reach_the_owners_websocket() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let tag = created_id(
        &post(
            &app,
            &alice,
            "/v1/tags",
            json!({"name": "t", "color": "#000000"}),
        )
        .await?,
    )?;
    let schedule = created_id(
        &post(
            &app,
            &alice,
            "/v1/schedules",
            json!({"title": "S", "start_time": "2026-01-28T10:00:00", "end_time": "2026-01-28T11:00:00"}),
        )
        .await?,
    )?;
    let timer = TimerSpec::running_since(ago(60)?)
        .schedule(ScheduleId::new(uuid(&schedule)?))
        .tags(&[TagId::new(uuid(&tag)?)])
        .store(&app, &alice)
        .await?;
    // Connected after the arrangement: storing the timer announces its `start` too, which the
    // device's initial sync already covers.
    let mut device = crate::ws_client::Client::connect(&app, "alice", "").await?;
    let path = format!("/v1/timers/{}", timer.id());
    let quiet = std::time::Duration::from_millis(500);

    let expect_update = |message: Value, version: i64| -> anyhow::Result<Value> {
        if message["type"] != "timer.updated" || message["payload"]["action"] != "update" {
            anyhow::bail!("expected timer.updated{{update}}, got {message}");
        }
        assert_eq!(message["payload"]["timer"]["id"], timer.id().to_string());
        assert_eq!(message["payload"]["timer"]["version"], version);
        Ok(message)
    };

    patch(&app, &alice, &path, json!({"title": "renamed"})).await?;
    let renamed = expect_update(device.recv().await?, 2)?;
    assert_eq!(renamed["payload"]["timer"]["title"], "renamed");
    // A PATCH that changes nothing announces nothing.
    patch(&app, &alice, &path, json!({"title": "renamed"})).await?;
    device.expect_silence(quiet).await?;

    delete(&app, &alice, &format!("/v1/schedules/{schedule}")).await?;
    let unlinked = expect_update(device.recv().await?, 3)?;
    assert_eq!(unlinked["payload"]["timer"]["schedule_id"], Value::Null);

    delete(&app, &alice, &format!("/v1/tags/{tag}")).await?;
    let untagged = expect_update(device.recv().await?, 4)?;
    assert_eq!(untagged["payload"]["timer"]["tags"], json!([]));

    delete(&app, &alice, &path).await?;
    let deleted = device.recv().await?;
    assert_eq!(deleted["type"], "timer.deleted", "{deleted}");
    assert_eq!(deleted["payload"]["timer_id"], timer.id().to_string());
    app.stop().await
}
