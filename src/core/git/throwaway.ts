/**
 * Throwaway trees for read-only agents (audit workers, SPEC M15): a detached worktree of one commit
 * under the run directory. No branch is created and nothing in the user's checkout is touched, so
 * whatever an agent's shell does inside it (build outputs, edits, `git commit` on the detached HEAD)
 * vanishes with the tree: it is removed with --force afterwards and nothing points at its commits.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { GitError } from './errors';
import { openRepo, resolveCommit } from './repo';
import { failure, git, runGit, serializedPerRepo } from './run';
import { addWorktreeApart, listWorktrees } from './worktrees';

export async function createThrowawayTree(repoRoot: string, treePath: string, commit: string): Promise<string> {
  const { root } = await openRepo(repoRoot);
  const target = path.resolve(treePath);
  const start = await resolveCommit(root, commit);
  if (start === null) throw new GitError('unknown', `${JSON.stringify(commit)} is not a commit`);
  const cleanUp = async (): Promise<void> => {
    await fs.rm(target, { recursive: true, force: true });
    await runGit(root, ['worktree', 'prune']);
  };
  await addWorktreeApart(root, target, {
    args: ['--detach', target, start],
    inQueue: async () => {
      const exists = await fs.lstat(target).then(() => true, () => false);
      if (exists) throw new GitError('worktreeExists', `${target} already exists; refusing to reuse it as a throwaway tree`);
      await fs.mkdir(path.dirname(target), { recursive: true });
    },
    // The target did not exist before (checked in the queue), so everything there is this call's.
    undo: cleanUp,
  });
  return fs.realpath(target);
}

/**
 * Removes a throwaway tree, whatever its shell left in it. Refuses anything that is not a detached
 * linked worktree of this repository: a branch checkout might hold someone's work.
 */
export async function removeThrowawayTree(repoRoot: string, treePath: string): Promise<void> {
  const { root } = await openRepo(repoRoot);
  const target = await fs.realpath(treePath).catch(() => path.resolve(treePath));
  await serializedPerRepo(root, async () => {
    const entry = (await listWorktrees(root)).find((w) => w.path === target);
    if (entry === undefined) {
      await git(root, ['worktree', 'prune']);
      return;
    }
    if (entry.isMain || entry.branch !== null) {
      throw new GitError('notEngineWorktree', `${target} is not a detached throwaway tree; refusing to remove it`);
    }
    const args = ['worktree', 'remove', '--force', '--force', target];
    const run = await runGit(root, args);
    if (run.exitCode !== 0) throw failure(args, run);
    await git(root, ['worktree', 'prune']);
  });
}
