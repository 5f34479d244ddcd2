/**
 * Merges over criss-cross history (several merge bases), as a run makes them: module branches from
 * the scaffold that merge their dependencies' branches, and an integration branch merging every
 * module branch. Such merges are built path by path (git/pathMerge.ts) instead of by git's recursive
 * merge; each result is checked against the tree `git merge-tree --write-tree` (git's own merge)
 * gives for the same two commits, and a dependency updated after a dependent merged it (a fix
 * cycle) must come out at its newer version, with nothing dropped and no conflict.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { integrationBranch, moduleBranch } from '../../src/core/git/branches';
import { commitAll } from '../../src/core/git/commits';
import { abortMerge, mergeAllNoFf, mergeNoFf } from '../../src/core/git/merge';
import { mergeByPaths, mergeCommitsAhead, parseTreePairDiffs } from '../../src/core/git/pathMerge';
import { ENGINE_IDENTITY, identityConfig } from '../../src/core/git/commits';
import { stats as gitStarts } from '../../src/core/git/spawner';
import { createWorktree } from '../../src/core/git/worktrees';
import { sh, write } from '../support/gitFixture';

const RUN = '20250101-120000-c0ffee00';
const BUILDER = { name: 'Builder Bot', email: 'builder@example.invalid' };


const read = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');

describe('merges over criss-cross history (real git)', () => {
  let dir: string;
  let repo: string;
  let scaffold: string;
  let integration: string;

  /** git's own merge of two commits (ort, recursive merge bases): the tree, or null on conflict. */
  function gitsOwnMergeTree(ours: string, theirs: string): string | null {
    try {
      return sh(repo, 'merge-tree', '--write-tree', ours, theirs).split('\n')[0]!;
    } catch {
      return null;
    }
  }

  /** Asserts `commit` is a merge of exactly (ours, theirs) with the tree git's own merge gives. */
  function assertSameAsGitsMerge(commit: string, message: string): void {
    const [ours, theirs, ...more] = sh(repo, 'log', '-1', '--format=%P', commit).split(' ');
    assert.equal(more.length, 0);
    assert.equal(sh(repo, 'rev-parse', `${commit}^{tree}`), gitsOwnMergeTree(ours!, theirs!), `tree of ${message}`);
    assert.equal(sh(repo, 'log', '-1', '--format=%B', commit), message);
    assert.equal(sh(repo, 'log', '-1', '--format=%an <%ae>|%cn', commit), 'Build Pipeline <build-pipeline@localhost>|Build Pipeline');
  }

  const mergeBaseCount = (a: string, b: string) => sh(repo, 'merge-base', '--all', a, b).split('\n').filter(Boolean).length;

  /** A module as a run builds it: a worktree from the scaffold, its dependencies merged, its own folder committed. */
  async function buildModule(name: string, deps: string[], version = 'v1'): Promise<string> {
    const wt = (await createWorktree(repo, path.join(dir, name), moduleBranch(RUN, name), scaffold)).path;
    const merged = await mergeAllNoFf(wt, deps.map((d) => ({ branch: moduleBranch(RUN, d), message: `build(${name}): bring in dependency ${d}` })));
    assert.equal(merged.status, 'clean');
    await commitVersion(wt, name, version);
    return wt;
  }

  async function commitVersion(wt: string, name: string, version: string): Promise<void> {
    write(wt, `src/${name}/index.js`, `module.exports = '${name} ${version}';\n`);
    write(wt, `src/${name}/${version}.txt`, `${version}\n`);
    assert.ok(await commitAll(wt, `build(${name}): ${version}`, BUILDER, [`src/${name}`]));
  }

  async function integrate(name: string, message = `integrate: merge ${name} module`): Promise<string> {
    const merged = await mergeNoFf(integration, moduleBranch(RUN, name), message);
    assert.equal(merged.status, 'clean', `merge of ${name}`);
    return merged.status === 'clean' ? merged.commit : '';
  }

  beforeEach(newRepository);

  async function newRepository(): Promise<void> {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-criss-')));
    repo = path.join(dir, 'repo');
    fs.mkdirSync(repo);
    sh(repo, 'init', '-q', '-b', 'main');
    write(repo, 'README.md', '# criss-cross\n');
    write(repo, 'src/shared/config.js', "module.exports = { port: 8080 };\n");
    sh(repo, 'add', '.');
    sh(repo, 'commit', '-q', '-m', 'scaffold');
    scaffold = sh(repo, 'rev-parse', 'HEAD');
    integration = (await createWorktree(repo, path.join(dir, 'integration'), integrationBranch(RUN), scaffold)).path;
  }
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds the merges of a two-layer diamond path by path: git merge’s trees, parents, messages and author', async () => {
    // x1, x2 → y1, y2 → z (z also needs x3, merged after the criss-cross one: a plain merge after path-built ones).
    for (const root of ['x1', 'x2', 'x3']) await buildModule(root, []);
    await buildModule('y1', ['x1', 'x2']);
    await buildModule('y2', ['x1', 'x2']);
    const yHeads = [sh(repo, 'rev-parse', moduleBranch(RUN, 'y1')), sh(repo, 'rev-parse', moduleBranch(RUN, 'y2'))];
    const z = await buildModule('z', ['y1', 'y2', 'x3']);

    // z's merge of y2 had the heads of x1 and x2 as merge bases.
    const zMerges = sh(z, 'log', '--first-parent', '--merges', '--format=%H %s').split('\n').reverse();
    assert.deepEqual(zMerges.map((l) => l.slice(41)), ['build(z): bring in dependency y1', 'build(z): bring in dependency y2', 'build(z): bring in dependency x3']);
    const y2Merge = zMerges[1]!.slice(0, 40);
    assert.equal(mergeBaseCount(`${y2Merge}^1`, `${y2Merge}^2`), 2);
    assert.equal(sh(repo, 'rev-parse', `${y2Merge}^2`), yHeads[1]);
    for (const line of zMerges) assertSameAsGitsMerge(line.slice(0, 40), line.slice(41));
    const zGitDir = sh(z, 'rev-parse', '--path-format=absolute', '--git-dir');
    const again = await mergeByPaths(z, zGitDir, sh(repo, 'rev-parse', `${y2Merge}^1`), `refs/heads/${moduleBranch(RUN, 'y2')}`, 'probe', []);
    assert.equal(again.kind, 'commit', 'that merge is built path by path, not left to git merge');
    assert.equal(again.kind === 'commit' && sh(repo, 'rev-parse', `${again.commit}^{tree}`), sh(repo, 'rev-parse', `${y2Merge}^{tree}`));
    assert.equal(sh(z, 'status', '--porcelain'), '', 'the worktree holds the last merge, nothing left over');
    assert.equal(read(z, 'src/y2/index.js'), "module.exports = 'y2 v1';\n");
    assert.equal(read(z, 'src/x3/index.js'), "module.exports = 'x3 v1';\n");

    const before = sh(integration, 'rev-parse', 'HEAD');
    for (const name of ['x1', 'x2', 'x3', 'y1', 'y2']) await integrate(name);
    assert.ok(mergeBaseCount(integrationBranch(RUN), moduleBranch(RUN, 'z')) >= 2, 'integration and z have several merge bases');
    const zMerge = await integrate('z');
    assertSameAsGitsMerge(zMerge, 'integrate: merge z module');
    assert.equal(sh(repo, 'rev-parse', `${zMerge}^2`), sh(repo, 'rev-parse', moduleBranch(RUN, 'z')));
    assert.deepEqual(
      sh(integration, 'log', '--first-parent', '--merges', '--format=%s', `${before}..HEAD`).split('\n').reverse(),
      ['x1', 'x2', 'x3', 'y1', 'y2', 'z'].map((n) => `integrate: merge ${n} module`),
    );
    assert.equal(sh(integration, 'status', '--porcelain'), '');
    assert.equal(sh(integration, 'ls-files', 'src').split('\n').filter((f) => f.endsWith('index.js')).length, 6);
    // Merged again (a resume): nothing to do.
    assert.deepEqual(await mergeNoFf(integration, moduleBranch(RUN, 'z'), 'again'), { status: 'upToDate', commit: zMerge });
  });

  it('builds a sibling’s merges of the same dependencies from the trees already merged: git merge’s trees, fewer git processes', async () => {
    for (const root of ['x1', 'x2', 'x3']) await buildModule(root, []);
    await buildModule('y1', ['x1', 'x2']);
    await buildModule('y2', ['x1', 'x2']);
    const treeBuilding = () => ['git diff-tree', 'git read-tree', 'git update-index', 'git write-tree'].reduce((n, c) => n + (gitStarts[c]?.count ?? 0), 0);
    const mergeBases = () => gitStarts['git merge-base']?.count ?? 0;
    const before = treeBuilding();
    const basesBefore = mergeBases();
    const z1 = await buildModule('z1', ['y1', 'y2', 'x3']);
    const first = treeBuilding() - before;
    const firstBases = mergeBases() - basesBefore;
    const z2 = await buildModule('z2', ['y1', 'y2', 'x3']);
    const second = treeBuilding() - before - first;
    assert.ok(first > 0, 'z1’s merge of y2 was built path by path');
    assert.equal(second, 0, 'z2 merged the same trees: none was built again');
    assert.equal(firstBases, 3, 'one merge-base per dependency of z1');
    assert.equal(mergeBases() - basesBefore - firstBases, 0, 'z2 merged the same dependencies into the same start: their merge bases were known');
    for (const wt of [z1, z2]) {
      for (const line of sh(wt, 'log', '--first-parent', '--merges', '--format=%H %s').split('\n')) assertSameAsGitsMerge(line.slice(0, 40), line.slice(41));
      assert.equal(sh(wt, 'status', '--porcelain'), '');
    }
    assert.equal(sh(repo, 'rev-parse', `${moduleBranch(RUN, 'z1')}~1^{tree}`), sh(repo, 'rev-parse', `${moduleBranch(RUN, 'z2')}~1^{tree}`));
  });

  it('merges the same dependencies into siblings side by side with each merge base and tree found once: git merge’s trees', async () => {
    for (const root of ['x1', 'x2', 'x3']) await buildModule(root, []);
    await buildModule('y1', ['x1', 'x2']);
    await buildModule('y2', ['x1', 'x2']);
    const counts = () => ['git merge-base', 'git diff-tree', 'git write-tree'].map((c) => gitStarts[c]?.count ?? 0);
    const before = counts();
    // Both start in the same moment, as a layer's modules do when their last dependency passes.
    const [z1, z2] = await Promise.all([buildModule('z1', ['y1', 'y2', 'x3']), buildModule('z2', ['y1', 'y2', 'x3'])]);
    const [bases, diffs, writes] = counts().map((n, i) => n - before[i]!);
    assert.equal(bases, 3, 'one merge-base per dependency, for both modules');
    assert.ok(diffs! >= 1 && diffs === writes, `each merged tree built once (${diffs} diff-tree, ${writes} write-tree)`);
    for (const wt of [z1, z2]) {
      for (const line of sh(wt, 'log', '--first-parent', '--merges', '--format=%H %s').split('\n')) assertSameAsGitsMerge(line.slice(0, 40), line.slice(41));
      assert.equal(sh(wt, 'status', '--porcelain'), '');
    }
  });

  it('merges made ahead (as dependencies passed) are taken by the module’s merges: git merge’s trees, nothing moved early', async () => {
    for (const root of ['x1', 'x2', 'x3', 'x4']) await buildModule(root, []);
    // y1 and y2 each merge three roots: every merge but the first has one merge base (the scaffold);
    // z's merge of y2 has three (the roots' heads), its merge of x4 one.
    await buildModule('y1', ['x1', 'x2', 'x3']);
    await buildModule('y2', ['x1', 'x2', 'x3']);
    const deps = ['y1', 'y2', 'x4'];
    const gitDir = sh(integration, 'rev-parse', '--path-format=absolute', '--git-dir');
    const headBefore = sh(integration, 'rev-parse', 'HEAD');
    const commitsBefore = sh(repo, 'rev-list', '--count', '--all');
    const refsBefore = sh(repo, 'for-each-ref');
    // The first two merges made ahead (x4 had not passed yet), with the messages buildModule uses.
    const ahead = deps.slice(0, 2).map((d) => ({ theirs: sh(repo, 'rev-parse', moduleBranch(RUN, d)), message: `build(z): bring in dependency ${d}` }));
    await mergeCommitsAhead(integration, gitDir, scaffold, ahead, identityConfig(ENGINE_IDENTITY));
    assert.equal(sh(repo, 'for-each-ref'), refsBefore, 'no ref moved');
    assert.equal(sh(repo, 'rev-list', '--count', '--all'), commitsBefore, 'nothing reachable added');
    assert.equal(sh(integration, 'rev-parse', 'HEAD'), headBefore, 'the worktree it ran in is untouched');
    assert.equal(sh(integration, 'status', '--porcelain'), '');
    const count = (c: string) => gitStarts[c]?.count ?? 0;
    const work = () => ['git merge-base', 'git diff-tree', 'git write-tree', 'git commit-tree', 'git merge'].map(count);
    const before = work();
    const z = await buildModule('z', deps);
    // Only x4's merge is made now: its merge base, tree and commit.
    assert.deepEqual(work().map((n, i) => n - before[i]!), [1, 1, 1, 1, 0], 'the two merges made ahead were taken');
    for (const line of sh(z, 'log', '--first-parent', '--merges', '--format=%H %s').split('\n')) assertSameAsGitsMerge(line.slice(0, 40), line.slice(41));
    assert.equal(sh(z, 'status', '--porcelain'), '');
  });

  it('never takes a merged tree from another repository with the same trees (its objects may be missing here)', async () => {
    // The same history built twice, in two repositories: same trees, different commits.
    const build = async () => {
      for (const root of ['x1', 'x2']) await buildModule(root, []);
      await buildModule('y1', ['x1', 'x2']);
      await buildModule('y2', ['x1', 'x2']);
      return buildModule('z', ['y1', 'y2']);
    };
    await build();
    const firstDir = dir;
    await newRepository();
    fs.rmSync(firstDir, { recursive: true, force: true });
    const z = await build();
    for (const line of sh(z, 'log', '--first-parent', '--merges', '--format=%H %s').split('\n')) assertSameAsGitsMerge(line.slice(0, 40), line.slice(41));
    assert.equal(sh(repo, 'fsck', '--connectivity-only', '--no-dangling', '--no-progress'), '', 'every merge commit’s tree is in this repository');
  });

  it('takes the newer version of a dependency updated after a dependent merged it (fix cycle), dropping nothing', async () => {
    await buildModule('x1', []);
    await buildModule('x2', []);
    const zWt = await buildModule('z', ['x1', 'x2']);
    await integrate('x1');
    await integrate('x2');
    // x1 goes back to its builder (say its merge was red after z's tests): integration brought in, a new version.
    const x1Wt = path.join(dir, 'x1');
    assert.equal((await mergeNoFf(x1Wt, integrationBranch(RUN), 'refix(x1): bring in the integration branch')).status, 'clean');
    await commitVersion(x1Wt, 'x1', 'v2');
    await integrate('x1', 'refix: merge x1 again after its fix cycle');

    // z merged x1 at v1; integration has v2. Several merge bases, and the newer x1 must win.
    assert.ok(mergeBaseCount(integrationBranch(RUN), moduleBranch(RUN, 'z')) >= 2);
    const direct = await mergeByPaths(integration, sh(integration, 'rev-parse', '--path-format=absolute', '--git-dir'), sh(integration, 'rev-parse', 'HEAD'), `refs/heads/${moduleBranch(RUN, 'z')}`, 'probe', []);
    assert.equal(direct.kind, 'commit', 'built path by path, not left to git merge');
    const zMerge = await integrate('z');
    assertSameAsGitsMerge(zMerge, 'integrate: merge z module');
    assert.equal(read(integration, 'src/x1/index.js'), "module.exports = 'x1 v2';\n");
    assert.ok(fs.existsSync(path.join(integration, 'src/x1/v1.txt')) && fs.existsSync(path.join(integration, 'src/x1/v2.txt')));
    assert.equal(read(integration, 'src/z/index.js'), "module.exports = 'z v1';\n");

    // Now z goes back to its builder: integration (with x1 v2) is merged into it, z changes, and is merged again.
    assert.equal((await mergeNoFf(zWt, integrationBranch(RUN), 'refix(z): bring in the integration branch')).status, 'clean');
    assert.equal(read(zWt, 'src/x1/index.js'), "module.exports = 'x1 v2';\n");
    await commitVersion(zWt, 'z', 'v2');
    const again = await integrate('z', 'refix: merge z again after its fix cycle');
    assertSameAsGitsMerge(again, 'refix: merge z again after its fix cycle');
    assert.equal(read(integration, 'src/z/index.js'), "module.exports = 'z v2';\n");
    assert.equal(read(integration, 'src/x1/index.js'), "module.exports = 'x1 v2';\n");

    // A module started after both fix cycles brings them in: its merges agree with git's too.
    const late = await buildModule('late', ['z', 'x1']);
    for (const line of sh(late, 'log', '--first-parent', '--merges', '--format=%H %s').split('\n')) assertSameAsGitsMerge(line.slice(0, 40), line.slice(41));
    assert.equal(read(late, 'src/x1/index.js'), "module.exports = 'x1 v2';\n");
  });

  it('still reports a real conflict (a file outside every module changed on both sides) as git merge does', async () => {
    await buildModule('x1', []);
    await buildModule('x2', []);
    const yWt = await buildModule('y', ['x1', 'x2']);
    write(yWt, 'src/shared/config.js', 'module.exports = { port: 3000 };\n');
    assert.ok(await commitAll(yWt, 'y: shared config', BUILDER, ['src/shared']));
    await integrate('x1');
    await integrate('x2');
    const wWt = await buildModule('w', ['x1', 'x2']);
    write(wWt, 'src/shared/config.js', 'module.exports = { port: 4000 };\n');
    assert.ok(await commitAll(wWt, 'w: shared config', BUILDER, ['src/shared']));
    await integrate('w');
    assert.ok(mergeBaseCount(integrationBranch(RUN), moduleBranch(RUN, 'y')) >= 2);

    const before = sh(integration, 'rev-parse', 'HEAD');
    const result = await mergeNoFf(integration, moduleBranch(RUN, 'y'), 'integrate: merge y module');
    assert.equal(result.status, 'conflict');
    const files = result.status === 'conflict' ? result.files : [];
    assert.deepEqual(files.map((f) => f.path), ['src/shared/config.js']);
    assert.equal(files[0]!.hunks.length, 1);
    assert.equal(files[0]!.hunks[0]!.ours, 'module.exports = { port: 4000 };\n');
    assert.equal(files[0]!.hunks[0]!.theirs, 'module.exports = { port: 3000 };\n');
    assert.equal(gitsOwnMergeTree(before, moduleBranch(RUN, 'y')), null, 'git’s own merge conflicts too');
    await abortMerge(integration);
    assert.equal(sh(integration, 'rev-parse', 'HEAD'), before);
    assert.equal(sh(integration, 'status', '--porcelain'), '');
  });

  it('leaves a file reverted on one side to git merge instead of guessing which merge base counts', async () => {
    // x1 changes the README, x2 does not; y brings in both, then puts the README back as it was.
    const x1Wt = (await createWorktree(repo, path.join(dir, 'x1'), moduleBranch(RUN, 'x1'), scaffold)).path;
    write(x1Wt, 'README.md', '# changed by x1\n');
    assert.ok(await commitAll(x1Wt, 'x1: readme', BUILDER, ['README.md']));
    await buildModule('x2', []);
    const yWt = await buildModule('y', ['x1', 'x2']);
    write(yWt, 'README.md', '# criss-cross\n');
    assert.ok(await commitAll(yWt, 'y: readme back', BUILDER, ['README.md']));
    await integrate('x1');
    await integrate('x2');
    // Integration's README is x1's merge base's, y's is x2's: each side "unchanged" against some base.
    const gitDir = sh(integration, 'rev-parse', '--path-format=absolute', '--git-dir');
    const probe = await mergeByPaths(integration, gitDir, sh(integration, 'rev-parse', 'HEAD'), `refs/heads/${moduleBranch(RUN, 'y')}`, 'probe', []);
    assert.deepEqual(probe, { kind: 'porcelain', why: 'README.md changed on both sides' });
    const merged = await integrate('y');
    assertSameAsGitsMerge(merged, 'integrate: merge y module');
    assert.equal(read(integration, 'README.md'), '# criss-cross\n', 'y’s revert is kept, as git merge keeps it');
  });

  it('refuses what git merge refuses: a missing branch, a dirty worktree, an untracked file in the way; a stale index is no reason', async () => {
    await buildModule('x1', []);
    await buildModule('x2', []);
    await buildModule('y', ['x1', 'x2']);
    await integrate('x1');
    await integrate('x2');
    await assert.rejects(mergeNoFf(integration, moduleBranch(RUN, 'nowhere'), 'x'), /does not exist/);
    write(integration, 'README.md', 'dirty\n');
    await assert.rejects(mergeNoFf(integration, moduleBranch(RUN, 'y'), 'x'), /uncommitted changes/);
    sh(integration, 'checkout', '--', 'README.md');

    // y's merge has two merge bases, so it is built path by path; y's file is in the way, untracked.
    const before = sh(integration, 'rev-parse', 'HEAD');
    write(integration, 'src/y/index.js', 'mine\n');
    await assert.rejects(mergeNoFf(integration, moduleBranch(RUN, 'y'), 'integrate: merge y module'), /would be overwritten/);
    assert.equal(sh(integration, 'rev-parse', 'HEAD'), before);
    assert.equal(read(integration, 'src/y/index.js'), 'mine\n', 'nothing of the user-visible tree was touched');
    fs.rmSync(path.join(integration, 'src/y/index.js'));

    // A tracked file the merge changes, rewritten with the same content later: the index's stats are stale.
    write(integration, 'src/x1/index.js', read(integration, 'src/x1/index.js'));
    fs.utimesSync(path.join(integration, 'src/x1/index.js'), new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const x1Wt = path.join(dir, 'x1');
    await commitVersion(x1Wt, 'x1', 'v2');
    assert.equal((await mergeNoFf(path.join(dir, 'y'), moduleBranch(RUN, 'x1'), 'refix(y): newer x1')).status, 'clean');
    const merged = await integrate('y');
    assertSameAsGitsMerge(merged, 'integrate: merge y module');
    assert.equal(read(integration, 'src/x1/index.js'), "module.exports = 'x1 v2';\n");
  });
});

