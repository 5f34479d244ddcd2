/**
 * The one place the engine changes the user's branch (SPEC M10, X5): after the ship gate is approved,
 * the integration branch is merged into the branch the run started from. Narrow on purpose:
 * - `--no-ff`, never forced, never rewriting history: the merge is made in an engine worktree on top
 *   of the base's current head, then the base moves to it by a fast-forward only (the old head stays
 *   an ancestor; a compare-and-swap refuses if the base moved meanwhile);
 * - if the base branch is checked out somewhere (the user's tree), that tree must be clean (no
 *   modified, staged or untracked-but-not-ignored file); otherwise nothing at all is done and the
 *   files are named; a clean tree is brought along with `merge --ff-only`, nothing else;
 * - if the base moved since the run started, the merge goes ahead only when it is conflict-free and
 *   the caller's tests pass on the merge result.
 */
import { promises as fs } from 'node:fs';
import { assertValidEngineBranch, branchExists, deleteEngineBranch, isEngineBranch } from './branches';
import { GitError } from './errors';
import { abortMerge, mergeNoFf } from './merge';
import { openRepo, resolveCommit } from './repo';
import { git, runGit, splitNul } from './run';
import { createWorktree, listWorktrees, removeWorktree } from './worktrees';

export interface ShipMergeInput {
  repoRoot: string;
  baseBranch: string;
  integrationBranch: string;
  /** The base's head when the run started: if it moved, the merge result is tested first. */
  baseCommitAtStart: string;
  /** Engine worktree and branch for the trial merge (under the run directory, `orchestration/`). */
  stagingWorktree: string;
  stagingBranch: string;
  message: string;
  testMergeResult(worktree: string): Promise<{ ok: boolean; output: string }>;
}

export type ShipMergeOutcome =
  | { status: 'merged'; commit: string; previousHead: string; baseMoved: boolean; tree?: string }
  | { status: 'alreadyMerged'; commit: string }
  | { status: 'dirtyTree'; tree: string; files: string[] }
  | { status: 'conflict'; files: string[] }
  | { status: 'testsFailed'; output: string }
  | { status: 'baseMoved' };

async function isAncestor(root: string, a: string, b: string): Promise<boolean> {
  return (await runGit(root, ['merge-base', '--is-ancestor', a, b])).exitCode === 0;
}

/** Modified, staged and untracked-not-ignored paths of a worktree, read without taking git's index lock. */
export async function dirtyFiles(tree: string): Promise<string[]> {
  const out = await git(tree, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const fields = splitNul(out);
  const files: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i]!;
    files.push(entry.slice(3));
    if (/[RC]/.test(entry.slice(0, 2))) i++;
  }
  return files;
}

export async function mergeIntoBase(input: ShipMergeInput): Promise<ShipMergeOutcome> {
  const { root } = await openRepo(input.repoRoot);
  await assertValidEngineBranch(input.integrationBranch);
  await assertValidEngineBranch(input.stagingBranch);
  if (isEngineBranch(input.baseBranch)) throw new GitError('invalidName', `refusing to ship into an engine branch (${input.baseBranch})`);
  if ((await runGit(root, ['check-ref-format', '--branch', input.baseBranch])).exitCode !== 0) {
    throw new GitError('invalidName', `${JSON.stringify(input.baseBranch)} is not a branch name`);
  }
  const baseRef = `refs/heads/${input.baseBranch}`;
  const baseHead = await resolveCommit(root, baseRef);
  if (baseHead === null) throw new GitError('unknown', `the base branch ${input.baseBranch} no longer exists`);
  const integrationHead = await resolveCommit(root, `refs/heads/${input.integrationBranch}`);
  if (integrationHead === null) throw new GitError('unknown', `branch ${input.integrationBranch} does not exist`);
  // Resumed after the base already took the merge: nothing is merged twice.
  if (await isAncestor(root, integrationHead, baseHead)) return { status: 'alreadyMerged', commit: baseHead };

  const checkedOut = (await listWorktrees(root)).find((w) => w.branch === input.baseBranch);
  if (checkedOut) {
    const files = await dirtyFiles(checkedOut.path);
    if (files.length) return { status: 'dirtyTree', tree: checkedOut.path, files };
  }

  await discardStaging(root, input);
  await createWorktree(root, input.stagingWorktree, input.stagingBranch, baseHead);
  try {
    const merged = await mergeNoFf(input.stagingWorktree, input.integrationBranch, input.message);
    if (merged.status === 'conflict') {
      await abortMerge(input.stagingWorktree);
      return { status: 'conflict', files: merged.files.map((f) => f.path) };
    }
    const baseMoved = baseHead !== input.baseCommitAtStart;
    if (baseMoved) {
      const tests = await input.testMergeResult(input.stagingWorktree);
      if (!tests.ok) return { status: 'testsFailed', output: tests.output };
    }
    const commit = merged.commit;
    if (checkedOut) {
      // Checked again right before: the user may have started editing while the tests ran.
      const files = await dirtyFiles(checkedOut.path);
      if (files.length) return { status: 'dirtyTree', tree: checkedOut.path, files };
      // The user's checkout, the user's hooks (post-merge, say), as for any fast-forward they make.
      const ff = await runGit(checkedOut.path, ['merge', '--ff-only', '--quiet', commit], { userHooks: true });
      if (ff.exitCode !== 0) return { status: 'baseMoved' };
      return { status: 'merged', commit, previousHead: baseHead, baseMoved, tree: checkedOut.path };
    }
    // Not checked out anywhere: move the ref, but only from the head the merge was made on.
    const cas = await runGit(root, ['update-ref', '-m', `build-pipeline: ship ${input.integrationBranch}`, baseRef, commit, baseHead]);
    if (cas.exitCode !== 0) return { status: 'baseMoved' };
    return { status: 'merged', commit, previousHead: baseHead, baseMoved };
  } finally {
    await discardStaging(root, input);
  }
}

async function discardStaging(root: string, input: ShipMergeInput): Promise<void> {
  const exists = await fs.lstat(input.stagingWorktree).then(() => true, () => false);
  if (exists || (await listWorktrees(root)).some((w) => w.branch === input.stagingBranch)) {
    await removeWorktree(root, input.stagingWorktree, { force: true }).catch(() => undefined);
  }
  if (await branchExists(root, input.stagingBranch)) await deleteEngineBranch(root, input.stagingBranch);
}
