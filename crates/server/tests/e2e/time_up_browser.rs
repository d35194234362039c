//! A real browser hears `timer.time_up` as the second device of a user whose first device has
//! gone: a Rust client (device A) creates a timer of 2 s and closes its socket, and headless
//! Chromium (device B, the same user, connected with the subprotocol
//! `authorization.bearer.<JWT>` from a page served over http from an origin listed in
//! `CORS_ALLOWED_ORIGINS`) receives the server's `timer.time_up` and writes it into the DOM,
//! which the test reads with `--dump-dom`. The browser machinery is `browser.rs`'s; the page
//! server here also tells the test when the page is connected (`/ready`) and when it heard the
//! time-up (`/heard`), so the test waits for those events, never for a fixed sleep.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::browser::{BROWSER_TIMEOUT, chromium, ensure_chromium, run_for};
use crate::helpers::TestApp;
use crate::ws_client::{Client, RECV_TIMEOUT, create, timer_id, token};

/// The user of both devices.
const OWNER: &str = "time-up-browser";

/// How long the test waits for each of the page's reports (Chromium's start, then the 2 s
/// allocation plus the scheduler's poll, on a loaded machine).
const WAIT: Duration = Duration::from_secs(30);

/// How long the page server holds each `/wait` request (as `browser.rs`'s does).
const WAIT_REQUEST: Duration = Duration::from_millis(250);

/// What the page reported to its server, and when the server saw it.
type Signal = (&'static str, Instant);

/// `browser.rs`'s page server (one request per connection, `/wait` held to keep headless
/// Chromium's virtual time still), plus `/ready` and `/heard`, passed on to the test.
fn serve_page(listener: TcpListener, page: String, signals: UnboundedSender<Signal>) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else {
                return;
            };
            let mut request = vec![0_u8; 8192];
            let Ok(read) = stream.read(&mut request) else {
                continue;
            };
            let head = String::from_utf8_lossy(&request[..read]).into_owned();
            let body = if head.starts_with("GET / ") {
                page.as_str()
            } else if head.starts_with("GET /wait ") {
                std::thread::sleep(WAIT_REQUEST);
                "ok"
            } else if let Some(signal) = ["ready", "heard"]
                .into_iter()
                .find(|name| head.starts_with(&format!("GET /{name} ")))
            {
                // The test may be gone already (it failed): nothing to tell then.
                let _sent_or_gone = signals.send((signal, Instant::now()));
                "ok"
            } else {
                ""
            };
            let status = if body.is_empty() {
                "404 Not Found"
            } else {
                "200 OK"
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _written_or_gone = stream.write_all(response.as_bytes());
        }
    });
}

/// The page: device B. It connects as the guide's `TimerWebSocket` does, reports `/ready` after
/// the automatic sync, logs every message, and on `timer.time_up` logs it, reports `/heard` and
/// closes.
fn page(ws_url: &str, token: &str) -> String {
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>time up</title></head>
<body><pre id="log"></pre>
<script>
const log = (line) => {{ document.getElementById('log').textContent += line + '\n'; }};
const wsUrl = {ws_url:?};
const token = {token:?};
let finished = false;
const ws = new WebSocket(wsUrl, ['authorization.bearer.' + token]);
ws.onopen = () => log('open protocol=' + (ws.protocol === 'authorization.bearer.' + token ? 'bearer-echo' : ws.protocol));
ws.onerror = () => log('error');
ws.onclose = (event) => {{ log('close ' + event.code); finished = true; }};
ws.onmessage = (event) => {{
  const msg = JSON.parse(event.data);
  const p = msg.payload || {{}};
  const t = p.timer || {{}};
  log(['recv', msg.type, t.id || '-', t.status || '-'].join(' '));
  if (msg.type === 'connected') log('user ' + p.user_id);
  if (msg.type === 'timer.sync_result') fetch('/ready').catch(() => log('ready failed'));
  if (msg.type === 'timer.time_up') {{
    log(['time_up', t.id, t.status, 'late=' + p.late, 'due_at=' + p.due_at,
         'elapsed=' + t.elapsed_time, 'allocated=' + t.allocated_duration].join(' '));
    fetch('/heard').catch(() => log('heard failed')).finally(() => ws.close());
  }}
}};
(async () => {{
  for (let i = 0; i < 160 && !finished; i++) {{
    try {{ await fetch('/wait'); }} catch (e) {{}}
  }}
}})();
</script></body></html>"#
    )
}

