/**
 * Engine worktrees: one per builder module plus the integration worktree (SPEC M6, M8).
 *
 * `createWorktree` is all-or-nothing from the caller's point of view. `git worktree add -b` is not:
 * git creates the branch before it checks the path, and a checkout that fails (a smudge filter, a
 * full disk) leaves both the branch and the registered worktree behind. So on failure everything
 * this call created (and only that) is removed again, and a retry starts from a clean slate.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { assertValidEngineBranch, branchExists } from './branches';
import { GitError } from './errors';
import { openRepo, resolveCommit } from './repo';
import { failure, git, runGit, serializedPerRepo } from './run';

export interface Worktree {
  path: string;
  /** Full ref name without `refs/heads/`, or null when detached. */
  branch: string | null;
  head: string | null;
  isMain: boolean;
  locked: boolean;
  prunable: boolean;
}

export interface CreatedWorktree {
  path: string;
  branch: string;
  head: string;
}

async function pathExists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/** The outermost directory that `mkdir -p p` would create, or null when `p` already exists. */
async function firstMissingAncestor(p: string): Promise<string | null> {
  let missing: string | null = null;
  for (let current = path.resolve(p); !(await pathExists(current)); current = path.dirname(current)) {
    missing = current;
    if (path.dirname(current) === current) break;
  }
  return missing;
}

/** Compares paths after resolving symlinks (e.g. a temp dir reached through /tmp → /private/tmp). */
async function samePath(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  const [ra, rb] = await Promise.all([fs.realpath(a).catch(() => a), fs.realpath(b).catch(() => b)]);
  return ra === rb;
}

async function findWorktree(repoRoot: string, worktreePath: string): Promise<Worktree | undefined> {
  for (const worktree of await listWorktrees(repoRoot)) {
    if (await samePath(worktree.path, worktreePath)) return worktree;
  }
  return undefined;
}

/** Removes what a failed `worktree add` left behind: the worktree entry, the directory we made, the branch. */
async function undoPartialWorktree(repoRoot: string, worktreePath: string, createdDir: string | null, branch: string): Promise<void> {
  if (createdDir !== null) {
    if (await findWorktree(repoRoot, worktreePath)) await runGit(repoRoot, ['worktree', 'remove', '--force', worktreePath]);
    await fs.rm(createdDir, { recursive: true, force: true });
  }
  await runGit(repoRoot, ['worktree', 'prune']);
  // The branch did not exist before this call (checked in the per-repo queue), so it is ours.
  if (await branchExists(repoRoot, branch)) await runGit(repoRoot, ['branch', '-D', branch]);
}

/**
 * `git worktree add -b newBranch path startPoint`, run from the repository root (it does not touch
 * the user's tree). `newBranch` must be an `orchestration/` branch that does not exist yet.
 */
export async function createWorktree(
  repoRoot: string,
  worktreePath: string,
  newBranch: string,
  startPoint: string,
  options: { background?: boolean } = {},
): Promise<CreatedWorktree> {
  await assertValidEngineBranch(newBranch);
  const { root } = await openRepo(repoRoot);
  const target = path.resolve(worktreePath);
  const start = await resolveCommit(root, startPoint);
  if (start === null) throw new GitError('unknown', `start point ${JSON.stringify(startPoint)} is not a commit`);
  await addWorktreeApart(root, target, {
    args: ['-b', newBranch, target, start],
    inQueue: async () => {
      if (await branchExists(root, newBranch)) throw new GitError('branchExists', `branch ${newBranch} already exists`);
      // Anything already at the target path is not ours: the cleanup below must never delete it.
      return firstMissingAncestor(target);
    },
    // The branch was made by this call (checked in the queue), so the clean-up may delete it.
    undo: (created) => undoPartialWorktree(root, target, created, newBranch),
    background: options.background,
  });
  const realPath = await fs.realpath(target);
  return { path: realPath, branch: newBranch, head: start };
}

