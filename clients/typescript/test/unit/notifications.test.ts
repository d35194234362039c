import assert from 'node:assert/strict';
import { beforeEach, describe, it, mock } from 'node:test';

import { NotificationStream } from '../../src/notifications.js';
import { FakeEventSource, settle } from './fakes.js';

function notification(id: number): string {
  return JSON.stringify({
    id, receiverId: 1, actorId: 1, actorNickname: 'me', actorProfileImage: null, type: 'TEST',
    message: '테스트 알림 응답', isRead: false, relatedId: null, relatedType: 'TEST', redirectUrl: '/docs',
    createdAt: '2026-01-28T10:00:00',
  });
}

function answering(status: number, body: unknown): typeof fetch {
  return (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;
}

function stream(extra: Partial<ConstructorParameters<typeof NotificationStream>[0]> = {}): NotificationStream {
  return new NotificationStream({
    baseUrl: 'http://example.test',
    token: 'jwt',
    EventSource: FakeEventSource,
    backoff: { random: () => 0 },
    livenessTimeoutMs: 60_000,
    fetch: answering(200, {}),
    ...extra,
  });
}

describe('NotificationStream', () => {
  beforeEach(() => {
    FakeEventSource.reset();
    mock.timers.enable({ apis: ['setTimeout'] });
  });

  it('subscribes with the token, zone and last id, and drops notifications it already has', async () => {
    const s = stream({ timezone: '+09:00', lastEventId: 41 });
    const ids: number[] = [];
    const counts: number[] = [];
    s.on('notification', (n) => ids.push(n.id));
    s.on('unread-count', (c) => counts.push(c.unreadCount));
    s.start();
    await settle();
    const es = FakeEventSource.last();
    assert.equal(es.url, 'http://example.test/api/v1/notifications/subscribe?accessToken=jwt&timezone=%2B09%3A00&lastEventId=41');
    es.open();
    es.event('connect', 'Connected');
    es.event('notification', notification(41), '41');
    es.event('notification', notification(42), '42');
    es.event('unread-count', '{"unreadCount":3}');
    assert.deepEqual(ids, [42]);
    assert.deepEqual(counts, [3]);
    assert.equal(s.lastEventId, 42);
    assert.equal(s.unreadCount, 3);
    s.close();
    mock.timers.reset();
  });

  it('stops when evicted instead of fighting back for the slot', async () => {
    const s = stream();
    const stopped: string[] = [];
    s.on('stopped', (e) => stopped.push(e.reason));
    s.start();
    await settle();
    const es = FakeEventSource.last();
    es.open();
    es.event('evicted', '{"retryMs":3600000}');
    assert.equal(es.closed, true);
    assert.equal(s.state, 'stopped');
    assert.deepEqual(stopped, ['evicted']);
    mock.timers.tick(3_600_000);
    await settle();
    assert.equal(FakeEventSource.instances.length, 1);
    mock.timers.reset();
  });

  it('stops on account-deleted', async () => {
    const s = stream();
    const stopped: string[] = [];
    s.on('stopped', (e) => stopped.push(e.reason));
    s.start();
    await settle();
    FakeEventSource.last().open();
    FakeEventSource.last().event('account-deleted', '{}');
    assert.deepEqual(stopped, ['account-deleted']);
    mock.timers.reset();
  });

  it('lets the browser retry by itself, and tells a refused token from a transient failure', async () => {
    for (const [status, body, expected] of [
      [401, { code: 'ACCOUNT_DELETED', message: 'account deleted' }, 'account-deleted'],
      [401, { code: 'UNAUTHORIZED', message: 'token expired' }, 'unauthorized'],
    ] as const) {
      FakeEventSource.reset();
      const s = stream({ fetch: answering(status, body) });
      const stopped: string[] = [];
      s.on('stopped', (e) => stopped.push(e.reason));
      s.start();
      await settle();
      FakeEventSource.last().open();
      FakeEventSource.last().error(0);
      assert.equal(s.state, 'reconnecting', 'CONNECTING: the browser retries by itself');
      FakeEventSource.last().error(2);
      await settle();
      await settle();
      assert.deepEqual(stopped, [expected]);
      assert.equal(FakeEventSource.instances.length, 1);
    }
    mock.timers.reset();
  });

  it('reopens after the last id when the browser gave up for another reason', async () => {
    const s = stream();
    s.start();
    await settle();
    const first = FakeEventSource.last();
    first.open();
    first.event('notification', notification(7), '7');
    first.error(2);
    await settle();
    await settle();
    mock.timers.tick(1000);
    await settle();
    assert.equal(FakeEventSource.instances.length, 2);
    assert.match(FakeEventSource.last().url, /lastEventId=7$/);
    s.close();
    mock.timers.reset();
  });

  it('turns silence into a liveness signal and replaces the dead stream', async () => {
    const s = stream();
    const liveness: boolean[] = [];
    s.on('liveness', (l) => liveness.push(l.alive));
    s.start();
    await settle();
    const first = FakeEventSource.last();
    first.open();
    first.event('heartbeat', '2026-01-28T10:00:00Z');
    mock.timers.tick(59_999);
    assert.deepEqual(liveness, [true]);
    mock.timers.tick(1);
    assert.deepEqual(liveness, [true, false]);
    assert.equal(first.closed, true);
    mock.timers.tick(1000);
    await settle();
    assert.equal(FakeEventSource.instances.length, 2);
    FakeEventSource.last().open();
    assert.deepEqual(liveness, [true, false, true]);
    s.close();
    mock.timers.reset();
  });
});
