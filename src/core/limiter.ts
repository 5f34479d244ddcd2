/**
 * Wave limits: at most N agents of each model tier run at once, counted across the whole run (every
 * stage and module), as the seeds' "opus 4, sonnet 8, haiku 12" rule says. Waiters are served by
 * priority, then in arrival order; a cancelled waiter leaves the queue without taking a slot. The
 * build gives a module's agents the priority of its place in the DAG (see stages/priority.ts): with
 * more agents waiting than slots, the work that others wait for goes first.
 */
import type { ModelTier } from './contracts/schemas';

class Semaphore {
  private active = 0;
  private readonly queue: Array<{ grant: () => void; reject: (e: unknown) => void; priority: number; signal?: AbortSignal; onAbort?: () => void }> = [];
  peak = 0;

  constructor(readonly limit: number) {}

  get running(): number {
    return this.active;
  }

  acquire(signal?: AbortSignal, priority = 0): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const grant = () => {
        this.active++;
        this.peak = Math.max(this.peak, this.active);
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.next();
        });
      };
      if (this.active < this.limit) return grant();
      const waiter: (typeof this.queue)[number] = { grant, reject, priority, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      // After every waiter of the same or a higher priority: arrival order within a priority.
      const at = this.queue.findIndex((w) => w.priority < priority);
      this.queue.splice(at < 0 ? this.queue.length : at, 0, waiter);
    });
  }

  private next(): void {
    while (this.active < this.limit && this.queue.length > 0) {
      const w = this.queue.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.grant();
    }
  }
}

/** A slot taken for several agents in a row (a module's builder, then its QC): they run in it without taking another. */
export interface HeldSlot {
  tier: ModelTier;
  release: () => void;
}

export class TierLimiter {
  private readonly sems: Record<ModelTier, Semaphore>;

  constructor(limits: Record<ModelTier, number>) {
    this.sems = { opus: new Semaphore(limits.opus), sonnet: new Semaphore(limits.sonnet), haiku: new Semaphore(limits.haiku) };
  }

  /** A slot of `tier`; waiters with a higher `priority` are served first (default 0). */
  acquire(tier: ModelTier, signal?: AbortSignal, priority = 0): Promise<() => void> {
    return this.sems[tier].acquire(signal, priority);
  }

  /** A slot of `tier` for several agents in a row; the holder releases it. */
  async hold(tier: ModelTier, signal?: AbortSignal, priority = 0): Promise<HeldSlot> {
    return { tier, release: await this.acquire(tier, signal, priority) };
  }

  async run<T>(tier: ModelTier, signal: AbortSignal | undefined, work: () => Promise<T>, priority = 0): Promise<T> {
    const release = await this.acquire(tier, signal, priority);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Highest number of agents of each tier that ever ran at once (for tests and benchmarks). */
  peaks(): Record<ModelTier, number> {
    return { opus: this.sems.opus.peak, sonnet: this.sems.sonnet.peak, haiku: this.sems.haiku.peak };
  }

  running(): Record<ModelTier, number> {
    return { opus: this.sems.opus.running, sonnet: this.sems.sonnet.running, haiku: this.sems.haiku.running };
  }
}
