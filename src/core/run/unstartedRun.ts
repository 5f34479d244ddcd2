/**
 * A build run killed after its record was written and before its first stage began (while its
 * integration worktree was being made) has no integration worktree, or half of one: a registered
 * worktree whose checkout never finished would look like a tree with every file deleted. Nothing of the
 * run exists yet beyond its record, so on resume the worktree is simply made again, at the run's base
 * commit, as the start would have made it.
 */
import * as fs from 'node:fs';
import type { RunState } from '../contracts/schemas';
import { createWorktree, deleteEngineBranch, removeWorktree } from '../git';

/** No stage has begun: every stage pending and never attempted, no module, no gate. */
export function neverStarted(state: RunState): boolean {
  return state.stages.every((s) => s.status === 'pending' && s.attempts === 0) && state.modules.length === 0 && state.gates.length === 0;
}

/** Makes the integration worktree of a never-started build run again; `worktreePath` is the run's own (inside its directory). */
export async function remakeIntegrationWorktree(repoRoot: string, state: RunState, worktreePath: string): Promise<void> {
  fs.rmSync(worktreePath, { recursive: true, force: true });
  await removeWorktree(repoRoot, worktreePath); // the folder is gone: this prunes its entry
  await deleteEngineBranch(repoRoot, state.integrationBranch); // at the base commit, or never made
  await createWorktree(repoRoot, worktreePath, state.integrationBranch, state.baseCommit);
}
