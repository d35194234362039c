import assert from 'node:assert/strict';
import { beforeEach, describe, it, mock } from 'node:test';

import { CommandError, SocketClosedError } from '../../src/errors.js';
import { TimerSocket } from '../../src/socket.js';
import { FakeWebSocket, NOW, settle, timer } from './fakes.js';

function socket(extra: Partial<ConstructorParameters<typeof TimerSocket>[0]> = {}): TimerSocket {
  let n = 0;
  return new TimerSocket({
    baseUrl: 'http://example.test:8000',
    token: 'jwt',
    WebSocket: FakeWebSocket,
    requestId: () => `r${++n}`,
    backoff: { random: () => 0 },
    ...extra,
  });
}

describe('TimerSocket', () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    mock.timers.enable({ apis: ['setTimeout'] });
  });

  it('offers the token as a subprotocol, never in the URL, with the typed time zone', async () => {
    const s = socket({ timezone: 'Asia/Seoul' });
    s.connect();
    await settle();
    const ws = FakeWebSocket.last();
    assert.equal(ws.url, 'ws://example.test:8000/v1/ws/timers?timezone=Asia%2FSeoul');
    assert.deepEqual(ws.protocols, ['authorization.bearer.jwt', 'hourglass.v1']);
    assert.ok(!ws.url.includes('jwt'));
    mock.timers.reset();
  });

  it('queues commands until connected and matches replies by request_id', async () => {
    const s = socket();
    s.connect();
    const created = s.createTimer({ allocated_duration: 60, title: 'a' });
    await settle();
    const ws = FakeWebSocket.last();
    assert.equal(ws.sent.length, 0, 'nothing is sent before `connected`');
    ws.accept();
    assert.deepEqual(ws.sentMessages(), [
      { type: 'timer.create', payload: { allocated_duration: 60, title: 'a' }, request_id: 'r1' },
    ]);
    ws.server({ type: 'timer.created', payload: { timer: timer('t1', 1), action: 'start' }, from_user: '42', timestamp: NOW, request_id: 'r1' });
    const reply = await created;
    assert.equal(reply.timer.id, 't1');
    assert.equal(s.timers.get('t1')?.version, 1);

    const paused = s.pauseTimer('t1');
    ws.server({ type: 'error', payload: { code: 'PAUSE_FAILED', message: 'Cannot pause timer with status COMPLETED' }, timestamp: NOW, request_id: 'r2' });
    await assert.rejects(paused, (e: unknown) => e instanceof CommandError && e.code === 'PAUSE_FAILED' && e.requestId === 'r2');
    mock.timers.reset();
  });

  it('resends an unanswered command with the same request_id after a reconnect, with backoff', async () => {
    const s = socket();
    const closes: Array<number | undefined> = [];
    s.on('close', (c) => closes.push(c.retryInMs));
    const resyncs: boolean[] = [];
    s.on('resync', (r) => resyncs.push(r.reconnected));
    s.connect();
    await settle();
    FakeWebSocket.last().accept();
    const paused = s.pauseTimer('t1', { requestId: 'keep-me' });
    FakeWebSocket.last().drop(1006);
    assert.equal(s.state, 'reconnecting');
    assert.deepEqual(closes, [1000]);
    mock.timers.tick(999);
    await settle();
    assert.equal(FakeWebSocket.instances.length, 1, 'waits the backoff');
    mock.timers.tick(1);
    await settle();
    const second = FakeWebSocket.last();
    assert.equal(FakeWebSocket.instances.length, 2);
    second.accept('42', [timer('t1', 2, 'PAUSED')]);
    assert.deepEqual(second.sentMessages(), [{ type: 'timer.pause', payload: { timer_id: 't1' }, request_id: 'keep-me' }]);
    // The server remembered the first attempt and replays its reply.
    second.server({ type: 'timer.updated', payload: { timer: timer('t1', 2, 'PAUSED'), action: 'pause' }, from_user: '42', timestamp: NOW, request_id: 'keep-me' });
    assert.equal((await paused).timer.status, 'PAUSED');
    assert.deepEqual(resyncs, [false, true]);
    // A second drop: the backoff went back to the start after the successful connection.
    second.drop(1001);
    assert.deepEqual(closes, [1000, 1000]);
    s.close();
    mock.timers.reset();
  });

  it('doubles the delay while reconnections fail, and waits what 4029 asks', async () => {
    const s = socket();
    const delays: Array<number | undefined> = [];
    s.on('close', (c) => delays.push(c.retryInMs));
    s.connect();
    await settle();
    for (let i = 0; i < 3; i++) {
      FakeWebSocket.last().drop(1006);
      mock.timers.tick(60_000);
      await settle();
    }
    FakeWebSocket.last().drop(4029, 'too many connections; retry after 20 s');
    assert.deepEqual(delays, [1000, 2000, 4000, 20_000]);
    s.close();
    mock.timers.reset();
  });

  it('stops on 1008 and on 4001, failing pending commands, without reconnecting', async () => {
    for (const [code, reason] of [[1008, 'unauthorized'], [4001, 'account-deleted']] as const) {
      FakeWebSocket.reset();
      const s = socket();
      const stopped: string[] = [];
      s.on('stopped', (e) => stopped.push(e.reason));
      s.connect();
      await settle();
      const pending = s.createTimer({ allocated_duration: 5 });
      FakeWebSocket.last().drop(code, 'token expired');
      await assert.rejects(pending, (e: unknown) => e instanceof SocketClosedError && e.reason === reason);
      assert.equal(s.state, 'stopped');
      assert.deepEqual(stopped, [reason]);
      mock.timers.tick(120_000);
      await settle();
      assert.equal(FakeWebSocket.instances.length, 1, `no reconnect after ${code}`);
    }
    mock.timers.reset();
  });

  it('keeps the newest version of each timer and the friends list', async () => {
    const s = socket();
    s.connect();
    await settle();
    const ws = FakeWebSocket.last();
    ws.accept('42', [timer('a', 3)]);
    ws.server({ type: 'timer.updated', payload: { timer: timer('a', 2, 'PAUSED'), action: 'pause' }, from_user: '42', timestamp: NOW });
    assert.equal(s.timers.get('a')?.status, 'RUNNING', 'an older version is ignored');
    ws.server({ type: 'timer.updated', payload: { timer: timer('a', 4, 'COMPLETED'), action: 'stop' }, from_user: '42', timestamp: NOW });
    assert.equal(s.timers.has('a'), false, 'a finished timer leaves the active set');
    ws.server({ type: 'timer.created', payload: { timer: timer('b', 1), action: 'start' }, from_user: '42', timestamp: NOW });
    ws.server({ type: 'timer.deleted', payload: { timer_id: 'b' }, from_user: '42', timestamp: NOW });
    assert.equal(s.timers.size, 0);

    const activity = (action: string) => ({
      type: 'timer.friend_activity',
      payload: { friend_id: '7', display_name: 'bob', action, timer_id: 'f1', timer_title: 'Reading' },
      from_user: '7',
      timestamp: NOW,
    });
    const seen: string[] = [];
    s.on('timer.friend_activity', (m) => seen.push(m.payload.action));
    ws.server(activity('start'));
    assert.equal(s.friends.get('f1')?.displayName, 'bob');
    ws.server(activity('hidden'));
    assert.equal(s.friends.size, 0);
    assert.deepEqual(seen, ['start', 'hidden']);
    s.close();
    mock.timers.reset();
  });

  it('reports every frame both ways', async () => {
    const s = socket();
    const frames: string[] = [];
    s.on('frame', (f) => frames.push(`${f.direction} ${JSON.parse(f.data).type}`));
    s.connect();
    await settle();
    FakeWebSocket.last().accept();
    void s.sync().catch(() => undefined);
    assert.deepEqual(frames, ['in connected', 'in timer.sync_result', 'in timer.friends_snapshot', 'out timer.sync']);
    s.close();
    mock.timers.reset();
  });
});
