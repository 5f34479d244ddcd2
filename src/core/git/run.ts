/**
 * The single place where git is executed (through simple-git's `raw`), so that every call gets
 * the same environment and the same error handling:
 * - LC_ALL=C, so git's messages are English and `reasonFromGitOutput` can classify them;
 * - no editor/pager/askpass/GIT_* variables from the ambient environment (simple-git refuses them
 *   anyway) and no API key, because git runs hooks and hooks are arbitrary programs;
 * - fixed config: no commit signing (a pinentry prompt would hang a headless run), diff3 conflict
 *   markers (the trivial-conflict rules need the base), unquoted paths.
 */
import { GitError as SimpleGitError, simpleGit } from 'simple-git';
import { GitError, reasonFromGitOutput } from './errors';

export interface GitRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * simple-git turns a non-zero exit into an error carrying only text; this subclass of its own
 * error type survives its error handling and keeps the exit code and both streams.
 */
class GitExit extends SimpleGitError {
  constructor(readonly run: GitRun) {
    super(undefined, `git exited with code ${run.exitCode}`);
  }
}

const ENGINE_GIT_CONFIG = [
  'core.quotePath=false',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'merge.conflictStyle=diff3',
  'advice.detachedHead=false',
];

/** Ambient variables that would change what git does, or leak to hooks something they must not see. */
const DROPPED_ENV = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass', 'anthropic_api_key', 'anthropic_auth_token']);

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('git') || DROPPED_ENV.has(lower)) continue;
    env[key] = value;
  }
  env.LC_ALL = 'C';
  return env;
}

export interface RunGitOptions {
  /** Extra `-c key=value` settings for this call (e.g. the committer identity). */
  config?: readonly string[];
}

/** Runs git in `cwd` and reports the exit code instead of throwing on failure. */
export async function runGit(cwd: string, args: readonly string[], options: RunGitOptions = {}): Promise<GitRun> {
  let instance;
  try {
    instance = simpleGit({
      baseDir: cwd,
      trimmed: false,
      config: [...ENGINE_GIT_CONFIG, ...(options.config ?? [])],
      errors: (error, result) =>
        result.exitCode === 0
          ? error
          : new GitExit({
              exitCode: result.exitCode,
              stdout: Buffer.concat(result.stdOut).toString('utf8'),
              stderr: Buffer.concat(result.stdErr).toString('utf8'),
            }),
    }).env(gitEnvironment());
  } catch (error) {
    throw new GitError('notARepo', `cannot run git in ${cwd}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    const stdout = await instance.raw([...args]);
    return { exitCode: 0, stdout, stderr: '' };
  } catch (error) {
    if (error instanceof GitExit) return error.run;
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
