/**
 * Merging module branches into the integration worktree (SPEC M8): `--no-ff` so every module is
 * one merge commit on the integration branch's first-parent line, conflicts parsed into hunks for
 * the report, trivial hunks resolved by the rules in conflicts.ts, everything else aborted.
 * All of it runs only in engine worktrees.
 *
 * Where no path changed on both sides, the merge commit is usually built path by path (pathMerge.ts)
 * and the worktree moved to it: the same commit `git merge --no-ff` makes (parents, message, author),
 * without git's recursive virtual merge bases over criss-cross history (the usual case once modules
 * depend on several others) and without writing the worktree per merge. The rest is `git merge`:
 * paths changed on both sides, one merge base with a deletion (a possible rename), no merge base,
 * file/directory clashes and path names that are not UTF-8 (see pathMerge.ts).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { assertValidEngineBranch } from './branches';
import { ENGINE_IDENTITY, identityConfig, type GitIdentity } from './commits';
import { parseConflictedText, resolveConflictedText, type ConflictHunk, type HunkResolution, type NonTrivialHunk } from './conflicts';
import { GitError } from './errors';
import { mergeByPaths, prepareMergesByPaths, type OursKnown } from './pathMerge';
import { assertEngineWorktree, engineWorktreeFacts, FULL_ID, mergeHeadIn, mergeInProgress, resolveCommit } from './repo';
import { failure, git, runGit, splitNul } from './run';

export interface ConflictFile {
  path: string;
  hunks: ConflictHunk[];
  /** Why there are no hunks to show: binary file, deleted on one side, unparseable markers. */
  note?: string;
}

export type MergeResult =
  | { status: 'clean'; commit: string }
  /** The branch was already merged (e.g. resuming after a crash): nothing was done. */
  | { status: 'upToDate'; commit: string }
  | { status: 'conflict'; files: ConflictFile[] };

/** Conflicted files larger than this are reported without hunks instead of being parsed. */
const CONFLICT_FILE_MAX_BYTES = 2 * 1024 * 1024;

async function unmergedPaths(worktree: string): Promise<string[]> {
  return splitNul(await git(worktree, ['diff', '--name-only', '--diff-filter=U', '-z']));
}

/** Which index stages exist for each unmerged path: 1 base, 2 ours, 3 theirs. */
async function unmergedStages(worktree: string): Promise<Map<string, Set<number>>> {
  const stages = new Map<string, Set<number>>();
  for (const entry of splitNul(await git(worktree, ['ls-files', '--unmerged', '-z']))) {
    // "<mode> <object> <stage>\t<path>"
    const tab = entry.indexOf('\t');
    const stage = Number(entry.slice(0, tab).split(' ')[2]);
    const file = entry.slice(tab + 1);
    const set = stages.get(file) ?? new Set<number>();
    set.add(stage);
    stages.set(file, set);
  }
  return stages;
}

async function readConflictFile(worktree: string, file: string, stages: ReadonlySet<number> | undefined): Promise<ConflictFile> {
  if (stages && (!stages.has(2) || !stages.has(3))) {
    return { path: file, hunks: [], note: stages.has(2) ? 'deleted on the merged branch, changed here' : 'deleted here, changed on the merged branch' };
  }
  let bytes: Buffer;
  try {
    const stat = await fs.lstat(path.join(worktree, file));
    if (!stat.isFile()) return { path: file, hunks: [], note: 'not a regular file' };
    if (stat.size > CONFLICT_FILE_MAX_BYTES) return { path: file, hunks: [], note: `larger than ${CONFLICT_FILE_MAX_BYTES} bytes` };
    bytes = await fs.readFile(path.join(worktree, file));
  } catch {
    return { path: file, hunks: [], note: 'missing from the worktree' };
  }
  if (bytes.includes(0)) return { path: file, hunks: [], note: 'binary file' };
  const parsed = parseConflictedText(bytes.toString('utf8'));
  if (!parsed.ok) return { path: file, hunks: [], note: `unparseable conflict markers: ${parsed.error}` };
  if (parsed.hunks.length === 0) return { path: file, hunks: [], note: 'no conflict markers (conflict on mode, type or rename)' };
  return { path: file, hunks: parsed.hunks };
}

