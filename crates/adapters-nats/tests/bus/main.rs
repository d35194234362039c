//! The NATS engine against a real nats-server (`TEST_NATS_URL`; `just test` starts one with
//! scripts/nats.sh). Each test has its own stream and subject prefix, so they run in parallel
//! on one server; the fault tests run a server of their own.

mod support;

use std::time::Duration;

use hourglass_adapters_nats::{NatsEventBus, NatsEventFeed};
use hourglass_ports::bus::EventSink;
use support::*;

async fn bus(settings: hourglass_adapters_nats::NatsSettings) -> NatsEventBus {
    NatsEventBus::connect(settings)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"))
}

#[tokio::test]
async fn each_subject_arrives_in_order_and_only_interested_subjects_arrive() {
    let settings = settings(&nats_url(), "order");
    let publisher = bus(settings.clone()).await;
    let receiver = bus(settings).await;
    let interest = TestInterest::with(&[t(1), n(1)]);
    let (sink, mut got) = inbox();
    let feed = NatsEventFeed::start(&receiver, interest, sink);
    consuming(&feed, 2).await;

    // 1's timers, 1's notifications and 2's timers interleaved; 2 is not cared about.
    let batch: Vec<_> = (1..=90)
        .map(|id| message(id, &[[t(1), n(1), t(2)][(id % 3) as usize]]))
        .collect();
    publisher
        .publish(&batch)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A last message on each interested subject: once both are in, everything before is too.
    publisher
        .publish(&[message(1000, &[t(1)]), message(1001, &[n(1)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let mut timers = Vec::new();
    let mut notifications = Vec::new();
    while !(timers.last() == Some(&1000) && notifications.last() == Some(&1001)) {
        let id = got.next_id().await;
        match id {
            1000 => timers.push(id),
            1001 => notifications.push(id),
            id if id % 3 == 0 => timers.push(id),
            id if id % 3 == 1 => notifications.push(id),
            other => panic!("{other} is on a subject nobody cares about"),
        }
    }
    let expected_t: Vec<i64> = (1..=90).filter(|id| id % 3 == 0).chain([1000]).collect();
    let expected_n: Vec<i64> = (1..=90).filter(|id| id % 3 == 1).chain([1001]).collect();
    assert_eq!(timers, expected_t);
    assert_eq!(notifications, expected_n);
    assert!(got.drain().is_empty());
    feed.stop().await;
}

#[tokio::test]
async fn payloads_arrive_as_published() {
    let settings = settings(&nats_url(), "payload");
    let publisher = bus(settings.clone()).await;
    let interest = TestInterest::with(&[t(5)]);
    let (sink, mut got) = inbox();
    let feed = NatsEventFeed::start(&publisher, interest, sink);
    consuming(&feed, 1).await;
    let mut sent = message(7, &[t(5)]);
    sent.payload = "{\"kind\":\"timer\",\"text\":\"é ✓\"}".into();
    publisher
        .publish(std::slice::from_ref(&sent))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        got.next().await,
        Got::Message {
            id: 7,
            payload: sent.payload
        }
    );
    feed.stop().await;
}

#[tokio::test]
async fn a_subject_gained_later_gets_only_what_is_published_after() {
    let settings = settings(&nats_url(), "gained");
    let publisher = bus(settings.clone()).await;
    let receiver = bus(settings).await;
    let interest = TestInterest::with(&[]);
    let (sink, mut got) = inbox();
    let feed = NatsEventFeed::start(&receiver, interest.clone(), sink);

    publisher
        .publish(&[message(1, &[t(3)]), message(2, &[t(3)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    interest.gain(t(3));
    consuming(&feed, 1).await;
    publisher
        .publish(&[message(3, &[t(3)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.next_id().await, 3);
    feed.stop().await;
}

#[tokio::test]
async fn a_subject_lost_gets_nothing_more() {
    let settings = settings(&nats_url(), "lost");
    let publisher = bus(settings.clone()).await;
    let receiver = bus(settings).await;
    let interest = TestInterest::with(&[t(1), t(2)]);
    let (sink, mut got) = inbox();
    let feed = NatsEventFeed::start(&receiver, interest.clone(), sink);
    consuming(&feed, 2).await;
    publisher
        .publish(&[message(1, &[t(1)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.next_id().await, 1);

    interest.lose(t(1));
    consuming(&feed, 1).await;
    // 2 on the lost subject, then 3 on the kept one: once 3 is in, 2 would have been too.
    publisher
        .publish(&[message(2, &[t(1)]), message(3, &[t(2)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.next_id().await, 3);
    assert!(got.drain().is_empty());
    assert_eq!(feed.health().subjects, 1);
    feed.stop().await;
}

#[tokio::test]
async fn a_republished_batch_is_deduplicated() {
    let settings = settings(&nats_url(), "dedupe");
    let publisher = bus(settings.clone()).await;
    let receiver = bus(settings).await;
    let interest = TestInterest::with(&[t(1)]);
    let (sink, mut got) = inbox();
    let feed = NatsEventFeed::start(&receiver, interest, sink);
    consuming(&feed, 1).await;

    let batch: Vec<_> = (1..=3).map(|id| message(id, &[t(1)])).collect();
    for _ in 0..2 {
        publisher
            .publish(&batch)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    publisher
        .publish(&[message(4, &[t(1)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.ids_until(4).await, vec![1, 2, 3, 4]);
    feed.stop().await;
}

#[tokio::test]
async fn a_message_on_two_subjects_reaches_both() {
    let settings = settings(&nats_url(), "two");
    let publisher = bus(settings.clone()).await;
    // Each subject on its own instance: each must get the message.
    let (first_sink, mut first) = inbox();
    let (second_sink, mut second) = inbox();
    let first_bus = bus(settings.clone()).await;
    let second_bus = bus(settings).await;
    let first_feed = NatsEventFeed::start(&first_bus, TestInterest::with(&[t(1)]), first_sink);
    let second_feed = NatsEventFeed::start(&second_bus, TestInterest::with(&[t(2)]), second_sink);
    consuming(&first_feed, 1).await;
    consuming(&second_feed, 1).await;
    publisher
        .publish(&[message(9, &[t(1), t(2)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.next_id().await, 9);
    assert_eq!(second.next_id().await, 9);
    first_feed.stop().await;
    second_feed.stop().await;
}

/// kill -9 of the broker mid-stream, restarted on the same store: every message published
/// before, during and after reaches the inbox once, in order, and nothing is declared missed.
#[tokio::test]
async fn a_broker_killed_and_restarted_loses_and_repeats_nothing() {
    let mut server = OwnServer::start("restart").await;
    let settings = settings(&server.url(), "restart");
    let publisher = bus(settings.clone()).await;
    let receiver = bus(settings).await;
    let interest = TestInterest::with(&[t(1), n(2)]);
    let (sink, mut got) = inbox();
    let feed = NatsEventFeed::start(&receiver, interest, sink);
    consuming(&feed, 2).await;

    const TOTAL: i64 = 600;
    let publishing = tokio::spawn(async move {
        // Batches of 5 alternating between the two subjects, each retried until stored (what
        // the relay does with its rows).
        for first in (1..=TOTAL).step_by(5) {
            let batch: Vec<_> = (first..first + 5)
                .map(|id| message(id, &[if id % 2 == 0 { t(1) } else { n(2) }]))
                .collect();
            publish_until_stored(&publisher, &batch).await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });

    let mut ids = Vec::new();
    // A third of the way in, kill the broker; restart it at once on the same store.
    while ids.len() < (TOTAL / 3) as usize {
        ids.push(got.next_id().await);
    }
    server.kill();
    server.restart().await;
    while ids.len() < TOTAL as usize {
        ids.push(got.next_id().await);
    }
    publishing
        .await
        .unwrap_or_else(|e| panic!("publisher: {e}"));

    let evens: Vec<i64> = ids.iter().copied().filter(|id| id % 2 == 0).collect();
    let odds: Vec<i64> = ids.iter().copied().filter(|id| id % 2 == 1).collect();
    assert_eq!(
        evens,
        (1..=TOTAL).filter(|id| id % 2 == 0).collect::<Vec<_>>()
    );
    assert_eq!(
        odds,
        (1..=TOTAL).filter(|id| id % 2 == 1).collect::<Vec<_>>()
    );
    // Nothing more (no repeat, no missed) once a last message has come through.
    let publisher = bus(receiver.settings().clone()).await;
    publish_until_stored(&publisher, &[message(TOTAL + 1, &[t(1)])]).await;
    assert_eq!(got.next_id().await, TOTAL + 1);
    assert!(got.drain().is_empty());
    assert_eq!(feed.health().missed, 0);
    feed.stop().await;
}

/// Cut off longer than the retention while messages were published: they aged out, so the
/// feed calls `missed()`, and then goes on delivering.
#[tokio::test]
async fn an_outage_beyond_retention_calls_missed() {
    let url = nats_url();
    let target: u16 = url
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("TEST_NATS_URL has no port: {url}"));
    let proxy = Proxy::start(target).await;
    let mut direct = settings(&url, "retention");
    direct.retention = Duration::from_secs(2);
    let publisher = bus(direct.clone()).await;
    let receiver = bus(hourglass_adapters_nats::NatsSettings {
        url: proxy.url(),
        ..direct.clone()
    })
    .await;
    let interest = TestInterest::with(&[t(1)]);
    let (sink, mut got) = inbox();
    let feed = NatsEventFeed::start(&receiver, interest, sink);
    consuming(&feed, 1).await;
    publisher
        .publish(&[message(1, &[t(1)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.next_id().await, 1);

    proxy.set_cut(true);
    publisher
        .publish(&[message(2, &[t(1)]), message(3, &[t(1)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Wait for the broker to drop them (max_age), then restore the line.
    let js = async_nats::jetstream::new(
        async_nats::connect(url.as_str())
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let deadline = std::time::Instant::now() + BOUND;
    loop {
        let mut stream = js
            .get_stream(&direct.stream)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let info = stream.info().await.unwrap_or_else(|e| panic!("{e}"));
        if info.state.messages == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "messages never aged out"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    proxy.set_cut(false);
    assert_eq!(got.next().await, Got::Missed);
    publisher
        .publish(&[message(4, &[t(1)])])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.next_id().await, 4);
    feed.stop().await;
}
