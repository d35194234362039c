import { Backoff, type BackoffOptions } from './backoff.js';
import { Emitter } from './emitter.js';
import { CommandError, SocketClosedError, type StopReason } from './errors.js';
import type {
  ClientMessageMap,
  FriendTimer,
  ServerMessage,
  ServerMessageMap,
  Timer,
  TimerChangePayload,
  TimerCreatePayload,
  TimerFriendActivityPayload,
  TimerSyncPayload,
  TimerSyncResultPayload,
  Uuid,
} from './generated/protocol.js';
import { tokenOf, type TokenSource } from './rest.js';
import type { TimeZone } from './timezone.js';

/** The subprotocol that keeps the token out of the server's answer (docs/websocket.md). */
export const PROTOCOL_VERSION = 'hourglass.v1';

/** What a WebSocket constructor must offer (the browser's, or a test double). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
/** A WebSocket constructor. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

/** Options of [`TimerSocket`]. */
export interface TimerSocketOptions {
  /** The server, `https://api.example.com` or `wss://…` (default: this page's origin). */
  baseUrl?: string;
  /** The bearer token (a function is called again before every reconnect). */
  token: TokenSource;
  /** How datetimes are written; naive UTC without it. */
  timezone?: TimeZone;
  /** Reconnection delays (1 s doubling to 30 s, half of each random, by default). */
  backoff?: BackoffOptions;
  /** How long a command waits for its reply, across reconnects (default 30 s). */
  commandTimeoutMs?: number;
  /** The WebSocket constructor (default: the global one). */
  WebSocket?: WebSocketConstructor;
  /** Generates `request_id`s (default: `crypto.randomUUID`). */
  requestId?: () => string;
}

/** The connection's state. */
export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** A raw frame, for debugging and the playground. */
export interface Frame {
  /** `out`: sent by this client; `in`: received. */
  direction: 'in' | 'out';
  /** The JSON text. */
  data: string;
  /** When, `Date.now()`. */
  at: number;
}

/** A friend's timer as a client keeps it: the snapshot item, or what activity told. */
export interface FriendTimerView {
  /** The friend's id, decimal. */
  friendId: string;
  /** Their current nickname. */
  displayName: string;
  /** The timer id. */
  timerId: Uuid;
  /** Its title, or null. */
  title: string | null;
  /** The last action seen (`start`, `pause`, `resume`), or `snapshot`. */
  lastAction: string;
  /** The whole timer when a snapshot gave it. */
  timer?: Timer;
}

/** The events of [`TimerSocket`]: every server message by `type`, plus the connection's life. */
export interface TimerSocketEvents extends ServerMessageMap {
  /** Every server message. */
  message: ServerMessage;
  /** Every frame, both ways. */
  frame: Frame;
  /** The state changed. */
  state: SocketState;
  /** The connection opened and the server said `connected`. */
  open: { userId: string; reconnected: boolean };
  /** The connection closed; `retryInMs` is set when the socket will reconnect. */
  close: { code: number; reason: string; retryInMs?: number };
  /** The local timers were replaced by a `timer.sync_result` (after every (re)connect). */
  resync: { timers: Timer[]; reconnected: boolean };
  /** `timers` changed. */
  timers: ReadonlyMap<Uuid, Timer>;
  /** `friends` changed. */
  friends: ReadonlyMap<Uuid, FriendTimerView>;
  /** The socket stopped for good: bad token (1008), account deleted (4001), or `close()`. */
  stopped: { reason: StopReason; code?: number; detail?: string };
}

/** The reply of each command, by type. */
export interface CommandReplies {
  'timer.create': TimerChangePayload;
  'timer.pause': TimerChangePayload;
  'timer.resume': TimerChangePayload;
  'timer.stop': TimerChangePayload;
  'timer.cancel': TimerChangePayload;
  'timer.sync': TimerChangePayload | TimerSyncResultPayload;
}

/** Per-command options. */
export interface CommandOptions {
  /** Reuse a `request_id` to retry a command safely (one is generated otherwise). */
  requestId?: string;
}

type CommandType = keyof ClientMessageMap;