describe('parseTreePairDiffs', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  const zero = '0'.repeat(40);

  it('reads one map per tree pair, paths with spaces, colons and newlines included, empty pairs too', () => {
    const out = `${a} ${b}\n:100644 100755 ${a} ${b} M\0odd :name\nwith newline\0:100644 000000 ${a} ${zero} D\0gone\0${b} ${b}\n${b} ${a}\n:000000 120000 ${zero} ${a} A\0:link\0`;
    const diffs = parseTreePairDiffs(out);
    assert.equal(diffs.length, 3);
    assert.deepEqual([...diffs[0]!], [
      ['odd :name\nwith newline', { mode: '100755', oid: b }],
      ['gone', { mode: '000000', oid: zero }],
    ]);
    assert.equal(diffs[1]!.size, 0);
    assert.deepEqual([...diffs[2]!], [[':link', { mode: '120000', oid: a }]]);
  });

  it('refuses output it does not understand instead of deciding on part of it', () => {
    assert.throws(() => parseTreePairDiffs(`:100644 100644 ${a} ${b} M\0x\0`), /ends inside an entry|unexpected/);
    assert.throws(() => parseTreePairDiffs(`${a} ${b}\n:100644 100644 ${a} ${b} M\0x`), /ends inside an entry/);
    assert.throws(() => parseTreePairDiffs('fatal: bad tree\n'), /unexpected diff-tree output/);
  });
});
