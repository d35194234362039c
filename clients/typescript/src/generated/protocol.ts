// Generated from docs/asyncapi.yaml by scripts/gen-protocol.mjs: do not edit by hand.
// Run `npm run gen` after changing the document; `npm run check` fails when this file is stale.
/* eslint-disable */

/** 1 to 64 characters without control characters; reuse it to retry the same command. */
export type RequestId = string;

export type Uuid = string;

/** A user id, decimal, as a string. */
export type UserIdString = string;

/** An instant in UTC with `Z`. */
export type UtcInstant = string;

/** Naive UTC without `timezone`, otherwise with the zone's offset. */
export type ZonedDateTime = string;

export type TimerStatus = "RUNNING" | "PAUSED" | "COMPLETED" | "CANCELLED";

export type Visibility = "private" | "friends" | "public";

/** What happened; `update` is a REST edit, `sync` the reply to `timer.sync` with `timer_id`. */
export type TimerAction = "start" | "pause" | "resume" | "stop" | "cancel" | "update" | "sync";

export type FriendAction = "start" | "pause" | "resume" | "stop" | "cancel" | "hidden";

export type WsErrorCode = "INVALID_MESSAGE" | "UNKNOWN_TYPE" | "TIMER_NOT_FOUND" | "CREATE_FAILED" | "PAUSE_FAILED" | "RESUME_FAILED" | "STOP_FAILED" | "CANCEL_FAILED" | "SYNC_FAILED" | "RATE_LIMIT_EXCEEDED" | "SERVICE_UNAVAILABLE" | "INTERNAL_ERROR";

export type EmptyObject = Record<string, never>;

export type Tag = {
  id: Uuid;
  name: string;
  /** `#RRGGBB` */
  color: string;
};

export type Schedule = {
  id: Uuid;
  title: string;
  description: string | null;
  start_time: ZonedDateTime;
  end_time: ZonedDateTime;
  tag_ids: Uuid[];
  created_at: ZonedDateTime;
  updated_at: ZonedDateTime;
};

export type Todo = {
  id: Uuid;
  title: string;
  description: string | null;
  status: "TODO" | "IN_PROGRESS" | "DONE";
  deadline: ZonedDateTime | null;
  tag_ids: Uuid[];
  created_at: ZonedDateTime;
  updated_at: ZonedDateTime;
};

export type PauseEvent = {
  action: "start" | "pause" | "resume" | "stop" | "cancel";
  at: ZonedDateTime;
  /** Elapsed seconds right after the event; only on pause, stop and cancel. */
  elapsed?: number;
};

/** The REST timer object; on the WebSocket `tags` are the timer's own, `schedule` and `todo` null. */
export type Timer = {
  id: Uuid;
  schedule_id: Uuid | null;
  todo_id: Uuid | null;
  title: string | null;
  description: string | null;
  allocated_duration: number;
  /** Seconds spent RUNNING, as of when the message was built. */
  elapsed_time: number;
  status: TimerStatus;
  started_at: ZonedDateTime;
  paused_at: ZonedDateTime | null;
  ended_at: ZonedDateTime | null;
  pause_history: PauseEvent[];
  created_at: ZonedDateTime;
  updated_at: ZonedDateTime;
  schedule: Schedule | null;
  todo: Todo | null;
  tags: Tag[];
  owner_id: UserIdString;
  /** Whether the viewer is not the owner. */
  is_shared: boolean;
  visibility: Visibility;
  /** `elapsed_time > allocated_duration`. */
  overtime: boolean;
  /** Grows by one with every stored change; ignore anything older than what you have. */
  version: number;
};

/** A user as `/api/v1` renders it (camelCase). */
export type User = {
  id: number;
  nickname: string;
  profileImage: string | null;
  createdAt: ZonedDateTime;
};

export type FriendTimer = {
  friend: User;
  timer: Timer;
};

export type Notification = {
  /** Increases per receiver in commit order; the SSE `id:`. */
  id: number;
  receiverId: number;
  actorId: number | null;
  actorNickname: string | null;
  actorProfileImage: string | null;
  type: "FOLLOW" | "CREATE" | "ENTER" | "EXIT" | "CANCLE" | "TEST" | "TIME_UP" | "TIMER_FORGOTTEN";
  message: string;
  isRead: boolean;
  /** A meetup id (number) for meetup kinds, a timer id (UUID string) for TIMER ones, else null. */
  relatedId?: number | string | null;
  relatedType: "FOLLOW" | "POST" | "TEST" | "TIMER";
  redirectUrl: string;
  createdAt: ZonedDateTime;
};

