/**
 * Commits and history queries in engine worktrees: the builder's commit (SPEC M6), the
 * "did it write outside its module folder" check (X4), the name-status list for diff review (U6)
 * and the reset used before a fix cycle.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { quoteUntrusted, relativePathProblem } from '../contracts/names';
import { GitError } from './errors';
import { assertEngineWorktree, resolveCommit } from './repo';
import { git, runGit, splitNul } from './run';

export interface GitIdentity {
  name: string;
  email: string;
}

/** Who the engine's own commits (merges, resolutions) are by, unless the caller says otherwise. */
export const ENGINE_IDENTITY: GitIdentity = { name: 'Build Pipeline', email: 'build-pipeline@localhost' };

/** `-c user.name=… -c user.email=…`: sets author and committer alike, independent of the user's config. */
export function identityConfig(identity: GitIdentity): string[] {
  for (const value of [identity.name, identity.email]) {
    // git strips or rejects these; refusing them here gives a clear error instead of a surprising author.
    if (value.trim() === '' || /[<>\u0000-\u001f\u007f]/.test(value)) {
      throw new GitError('invalidName', `identity ${quoteUntrusted(value)} is empty or contains <, > or control characters`);
    }
  }
  return [`user.name=${identity.name}`, `user.email=${identity.email}`];
}

function assertPaths(paths: readonly string[]): void {
  for (const p of paths) {
    const problem = relativePathProblem(p);
    if (problem !== null) throw new GitError('invalidName', problem);
  }
}

/**
 * Stages `paths` (literal pathspecs, so `*` or `:(top)` in a name mean nothing special) or, without
 * `paths`, everything; commits only what lies under those paths even if other changes were staged
 * earlier. Returns the new commit, or null when there was nothing to commit.
 */
export async function commitAll(
  worktree: string,
  message: string,
  author: GitIdentity,
  paths?: readonly string[],
): Promise<string | null> {
  const root = await assertEngineWorktree(worktree);
  const config = identityConfig(author);
  if (paths !== undefined) {
    assertPaths(paths);
    if (paths.length === 0) return null;
  }
  let scope: string[] = [];
  if (paths !== undefined) {
    // A path that neither exists nor is tracked would make `git add` fail; it simply has nothing to commit.
    const tracked = new Set(splitNul(await git(root, ['--literal-pathspecs', 'ls-files', '-z', '--', ...paths])));
    const existing = await Promise.all(paths.map((p) => fs.lstat(path.join(root, p)).then(() => true, () => false)));
    scope = paths.filter((p, i) => existing[i] || [...tracked].some((t) => t === p || t.startsWith(`${p.replace(/\/$/, '')}/`)));
    if (scope.length === 0) return null;
  }
  const pathArgs = paths === undefined ? [] : ['--', ...scope];
  await git(root, ['--literal-pathspecs', 'add', '--all', ...pathArgs]);
  const staged = await runGit(root, ['--literal-pathspecs', 'diff', '--cached', '--quiet', ...pathArgs]);
  if (staged.exitCode === 0) return null;
  await git(root, ['--literal-pathspecs', 'commit', '--quiet', '--no-edit', '-m', message, ...pathArgs], { config });
  return (await git(root, ['rev-parse', 'HEAD'])).trim();
}

/**
 * Every path that differs from `baseCommit`: committed since it, staged, modified, deleted or
 * untracked (ignored files excluded, as they can never be committed). Sorted, repo-relative.
 */
export async function changedPathsSince(worktree: string, baseCommit: string): Promise<string[]> {
  const base = await resolveCommit(worktree, baseCommit);
  if (base === null) throw new GitError('unknown', `${quoteUntrusted(baseCommit)} is not a commit`);
  const outputs = await Promise.all([
    git(worktree, ['diff', '--name-only', '--no-renames', '-z', base, 'HEAD']),
    git(worktree, ['diff', '--name-only', '--no-renames', '-z', '--cached', 'HEAD']),
    git(worktree, ['diff', '--name-only', '--no-renames', '-z']),
    git(worktree, ['ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  return [...new Set(outputs.flatMap(splitNul))].sort();
}

export interface ChangedFile {
  /** git's status letter: A added, M modified, D deleted, R renamed, C copied, T type changed. */
  status: string;
  path: string;
  /** For renames and copies: where the file came from. */
  oldPath?: string;
}

/**
 * What `head` changed since it forked from `base` (`git diff base...head`): a module branch
 * reviewed against the integration branch shows the module's work, not other modules' merges.
 */
export async function diffRange(repoRoot: string, base: string, head: string): Promise<ChangedFile[]> {
  for (const revision of [base, head]) {
    if ((await resolveCommit(repoRoot, revision)) === null) throw new GitError('unknown', `${quoteUntrusted(revision)} is not a commit`);
  }
  const fields = splitNul(await git(repoRoot, ['diff', '--name-status', '-z', '--find-renames', `${base}...${head}`, '--']));
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length; ) {
    const code = fields[i++]!;
    const status = code.charAt(0);
    if (status === 'R' || status === 'C') {
      const oldPath = fields[i++]!;
      files.push({ status, oldPath, path: fields[i++]! });
    } else {
      files.push({ status, path: fields[i++]! });
    }
  }
  return files;
}

/**
 * Moves an engine worktree's branch back to `commit` and throws away uncommitted work; with
 * `removeUntracked` (default) also deletes untracked files, though never ignored ones, so
 * installed dependencies survive a retry.
 */
export async function resetHard(worktree: string, commit: string, options: { removeUntracked?: boolean } = {}): Promise<void> {
  const root = await assertEngineWorktree(worktree);
  const target = await resolveCommit(root, commit);
  if (target === null) throw new GitError('unknown', `${quoteUntrusted(commit)} is not a commit`);
  await git(root, ['reset', '--quiet', '--hard', target]);
  if (options.removeUntracked ?? true) await git(root, ['clean', '--force', '-d', '--quiet']);
}