/** How one kind of worktree is added (addWorktreeApart). */
export interface WorktreeAddition<T> {
  /** `git worktree add` arguments after `add --no-checkout`. */
  args: readonly string[];
  /** Checks and preparations in the repository's queue, right before the add; what it returns goes to `undo`. */
  inQueue: () => Promise<T>;
  /** Run in the queue after a failed add or a failed checkout: removes what this call made, and only that. */
  undo: (prepared: T, failed: 'add' | 'checkout') => Promise<void>;
  /** The checkout at a lower CPU priority (a worktree made ahead of need). */
  background?: boolean;
}

/**
 * Every engine worktree is added this way: registered in the per-repository queue (`worktree add
 * --no-checkout`: an admin folder, the branch; ~30 ms, and it must not run beside another add or a
 * prune, since git reads every admin folder and a half-made one fails it), then checked out outside
 * the queue (`reset --hard` in the new worktree: the slow part, a third of a second for the bench's
 * 250 files; with six builders ready at once the last one waited two seconds when it was queued too).
 * Either step failing is undone in the queue before the error is thrown. No hook runs (run.ts,
 * NO_HOOKS), so the post-checkout hook `worktree add` would run is not run apart either.
 */
export async function addWorktreeApart<T>(root: string, target: string, addition: WorktreeAddition<T>): Promise<void> {
  const prepared = await serializedPerRepo(root, async () => {
    const ready = await addition.inQueue();
    const args = ['worktree', 'add', '--no-checkout', ...addition.args];
    const run = await runGit(root, args);
    if (run.exitCode !== 0) {
      await addition.undo(ready, 'add');
      throw failure(args, run);
    }
    return ready;
  });
  // A checkout ahead of need runs at a lower priority; the registration above never does (it holds the queue).
  const args = ['reset', '--hard', '--quiet', '--no-recurse-submodules'];
  const checkout = await runGit(target, args, { background: addition.background });
  if (checkout.exitCode !== 0) {
    await serializedPerRepo(root, () => addition.undo(prepared, 'checkout'));
    throw failure(args, checkout);
  }
}

/**
 * Removes an engine worktree and prunes stale entries. Refuses the main worktree. Without
 * `force`, a worktree with uncommitted or untracked files is kept and 'dirtyTree' is thrown.
 * The branch is kept: it holds the module's commits.
 */
export async function removeWorktree(repoRoot: string, worktreePath: string, options: { force?: boolean } = {}): Promise<void> {
  const { root } = await openRepo(repoRoot);
  const target = path.resolve(worktreePath);
  await serializedPerRepo(root, async () => {
    const entry = await findWorktree(root, target);
    if (entry?.isMain) throw new GitError('notEngineWorktree', `${target} is the main worktree; it is never removed`);
    if (entry === undefined && (await pathExists(target))) {
      throw new GitError('unknown', `${target} exists but is not a worktree of ${root}; refusing to touch it`);
    }
    if (entry && (await pathExists(entry.path))) {
      const args = ['worktree', 'remove', ...(options.force ? ['--force'] : []), entry.path];
      const run = await runGit(root, args);
      if (run.exitCode !== 0) throw failure(args, run);
    }
    await git(root, ['worktree', 'prune']);
  });
}

/** Parses `git worktree list --porcelain -z`: records of NUL-terminated lines, separated by an empty one. */
export async function listWorktrees(repoRoot: string): Promise<Worktree[]> {
  const out = await git(repoRoot, ['worktree', 'list', '--porcelain', '-z']);
  const worktrees: Worktree[] = [];
  let current: Worktree | null = null;
  const flush = (): void => {
    if (current) worktrees.push(current);
    current = null;
  };
  for (const field of out.split('\0')) {
    if (field === '') {
      flush();
      continue;
    }
    const space = field.indexOf(' ');
    const key = space === -1 ? field : field.slice(0, space);
    const value = space === -1 ? '' : field.slice(space + 1);
    if (key === 'worktree') {
      flush();
      // git always lists the main worktree first.
      current = { path: value, branch: null, head: null, isMain: worktrees.length === 0, locked: false, prunable: false };
    } else if (current) {
      if (key === 'HEAD') current.head = value;
      else if (key === 'branch') current.branch = value.replace(/^refs\/heads\//, '');
      else if (key === 'locked') current.locked = true;
      else if (key === 'prunable') current.prunable = true;
    }
  }
  flush();
  return worktrees;
}
