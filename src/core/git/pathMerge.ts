/**
 * Merges decided path by path against every merge base, for the histories where `git merge` stalls
 * and for the ones where its worktree work is the cost.
 *
 * A module branch merges its dependencies' branches and the integration branch merges every module
 * branch, so two commits the engine merges often have several merge bases (criss-cross history: in a
 * diamond, the heads of the layer below). git's ort strategy then first merges the merge bases into
 * a virtual base, recursively, and their merge bases in turn: at 200 modules that took minutes per
 * merge. Here, with two or more merge bases, each path that differs between the two sides is decided
 * on its own, as git's `resolve` strategy decides trivial paths: a side whose entry (mode and blob,
 * or absence) equals that path's entry in some merge base did not change it since, so the other
 * side's entry is taken. A path neither side left as some base had it, or that both did, is not
 * decided here: the caller runs `git merge` for it, so conflicts are found and reported as before.
 *
 * With one merge base git's merge is quick itself, but it writes the worktree and its index each time:
 * the modules of a diamond's third layer each merged five dependencies that way (one merge base each,
 * the root module's head), six modules side by side, over a second before their builders could start.
 * Built here instead, the trees are found once for the whole layer and the worktree is written once.
 * Only where neither side deleted a path since that base: then git's merge can see no rename (a rename
 * is a deletion and an addition), and where no path changed on both sides its tree is exactly this one.
 *
 * The engine's ownership rules (a builder's commit holds only its module's paths, src/core/git/
 * ownership.ts) are why that fallback is rare: every file has one writer, so its versions form a
 * line, each merge base holds one of them, and the newer side differs from the bases while the
 * older side equals the newest of them. That holds as well for a dependency that got new commits
 * after a dependent merged an older version (a fix cycle): the dependent's side equals the merge
 * base holding the older version, and the newer version is taken.
 *
 * Cost does not depend on the history's shape: merge-base, rev-parse, one diff-tree for all bases,
 * then, in an index file of its own beside the worktree's, read-tree, update-index and write-tree,
 * and commit-tree: eight git processes with the caller's move of the worktree, whatever the history.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FULL_ID } from './repo';
import { git, runGit } from './run';

export type PathMerge =
  /** The merge commit (first parent ours, second theirs), not yet checked out anywhere, and its tree. */
  | { kind: 'commit'; commit: string; tree: string }
  /** Theirs is already in ours: `git merge` makes no commit ("Already up to date"), nor does this. */
  | { kind: 'upToDate' }
  /** Left to `git merge`: no history in common, a path it must merge, or one merge base and a deletion (a possible rename). */
  | { kind: 'porcelain'; why: string };

interface DiffEntry {
  /** The entry on the diff's second side; mode 000000 when the path is absent there. */
  mode: string;
  oid: string;
}

const HEADER = /^[0-9a-f]+ [0-9a-f]+$/;

/**
 * `git diff-tree --stdin -r -z` output for tree pairs: per pair a header line "<tree> <tree>\n",
 * then ":<mode> <mode> <oid> <oid> <status>\0<path>\0" per changed path. Paths may hold any byte
 * but NUL, so the header is only looked for where an entry could start.
 */
export function parseTreePairDiffs(output: string): Array<Map<string, DiffEntry>> {
  const diffs: Array<Map<string, DiffEntry>> = [];
  let at = 0;
  while (at < output.length) {
    if (output[at] === ':') {
      const metaEnd = output.indexOf('\0', at);
      const pathEnd = output.indexOf('\0', metaEnd + 1);
      const current = diffs[diffs.length - 1];
      if (metaEnd < 0 || pathEnd < 0 || !current) throw new Error('diff-tree output ends inside an entry');
      const [, dstMode, , dstOid] = output.slice(at + 1, metaEnd).split(' ');
      current.set(output.slice(metaEnd + 1, pathEnd), { mode: dstMode!, oid: dstOid! });
      at = pathEnd + 1;
      continue;
    }
    const lineEnd = output.indexOf('\n', at);
    const header = output.slice(at, lineEnd < 0 ? undefined : lineEnd);
    if (!HEADER.test(header)) throw new Error(`unexpected diff-tree output: ${JSON.stringify(header.slice(0, 100))}`);
    diffs.push(new Map());
    at = lineEnd < 0 ? output.length : lineEnd + 1;
  }
  return diffs;
}

type Decision = { kind: 'ours' } | { kind: 'theirs'; entry: DiffEntry } | { kind: 'both'; };

