/**
 * The one place the engine changes the user's branch (SPEC M10, X5): after the ship gate is approved,
 * the integration branch is merged into the branch the run started from. Narrow on purpose:
 * - `--no-ff`, never forced, never rewriting history: the merge is made in an engine worktree on top
 *   of the base's current head, then the base moves to it by a fast-forward only (the old head stays
 *   an ancestor; a compare-and-swap refuses if the base moved meanwhile);
 * - if the base branch is checked out somewhere (the user's tree), that tree must be clean (no
 *   modified, staged or untracked-but-not-ignored file, and no ignored file the merge would
 *   overwrite); otherwise nothing at all is done and the files are named; a clean tree is brought
 *   along with `merge --ff-only --no-overwrite-ignore`, nothing else;
 * - if the base moved since the run started, the merge goes ahead only when it is conflict-free and
 *   the caller's tests pass on the merge result.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { assertValidEngineBranch, branchExists, deleteEngineBranch, isEngineBranch } from './branches';
import { GitError } from './errors';
import { abortMerge, mergeNoFf } from './merge';
import { openRepo, resolveCommit } from './repo';
import { git, runGit, splitNul } from './run';
import { createWorktree, listWorktrees, removeWorktree, type Worktree } from './worktrees';

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
  /** The integration commit the gate showed (its checks ran on it): nothing else is merged. */
  expectedHead?: string;
  /**
   * The run's stop: looked at once more right before the base branch moves. The trial merge before it
   * (a worktree of the whole tree, the merge, maybe the tests) takes seconds, and a Stop pressed then
   * must leave the user's branch as it was.
   */
  signal?: AbortSignal;
}

export type ShipMergeOutcome =
  | {
      status: 'merged';
      commit: string;
      previousHead: string;
      baseMoved: boolean;
      tree?: string;
      /** Why the user's hooks did not run for the fast-forward (it changed the hooks themselves). */
      hooksSkipped?: string;
    }
  | { status: 'alreadyMerged'; commit: string }
  | { status: 'dirtyTree'; tree: string; files: string[] }
  | { status: 'conflict'; files: string[] }
  | { status: 'testsFailed'; output: string }
  | { status: 'baseMoved' }
  /** The run was stopped before the base branch moved: nothing was merged. */
  | { status: 'stopped' }
  /** Nothing changed for another reason the user can clear (a rebase of the base under way, git's own refusal). */
  | { status: 'notDelivered'; reason: string };

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
  if (input.expectedHead && input.expectedHead !== integrationHead) {
    return { status: 'notDelivered', reason: `${input.integrationBranch} moved after its ship checks (${input.expectedHead.slice(0, 12)}, now ${integrationHead.slice(0, 12)}); the checks run again at the next approval` };
  }

  const checkedOut = (await listWorktrees(root)).find((w) => w.branch === input.baseBranch && !w.prunable);
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
    // The branch is merged by name: what came in must be the commit resolved (and checked) above.
    if ((await resolveCommit(input.stagingWorktree, `${merged.commit}^2`)) !== integrationHead) {
      return { status: 'notDelivered', reason: `${input.integrationBranch} moved while the merge was being made; the checks run again at the next approval` };
    }
    const baseMoved = baseHead !== input.baseCommitAtStart;
    if (baseMoved) {
      const tests = await input.testMergeResult(input.stagingWorktree);
      if (!tests.ok) return { status: 'testsFailed', output: tests.output };
    }
    if (input.signal?.aborted) return { status: 'stopped' };
    return await deliver(root, input, { baseRef, baseHead, commit: merged.commit, baseMoved });
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

interface Delivery {
  baseRef: string;
  /** The base's head the merge was made on. */
  baseHead: string;
  commit: string;
  baseMoved: boolean;
}

/**
 * Moves the base to the merge commit. Where the base is checked out is looked up again here, right
 * before: while the merge was prepared and tested the user may have checked it out, switched away from
 * it or started a rebase of it. Checked out, it is fast-forwarded in that tree (the user's hooks run,
 * as for any fast-forward they make), and only while that tree is clean, on the base, at the head the
 * merge was made on; the fast-forward never overwrites an ignored file either (git's default would:
 * the integration branch may track a path the user's checkout ignores, an `.env` say). Not checked
 * out, the ref moves by compare-and-swap from that head, unless a rebase of the base is under way.
 */
