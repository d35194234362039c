//! `friends`: one actor with `--friends` online friends (mutual follows). The actor runs
//! create → pause → resume → stop; after each command it waits until every friend's connection
//! got the `timer.friend_activity`, so each message is attributed to one command without doubt.
//!
//! Friendships are made with `POST /api/v1/users/{id}/follow` both ways when the server serves
//! it; otherwise (404 on the route) they are inserted into `follows` with `psql` and
//! `--database-url`. The report's notes say which.
//!
//! Measured: `friend_activity` (send → each friend's copy), `friend_all` (send → the last
//! friend's copy) and the actor's own `round_trip`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::stats::Tally;
use crate::ws::{self, Ws};
use crate::{Ctx, Outcome};

/// REST calls of the set-up in flight at once.
const SETUP_CONCURRENCY: usize = 32;

/// The command every friend is waiting to hear about.
#[derive(Debug, Clone, Copy)]
struct Current {
    seq: u64,
    action: &'static str,
    sent: Instant,
}

type Shared = Arc<Mutex<Option<Current>>>;

/// Runs the scenario.
///
/// # Errors
/// A failed set-up (users, friendships) or an internal failure.
pub async fn run(ctx: Arc<Ctx>) -> anyhow::Result<Outcome> {
    let client = reqwest::Client::builder()
        .timeout(ctx.cli.timeout())
        .build()?;
    let run_id = &ctx.cli.run_id;
    let actor_token = ctx.minter.mint(&format!("{run_id}-actor"))?;
    let friend_tokens = (0..ctx.cli.friends)
        .map(|i| ctx.minter.mint(&format!("{run_id}-f{i}")))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let actor_id = user_id(&client, &ctx.base, &actor_token).await?;
    let gate = Arc::new(Semaphore::new(SETUP_CONCURRENCY));
    let mut lookups = JoinSet::new();
    for (i, token) in friend_tokens.iter().enumerate() {
        let (client, base, token, gate) = (
            client.clone(),
            ctx.base.clone(),
            token.clone(),
            Arc::clone(&gate),
        );
        lookups.spawn(async move {
            let _permit = gate.acquire().await?;
            Ok::<_, anyhow::Error>((i, user_id(&client, &base, &token).await?))
        });
    }
    let mut friend_ids = vec![0_i64; friend_tokens.len()];
    while let Some(joined) = lookups.join_next().await {
        let (i, id) = joined??;
        if let Some(slot) = friend_ids.get_mut(i) {
            *slot = id;
        }
    }
    let method = befriend(
        &ctx,
        &client,
        actor_id,
        &actor_token,
        &friend_ids,
        &friend_tokens,
    )
    .await?;
    let mut notes = vec![format!("friendships made via {method}")];

    // Friends online first, then the actor.
    let mut tally = Tally::default();
    let current: Shared = Arc::new(Mutex::new(None));
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<u64>();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connects = JoinSet::new();
    for token in friend_tokens {
        let ctx = Arc::clone(&ctx);
        connects.spawn(async move {
            let _permit = ctx.connect_gate.acquire().await?;
            let t0 = Instant::now();
            let result = ws::connect(&ctx.ws_url, &token, ctx.cli.timeout()).await;
            Ok::<_, anyhow::Error>((result, t0.elapsed()))
        });
    }
    let mut listeners = JoinSet::new();
    let mut online = 0_u64;
    while let Some(joined) = connects.join_next().await {
        let (result, took) = joined??;
        match result {
            Ok(device) => {
                online += 1;
                tally.count("connections_ok", 1);
                tally.latency("connect", took)?;
                listeners.spawn(listen(
                    device,
                    Arc::clone(&current),
                    seen_tx.clone(),
                    stop_rx.clone(),
                ));
            }
            Err(failure) => tally.error(failure.0),
        }
    }
    let mut actor = ws::connect(&ctx.ws_url, &actor_token, ctx.cli.timeout())
        .await
        .map_err(|f| anyhow::anyhow!("the actor could not connect: {}", f.0))?;
    tally.count("connections_ok", 1);

    let start = Instant::now();
    let deadline = start + ctx.cli.duration();
    let mut timer_id = String::new();
    for seq in 0..ctx.cli.iterations {
        if Instant::now() >= deadline {
            notes.push(format!("stopped after {seq} commands at --duration"));
            break;
        }
        let (kind, action, payload) = match seq % 4 {
            0 => (
                "timer.create",
                "start",
                json!({ "allocated_duration": 1500, "title": "friends", "visibility": "friends" }),
            ),
            1 => ("timer.pause", "pause", json!({ "timer_id": timer_id })),
            2 => ("timer.resume", "resume", json!({ "timer_id": timer_id })),
            _ => ("timer.stop", "stop", json!({ "timer_id": timer_id })),
        };
        let sent = Instant::now();
        *current.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Current { seq, action, sent });
        ws::send(&mut actor, kind, payload)
            .await
            .map_err(|f| anyhow::anyhow!("actor: {}", f.0))?;
        let reply = ws::await_reply(&mut actor, ctx.cli.timeout())
            .await
            .map_err(|failure| anyhow::anyhow!("actor: {}", failure.0))?;
        if reply.kind == "error" {
            bail!("the actor's {kind} failed: {}", reply.error_code());
        }
        tally.latency("round_trip", sent.elapsed())?;
        tally.count("commands_ok", 1);
        if seq % 4 == 0
            && let Some((id, _)) = reply.timer_key()
        {
            timer_id = id;
        }
        // Wait for every online friend's copy of this command.
        let mut heard = 0_u64;
        let give_up = sent + ctx.cli.timeout();
        while heard < online {
            match tokio::time::timeout_at(give_up.into(), seen_rx.recv()).await {
                Ok(Some(s)) if s == seq => heard += 1,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        if heard > 0 {
            tally.latency("friend_all", sent.elapsed())?;
        }
        if heard < online {
            *tally
                .errors
                .entry("friend_activity_missing".to_owned())
                .or_default() += online - heard;
        }
    }
    let measured_s = start.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    while let Some(joined) = listeners.join_next().await {
        tally.merge(&joined??)?;
    }
    ws::close(actor).await;
    notes.push(format!("{online} friends online"));
    Ok(Outcome {
        tally,
        measured_s,
        notes,
        soak: None,
    })
}

/// The numeric id of the token's user (created on first sight).
async fn user_id(
    client: &reqwest::Client,
    base: &reqwest::Url,
    token: &str,
) -> anyhow::Result<i64> {
    let response = client
        .get(base.join("/api/v1/users/me")?)
        .bearer_auth(token)
        .send()
        .await
        .context("GET /api/v1/users/me")?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET /api/v1/users/me answered {status}");
    }
    let body: Value = response.json().await?;
    body.get("id")
        .and_then(Value::as_i64)
        .context("GET /api/v1/users/me: no numeric id")
}