/** For one path that differs between the sides: which side changed it since the merge bases. */
function decide(pathName: string, theirsEntry: DiffEntry, oursSinceBase: ReadonlyArray<Map<string, DiffEntry>>, theirsSinceBase: ReadonlyArray<Map<string, DiffEntry>>): Decision {
  const oursAsSomeBase = oursSinceBase.some((diff) => !diff.has(pathName));
  const theirsAsSomeBase = theirsSinceBase.some((diff) => !diff.has(pathName));
  if (theirsAsSomeBase && !oursAsSomeBase) return { kind: 'ours' };
  if (oursAsSomeBase && !theirsAsSomeBase) return { kind: 'theirs', entry: theirsEntry };
  // Changed on both sides, or each side as a different base had it (a revert): git's merge decides.
  return { kind: 'both' };
}

/**
 * What a caller making several merges in a row (mergeAllNoFf) knows about `ours`: commits whose
 * merge has exactly ours' ancestors besides the merges it made itself (the worktree's first commit
 * and the branches merged so far), and ours' tree. With it, the merge bases and trees are the same
 * for every module that merges the same dependencies into the same start, and are found once for
 * all of them (git merge-base with more than two commits takes the merge of the rest).
 */
export interface OursKnown {
  lineage: readonly string[];
  tree?: string;
}

/**
 * The merge of `theirsRef` into `ours` as a commit, when no path needs a content merge (and, with one
 * merge base, no path was deleted), or theirs descends from ours; else says why `git merge` should do it.
 * Touches no worktree or ref. Callers pass commit ids (merge.ts resolves each branch once): a branch
 * name would be read more than once here, and a branch moving in between merged against older bases.
 */
export async function mergeByPaths(
  root: string,
  gitDir: string,
  ours: string,
  theirsRef: string,
  message: string,
  config: readonly string[],
  known?: OursKnown,
): Promise<PathMerge> {
  const found = await treeOfMerge(root, gitDir, ours, theirsRef, known);
  if (found.kind === 'upToDate' || found.kind === 'porcelain') return found;
  const repo = repositoryOf(gitDir);
  const commitOf = (tree: string) => {
    const make = () => commitTree(root, ours, found.theirsId, tree, message, config);
    // Made ahead (mergeCommitsAhead) with these very parents, tree, message and identity: taken once.
    const key = commitKey(repo, ours, found.theirsId, tree, message, config);
    const ahead = commitsMade.get(key);
    commitsMade.delete(key);
    return ahead ? ahead.catch(make) : make();
  };
  try {
    return { kind: 'commit', commit: await commitOf(found.tree), tree: found.tree };
  } catch (err) {
    // A kept tree can be missing from the objects of a repository deleted and made again at the same
    // path within this process (same trees, new objects): forget it and merge once more. A failure
    // with a tree that is there is git's own, and is reported.
    if (found.kind !== 'merged' || !(await isMissingObject(root, found.tree))) throw err;
    treesMerged.delete(found.key);
    const again = await treeOfMerge(root, gitDir, ours, theirsRef, known);
    if (again.kind === 'upToDate' || again.kind === 'porcelain') return again;
    return { kind: 'commit', commit: await commitOf(again.tree), tree: again.tree };
  }
}

type TreeOfMerge =
  | { kind: 'upToDate' }
  | { kind: 'porcelain'; why: string }
  /** Theirs descends from ours: the merge commit has theirs' tree. */
  | { kind: 'descendant'; theirsId: string; tree: string }
  /** Decided path by path; `key` is where the tree is kept (treesMerged). */
  | { kind: 'merged'; theirsId: string; tree: string; key: string };

