//! The timer routes over real HTTP: reads with every list parameter, visibility, embeds, time
//! zones, pagination, PATCH, DELETE, and the timers of a schedule or todo.

use std::collections::HashSet;
use std::time::Duration;

use hourglass_domain::ids::{ScheduleId, TagId, TodoId};
use hourglass_domain::timer::TimerCommand;
use hourglass_domain::validation::Visibility;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::rest_support::{
    Answer, TimerSpec, User, ago, befriend, call, created_id, delete, get, instant, patch, post,
    spawn, stored, user, uuid,
};

/// A schedule of `owner` (via the API), with `tags`.
async fn schedule(
    app: &TestApp,
    owner: &User,
    title: &str,
    tags: &[TagId],
) -> anyhow::Result<ScheduleId> {
    let tag_ids: Vec<String> = tags.iter().map(ToString::to_string).collect();
    let answer = post(
        app,
        owner,
        "/v1/schedules",
        json!({
            "title": title,
            "start_time": "2026-01-28T10:00:00",
            "end_time": "2026-01-28T11:00:00",
            "tag_ids": tag_ids,
        }),
    )
    .await?;
    Ok(ScheduleId::new(uuid(&created_id(&answer)?)?))
}

/// A todo of `owner`, with `tags`.
async fn todo(app: &TestApp, owner: &User, title: &str, tags: &[TagId]) -> anyhow::Result<TodoId> {
    let tag_ids: Vec<String> = tags.iter().map(ToString::to_string).collect();
    let answer = post(
        app,
        owner,
        "/v1/todos",
        json!({"title": title, "deadline": "2026-01-29T09:00:00Z", "tag_ids": tag_ids}),
    )
    .await?;
    Ok(TodoId::new(uuid(&created_id(&answer)?)?))
}

/// A tag of `owner`.
async fn tag(app: &TestApp, owner: &User, name: &str) -> anyhow::Result<TagId> {
    let answer = post(
        app,
        owner,
        "/v1/tags",
        json!({"name": name, "color": "#112233"}),
    )
    .await?;
    Ok(TagId::new(uuid(&created_id(&answer)?)?))
}

fn tag_names(timer: &Value) -> Vec<String> {
    timer["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_timer_route_requires_a_bearer_token() -> anyhow::Result<()> {
    let app = spawn().await?;
    for (method, path) in [
        (Method::GET, "/v1/timers"),
        (Method::GET, "/v1/timers/active"),
        (
            Method::GET,
            "/v1/timers/01944f2a-0000-7000-8000-000000000001",
        ),
        (
            Method::DELETE,
            "/v1/timers/01944f2a-0000-7000-8000-000000000001",
        ),
        (Method::GET, "/api/v1/timers"),
        (Method::GET, "/v1/schedules"),
        (Method::GET, "/v1/tags"),
    ] {
        let answer = call(&app, method.clone(), path, None, None).await?;
        answer.expect_error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED")?;
        assert_eq!(
            answer
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{method} {path}"
        );
    }
    app.stop().await
}

#[tokio::test]
async fn reading_one_timer_follows_visibility_and_never_says_forbidden() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    let carol = user(&app, "carol").await?;
    befriend(&app, &alice, &bob).await?;
    let start = ago(600)?;
    let friends = TimerSpec::completed_at(start)?.store(&app, &alice).await?;
    let private = TimerSpec::completed_at(start)?
        .visibility(Visibility::Private)
        .store(&app, &alice)
        .await?;
    let public = TimerSpec::completed_at(start)?
        .visibility(Visibility::Public)
        .store(&app, &alice)
        .await?;

    let own = get(&app, &alice, &format!("/v1/timers/{}", private.id())).await?;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["is_shared"], false);
    assert_eq!(own.body["owner_id"], alice.id.to_string());

    let by_friend = get(&app, &bob, &format!("/v1/timers/{}", friends.id())).await?;
    assert_eq!(by_friend.status, StatusCode::OK, "{}", by_friend.body);
    assert_eq!(by_friend.body["is_shared"], true);
    assert_eq!(by_friend.body["owner_id"], alice.id.to_string());

    // Private: 404 for the friend and the stranger alike, exactly like a missing timer.
    for (viewer, id) in [
        (&bob, private.id()),
        (&carol, private.id()),
        (&carol, friends.id()),
    ] {
        get(&app, viewer, &format!("/v1/timers/{id}"))
            .await?
            .expect_error(StatusCode::NOT_FOUND, "TIMER_NOT_FOUND")?;
    }
    get(
        &app,
        &alice,
        "/v1/timers/01944f2a-0000-7000-8000-00000000dead",
    )
    .await?
    .expect_error(StatusCode::NOT_FOUND, "TIMER_NOT_FOUND")?;

    // Public: any signed-in user may read it by id, but it is never listed to a non-friend.
    let by_stranger = get(&app, &carol, &format!("/v1/timers/{}", public.id())).await?;
    assert_eq!(by_stranger.status, StatusCode::OK);
    assert_eq!(by_stranger.body["is_shared"], true);
    let listed = get(&app, &carol, "/v1/timers?scope=all").await?;
    assert_eq!(listed.items(), Vec::<Value>::new());

    let malformed = get(&app, &alice, "/v1/timers/not-a-uuid").await?;
    malformed.expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
    assert!(
        malformed.message().contains("id"),
        "{}",
        malformed.message()
    );
    app.stop().await
}

