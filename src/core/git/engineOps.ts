/**
 * Small git operations the stages need on top of the building blocks: reading HEAD, listing tracked
 * files, re-attaching a worktree to an existing branch on resume, and undoing what an agent's shell
 * did where it must not (contracts, or anything at all for a read-only QC agent).
 */
import * as path from 'node:path';
import { assertEngineWorktree, resolveCommit } from './repo';
import { addWorktreeApart } from './worktrees';
import { git, splitNul } from './run';
import { changesSince, resetHard } from './commits';
import { GitError } from './errors';
import { assertValidEngineBranch } from './branches';

export async function headCommit(worktree: string): Promise<string> {
  return (await git(worktree, ['rev-parse', 'HEAD'])).trim();
}

/** HEAD's commit with its author's name and subject line, in one git process. */
export async function headCommitInfo(worktree: string): Promise<{ commit: string; author: string; subject: string }> {
  const [commit = '', author = '', subject = ''] = (await git(worktree, ['log', '-1', '--format=%H%x00%an%x00%s', 'HEAD'])).trim().split('\0');
  return { commit, author, subject };
}

export async function listTrackedFiles(worktree: string): Promise<string[]> {
  return splitNul(await git(worktree, ['ls-files', '-z']));
}

/** The repository's shared .git folder (the same for the main worktree and every linked one). */
export async function gitCommonDir(repoRoot: string): Promise<string> {
  const dir = (await git(repoRoot, ['rev-parse', '--git-common-dir'])).trim();
  return path.resolve(repoRoot, dir);
}

/**
 * Checks out an existing engine branch into a new worktree (a module's branch made before its
 * worktree, or resumed after its worktree was removed). As in createWorktree, the worktree is
 * registered in the repository's queue and checked out outside it, where git allows.
 */
export async function addWorktreeForBranch(repoRoot: string, worktreePath: string, branch: string): Promise<void> {
  await assertValidEngineBranch(branch);
  const tip = await resolveCommit(repoRoot, `refs/heads/${branch}`);
  if (tip === null) throw new GitError('unknown', `branch ${branch} does not exist`);
  await addWorktreeApart(repoRoot, worktreePath, {
    args: ['--quiet', worktreePath, branch],
    inQueue: async () => {
      await git(repoRoot, ['worktree', 'prune']);
    },
    // The branch holds the module's commits and stays; only a worktree this call made goes (a failed
    // add made none, and whatever is at the path then is not this call's).
    undo: async (_, failed) => {
      if (failed === 'checkout') await git(repoRoot, ['worktree', 'remove', '--force', worktreePath]).catch(() => '');
    },
  });
}

/**
 * Puts `paths` back as they are at HEAD (tracked changes reverted, untracked files removed) and
 * returns what had been changed there.
 */
export async function restorePaths(worktree: string, paths: readonly string[]): Promise<string[]> {
  const root = await assertEngineWorktree(worktree);
  const status = splitNul(await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths]));
  const touched = status.filter((l) => l.length > 3).map((l) => l.slice(3));
  if (touched.length === 0) return [];
  await git(root, ['checkout', 'HEAD', '--', ...paths]).catch(() => '');
  await git(root, ['clean', '-fdq', '--', ...paths]);
  return touched;
}

/** Returns the worktree to `commit` exactly (dropping commits and files made since) and lists what changed. */
export async function discardUncommitted(worktree: string, commit: string): Promise<string[]> {
  const { head, paths } = await changesSince(worktree, commit);
  if (paths.length > 0 || head !== commit) await resetHard(worktree, commit);
  return paths;
}