export type UnreadCountEvent = {
  unreadCount: number;
};

export type NotificationIdsEvent = {
  ids: number[];
};

export type EvictedEvent = {
  /** The `retry:` the stream was given (3600000). */
  retryMs: number;
};

export type TimerCreatePayload = {
  allocated_duration: number;
  title?: string | null;
  description?: string | null;
  schedule_id?: Uuid | null;
  todo_id?: Uuid | null;
  tag_ids?: Uuid[];
  visibility?: Visibility;
};

export type TimerIdPayload = {
  timer_id: Uuid;
};

export type TimerSyncPayload = {
  timer_id?: Uuid | null;
  /** `active` (default) or `all` (the 200 newest). */
  scope?: "active" | "all";
};

export type TimerCreateCommand = {
  type: "timer.create";
  payload: TimerCreatePayload;
  request_id?: RequestId;
};

export type TimerPauseCommand = {
  type: "timer.pause";
  payload: TimerIdPayload;
  request_id?: RequestId;
};

export type TimerResumeCommand = {
  type: "timer.resume";
  payload: TimerIdPayload;
  request_id?: RequestId;
};

export type TimerStopCommand = {
  type: "timer.stop";
  payload: TimerIdPayload;
  request_id?: RequestId;
};

export type TimerCancelCommand = {
  type: "timer.cancel";
  payload: TimerIdPayload;
  request_id?: RequestId;
};

export type TimerSyncCommand = {
  type: "timer.sync";
  payload: TimerSyncPayload;
  request_id?: RequestId;
};

export type ConnectedPayload = {
  user_id: UserIdString;
  message: "Connected to timer WebSocket";
};

export type ConnectedMessage = {
  type: "connected";
  payload: ConnectedPayload;
  timestamp: UtcInstant;
};

export type TimerChangePayload = {
  timer: Timer;
  action: TimerAction;
};

export type TimerCreatedMessage = {
  type: "timer.created";
  payload: TimerChangePayload;
  from_user: UserIdString;
  timestamp: UtcInstant;
  request_id?: RequestId;
};

export type TimerUpdatedMessage = {
  type: "timer.updated";
  payload: TimerChangePayload;
  from_user: UserIdString;
  timestamp: UtcInstant;
  request_id?: RequestId;
};

export type TimerDeletedPayload = {
  timer_id: Uuid;
};

export type TimerDeletedMessage = {
  type: "timer.deleted";
  payload: TimerDeletedPayload;
  from_user: UserIdString;
  timestamp: UtcInstant;
};

export type TimerTimeUpPayload = {
  timer: Timer;
  due_at: ZonedDateTime;
  /** Went off more than 2 s after `due_at`. */
  late: boolean;
};

export type TimerTimeUpMessage = {
  type: "timer.time_up";
  payload: TimerTimeUpPayload;
  from_user: UserIdString;
  timestamp: UtcInstant;
};

export type TimerSyncResultPayload = {
  timers: Timer[];
  count: number;
};

export type TimerSyncResultMessage = {
  type: "timer.sync_result";
  payload: TimerSyncResultPayload;
  from_user: UserIdString;
  timestamp: UtcInstant;
  request_id?: RequestId;
};

export type TimerFriendsSnapshotPayload = {
  friends: FriendTimer[];
  count: number;
  /** Pass as `cursor` to `GET /api/v1/users/me/friends/active` for the rest. */
  next_cursor: string | null;
};

export type TimerFriendsSnapshotMessage = {
  type: "timer.friends_snapshot";
  payload: TimerFriendsSnapshotPayload;
  from_user: UserIdString;
  timestamp: UtcInstant;
};

export type TimerFriendActivityPayload = {
  friend_id: UserIdString;
  /** The friend's current nickname (`탈퇴한 사용자` after an account deletion). */
  display_name: string;
  action: FriendAction;
  timer_id: Uuid;
  timer_title: string | null;
};

export type TimerFriendActivityMessage = {
  type: "timer.friend_activity";
  payload: TimerFriendActivityPayload;
  from_user: UserIdString;
  timestamp: UtcInstant;
};

export type ErrorPayload = {
  code: WsErrorCode;
  message: string;
};

export type ErrorMessage = {
  type: "error";
  payload: ErrorPayload;
  timestamp: UtcInstant;
  request_id?: RequestId;
};

/** Every message a client may send on the timer WebSocket. */
export type ClientMessage =
  | TimerCreateCommand
  | TimerPauseCommand
  | TimerResumeCommand
  | TimerStopCommand
  | TimerCancelCommand
  | TimerSyncCommand;