#[tokio::test]
async fn scopes_and_filters_combine_including_scope_shared() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    let dave = user(&app, "dave").await?;
    befriend(&app, &alice, &bob).await?;
    // dave follows alice but alice does not follow back: not a friend.
    let follows =
        hourglass_adapters_postgres::repository::PgFollowRepository::new(app.database().pool());
    hourglass_ports::follow::FollowRepository::follow(
        &follows,
        hourglass_domain::follow::Follow::new(dave.id, alice.id)?,
        crate::rest_support::now(),
    )
    .await?;
    let bob_schedule = schedule(&app, &bob, "Bob's", &[]).await?;

    let jan27 = instant("2026-01-27T12:00:00Z")?;
    let jan28 = instant("2026-01-28T12:00:00Z")?;
    let mine = TimerSpec::completed_at(jan28)?
        .title("mine")
        .store(&app, &alice)
        .await?;
    let bob_running = TimerSpec::running_since(jan28)
        .title("bob running")
        .store(&app, &bob)
        .await?;
    let bob_completed_sched = TimerSpec::completed_at(jan27)?
        .title("bob completed on schedule")
        .schedule(bob_schedule)
        .visibility(Visibility::Public)
        .store(&app, &bob)
        .await?;
    let _bob_private = TimerSpec::running_since(jan28)
        .visibility(Visibility::Private)
        .store(&app, &bob)
        .await?;
    let _dave_public = TimerSpec::running_since(jan28)
        .visibility(Visibility::Public)
        .store(&app, &dave)
        .await?;

    let ids = |answer: &Answer| answer.ids().into_iter().collect::<HashSet<_>>();
    let set = |timers: &[&hourglass_domain::timer::Timer]| {
        timers
            .iter()
            .map(|t| t.id().to_string())
            .collect::<HashSet<_>>()
    };

    let default = get(&app, &alice, "/v1/timers").await?;
    assert_eq!(ids(&default), set(&[&mine]));
    let explicit = get(&app, &alice, "/v1/timers?scope=MINE").await?;
    assert_eq!(ids(&explicit), set(&[&mine]));
    let shared = get(&app, &alice, "/v1/timers?scope=shared").await?;
    assert_eq!(ids(&shared), set(&[&bob_running, &bob_completed_sched]));
    assert!(shared.items().iter().all(|t| t["is_shared"] == true));
    let all = get(&app, &alice, "/v1/timers?scope=all").await?;
    assert_eq!(ids(&all), set(&[&mine, &bob_running, &bob_completed_sched]));
    // One list, newest first by created_at.
    let created: Vec<String> = all
        .items()
        .iter()
        .filter_map(|t| t["created_at"].as_str().map(str::to_owned))
        .collect();
    let mut sorted = created.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted);

    // Filters apply to scope=shared too.
    let running = get(&app, &alice, "/v1/timers?scope=shared&status=running").await?;
    assert_eq!(ids(&running), set(&[&bob_running]));
    let on_schedule = get(&app, &alice, "/v1/timers?scope=shared&type=schedule").await?;
    assert_eq!(ids(&on_schedule), set(&[&bob_completed_sched]));
    let independent = get(&app, &alice, "/v1/timers?scope=shared&type=independent").await?;
    assert_eq!(ids(&independent), set(&[&bob_running]));
    let on_27th = get(
        &app,
        &alice,
        "/v1/timers?scope=shared&start_date=2026-01-27&end_date=2026-01-27",
    )
    .await?;
    assert_eq!(ids(&on_27th), set(&[&bob_completed_sched]));
    let combined = get(
        &app,
        &alice,
        "/v1/timers?scope=all&status=COMPLETED&type=independent&start_date=2026-01-28T00:00:00",
    )
    .await?;
    assert_eq!(ids(&combined), set(&[&mine]));

    // A friend's schedule is not readable: embedded as null even when asked for.
    let embedded = get(
        &app,
        &alice,
        "/v1/timers?scope=shared&type=schedule&include_schedule=true",
    )
    .await?;
    assert_eq!(embedded.items()[0]["schedule"], Value::Null);
    assert_eq!(embedded.items()[0]["schedule_id"], bob_schedule.to_string());

    let unknown = get(&app, &alice, "/v1/timers?scope=friends").await?;
    unknown.expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
    assert!(
        unknown.message().starts_with("scope"),
        "{}",
        unknown.message()
    );
    app.stop().await
}

