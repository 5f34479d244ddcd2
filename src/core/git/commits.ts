/**
 * Commits and history queries in engine worktrees: the builder's commit (SPEC M6), the
 * "did it write outside its module folder" check (X4), the name-status list for diff review (U6)
 * and the reset used before a fix cycle.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { quoteUntrusted, relativePathProblem } from '../contracts/names';
import { GitError } from './errors';
import { engineWorktreeFacts, resolveCommit } from './repo';
import { failure, git, runGit, splitNul } from './run';

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
  const { root, gitDir } = await engineWorktreeFacts(worktree);
  const config = identityConfig(author);
  if (paths !== undefined) {
    assertPaths(paths);
    if (paths.length === 0) return null;
  }
  // One listing of the index and the untracked files serves both the nested-repository check and,
  // with `paths`, which of them git knows: four git processes in all on the usual way through.
  const [entries] = await Promise.all([indexAndUntracked(root), dropOperationState(gitDir)]);
  let scope: string[] = [];
  if (paths !== undefined) {
    // A path that neither exists nor is tracked would make `git add` fail; it simply has nothing to commit.
    const tracked = entries.filter((e) => e.tracked).map((e) => e.path);
    const existing = await Promise.all(paths.map((p) => fs.lstat(path.join(root, p)).then(() => true, () => false)));
    scope = paths.filter((p, i) => existing[i] || tracked.some((t) => t === p || t.startsWith(`${p.replace(/\/$/, '')}/`)));
    if (scope.length === 0) return null;
  }
  const pathArgs = paths === undefined ? [] : ['--', ...scope];
  await refuseNestedRepositories(root, entries);
  await git(root, ['--literal-pathspecs', 'add', '--all', ...pathArgs]);
  return commitStaged(root, message, config, pathArgs);
}

/**
 * The files by which git carries a merge, cherry-pick or revert in progress into the next commit: its
 * parents (MERGE_HEAD), its author (CHERRY_PICK_HEAD), its message. The engine's own merges end in
 * their own commit or abort (merge.ts), so before a plain engine commit any of these was left by an
 * agent's shell, which may write the worktree's admin folder: a MERGE_HEAD naming another branch's
 * tip made the engine's commit a merge that dropped that branch's files. They are removed.
 */
const OPERATION_STATE = ['MERGE_HEAD', 'MERGE_MODE', 'MERGE_MSG', 'AUTO_MERGE', 'CHERRY_PICK_HEAD', 'REVERT_HEAD', 'SQUASH_MSG', 'sequencer'];

async function dropOperationState(gitDir: string): Promise<void> {
  await Promise.all(OPERATION_STATE.map((name) => fs.rm(path.join(gitDir, name), { recursive: true, force: true })));
}

/**
 * Commits exactly `paths` in an engine worktree the caller has already checked (commitOwnedChanges):
 * each path changed, as `git status` listed it (so it exists, or is a tracked file's deletion).
 * Returns the new commit, or null when staging them left nothing to commit (a change git's
 * normalisation undoes, such as line endings).
 */
export async function commitPaths(root: string, message: string, author: GitIdentity, paths: readonly string[]): Promise<string | null> {
  assertPaths(paths);
  const config = identityConfig(author);
  if (paths.length === 0) return null;
  await assertNoNestedRepository(root);
  await git(root, ['--literal-pathspecs', 'add', '--all', '--', ...paths]);
  return commitStaged(root, message, config, ['--', ...paths]);
}

/**
 * Commits what is staged (under `pathArgs`, `-- <paths>`, when given): the commit is tried first and
 * its id read from its summary line; only when it fails is the index asked whether there was anything
 * to commit, so the usual way through takes one git process, and "nothing to commit" returns null.
 */
async function commitStaged(root: string, message: string, config: readonly string[], pathArgs: readonly string[]): Promise<string | null> {
  const args = ['--literal-pathspecs', 'commit', '--no-edit', '-m', message, ...pathArgs];
  const run = await runGit(root, args, { config: [...config, 'core.abbrev=no'] });
  if (run.exitCode === 0) return commitIdFrom(root, run.stdout);
  const staged = await runGit(root, ['--literal-pathspecs', 'diff', '--cached', '--quiet', ...pathArgs]);
  if (staged.exitCode === 0) return null;
  throw failure(args, run);
}

/**
 * Refuses to stage in a worktree that holds another git repository: one already in the index (a
 * gitlink, mode 160000) or one not yet added (git lists it as `dir/`). `git add` looks inside such a
 * repository with that repository's own config, so a clean filter an agent put there would run as
 * the engine, outside the sandbox; `diff.ignoreSubmodules` does not stop `add`. One git process:
 * the index's entries with their modes, and the untracked paths.
 */