async function deliver(root: string, input: ShipMergeInput, d: Delivery): Promise<ShipMergeOutcome> {
  const worktrees = await listWorktrees(root);
  const checkedOut = worktrees.find((w) => w.branch === input.baseBranch && !w.prunable);
  if (!checkedOut) {
    const rebasing = await rebaseOf(worktrees, d.baseRef);
    if (rebasing) return { status: 'notDelivered', reason: `a rebase of ${input.baseBranch} is under way in ${rebasing}; finish or abort it` };
    const cas = await runGit(root, ['update-ref', '-m', `build-pipeline: ship ${input.integrationBranch}`, d.baseRef, d.commit, d.baseHead]);
    if (cas.exitCode !== 0) return { status: 'baseMoved' };
    return { status: 'merged', commit: d.commit, previousHead: d.baseHead, baseMoved: d.baseMoved };
  }
  const files = await dirtyFiles(checkedOut.path);
  if (files.length) return { status: 'dirtyTree', tree: checkedOut.path, files };
  const [symbolic, head] = await Promise.all([runGit(checkedOut.path, ['symbolic-ref', '-q', 'HEAD']), resolveCommit(checkedOut.path, 'HEAD')]);
  if (symbolic.stdout.trim() !== d.baseRef || head !== d.baseHead) return { status: 'baseMoved' };
  const hooksChanged = await hooksChangedBy(checkedOut.path, d.baseHead, d.commit);
  const ff = await runGit(checkedOut.path, ['merge', '--ff-only', '--no-overwrite-ignore', '--quiet', d.commit], { userHooks: !hooksChanged });
  if (ff.exitCode === 0) {
    const hooksSkipped = hooksChanged ? `the merge changes the repository's own hooks (${hooksChanged}), so they did not run for it: code the agents wrote is not run outside the sandbox unreviewed` : undefined;
    return { status: 'merged', commit: d.commit, previousHead: d.baseHead, baseMoved: d.baseMoved, tree: checkedOut.path, ...(hooksSkipped ? { hooksSkipped } : {}) };
  }
  const inTheWay = overwrittenFiles(ff.stderr);
  if (inTheWay.length) return { status: 'dirtyTree', tree: checkedOut.path, files: inTheWay };
  const putBack = await putBackCheckout(checkedOut.path, d.baseHead);
  if ((await resolveCommit(root, d.baseRef)) !== d.baseHead) return { status: 'baseMoved' };
  return { status: 'notDelivered', reason: `git refused the fast-forward in ${checkedOut.path}: ${ff.stderr.trim().split('\n')[0] || `exit ${ff.exitCode}`}${putBack ? '; the files it had already written were put back as they were' : ''}` };
}

/**
 * Files hook managers run commands from, wherever the hooks folder is: lefthook and pre-commit put
 * stubs in `.git/hooks` that run what these name, and husky v9's `core.hooksPath=.husky/_` holds stubs
 * that run `.husky/<hook>`. A release that changes one of them changes what a hook runs.
 */
export const HOOK_CONFIG_PATHS: readonly string[] = [
  '.husky',
  '.githooks',
  'lefthook.yml',
  'lefthook.yaml',
  '.lefthook.yml',
  '.lefthook.yaml',
  'lefthook-local.yml',
  '.pre-commit-config.yaml',
  '.simple-git-hooks.json',
  '.simple-git-hooks.js',
  '.simple-git-hooks.cjs',
  '.huskyrc',
  '.huskyrc.json',
  '.huskyrc.js',
];

/**
 * What the merge changes of the user's hooks: the hooks folder when it is inside the checkout (a
 * relative `core.hooksPath`; for husky v9's `.husky/_`, its parent) and the hook managers' files
 * above. A hook the merge brings in or rewrites would run, unsandboxed, the moment the fast-forward
 * lands. Returns the changed paths (repository-relative), or undefined.
 */
