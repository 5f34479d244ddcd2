/**
 * Merges over criss-cross history built path by path (src/core/git/pathMerge.ts), case by case
 * against git's own merge: file modes (exec bit, symlinks, gitlinks), deletions against changes,
 * add/add, binary files, a file that becomes a directory and back, odd path names (spaces, newlines,
 * unicode, leading dashes, bytes that are not UTF-8), an empty result, renames. Each case runs on two
 * histories: x1 and x2 from the scaffold, then either y (theirs) and the integration branch (ours)
 * each merging both (two merge bases), or y merging x2 and the integration branch x1 (one merge base,
 * the scaffold); then each side commits the case's change. Where git's own merge (`git merge-tree
 * --write-tree`) is clean, the engine's merge must give the same tree; where git's conflicts, the
 * engine's must report a conflict. With one merge base a deletion on either side leaves the merge to
 * git (it may follow a rename there).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { integrationBranch, moduleBranch } from '../../src/core/git/branches';
import { abortMerge, mergeAllNoFf, mergeNoFf } from '../../src/core/git/merge';
import { mergeByPaths } from '../../src/core/git/pathMerge';
import { createWorktree } from '../../src/core/git/worktrees';
import { sh, write } from '../support/gitFixture';

const RUN = '20250101-120000-c0ffee00';
const GITLINK_A = '1'.repeat(40);
const GITLINK_B = '2'.repeat(40);


/** Commits everything in `wt` as it is now (plain git: the case's change is not a builder's). */
function commitRaw(wt: string, message: string): void {
  sh(wt, 'add', '-A');
  sh(wt, 'commit', '-q', '--allow-empty', '-m', message);
}

/** A gitlink (a submodule's commit) at `rel`, staged without a submodule checkout (an empty folder, as git leaves one). */
function stageGitlink(wt: string, rel: string, commit: string): void {
  fs.mkdirSync(path.join(wt, rel), { recursive: true });
  sh(wt, 'update-index', '--add', '--cacheinfo', `160000,${commit},${rel}`);
}

interface Case {
  name: string;
  /** Changes on the integration branch (ours) and on y (theirs), each committed after. */
  ours?: (wt: string) => void;
  theirs?: (wt: string) => void;
  /** Whether the merge is built path by path (else it is left to `git merge`). */
  byPaths: boolean;
  /** A side deletes a path the merge base has: with one merge base the merge is then left to `git merge`. */
  deletes?: true;
  /** Extra checks on the merged integration worktree. */
  after?: (wt: string) => void;
}

const HISTORIES = [
  { name: 'two merge bases', oursMerges: ['x1', 'x2'], theirsMerge: ['x1', 'x2'], bases: 2 },
  { name: 'one merge base', oursMerges: ['x1'], theirsMerge: ['x2'], bases: 1 },
] as const;

