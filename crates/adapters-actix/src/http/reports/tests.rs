//! Handler tests of `GET /v1/reports/summary` over a mocked report repository.

use std::collections::HashMap;

use actix_web::http::header::{ACCEPT, CONTENT_TYPE};
use actix_web::test::{self, TestRequest};
use hourglass_domain::ids::{TagId, TimerId};
use hourglass_domain::report::{RunBounds, WorkedTimer};
use hourglass_domain::timer::TimerStatus;
use hourglass_ports::error::StorageError;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::http::testing::{CALLER, NOW_SECONDS, Ports, call, error_of, unavailable};

fn at(seconds: i64) -> Timestamp {
    let Some(t) = Timestamp::from_unix_seconds(seconds) else {
        panic!("valid instant")
    };
    t
}

fn date(raw: &str) -> NaiveDate {
    let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") else {
        panic!("valid date {raw}")
    };
    date
}

fn zone(raw: &str) -> RenderZone {
    let Ok(zone) = RenderZone::parse(raw) else {
        panic!("valid zone {raw}")
    };
    zone
}

/// A timer that ran from `start` until `stop` (completed), or is still running.
fn worked(start: i64, stop: Option<i64>, tags: Vec<TagId>) -> WorkedTimer {
    let bounds = std::iter::once(start).chain(stop).map(at).collect();
    let Ok(runs) = RunBounds::from_instants(bounds) else {
        panic!("ordered bounds")
    };
    WorkedTimer {
        id: TimerId::new(Uuid::now_v7()),
        status: if stop.is_some() {
            TimerStatus::Completed
        } else {
            TimerStatus::Running
        },
        schedule_id: None,
        todo_id: None,
        tag_ids: tags,
        runs,
    }
}

async fn json_of(response: actix_web::dev::ServiceResponse) -> Value {
    assert_eq!(response.status().as_u16(), 200);
    test::read_body_json(response).await
}