interface Pending {
  type: CommandType;
  frame: string;
  resolve: (payload: never) => void;
  reject: (error: Error) => void;
  timeout: ReturnType<typeof setTimeout>;
  /** Written on the current connection. */
  sent: boolean;
}

/** Close codes after which reconnecting cannot help. */
const TERMINAL: Record<number, StopReason> = { 1008: 'unauthorized', 4001: 'account-deleted' };

/** `4029`'s reason carries the wait the server asks for: "… retry after 6 s". */
const RETRY_AFTER = /retry after (\d+) s/;

const OPEN = 1;

function defaultRequestId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/**
 * The timer WebSocket (`/v1/ws/timers`, docs/websocket.md), typed from docs/asyncapi.yaml.
 *
 * - Authenticates with the subprotocol `authorization.bearer.<JWT>` (and offers `hourglass.v1`,
 *   so the token is not echoed back).
 * - Commands return promises matched by `request_id`. A command not answered when the connection
 *   drops is sent again, with the same `request_id`, once the socket is back: the server replays
 *   the original reply rather than applying it twice.
 * - Reconnects with exponential backoff and jitter; after `4029` it waits at least what the
 *   server asks; after `1008` (bad token) and `4001` (account deleted) it stops and says why.
 * - Keeps `timers` (the caller's active timers, newest `version` wins, replaced by every
 *   `timer.sync_result`, which the server sends after every connect) and `friends` (from
 *   `timer.friends_snapshot` and `timer.friend_activity`).
 */
export class TimerSocket extends Emitter<TimerSocketEvents> {
  private ws: WebSocketLike | undefined;
  private current: SocketState = 'idle';
  private readonly backoff: Backoff;
  private readonly pending = new Map<string, Pending>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** How many times the server said `connected` (more than one: this is a reconnection). */
  private connections = 0;
  private readonly localTimers = new Map<Uuid, Timer>();
  private readonly localFriends = new Map<Uuid, FriendTimerView>();
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly makeRequestId: () => string;
  private readonly commandTimeoutMs: number;

