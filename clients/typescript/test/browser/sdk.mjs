// The SDK in a real browser against the real server: connect, a command from one tab seen on
// another, a connection dropped while a reply was in flight and the command retried with the
// same request_id, the resync, the notification stream resumed after a drop, a bad token.
import { browser, check, devToken, proxy, rest, scenario } from './harness.mjs';
import { openSocket, openStream, waitMessage } from './page-helpers.mjs';

await scenario('sdk: two tabs, a drop, a retry, a resume', async () => {
  const chromium = await browser();
  const net = await proxy();
  try {
    const token = await devToken('sdk-alice');
    const tabA = await chromium.page();
    const tabB = await chromium.page(net.url);
    tabA.setDefaultTimeout(30_000);
    tabB.setDefaultTimeout(30_000);

    // Tab A is on the server, tab B on the proxy the test can cut (its page's own origin).
    await openSocket(tabA, 'a', token, { timezone: 'Asia/Seoul' });
    await openSocket(tabB, 'b', token, { timezone: '+09:00' });

    // A command from one tab, seen on the other (fan-out, rendered in B's zone).
    const created = await tabA.evaluate(() => window.rec.a.socket.createTimer({ allocated_duration: 1500, title: 'from tab A' }));
    check(created.action === 'start' && created.timer.status === 'RUNNING', 'create resolves with the reply');
    check(created.timer.started_at.endsWith('+09:00'), `A's zone: ${created.timer.started_at}`);
    const seen = await waitMessage(tabB, 'b', { type: 'timer.created', id: created.timer.id });
    check(seen.request_id === undefined, 'the fan-out carries no request_id');
    check(await tabB.evaluate((id) => window.rec.b.socket.timers.get(id)?.status, created.timer.id) === 'RUNNING', "B's timers");

    // B pauses; the command reaches the server but the reply is lost, then the connection drops.
    net.mode = 'mute';
    // Unique per run: the server remembers a request_id's outcome for 24 h.
    const requestId = `sdk-retry-${Date.now()}`;
    await tabB.evaluate(({ id, requestId }) => {
      window.pauseOutcome = window.rec.b.socket
        .pauseTimer(id, { requestId })
        .then((reply) => ({ ok: true, reply }), (error) => ({ ok: false, error: `${error.name} ${error.code ?? ''} ${error.message}` }));
    }, { id: created.timer.id, requestId });
    // The server applied it: A hears about it.
    await waitMessage(tabA, 'a', { type: 'timer.updated', action: 'pause', id: created.timer.id });
    net.dropAll();
    net.mode = 'up';
    // B reconnects with backoff, sends the same request_id again and gets the original reply.
    const outcome = await tabB.evaluate(() => window.pauseOutcome);
    check(outcome.ok, `the retried pause resolves: ${outcome.error}`);
    check(outcome.reply.timer.status === 'PAUSED' && outcome.reply.timer.version === 2, `replayed reply: ${JSON.stringify(outcome.reply.timer)}`);
    const sentTwice = await tabB.evaluate((requestId) =>
      window.rec.b.frames.filter((f) => f.direction === 'out' && JSON.parse(f.data).request_id === requestId).length, requestId);
    check(sentTwice === 2, `the command went out twice with one request_id (${sentTwice})`);
    const lifeB = await tabB.evaluate(() => window.rec.b.life);
    check(lifeB.some((l) => l.kind === 'close' && l.code === 1006 && l.retryInMs > 0), `B saw the drop: ${JSON.stringify(lifeB)}`);
    check(lifeB.some((l) => l.kind === 'resync' && l.reconnected), 'B resynced after reconnecting');
    check(await tabB.evaluate((id) => window.rec.b.socket.timers.get(id)?.status, created.timer.id) === 'PAUSED', 'B state after resync');
    // Applied once: A saw exactly one pause of that timer.
    const pauses = await tabA.evaluate((id) =>
      window.rec.a.messages.filter((m) => m.type === 'timer.updated' && m.payload.timer.id === id && m.payload.action === 'pause').length, created.timer.id);
    check(pauses === 1, `one pause fanned out (${pauses})`);

    // A resume from B (now reconnected) reaches A.
    await tabB.evaluate((id) => window.rec.b.socket.resumeTimer(id), created.timer.id);
    await waitMessage(tabA, 'a', { type: 'timer.updated', action: 'resume', id: created.timer.id });

    // The notification stream through the proxy: one notification, a drop while another is
    // stored, then the browser's own reconnect resumes from Last-Event-ID.
    await openStream(tabB, 'n', token);
    const first = await rest(token, 'GET', '/api/v1/notifications/test');
    await tabB.waitForFunction((id) => window.rec.n.notifications.includes(id), first.id);
    net.mode = 'down';
    net.dropAll();
    await tabB.waitForFunction(() => window.rec.n.life.some((l) => l.kind === 'liveness' && !l.alive));
    const second = await rest(token, 'GET', '/api/v1/notifications/test');
    net.mode = 'up';
    await tabB.waitForFunction((id) => window.rec.n.notifications.includes(id), second.id, { timeout: 20_000 });
    const ids = await tabB.evaluate(() => window.rec.n.notifications);
    check(JSON.stringify(ids) === JSON.stringify([first.id, second.id]), `each notification once, in order: ${ids}`);
    check(await tabB.evaluate(() => window.rec.n.stream.lastEventId) === second.id, 'lastEventId');

    // A bad token: 1008, and the socket stops instead of retrying.
    await openSocket(tabA, 'bad', 'not-a-token', { expectStop: true });
    await tabA.waitForFunction(() => window.rec.bad.socket.state === 'stopped');
    const badLife = await tabA.evaluate(() => window.rec.bad.life);
    check(badLife.some((l) => l.kind === 'stopped' && l.reason === 'unauthorized' && l.code === 1008), JSON.stringify(badLife));
  } finally {
    net.close();
    await chromium.close();
  }
});