#[tokio::test]
async fn status_is_accepted_in_all_three_forms_in_any_case() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let start = ago(3600)?;
    let running = TimerSpec::running_since(start).store(&app, &alice).await?;
    let paused = TimerSpec::running_since(start)
        .then(TimerCommand::Pause, 10)?
        .store(&app, &alice)
        .await?;
    let completed = TimerSpec::completed_at(start)?.store(&app, &alice).await?;
    let cancelled = TimerSpec::running_since(start)
        .then(TimerCommand::Cancel, 5)?
        .store(&app, &alice)
        .await?;
    let expected: HashSet<String> = [running.id(), paused.id()]
        .iter()
        .map(ToString::to_string)
        .collect();
    for query in [
        "status=RUNNING&status=PAUSED",
        "status[]=running&status[]=Paused",
        "status%5B%5D=RUNNING&status%5B%5D=PAUSED",
        "status=running,paused",
        "status=RUNNING%2CPAUSED",
        "status=RUNNING&status[]=paused",
    ] {
        let answer = get(&app, &alice, &format!("/v1/timers?{query}")).await?;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.body);
        assert_eq!(
            answer.ids().into_iter().collect::<HashSet<_>>(),
            expected,
            "{query}"
        );
    }
    let finished = get(&app, &alice, "/v1/timers?status=completed,CANCELLED").await?;
    let finished_ids: HashSet<String> = finished.ids().into_iter().collect();
    let want: HashSet<String> = [completed.id(), cancelled.id()]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(finished_ids, want);
    for bad in ["status=DONE", "status=RUNNING,", "status[]=STOPPED"] {
        let answer = get(&app, &alice, &format!("/v1/timers?{bad}")).await?;
        answer.expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
        assert!(
            answer.message().starts_with("status"),
            "{}",
            answer.message()
        );
    }
    app.stop().await
}

#[tokio::test]
async fn type_and_date_parameters_filter_and_refuse_bad_values() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let sched = schedule(&app, &alice, "S", &[]).await?;
    let td = todo(&app, &alice, "T", &[]).await?;
    // 2026-01-28T14:30Z is 23:30 in Seoul on the 28th; 15:30Z is the 29th in Seoul.
    let a = TimerSpec::completed_at(instant("2026-01-28T14:30:00Z")?)?
        .schedule(sched)
        .store(&app, &alice)
        .await?;
    let b = TimerSpec::completed_at(instant("2026-01-28T15:30:00Z")?)?
        .todo(td)
        .store(&app, &alice)
        .await?;
    let c = TimerSpec::completed_at(instant("2026-01-27T10:00:00Z")?)?
        .schedule(sched)
        .todo(td)
        .store(&app, &alice)
        .await?;
    let d = TimerSpec::completed_at(instant("2026-01-26T10:00:00Z")?)?
        .store(&app, &alice)
        .await?;
    let ids = |answer: &Answer| answer.ids().into_iter().collect::<HashSet<_>>();
    let set = |timers: &[&hourglass_domain::timer::Timer]| {
        timers
            .iter()
            .map(|t| t.id().to_string())
            .collect::<HashSet<_>>()
    };
    // A timer with both links matches schedule and todo.
    assert_eq!(
        ids(&get(&app, &alice, "/v1/timers?type=schedule").await?),
        set(&[&a, &c])
    );
    assert_eq!(
        ids(&get(&app, &alice, "/v1/timers?type=TODO").await?),
        set(&[&b, &c])
    );
    assert_eq!(
        ids(&get(&app, &alice, "/v1/timers?type=independent").await?),
        set(&[&d])
    );

    // Plain dates are whole days in UTC without a timezone...
    let utc_day = get(
        &app,
        &alice,
        "/v1/timers?start_date=2026-01-28&end_date=2026-01-28",
    )
    .await?;
    assert_eq!(ids(&utc_day), set(&[&a, &b]));
    // ...and in the requested zone with one.
    let seoul_day = get(
        &app,
        &alice,
        "/v1/timers?start_date=2026-01-28&end_date=2026-01-28&timezone=Asia/Seoul",
    )
    .await?;
    assert_eq!(ids(&seoul_day), set(&[&a]));
    // Datetimes: naive is UTC; an offset is honoured (encoded `+` or a raw one decoded as space).
    let naive = get(&app, &alice, "/v1/timers?start_date=2026-01-28T15:00:00").await?;
    assert_eq!(ids(&naive), set(&[&b]));
    let offset = get(
        &app,
        &alice,
        "/v1/timers?end_date=2026-01-28T00:00:00%2B09:00",
    )
    .await?;
    assert_eq!(ids(&offset), set(&[&c, &d]));
    let raw_plus = get(
        &app,
        &alice,
        "/v1/timers?end_date=2026-01-28T00:00:00+09:00",
    )
    .await?;
    assert_eq!(ids(&raw_plus), set(&[&c, &d]));
    let zulu = get(
        &app,
        &alice,
        "/v1/timers?start_date=2026-01-27T10:00:00Z&end_date=2026-01-27T10:00:00Z",
    )
    .await?;
    assert_eq!(ids(&zulu), set(&[&c]), "both bounds are inclusive");

    for (query, param) in [
        ("type=both", "type"),
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-02-30", "end_date"),
        ("start_date=2026-01-29&end_date=2026-01-28", "start_date"),
        ("include_schedule=yes", "include_schedule"),
        ("include_todo=2", "include_todo"),
        ("tag_include_mode=all", "tag_include_mode"),
        ("limit=201", "limit"),
        ("limit=0", "limit"),
        ("cursor=abc", "cursor"),
    ] {
        let answer = get(&app, &alice, &format!("/v1/timers?{query}")).await?;
        answer.expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
        assert!(
            answer.message().contains(param),
            "{query}: {}",
            answer.message()
        );
    }
    for bad in ["Mars/Olympus", "%2B15:00", "UTC%2B9"] {
        get(&app, &alice, &format!("/v1/timers?timezone={bad}"))
            .await?
            .expect_error(StatusCode::BAD_REQUEST, "INVALID_TIMEZONE")?;
    }
    app.stop().await
}

