import type { EventSourceLike } from '../../src/notifications.js';
import type { WebSocketLike } from '../../src/socket.js';

/** A WebSocket double: records what the SDK sends, lets the test play the server. */
export class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: string[] = [];
  closedWith: number | undefined;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeWebSocket.instances.push(this);
  }

  static reset(): void {
    FakeWebSocket.instances = [];
  }

  static last(): FakeWebSocket {
    const ws = FakeWebSocket.instances.at(-1);
    if (!ws) throw new Error('no socket was opened');
    return ws;
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The server accepts and greets, as the real one does. */
  accept(userId = '42', timers: unknown[] = []): void {
    this.readyState = 1;
    this.onopen?.({});
    this.server({ type: 'connected', payload: { user_id: userId, message: 'Connected to timer WebSocket' }, timestamp: NOW });
    this.server({ type: 'timer.sync_result', payload: { timers, count: timers.length }, from_user: userId, timestamp: NOW });
    this.server({ type: 'timer.friends_snapshot', payload: { friends: [], count: 0, next_cursor: null }, from_user: userId, timestamp: NOW });
  }

  server(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  sentMessages(): Array<{ type: string; payload: Record<string, unknown>; request_id?: string }> {
    return this.sent.map((s) => JSON.parse(s));
  }
}

export const NOW = '2026-01-28T10:00:00Z';

export function timer(id: string, version: number, status = 'RUNNING'): Record<string, unknown> {
  return {
    id, schedule_id: null, todo_id: null, title: 't', description: null, allocated_duration: 60,
    elapsed_time: 0, status, started_at: '2026-01-28T10:00:00', paused_at: null, ended_at: null,
    pause_history: [], created_at: '2026-01-28T10:00:00', updated_at: '2026-01-28T10:00:00',
    schedule: null, todo: null, tags: [], owner_id: '42', is_shared: false, visibility: 'friends',
    overtime: false, version,
  };
}

type Handler = (event: { data: string; lastEventId?: string }) => void;

/** An EventSource double. */
export class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  closed = false;
  private readonly handlers = new Map<string, Handler[]>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }

  static reset(): void {
    FakeEventSource.instances = [];
  }

  static last(): FakeEventSource {
    const es = FakeEventSource.instances.at(-1);
    if (!es) throw new Error('no EventSource was opened');
    return es;
  }

  addEventListener(type: string, listener: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  event(type: string, data: string, lastEventId?: string): void {
    for (const h of this.handlers.get(type) ?? []) h({ data, ...(lastEventId ? { lastEventId } : {}) });
  }

  /** The browser gave up (`CLOSED`) or is retrying by itself (`CONNECTING`). */
  error(readyState: 0 | 2): void {
    this.readyState = readyState;
    this.onerror?.({});
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