/** The tree of the merge of `theirsRef` into `ours`, without a commit, or why `git merge` should make it. */
async function treeOfMerge(root: string, gitDir: string, ours: string, theirsRef: string, known?: OursKnown): Promise<TreeOfMerge> {
  const repo = repositoryOf(gitDir);
  const bases = known ? await basesOfLineage(root, repo, theirsRef, known.lineage) : await mergeBases(root, [ours, theirsRef]);
  // No common history, or no such branch: `git merge` fails on it and the caller reports that.
  if (bases === null) return { kind: 'porcelain', why: 'no merge base' };
  const theirsId = FULL_ID.test(theirsRef) ? theirsRef : (await git(root, ['rev-parse', `${theirsRef}^{commit}`])).trim();
  // Theirs is an ancestor of ours (or ours itself) when it is the one merge base (ids compared as git
  // prints them). Asked first: theirs at ours' own commit would otherwise pass the descendant test
  // below and become a merge commit with no change, where `git merge` says "Already up to date".
  if (bases.length === 1 && bases[0] === theirsId) return { kind: 'upToDate' };
  // `git merge --no-ff` of a commit that descends from ours (ours is the one merge base): nothing to
  // merge, the merge commit has theirs' tree. It is the first dependency merged into a module's
  // branch from the scaffold commit, and `git merge` rewrote the worktree's files for it.
  if (bases.length === 1 && bases[0] === ours) return { kind: 'descendant', theirsId, tree: (await treesOf(root, repo, [theirsId]))[0]! };

  // One git process: ours' tree is asked with the others unless the caller knows it.
  const [oursTree, theirsTree, ...baseTrees] = known?.tree ? [known.tree, ...(await treesOf(root, repo, [theirsId, ...bases]))] : await treesOf(root, repo, [ours, theirsId, ...bases]);
  if (!oursTree || !theirsTree || baseTrees.length !== bases.length) throw new Error(`rev-parse gave too few ids for the merge of ${theirsRef}`);
  // Per repository: a tree merged in one repository may be missing from another's objects, even
  // when the trees merged are the same.
  const key = `${repo}\0${oursTree} ${theirsTree} ${[...new Set(baseTrees)].sort().join(' ')}`;
  const merged = await shared(treesMerged, key, () => mergeTrees(root, gitDir, oursTree, theirsTree, baseTrees, theirsId.length));
  if (merged.kind === 'porcelain') return merged;
  if (bases.length === 1 && merged.deletes) return { kind: 'porcelain', why: 'a path deleted since the one merge base (git may see a rename)' };
  return { kind: 'merged', theirsId, tree: merged.tree, key };
}

/**
 * The merge commits of a run of merges by path into a fresh worktree at `start` (mergeAllNoFf's),
 * made ahead and kept, with no ref moved and no worktree touched: when mergeAllNoFf then makes the same
 * merges (same parents, trees, messages and identity) it takes these commits and only checks the
 * worktree out. Stops at the first merge left to `git merge` (what follows depends on it). Merges
 * never made leave unreferenced objects, as an abandoned merge by path does.
 */
export async function mergeCommitsAhead(
  root: string,
  gitDir: string,
  start: string,
  merges: ReadonlyArray<{ theirs: string; message: string }>,
  config: readonly string[],
  /** Asked between merges: true stops (the run is stopping). */
  stop: () => boolean = () => false,
): Promise<void> {
  const repo = repositoryOf(gitDir);
  const asked = prepareMergesByPaths(root, gitDir, start, merges.map((m) => m.theirs));
  try {
    let ours = start;
    let known: OursKnown = { lineage: [start] };
    for (const m of merges) {
      if (stop()) return;
      const found = await treeOfMerge(root, gitDir, ours, m.theirs, known);
      if (found.kind === 'porcelain') return;
      if (found.kind === 'upToDate') continue;
      const parent = ours;
      ours = await shared(commitsMade, commitKey(repo, parent, found.theirsId, found.tree, m.message, config), () => commitTree(root, parent, found.theirsId, found.tree, m.message, config));
      known = { lineage: [...known.lineage, m.theirs], tree: found.tree };
    }
  } finally {
    await asked;
  }
}

/** `git commit-tree` of a merge: first parent ours, second theirs. */
function commitTree(root: string, ours: string, theirs: string, tree: string, message: string, config: readonly string[]): Promise<string> {
  return git(root, ['commit-tree', tree, '-p', ours, '-p', theirs, '-m', message], { config }).then((c) => c.trim());
}

function commitKey(repo: string, ours: string, theirs: string, tree: string, message: string, config: readonly string[]): string {
  return [repo, ours, theirs, tree, message, ...config].join('\0');
}

/**
 * What a run of merges into one worktree (mergeAllNoFf) will ask, asked now and side by side: the
 * merge bases of each step and the trees of its commits depend only on the branches merged before it
 * (assumed merged, as they nearly always are), not on the merge commits made one after another. What
 * the steps then ask is found or being found; a step that goes otherwise asks for itself. The promise
 * never rejects.
 */
