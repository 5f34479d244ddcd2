/**
 * How the build stage hands modules to assembly while it is still running (issue 10, "stream
 * assembly into the build"). A module is handed over by passing QC: its status in the run state
 * becomes `passed`, and the `module-status` event wakes the assembler, which merges the next module
 * of `assembly_order` once that one has passed. The state is the queue, so a resumed run needs no
 * queue of its own: what passed and what was merged is on disk. The build stage's end is the other
 * thing the assembler waits for: after it, a module that has not passed will not pass in this round.
 */
import type { Disposable } from '../events';
import type { RunStore } from '../run/store';

export class AssemblyQueue implements Disposable {
  private buildRunning = true;
  private waiters: Array<() => void> = [];
  private readonly subscription: Disposable;

  constructor(store: RunStore) {
    this.subscription = store.onEvent((e) => {
      if (e.type === 'module-status') this.wake();
    });
  }

  /** Whether modules may still pass QC (the build stage has not ended). */
  get building(): boolean {
    return this.buildRunning;
  }

  /** The build stage ended (done or halted): wake the assembler so it stops waiting. */
  buildEnded(): void {
    this.buildRunning = false;
    this.wake();
  }

  /** Resolves at the next module status change, or at once when the build has ended, or on abort. */
  changed(signal: AbortSignal): Promise<void> {
    if (!this.buildRunning || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
