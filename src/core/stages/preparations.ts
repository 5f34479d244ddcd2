/**
 * Counts the module worktrees a run is preparing (created, dependencies merged), so that work which
 * nothing waits for can stand aside meanwhile. When a module passes QC its dependents become ready
 * at that very moment; removing its worktree then (deleting its files and holding the repository's
 * worktree queue) delayed their worktrees, on the critical path, for a removal only the stage's end
 * needs.
 */
import { perRun } from '../run/perRun';

interface Preparations {
  running: number;
  idle: Array<() => void>;
}

const of = perRun<Preparations>(() => ({ running: 0, idle: [] }));

/** Marks a preparation as started; call the returned function once it has ended, however it ended. */
export function preparationStarted(run: object): () => void {
  const p = of(run);
  p.running++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    p.running--;
    if (p.running === 0) for (const resolve of p.idle.splice(0)) resolve();
  };
}

/** Resolves once no worktree of the run is being prepared (at once when none is). */
export function noPreparationRunning(run: object): Promise<void> {
  const p = of(run);
  return p.running === 0 ? Promise.resolve() : new Promise((resolve) => p.idle.push(resolve));
}