fn seconds_of(body: &Value) -> Vec<i64> {
    body["groups"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .filter_map(|g| g["seconds"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn berlin_days_are_cut_at_local_midnight_around_dst() {
    let berlin = zone("Europe/Berlin");
    let Ok(spring) = calendar(date("2026-03-28"), date("2026-03-31"), &berlin) else {
        panic!("a calendar")
    };
    let lengths: Vec<i64> = spring.days().iter().map(|d| d.seconds()).collect();
    assert_eq!(lengths, vec![86_400, 82_800, 86_400]);
    assert_eq!(spring.start(), at(1_774_652_400)); // 2026-03-27T23:00Z
    assert_eq!(spring.end(), at(1_774_908_000)); // 2026-03-30T22:00Z
    let Ok(autumn) = calendar(date("2026-10-25"), date("2026-10-26"), &berlin) else {
        panic!("a calendar")
    };
    assert_eq!(autumn.days()[0].seconds(), 90_000);
    assert_eq!(autumn.start(), at(1_792_879_200)); // 2026-10-24T22:00Z
    // Without a zone, UTC days; a fixed offset shifts them.
    let Ok(utc) = calendar(
        date("2026-01-27"),
        date("2026-01-28"),
        &RenderZone::NaiveUtc,
    ) else {
        panic!("a calendar")
    };
    assert_eq!(utc.start(), at(1_769_472_000));
    let Ok(seoul) = calendar(date("2026-01-27"), date("2026-01-28"), &zone("+09:00")) else {
        panic!("a calendar")
    };
    assert_eq!(seoul.start(), at(1_769_472_000 - 9 * 3600));
}

/// Pacific/Apia skipped 2011-12-30 entirely: an empty day, the calendar still contiguous.
#[test]
fn a_date_the_zone_skipped_is_an_empty_day() {
    let Ok(apia) = calendar(
        date("2011-12-29"),
        date("2012-01-01"),
        &zone("Pacific/Apia"),
    ) else {
        panic!("a calendar")
    };
    let lengths: Vec<i64> = apia.days().iter().map(|d| d.seconds()).collect();
    assert_eq!(lengths, vec![86_400, 0, 86_400]);
}

#[actix_web::test]
async fn by_day_over_a_23_hour_day_as_json() {
    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .withf(|owner, from, to, with_tags| {
            *owner == CALLER
                && *from == at(1_774_652_400)
                && *to == at(1_774_908_000)
                && !*with_tags
        })
        .times(1)
        // 2026-03-28T22:00Z → 2026-03-30T00:00Z, across the spring-forward night.
        .returning(|_, _, _, _| Ok(vec![worked(1_774_735_200, Some(1_774_828_800), Vec::new())]));
    let request = TestRequest::get().uri(
        "/v1/reports/summary?from=2026-03-28&to=2026-03-31&timezone=Europe/Berlin&group_by=day",
    );
    let body = json_of(call(ports, request).await).await;
    assert_eq!(body["from"], "2026-03-28");
    assert_eq!(body["to"], "2026-03-31");
    assert_eq!(body["timezone"], "Europe/Berlin");
    assert_eq!(body["group_by"], "day");
    assert_eq!(
        body["total"],
        json!({"seconds": 93_600, "by_status": {"completed": 93_600, "cancelled": 0, "active": 0}})
    );
    assert_eq!(seconds_of(&body), vec![3600, 82_800, 7200]);
    assert_eq!(body["groups"][1]["key"], "2026-03-29");
    assert_eq!(body["groups"][1]["name"], Value::Null);
}

#[actix_web::test]
async fn by_day_over_a_25_hour_day_counts_a_running_timer_up_to_now() {
    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .returning(|_, _, _, _| {
            Ok(vec![
                worked(1_792_800_000, Some(1_793_059_200), Vec::new()),
                // Running since 09:00Z on the day of "now" (10:00Z): one hour.
                worked(1_769_590_800, None, Vec::new()),
            ])
        });
    let request = TestRequest::get()
        .uri("/api/v1/reports/summary?from=2026-10-25&to=2026-10-26&timezone=Europe/Berlin");
    let body = json_of(call(ports, request).await).await;
    assert_eq!(body["group_by"], "day");
    assert_eq!(seconds_of(&body), vec![90_000]);

    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .returning(|_, _, _, _| Ok(vec![worked(1_769_590_800, None, Vec::new())]));
    let request = TestRequest::get().uri("/v1/reports/summary?from=2026-01-28&to=2026-01-29");
    let body = json_of(call(ports, request).await).await;
    assert_eq!(body["timezone"], "UTC");
    assert_eq!(
        body["total"]["by_status"]["active"],
        NOW_SECONDS - 1_769_590_800
    );
}

#[actix_web::test]
async fn by_tag_names_groups_and_counts_a_two_tag_timer_once_in_the_total() {
    let a = TagId::new(Uuid::from_u128(1));
    let b = TagId::new(Uuid::from_u128(2));
    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .withf(|owner, _, _, with_tags| *owner == CALLER && *with_tags)
        .returning(move |_, _, _, _| {
            Ok(vec![
                worked(1_769_558_400, Some(1_769_558_400 + 600), vec![a, b]),
                worked(1_769_558_400 + 1000, Some(1_769_558_400 + 1100), Vec::new()),
            ])
        });
    ports.reports.expect_names().returning(move |_, _, _| {
        Ok(HashMap::from([
            (a.get(), "alpha".to_owned()),
            (b.get(), "beta, with comma".to_owned()),
        ]))
    });
    let request =
        TestRequest::get().uri("/v1/reports/summary?from=2026-01-28&to=2026-01-29&group_by=TAG");
    let body = json_of(call(ports, request).await).await;
    assert_eq!(body["group_by"], "tag");
    assert_eq!(body["total"]["seconds"], 700);
    assert_eq!(seconds_of(&body), vec![600, 600, 100]);
    assert_eq!(body["groups"][0]["key"], a.to_string());
    assert_eq!(body["groups"][0]["name"], "alpha");
    assert_eq!(body["groups"][2]["key"], Value::Null);
}

#[actix_web::test]
async fn accept_text_csv_gives_csv() {
    let b = TagId::new(Uuid::from_u128(2));
    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .returning(move |_, _, _, _| {
            Ok(vec![worked(
                1_769_558_400,
                Some(1_769_558_400 + 600),
                vec![b],
            )])
        });
    ports
        .reports
        .expect_names()
        .returning(move |_, _, _| Ok(HashMap::from([(b.get(), "beta, with comma".to_owned())])));
    let request = TestRequest::get()
        .uri("/v1/reports/summary?from=2026-01-28&to=2026-01-29&group_by=tag")
        .insert_header((ACCEPT, "text/csv"));
    let response = call(ports, request).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let body = test::read_body(response).await;
    assert_eq!(
        String::from_utf8_lossy(&body),
        format!(
            "key,name,seconds,completed,cancelled,active\r\n\
             {b},\"beta, with comma\",600,600,0,0\r\n\
             total,,600,600,0,0\r\n"
        )
    );
}

#[actix_web::test]
async fn by_day_csv_lists_every_day() {
    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .returning(|_, _, _, _| Ok(Vec::new()));
    let request = TestRequest::get()
        .uri("/v1/reports/summary?from=2026-01-27&to=2026-01-29")
        .insert_header((
            ACCEPT,
            "application/xml;q=0.9, text/csv;q=0.8, application/json;q=0.1",
        ));
    let response = call(ports, request).await;
    let body = test::read_body(response).await;
    assert_eq!(
        String::from_utf8_lossy(&body),
        "key,name,seconds,completed,cancelled,active\r\n\
         2026-01-27,,0,0,0,0\r\n\
         2026-01-28,,0,0,0,0\r\n\
         total,,0,0,0,0\r\n"
    );
}

#[actix_web::test]
async fn an_empty_range_is_zero_without_reading_storage() {
    let mut ports = Ports::signed_in();
    ports.reports.expect_worked_timers().never();
    let request =
        TestRequest::get().uri("/v1/reports/summary?from=2026-01-28&to=2026-01-28&group_by=todo");
    let body = json_of(call(ports, request).await).await;
    assert_eq!(body["total"]["seconds"], 0);
    assert_eq!(body["groups"], json!([]));
}

#[actix_web::test]
async fn bad_parameters_are_400() {
    for (query, code) in [
        ("from=2026-01-29&to=2026-01-28", "INVALID_PARAMETER"),
        ("from=2026-13-01&to=2026-12-01", "INVALID_PARAMETER"),
        (
            "from=2026-01-01T00:00:00&to=2026-01-02",
            "INVALID_PARAMETER",
        ),
        ("to=2026-01-02", "INVALID_PARAMETER"),
        ("from=2026-01-01", "INVALID_PARAMETER"),
        (
            "from=2026-01-01&to=2026-01-02&group_by=week",
            "INVALID_PARAMETER",
        ),
        (
            "from=2026-01-01&to=2026-01-02&group_by=day&group_by=tag",
            "INVALID_PARAMETER",
        ),
        ("from=2025-01-01&to=2026-02-06", "INVALID_PARAMETER"),
        (
            "from=2026-01-01&to=2026-01-02&timezone=Mars/Olympus",
            "INVALID_TIMEZONE",
        ),
    ] {
        let mut ports = Ports::signed_in();
        ports.reports.expect_worked_timers().never();
        let request = TestRequest::get().uri(&format!("/v1/reports/summary?{query}"));
        assert_eq!(
            error_of(call(ports, request).await).await,
            (400, code.to_owned()),
            "{query}"
        );
    }
}

#[actix_web::test]
async fn four_hundred_days_are_allowed() {
    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .returning(|_, _, _, _| Ok(Vec::new()));
    let request = TestRequest::get().uri("/v1/reports/summary?from=2025-01-01&to=2026-02-05");
    let body = json_of(call(ports, request).await).await;
    assert_eq!(body["groups"].as_array().map(Vec::len), Some(400));
}

#[actix_web::test]
async fn storage_down_is_503() {
    let mut ports = Ports::signed_in();
    ports
        .reports
        .expect_worked_timers()
        .returning(|_, _, _, _| Err::<Vec<WorkedTimer>, StorageError>(unavailable()));
    let request = TestRequest::get().uri("/v1/reports/summary?from=2026-01-28&to=2026-01-29");
    assert_eq!(
        error_of(call(ports, request).await).await,
        (503, "SERVICE_UNAVAILABLE".to_owned())
    );
}
