/**
 * Coalesces refresh requests into at most one flush per interval (a throttle with a trailing flush),
 * so a tree fed by 200 parallel builders renders a few times a second instead of once per event.
 *
 * Why not a debounce: a debounce postpones its flush on every new request, and a run with many
 * modules sends events faster than any debounce interval, so the tree would not change at all until
 * the burst ended. Here the first request after a quiet period flushes on the next tick, and a flush
 * already scheduled is never postponed.
 *
 * No vscode here: the clock is injectable, so the rule is unit-tested with a fake one.
 */

export interface CoalescerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: CoalescerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Roughly one frame at 60 Hz, rounded up: refreshes stay smooth without flooding the renderer. */
export const DEFAULT_REFRESH_INTERVAL_MS = 50;

export class RefreshCoalescer {
  private timer: unknown;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private disposed = false;
  /** A flush the consumer has not picked up yet (only with `ackTimeoutMs`). */
  private unacknowledged: unknown;
  private requestedMeanwhile = false;

  /**
   * `ackTimeoutMs`: after a flush, hold further flushes until `acknowledge()` says the consumer took
   * it up, or this long without word. For consumers that queue every flush and work through the queue
   * slower than the interval (VS Code's tree views on a busy window): one flush waits instead of a
   * queue that grows for as long as the stream goes on.
   */
  constructor(
    /** Returns false when there was nothing to send (then no acknowledgement is awaited). */
    private readonly flush: () => unknown,
    private readonly intervalMs = DEFAULT_REFRESH_INTERVAL_MS,
    private readonly clock: CoalescerClock = realClock,
    private readonly ackTimeoutMs?: number,
  ) {}

  /** Asks for a flush: on the next tick after a quiet period, else when the interval since the last flush is over. */
  request(): void {
    if (this.disposed || this.timer !== undefined) return;
    if (this.unacknowledged !== undefined) {
      this.requestedMeanwhile = true;
      return;
    }
    const wait = Math.max(0, this.lastFlush + this.intervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.run(), wait);
  }

  /** The consumer took up the last flush: the next one may go (a request made meanwhile is scheduled now). */
  acknowledge(): void {
    if (this.unacknowledged === undefined) return;
    this.clock.clearTimeout(this.unacknowledged);
    this.unacknowledged = undefined;
    if (this.requestedMeanwhile) {
      this.requestedMeanwhile = false;
      this.request();
    }
  }

  get pending(): boolean {
    return this.timer !== undefined || this.requestedMeanwhile;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.unacknowledged !== undefined) this.clock.clearTimeout(this.unacknowledged);
    this.timer = undefined;
    this.unacknowledged = undefined;
    this.requestedMeanwhile = false;
  }

  private run(): void {
    this.timer = undefined;
    if (this.disposed) return;
    this.lastFlush = this.clock.now();
    const sent = this.flush();
    if (this.ackTimeoutMs !== undefined && sent !== false && !this.disposed) this.unacknowledged = this.clock.setTimeout(() => this.acknowledge(), this.ackTimeoutMs);
  }
}

/**
 * What a tree refresh must cover since the last one: the nodes changed in place, or everything when
 * nodes were added or removed (a full refresh shows the in-place changes too).
 */
export class PendingTreeChanges<T> {
  private nodes = new Set<T>();
  private whole = false;

  addNodes(nodes: readonly T[]): void {
    if (!this.whole) for (const n of nodes) this.nodes.add(n);
  }

  addStructure(): void {
    this.whole = true;
    this.nodes.clear();
  }

  /** `undefined` = refresh the whole tree; an empty list = nothing to do. Resets. */
  take(): T[] | undefined {
    const whole = this.whole;
    const nodes = [...this.nodes];
    this.whole = false;
    this.nodes.clear();
    return whole ? undefined : nodes;
  }
}
