//! A real browser shows two tabs' unread counts agreeing after a read in one (issue 19).
//!
//! Headless Chromium loads a page, served over http from an origin listed in
//! `CORS_ALLOWED_ORIGINS`, holding two frames: two browsing contexts with a `new EventSource(…)`
//! each, as two open tabs of one user are. Once both have their opening `unread-count`, the
//! page asks the test endpoint for a notification; once both tabs have it (count 1), tab 1 marks
//! it read with `PATCH /api/v1/notifications/{id}/read`, and each tab writes what it heard into
//! the page, which the test reads with `--dump-dom`. The browser machinery is `browser.rs`'s.

use std::net::TcpListener;
use std::process::Command;

use anyhow::bail;

use crate::browser::{BROWSER_TIMEOUT, chromium, ensure_chromium, run_for, serve_page};
use crate::helpers::TestApp;
use crate::sse_client::member;

/// The page. `API` and `TOKEN` are replaced with the server's address and the user's token.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>two tabs</title></head>
<body><pre id="log"></pre>
<script>
const log = (line) => { document.getElementById('log').textContent += line + '\n'; };
window.api = "API";
window.accessToken = "TOKEN";
const tabs = {};
let finished = false;
let notificationId = null;

// What each tab heard; the page moves on when both agree.
const heard = { 1: [], 2: [] };
window.report = (tab, what, value) => {
  heard[tab].push(what + ' ' + value);
  log('tab ' + tab + ' ' + what + ' ' + value);
  step();
};
const last = (tab, what) => {
  const lines = heard[tab].filter((line) => line.startsWith(what + ' '));
  return lines.length ? lines[lines.length - 1].slice(what.length + 1) : null;
};
let phase = 'connecting';
function step() {
  if (phase === 'connecting' && last(1, 'count') === '0' && last(2, 'count') === '0') {
    phase = 'notifying';
    fetch(`${api}/api/v1/notifications/test`, { headers: { Authorization: 'Bearer ' + accessToken } })
      .then((r) => r.json())
      .then((n) => { notificationId = n.id; log('test notification ' + n.id); step(); })
      .catch((e) => log('test endpoint failed ' + e));
  } else if (phase === 'notifying' && notificationId !== null
      && last(1, 'notification') === String(notificationId)
      && last(2, 'notification') === String(notificationId)
      && last(1, 'count') === '1' && last(2, 'count') === '1') {
    phase = 'reading';
    tabs[1].contentWindow.markRead(notificationId);
  } else if (phase === 'reading'
      && last(1, 'read') === String(notificationId) && last(2, 'read') === String(notificationId)
      && last(1, 'count') === '0' && last(2, 'count') === '0') {
    phase = 'done';
    log('both tabs agree: unread ' + last(1, 'count') + ' and ' + last(2, 'count'));
    for (const n of [1, 2]) { tabs[n].contentWindow.es.close(); }
    finished = true;
  }
}

const tabHtml = (n) => `<!doctype html><script>
window.es = new EventSource(parent.api + '/api/v1/notifications/subscribe?accessToken=' + parent.accessToken);
es.addEventListener('unread-count', (e) => parent.report(${n}, 'count', JSON.parse(e.data).unreadCount));
es.addEventListener('notification', (e) => parent.report(${n}, 'notification', JSON.parse(e.data).id));
es.addEventListener('notification-read', (e) => parent.report(${n}, 'read', JSON.parse(e.data).ids.join(',')));
es.onerror = () => parent.report(${n}, 'error', es.readyState);
window.markRead = (id) => fetch(parent.api + '/api/v1/notifications/' + id + '/read', {
  method: 'PATCH', headers: { Authorization: 'Bearer ' + parent.accessToken } })
  .then((r) => parent.report(${n}, 'marked', r.status));
<\/script>`;
for (const n of [1, 2]) {
  const frame = document.createElement('iframe');
  frame.srcdoc = tabHtml(n);
  document.body.appendChild(frame);
  tabs[n] = frame;
}
(async () => {
  for (let i = 0; i < 80 && !finished; i++) {
    try { await fetch('/wait'); } catch (e) {}
  }
})();
</script></body></html>"#;

#[tokio::test]
async fn two_browser_tabs_agree_on_the_unread_count_after_a_read_in_one() -> anyhow::Result<()> {
    tokio::task::spawn_blocking(ensure_chromium).await??;
    let page_listener = TcpListener::bind("127.0.0.1:0")?;
    let page_origin = format!("http://{}", page_listener.local_addr()?);
    let app = TestApp::spawn_with(&["--cors-allowed-origins", &page_origin]).await?;
    let alice = member(&app, "read-state-browser", "미니").await?;
    serve_page(
        page_listener,
        PAGE.replace("API", &app.address)
            .replace("TOKEN", &alice.token),
    );

    let profile = std::env::temp_dir().join(format!(
        "hourglass-chromium-tabs-{}-{}",
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
        .args(["--virtual-time-budget=15000", "--dump-dom"])
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
        "tab 1 count 0",
        "tab 2 count 0",
        "tab 1 count 1",
        "tab 2 count 1",
        "tab 1 marked 204",
        "both tabs agree: unread 0 and 0",
    ] {
        assert!(
            dom.contains(expected),
            "the page did not log {expected:?}:\n{dom}"
        );
    }
    // The tab that did not read heard the read from the server, not from its neighbour.
    assert!(!dom.contains("tab 2 marked"), "{dom}");
    assert!(dom.contains("tab 2 read "), "{dom}");
    app.stop().await
}
