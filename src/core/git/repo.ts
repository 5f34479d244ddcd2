/**
 * Finding the repository and telling the user's checkout apart from the engine's worktrees.
 * The engine mutates only linked worktrees on `orchestration/` branches (SPEC X5); every
 * mutating function in this folder calls `assertEngineWorktree` first.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ENGINE_BRANCH_PREFIX } from './branches';
import { quoteUntrusted } from '../contracts/names';
import { GitError } from './errors';
import { git, runGit } from './run';

export interface RepoInfo {
  /** Top level of the worktree `dir` is in (the user's checkout when called on it). */
  root: string;
  /** Short name of the checked-out branch; null when HEAD is detached. */
  branch: string | null;
  detached: boolean;
  head: string;
}

/**
 * Full commit ids already found to be commits, per directory asked from. A commit object never stops
 * being one, and the engine asks about the same few ids (scaffold, engine heads) many times per
 * module; each question was a git process, and spawning one blocks the event loop for milliseconds.
 */
const knownCommits = new Map<string, Set<string>>();
/** A full commit or object id (SHA-1 or SHA-256). */
export const FULL_ID = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/**
 * The text of a repository-relative file as it is in `commit` (a full id), or undefined when the
 * commit has no such file. What an agent may have changed in its worktree is judged against this,
 * never against the worktree's own copy, which an earlier, stopped agent may have left changed.
 */
export async function fileAtCommit(cwd: string, commit: string, rel: string): Promise<string | undefined> {
  if (!FULL_ID.test(commit)) throw new GitError('unknown', `${quoteUntrusted(commit)} is not a full commit id`);
  const run = await runGit(cwd, ['show', `${commit}:${rel}`]);
  return run.exitCode === 0 ? run.stdout : undefined;
}

/** The commit a revision names, or null when it names none (never treats it as an option). */
export async function resolveCommit(cwd: string, revision: string): Promise<string | null> {
  if (revision.startsWith('-')) return null;
  if (FULL_ID.test(revision) && knownCommits.get(cwd)?.has(revision)) return revision;
  const run = await runGit(cwd, ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]);
  if (run.exitCode !== 0) return null;
  const commit = run.stdout.trim();
  if (FULL_ID.test(commit)) {
    const known = knownCommits.get(cwd) ?? new Set<string>();
    // Bounded: a long run asks about a few ids per module; a fresh set beats an unbounded one.
    if (known.size > 4096) known.clear();
    known.add(commit);
    knownCommits.set(cwd, known);
  }
  return commit;
}