async function hooksChangedBy(tree: string, from: string, to: string): Promise<string | undefined> {
  // The user's own setting is read (the engine's git calls set their own hooks path): nothing runs here.
  const hooks = await runGit(tree, ['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], { userHooks: true });
  const watched = [...HOOK_CONFIG_PATHS];
  const rel = hooks.exitCode === 0 ? path.relative(tree, hooks.stdout.trim()).split(path.sep).join('/') : '';
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel) && rel !== '.git' && !rel.startsWith('.git/')) {
    watched.push(rel);
    if (path.posix.basename(rel) === '_' && path.posix.dirname(rel) !== '.') watched.push(path.posix.dirname(rel));
  }
  const changed = await runGit(tree, ['--literal-pathspecs', 'diff', '--name-only', '--no-renames', from, to, '--', ...watched]);
  const files = changed.exitCode === 0 ? changed.stdout.split('\n').filter(Boolean) : [];
  return files.length ? files.slice(0, 5).join(', ') + (files.length > 5 ? `, … ${files.length - 5} more` : '') : undefined;
}

/**
 * A fast-forward writes the checkout's files and index before it moves the branch; when the move
 * fails (another git process holds the branch's ref lock) git leaves the new files in a checkout
 * whose HEAD is still the old commit, which then reads as the user's own uncommitted changes. The
 * checkout was clean a moment before (deliver checked), so it is reset to that head. Returns whether
 * anything had to be put back.
 */
async function putBackCheckout(tree: string, head: string): Promise<boolean> {
  if ((await resolveCommit(tree, 'HEAD')) !== head || (await dirtyFiles(tree)).length === 0) return false;
  // Not `reset --hard`: it writes HEAD's ref too, under the very lock that is held. This sets the
  // index and the files to the head's tree and removes the files the fast-forward added.
  await git(tree, ['read-tree', '--reset', '-u', head]);
  return true;
}

/** The files git names when a merge would overwrite untracked or ignored files (tab-indented lines after the message). */
function overwrittenFiles(stderr: string): string[] {
  const at = stderr.search(/would be overwritten by merge/);
  if (at < 0) return [];
  return stderr.slice(at).split('\n').slice(1).filter((l) => l.startsWith('\t')).map((l) => l.trim());
}

/** The worktree in which a rebase of `baseRef` is under way (listed as detached while it runs), if any. */
async function rebaseOf(worktrees: readonly Worktree[], baseRef: string): Promise<string | undefined> {
  for (const w of worktrees.filter((x) => x.branch === null && !x.prunable)) {
    const gitDir = await runGit(w.path, ['rev-parse', '--path-format=absolute', '--git-dir']).catch(() => undefined);
    if (!gitDir || gitDir.exitCode !== 0) continue;
    for (const state of ['rebase-merge', 'rebase-apply']) {
      const headName = await fs.readFile(path.join(gitDir.stdout.trim(), state, 'head-name'), 'utf8').catch(() => '');
      if (headName.trim() === baseRef) return w.path;
    }
  }
  return undefined;
}

/** How far back along the base's first parents a landed ship merge is looked for. */
const LANDED_SEARCH_DEPTH = 1000;

/**
 * The merge commit on the base's first-parent line that brought in the integration branch's head, if
 * one did: a ship whose merge landed and whose run stopped before recording it. The merge's first
 * parent is the head the base had before it.
 */
export async function landedShipMerge(repoRoot: string, baseBranch: string, integrationBranch: string): Promise<{ commit: string; previousHead: string } | undefined> {
  const { root } = await openRepo(repoRoot);
  if (isEngineBranch(baseBranch) || (await runGit(root, ['check-ref-format', '--branch', baseBranch])).exitCode !== 0) return undefined;
  const [head, base] = await Promise.all([resolveCommit(root, `refs/heads/${integrationBranch}`), resolveCommit(root, `refs/heads/${baseBranch}`)]);
  if (!head || !base || head === base || !(await isAncestor(root, head, base))) return undefined;
  const line = (await git(root, ['rev-list', '--first-parent', '--parents', `--max-count=${LANDED_SEARCH_DEPTH}`, base]))
    .split('\n')
    .map((l) => l.trim().split(' '))
    .find((ids) => ids.length > 2 && ids.slice(2).includes(head));
  return line ? { commit: line[0]!, previousHead: line[1]! } : undefined;
}