  constructor(private readonly options: TimerSocketOptions) {
    super();
    this.backoff = new Backoff(options.backoff);
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!impl) throw new Error('no WebSocket implementation: pass options.WebSocket');
    this.WebSocketImpl = impl;
    this.makeRequestId = options.requestId ?? defaultRequestId;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
  }

  /** The connection's state. */
  get state(): SocketState {
    return this.current;
  }

  /** The caller's RUNNING and PAUSED timers, by id (newest `version` of each). */
  get timers(): ReadonlyMap<Uuid, Timer> {
    return this.localTimers;
  }

  /** Friends' visible active timers, by timer id. */
  get friends(): ReadonlyMap<Uuid, FriendTimerView> {
    return this.localFriends;
  }

  /** The URL the socket connects to (no token in it: the token goes in the subprotocol). */
  get url(): string {
    const base = (this.options.baseUrl ?? (typeof location === 'undefined' ? '' : location.origin))
      .replace(/\/$/, '')
      .replace(/^http/, 'ws');
    const zone = this.options.timezone ? `?timezone=${encodeURIComponent(this.options.timezone)}` : '';
    return `${base}/v1/ws/timers${zone}`;
  }

  /** Opens the connection (again, after a stop). */
  connect(): void {
    if (this.current === 'connecting' || this.current === 'open') return;
    this.clearReconnect();
    this.backoff.reset();
    void this.open();
  }

  /** Closes the connection for good; pending commands fail with [`SocketClosedError`]. */
  close(): void {
    this.stop('closed');
  }

  /** Starts a timer; resolves with `{timer, action: "start"}`. */
  createTimer(payload: TimerCreatePayload, options?: CommandOptions): Promise<TimerChangePayload> {
    return this.command('timer.create', payload, options) as Promise<TimerChangePayload>;
  }

  /** Pauses a running timer. */
  pauseTimer(timerId: Uuid, options?: CommandOptions): Promise<TimerChangePayload> {
    return this.command('timer.pause', { timer_id: timerId }, options) as Promise<TimerChangePayload>;
  }

  /** Resumes a paused timer. */
  resumeTimer(timerId: Uuid, options?: CommandOptions): Promise<TimerChangePayload> {
    return this.command('timer.resume', { timer_id: timerId }, options) as Promise<TimerChangePayload>;
  }

  /** Stops (completes) a timer. */
  stopTimer(timerId: Uuid, options?: CommandOptions): Promise<TimerChangePayload> {
    return this.command('timer.stop', { timer_id: timerId }, options) as Promise<TimerChangePayload>;
  }

  /** Cancels a timer. */
  cancelTimer(timerId: Uuid, options?: CommandOptions): Promise<TimerChangePayload> {
    return this.command('timer.cancel', { timer_id: timerId }, options) as Promise<TimerChangePayload>;
  }

  /** Re-reads the active timers (`scope: "all"`: the 200 newest); replaces `timers` for `active`. */
  sync(scope: 'active' | 'all' = 'active'): Promise<TimerSyncResultPayload> {
    return this.command('timer.sync', { scope }) as Promise<TimerSyncResultPayload>;
  }

  /** Re-reads one timer. */
  syncTimer(timerId: Uuid): Promise<TimerChangePayload> {
    return this.command('timer.sync', { timer_id: timerId }) as Promise<TimerChangePayload>;
  }

  /**
   * Sends any client message and resolves with its reply's payload, or rejects with a
   * [`CommandError`] (the server's `error`) or a [`SocketClosedError`].
   */
  command<T extends CommandType>(
    type: T,
    payload: ClientMessageMap[T]['payload'],
    options: CommandOptions = {},
  ): Promise<CommandReplies[T]> {
    if (this.current === 'stopped') {
      return Promise.reject(new SocketClosedError('closed', 'the socket is stopped: call connect()'));
    }
    const requestId = options.requestId ?? this.makeRequestId();
    const frame = JSON.stringify({ type, payload, request_id: requestId });
    return new Promise<CommandReplies[T]>((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new SocketClosedError('timeout', `no reply to ${type} (${requestId}) in time`));
      }, this.commandTimeoutMs);
      this.pending.set(requestId, {
        type,
        frame,
        resolve: resolve as (payload: never) => void,
        reject,
        timeout,
        sent: false,
      });
      this.flush();
    });
  }

  // ---- the connection ----------------------------------------------------------------------

  private setState(state: SocketState): void {
    if (this.current === state) return;
    this.current = state;
    this.emit('state', state);
  }

  private async open(): Promise<void> {
    this.setState(this.connections > 0 ? 'reconnecting' : 'connecting');
    let token: string;
    try {
      token = await tokenOf(this.options.token);
    } catch (error) {
      this.stop('unauthorized', undefined, `the token source failed: ${String(error)}`);
      return;
    }
    if (this.current === 'stopped') return;
    const ws = new this.WebSocketImpl(this.url, [`authorization.bearer.${token}`, PROTOCOL_VERSION]);
    this.ws = ws;
    ws.onmessage = (event) => {
      if (this.ws === ws && typeof event.data === 'string') this.receive(event.data);
    };
    ws.onclose = (event) => {
      if (this.ws === ws) this.closed(event.code, event.reason);
    };
    // An error is always followed by a close, which decides what happens next.
    ws.onerror = () => undefined;
  }

  private closed(code: number, reason: string): void {
    this.ws = undefined;
    for (const pending of this.pending.values()) pending.sent = false;
    const terminal = TERMINAL[code];
    if (terminal) {
      this.emit('close', { code, reason });
      this.stop(terminal, code, reason);
      return;
    }
    if (this.current === 'stopped') return;
    let delay = this.backoff.next();
    const asked = RETRY_AFTER.exec(reason);
    if (code === 4029 && asked) delay = Math.max(delay, Number(asked[1]) * 1000);
    this.setState('reconnecting');
    this.emit('close', { code, reason, retryInMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open();
    }, delay);
  }

  private stop(reason: StopReason, code?: number, detail?: string): void {
    if (this.current === 'stopped') return;
    this.clearReconnect();
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState <= OPEN) ws.close(1000, 'bye');
    this.setState('stopped');
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timeout);
      pending.reject(new SocketClosedError(reason, `${pending.type} (${id}) not answered: ${reason}`));
    }
    this.pending.clear();
    this.emit('stopped', { reason, ...(code === undefined ? {} : { code }), ...(detail ? { detail } : {}) });
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  /** Writes every pending command not yet written on this connection, oldest first. */
  private flush(): void {
    const ws = this.ws;
    if (!ws || this.current !== 'open' || ws.readyState !== OPEN) return;
    for (const pending of this.pending.values()) {
      if (pending.sent) continue;
      pending.sent = true;
      this.emit('frame', { direction: 'out', data: pending.frame, at: Date.now() });
      ws.send(pending.frame);
    }
  }

  private receive(data: string): void {
    this.emit('frame', { direction: 'in', data, at: Date.now() });
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    this.apply(message);
    this.emit('message', message);
    this.emit(message.type, message as never);
    this.answer(message);
  }

  /** Resolves or rejects the command a reply names. */
  private answer(message: ServerMessage): void {
    const requestId = 'request_id' in message ? message.request_id : undefined;
    if (!requestId) return;
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    clearTimeout(pending.timeout);
    if (message.type === 'error') {
      pending.reject(new CommandError(message.payload.code, message.payload.message, requestId));
    } else {
      pending.resolve(message.payload as never);
    }
  }

  /** Keeps `timers` and `friends` in step with a server message. */
  private apply(message: ServerMessage): void {
    switch (message.type) {
      case 'connected': {
        this.connections += 1;
        const reconnected = this.connections > 1;
        this.backoff.reset();
        this.setState('open');
        this.emit('open', { userId: message.payload.user_id, reconnected });
        // Commands waiting for the connection (or interrupted by a drop) go out now, with
        // their original request_id.
        this.flush();
        return;
      }
      case 'timer.sync_result': {
        // The greeting's list (and a server resync's) replaces local state; so does the reply
        // to an `active` sync. `scope: "all"` also lists finished timers: not the active set.
        const requested = message.request_id ? this.pending.get(message.request_id) : undefined;
        if (requested && requested.frame.includes('"scope":"all"')) return;
        this.localTimers.clear();
        for (const timer of message.payload.timers) this.localTimers.set(timer.id, timer);
        this.emit('timers', this.localTimers);
        if (!message.request_id) {
          this.emit('resync', { timers: message.payload.timers, reconnected: this.connections > 1 });
        }
        return;
      }
      case 'timer.friends_snapshot': {
        this.localFriends.clear();
        for (const item of message.payload.friends) this.localFriends.set(item.timer.id, friendView(item));
        this.emit('friends', this.localFriends);
        return;
      }
      case 'timer.friend_activity': {
        this.applyActivity(message.payload);
        return;
      }
      case 'timer.created':
      case 'timer.updated':
      case 'timer.time_up': {
        const timer = message.payload.timer;
        const known = this.localTimers.get(timer.id);
        if (known && known.version > timer.version) return;
        if (timer.status === 'RUNNING' || timer.status === 'PAUSED') this.localTimers.set(timer.id, timer);
        else this.localTimers.delete(timer.id);
        this.emit('timers', this.localTimers);
        return;
      }
      case 'timer.deleted': {
        if (this.localTimers.delete(message.payload.timer_id)) this.emit('timers', this.localTimers);
        return;
      }
      case 'error':
        return;
    }
  }

  private applyActivity(activity: TimerFriendActivityPayload): void {
    switch (activity.action) {
      case 'start':
      case 'pause':
      case 'resume': {
        const known = this.localFriends.get(activity.timer_id);
        this.localFriends.set(activity.timer_id, {
          ...(known ?? {}),
          friendId: activity.friend_id,
          displayName: activity.display_name,
          timerId: activity.timer_id,
          title: activity.timer_title,
          lastAction: activity.action,
        });
        break;
      }
      case 'stop':
      case 'cancel':
      case 'hidden':
        this.localFriends.delete(activity.timer_id);
        break;
    }
    this.emit('friends', this.localFriends);
  }
}

function friendView(item: FriendTimer): FriendTimerView {
  return {
    friendId: String(item.friend.id),
    displayName: item.friend.nickname,
    timerId: item.timer.id,
    title: item.timer.title,
    lastAction: 'snapshot',
    timer: item.timer,
  };
}

/** The payload type of `timer.sync` (re-exported for callers of `command`). */
export type { TimerSyncPayload };