export function prepareMergesByPaths(root: string, gitDir: string, start: string, theirs: readonly string[]): Promise<void> {
  const repo = repositoryOf(gitDir);
  const lineage = [start];
  const asking: Array<Promise<unknown>> = [];
  for (const t of theirs) {
    const first = lineage.length === 1;
    const asked = basesOfLineage(root, repo, t, [...lineage])
      .then((bases) => {
        // Up to date or a descendant of the start asks nothing more (or only theirs' tree).
        if (!bases || (bases.length === 1 && bases[0] === t)) return;
        if (first && bases.length === 1 && bases[0] === start) return treesOf(root, repo, [t]);
        return treesOf(root, repo, first ? [start, t, ...bases] : [t, ...bases]);
      })
      // A failure is not kept: the step itself asks again and reports it.
      .catch(() => undefined);
    asking.push(asked);
    lineage.push(t);
  }
  // Settles when every question asked here has its answer: a caller that stopped early (a conflict,
  // a merge left to git) waits for it, so no git process of its asking outlives it.
  return Promise.all(asking).then(() => undefined);
}

/** The merge bases of `theirs` and the merge of `lineage`, kept per repository and lineage. */
function basesOfLineage(root: string, repo: string, theirs: string, lineage: readonly string[]): Promise<string[] | null> {
  return shared(basesFound, `${repo}\0${theirs}\0${[...lineage].sort().join(' ')}`, () => mergeBases(root, [theirs, ...lineage]));
}

/** Whether `id` names no object in the repository of `root`. */
async function isMissingObject(root: string, id: string): Promise<boolean> {
  return (await runGit(root, ['cat-file', '-e', id])).exitCode !== 0;
}

/** `git merge-base --all` of the first commit and (the merge of) the rest; null when git finds none. */
async function mergeBases(root: string, commits: readonly string[]): Promise<string[] | null> {
  const found = await runGit(root, ['merge-base', '--all', ...commits]);
  return found.exitCode === 0 ? found.stdout.split('\n').filter(Boolean) : null;
}

/** The trees of commits (full ids), one git process for those not known yet; a commit's tree never changes. */
async function treesOf(root: string, repo: string, commits: readonly string[]): Promise<string[]> {
  const key = `${repo}\0${commits.join(' ')}`;
  return shared(commitTrees, key, async () => {
    const trees = (await git(root, ['rev-parse', ...commits.map((c) => `${c}^{tree}`)])).split('\n').filter(Boolean);
    if (trees.length !== commits.length) throw new Error(`rev-parse gave ${trees.length} trees for ${commits.length} commits`);
    return trees;
  });
}

/** The repository a git dir belongs to: a linked worktree's is <common dir>/worktrees/<id>. */
function repositoryOf(gitDir: string): string {
  const parent = path.dirname(gitDir);
  return path.basename(parent) === 'worktrees' ? path.dirname(parent) : gitDir;
}

/**
 * What git answers about commits and trees never changes, so it is kept, while it is still being
 * found too: the modules of a layer become ready in the same moment and merge the same dependencies
 * side by side (a diamond's layer: six modules, six dependencies each); kept only once found, each of
 * the six asked every question itself. A merged tree depends on the trees alone (the two sides' and
 * the merge bases'), and merge bases on the commits. With these, each module after the first makes
 * each dependency's merge commit with one git process (commit-tree) instead of seven.
 */
type TreeMerge =
  /** `deletes`: a path some merge base has is gone on one side (with one base, git's merge may see a rename there). */
  | { kind: 'tree'; tree: string; deletes: boolean }
  | { kind: 'porcelain'; why: string };

const treesMerged = new Map<string, Promise<TreeMerge>>();
const basesFound = new Map<string, Promise<string[] | null>>();
const commitTrees = new Map<string, Promise<string[]>>();
/** Merge commits made ahead (mergeCommitsAhead), each taken once by the merge it was made for. */
const commitsMade = new Map<string, Promise<string>>();
/** Per map; a key is a path and a few ids, so each stays small. */
const KEPT = 512;

/** The kept answer for `key`, or `find`'s, kept from now on; a failure is not kept (the next caller asks again). */
function shared<T>(kept: Map<string, Promise<T>>, key: string, find: () => Promise<T>): Promise<T> {
  const known = kept.get(key);
  // Another caller's failure (its worktree gone, say) is not this one's: then it asks on its own.
  if (known) return known.catch(find);
  const finding = find();
  kept.set(key, finding);
  finding.catch(() => kept.get(key) === finding && kept.delete(key));
  // The oldest goes first (a Map keeps insertion order).
  if (kept.size > KEPT) kept.delete(kept.keys().next().value!);
  return finding;
}

