import type { components } from './generated/openapi.js';
import type { WsErrorCode } from './generated/protocol.js';

/** The `code` of a REST error envelope (from docs/openapi.json). */
export type ApiErrorCode = components['schemas']['ErrorBody']['code'];
/** `HTTP_ERROR`: an answer without the envelope (e.g. a proxy's error page). */
export type RestErrorCode = ApiErrorCode | 'HTTP_ERROR';

/** A non-2xx REST answer: the `{code, message}` envelope, its status and `Retry-After`. */
export class HourglassApiError extends Error {
  override readonly name = 'HourglassApiError';

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The envelope's stable code, e.g. `TIMER_NOT_FOUND` or `RATE_LIMITED`. */
    readonly code: RestErrorCode,
    message: string,
    /** Seconds to wait, from `Retry-After` (on 429 and some 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Reads the envelope of `response` (which is not ok). */
  static async from(response: Response): Promise<HourglassApiError> {
    const retry = Number(response.headers.get('retry-after'));
    const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
    let code: RestErrorCode = 'HTTP_ERROR';
    let message = `${response.status} ${response.statusText}`;
    try {
      const body: unknown = await response.clone().json();
      if (body && typeof body === 'object' && 'code' in body && typeof body.code === 'string') {
        code = body.code as ApiErrorCode;
        if ('message' in body && typeof body.message === 'string') message = body.message;
      }
    } catch {
      // Not JSON (a proxy's page): keep the status line.
    }
    return new HourglassApiError(response.status, code, message, retryAfter);
  }
}

/** The server refused a WebSocket command: the `error` message that answered it. */
export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    /** The code, e.g. `TIMER_NOT_FOUND` or `PAUSE_FAILED`. */
    readonly code: WsErrorCode,
    message: string,
    /** The command's `request_id`. */
    readonly requestId: string,
  ) {
    super(message);
  }
}

/** Why a socket stopped for good. */
export type StopReason = 'closed' | 'unauthorized' | 'account-deleted' | 'evicted';

/** A command that can no longer be answered: the socket stopped for good, or it timed out. */
export class SocketClosedError extends Error {
  override readonly name = 'SocketClosedError';

  constructor(
    /** Why (`timeout` when no reply came in time). */
    readonly reason: StopReason | 'timeout',
    message: string,
  ) {
    super(message);
  }
}