#[tokio::test]
async fn pagination_walks_every_timer_once_with_x_next_cursor() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    befriend(&app, &alice, &bob).await?;
    let mut expected = Vec::new();
    // Timers sharing a created_at second test the id tie-break.
    for i in 0..7_i64 {
        let started = instant("2026-01-28T10:00:00Z")?;
        let started =
            hourglass_domain::time::Timestamp::from_unix_seconds(started.unix_seconds() + i / 3)
                .ok_or_else(|| anyhow::anyhow!("range"))?;
        let owner = if i % 2 == 0 { &alice } else { &bob };
        expected.push(TimerSpec::completed_at(started)?.store(&app, owner).await?);
    }
    expected.sort_by_key(|t| std::cmp::Reverse((t.created_at(), t.id())));
    let expected: Vec<String> = expected.iter().map(|t| t.id().to_string()).collect();

    let mut seen = Vec::new();
    let mut path = "/v1/timers?scope=all&limit=3".to_owned();
    let mut pages = 0;
    loop {
        let answer = get(&app, &alice, &path).await?;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        pages += 1;
        seen.extend(answer.ids());
        match answer.next_cursor() {
            Some(cursor) => {
                assert_eq!(answer.items().len(), 3);
                path = format!("/v1/timers?scope=all&limit=3&cursor={cursor}");
            }
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, expected, "no duplicates, no gaps, newest first");

    // An exact fit ends without a cursor; the default and the maximum page sizes are accepted.
    let exact = get(&app, &alice, "/v1/timers?scope=all&limit=7").await?;
    assert_eq!((exact.items().len(), exact.next_cursor()), (7, None));
    assert_eq!(
        get(&app, &alice, "/v1/timers?scope=all&limit=200")
            .await?
            .items()
            .len(),
        7
    );
    let mine = get(&app, &alice, "/v1/timers").await?;
    assert_eq!((mine.items().len(), mine.next_cursor()), (4, None));

    // A cursor of another list is refused.
    tag(&app, &alice, "a").await?;
    tag(&app, &alice, "b").await?;
    let tags = get(&app, &alice, "/v1/tags?limit=1").await?;
    let Some(tag_cursor) = tags.next_cursor() else {
        anyhow::bail!("the tag list has a second page");
    };
    get(&app, &alice, &format!("/v1/timers?cursor={tag_cursor}"))
        .await?
        .expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
    app.stop().await
}

