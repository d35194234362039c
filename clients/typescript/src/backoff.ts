/** How a client waits between reconnection attempts. */
export interface BackoffOptions {
  /** The first delay, in ms (default 1000). */
  initialDelayMs?: number;
  /** The cap, in ms (default 30000). */
  maxDelayMs?: number;
  /**
   * The share of each delay that is random (0–1, default 0.5): a delay of `d` becomes a value in
   * `[d × (1 − jitter), d]`, so the clients a server restart dropped do not all come back at once.
   */
  jitter?: number;
  /** The random source (tests pass a fixed one). */
  random?: () => number;
}

/** Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 30 s (docs/websocket.md). */
export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initial = options.initialDelayMs ?? 1000;
    this.max = options.maxDelayMs ?? 30_000;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call doubles the base, up to the cap. */
  next(): number {
    const base = Math.min(this.max, this.initial * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(base * (1 - this.jitter * this.random()));
  }

  /** Back to the first delay (after a connection that worked). */
  reset(): void {
    this.attempt = 0;
  }

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}