/// The next signal from the page, or the browser's output if Chromium ended first.
async fn next_signal(
    signals: &mut UnboundedReceiver<Signal>,
    browser: &mut JoinHandle<anyhow::Result<Output>>,
    expected: &str,
) -> anyhow::Result<Instant> {
    tokio::select! {
        signal = tokio::time::timeout(WAIT, signals.recv()) => {
            let (name, at) = signal
                .with_context(|| format!("the page did not report {expected} within {WAIT:?}"))?
                .context("the page server is gone")?;
            ensure!(name == expected, "the page reported {name} before {expected}");
            Ok(at)
        }
        output = &mut *browser => {
            let output = output??;
            bail!(
                "chromium ended ({}) before the page reported {expected}:\n{}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

#[tokio::test]
async fn a_browser_hears_time_up_on_the_second_device_after_the_first_closed() -> anyhow::Result<()>
{
    tokio::task::spawn_blocking(ensure_chromium).await??;
    let page_listener = TcpListener::bind("127.0.0.1:0")?;
    let page_origin = format!("http://{}", page_listener.local_addr()?);
    let app = TestApp::spawn_with(&["--cors-allowed-origins", &page_origin]).await?;

    // Device A: the same user, connected before the browser starts.
    let mut first = Client::connect(&app, OWNER, "").await?;

    let ws_url = format!(
        "{}/v1/ws/timers?timezone=Asia/Seoul",
        app.address.replacen("http://", "ws://", 1)
    );
    let (signals_tx, mut signals) = unbounded_channel();
    serve_page(page_listener, page(&ws_url, &token(OWNER)?), signals_tx);

    let profile = std::env::temp_dir().join(format!(
        "hourglass-chromium-time-up-{}-{}",
        std::process::id(),
        crate::ws_client::unix_now()?
    ));
    let mut chromium = Command::new(chromium());
    chromium
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=8000", "--dump-dom"])
        .arg(format!("{page_origin}/"));
    let mut browser = tokio::task::spawn_blocking(move || run_for(chromium, BROWSER_TIMEOUT));

    // Device B is connected: device A starts a 2 s timer and closes before it is up.
    next_signal(&mut signals, &mut browser, "ready").await?;
    let created = first
        .request(&create(2, json!({"title": "time up in the browser"})))
        .await?;
    ensure!(created["type"] == "timer.created", "{created}");
    let timer = timer_id(&created)?;
    first.socket.close(None).await?;
    let (code, _) = first.expect_close(RECV_TIMEOUT).await?;
    let closed_at = Instant::now();
    assert_eq!(code, 1000, "device A's close");
    let user_id = first.user_id.clone();
    drop(first);

    let heard_at = next_signal(&mut signals, &mut browser, "heard").await?;
    assert!(
        heard_at > closed_at,
        "the page heard the time-up before device A had closed"
    );

    let output = browser.await??;
    let _removed = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "chromium failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for expected in [
        "open protocol=bearer-echo".to_owned(),
        format!("user {user_id}\n"),
        format!("recv timer.time_up {timer} RUNNING\n"),
        "close 1000".to_owned(),
    ] {
        assert!(
            dom.contains(&expected),
            "the page did not log {expected:?}:\n{dom}"
        );
    }
    let report = dom
        .lines()
        .find(|line| line.starts_with("time_up "))
        .with_context(|| format!("no time_up report in the page:\n{dom}"))?;
    let fields: Vec<&str> = report.split(' ').collect();
    assert_eq!(fields.get(1), Some(&timer.as_str()), "{report}");
    assert_eq!(fields.get(2), Some(&"RUNNING"), "{report}");
    assert!(
        matches!(fields.get(3), Some(&"late=false" | &"late=true")),
        "{report}"
    );
    assert!(
        fields
            .get(4)
            .is_some_and(|due| due.starts_with("due_at=") && due.ends_with("+09:00")),
        "{report}"
    );
    assert_eq!(fields.get(6), Some(&"allocated=2"), "{report}");
    let elapsed: i64 = fields
        .get(5)
        .and_then(|field| field.strip_prefix("elapsed="))
        .context("elapsed")?
        .parse()?;
    assert!(elapsed >= 2, "{report}");
    assert!(!dom.contains("error\n"), "{dom}");
    app.stop().await
}
