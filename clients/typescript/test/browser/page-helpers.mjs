// Page-side set-up shared by the scenarios: a TimerSocket or NotificationStream created inside
// the page from the SDK bundle, recording what it sees into `window.rec[name]`.

/** Opens a TimerSocket named `name` in `page`; resolves once the server said `connected`. */
export async function openSocket(page, name, token, options = {}) {
  await page.evaluate(
    ({ name, token, options }) => {
      window.rec ??= {};
      const rec = (window.rec[name] = { messages: [], frames: [], life: [] });
      const socket = new window.Hourglass.TimerSocket({
        token,
        backoff: { initialDelayMs: 200, maxDelayMs: 1000 },
        ...options,
      });
      rec.socket = socket;
      socket.on('message', (m) => rec.messages.push(m));
      socket.on('frame', (f) => rec.frames.push(f));
      socket.on('resync', (r) => rec.life.push({ kind: 'resync', reconnected: r.reconnected, count: r.timers.length }));
      socket.on('close', (c) => rec.life.push({ kind: 'close', code: c.code, reason: c.reason, retryInMs: c.retryInMs }));
      socket.on('stopped', (s) => rec.life.push({ kind: 'stopped', reason: s.reason, code: s.code }));
      socket.connect();
    },
    { name, token, options },
  );
  if (options.expectStop) return;
  await page.waitForFunction((name) => window.rec[name].socket.state === 'open', name);
}

/** Opens a NotificationStream named `name` in `page`; resolves once it is open. */
export async function openStream(page, name, token, options = {}) {
  await page.evaluate(
    ({ name, token, options }) => {
      window.rec ??= {};
      const rec = (window.rec[name] = { events: [], life: [], notifications: [] });
      const stream = new window.Hourglass.NotificationStream({ token, backoff: { initialDelayMs: 200, maxDelayMs: 1000 }, ...options });
      rec.stream = stream;
      stream.on('frame', (f) => rec.events.push(f));
      stream.on('notification', (n) => rec.notifications.push(n.id));
      stream.on('liveness', (l) => rec.life.push({ kind: 'liveness', alive: l.alive }));
      stream.on('stopped', (s) => rec.life.push({ kind: 'stopped', reason: s.reason }));
      stream.on('state', (s) => rec.life.push({ kind: 'state', state: s }));
      stream.start();
    },
    { name, token, options },
  );
  await page.waitForFunction((name) => window.rec[name].events.some((e) => e.event === 'unread-count'), name);
}

/**
 * Waits until the socket `name` received a message matching `match`: `{type, action?, id?}`,
 * where `id` is the timer's (`payload.timer.id` or `payload.timer_id`). (A matcher object, not a
 * function: the page's CSP forbids building functions from strings.)
 */
export async function waitMessage(page, name, match) {
  const handle = await page.waitForFunction(
    ({ name, match }) =>
      window.rec[name].messages.find(
        (m) =>
          m.type === match.type &&
          (match.action === undefined || m.payload.action === match.action) &&
          (match.id === undefined || (m.payload.timer?.id ?? m.payload.timer_id) === match.id),
      ) ?? false,
    { name, match },
  );
  return handle.jsonValue();
}
