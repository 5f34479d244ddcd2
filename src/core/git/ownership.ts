/**
 * The engine owns commits (X4). In the sandbox an agent's shell cannot commit or switch branches;
 * without it, it can run `git commit`, `git add -A`, even `git checkout -b`. None of that may decide
 * what reaches a branch. After an agent ends, the engine:
 * 1. points HEAD back at the worktree's own branch, and moves that branch back to the engine's last
 *    commit with `reset --mixed` (the agent's commits are undone, its files stay in the tree);
 * 2. commits only the changed paths the agent may change, and never a path inside a dependency or
 *    build folder (node_modules, .venv, __pycache__…), even where no .gitignore says so;
 * 3. discards everything else (tracked changes reverted, untracked files removed; ignored files such
 *    as installed dependencies stay, they are never committed) and reports it.
 */
import { quoteUntrusted } from '../contracts/names';
import { commitPaths, uncommittedPaths, type GitIdentity } from './commits';
import { GitError } from './errors';
import { branchNamedByHead, FULL_ID, isMainWorktree, resolveCommit, topLevel } from './repo';
import { ENGINE_BRANCH_PREFIX } from './branches';
import { git, runGit, splitNul } from './run';

/** Folders whose contents are installed or generated, never source: never committed by the engine. */
export const GENERATED_DIRS: readonly string[] = ['node_modules', '.venv', 'venv', '__pycache__', '.pytest_cache', '.mypy_cache', '.tox'];

export function isGeneratedPath(rel: string): boolean {
  return rel.split('/').some((segment) => GENERATED_DIRS.includes(segment));
}

export interface OwnedCommitOptions {
  /** The branch the worktree must be on (refs/heads/ omitted). */
  branch: string;
  /** The engine's last commit on that branch: everything after it is the agent's. */
  engineHead: string;
  /** Whether the agent may change this repo-relative path. */
  allowed: (rel: string) => boolean;
  message: string;
  author: GitIdentity;
}

export interface OwnedCommitResult {
  /** The engine's new commit, or null when nothing the agent may change was changed. */
  commit: string | null;
  /** HEAD after the call (the new commit, or engineHead). */
  head: string;
  /** Commits the agent made itself, undone (its files were kept and judged like the rest). */
  undoneCommits: number;
  /** The branch HEAD pointed at when the agent had switched away, if it had. */
  switchedFrom?: string;
  committed: string[];
  /** Changed paths that were not committed and were discarded from the worktree. */
  leftOut: string[];
  /**
   * Of those, the names that are not UTF-8: git's output is read as UTF-8, so such a name reads as
   * U+FFFD and cannot be handed back to git (`git add` of it fails, and failed the whole commit).
   */
  notUtf8: string[];
  /** Ignored entries (installed dependencies, caches) that appeared during the agent's run; never committed. */
  newIgnored: string[];
}

