//! The social REST API of `/api/v1` over HTTP: follows and their lists with pagination, meetups
//! with every refusal, and stored notifications (list, unread count, read, read all, delete).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sse_client::{Member, call, create_meetup, follow, member};

async fn get_page(
    app: &TestApp,
    who: &Member,
    path: &str,
) -> anyhow::Result<(Vec<Value>, Option<String>)> {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(&who.token)
        .send()
        .await?;
    anyhow::ensure!(response.status() == StatusCode::OK, "{}", response.status());
    let next = response
        .headers()
        .get("x-next-cursor")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok((response.json().await?, next))
}

async fn unread(app: &TestApp, who: &Member) -> anyhow::Result<Value> {
    let path = "/api/v1/notifications/unread-count";
    Ok(call(app, who, Method::GET, path, None).await?.1)
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().filter_map(|i| i["id"].as_i64()).collect()
}

#[tokio::test]
async fn follow_lists_page_with_an_opaque_cursor() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let star = member(&app, "social-star", "star").await?;
    let mut fans = Vec::new();
    for i in 0..5 {
        let fan = member(&app, &format!("social-fan-{i}"), &format!("fan{i}")).await?;
        assert_eq!(follow(&app, &fan, &star).await?, StatusCode::CREATED);
        fans.push(fan);
    }
    // Newest follow first, two per page.
    let base = format!("/api/v1/users/{}/followers?limit=2", star.id);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}&cursor={c}"),
            None => base.clone(),
        };
        let (items, next) = get_page(&app, &star, &path).await?;
        assert!(items.len() <= 2);
        if let Some(first) = items.first() {
            let keys: Vec<&String> = first
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            assert_eq!(keys.len(), 4, "{first}");
        }
        seen.extend(ids(&items));
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<i64> = fans.iter().map(|f| f.id).collect();
    expected.reverse();
    assert_eq!(seen, expected);

    // Following, friends (mutual), refusals.
    let (following, _) = get_page(
        &app,
        &fans[0],
        &format!("/api/v1/users/{}/following", fans[0].id),
    )
    .await?;
    assert_eq!(ids(&following), vec![star.id]);
    assert_eq!(follow(&app, &star, &fans[0]).await?, StatusCode::CREATED);
    let (friends, _) = get_page(&app, &star, "/api/v1/users/me/friends").await?;
    assert_eq!(ids(&friends), vec![fans[0].id]);
    let (status, body) = call(
        &app,
        &star,
        Method::POST,
        &format!("/api/v1/users/{}/follow", star.id),
        None,
    )
    .await?;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("CANNOT_FOLLOW_SELF"))
    );
    let (status, body) = call(
        &app,
        &star,
        Method::POST,
        "/api/v1/users/999999/follow",
        None,
    )
    .await?;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!("USER_NOT_FOUND"))
    );
    let (status, body) = call(
        &app,
        &star,
        Method::GET,
        "/api/v1/users/999999/followers",
        None,
    )
    .await?;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!("USER_NOT_FOUND"))
    );
    let (status, body) = call(
        &app,
        &star,
        Method::GET,
        &format!("/api/v1/users/{}/followers?cursor=nope", star.id),
        None,
    )
    .await?;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("INVALID_PARAMETER"))
    );
    app.stop().await
}

