/**
 * One writer at a time in the integration worktree. With assembly streaming into the build, the
 * assembler merges and tests there while the build stage may apply a resolved contract conflict
 * (which commits the new contracts there). Each holds the lock for its whole step, so neither sees
 * the other's half-done merge or commit. Keyed by worktree path: runs never share one.
 */
const tails = new Map<string, Promise<unknown>>();

export async function withIntegrationTree<T>(worktree: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(worktree) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  tails.set(worktree, tail);
  try {
    return await run;
  } finally {
    if (tails.get(worktree) === tail) tails.delete(worktree);
  }
}
