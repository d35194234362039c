//! The REST part of a soak run: an open loop at `--rest-rate` that goes round a fixed mix of
//! reads and writes — profile and timer reads, a todo created and deleted, a follow and
//! unfollow, a meetup created, joined and cancelled (which notifies), notification and friend
//! reads, and test notifications published to users whose stream is open. The REST users are
//! set up as a ring of friends.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Board;
use super::churn;
use super::connections::Streams;
use crate::Ctx;

/// Users of the REST mix (they follow each other and host meetups).
const REST_USERS: u64 = 8;

/// Requests in flight at once; a tick with none free is skipped and counted.
const IN_FLIGHT: usize = 16;

/// One step of the mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Me,
    Timers,
    Todo,
    Publish,
    UnreadCount,
    Follow,
    Notifications,
    Meetup,
    Friends,
}

/// The mix, in order; publishing comes twice so streams see a notification every few seconds.
const MIX: [Op; 10] = [
    Op::Me,
    Op::Timers,
    Op::Todo,
    Op::Publish,
    Op::UnreadCount,
    Op::Follow,
    Op::Notifications,
    Op::Meetup,
    Op::Friends,
    Op::Publish,
];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Self::Me => "me",
            Self::Timers => "timers",
            Self::Todo => "todo",
            Self::Publish => "publish",
            Self::UnreadCount => "unread_count",
            Self::Follow => "follow",
            Self::Notifications => "notifications",
            Self::Meetup => "meetup",
            Self::Friends => "friends",
        }
    }
}

/// The REST users, known by token and numeric id.
struct People {
    tokens: Vec<String>,
    ids: Vec<i64>,
}

/// Runs the mix until `deadline`.
///
/// # Errors
/// Only internal failures; request failures are counted on the board.
pub async fn run(
    ctx: Arc<Ctx>,
    board: Arc<Board>,
    streams: Arc<Streams>,
    deadline: Instant,
) -> anyhow::Result<()> {
    if ctx.cli.rest_rate <= 0.0 {
        return Ok(());
    }
    // A small idle pool: connections are reused under load and closed and reopened now and then.
    let client = reqwest::Client::builder()
        .timeout(ctx.cli.timeout())
        .pool_max_idle_per_host(4)
        .build()?;
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for n in 0..REST_USERS {
        let token = ctx.minter.mint(&format!("{}-r{n}", ctx.cli.run_id))?;
        let me = Caller {
            client: &client,
            ctx: &ctx,
            op: "setup",
        };
        let body = me
            .send(client.get(ctx.base.join("/api/v1/users/me")?), &token)
            .await
            .map_err(|kind| anyhow::anyhow!("REST user {n}: {kind}"))?;
        ids.push(body.get("id").and_then(Value::as_i64).unwrap_or(0));
        tokens.push(token);
    }
    // Neighbours in a ring follow each other, so every REST user has two friends.
    for (n, token) in tokens.iter().enumerate() {
        let next = ids.get((n + 1) % ids.len()).copied().unwrap_or(0);
        let setup = Caller {
            client: &client,
            ctx: &ctx,
            op: "setup",
        };
        let url = ctx.base.join(&format!("/api/v1/users/{next}/follow"))?;
        let previous = ids
            .get((n + ids.len() - 1) % ids.len())
            .copied()
            .unwrap_or(0);
        let back = ctx.base.join(&format!("/api/v1/users/{previous}/follow"))?;
        for url in [url, back] {
            setup
                .send(client.post(url), token)
                .await
                .map_err(|kind| anyhow::anyhow!("REST user {n} following: {kind}"))?;
        }
    }
    let people = Arc::new(People { tokens, ids });
    let interval = Duration::from_secs_f64(1.0 / ctx.cli.rest_rate);
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut calls = JoinSet::new();
    let mut next_due = Instant::now();
    let mut turn = 0_u64;
    while next_due < deadline {
        tokio::time::sleep_until(next_due.into()).await;
        next_due += interval;
        // Finished calls are reaped as we go so the set stays small over a long run.
        while calls.try_join_next().is_some() {}
        let Ok(permit) = Arc::clone(&gate).try_acquire_owned() else {
            board.error("rest_saturated");
            continue;
        };
        let op = MIX
            .get(usize::try_from(turn % MIX.len() as u64).unwrap_or(0))
            .copied()
            .unwrap_or(Op::Me);
        let (ctx, board, streams, people, client) = (
            Arc::clone(&ctx),
            Arc::clone(&board),
            Arc::clone(&streams),
            Arc::clone(&people),
            client.clone(),
        );
        let this_turn = turn;
        calls.spawn(async move {
            let _permit = permit;
            let t0 = Instant::now();
            let caller = Caller {
                client: &client,
                ctx: &ctx,
                op: op.name(),
            };
            match caller.perform(op, this_turn, &people, &streams).await {
                Ok(()) => {
                    board.count("rest_ok");
                    board.latency(&format!("rest_{}", op.name()), t0.elapsed());
                }
                Err(kind) => board.error(kind),
            }
        });
        turn += 1;
    }
    while calls.join_next().await.is_some() {}
    Ok(())
}