export async function currentBranch(cwd: string): Promise<string | null> {
  const run = await runGit(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return run.exitCode === 0 ? run.stdout.trim() : null;
}

export async function topLevel(dir: string): Promise<string> {
  const run = await runGit(dir, ['rev-parse', '--show-toplevel']);
  if (run.exitCode !== 0) throw new GitError('notARepo', `${dir} is not inside a git working tree`);
  return run.stdout.trim();
}

export async function openRepo(dir: string): Promise<RepoInfo> {
  // One git process for the usual case (a repository with commits); the step-by-step path below
  // gives the precise error otherwise.
  const quick = await runGit(dir, ['rev-parse', '--show-toplevel', 'HEAD', '--symbolic-full-name', 'HEAD']);
  if (quick.exitCode === 0) {
    const [root, head, ref] = quick.stdout.trim().split('\n');
    if (root && head && FULL_ID.test(head) && ref) {
      const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
      return { root, branch, detached: branch === null, head };
    }
  }
  const root = await topLevel(dir);
  const head = await resolveCommit(root, 'HEAD');
  if (head === null) throw new GitError('noCommits', `the repository at ${root} has no commits yet; commit something first`);
  const branch = await currentBranch(root);
  return { root, branch, detached: branch === null, head };
}

/** True when `dir` is in the repository's main worktree (the user's checkout), not a linked one. */
export async function isMainWorktree(dir: string): Promise<boolean> {
  const out = await git(dir, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir']);
  const [gitDir, commonDir] = out.trim().split('\n');
  return gitDir === commonDir;
}

/**
 * Refuses unless `dir` is the root of a linked worktree with an `orchestration/` branch checked
 * out: the only kind of tree the engine creates and therefore the only kind it may change.
 * Returns the worktree root.
 */
export async function assertEngineWorktree(dir: string): Promise<string> {
  return (await engineWorktreeFacts(dir)).root;
}

export interface EngineWorktreeFacts {
  root: string;
  /** The worktree's own git dir (HEAD, index, MERGE_HEAD live there). */
  gitDir: string;
  /** HEAD's commit; null on a branch with no commits yet. */
  head: string | null;
}

/**
 * `assertEngineWorktree`'s checks, and what the same git process tells besides: the worktree's git
 * dir and HEAD's commit, which callers such as a merge would otherwise ask for in processes of their own.
 */
export async function engineWorktreeFacts(dir: string, options: { repairBranchTo?: string } = {}): Promise<EngineWorktreeFacts> {
  // Top level, git dir, common dir, HEAD's commit and the checked-out ref in one git process (this
  // check precedes every mutating git call, several times per module).
  const run = await runGit(dir, ['rev-parse', '--show-toplevel', '--path-format=absolute', '--git-dir', '--git-common-dir', 'HEAD', '--symbolic-full-name', 'HEAD']);
  if (run.exitCode !== 0) return engineWorktreeStepByStep(dir);
  const [root, gitDir, commonDir, head, resolvedRef] = run.stdout.trim().split('\n');
  if (!root || !gitDir || !commonDir || !head || !FULL_ID.test(head) || !resolvedRef) return engineWorktreeStepByStep(dir);
  const realDir = await fs.realpath(dir).catch(() => dir);
  if (realDir !== root) throw new GitError('notEngineWorktree', `${dir} is not the root of a worktree (${root} is)`);
  if (gitDir === commonDir) throw new GitError('notEngineWorktree', `${root} is the repository's main worktree; the engine never changes it`);
  // `--symbolic-full-name` follows a chain of symbolic refs to its end; HEAD's own file says which
  // branch the worktree is on. They differ only when that branch was itself made a symbolic ref.
  const named = (await branchNamedByHead(gitDir)) ?? resolvedRef;
  const ref = named !== resolvedRef ? await unchain(root, named, resolvedRef, options.repairBranchTo) : resolvedRef;
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
  if (branch === null || !branch.startsWith(ENGINE_BRANCH_PREFIX)) {
    throw new GitError('notEngineWorktree', `${root} has ${branch ?? 'a detached HEAD'} checked out, not an ${ENGINE_BRANCH_PREFIX} branch`);
  }
  return { root, gitDir, head: ref === resolvedRef ? head : (options.repairBranchTo ?? head) };
}

/** The ref HEAD's file names (`ref: refs/heads/…`), read without following it; null when detached or unreadable. */
export async function branchNamedByHead(gitDir: string): Promise<string | null> {
  const text = await fs.readFile(path.join(gitDir, 'HEAD'), 'utf8').catch(() => '');
  // git takes `ref:` with or without spaces after it.
  return /^ref:\s*(refs\/\S+)\s*$/.exec(text)?.[1] ?? null;
}

const short = (ref: string) => ref.replace(/^refs\/heads\//, '');

/**
 * The worktree's branch `named` is a symbolic ref to `target`. An agent's shell run without the
 * sandbox may write its own branch's ref file, and `ref: <the integration branch>` written there made
 * the engine's next commit, merge or reset in that worktree move the integration branch instead.
 * Nothing the engine does makes such a ref: with a commit to put the branch at (a reset's target),
 * the branch becomes a plain ref at it again; otherwise the write stops here with the reason.
 */
async function unchain(root: string, named: string, target: string, repairTo: string | undefined): Promise<string> {
  const engineBranch = named.startsWith(`refs/heads/${ENGINE_BRANCH_PREFIX}`);
  if (repairTo === undefined || !engineBranch || !FULL_ID.test(repairTo)) {
    throw new GitError(
      'notEngineWorktree',
      `${root}'s branch ${quoteUntrusted(short(named))} was made a symbolic ref to ${quoteUntrusted(short(target))}, which the engine never does; it does not write through it`,
    );
  }
  await git(root, ['update-ref', '--no-deref', '-m', 'build-pipeline: branch was a symbolic ref', named, repairTo]);
  return named;
}

/** The same checks one git call at a time: an unborn branch, or git output not in the expected shape. */
async function engineWorktreeStepByStep(dir: string): Promise<EngineWorktreeFacts> {
  const root = await topLevel(dir);
  const realDir = await fs.realpath(dir).catch(() => dir);
  if (realDir !== root) throw new GitError('notEngineWorktree', `${dir} is not the root of a worktree (${root} is)`);
  const [gitDir, commonDir] = (await git(root, ['rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir'])).trim().split('\n');
  if (gitDir === commonDir) {
    throw new GitError('notEngineWorktree', `${root} is the repository's main worktree; the engine never changes it`);
  }
  const branch = await currentBranch(root);
  if (branch === null || !branch.startsWith(ENGINE_BRANCH_PREFIX)) {
    throw new GitError('notEngineWorktree', `${root} has ${branch ?? 'a detached HEAD'} checked out, not an ${ENGINE_BRANCH_PREFIX} branch`);
  }
  // currentBranch follows a chain too: a branch made a symbolic ref to one with no commit yet lands here.
  const named = gitDir ? await branchNamedByHead(gitDir) : null;
  if (named !== null && named !== `refs/heads/${branch}`) await unchain(root, named, `refs/heads/${branch}`, undefined);
  return { root, gitDir: gitDir ?? path.join(root, '.git'), head: await resolveCommit(root, 'HEAD') };
}

/** Whether a merge has been started and not yet committed or aborted in this worktree. */
export async function mergeInProgress(worktree: string): Promise<boolean> {
  return (await runGit(worktree, ['rev-parse', '--verify', '--quiet', 'MERGE_HEAD'])).exitCode === 0;
}

/** `mergeInProgress` for a worktree whose git dir is known: git keeps MERGE_HEAD there, a file read tells. */
export async function mergeHeadIn(gitDir: string): Promise<boolean> {
  return fs.lstat(path.join(gitDir, 'MERGE_HEAD')).then(
    () => true,
    () => false,
  );
}