for (const history of HISTORIES) describe(`merges built path by path, case by case against git’s own merge, ${history.name} (real git)`, () => {
  let dir: string;
  let repo: string;
  let integration: string;
  let yWt: string;

  beforeEach(async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bp-pathmerge-')));
    repo = path.join(dir, 'repo');
    fs.mkdirSync(repo);
    sh(repo, 'init', '-q', '-b', 'main');
    // The user's merge.log would add a shortlog to `git merge`'s message, never to a merge built by path.
    sh(repo, 'config', 'merge.log', 'true');
    write(repo, 'README.md', '# path merge\n');
    write(repo, 'src/shared/config.js', 'module.exports = { port: 8080 };\n');
    write(repo, 'assets/logo.bin', Buffer.from([0, 1, 2, 3, 0, 255, 254, 0]));
    fs.symlinkSync('README.md', path.join(repo, 'link'));
    write(repo, '.gitmodules', '[submodule "vendor/lib"]\n\tpath = vendor/lib\n\turl = ./nowhere\n\tignore = all\n');
    sh(repo, 'add', '-A');
    stageGitlink(repo, 'vendor/lib', GITLINK_A);
    sh(repo, 'commit', '-q', '-m', 'scaffold');
    const scaffold = sh(repo, 'rev-parse', 'HEAD');
    integration = (await createWorktree(repo, path.join(dir, 'integration'), integrationBranch(RUN), scaffold)).path;
    for (const x of ['x1', 'x2']) {
      const wt = (await createWorktree(repo, path.join(dir, x), moduleBranch(RUN, x), scaffold)).path;
      write(wt, `src/${x}/index.js`, `module.exports = '${x}';\n`);
      commitRaw(wt, `build(${x})`);
    }
    yWt = (await createWorktree(repo, path.join(dir, 'y'), moduleBranch(RUN, 'y'), scaffold)).path;
    for (const [wt, merges] of [[yWt, history.theirsMerge], [integration, history.oursMerges]] as const) {
      // Messages of their own: the same merge made twice in one second would be one commit, not a criss-cross.
      const merged = await mergeAllNoFf(wt, merges.map((x) => ({ branch: moduleBranch(RUN, x), message: `${wt === yWt ? 'y' : 'integration'}: merge ${x}` })));
      assert.equal(merged.status, 'clean');
    }
    assert.equal(sh(repo, 'merge-base', '--all', integrationBranch(RUN), moduleBranch(RUN, 'y')).split('\n').length, history.bases, history.name);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** git's own merge of the two branches: its tree, or null when it conflicts. */
  function gitsOwnMergeTree(): string | null {
    try {
      return sh(repo, 'merge-tree', '--write-tree', integrationBranch(RUN), moduleBranch(RUN, 'y')).split('\n')[0]!;
    } catch {
      return null;
    }
  }

  async function check(c: Case): Promise<void> {
    if (c.ours) {
      c.ours(integration);
      commitRaw(integration, `ours: ${c.name}`);
    }
    if (c.theirs) {
      c.theirs(yWt);
      commitRaw(yWt, `theirs: ${c.name}`);
    }
    const expected = gitsOwnMergeTree();
    const gitDir = sh(integration, 'rev-parse', '--path-format=absolute', '--git-dir');
    const before = sh(integration, 'rev-parse', 'HEAD');
    const probe = await mergeByPaths(integration, gitDir, before, `refs/heads/${moduleBranch(RUN, 'y')}`, 'probe', []);
    const byPaths = c.byPaths && !(history.bases === 1 && c.deletes);
    assert.equal(probe.kind, byPaths ? 'commit' : 'porcelain', `${c.name}: ${probe.kind === 'porcelain' ? probe.why : 'built by path'}`);
    const result = await mergeNoFf(integration, moduleBranch(RUN, 'y'), `integrate: ${c.name}`);
    if (expected === null) {
      assert.equal(result.status, 'conflict', `${c.name}: git's own merge conflicts`);
      await abortMerge(integration);
      assert.equal(sh(integration, 'rev-parse', 'HEAD'), before);
      return;
    }
    assert.equal(result.status, 'clean', c.name);
    assert.equal(sh(integration, 'rev-parse', 'HEAD^{tree}'), expected, `${c.name}: the tree of git's own merge`);
    assert.equal(sh(integration, 'log', '-1', '--format=%B', 'HEAD'), `integrate: ${c.name}`, `${c.name}: the engine's message alone, whichever way it was made`);
    assert.equal(sh(integration, 'status', '--porcelain', '--ignore-submodules=none'), '', `${c.name}: the worktree holds the merge`);
    c.after?.(integration);
  }

  const cases: Case[] = [
    { name: 'exec bit set on theirs', theirs: (wt) => fs.chmodSync(path.join(wt, 'src/shared/config.js'), 0o755), byPaths: true, after: (wt) => assert.ok(fs.statSync(path.join(wt, 'src/shared/config.js')).mode & 0o100) },
    {
      name: 'exec bit set on theirs, content changed on ours',
      ours: (wt) => write(wt, 'src/shared/config.js', 'module.exports = { port: 1 };\n'),
      theirs: (wt) => fs.chmodSync(path.join(wt, 'src/shared/config.js'), 0o755),
      byPaths: false,
    },
    { name: 'symlink retargeted on theirs', theirs: (wt) => (fs.rmSync(path.join(wt, 'link')), fs.symlinkSync('src/shared/config.js', path.join(wt, 'link'))), byPaths: true, after: (wt) => assert.equal(fs.readlinkSync(path.join(wt, 'link')), 'src/shared/config.js') },
    { name: 'symlink replaced by a file on theirs', theirs: (wt) => (fs.rmSync(path.join(wt, 'link')), write(wt, 'link', 'now a file\n')), byPaths: true },
    { name: 'symlink retargeted on both sides', ours: (wt) => (fs.rmSync(path.join(wt, 'link')), fs.symlinkSync('a', path.join(wt, 'link'))), theirs: (wt) => (fs.rmSync(path.join(wt, 'link')), fs.symlinkSync('b', path.join(wt, 'link'))), byPaths: false },
    { name: 'gitlink added on theirs', theirs: (wt) => stageGitlink(wt, 'vendor/other', GITLINK_B), byPaths: true },
    // .gitmodules says `ignore = all` for vendor/lib: a diff that honours it does not see the new commit.
    { name: 'gitlink moved on theirs, ignored by .gitmodules', theirs: (wt) => stageGitlink(wt, 'vendor/lib', GITLINK_B), byPaths: true, after: (wt) => assert.equal(sh(wt, 'rev-parse', 'HEAD:vendor/lib'), GITLINK_B) },
    { name: 'gitlink moved on both sides', ours: (wt) => stageGitlink(wt, 'vendor/lib', GITLINK_B), theirs: (wt) => stageGitlink(wt, 'vendor/lib', '3'.repeat(40)), byPaths: false },
    { name: 'deleted on theirs', deletes: true, theirs: (wt) => fs.rmSync(path.join(wt, 'README.md')), byPaths: true, after: (wt) => assert.ok(!fs.existsSync(path.join(wt, 'README.md'))) },
    { name: 'deleted on theirs, changed on ours', ours: (wt) => write(wt, 'README.md', 'changed\n'), theirs: (wt) => fs.rmSync(path.join(wt, 'README.md')), byPaths: false },
    { name: 'changed on theirs, deleted on ours', ours: (wt) => fs.rmSync(path.join(wt, 'README.md')), theirs: (wt) => write(wt, 'README.md', 'changed\n'), byPaths: false },
    { name: 'added on both sides alike', ours: (wt) => write(wt, 'src/both.js', 'same\n'), theirs: (wt) => write(wt, 'src/both.js', 'same\n'), byPaths: true },
    { name: 'added on both sides differently', ours: (wt) => write(wt, 'src/both.js', 'ours\n'), theirs: (wt) => write(wt, 'src/both.js', 'theirs\n'), byPaths: false },
    { name: 'binary file changed on theirs', theirs: (wt) => write(wt, 'assets/logo.bin', Buffer.from([0, 9, 9, 0])), byPaths: true },
    { name: 'binary file changed on both sides', ours: (wt) => write(wt, 'assets/logo.bin', Buffer.from([0, 8])), theirs: (wt) => write(wt, 'assets/logo.bin', Buffer.from([0, 9])), byPaths: false },
    { name: 'a file becomes a directory on theirs', deletes: true, theirs: (wt) => (fs.rmSync(path.join(wt, 'README.md')), write(wt, 'README.md/index.md', 'moved in\n')), byPaths: true },
    { name: 'a directory becomes a file on theirs', deletes: true, theirs: (wt) => (fs.rmSync(path.join(wt, 'src/shared'), { recursive: true }), write(wt, 'src/shared', 'flat\n')), byPaths: true },
    // Each side adds one half of a file/directory clash: git's index refuses the tree, git merge reports it.
    { name: 'a file on theirs where ours added a directory', ours: (wt) => write(wt, 'src/clash/inner.js', 'ours\n'), theirs: (wt) => write(wt, 'src/clash', 'theirs\n'), byPaths: false },
    { name: 'a directory on theirs where ours added a file', ours: (wt) => write(wt, 'src/clash', 'ours\n'), theirs: (wt) => write(wt, 'src/clash/inner.js', 'theirs\n'), byPaths: false },
    {
      name: 'odd path names added on theirs',
      theirs: (wt) => {
        for (const name of ['with space.js', 'new\nline.js', 'tab\there.js', '-rf', '--help', ':colon', 'back\\slash', 'quote"d\'', 'ünïcödé.js', 'e\u0301-nfd.js', '日本語.md']) write(wt, `src/odd/${name}`, `${name}\n`);
      },
      byPaths: true,
      after: (wt) => assert.equal(fs.readFileSync(path.join(wt, 'src/odd/new\nline.js'), 'utf8'), 'new\nline.js\n'),
    },
    {
      name: 'odd path names changed on theirs, others on ours',
      deletes: true,
      ours: (wt) => write(wt, 'src/odd ours/-x', 'ours\n'),
      theirs: (wt) => {
        write(wt, 'src/x1/-n', 'dash\n');
        fs.renameSync(path.join(wt, 'src/shared/config.js'), path.join(wt, 'src/shared/cönfig\n.js'));
      },
      byPaths: true,
    },
    {
      // Bytes that are not UTF-8 in a name: git takes them; read as text they would turn into U+FFFD.
      name: 'a path that is not UTF-8 added on theirs',
      theirs: (wt) => fs.writeFileSync(Buffer.concat([Buffer.from(`${wt}/src/`), Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x6a, 0x73])]), 'latin-1 name\n'),
      byPaths: false,
      after: (wt) => assert.ok(fs.existsSync(Buffer.concat([Buffer.from(`${wt}/src/`), Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x6a, 0x73])]))),
    },
    {
      name: 'two paths that are not UTF-8 and read alike, changed on theirs',
      ours: (wt) => write(wt, 'src/ours.js', 'ours\n'),
      theirs: (wt) => {
        fs.writeFileSync(Buffer.concat([Buffer.from(`${wt}/src/a`), Buffer.from([0xfe])]), 'fe\n');
        fs.writeFileSync(Buffer.concat([Buffer.from(`${wt}/src/a`), Buffer.from([0xff])]), 'ff\n');
      },
      byPaths: false,
    },
    // Two merge bases: x1's and x2's files are each in one merge base only: deleted, they read as "as
    // that base had them" on both sides, which is left to git merge (see the revert test in
    // git-criss-cross). One: ours' x1 was added since the base, and stays.
    { name: 'everything deleted on theirs: an empty tree', theirs: (wt) => (sh(wt, 'rm', '-r', '-q', '--cached', '.'), sh(wt, 'clean', '-fdq')), byPaths: false, after: (wt) => assert.equal(sh(wt, 'ls-files'), history.bases === 2 ? '' : 'src/x1/index.js') },
    { name: 'everything the merge bases share deleted on theirs', deletes: true, theirs: (wt) => (sh(wt, 'rm', '-r', '-q', '--cached', 'README.md', 'src/shared', 'assets', 'link', '.gitmodules', 'vendor'), sh(wt, 'clean', '-fdq')), byPaths: true, after: (wt) => assert.deepEqual(sh(wt, 'ls-files').split('\n'), ['src/x1/index.js', 'src/x2/index.js']) },
    { name: 'renamed on theirs', deletes: true, theirs: (wt) => fs.renameSync(path.join(wt, 'README.md'), path.join(wt, 'DOC.md')), byPaths: true },
    // Both sides touch README.md (one renames it): left to git merge, which follows the rename.
    { name: 'renamed on theirs, changed on ours', ours: (wt) => write(wt, 'README.md', '# path merge\n\nmore\n'), theirs: (wt) => fs.renameSync(path.join(wt, 'README.md'), path.join(wt, 'DOC.md')), byPaths: false, after: (wt) => assert.match(fs.readFileSync(path.join(wt, 'DOC.md'), 'utf8'), /more/) },
  ];

  for (const c of cases) it(c.name, () => check(c));

  it(history.bases === 1
    ? 'leaves a directory renamed on one side to git merge, which reports it as git does'
    : 'does not follow a directory renamed on one side (README Limits): a file the other side added there stays where it was added, nothing is lost', async () => {
    fs.renameSync(path.join(yWt, 'src/shared'), path.join(yWt, 'src/common'));
    commitRaw(yWt, 'theirs: rename src/shared');
    write(integration, 'src/shared/extra.js', 'extra\n');
    commitRaw(integration, 'ours: add to src/shared');
    assert.equal(gitsOwnMergeTree(), null, 'git reports the directory rename (merge.directoryRenames=conflict)');
    const result = await mergeNoFf(integration, moduleBranch(RUN, 'y'), 'integrate: y');
    if (history.bases === 1) {
      assert.equal(result.status, 'conflict', 'with one merge base, a deletion leaves the merge to git');
      await abortMerge(integration);
      return;
    }
    assert.equal(result.status, 'clean');
    assert.equal(fs.readFileSync(path.join(integration, 'src/shared/extra.js'), 'utf8'), 'extra\n');
    assert.equal(fs.readFileSync(path.join(integration, 'src/common/config.js'), 'utf8'), 'module.exports = { port: 8080 };\n');
    assert.ok(!fs.existsSync(path.join(integration, 'src/shared/config.js')));
  });

  it('a branch at the worktree\'s own commit is up to date, as git merge says: no commit, nothing moved', async () => {
    // A module branch at the very commit the integration branch is at (created there, never built on).
    const head = sh(integration, 'rev-parse', 'HEAD');
    sh(repo, 'branch', moduleBranch(RUN, 'same'), head);
    const commits = sh(repo, 'rev-list', '--count', '--all');
    assert.deepEqual(await mergeNoFf(integration, moduleBranch(RUN, 'same'), 'integrate: same'), { status: 'upToDate', commit: head });
    assert.deepEqual(await mergeAllNoFf(integration, [{ branch: moduleBranch(RUN, 'same'), message: 'bring in same' }]), { status: 'clean', commit: head, theirs: [head] });
    assert.equal(sh(integration, 'rev-parse', 'HEAD'), head);
    assert.equal(sh(repo, 'rev-list', '--count', '--all'), commits, 'no commit made');
  });

  it('a merged tree kept from before is made again when the repository no longer has it (deleted and made again at its path)', async () => {
    write(yWt, 'src/y/index.js', 'y\n');
    commitRaw(yWt, 'theirs: y');
    // A change on each side, so the merged tree is a new one (not either side's, whose object must stay).
    write(integration, 'src/ours.js', 'ours\n');
    commitRaw(integration, 'ours: a file');
    const gitDir = sh(integration, 'rev-parse', '--path-format=absolute', '--git-dir');
    const before = sh(integration, 'rev-parse', 'HEAD');
    const theirs = `refs/heads/${moduleBranch(RUN, 'y')}`;
    const first = await mergeByPaths(integration, gitDir, before, theirs, 'first', []);
    assert.equal(first.kind, 'commit');
    const tree = (first as { tree: string }).tree;
    // The kept tree's object gone, as in a repository made again with the same files: the key (trees) is the same.
    fs.rmSync(path.join(repo, '.git', 'objects', tree.slice(0, 2), tree.slice(2)));
    assert.throws(() => sh(repo, 'cat-file', '-e', tree), 'the tree is gone');
    const second = await mergeByPaths(integration, gitDir, before, theirs, 'second', []);
    assert.equal(second.kind, 'commit');
    assert.equal((second as { tree: string }).tree, tree, 'the same merge gives the same tree');
    assert.equal(sh(repo, 'cat-file', '-t', tree), 'tree', 'written again');
    assert.equal(sh(repo, 'rev-parse', `${(second as { commit: string }).commit}^{tree}`), tree);
  });

  it('a lock left on its private index by a killed git does not stop later merges', async () => {
    write(yWt, 'src/y/index.js', 'y\n');
    commitRaw(yWt, 'theirs: y');
    const gitDir = sh(integration, 'rev-parse', '--path-format=absolute', '--git-dir');
    fs.writeFileSync(path.join(gitDir, 'build-pipeline-merge.index.lock'), '');
    const result = await mergeNoFf(integration, moduleBranch(RUN, 'y'), 'integrate: y');
    assert.equal(result.status, 'clean');
    assert.equal(fs.readFileSync(path.join(integration, 'src/y/index.js'), 'utf8'), 'y\n');
    assert.deepEqual(fs.readdirSync(gitDir).filter((f) => f.startsWith('build-pipeline-merge') && f !== 'build-pipeline-merge.index.lock'), [], 'no index file of its own left behind');
  });
});
