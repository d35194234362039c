import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import type { StopReason } from './errors.js';
import {
  NOTIFICATION_EVENTS,
  TEXT_EVENTS,
  type Notification,
  type NotificationEventMap,
} from './generated/protocol.js';
import { tokenOf, type TokenSource } from './rest.js';
import type { TimeZone } from './timezone.js';

/** What an EventSource constructor must offer (the browser's, or a test double). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  addEventListener(type: string, listener: (event: { data: string; lastEventId?: string }) => void): void;
  close(): void;
}
/** An EventSource constructor. */
export type EventSourceConstructor = new (url: string) => EventSourceLike;

/** Options of [`NotificationStream`]. */
export interface NotificationStreamOptions {
  /** The server (default: this page's origin). */
  baseUrl?: string;
  /** The bearer token (a function is called again before every new EventSource). */
  token: TokenSource;
  /** How `createdAt` is written; naive UTC without it. */
  timezone?: TimeZone;
  /** The last notification id this page already shows: the server replays the ones after it. */
  lastEventId?: number;
  /**
   * How long without any event (heartbeats come every `SSE_HEARTBEAT_SECONDS`, 25 by default)
   * before the stream counts as dead and is reopened (default 60 s).
   */
  livenessTimeoutMs?: number;
  /** Delays between reopenings the SDK does itself (the browser's own use `retry:`). */
  backoff?: BackoffOptions;
  /** The EventSource constructor (default: the global one). */
  EventSource?: EventSourceConstructor;
  /** A `fetch` to tell a bad token from a transient failure (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

/** The stream's state. */
export type StreamState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** The events of [`NotificationStream`]: every SSE event by name, plus the stream's life. */
export interface NotificationStreamEvents extends NotificationEventMap {
  /** The state changed. */
  state: StreamState;
  /**
   * Liveness: `alive` turns false when nothing (not even a heartbeat) came for
   * `livenessTimeoutMs`, and true again with the next event.
   */
  liveness: { alive: boolean; lastEventAt: number };
  /**
   * Every SSE event, raw (for debugging and the playground). `lastEventId` is the stream's last
   * `id:` so far, which `EventSource` reports on every event, not only on the one that set it.
   */
  frame: { event: string; data: string; lastEventId?: string; at: number };
  /** The stream stopped for good: `evicted` (too many tabs), `account-deleted`, `unauthorized`, `closed`. */
  stopped: { reason: StopReason; detail?: string };
}

const CLOSED = 2;

/**
 * The notification stream (`GET /api/v1/notifications/subscribe`, docs/notifications.md) over the
 * browser's `EventSource`, typed from docs/asyncapi.yaml.
 *
 * - Resumes from the last id: the browser sends `Last-Event-ID` on its own reconnects, and a new
 *   EventSource the SDK opens carries `lastEventId`; a notification already seen is dropped.
 * - Heartbeats (and every other event) feed a liveness signal; a silent stream is reopened.
 * - An `evicted` stream (the per-user cap, sent with `retry: 3600000`) stops instead of
 *   reconnecting, so two tabs never evict each other in a loop.
 * - `account-deleted` and a refused token stop it too (`stopped` says which).
 */
export class NotificationStream extends Emitter<NotificationStreamEvents> {
  private source: EventSourceLike | undefined;
  private current: StreamState = 'idle';
  private last: number | undefined;
  private unread: number | undefined;
  private lastEventAt = 0;
  /** How many EventSources this stream opened (more than one: a reconnection). */
  private opened = 0;
  private alive = false;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly backoff: Backoff;
  private readonly EventSourceImpl: EventSourceConstructor;
  private readonly livenessTimeoutMs: number;

  constructor(private readonly options: NotificationStreamOptions) {
    super();
    this.last = options.lastEventId;
    this.backoff = new Backoff(options.backoff);
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? 60_000;
    const impl = options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
    if (!impl) throw new Error('no EventSource implementation: pass options.EventSource');
    this.EventSourceImpl = impl;
  }

  /** The stream's state. */
  get state(): StreamState {
    return this.current;
  }

  /** The id of the newest notification seen (what a resume starts after). */
  get lastEventId(): number | undefined {
    return this.last;
  }

  /** The latest `unread-count`. */
  get unreadCount(): number | undefined {
    return this.unread;
  }

  /** Opens the stream (again, after a stop). */
  start(): void {
    if (this.current === 'connecting' || this.current === 'open') return;
    this.backoff.reset();
    void this.open();
  }

  /** Closes the stream for good. */
  close(): void {
    this.stop('closed');
  }

  private base(): string {
    return (this.options.baseUrl ?? (typeof location === 'undefined' ? '' : location.origin)).replace(/\/$/, '');
  }

  private setState(state: StreamState): void {
    if (this.current === state) return;
    this.current = state;
    this.emit('state', state);
  }

