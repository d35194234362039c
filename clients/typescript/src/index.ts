/**
 * `@hourglass/client`: the typed client of Hourglass.
 *
 * - [`HourglassClient`]: REST, typed from docs/openapi.json (errors as [`HourglassApiError`],
 *   `X-Next-Cursor` lists as async iterators).
 * - [`TimerSocket`]: the timer WebSocket; [`NotificationStream`]: the notification stream.
 *   Their message types are generated from docs/asyncapi.yaml.
 */
export { HourglassClient, tokenOf } from './rest.js';
export type { ClientOptions, GetParams, ListItem, ListPath, TokenSource } from './rest.js';
export { TimerSocket, PROTOCOL_VERSION } from './socket.js';
export type {
  CommandOptions,
  CommandReplies,
  Frame,
  FriendTimerView,
  SocketState,
  TimerSocketEvents,
  TimerSocketOptions,
  WebSocketConstructor,
  WebSocketLike,
} from './socket.js';
export { NotificationStream } from './notifications.js';
export type {
  EventSourceConstructor,
  EventSourceLike,
  NotificationStreamEvents,
  NotificationStreamOptions,
  StreamState,
} from './notifications.js';
export { CommandError, HourglassApiError, SocketClosedError } from './errors.js';
export type { ApiErrorCode, RestErrorCode, StopReason } from './errors.js';
export { Backoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { Emitter } from './emitter.js';
export type { Listener } from './emitter.js';
export { isTimeZone, localTimeZone } from './timezone.js';
export type { IanaArea, IanaTimeZone, TimeZone, UtcOffset } from './timezone.js';
export * from './generated/protocol.js';
export type { components, paths, operations } from './generated/openapi.js';
