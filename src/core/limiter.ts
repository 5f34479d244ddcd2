/**
 * Wave limits: at most N agents of each model tier run at once, counted across the whole run (every
 * stage and module), as the seeds' "opus 4, sonnet 8, haiku 12" rule says. Waiters are served in
 * arrival order; a cancelled waiter leaves the queue without taking a slot.
 */
import type { ModelTier } from './contracts/schemas';

class Semaphore {
  private active = 0;
  private readonly queue: Array<{ grant: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }> = [];
  peak = 0;

  constructor(readonly limit: number) {}

  get running(): number {
    return this.active;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
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
      const waiter: (typeof this.queue)[number] = { grant, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
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

export class TierLimiter {
  private readonly sems: Record<ModelTier, Semaphore>;

  constructor(limits: Record<ModelTier, number>) {
    this.sems = { opus: new Semaphore(limits.opus), sonnet: new Semaphore(limits.sonnet), haiku: new Semaphore(limits.haiku) };
  }

  acquire(tier: ModelTier, signal?: AbortSignal): Promise<() => void> {
    return this.sems[tier].acquire(signal);
  }

  async run<T>(tier: ModelTier, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(tier, signal);
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