/** Client messages by `type`. */
export interface ClientMessageMap {
  "timer.create": TimerCreateCommand;
  "timer.pause": TimerPauseCommand;
  "timer.resume": TimerResumeCommand;
  "timer.stop": TimerStopCommand;
  "timer.cancel": TimerCancelCommand;
  "timer.sync": TimerSyncCommand;
}

/** The `type`s of client messages. */
export const CLIENT_MESSAGE_TYPES = [
  "timer.create",
  "timer.pause",
  "timer.resume",
  "timer.stop",
  "timer.cancel",
  "timer.sync",
] as const;

/** Every message the server sends on the timer WebSocket. */
export type ServerMessage =
  | ConnectedMessage
  | TimerCreatedMessage
  | TimerUpdatedMessage
  | TimerDeletedMessage
  | TimerTimeUpMessage
  | TimerSyncResultMessage
  | TimerFriendsSnapshotMessage
  | TimerFriendActivityMessage
  | ErrorMessage;

/** Server messages by `type`. */
export interface ServerMessageMap {
  "connected": ConnectedMessage;
  "timer.created": TimerCreatedMessage;
  "timer.updated": TimerUpdatedMessage;
  "timer.deleted": TimerDeletedMessage;
  "timer.time_up": TimerTimeUpMessage;
  "timer.sync_result": TimerSyncResultMessage;
  "timer.friends_snapshot": TimerFriendsSnapshotMessage;
  "timer.friend_activity": TimerFriendActivityMessage;
  "error": ErrorMessage;
}

/** The `type`s of server messages. */
export const SERVER_MESSAGE_TYPES = [
  "connected",
  "timer.created",
  "timer.updated",
  "timer.deleted",
  "timer.time_up",
  "timer.sync_result",
  "timer.friends_snapshot",
  "timer.friend_activity",
  "error",
] as const;

/** The `code`s of the WebSocket `error` message. */
export const WS_ERROR_CODES = [
  "INVALID_MESSAGE",
  "UNKNOWN_TYPE",
  "TIMER_NOT_FOUND",
  "CREATE_FAILED",
  "PAUSE_FAILED",
  "RESUME_FAILED",
  "STOP_FAILED",
  "CANCEL_FAILED",
  "SYNC_FAILED",
  "RATE_LIMIT_EXCEEDED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_ERROR",
] as const;

/** The WebSocket close codes: what each means and what a client does. */
export const CLOSE_CODES = {
  1000: { meaning: "normal closure (answer to the client's close)", action: "reconnect if needed" },
  1001: { meaning: "server shutting down, or no answer to pings for WS_CLIENT_TIMEOUT_SECONDS", action: "reconnect with backoff" },
  1002: { meaning: "a WebSocket protocol error", action: "fix the client" },
  1006: { meaning: "the connection dropped without a close frame (network error; never sent by the server)", action: "reconnect with backoff" },
  1007: { meaning: "a text message that is not valid UTF-8", action: "fix the client" },
  1008: { meaning: "missing, invalid or expired token", action: "refresh the token, then reconnect" },
  1009: { meaning: "a message larger than 64 KiB", action: "fix the client" },
  1011: { meaning: "authentication could not be checked (key source or database unavailable)", action: "reconnect with backoff" },
  1013: { meaning: "the client stopped reading and its outbound queue filled", action: "reconnect, read faster" },
  4001: { meaning: "account deleted", action: "do not reconnect; sign in again" },
  4029: { meaning: "more than WS_CONNECT_MAX connections in WS_CONNECT_WINDOW for this user", action: "reconnect with backoff" },
} as const;

/** A documented WebSocket close code. */
export type CloseCode = keyof typeof CLOSE_CODES;

/** The notification stream's events by `event:` name, with their decoded `data`. */
export interface NotificationEventMap {
  "connect": "Connected";
  "notification": Notification;
  "unread-count": UnreadCountEvent;
  "notification-read": NotificationIdsEvent;
  "notification-deleted": NotificationIdsEvent;
  "heartbeat": UtcInstant;
  "account-deleted": EmptyObject;
  "evicted": EvictedEvent;
}

/** The notification stream's event names. */
export const NOTIFICATION_EVENTS = [
  "connect",
  "notification",
  "unread-count",
  "notification-read",
  "notification-deleted",
  "heartbeat",
  "account-deleted",
  "evicted",
] as const;

/** Events whose `data` is plain text (every other one is JSON). */
export const TEXT_EVENTS = [
  "connect",
  "heartbeat",
] as const;