#[tokio::test]
async fn embeds_and_the_three_tag_modes() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    befriend(&app, &alice, &bob).await?;
    let own_tag = tag(&app, &alice, "own").await?;
    let sched_tag = tag(&app, &alice, "from-schedule").await?;
    let todo_tag = tag(&app, &alice, "from-todo").await?;
    let sched = schedule(&app, &alice, "Standup", &[sched_tag, own_tag]).await?;
    let td = todo(&app, &alice, "Ship", &[todo_tag]).await?;
    let start = ago(100)?;
    let both = TimerSpec::completed_at(start)?
        .schedule(sched)
        .todo(td)
        .tags(&[own_tag])
        .store(&app, &alice)
        .await?;
    let todo_only = TimerSpec::completed_at(start)?
        .todo(td)
        .tags(&[own_tag])
        .store(&app, &alice)
        .await?;
    let bob_tag = tag(&app, &bob, "bobs").await?;
    let bob_sched = schedule(&app, &bob, "Bob", &[bob_tag]).await?;
    let bobs = TimerSpec::completed_at(start)?
        .schedule(bob_sched)
        .tags(&[bob_tag])
        .store(&app, &bob)
        .await?;

    let read = |id: String, query: &'static str| {
        let app = &app;
        let alice = &alice;
        async move { get(app, alice, &format!("/v1/timers/{id}?{query}")).await }
    };

    // Nothing embedded by default.
    let plain = read(both.id().to_string(), "").await?;
    assert_eq!(plain.body["schedule"], Value::Null);
    assert_eq!(plain.body["todo"], Value::Null);
    assert_eq!(plain.body["tags"], json!([]));

    let full = read(
        both.id().to_string(),
        "include_schedule=true&include_todo=true",
    )
    .await?;
    assert_eq!(full.body["schedule"]["title"], "Standup");
    assert_eq!(full.body["schedule"]["id"], sched.to_string());
    assert_eq!(full.body["todo"]["title"], "Ship");
    assert_eq!(full.body["todo"]["status"], "TODO");

    let none = read(both.id().to_string(), "tag_include_mode=none").await?;
    assert_eq!(none.body["tags"], json!([]));
    let own = read(both.id().to_string(), "tag_include_mode=timer_only").await?;
    assert_eq!(tag_names(&own.body), vec!["own"]);
    assert_eq!(own.body["tags"][0]["color"], "#112233");
    assert_eq!(
        own.body["schedule"],
        Value::Null,
        "tags do not embed the schedule"
    );
    let inherited = read(
        both.id().to_string(),
        "tag_include_mode=inherit_from_schedule",
    )
    .await?;
    assert_eq!(
        tag_names(&inherited.body),
        vec!["own", "from-schedule"],
        "own ∪ schedule's, once each"
    );
    let from_todo = read(
        todo_only.id().to_string(),
        "tag_include_mode=INHERIT_FROM_SCHEDULE",
    )
    .await?;
    assert_eq!(
        tag_names(&from_todo.body),
        vec!["own", "from-todo"],
        "the todo's when there is no schedule"
    );

    // A friend's timer: its own tags are part of it; its schedule is not readable.
    let friend = read(
        bobs.id().to_string(),
        "include_schedule=true&tag_include_mode=inherit_from_schedule",
    )
    .await?;
    assert_eq!(friend.status, StatusCode::OK, "{}", friend.body);
    assert_eq!(friend.body["schedule"], Value::Null);
    assert_eq!(tag_names(&friend.body), vec!["bobs"]);

    // The list embeds the same way for every item.
    let list = get(
        &app,
        &alice,
        "/v1/timers?scope=all&include_schedule=true&include_todo=true&tag_include_mode=inherit_from_schedule",
    )
    .await?;
    assert_eq!(list.items().len(), 3);
    for item in list.items() {
        if item["id"] == both.id().to_string() {
            assert_eq!(item["schedule"]["title"], "Standup");
            assert_eq!(tag_names(&item), vec!["own", "from-schedule"]);
        } else if item["id"] == todo_only.id().to_string() {
            assert_eq!(item["schedule"], Value::Null);
            assert_eq!(item["todo"]["title"], "Ship");
        } else {
            assert_eq!(item["schedule"], Value::Null);
            assert_eq!(item["is_shared"], true);
        }
    }
    app.stop().await
}