/// Makes every friend and the actor follow each other; returns how.
async fn befriend(
    ctx: &Ctx,
    client: &reqwest::Client,
    actor_id: i64,
    actor_token: &str,
    friend_ids: &[i64],
    friend_tokens: &[String],
) -> anyhow::Result<&'static str> {
    let Some(&first) = friend_ids.first() else {
        return Ok("nothing (no friends)");
    };
    // Probe the route once: 404 with the router's NOT_FOUND means it is not served.
    let probe = follow(client, &ctx.base, actor_token, first).await?;
    if probe == 404 {
        let url = ctx.cli.database_url.as_deref().context(
            "the follow endpoints are not served (404); pass --database-url to insert friendships in SQL",
        )?;
        befriend_sql(url, actor_id, friend_ids).await?;
        return Ok("SQL (psql INSERT INTO follows; the follow endpoints answered 404)");
    }
    if !(200..300).contains(&probe) {
        bail!("POST /api/v1/users/{first}/follow answered {probe}");
    }
    let gate = Arc::new(Semaphore::new(SETUP_CONCURRENCY));
    let mut calls = JoinSet::new();
    for (i, &friend) in friend_ids.iter().enumerate() {
        let jobs = [
            (i > 0).then(|| (actor_token.to_owned(), friend)),
            friend_tokens.get(i).map(|t| (t.clone(), actor_id)),
        ];
        for (token, followee) in jobs.into_iter().flatten() {
            let (client, base, gate) = (client.clone(), ctx.base.clone(), Arc::clone(&gate));
            calls.spawn(async move {
                let _permit = gate.acquire().await?;
                follow(&client, &base, &token, followee).await
            });
        }
    }
    while let Some(joined) = calls.join_next().await {
        let status = joined??;
        if !(200..300).contains(&status) {
            bail!("a follow answered {status}");
        }
    }
    Ok("REST (POST /api/v1/users/{id}/follow both ways)")
}

async fn follow(
    client: &reqwest::Client,
    base: &reqwest::Url,
    token: &str,
    followee: i64,
) -> anyhow::Result<u16> {
    let response = client
        .post(base.join(&format!("/api/v1/users/{followee}/follow"))?)
        .bearer_auth(token)
        .send()
        .await
        .context("POST /api/v1/users/{id}/follow")?;
    Ok(response.status().as_u16())
}

async fn befriend_sql(url: &str, actor: i64, friends: &[i64]) -> anyhow::Result<()> {
    // Only integers are interpolated, so the statement cannot be injected into.
    let list = friends
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "INSERT INTO follows (follower_id, followee_id, created_at) \
         SELECT {actor}, f, now() FROM unnest(ARRAY[{list}]::bigint[]) AS f \
         UNION ALL SELECT f, {actor}, now() FROM unnest(ARRAY[{list}]::bigint[]) AS f \
         ON CONFLICT DO NOTHING"
    );
    let status = tokio::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", &sql])
        .status()
        .await
        .context("running psql")?;
    if !status.success() {
        bail!("psql INSERT INTO follows failed ({status})");
    }
    Ok(())
}
async fn listen(
    mut device: Ws,
    current: Shared,
    seen: mpsc::UnboundedSender<u64>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut last_seq = None;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            next = ws::next_envelope(&mut device, Duration::from_secs(3600)) => match next {
                Ok(Some(envelope)) if envelope.kind == "timer.friend_activity" => {
                    let now = Instant::now();
                    tally.count("friend_activity_messages", 1);
                    let command = *current.lock().unwrap_or_else(PoisonError::into_inner);
                    if let Some(command) = command
                        && envelope.payload_str("action") == Some(command.action)
                        && last_seq != Some(command.seq)
                    {
                        last_seq = Some(command.seq);
                        tally.latency("friend_activity", now - command.sent)?;
                        let _ = seen.send(command.seq);
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    tally.error("friend_closed_eof");
                    break;
                }
                Err(failure) => {
                    tally.error(format!("friend_{}", failure.0));
                    break;
                }
            },
        }
    }
    ws::close(device).await;
    Ok(tally)
}