  private async open(): Promise<void> {
    this.setState(this.opened > 0 ? 'reconnecting' : 'connecting');
    let token: string;
    try {
      token = await tokenOf(this.options.token);
    } catch (error) {
      this.stop('unauthorized', `the token source failed: ${String(error)}`);
      return;
    }
    if (this.current === 'stopped') return;
    const query = new URLSearchParams({ accessToken: token });
    if (this.options.timezone) query.set('timezone', this.options.timezone);
    if (this.last !== undefined) query.set('lastEventId', String(this.last));
    const source = new this.EventSourceImpl(`${this.base()}/api/v1/notifications/subscribe?${query}`);
    this.source = source;
    this.opened += 1;
    source.onopen = () => {
      if (this.source !== source) return;
      this.backoff.reset();
      this.setState('open');
      this.beat();
    };
    source.onerror = () => {
      if (this.source === source) void this.failed(source);
    };
    for (const event of NOTIFICATION_EVENTS) {
      source.addEventListener(event, (e) => {
        if (this.source === source) this.receive(event, e.data, e.lastEventId);
      });
    }
  }

  private receive<K extends keyof NotificationEventMap>(event: K, data: string, id?: string): void {
    this.emit('frame', { event, data, ...(id ? { lastEventId: id } : {}), at: Date.now() });
    this.beat();
    let value: NotificationEventMap[K];
    try {
      value = ((TEXT_EVENTS as readonly string[]).includes(event) ? data : JSON.parse(data)) as NotificationEventMap[K];
    } catch {
      return;
    }
    switch (event) {
      case 'notification': {
        const notification = value as Notification;
        // At-least-once delivery: a replay may repeat what this page already has.
        if (this.last !== undefined && notification.id <= this.last) return;
        this.last = notification.id;
        break;
      }
      case 'unread-count':
        this.unread = (value as NotificationEventMap['unread-count']).unreadCount;
        break;
    }
    this.emit(event, value as NotificationStreamEvents[K]);
    if (event === 'account-deleted') this.stop('account-deleted');
    // The server told this tab to stay away for an hour (`retry: 3600000`): stop, rather than
    // open a new stream that would evict another tab in turn.
    if (event === 'evicted') this.stop('evicted');
  }

  /** Something came: the stream is alive; re-arm the watchdog. */
  private beat(): void {
    this.lastEventAt = Date.now();
    if (!this.alive) {
      this.alive = true;
      this.emit('liveness', { alive: true, lastEventAt: this.lastEventAt });
    }
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.silent(), this.livenessTimeoutMs);
  }

  private silent(): void {
    this.watchdog = undefined;
    if (this.current === 'stopped') return;
    this.alive = false;
    this.emit('liveness', { alive: false, lastEventAt: this.lastEventAt });
    // A half-open connection never errors: replace it (resuming after the last id).
    this.source?.close();
    this.source = undefined;
    this.scheduleReopen();
  }

  /**
   * The EventSource reported an error. While it is CONNECTING the browser retries by itself
   * (after `retry:`), sending `Last-Event-ID`: leave it alone. CLOSED means the browser gave up
   * (a non-200 answer): ask the API whether the token is the problem before opening a new one.
   */
  private async failed(source: EventSourceLike): Promise<void> {
    if (this.alive) {
      this.alive = false;
      this.emit('liveness', { alive: false, lastEventAt: this.lastEventAt });
    }
    if (source.readyState !== CLOSED) {
      this.setState('reconnecting');
      return;
    }
    source.close();
    this.source = undefined;
    const verdict = await this.checkToken();
    if (this.current === 'stopped') return;
    if (verdict) {
      this.stop(verdict.reason, verdict.detail);
      return;
    }
    this.scheduleReopen();
  }

  /** `unauthorized`/`account-deleted` when `/api/v1/users/me` refuses the token; else nothing. */
  private async checkToken(): Promise<{ reason: StopReason; detail: string } | undefined> {
    const fetchImpl = this.options.fetch ?? globalThis.fetch;
    if (!fetchImpl) return undefined;
    try {
      const token = await tokenOf(this.options.token);
      const response = await fetchImpl(`${this.base()}/api/v1/users/me`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (response.status !== 401) return undefined;
      const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
      return {
        reason: body.code === 'ACCOUNT_DELETED' ? 'account-deleted' : 'unauthorized',
        detail: body.message ?? 'token refused',
      };
    } catch {
      return undefined;
    }
  }

  private scheduleReopen(): void {
    if (this.current === 'stopped' || this.reopenTimer !== undefined) return;
    this.setState('reconnecting');
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      void this.open();
    }, this.backoff.next());
  }

  private stop(reason: StopReason, detail?: string): void {
    if (this.current === 'stopped') return;
    this.source?.close();
    this.source = undefined;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    if (this.reopenTimer !== undefined) clearTimeout(this.reopenTimer);
    this.watchdog = undefined;
    this.reopenTimer = undefined;
    this.setState('stopped');
    this.emit('stopped', { reason, ...(detail ? { detail } : {}) });
  }
}