#[tokio::test]
async fn datetimes_render_in_the_requested_zone() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let sched = schedule(&app, &alice, "S", &[]).await?;
    let timer = TimerSpec::running_since(instant("2026-01-28T10:00:00Z")?)
        .schedule(sched)
        .then(TimerCommand::Pause, 1800)?
        .store(&app, &alice)
        .await?;
    let path = format!("/v1/timers/{}", timer.id());

    let naive = get(&app, &alice, &format!("{path}?include_schedule=true")).await?;
    assert_eq!(naive.body["started_at"], "2026-01-28T10:00:00");
    assert_eq!(naive.body["paused_at"], "2026-01-28T10:30:00");
    assert_eq!(naive.body["pause_history"][1]["at"], "2026-01-28T10:30:00");
    assert_eq!(naive.body["schedule"]["start_time"], "2026-01-28T10:00:00");

    for zone in ["Asia/Seoul", "%2B09:00", "+09:00", "%2B0900", "%2B9"] {
        let seoul = get(
            &app,
            &alice,
            &format!("{path}?include_schedule=true&timezone={zone}"),
        )
        .await?;
        assert_eq!(seoul.status, StatusCode::OK, "{zone}: {}", seoul.body);
        assert_eq!(
            seoul.body["started_at"], "2026-01-28T19:00:00+09:00",
            "{zone}"
        );
        assert_eq!(seoul.body["paused_at"], "2026-01-28T19:30:00+09:00");
        assert_eq!(seoul.body["ended_at"], Value::Null);
        assert_eq!(
            seoul.body["pause_history"],
            json!([
                {"action": "start", "at": "2026-01-28T19:00:00+09:00"},
                {"action": "pause", "at": "2026-01-28T19:30:00+09:00", "elapsed": 1800}
            ])
        );
        assert_eq!(
            seoul.body["schedule"]["end_time"],
            "2026-01-28T20:00:00+09:00"
        );
        assert_eq!(seoul.body["elapsed_time"], 1800);
    }
    let utc = get(&app, &alice, &format!("{path}?timezone=utc")).await?;
    assert_eq!(utc.body["created_at"], "2026-01-28T10:00:00+00:00");
    let new_york = get(&app, &alice, &format!("{path}?timezone=America/New_York")).await?;
    assert_eq!(new_york.body["started_at"], "2026-01-28T05:00:00-05:00");
    app.stop().await
}

#[tokio::test]
async fn a_running_timer_counts_wall_time_and_reads_change_nothing() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let timer = TimerSpec::running_since(ago(30)?)
        .store(&app, &alice)
        .await?;
    let path = format!("/v1/timers/{}", timer.id());

    let first = get(&app, &alice, &path).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second = get(&app, &alice, &path).await?;

    let (Some(a), Some(b)) = (
        first.body["elapsed_time"].as_i64(),
        second.body["elapsed_time"].as_i64(),
    ) else {
        anyhow::bail!("elapsed_time missing: {} / {}", first.body, second.body);
    };
    assert!((30..=32).contains(&a), "elapsed {a}");
    assert!(
        (2..=3).contains(&(b - a)),
        "elapsed grew by {} over 2 s",
        b - a
    );
    assert_eq!(first.body["version"], second.body["version"]);
    assert_eq!(first.body["updated_at"], second.body["updated_at"]);
    assert_eq!(first.body["pause_history"], second.body["pause_history"]);
    // The row is exactly as stored.
    assert_eq!(stored(&app, timer.id()).await?, Some(timer.clone()));
    // The list and /active compute the same way.
    let active = get(&app, &alice, "/v1/timers/active").await?;
    assert!(active.body["elapsed_time"].as_i64().unwrap_or(0) >= b);
    assert_eq!(stored(&app, timer.id()).await?, Some(timer));
    app.stop().await
}

#[tokio::test]
async fn active_is_the_newest_running_or_paused_timer() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    get(&app, &alice, "/v1/timers/active")
        .await?
        .expect_error(StatusCode::NOT_FOUND, "NO_ACTIVE_TIMER")?;
    TimerSpec::completed_at(ago(50)?)?
        .store(&app, &alice)
        .await?;
    get(&app, &alice, "/api/v1/timers/active")
        .await?
        .expect_error(StatusCode::NOT_FOUND, "NO_ACTIVE_TIMER")?;
    let _older = TimerSpec::running_since(ago(300)?)
        .store(&app, &alice)
        .await?;
    let newer = TimerSpec::running_since(ago(200)?)
        .then(TimerCommand::Pause, 10)?
        .store(&app, &alice)
        .await?;
    let active = get(&app, &alice, "/v1/timers/active?timezone=Asia/Seoul").await?;
    assert_eq!(active.status, StatusCode::OK);
    assert_eq!(active.body["id"], newer.id().to_string());
    assert_eq!(active.body["status"], "PAUSED");
    assert!(
        active.body["started_at"]
            .as_str()
            .unwrap_or("")
            .ends_with("+09:00"),
        "{}",
        active.body
    );
    app.stop().await
}

