//! A real browser against `/v1/ws/timers`: headless Chromium loads a page, served over http
//! from an origin listed in `CORS_ALLOWED_ORIGINS` (written `ws://…`, as the original guide tells
//! front ends to), that connects the way the guide's `TimerWebSocket` does — the token as the
//! subprotocol `authorization.bearer.<JWT>` — creates and pauses a timer, and writes what it saw
//! into the DOM, which the test reads with `--dump-dom`.
//!
//! Debian's `chromium` is installed when `/usr/bin/chromium` is missing (as root); without root
//! and without Chromium the test fails, saying so, rather than passing without a browser.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};

use crate::helpers::TestApp;
use crate::ws_client::token;

/// Debian's Chromium, installed by the tests as root when missing.
const DEBIAN_CHROMIUM: &str = "/usr/bin/chromium";

/// The Chromium the browser tests run: `HOURGLASS_CHROMIUM` when set (a Chromium or Chrome
/// installed elsewhere, e.g. on macOS; `scripts/prerequisites.sh` says how), else Debian's.
pub(crate) fn chromium() -> String {
    std::env::var("HOURGLASS_CHROMIUM")
        .ok()
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| DEBIAN_CHROMIUM.to_owned())
}

/// How long the page server holds each `/wait` request.
const WAIT_REQUEST: Duration = Duration::from_millis(250);

/// Installing Chromium takes a while on a fresh machine.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// Headless Chromium, with the page's virtual time budget, must be done well within this.
pub(crate) const BROWSER_TIMEOUT: Duration = Duration::from_secs(90);

/// Runs `command` to completion, killing it after `limit`.
pub(crate) fn run_for(mut command: Command, limit: Duration) -> anyhow::Result<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + limit;
    // Drain stdout on a thread so a large DOM cannot block the child on a full pipe.
    let mut stdout = child.stdout.take().context("stdout")?;
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            child.kill()?;
            bail!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = Vec::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_end(&mut stderr)?;
    }
    let stdout = reader
        .join()
        .map_err(|_| anyhow::anyhow!("stdout reader panicked"))??;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Installs Debian's `chromium` if it is missing.
