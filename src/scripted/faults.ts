/**
 * Decides, per request and in arrival order, whether the scripted model misbehaves. A fixed schedule
 * makes a test exact ("the second request gets a 529"); rates with a seed make soak runs and
 * benchmarks reproducible without hand-writing hundreds of entries.
 */
import type { FaultKind, InjectedFault } from './types';

const RATE_ORDER: readonly InjectedFault[] = ['429', '500', '529', 'cut'];

/** mulberry32: tiny, fast, and the same sequence on every platform for a given seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultPlanner {
  private readonly schedule: FaultKind[];
  private readonly random: () => number;

  constructor(
    schedule: readonly FaultKind[] = [],
    private readonly rates: Partial<Record<InjectedFault, number>> = {},
    seed = 1,
  ) {
    this.schedule = [...schedule];
    this.random = seededRandom(seed);
    const total = RATE_ORDER.reduce((sum, kind) => sum + (rates[kind] ?? 0), 0);
    if (total > 1) throw new RangeError(`fault rates add up to ${total}; at most 1 is possible`);
  }

  /** The fault for the next request; call exactly once per request. */
  next(): FaultKind {
    const scheduled = this.schedule.shift();
    if (scheduled !== undefined) return scheduled;
    // One draw per request whatever the rates are, so adding a rate does not shift later draws' meaning.
    const draw = this.random();
    let edge = 0;
    for (const kind of RATE_ORDER) {
      edge += this.rates[kind] ?? 0;
      if (draw < edge) return kind;
    }
    return 'ok';
  }
}