/** Ignored files and folders (collapsed to the folder), the view a `.gitignore`d node_modules shows up in. */
export async function ignoredEntries(worktree: string): Promise<string[]> {
  return splitNul(await git(worktree, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory']));
}

/** Where HEAD points and which worktree `dir` is in, from one git process when it can be. */
async function worktreeFacts(dir: string): Promise<{ root: string; isMain: boolean; ref: string; gitDir?: string; head?: string }> {
  const run = await runGit(dir, ['rev-parse', '--show-toplevel', '--path-format=absolute', '--git-dir', '--git-common-dir', 'HEAD', '--symbolic-full-name', 'HEAD']);
  const [root, gitDir, commonDir, head, ref] = run.stdout.trim().split('\n');
  if (run.exitCode === 0 && root && gitDir && commonDir && head && FULL_ID.test(head) && ref) {
    return { root, gitDir, isMain: gitDir === commonDir, ref: ref.startsWith('refs/') ? ref : '(detached HEAD)', head };
  }
  // An unborn HEAD or an unexpected shape: one question at a time, with the precise errors.
  const top = await topLevel(dir);
  const current = await runGit(top, ['symbolic-ref', '-q', 'HEAD']);
  return { root: top, isMain: await isMainWorktree(top), ref: current.exitCode === 0 ? current.stdout.trim() : '(detached HEAD)' };
}

/**
 * The engine's commit of an agent's work. About seven git processes (it was seventeen): where HEAD
 * is (and how many commits the agent made, asked only when HEAD moved), the reset, one `status` for
 * every changed path, the nested-repository check, `add`, `commit`, and the ignored entries; the
 * discard of what was left out only when there is some.
 */
export async function commitOwnedChanges(worktree: string, options: OwnedCommitOptions, ignoredBefore: readonly string[] = []): Promise<OwnedCommitResult> {
  if (!options.branch.startsWith(ENGINE_BRANCH_PREFIX)) throw new GitError('invalidName', `${quoteUntrusted(options.branch)} is not an engine branch`);
  // The agent may have switched branches, so the engine-branch check comes after HEAD is put back;
  // the main worktree (the user's) is refused before anything happens.
  const facts = await worktreeFacts(worktree);
  const root = facts.root;
  if (facts.isMain) throw new GitError('notEngineWorktree', `${root} is the repository's main worktree; the engine never changes it`);
  const wantRef = `refs/heads/${options.branch}`;
  let switchedFrom: string | undefined;
  // HEAD ends elsewhere when the agent switched branches, or made its own branch a symbolic ref to
  // another one (both only possible where its shell ran without the sandbox).
  const astray = facts.ref !== wantRef;
  if (astray && (facts.gitDir === undefined || (await branchNamedByHead(facts.gitDir)) !== wantRef)) {
    // Re-point HEAD without touching the files: the agent's work stays to be judged below.
    switchedFrom = facts.ref.replace(/^refs\/heads\//, '');
    await git(root, ['symbolic-ref', 'HEAD', wantRef]);
  }
  // HEAD is on `options.branch` now, an engine branch, in a linked worktree: what assertEngineWorktree checks.
  // The count of the agent's own commits is asked beside the check of the engine's commit when that
  // is a full id (nothing else may reach rev-list's arguments unchecked).
  const counting = (id: string) => runGit(root, ['rev-list', '--count', `${id}..HEAD`]);
  // The usual case: HEAD is still at the engine's commit (the agent made none), nothing to ask.
  const atEngineHead = !astray && facts.head !== undefined && facts.head === options.engineHead;
  const early = !atEngineHead && FULL_ID.test(options.engineHead) ? counting(options.engineHead) : undefined;
  const engineHead = atEngineHead ? options.engineHead : await resolveCommit(root, options.engineHead);
  if (engineHead === null) {
    await early;
    throw new GitError('unknown', `${quoteUntrusted(options.engineHead)} is not a commit`);
  }
  const ahead = atEngineHead ? undefined : await (early ?? counting(engineHead));
  const undoneCommits = ahead?.exitCode === 0 ? Number.parseInt(ahead.stdout.trim(), 10) || 0 : 0;
  // The reset below moves whatever HEAD ends at: a symbolic branch would carry it to the branch it
  // names (the integration branch, say). The branch becomes a plain ref at the engine's commit first,
  // which is where the reset puts it anyway.
  if (astray) await git(root, ['update-ref', '--no-deref', wantRef, engineHead]);
  // HEAD, index and branch back to the engine's commit; the files stay. After this every change
  // of the agent is an uncommitted one, and `status` lists them all.
  await git(root, ['reset', '--quiet', '--mixed', engineHead]);
  const changed = (await uncommittedPaths(root)).sort();
  const notUtf8 = changed.filter((p) => p.includes('\uFFFD'));
  const committed = changed.filter((p) => options.allowed(p) && !isGeneratedPath(p) && !notUtf8.includes(p));
  const leftOut = changed.filter((p) => !committed.includes(p));
  // With nothing to clean up, the ignored files are listed while the commit is made (a commit never
  // changes them); after a clean-up they are listed after it, since removing the untracked files of a
  // folder changes how `ls-files --directory` lists its ignored ones.
  const ignoredBeside = leftOut.length ? undefined : ignoredEntries(root);
  // Listed now, so a commit failure cannot leave the listing's rejection unhandled.
  ignoredBeside?.catch(() => undefined);
  const commit = committed.length ? await commitPaths(root, options.message, options.author, committed) : null;
  const head = commit ?? engineHead;
  // What is left is exactly what may not be committed: make the worktree equal the branch again
  // (untracked files removed, never ignored ones such as installed dependencies).
  if (leftOut.length) {
    await git(root, ['reset', '--quiet', '--hard', head]);
    await git(root, ['clean', '--force', '-d', '--quiet']);
  }
  const before = new Set(ignoredBefore);
  const newIgnored = (await (ignoredBeside ?? ignoredEntries(root))).filter((p) => !before.has(p));
  return { commit, head, undoneCommits, ...(switchedFrom ? { switchedFrom } : {}), committed, leftOut, notUtf8, newIgnored };
}

/** A bounded, readable list of paths for a prompt, an event or a report. */
export function summarizePaths(paths: readonly string[], max = 20): string {
  if (paths.length <= max) return paths.join(', ');
  return `${paths.slice(0, max).join(', ')} and ${paths.length - max} more`;
}

/** One sentence about what the engine did with an agent's changes, or '' when there is nothing to say. */
export function describeOwnership(agent: string, r: OwnedCommitResult): string {
  const parts: string[] = [];
  if (r.switchedFrom) parts.push(`${agent} had switched the worktree to ${quoteUntrusted(r.switchedFrom)}; it was put back on its branch`);
  if (r.undoneCommits) parts.push(`${agent} made ${r.undoneCommits} commit(s) of its own; the engine undid them, kept the files and committed only what it may change`);
  const outside = r.leftOut.filter((p) => !r.notUtf8.includes(p));
  if (outside.length) parts.push(`left out of the commit and discarded (outside what ${agent} may change): ${summarizePaths(outside)}`);
  if (r.notUtf8.length) parts.push(`left out of the commit and discarded (file names that are not UTF-8; use UTF-8 names): ${summarizePaths(r.notUtf8)}`);
  if (r.newIgnored.length) parts.push(`ignored files it created were not committed: ${summarizePaths(r.newIgnored)}`);
  return parts.join('; ');
}
