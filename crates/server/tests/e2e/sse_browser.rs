//! A real browser against the notification stream: headless Chromium loads a page, served over
//! http from an origin listed in `CORS_ALLOWED_ORIGINS`, that subscribes exactly as the original
//! spec's front end does — `new EventSource(…/subscribe?accessToken=…)` with
//! `addEventListener("connect")` and `addEventListener("notification")` — then asks the test
//! endpoint for a `TEST` notification and writes what arrived into the DOM, which the test reads
//! with `--dump-dom`. The browser machinery is `browser.rs`'s.

use std::net::TcpListener;
use std::process::Command;

use anyhow::bail;

use crate::browser::{BROWSER_TIMEOUT, chromium, ensure_chromium, run_for, serve_page};
use crate::helpers::TestApp;
use crate::sse_client::member;

/// The page: the original spec's `EventSource` pattern, then the test endpoint.
fn page(api: &str, token: &str) -> String {
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>sse</title></head>
<body><pre id="log"></pre>
<script>
const log = (line) => {{ document.getElementById('log').textContent += line + '\n'; }};
const api = {api:?};
const accessToken = {token:?};
let finished = false;
const es = new EventSource(`${{api}}/api/v1/notifications/subscribe?accessToken=${{accessToken}}`);
es.addEventListener('connect', (event) => {{
  log('connect ' + event.data);
  fetch(`${{api}}/api/v1/notifications/test`, {{ headers: {{ Authorization: 'Bearer ' + accessToken }} }})
    .then((r) => log('test endpoint ' + r.status))
    .catch((e) => log('test endpoint failed ' + e));
}});
es.addEventListener('notification', (event) => {{
  const data = JSON.parse(event.data);
  log(['notification', data.type, data.message, data.relatedType, data.redirectUrl,
       'lastEventId=' + (event.lastEventId === String(data.id))].join(' '));
  es.close();
  finished = true;
}});
es.onerror = () => log('error');
(async () => {{
  for (let i = 0; i < 60 && !finished; i++) {{
    try {{ await fetch('/wait'); }} catch (e) {{}}
  }}
}})();
</script></body></html>"#
    )
}

#[tokio::test]
async fn a_browser_event_source_receives_connect_and_a_notification() -> anyhow::Result<()> {
    tokio::task::spawn_blocking(ensure_chromium).await??;
    let page_listener = TcpListener::bind("127.0.0.1:0")?;
    let page_origin = format!("http://{}", page_listener.local_addr()?);
    let app = TestApp::spawn_with(&["--cors-allowed-origins", &page_origin]).await?;
    let alice = member(&app, "sse-browser", "미니").await?;
    serve_page(page_listener, page(&app.address, &alice.token));

    let profile = std::env::temp_dir().join(format!(
        "hourglass-chromium-sse-{}-{}",
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
        "connect Connected",
        "test endpoint 200",
        "notification TEST 테스트 알림 응답 TEST /docs lastEventId=true",
    ] {
        assert!(
            dom.contains(expected),
            "the page did not log {expected:?}:\n{dom}"
        );
    }
    app.stop().await
}