/** The conflicted files of an in-progress merge, with their hunks. */
export async function readConflicts(worktree: string): Promise<ConflictFile[]> {
  const stages = await unmergedStages(worktree);
  const files: ConflictFile[] = [];
  for (const file of await unmergedPaths(worktree)) files.push(await readConflictFile(worktree, file, stages.get(file)));
  return files;
}

/**
 * Checks out a merge commit built by mergeByPaths in a clean worktree whose HEAD is its first
 * parent: only the files that differ are written, and an untracked file in the way stops it before
 * anything changed, as it stops `git merge`.
 */
async function checkOutMerge(root: string, commit: string): Promise<void> {
  const args = ['reset', '--keep', '--quiet', commit];
  let run = await runGit(root, args);
  if (run.exitCode !== 0) {
    // `reset --keep` trusts the index's file stats, and a file rewritten with the same content (a
    // test run) looks changed to it; `git merge` refreshes them first. Refreshed, it is asked again.
    await runGit(root, ['update-index', '-q', '--refresh']);
    run = await runGit(root, args);
  }
  if (run.exitCode !== 0) throw failure(args, run);
}

/**
 * `git merge --no-ff --no-edit -m message <branch>` in an engine worktree (built path by path where
 * that gives the same commit without git's recursive merge; see the top of this file). On conflict
 * the merge is left in progress for the caller to resolve (resolveTrivialConflicts + commitMerge) or abort.
 */
export async function mergeNoFf(
  worktree: string,
  branch: string,
  message: string,
  identity: GitIdentity = ENGINE_IDENTITY,
): Promise<MergeResult> {
  // The worktree check (which gives the git dir and HEAD too), the dirty check, the branch's commit,
  // then the merge: built by path (pathMerge.ts) and checked out, or `git merge` and its commit.
  const facts = await engineWorktreeFacts(worktree);
  const root = facts.root;
  await assertValidEngineBranch(branch);
  if (await mergeHeadIn(facts.gitDir)) throw new GitError('mergeConflict', `a merge is already in progress in ${root}; commit or abort it first`);
  const dirty = await runGit(root, ['diff', '--quiet', 'HEAD', '--']);
  if (dirty.exitCode !== 0) throw new GitError('dirtyTree', `${root} has uncommitted changes; refusing to merge into it`);
  const ref = `refs/heads/${branch}`;
  const before = facts.head ?? (await git(root, ['rev-parse', 'HEAD'])).trim();
  const config = identityConfig(identity);
  // A missing branch makes git refuse before it changes anything: said plainly here.
  const theirs = await resolveCommit(root, ref);
  if (theirs === null) throw new GitError('unknown', `branch ${branch} does not exist`);
  const byPaths = await mergeByPaths(root, facts.gitDir, before, theirs, message, config);
  if (byPaths.kind === 'upToDate') return { status: 'upToDate', commit: before };
  if (byPaths.kind === 'commit') {
    await checkOutMerge(root, byPaths.commit);
    return { status: 'clean', commit: byPaths.commit };
  }
  const args = ['merge', '--no-ff', '--no-edit', '-m', message, ref];
  const run = await runGit(root, args, { config });
  if (run.exitCode === 0) {
    const after = (await git(root, ['rev-parse', 'HEAD'])).trim();
    return after === before ? { status: 'upToDate', commit: after } : { status: 'clean', commit: after };
  }
  if ((await unmergedPaths(root)).length > 0) return { status: 'conflict', files: await readConflicts(root) };
  // Failed without conflicts (e.g. untracked files in the way): make sure nothing is left half-done.
  if (await mergeInProgress(root)) await runGit(root, ['merge', '--abort']);
  throw failure(args, run);
}

export type MergeAllResult =
  /** `theirs`: the commit each branch was at when it was merged, in the order given. */
  | { status: 'clean'; commit: string; theirs: string[] }
  | { status: 'conflict'; branch: string; files: ConflictFile[] };

/**
 * `mergeNoFf` for several branches in a row (a module's dependencies into its fresh worktree): the
 * worktree is checked once, and merges built path by path are checked out together, once, before
 * the next `git merge` or at the end. Stops at the first conflict and leaves that merge in progress,
 * like mergeNoFf.
 */