export async function assertNoNestedRepository(root: string): Promise<void> {
  await refuseNestedRepositories(root, await indexAndUntracked(root));
}

interface ListedEntry {
  /** In the index (with its mode), or untracked (a nested repository listed as `dir/`). */
  tracked: boolean;
  mode?: string;
  path: string;
}

/**
 * The index's entries with their modes, and the untracked paths. `-t` tags each line (`? ` for an
 * untracked one), since an untracked name may itself read like an index entry ("100644 <id> 0\t…").
 */
async function indexAndUntracked(root: string): Promise<ListedEntry[]> {
  return splitNul(await git(root, ['ls-files', '-t', '--stage', '--others', '--exclude-standard', '-z'])).map((line) => {
    const rest = line.slice(2);
    if (line.startsWith('? ')) return { tracked: false, path: rest };
    return { tracked: true, mode: rest.slice(0, rest.indexOf(' ')), path: rest.slice(rest.indexOf('\t') + 1) };
  });
}

async function refuseNestedRepositories(root: string, entries: readonly ListedEntry[]): Promise<void> {
  // A submodule of the user's repository is a gitlink too, but never checked out in an engine worktree
  // (no `.git` in its folder, so no config of its own): only a gitlink with a repository in it counts.
  const gitlinks = entries.filter((e) => e.tracked && e.mode === '160000').map((e) => e.path);
  const inUse = await Promise.all(gitlinks.map((p) => fs.lstat(path.join(root, p, '.git')).then(() => true, () => false)));
  const nested = [...gitlinks.filter((_, i) => inUse[i]), ...entries.filter((e) => !e.tracked && e.path.endsWith('/')).map((e) => e.path.slice(0, -1))];
  if (nested.length === 0) return;
  throw new GitError(
    'nestedRepository',
    `${root} holds another git repository (${nested.slice(0, 5).map((p) => quoteUntrusted(p)).join(', ')}${nested.length > 5 ? ', …' : ''}); the engine does not commit a worktree with a nested repository or submodule in it. Remove its .git folder (keep the files) and try again.`,
  );
}

/**
 * The new commit's id from `git commit`'s summary line ("[branch (root-commit) <id>] subject",
 * unabbreviated with core.abbrev=no), so naming it takes no second git process; `rev-parse HEAD`
 * when the line is not in that shape. git sends its hooks' output to stderr, so stdout starts with
 * that line.
 */
async function commitIdFrom(root: string, stdout: string): Promise<string> {
  const id = /^\[[^\n\]]*? ([0-9a-f]{40}|[0-9a-f]{64})\] /.exec(stdout)?.[1];
  return id ?? (await git(root, ['rev-parse', 'HEAD'])).trim();
}

/**
 * Paths whose index or working-tree state differs from HEAD, untracked files included (ignored ones
 * excluded, as they can never be committed), from one `git status` instead of a diff per side.
 */
export async function uncommittedPaths(worktree: string): Promise<string[]> {
  const entries = splitNul(await git(worktree, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']));
  // "XY path": with --no-renames every entry is one field.
  return entries.filter((e) => e.length > 3).map((e) => e.slice(3));
}

/**
 * Every path that differs from `baseCommit`: committed since it, staged, modified, deleted or
 * untracked (ignored files excluded, as they can never be committed). Sorted, repo-relative.
 */
export async function changedPathsSince(worktree: string, baseCommit: string): Promise<string[]> {
  return (await changesSince(worktree, baseCommit)).paths;
}

/** `changedPathsSince`, with the HEAD it found (callers that also need HEAD save a git process). */
export async function changesSince(worktree: string, baseCommit: string): Promise<{ head: string; paths: string[] }> {
  const base = await resolveCommit(worktree, baseCommit);
  if (base === null) throw new GitError('unknown', `${quoteUntrusted(baseCommit)} is not a commit`);
  const [head, uncommitted] = await Promise.all([git(worktree, ['rev-parse', 'HEAD']).then((h) => h.trim()), uncommittedPaths(worktree)]);
  // Nothing committed since the base (the usual case): no diff to run.
  const committed = head === base ? [] : splitNul(await git(worktree, ['diff', '--name-only', '--no-renames', '-z', base, head]));
  return { head, paths: [...new Set([...committed, ...uncommitted])].sort() };
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
  const target = await resolveCommit(worktree, commit);
  if (target === null) throw new GitError('unknown', `${quoteUntrusted(commit)} is not a commit`);
  // A reset is where the branch goes to `target` anyway: a branch an agent made symbolic is put there
  // as a plain ref first, instead of the reset moving the branch it named.
  const { root } = await engineWorktreeFacts(worktree, { repairBranchTo: target });
  await git(root, ['reset', '--quiet', '--hard', target]);
  if (options.removeUntracked ?? true) await git(root, ['clean', '--force', '-d', '--quiet']);
}