/** The merged tree of `oursTree` and `theirsTree` against the merge bases' trees, or why `git merge` must do it. */
async function mergeTrees(
  root: string,
  gitDir: string,
  oursTree: string,
  theirsTree: string,
  baseTrees: readonly string[],
  idLength: number,
): Promise<TreeMerge> {
  const pairs = [`${oursTree} ${theirsTree}`, ...baseTrees.flatMap((b) => [`${b} ${oursTree}`, `${b} ${theirsTree}`])];
  // Every gitlink change counts: a `.gitmodules` in the worktree (anyone's commit) or the repository's
  // config saying `ignore = all` would hide a submodule's new commit, and the older one would be kept.
  const diffs = parseTreePairDiffs(await git(root, ['diff-tree', '--stdin', '-r', '-z', '--no-renames', '--ignore-submodules=none'], { input: `${pairs.join('\n')}\n` }));
  if (diffs.length !== pairs.length) throw new Error(`diff-tree compared ${diffs.length} tree pairs, not ${pairs.length}`);
  const [between, ...sinceBase] = diffs;
  const oursSinceBase = sinceBase.filter((_, i) => i % 2 === 0);
  const theirsSinceBase = sinceBase.filter((_, i) => i % 2 === 1);

  const taken: Array<{ path: string; entry: DiffEntry }> = [];
  const kept: string[] = [];
  for (const [pathName, theirsEntry] of between!) {
    // git's output is read as UTF-8: a name with other bytes reads as U+FFFD, and written back so it
    // would name another file (or two names one). git merge takes such names as they are.
    if (pathName.includes('\uFFFD')) return { kind: 'porcelain', why: 'a path name that is not UTF-8' };
    const decision = decide(pathName, theirsEntry, oursSinceBase, theirsSinceBase);
    if (decision.kind === 'both') return { kind: 'porcelain', why: `${pathName} changed on both sides` };
    if (decision.kind === 'theirs') taken.push({ path: pathName, entry: decision.entry });
    else kept.push(pathName);
  }
  if (fileDirectoryClash(kept, taken)) return { kind: 'porcelain', why: 'a file and a directory of the same name' };
  const tree = taken.length === 0 ? oursTree : await treeWith(root, gitDir, oursTree, taken, idLength);
  if (tree === null) return { kind: 'porcelain', why: 'git refused the merged tree' };
  const deletes = sinceBase.some((diff) => [...diff.values()].some(absent));
  return { kind: 'tree', tree, deletes };
}

const absent = (e: DiffEntry) => /^0+$/.test(e.mode);

/**
 * Whether a path kept as ours is a file where a path taken from theirs needs a directory, or the
 * other way round. Each side's tree alone has no such clash, and a path both sides have alike is in
 * neither list, so these are the only pairs that can clash. git's `update-index --index-info` does
 * not refuse one: it silently drops the entry in the way, and a file would be lost from the merge.
 */
function fileDirectoryClash(kept: readonly string[], taken: ReadonlyArray<{ path: string; entry: DiffEntry }>): boolean {
  const added = taken.filter((t) => !absent(t.entry)).map((t) => t.path);
  if (added.length === 0 || kept.length === 0) return false;
  const dirsOf = (p: string) => p.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  const addedSet = new Set(added);
  const addedDirs = new Set(added.flatMap(dirsOf));
  // A kept path that is an added path's directory, or that lies under an added file.
  return kept.some((k) => addedDirs.has(k) || dirsOf(k).some((d) => addedSet.has(d)));
}

/** `base` with the given entries set (or removed), written as a tree; null when git refuses the result. */
async function treeWith(root: string, gitDir: string, base: string, entries: ReadonlyArray<{ path: string; entry: DiffEntry }>, idLength: number): Promise<string | null> {
  // An index of its own: the worktree's index and files stay as they are until the caller moves HEAD.
  // A name of its own per merge: a lock left beside a shared name by a killed git would stop every
  // later merge in this worktree.
  const indexFile = path.join(gitDir, `build-pipeline-merge-${process.pid}-${randomBytes(6).toString('hex')}.index`);
  try {
    await git(root, ['read-tree', base], { indexFile });
    // Removals first, so a file that becomes a directory (or back) is gone before its replacement comes.
    const ordered = [...entries.filter((e) => absent(e.entry)), ...entries.filter((e) => !absent(e.entry))];
    const info = ordered.map(({ path: p, entry }) => (absent(entry) ? `0 ${'0'.repeat(idLength)}\t${p}` : `${entry.mode} ${entry.oid}\t${p}`)).join('\0');
    const updated = await runGit(root, ['update-index', '--add', '-z', '--index-info'], { indexFile, input: `${info}\0` });
    if (updated.exitCode !== 0) return null;
    const written = await runGit(root, ['write-tree'], { indexFile });
    return written.exitCode === 0 ? written.stdout.trim() : null;
  } finally {
    await fs.rm(indexFile, { force: true });
  }
}
