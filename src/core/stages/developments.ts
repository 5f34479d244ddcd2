/**
 * Which development of a module a caller gets. Assembly streams from the build, so both may want a
 * module at once: the build (a conflict round) while assembly has it in a fix cycle joins that
 * work. A caller with findings (assembly sending a module back after a red merge, a re-check
 * against a changed contract) needs a builder of its own, though: joining a development that has
 * already ended, whose worktree is still being released (a release waits for the dependents'
 * preparations), handed back that development's "passed" and dropped the findings, so the builder
 * never saw the failure and the same code was merged and failed again.
 */
import type { ModuleStatus } from '../contracts/schemas';

/** A module's outcome, and the removal of its worktree, which may still be running. */
export interface Developed {
  status: ModuleStatus;
  released: Promise<void>;
}

export class Developments {
  private readonly running = new Map<string, Promise<Developed>>();

  /** Whether a development of `module` runs (or has ended and its worktree is still being released). */
  has(module: string): boolean {
    return this.running.has(module);
  }

  /** Settles once no development of `module` runs and its worktree is released (at once when none does). */
  async idle(module: string): Promise<void> {
    for (let running = this.running.get(module); running; running = this.running.get(module)) {
      await running.then((d) => d.released).catch(() => undefined);
      if (this.running.get(module) === running) this.running.delete(module);
    }
  }

  /**
   * The development of `module`: a running one is joined, unless this caller brings findings; then,
   * and when none runs, `start` begins one. A module is free for a new development once its
   * worktree is released, not before.
   */
  develop(module: string, withFindings: boolean, start: () => Promise<Developed>): Promise<Developed> {
    const existing = this.running.get(module);
    if (existing) {
      if (!withFindings) return existing;
      return this.idle(module).then(() => this.develop(module, true, start));
    }
    const work = start();
    this.running.set(module, work);
    void work
      .then((d) => d.released)
      .catch(() => undefined)
      .finally(() => {
        if (this.running.get(module) === work) this.running.delete(module);
      });
    return work;
  }
}