export async function mergeAllNoFf(
  worktree: string,
  merges: ReadonlyArray<{ branch: string; message: string }>,
  identity: GitIdentity = ENGINE_IDENTITY,
): Promise<MergeAllResult> {
  const facts = await engineWorktreeFacts(worktree);
  const root = facts.root;
  for (const m of merges) await assertValidEngineBranch(m.branch);
  if (await mergeHeadIn(facts.gitDir)) throw new GitError('mergeConflict', `a merge is already in progress in ${root}; commit or abort it first`);
  if (merges.length === 0) return { status: 'clean', commit: facts.head ?? (await git(root, ['rev-parse', 'HEAD'])).trim(), theirs: [] };
  // The dirty check reads every file's stat, the slowest step here: it runs while the merges are
  // built by path (they make objects only, no ref moves) and is waited for before the worktree is
  // touched or a merge is reported. A dirty tree is reported before a missing branch.
  const clean = runGit(root, ['diff', '--quiet', 'HEAD', '--']).then((run) => run.exitCode === 0);
  // Waited for on every way out but one (an unborn HEAD's failure below): never an unhandled rejection.
  clean.catch(() => undefined);
  const assertClean = async () => {
    if (!(await clean)) throw new GitError('dirtyTree', `${root} has uncommitted changes; refusing to merge into it`);
  };
  let commits: string[];
  try {
    commits = await branchCommits(root, merges.map((m) => m.branch));
  } catch (err) {
    await assertClean();
    throw err;
  }
  const config = identityConfig(identity);
  // `head` is the branch's latest merge; `checkedOut` what the worktree holds (behind while merges built by path pile up).
  let head = facts.head ?? (await git(root, ['rev-parse', 'HEAD'])).trim();
  let checkedOut = head;
  // Ours, for the merges built by path: the worktree's first commit and the branches merged since
  // have exactly its ancestors (besides these merge commits), whatever module is merging them.
  let ours: OursKnown = { lineage: [head] };
  // Every merge's bases and trees asked at once: they depend on the branches alone, not on the merge
  // commits made one after another here. Waited for at the end, however it ends.
  const asked = prepareMergesByPaths(root, facts.gitDir, head, commits);
  try {
    for (const [i, m] of merges.entries()) {
      const theirs = commits[i]!;
      const byPaths = await mergeByPaths(root, facts.gitDir, head, theirs, m.message, config, ours);
      if (byPaths.kind === 'upToDate') continue;
      if (byPaths.kind === 'commit') {
        head = byPaths.commit;
        ours = { lineage: [...ours.lineage, theirs], tree: byPaths.tree };
        continue;
      }
      await assertClean();
      if (checkedOut !== head) await checkOutMerge(root, (checkedOut = head));
      const args = ['merge', '--no-ff', '--no-edit', '-m', m.message, theirs];
      const run = await runGit(root, args, { config });
      if (run.exitCode === 0) {
        head = checkedOut = (await git(root, ['rev-parse', 'HEAD'])).trim();
        // Merged (or already there): its tree is the worktree's now, not known here.
        ours = { lineage: [...ours.lineage, theirs] };
        continue;
      }
      if ((await unmergedPaths(root)).length > 0) return { status: 'conflict', branch: m.branch, files: await readConflicts(root) };
      if (await mergeInProgress(root)) await runGit(root, ['merge', '--abort']);
      throw failure(args, run);
    }
    await assertClean();
    if (checkedOut !== head) await checkOutMerge(root, head);
    return { status: 'clean', commit: head, theirs: commits };
  } catch (err) {
    // A dirty tree is the reason reported, whatever else failed.
    await assertClean();
    throw err;
  } finally {
    await asked;
  }
}

/**
 * Each branch's commit, resolved once before any merge: a path-built merge takes the merge bases and
 * the trees from that one commit, so a branch that moves meanwhile (a dependency's fix cycle) is
 * merged as it was, never its new tip against its old merge bases. One git process for all of them.
 */
