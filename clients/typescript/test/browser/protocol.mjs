// The AsyncAPI document against the real server: a scenario that makes the server send every
// kind of WebSocket message and SSE event, recorded in the browser by the SDK, each validated
// against docs/asyncapi.yaml (`additionalProperties: false`). A message type, event or field the
// document does not describe fails; so does a documented one the scenario never saw.
//
// `ASYNCAPI=<path>` validates against another copy of the document (to show the check bites).
import { readFile } from 'node:fs/promises';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

import { befriend, browser, check, devToken, rest, scenario } from './harness.mjs';
import { openSocket, openStream, waitMessage } from './page-helpers.mjs';

const docPath = process.env.ASYNCAPI ?? new URL('../../../../docs/asyncapi.yaml', import.meta.url).pathname;
const doc = parse(await readFile(docPath, 'utf8'));

/** The schemas of the messages one operation lists, by WebSocket `type` or SSE event name. */
function messagesOf(operation, keyOf) {
  const out = new Map();
  for (const { $ref } of doc.operations[operation].messages) {
    const [, channel, key] = /^#\/channels\/([^/]+)\/messages\/(.+)$/.exec($ref);
    const target = doc.channels[channel].messages[key].$ref.split('/').pop();
    const message = doc.components.messages[target];
    out.set(keyOf(message), message);
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'asyncapi', components: { schemas: doc.components.schemas } });
const compile = (payload) =>
  payload.$ref ? ajv.getSchema(`asyncapi${payload.$ref}`) : ajv.compile({ ...payload, $id: undefined });

const wsMessages = messagesOf('sendTimerEvent', (m) => m.name);
const sseMessages = messagesOf('sendNotificationEvent', (m) => m['x-sse-event']);

/** Ajv's errors, naming an undocumented property. */
const explain = (errors) =>
  errors
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${JSON.stringify(e.params.additionalProperty)})` : ''}`)
    .join('; ');

/** Every problem found (each once), and what was seen. */
function validate(wsFrames, sseEvents) {
  const found = new Set();
  const problems = { push: (p) => found.add(p) };
  const seen = new Set();
  for (const text of wsFrames) {
    const message = JSON.parse(text);
    const documented = wsMessages.get(message.type);
    if (!documented) {
      problems.push(`WebSocket message type ${JSON.stringify(message.type)} is not in docs/asyncapi.yaml: ${text.slice(0, 300)}`);
      continue;
    }
    seen.add(`ws ${message.type}`);
    const validator = compile(documented.payload);
    if (!validator(message)) problems.push(`${message.type} does not match its schema: ${explain(validator.errors)}: ${text.slice(0, 160)}…`);
  }
  for (const event of sseEvents) {
    const documented = sseMessages.get(event.event);
    if (!documented) {
      problems.push(`SSE event ${JSON.stringify(event.event)} is not in docs/asyncapi.yaml: ${event.data.slice(0, 300)}`);
      continue;
    }
    seen.add(`sse ${event.event}`);
    const data = documented['x-sse-data'] === 'text' ? event.data : JSON.parse(event.data);
    const validator = compile(documented.payload);
    if (!validator(data)) problems.push(`SSE ${event.event} does not match its schema: ${explain(validator.errors)}: ${event.data.slice(0, 160)}…`);
    // EventSource reports the stream's last id on every event, so only an event documented with
    // `id:` can be checked: its id is the notification's.
    if (documented['x-sse-id'] && event.lastEventId !== String(data.id)) problems.push(`SSE ${event.event}: id ${event.lastEventId}, expected ${data.id}`);
  }
  for (const type of wsMessages.keys()) if (!seen.has(`ws ${type}`)) problems.push(`the scenario never saw WebSocket ${type}`);
  for (const event of sseMessages.keys()) if (!seen.has(`sse ${event}`)) problems.push(`the scenario never saw SSE ${event}`);
  return { problems: [...found], seen };
}