/// Sends the requests of one step.
struct Caller<'a> {
    client: &'a reqwest::Client,
    ctx: &'a Ctx,
    op: &'static str,
}

impl Caller<'_> {
    async fn perform(
        &self,
        op: Op,
        turn: u64,
        people: &People,
        streams: &Streams,
    ) -> Result<(), String> {
        let n = usize::try_from(turn % REST_USERS).unwrap_or(0);
        let other = (n + 1) % people.tokens.len().max(1);
        let token = people.tokens.get(n).ok_or("rest_no_user")?;
        let other_token = people.tokens.get(other).ok_or("rest_no_user")?;
        // Not a ring neighbour, so following and unfollowing leaves the friendships alone.
        let stranger_id = people
            .ids
            .get((n + 3) % people.ids.len().max(1))
            .copied()
            .unwrap_or(0);
        match op {
            Op::Me => self.get("/api/v1/users/me", token).await.map(drop),
            Op::Timers => {
                // A command user's timers, so the list has rows.
                let user = turn % self.ctx.cli.users.max(1);
                let subject = churn::command_subject(&self.ctx.cli.run_id, user);
                let owner = self
                    .ctx
                    .minter
                    .mint(&subject)
                    .map_err(|_| "mint".to_owned())?;
                self.get("/api/v1/timers", &owner).await.map(drop)
            }
            Op::Todo => {
                let created = self
                    .post("/api/v1/todos", token, json!({ "title": "soak" }))
                    .await?;
                let id = created
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| self.kind("no_id"))?;
                self.delete(&format!("/api/v1/todos/{id}"), token).await
            }
            Op::Publish => {
                // To a user whose stream is open, else to a REST user (stored, pushed nowhere).
                let target = streams.pick(turn).unwrap_or_else(|| token.clone());
                self.get("/api/v1/notifications/test", &target)
                    .await
                    .map(drop)
            }
            Op::UnreadCount => self
                .get("/api/v1/notifications/unread-count", token)
                .await
                .map(drop),
            Op::Follow => {
                let path = format!("/api/v1/users/{stranger_id}/follow");
                self.post(&path, token, Value::Null).await?;
                self.delete(&path, token).await
            }
            Op::Notifications => self.get("/api/v1/notifications", token).await.map(drop),
            Op::Meetup => {
                let starts_at = iso_utc(unix_now() + 86_400);
                let meetup = self
                    .post(
                        "/api/v1/meetups",
                        token,
                        json!({ "title": "soak", "startsAt": starts_at, "capacity": 10 }),
                    )
                    .await?;
                let id = meetup
                    .get("id")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| self.kind("no_id"))?;
                self.post(
                    &format!("/api/v1/meetups/{id}/participants"),
                    other_token,
                    Value::Null,
                )
                .await?;
                self.post(&format!("/api/v1/meetups/{id}/cancel"), token, Value::Null)
                    .await
                    .map(drop)
            }
            Op::Friends => self.get("/api/v1/users/me/friends", token).await.map(drop),
        }
    }

    fn kind(&self, what: &str) -> String {
        format!("rest_{}_{what}", self.op)
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, String> {
        self.ctx.base.join(path).map_err(|_| self.kind("bad_url"))
    }

    async fn get(&self, path: &str, token: &str) -> Result<Value, String> {
        self.send(self.client.get(self.url(path)?), token).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Result<Value, String> {
        let request = self.client.post(self.url(path)?);
        let request = if body.is_null() {
            request
        } else {
            request.json(&body)
        };
        self.send(request, token).await
    }

    async fn delete(&self, path: &str, token: &str) -> Result<(), String> {
        self.send(self.client.delete(self.url(path)?), token)
            .await
            .map(drop)
    }

    /// Sends with the bearer token; the JSON body (`Null` when empty) of a 2xx answer.
    async fn send(&self, request: reqwest::RequestBuilder, token: &str) -> Result<Value, String> {
        let response = request
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| self.kind(if e.is_timeout() { "timeout" } else { "io" }))?;
        let status = response.status();
        if !status.is_success() {
            return Err(self.kind(&format!("http_{}", status.as_u16())));
        }
        let bytes = response.bytes().await.map_err(|_| self.kind("io"))?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|_| self.kind("bad_json"))
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time (the civil-from-days algorithm of H. Hinnant), so the
/// meetups' `startsAt` needs no date crate here.
fn iso_utc(unix_s: i64) -> String {
    let days = unix_s.div_euclid(86_400);
    let secs = unix_s.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_render_as_utc_datetimes() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        // A leap day and the turn of a century.
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso_utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