#[tokio::test]
async fn patch_sets_clears_and_keeps_each_field() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    let sched = schedule(&app, &alice, "S", &[]).await?;
    let td = todo(&app, &alice, "T", &[]).await?;
    let t1 = tag(&app, &alice, "t1").await?;
    let t2 = tag(&app, &alice, "t2").await?;
    let timer = TimerSpec::running_since(ago(100)?)
        .title("before")
        .store(&app, &alice)
        .await?;
    let path = format!("/v1/timers/{}", timer.id());

    let set = patch(
        &app,
        &alice,
        &format!("{path}?timezone=UTC"),
        json!({
            "title": "after",
            "description": "notes",
            "schedule_id": sched.to_string(),
            "todo_id": td.to_string(),
            "tag_ids": [t2.to_string(), t1.to_string(), t2.to_string()],
            "visibility": "private"
        }),
    )
    .await?;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["title"], "after");
    assert_eq!(set.body["description"], "notes");
    assert_eq!(set.body["schedule_id"], sched.to_string());
    assert_eq!(set.body["todo_id"], td.to_string());
    assert_eq!(set.body["visibility"], "private");
    assert_eq!(set.body["version"], 2);
    assert!(
        set.body["updated_at"]
            .as_str()
            .unwrap_or("")
            .ends_with("+00:00")
    );
    let Some(after_set) = stored(&app, timer.id()).await? else {
        anyhow::bail!("timer vanished");
    };
    assert_eq!(after_set.tag_ids(), &[t2, t1], "deduplicated, in order");

    // Absent keeps; null clears.
    let cleared = patch(
        &app,
        &alice,
        &path,
        json!({"description": null, "schedule_id": null, "todo_id": null, "tag_ids": null, "visibility": null}),
    )
    .await?;
    assert_eq!(cleared.status, StatusCode::OK, "{}", cleared.body);
    assert_eq!(cleared.body["title"], "after");
    assert_eq!(cleared.body["description"], Value::Null);
    assert_eq!(cleared.body["schedule_id"], Value::Null);
    assert_eq!(cleared.body["todo_id"], Value::Null);
    assert_eq!(cleared.body["visibility"], "friends");
    assert_eq!(cleared.body["version"], 3);
    let Some(after_clear) = stored(&app, timer.id()).await? else {
        anyhow::bail!("timer vanished");
    };
    assert!(after_clear.tag_ids().is_empty());

    // A PATCH that changes nothing does not bump the version.
    let same = patch(&app, &alice, &path, json!({"title": "after"})).await?;
    assert_eq!(same.body["version"], 3);
    let empty = patch(&app, &alice, &path, json!({})).await?;
    assert_eq!(empty.body["version"], 3);

    // Links must be the caller's own.
    let bob_sched = schedule(&app, &bob, "B", &[]).await?;
    let bob_todo = todo(&app, &bob, "B", &[]).await?;
    let bob_tag = tag(&app, &bob, "b").await?;
    for (body, code) in [
        (
            json!({"schedule_id": bob_sched.to_string()}),
            "SCHEDULE_NOT_FOUND",
        ),
        (json!({"todo_id": bob_todo.to_string()}), "TODO_NOT_FOUND"),
        (
            json!({"tag_ids": [t1.to_string(), bob_tag.to_string()]}),
            "TAG_NOT_FOUND",
        ),
        (
            json!({"schedule_id": "01944f2a-0000-7000-8000-00000000beef"}),
            "SCHEDULE_NOT_FOUND",
        ),
    ] {
        patch(&app, &alice, &path, body)
            .await?
            .expect_error(StatusCode::NOT_FOUND, code)?;
    }
    // Values out of range or of the wrong type are 422 naming the field.
    for (body, field) in [
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"description": "x".repeat(2001)}), "description"),
        (json!({"visibility": "everyone"}), "visibility"),
        (json!({"title": 5}), "title"),
        (json!({"schedule_id": "nope"}), "schedule_id"),
        (json!({"tag_ids": "x"}), "tag_ids"),
    ] {
        let answer = patch(&app, &alice, &path, body).await?;
        answer.expect_error(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED")?;
        assert!(
            answer.message().contains(field),
            "{field}: {}",
            answer.message()
        );
    }
    let Some(unchanged) = stored(&app, timer.id()).await? else {
        anyhow::bail!("timer vanished");
    };
    assert_eq!(unchanged.version(), 3, "refused PATCHes change nothing");

    // Someone else's timer is not found.
    patch(&app, &bob, &path, json!({"title": "mine now"}))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TIMER_NOT_FOUND")?;
    patch(&app, &alice, "/v1/timers/xyz", json!({}))
        .await?
        .expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;
    app.stop().await
}