await scenario('protocol: every frame the server sends matches docs/asyncapi.yaml', async () => {
  const chromium = await browser();
  try {
    const alice = await devToken('proto-alice');
    const bob = await devToken('proto-bob');
    const carol = await devToken('proto-carol');
    await befriend(alice, bob);
    const page = await chromium.page();
    page.setDefaultTimeout(30_000);
    await openSocket(page, 'alice', alice, { timezone: 'Asia/Seoul' });
    await openSocket(page, 'alice2', alice);
    await openSocket(page, 'bob', bob);
    await openStream(page, 'aliceInbox', alice, { timezone: '+09:00' });
    const run = (expr, arg) => page.evaluate(expr, arg);

    // Commands: create, pause, resume, sync (one and all), stop, cancel, an error.
    const t1 = (await run(() => window.rec.alice.socket.createTimer({ allocated_duration: 600, title: 'proto', visibility: 'friends' }))).timer;
    await run((id) => window.rec.alice.socket.pauseTimer(id), t1.id);
    await run((id) => window.rec.alice.socket.resumeTimer(id), t1.id);
    await run((id) => window.rec.alice.socket.syncTimer(id), t1.id);
    await run(() => window.rec.alice.socket.sync('all'));
    const failed = await run(() => window.rec.alice.socket.pauseTimer('01930000-0000-7000-8000-000000000001').then(() => 'ok', (e) => e.code));
    check(failed === 'TIMER_NOT_FOUND', failed);
    await waitMessage(page, 'bob', { type: 'timer.friend_activity', action: 'resume' });
    // A snapshot with an item: a fresh connection of bob's while alice's timer runs.
    await openSocket(page, 'bob2', bob);
    const snapshot = await waitMessage(page, 'bob2', { type: 'timer.friends_snapshot' });
    check(snapshot.payload.count >= 1, 'the snapshot lists the friend\'s timer');
    // REST edits: an update, then private (bob is told to drop it), then a delete.
    await rest(alice, 'PATCH', `/v1/timers/${t1.id}`, { title: 'renamed' });
    await rest(alice, 'PATCH', `/v1/timers/${t1.id}`, { visibility: 'private' });
    await waitMessage(page, 'bob', { type: 'timer.friend_activity', action: 'hidden' });
    await run((id) => window.rec.alice.socket.stopTimer(id), t1.id);
    const t2 = (await run(() => window.rec.alice.socket.createTimer({ allocated_duration: 600 }))).timer;
    await run((id) => window.rec.alice.socket.cancelTimer(id), t2.id);
    await rest(alice, 'DELETE', `/v1/timers/${t2.id}`);
    await waitMessage(page, 'alice', { type: 'timer.deleted', id: t2.id });
    // Time's up: a one-second timer (the scheduler polls every 250 ms).
    const t3 = (await run(() => window.rec.alice.socket.createTimer({ allocated_duration: 1, title: 'short' }))).timer;
    await waitMessage(page, 'alice', { type: 'timer.time_up', id: t3.id });

    // The stream: a FOLLOW and a TEST notification, a read, a delete, heartbeats (the server
    // runs with SSE_HEARTBEAT_SECONDS=1), the TIME_UP above.
    const test = await rest(alice, 'GET', '/api/v1/notifications/test');
    await page.waitForFunction((id) => window.rec.aliceInbox.notifications.includes(id), test.id);
    await rest(alice, 'PATCH', `/api/v1/notifications/${test.id}/read`);
    await rest(alice, 'DELETE', `/api/v1/notifications/${test.id}`);
    await page.waitForFunction(() => ['notification-read', 'notification-deleted', 'heartbeat'].every((e) => window.rec.aliceInbox.events.some((f) => f.event === e)));

    // Evicted: carol opens one stream more than SSE_MAX_STREAMS_PER_USER (2 here).
    await openStream(page, 'carol1', carol);
    await openStream(page, 'carol2', carol);
    await openStream(page, 'carol3', carol);
    await page.waitForFunction(() => window.rec.carol1.life.some((l) => l.kind === 'stopped' && l.reason === 'evicted'));

    // Account deleted: bob's stream gets `account-deleted`, his sockets close with 4001.
    await openStream(page, 'bobInbox', bob);
    await rest(bob, 'DELETE', '/api/v1/users/me');
    await page.waitForFunction(() => window.rec.bobInbox.life.some((l) => l.kind === 'stopped' && l.reason === 'account-deleted'));
    await page.waitForFunction(() => window.rec.bob.life.some((l) => l.kind === 'stopped' && l.reason === 'account-deleted' && l.code === 4001));
    // Alice was bob's friend: hidden activity for nothing visible is fine either way.

    const { wsFrames, sseEvents } = await page.evaluate(() => {
      const ws = [];
      const sse = [];
      for (const rec of Object.values(window.rec)) {
        for (const f of rec.frames ?? []) if (f.direction === 'in') ws.push(f.data);
        for (const e of rec.events ?? []) sse.push({ event: e.event, data: e.data, lastEventId: e.lastEventId });
      }
      return { wsFrames: ws, sseEvents: sse };
    });
    const { problems, seen } = validate(wsFrames, sseEvents);
    console.log(`validated ${wsFrames.length} WebSocket messages and ${sseEvents.length} SSE events; kinds seen: ${[...seen].sort().join(', ')}`);
    check(problems.length === 0, `the server and docs/asyncapi.yaml disagree:\n  ${problems.join('\n  ')}`);
  } finally {
    await chromium.close();
  }
});