#[tokio::test]
async fn meetups_enforce_every_refusal() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let host = member(&app, "social-host", "host").await?;
    let a = member(&app, "social-a", "a").await?;
    let b = member(&app, "social-b", "b").await?;
    let c = member(&app, "social-c", "c").await?;

    // Validation names the field; startsAt must be in the future.
    for (body, field) in [
        (
            json!({ "title": "", "startsAt": "2999-01-01T00:00:00" }),
            "title",
        ),
        (
            json!({ "title": "t", "startsAt": "2000-01-01T00:00:00" }),
            "startsAt",
        ),
        (json!({ "title": "t", "startsAt": "soon" }), "startsAt"),
        (
            json!({ "title": "t", "startsAt": "2999-01-01T00:00:00", "capacity": 1 }),
            "capacity",
        ),
        (json!({ "startsAt": "2999-01-01T00:00:00" }), "title"),
    ] {
        let (status, answer) = call(
            &app,
            &host,
            Method::POST,
            "/api/v1/meetups",
            Some(body.clone()),
        )
        .await?;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer["code"], "VALIDATION_FAILED");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{answer}"
        );
    }

    let meetup = create_meetup(&app, &host, Some(2)).await?;
    let join = format!("/api/v1/meetups/{meetup}/participants");
    let leave = format!("{join}/me");
    let cancel = format!("/api/v1/meetups/{meetup}/cancel");
    let code = |answer: &(StatusCode, Value)| (answer.0, answer.1["code"].clone());

    assert_eq!(
        code(&call(&app, &host, Method::POST, &join, None).await?),
        (StatusCode::CONFLICT, json!("HOST_CANNOT_JOIN"))
    );
    let (status, detail) = call(&app, &a, Method::POST, &join, None).await?;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(detail["participantCount"], 2);
    assert_eq!(
        ids(detail["participants"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)),
        vec![host.id, a.id]
    );
    assert_eq!(detail["participants"][0]["nickname"], "host");
    assert_eq!(
        code(&call(&app, &a, Method::POST, &join, None).await?),
        (StatusCode::CONFLICT, json!("ALREADY_JOINED"))
    );
    assert_eq!(
        code(&call(&app, &b, Method::POST, &join, None).await?),
        (StatusCode::CONFLICT, json!("MEETUP_FULL"))
    );
    assert_eq!(
        code(&call(&app, &b, Method::DELETE, &leave, None).await?),
        (StatusCode::NOT_FOUND, json!("NOT_A_PARTICIPANT"))
    );
    assert_eq!(
        code(&call(&app, &host, Method::DELETE, &leave, None).await?),
        (StatusCode::FORBIDDEN, json!("FORBIDDEN"))
    );
    assert_eq!(
        code(&call(&app, &a, Method::POST, &cancel, None).await?),
        (StatusCode::FORBIDDEN, json!("FORBIDDEN"))
    );

    // The detail and the open list.
    let (status, detail) = call(
        &app,
        &c,
        Method::GET,
        &format!("/api/v1/meetups/{meetup}"),
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let mut keys: Vec<String> = detail
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(
        keys,
        [
            "capacity",
            "createdAt",
            "description",
            "hostId",
            "id",
            "participantCount",
            "participants",
            "startsAt",
            "status",
            "title",
            "updatedAt"
        ]
    );
    let second = create_meetup(&app, &c, None).await?;
    let (open, _) = get_page(&app, &c, "/api/v1/meetups").await?;
    assert_eq!(ids(&open), vec![second, meetup]);

    assert_eq!(
        call(&app, &host, Method::POST, &cancel, None).await?.0,
        StatusCode::OK
    );
    for (who, method, path) in [
        (&host, Method::POST, &cancel),
        (&b, Method::POST, &join),
        (&a, Method::DELETE, &leave),
    ] {
        assert_eq!(
            code(&call(&app, who, method, path, None).await?),
            (StatusCode::CONFLICT, json!("MEETUP_CANCELLED"))
        );
    }
    let (open, _) = get_page(&app, &c, "/api/v1/meetups").await?;
    assert_eq!(ids(&open), vec![second], "cancelled meetups are not listed");
    assert_eq!(
        code(&call(&app, &c, Method::GET, "/api/v1/meetups/999999", None).await?),
        (StatusCode::NOT_FOUND, json!("MEETUP_NOT_FOUND"))
    );
    app.stop().await
}

#[tokio::test]
async fn stored_notifications_list_count_read_and_delete() -> anyhow::Result<()> {
    let app = TestApp::spawn().await?;
    let bob = member(&app, "social-notified", "bob").await?;
    let eve = member(&app, "social-eve", "eve").await?;
    let mut followers = Vec::new();
    for i in 0..3 {
        let fan = member(&app, &format!("social-n-{i}"), &format!("n{i}")).await?;
        follow(&app, &fan, &bob).await?;
        followers.push(fan.id);
    }
    // Newest first, paged, with the actors' current profiles.
    let (first, next) = get_page(&app, &bob, "/api/v1/notifications?limit=2").await?;
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["actorId"], followers[2]);
    assert_eq!(first[0]["actorNickname"], "n2");
    let next = next.unwrap_or_default();
    let (rest, end) = get_page(
        &app,
        &bob,
        &format!("/api/v1/notifications?limit=2&cursor={next}"),
    )
    .await?;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["actorId"], followers[0]);
    assert!(end.is_none());

    assert_eq!(unread(&app, &bob).await?, json!({ "count": 3 }));
    let newest = first[0]["id"].as_i64().unwrap_or_default();
    let read = format!("/api/v1/notifications/{newest}/read");
    assert_eq!(
        call(&app, &bob, Method::PATCH, &read, None).await?.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = call(&app, &eve, Method::PATCH, &read, None).await?;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!("NOTIFICATION_NOT_FOUND"))
    );
    assert_eq!(unread(&app, &bob).await?, json!({ "count": 2 }));
    let (unread_page, _) = get_page(&app, &bob, "/api/v1/notifications?unreadOnly=true").await?;
    assert_eq!(unread_page.len(), 2);
    let (status, body) = call(
        &app,
        &bob,
        Method::PATCH,
        "/api/v1/notifications/read-all",
        None,
    )
    .await?;
    assert_eq!((status, body), (StatusCode::OK, json!({ "updated": 2 })));
    assert_eq!(unread(&app, &bob).await?, json!({ "count": 0 }));

    let delete = format!("/api/v1/notifications/{newest}");
    assert_eq!(
        call(&app, &eve, Method::DELETE, &delete, None).await?.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, &bob, Method::DELETE, &delete, None).await?.0,
        StatusCode::NO_CONTENT
    );
    let (all, _) = get_page(&app, &bob, "/api/v1/notifications").await?;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|n| n["isRead"] == true));
    app.stop().await
}