#[tokio::test]
async fn delete_removes_only_the_owners_timer() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    befriend(&app, &alice, &bob).await?;
    let running = TimerSpec::running_since(ago(10)?)
        .store(&app, &alice)
        .await?;
    let completed = TimerSpec::completed_at(ago(100)?)?
        .store(&app, &alice)
        .await?;

    delete(&app, &bob, &format!("/v1/timers/{}", running.id()))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TIMER_NOT_FOUND")?;
    for timer in [&running, &completed] {
        let answer = delete(&app, &alice, &format!("/v1/timers/{}", timer.id())).await?;
        assert_eq!(answer.status, StatusCode::NO_CONTENT);
        assert_eq!(answer.body, Value::Null);
        assert_eq!(stored(&app, timer.id()).await?, None);
    }
    delete(&app, &alice, &format!("/api/v1/timers/{}", running.id()))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TIMER_NOT_FOUND")?;
    get(&app, &alice, &format!("/v1/timers/{}", completed.id()))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TIMER_NOT_FOUND")?;
    app.stop().await
}

#[tokio::test]
async fn timers_of_a_schedule_or_todo_are_the_callers_own() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let bob = user(&app, "bob").await?;
    befriend(&app, &alice, &bob).await?;
    let sched = schedule(&app, &alice, "S", &[]).await?;
    let td = todo(&app, &alice, "T", &[]).await?;
    let done = TimerSpec::completed_at(ago(500)?)?
        .schedule(sched)
        .store(&app, &alice)
        .await?;
    let paused = TimerSpec::running_since(ago(400)?)
        .schedule(sched)
        .todo(td)
        .then(TimerCommand::Pause, 5)?
        .store(&app, &alice)
        .await?;
    let _elsewhere = TimerSpec::running_since(ago(300)?)
        .store(&app, &alice)
        .await?;

    let list = get(&app, &alice, &format!("/v1/schedules/{sched}/timers")).await?;
    assert_eq!(
        list.ids(),
        vec![paused.id().to_string(), done.id().to_string()]
    );
    let filtered = get(
        &app,
        &alice,
        &format!("/v1/schedules/{sched}/timers?status=COMPLETED&limit=1"),
    )
    .await?;
    assert_eq!(filtered.ids(), vec![done.id().to_string()]);
    let embedded = get(
        &app,
        &alice,
        &format!("/v1/schedules/{sched}/timers?include_schedule=true&limit=1"),
    )
    .await?;
    assert_eq!(embedded.items()[0]["schedule"]["title"], "S");
    let active = get(
        &app,
        &alice,
        &format!("/v1/schedules/{sched}/timers/active"),
    )
    .await?;
    assert_eq!(active.body["id"], paused.id().to_string());

    let todo_list = get(&app, &alice, &format!("/api/v1/todos/{td}/timers")).await?;
    assert_eq!(todo_list.ids(), vec![paused.id().to_string()]);
    let todo_active = get(
        &app,
        &alice,
        &format!("/v1/todos/{td}/timers/active?include_todo=true"),
    )
    .await?;
    assert_eq!(todo_active.body["todo"]["title"], "T");

    // Someone else's schedule or todo is not found, even to a friend.
    get(&app, &bob, &format!("/v1/schedules/{sched}/timers"))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "SCHEDULE_NOT_FOUND")?;
    get(&app, &bob, &format!("/v1/schedules/{sched}/timers/active"))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "SCHEDULE_NOT_FOUND")?;
    get(&app, &bob, &format!("/v1/todos/{td}/timers"))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TODO_NOT_FOUND")?;
    get(&app, &bob, &format!("/v1/todos/{td}/timers/active"))
        .await?
        .expect_error(StatusCode::NOT_FOUND, "TODO_NOT_FOUND")?;
    get(&app, &alice, "/v1/schedules/zzz/timers")
        .await?
        .expect_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER")?;

    // No active timer left on the todo once it is stopped elsewhere: 404 NO_ACTIVE_TIMER.
    let empty_todo = todo(&app, &alice, "Empty", &[]).await?;
    get(
        &app,
        &alice,
        &format!("/v1/todos/{empty_todo}/timers/active"),
    )
    .await?
    .expect_error(StatusCode::NOT_FOUND, "NO_ACTIVE_TIMER")?;
    let empty = get(&app, &alice, &format!("/v1/todos/{empty_todo}/timers")).await?;
    assert_eq!((empty.status, empty.items().len()), (StatusCode::OK, 0));
    app.stop().await
}

#[tokio::test]
async fn wrong_methods_and_unknown_paths_answer_in_the_envelope() -> anyhow::Result<()> {
    let app = spawn().await?;
    let alice = user(&app, "alice").await?;
    let answer = call(&app, Method::PUT, "/v1/timers", Some(&alice), None).await?;
    answer.expect_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED")?;
    let post_timer = post(
        &app,
        &alice,
        "/v1/timers",
        json!({"allocated_duration": 60}),
    )
    .await?;
    post_timer.expect_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED")?;
    app.stop().await
}