export async function branchCommits(root: string, branches: readonly string[]): Promise<string[]> {
  // Every name is a checked engine branch (orchestration/…), so none reads as an option.
  const run = await runGit(root, ['rev-parse', ...branches.map((b) => `refs/heads/${b}^{commit}`)]);
  const commits = run.stdout.split('\n').filter(Boolean);
  if (run.exitCode === 0 && commits.length === branches.length && commits.every((c) => FULL_ID.test(c))) return commits;
  for (const b of branches) if ((await resolveCommit(root, `refs/heads/${b}`)) === null) throw new GitError('unknown', `branch ${b} does not exist`);
  throw failure(['rev-parse', ...branches], run);
}

/** Abandons an in-progress merge, restoring the worktree to its pre-merge commit. No-op if none. */
export async function abortMerge(worktree: string): Promise<void> {
  const root = await assertEngineWorktree(worktree);
  if (await mergeInProgress(root)) await git(root, ['merge', '--abort']);
}

/** Concludes an in-progress merge whose conflicts have all been resolved and staged. */
export async function commitMerge(worktree: string, identity: GitIdentity = ENGINE_IDENTITY): Promise<string> {
  const root = await assertEngineWorktree(worktree);
  if (!(await mergeInProgress(root))) throw new GitError('unknown', `no merge is in progress in ${root}`);
  const left = await unmergedPaths(root);
  if (left.length > 0) throw new GitError('mergeConflict', `unresolved conflicts remain: ${left.join(', ')}`);
  await git(root, ['commit', '--quiet', '--no-edit'], { config: identityConfig(identity) });
  return (await git(root, ['rev-parse', 'HEAD'])).trim();
}

export interface ResolvedFile {
  path: string;
  hunks: HunkResolution[];
}

export type TrivialResolutionResult =
  /** Every conflict was trivial; the resolutions are written and staged (not yet committed). */
  | { status: 'resolved'; files: ResolvedFile[] }
  /** At least one hunk needs judgement; nothing was written. The caller aborts the merge. */
  | { status: 'nonTrivial'; files: { path: string; hunks: NonTrivialHunk[] }[] };

/**
 * Applies the trivial-conflict rules to every conflicted file. All or nothing: files are written
 * and staged only when every hunk of every file is trivial, so a half-resolved merge never exists.
 */
export async function resolveTrivialConflicts(worktree: string, files: readonly ConflictFile[]): Promise<TrivialResolutionResult> {
  const root = await assertEngineWorktree(worktree);
  const stillUnmerged = new Set(await unmergedPaths(root));
  const planned: { path: string; text: string; hunks: HunkResolution[] }[] = [];
  const refused: { path: string; hunks: NonTrivialHunk[] }[] = [];
  for (const file of files) {
    if (!stillUnmerged.has(file.path)) {
      refused.push({ path: file.path, hunks: [{ startLine: 0, reason: 'not an unmerged path of the current merge' }] });
      continue;
    }
    if (file.hunks.length === 0) {
      refused.push({ path: file.path, hunks: [{ startLine: 0, reason: file.note ?? 'no conflict hunks to resolve' }] });
      continue;
    }
    // Re-read rather than trusting `files`: the resolution must apply to what is on disk now.
    const fresh = await readConflictFile(root, file.path, undefined);
    const text = fresh.hunks.length > 0 ? await fs.readFile(path.join(root, file.path), 'utf8') : null;
    const resolution = text === null ? null : resolveConflictedText(text);
    if (resolution === null) refused.push({ path: file.path, hunks: [{ startLine: 0, reason: fresh.note ?? 'cannot read conflict' }] });
    else if (!resolution.ok) refused.push({ path: file.path, hunks: resolution.nonTrivial });
    else planned.push({ path: file.path, text: resolution.text, hunks: resolution.resolved });
  }
  if (refused.length > 0 || planned.length === 0) {
    return { status: 'nonTrivial', files: refused.length > 0 ? refused : [{ path: '.', hunks: [{ startLine: 0, reason: 'no files to resolve' }] }] };
  }
  // writeFile keeps the existing file's mode, so an executable script stays executable.
  for (const file of planned) await fs.writeFile(path.join(root, file.path), file.text);
  await git(root, ['--literal-pathspecs', 'add', '--', ...planned.map((f) => f.path)]);
  return { status: 'resolved', files: planned.map(({ path: p, hunks }) => ({ path: p, hunks })) };
}