pub(crate) fn ensure_chromium() -> anyhow::Result<()> {
    // Both browser tests run in this process, in parallel: two apt-get runs would fight over
    // dpkg's lock, so installs take turns (a poisoned lock only means the other install failed).
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let chromium = chromium();
    if Path::new(&chromium).exists() {
        return Ok(());
    }
    ensure!(
        chromium == DEBIAN_CHROMIUM,
        "HOURGLASS_CHROMIUM={chromium} does not exist"
    );
    let uid = Command::new("id").arg("-u").output()?;
    ensure!(
        String::from_utf8_lossy(&uid.stdout).trim() == "0",
        "{chromium} is missing and this test is not running as root: install Debian's chromium \
         (apt-get install -y chromium), or set HOURGLASS_CHROMIUM to a Chromium or Chrome binary \
         (scripts/prerequisites.sh says how), to run the browser test"
    );
    let mut install = Command::new("sh");
    install.args([
        "-c",
        "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium",
    ]);
    let output = run_for(install, INSTALL_TIMEOUT)?;
    ensure!(
        output.status.success() && Path::new(&chromium).exists(),
        "apt-get install chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// Serves `page` to every request on `listener` (a tiny HTTP/1.1 server, one request per
/// connection), on a thread that lives as long as the test process.
pub(crate) fn serve_page(listener: TcpListener, page: String) {
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
            if head.starts_with("GET /wait ") {
                // Headless Chromium's virtual time stands still while a fetch is pending, and
                // WebSocket traffic alone does not hold it: the page keeps one of these open
                // until it has seen everything.
                std::thread::sleep(WAIT_REQUEST);
            }
            let body = if head.starts_with("GET / ") {
                page.as_str()
            } else if head.starts_with("GET /wait ") {
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

/// The page: the guide's `TimerWebSocket` connection, then create, pause, and a second socket
/// with a bad token to see the 1008 close code from the page's side.
fn page(ws_url: &str, token: &str) -> String {
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>timer ws</title></head>
<body><pre id="log"></pre>
<script>
const log = (line) => {{ document.getElementById('log').textContent += line + '\n'; }};
const wsUrl = {ws_url:?};
const token = {token:?};
class TimerWebSocket {{
  constructor(token, onMessage) {{ this.token = token; this.onMessage = onMessage; this.ws = null; }}
  connect() {{
    this.ws = new WebSocket(wsUrl, ['authorization.bearer.' + this.token]);
    this.ws.onopen = () => log('open protocol=' + (this.ws.protocol === 'authorization.bearer.' + this.token ? 'bearer-echo' : this.ws.protocol));
    this.ws.onmessage = (event) => this.onMessage(JSON.parse(event.data));
    this.ws.onerror = () => log('error');
    this.ws.onclose = (event) => log('close ' + event.code);
  }}
  send(message) {{ if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message)); }}
  createTimer(data) {{ this.send({{ type: 'timer.create', payload: data }}); }}
  pauseTimer(timerId) {{ this.send({{ type: 'timer.pause', payload: {{ timer_id: timerId }} }}); }}
  disconnect() {{ this.ws && this.ws.close(); }}
}}
const socket = new TimerWebSocket(token, (msg) => {{
  const p = msg.payload || {{}};
  const t = p.timer || {{}};
  log(['recv', msg.type, p.action || '-', t.status || '-', t.started_at || '-', msg.timestamp].join(' '));
  if (msg.type === 'timer.sync_result') socket.createTimer({{ allocated_duration: 1500, title: 'from the browser' }});
  if (msg.type === 'timer.created') socket.pauseTimer(t.id);
  if (msg.type === 'timer.updated') {{
    socket.disconnect();
    const bad = new WebSocket(wsUrl, ['authorization.bearer.not-a-token']);
    bad.onclose = (event) => {{ log('bad-token close ' + event.code); finished = true; }};
  }}
}});
let finished = false;
(async () => {{
  for (let i = 0; i < 60 && !finished; i++) {{
    try {{ await fetch('/wait'); }} catch (e) {{}}
  }}
}})();
socket.connect();
</script></body></html>"#
    )
}

#[tokio::test]
async fn a_browser_connects_creates_and_pauses_like_the_guides_timer_websocket()
-> anyhow::Result<()> {
    tokio::task::spawn_blocking(ensure_chromium).await??;
    let page_listener = TcpListener::bind("127.0.0.1:0")?;
    let page_origin = format!("http://{}", page_listener.local_addr()?);
    // Listed as ws://, the way the guide asks front-end developers to list it.
    let listed = page_origin.replacen("http://", "ws://", 1);
    let app = TestApp::spawn_with(&["--cors-allowed-origins", &listed]).await?;
    let ws_url = format!(
        "{}/v1/ws/timers?timezone=Asia/Seoul",
        app.address.replacen("http://", "ws://", 1)
    );
    serve_page(page_listener, page(&ws_url, &token("browser")?));

    let profile = std::env::temp_dir().join(format!(
        "hourglass-chromium-{}-{}",
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
    let output = tokio::task::spawn_blocking(move || run_for(chromium, BROWSER_TIMEOUT)).await??;
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
        "open protocol=bearer-echo",
        "recv connected - - - ",
        "recv timer.sync_result - - - ",
        "recv timer.created start RUNNING ",
        "recv timer.updated pause PAUSED ",
        "+09:00",
        "close 1000",
        "bad-token close 1008",
    ] {
        assert!(
            dom.contains(expected),
            "the page did not log {expected:?}:\n{dom}"
        );
    }
    assert!(!dom.contains("error\n"), "{dom}");
    app.stop().await
}
