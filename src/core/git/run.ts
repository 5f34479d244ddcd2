/**
 * The single place where git is executed, so that every call gets the same environment and the
 * same error handling:
 * - LC_ALL=C, so git's messages are English and `reasonFromGitOutput` can classify them;
 * - no editor/pager/askpass/GIT_* variables from the ambient environment, and no API key, because
 *   git runs hooks and hooks are arbitrary programs; abbreviated long options refused
 *   (GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS), as simple-git set it;
 * - stdin closed, so neither git nor a hook can wait on it (or, for the plumbing that reads its
 *   input there, given in full and then closed);
 * - started from a worker thread (spawner.ts), so the start does not stop the engine's event loop;
 * - fixed config: no commit signing (a pinentry prompt would hang a headless run), diff3 conflict
 *   markers (the trivial-conflict rules need the base), unquoted paths.
 *
 * git is spawned directly rather than through simple-git: simple-git waits 50 ms after every
 * command that printed nothing (reset, add, commit --quiet, diff --quiet, merge-base
 * --is-ancestor…), in case output arrives late, and the engine runs dozens of those per module.
 * Every argument here is built by the engine (model-given names are validated before they reach a
 * command line, paths go after `--` with --literal-pathspecs), so simple-git's option parsing
 * guards had nothing left to catch.
 */
import { promises as fs } from 'node:fs';
import { GitError, reasonFromGitOutput } from './errors';
import { spawnGit, type SpawnedGit } from './spawner';

export type GitRun = SpawnedGit;

const ENGINE_GIT_CONFIG = [
  'core.quotePath=false',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'merge.conflictStyle=diff3',
  // A merge's message is the engine's alone: with the user's merge.log, `git merge` appended a
  // shortlog that a merge built by path (commit-tree) never has, so the message depended on the route.
  'merge.log=false',
  'advice.detachedHead=false',
  // A nested repository an agent made in its worktree is a submodule to git: status and diff would run
  // git inside it, with its own config (a clean filter: a program of the agent's, outside the sandbox).
  'diff.ignoreSubmodules=all',
  'submodule.recurse=false',
  'status.submoduleSummary=false',
  // No housekeeping in the middle of a run (it packs the run's refs, and is the user's to schedule).
  'gc.auto=0',
  'maintenance.auto=false',
];

/**
 * No hook runs for the engine's git. An engine worktree holds code agents wrote, and a hook would run
 * it outside the sandbox with the engine's environment: one a relative `core.hooksPath` (husky's
 * `.husky/_`, a tracked `.githooks`) finds inside the worktree, where an agent may write it, and even
 * the repository's own (a pre-commit running `npm test` or lint-staged reads the scripts and config
 * the agent wrote). `userHooks` gives the repository's hooks back for the one step taken in the user's
 * own checkout: the ship's fast-forward, after the user approved the change at the ship gate.
 */
const NO_HOOKS = 'core.hooksPath=/dev/null';

/**
 * The other program a repository's config can have git run on its own: an fsmonitor hook. A relative
 * `core.fsmonitor` (`./fsmonitor.sh`) is found in the worktree, where an agent may have written it,
 * and runs for every status, diff and commit. Off for the engine's git, as the hooks are.
 */
const NO_FSMONITOR = 'core.fsmonitor=false';

/** Ambient variables that would change what git does, or leak to hooks something they must not see. */
const DROPPED_ENV = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass', 'anthropic_api_key', 'anthropic_auth_token']);

function gitEnvironment(inUserCheckout: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('git') || DROPPED_ENV.has(lower)) continue;
    env[key] = value;
  }
  env.LC_ALL = 'C';
  env.GIT_TEST_DISALLOW_ABBREVIATED_OPTIONS = 'true';
  // With Git LFS in the user's global config, a checkout in an engine worktree would download every
  // pointer file's object from the server a `.lfsconfig` in that worktree names, and an agent can write
  // that file: a request to a host of its choosing, made by the engine, past the sandbox's allow-list.
  // LFS files stay pointers in engine worktrees (the clean filter still runs, so a commit stores
  // pointers as before); the ship's step in the user's own checkout, after the gate, smudges as usual.
  if (!inUserCheckout) env.GIT_LFS_SKIP_SMUDGE = '1';
  return env;
}

export interface RunGitOptions {
  /** Extra `-c key=value` settings for this call (e.g. the committer identity). */
  config?: readonly string[];
  /** Written to git's stdin (`update-index --index-info`), then closed. */
  input?: string;
  /** An index file of the engine's own instead of the worktree's (GIT_INDEX_FILE): merges built off to the side. */
  indexFile?: string;
  /** At a lower CPU priority (nice 10): work done ahead, that nothing waits for yet. */
  background?: boolean;
  /** The repository's hooks run (see NO_HOOKS): only for a step in the user's own checkout. */
  userHooks?: boolean;
}

/** Runs git in `cwd` and reports the exit code instead of throwing on failure. */
export async function runGit(cwd: string, args: readonly string[], options: RunGitOptions = {}): Promise<GitRun> {
  const isDir = await fs.stat(cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new GitError('notARepo', `cannot run git in ${cwd}: it is not a directory`);
  const config = [...ENGINE_GIT_CONFIG, ...(options.userHooks ? [] : [NO_HOOKS, NO_FSMONITOR]), ...(options.config ?? [])].flatMap((c) => ['-c', c]);
  try {
    const env = gitEnvironment(options.userHooks === true);
    if (options.indexFile !== undefined) env.GIT_INDEX_FILE = options.indexFile;
    return await spawnGit(cwd, [...config, ...args], env, options.input, options.background);
  } catch (error) {
    throw new GitError('unknown', `git ${args.join(' ')} could not run: ${error instanceof Error ? error.message : String(error)}`, `git ${args.join(' ')}`);
  }
}

/** Runs git and returns stdout; a non-zero exit becomes a GitError with a classified reason. */
export async function git(cwd: string, args: readonly string[], options: RunGitOptions = {}): Promise<string> {
  const run = await runGit(cwd, args, options);
  if (run.exitCode !== 0) throw failure(args, run);
  return run.stdout;
}

export function failure(args: readonly string[], run: GitRun, reason = reasonFromGitOutput(`${run.stderr}\n${run.stdout}`)): GitError {
  const output = `${run.stderr}${run.stdout}`.trim();
  const command = `git ${args.join(' ')}`;
  return new GitError(reason, `${command} failed (exit ${run.exitCode}): ${output.split('\n').slice(0, 5).join(' | ')}`, command, output);
}

/** Splits NUL-separated git output (`-z`), dropping the empty tail. */
export function splitNul(output: string): string[] {
  return output.split('\0').filter((part) => part !== '');
}

const repoQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier task for the same repository has settled. Operations on the
 * shared `.git` directory (worktree add/remove, branch creation) take git's own lock files; when
 * builders start in parallel, queueing them here beats failing on `index.lock`/ref locks.
 */
export function serializedPerRepo<T>(repoKey: string, task: () => Promise<T>): Promise<T> {
  const previous = repoQueues.get(repoKey) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  repoQueues.set(repoKey, settled);
  void settled.then(() => {
    if (repoQueues.get(repoKey) === settled) repoQueues.delete(repoKey);
  });
  return next;
}
