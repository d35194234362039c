// What every browser scenario shares: headless Debian Chromium driven by playwright-core, a
// TCP proxy that can cut connections, development tokens, and small waiting helpers.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

/** The server under test (`http://127.0.0.1:<port>`), started by the Rust e2e test. */
export const SERVER = process.env.HOURGLASS_URL ?? 'http://127.0.0.1:8000';
const EXECUTABLE = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The flags the repository's browser tests use (crates/server/tests/e2e/browser.rs). */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts Chromium with a fresh profile; `close()` ends it and deletes the profile. */
export async function browser() {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'hourglass-sdk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    /**
     * A tab on `/playground` of `origin` (the server, or a proxy in front of it: the server
     * runs with TRUSTED_PROXIES=127.0.0.1, so the proxy's `Host` is the page's own origin and
     * the WebSocket/SSE `Origin` check passes, as behind a real reverse proxy).
     */
    async page(origin = SERVER) {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      // Console errors include the expected ones (a dropped stream's ERR_INCOMPLETE_CHUNKED_ENCODING):
      // shown on demand only.
      if (process.env.HOURGLASS_BROWSER_DEBUG) page.on('console', (m) => console.error(`console ${m.type()}: ${m.text()}`));
      // The playground page is same-origin with the server and carries the SDK bundle.
      await page.goto(`${origin}/playground`);
      await page.waitForFunction(() => typeof window.Hourglass?.TimerSocket === 'function');
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A development token for `playground:<name>` (the server runs with PLAYGROUND_DEV_TOKENS). */
export async function devToken(name) {
  const response = await fetch(`${SERVER}/playground/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!response.ok) throw new Error(`POST /playground/token: ${response.status} ${await response.text()}`);
  return (await response.json()).token;
}

/** A REST call as `token`; throws on a non-2xx answer. */
export async function rest(token, method, route, body) {
  const response = await fetch(`${SERVER}${route}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

/** Two users who follow each other. */
export async function befriend(a, b) {
  const me = await rest(a, 'GET', '/api/v1/users/me');
  const them = await rest(b, 'GET', '/api/v1/users/me');
  await rest(a, 'POST', `/api/v1/users/${them.id}/follow`);
  await rest(b, 'POST', `/api/v1/users/${me.id}/follow`);
  return { me, them };
}

/**
 * A TCP proxy in front of the server, so a test can cut the browser's connections the way a
 * network drop does (no close frame: 1006 for the WebSocket, an error for EventSource).
 * `up`: forward; `down`: refuse new connections; `mute`: forward what the client sends but
 * swallow the server's answers (a reply lost in flight).
 */
export async function proxy() {
  const [host, port] = new URL(SERVER).host.split(':');
  const sockets = new Set();
  let mode = 'up';
  const server = net.createServer((client) => {
    if (mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), host);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (mode !== 'mute') client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    set mode(value) {
      mode = value;
    },
    /** Cuts every open connection. */
    dropAll() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close() {
      this.dropAll();
      server.close();
    },
  };
}

/** Fails with `message` unless `condition` holds. */
export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Runs `main`, prints a verdict, sets the exit code. */
export async function scenario(name, main) {
  const started = Date.now();
  try {
    await main();
    console.log(`ok: ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    console.error(`FAILED: ${name}: ${error.stack ?? error}`);
    process.exitCode = 1;
  }
}
